/**
 * `vmcheck explain FILE --html OUT`: the same account as the text explain, as one self-contained
 * HTML page with step navigation. For each step it draws every map's address space (one cell per
 * page from min to max: holes blank, mapped pages coloured by protection, wired pages outlined),
 * the implementation's entries with their objects and shadow chains, and the copies. Open
 * `OUT#step=N` to land on step N.
 */
import { describeMmu } from "./explain-mmu.ts";
import type { Kernel } from "../impl/kernel.ts";
import type { VmObject } from "../impl/object/vm-object.ts";
import { abstractSpec } from "../spec/index.ts";
import type { AbstractWorld } from "../spec/abstract.ts";
import type { Counterexample } from "./counterexample.ts";
import { describeChanges } from "./explain.ts";
import { CheckFailure, Lockstep, type LockstepOptions } from "./lockstep.ts";
import { formatOp, formatResult } from "./printer.ts";

interface ImplEntry { start: number; end: number; prot: number; maxProt: number; wired: number; needsCopy: boolean; shared: boolean; chain: string }
interface Snapshot {
  command: string;
  spec: string;
  impl: string;
  changes: string[];
  failure?: string;
  maps: ({ min: number; max: number; pages: [number, number, number][] } | null)[]; // [page, prot, wired]
  entries: (ImplEntry[] | null)[];
  copies: string[];
  /** The MMU: CPUs and their TLBs, PTEs, frames (empty until a CPU runs a map). */
  mmu: string[];
}

function chainOf(o: VmObject | null): string {
  const parts: string[] = [];
  for (let x = o; x; x = x.shadow) parts.push(`obj ${x.id} ${x.strategy}${x.copy ? ` (copy obj ${x.copy.id})` : ""} ${x.pages.size}p`);
  return parts.join(" → ") || "zero-fill";
}

function snapshot(view: AbstractWorld, k: Kernel | undefined, base: Omit<Snapshot, "maps" | "entries" | "copies" | "mmu">): Snapshot {
  return {
    ...base,
    mmu: describeMmu(k),
    maps: view.maps.map((m) => (m ? { min: m.min, max: m.max, pages: m.pages.map((p) => [p.page, p.prot, p.wiredCount] as [number, number, number]) } : null)),
    entries: (k?.maps ?? []).map((m) => {
      if (!m) return null;
      const out: ImplEntry[] = [];
      for (let e = m.store.header.next; e !== m.store.header; e = e.next)
        out.push({ start: e.start, end: e.end, prot: e.protection, maxProt: e.maxProtection, wired: e.wiredCount, needsCopy: e.needsCopy, shared: e.isShared, chain: chainOf(e.object) });
      return out;
    }),
    copies: view.copies.map((c, i) =>
      c ? `copy ${i}: ${c.kind}, offset 0x${c.offset.toString(16)}, size 0x${c.size.toString(16)}${c.cont ? `, continuation: ${c.cont}` : ""}` : `copy ${i}: consumed`),
  };
}

/** Per-step snapshots of a counterexample's replay. */
export function explainSteps(cx: Counterexample, options: Omit<LockstepOptions, "scope"> = {}): Snapshot[] {
  const ls = new Lockstep({ ...options, scope: cx.scope });
  const steps: Snapshot[] = [];
  for (const op of cx.commands) {
    const before = ls.view;
    if (ls.blocks(op)) {
      steps.push(snapshot(ls.view, ls.impl, { command: formatOp(op), spec: "skipped (would wait forever)", impl: "", changes: [] }));
      continue;
    }
    try {
      const r = ls.step(op);
      steps.push(snapshot(ls.view, ls.impl, { command: formatOp(op), spec: formatResult(r.spec), impl: formatResult(r.impl!), changes: describeChanges(before, ls.view, cx.scope.pageSize) }));
    } catch (e) {
      if (!(e instanceof CheckFailure)) throw e;
      const h = ls.history[ls.history.length - 1]!;
      const after = abstractSpec(ls.spec);
      steps.push(snapshot(after, ls.impl, {
        command: formatOp(op), spec: formatResult(h.spec), impl: h.impl ? formatResult(h.impl) : "threw",
        changes: describeChanges(before, after, cx.scope.pageSize), failure: `${e.check}: ${e.detail}`,
      }));
      return steps;
    }
  }
  try {
    ls.finish();
  } catch (e) {
    if (!(e instanceof CheckFailure)) throw e;
    const after = abstractSpec(ls.spec);
    steps.push(snapshot(after, ls.impl, { command: "(end of the run: threads in flight run to completion)", spec: "", impl: "", changes: [], failure: `${e.check}: ${e.detail}` }));
  }
  return steps;
}

const PAGE_SCRIPT = String.raw`
const steps = JSON.parse(document.getElementById("data").textContent);
const PS = Number(document.body.dataset.pageSize);
const prot = (p) => (p & 1 ? "r" : "-") + (p & 2 ? "w" : "-") + (p & 4 ? "x" : "-");
const hex = (x) => "0x" + x.toString(16);
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
function show(n) {
  n = Math.max(0, Math.min(steps.length - 1, n));
  history.replaceState(null, "", "#step=" + n);
  const s = steps[n], out = document.getElementById("step");
  out.replaceChildren();
  out.append(el("h2", "", "Step " + n + " of " + (steps.length - 1)), el("pre", "command", s.command),
    el("div", "result", "spec: " + s.spec), el("div", "result", "impl: " + s.impl));
  if (s.failure) out.append(el("div", "failure", "FAILED " + s.failure));
  const ul = el("ul", "changes"); for (const c of s.changes) ul.append(el("li", "", c)); out.append(ul);
  s.maps.forEach((m, h) => {
    if (!m) { out.append(el("h3", "", "map " + h + ": destroyed")); return; }
    out.append(el("h3", "", "map " + h + " [" + hex(m.min) + ", " + hex(m.max) + ")"));
    const bar = el("div", "space"), byPage = new Map(m.pages.map((p) => [p[0], p]));
    const first = m.min / PS, count = Math.min((m.max - m.min) / PS, 512);
    for (let i = 0; i < count; i++) {
      const p = byPage.get(first + i), cell = el("span", p ? "page prot" + p[1] + (p[2] ? " wired" : "") : "hole");
      cell.title = hex((first + i) * PS) + (p ? " " + prot(p[1]) + (p[2] ? " wired " + p[2] : "") : " unmapped");
      bar.append(cell);
    }
    out.append(bar);
    const entries = s.entries[h];
    if (entries) {
      const t = el("table", "entries");
      t.append(el("tr", "", "")); t.lastChild.append(el("th", "", "entry"), el("th", "", "prot/max"), el("th", "", "flags"), el("th", "", "object → shadow chain"));
      for (const e of entries) {
        const tr = el("tr", "entry");
        tr.append(el("td", "", "[" + hex(e.start) + ", " + hex(e.end) + ")"), el("td", "", prot(e.prot) + "/" + prot(e.maxProt)),
          el("td", "", [e.needsCopy && "needs_copy", e.shared && "shared", e.wired && "wired " + e.wired].filter(Boolean).join(", ")), el("td", "", e.chain));
        t.append(tr);
      }
      out.append(t);
    }
  });
  if (s.mmu.length) { const ml = el("ul", "mmu"); for (const c of s.mmu) ml.append(el("li", "", c)); out.append(el("h3", "", "MMU: TLBs, page tables, frames"), ml); }
  if (s.copies.length) { const cl = el("ul", "copies"); for (const c of s.copies) cl.append(el("li", "", c)); out.append(el("h3", "", "copies"), cl); }
  document.querySelectorAll("#nav li").forEach((li, i) => li.classList.toggle("current", i === n));
  current = n;
}
let current = 0;
const nav = document.getElementById("nav");
steps.forEach((s, i) => { const li = el("li", s.failure ? "failed" : "", s.command); li.onclick = () => show(i); nav.append(li); });
document.getElementById("prev").onclick = () => show(current - 1);
document.getElementById("next").onclick = () => show(current + 1);
document.addEventListener("keydown", (e) => { if (e.key === "ArrowLeft") show(current - 1); if (e.key === "ArrowRight") show(current + 1); });
const m = /step=(\d+)/.exec(location.hash);
show(m ? Number(m[1]) : steps.length - 1);
`;

const STYLE = `
body { font: 14px system-ui, sans-serif; margin: 0; display: flex; }
#side { width: 34%; max-height: 100vh; overflow: auto; border-right: 1px solid #ccc; padding: 8px; }
#main { flex: 1; padding: 8px 16px; }
#nav li { cursor: pointer; font: 12px monospace; padding: 2px; } #nav li.current { background: #def; } #nav li.failed { color: #b00; }
pre.command { background: #f4f4f4; padding: 6px; white-space: pre-wrap; }
.failure { color: #b00; font-weight: bold; margin: 6px 0; }
.space { display: flex; flex-wrap: wrap; gap: 1px; margin: 4px 0 8px; }
.space span { width: 10px; height: 18px; display: inline-block; }
.hole { background: #fff; outline: 1px solid #eee; }
.page { background: #999; } .prot1 { background: #7bc; } .prot3 { background: #4a4; } .prot5 { background: #b8d; } .prot7 { background: #e83; } .prot2, .prot6 { background: #dc3; } .prot4 { background: #c9c; } .prot0 { background: #555; }
.wired { outline: 2px solid #000; }
ul.mmu { font: 12px monospace; }
table.entries { border-collapse: collapse; font: 12px monospace; } table.entries td, table.entries th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; }
`;

const escapeHtml = (s: string) => s.replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c]!);

export function explainHtml(cx: Counterexample, options: Omit<LockstepOptions, "scope"> = {}): string {
  const steps = explainSteps(cx, options);
  const data = JSON.stringify(steps).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vmcheck explain — ${escapeHtml(cx.failure.check)}</title><style>${STYLE}</style></head>
<body data-page-size="${cx.scope.pageSize}">
<div id="side"><h1>vmcheck explain</h1>
<p>Recorded failure: <b>${escapeHtml(cx.failure.check)}</b> at step ${cx.failure.step}. Scope: ${cx.scope.addressBits}-bit addresses, ${cx.scope.pageSize}-byte pages.</p>
<p><button id="prev">◀ previous</button> <button id="next">next ▶</button> (or ← →)</p>
<ol id="nav" start="0"></ol></div>
<div id="main"><div id="step"></div></div>
<script type="application/json" id="data">${data}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
