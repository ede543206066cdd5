/**
 * `vmcheck explain FILE`: a step-by-step account of a counterexample — each command, the
 * results of spec and implementation, what changed in the spec's state (pages mapped and
 * unmapped, attributes, bytes, copies and named entries), and at the failing step the check,
 * its message, and the implementation's entries and objects of the maps involved.
 */
import { describeMmu } from "./explain-mmu.ts";
import type { Kernel } from "../impl/kernel.ts";
import type { VmMapEntry } from "../impl/map/entry.ts";
import type { VmObject } from "../impl/object/vm-object.ts";
import { abstractSpec, pageListMax, SHARED_REGION_FULL } from "../spec/index.ts";
import { hexAddr, type AbstractMap, type AbstractPage, type AbstractWorld } from "../spec/abstract.ts";
import type { Counterexample } from "./counterexample.ts";
import { Lockstep, CheckFailure, type LockstepOptions } from "./lockstep.ts";
import { formatOp, formatResult } from "./printer.ts";

const PROT = (p: number) => (p & 1 ? "r" : "-") + (p & 2 ? "w" : "-") + (p & 4 ? "x" : "-");
const INHERIT = ["share", "copy", "none"];

function describePage(p: AbstractPage): string {
  const wired = p.wiredCount ? ` wired ${p.wiredCount}${p.userWiredCount ? `/user ${p.userWiredCount}` : ""}` : "";
  const extra = `${p.behavior ? ` behavior ${p.behavior}` : ""}${p.alias ? ` alias ${p.alias}` : ""}`;
  return `${PROT(p.prot)}/${PROT(p.maxProt)} ${INHERIT[p.inheritance] ?? p.inheritance}${wired}${extra}`;
}

/** Consecutive pages with the same description, as `[start, end) description`. */
function ranges(pages: readonly AbstractPage[], ps: number, describe: (p: AbstractPage) => string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < pages.length) {
    const d = describe(pages[i]!);
    let j = i + 1;
    while (j < pages.length && pages[j]!.page === pages[j - 1]!.page + 1 && describe(pages[j]!) === d) j++;
    out.push(`[${hexAddr(pages[i]!.page * ps)}, ${hexAddr((pages[j - 1]!.page + 1) * ps)}) ${d}`);
    i = j;
  }
  return out;
}

function diffMap(h: number, a: AbstractMap | null | undefined, b: AbstractMap | null | undefined, before: AbstractWorld, after: AbstractWorld, ps: number): string[] {
  if (!a && b) return [`map ${h} created over [${hexAddr(b.min)}, ${hexAddr(b.max)})`, ...ranges(b.pages, ps, describePage).map((r) => `map ${h} + ${r}`)];
  if (a && !b) return [`map ${h} destroyed`];
  if (!a || !b) return [];
  const out: string[] = [];
  if (a.refCount !== b.refCount) out.push(`map ${h} references ${a.refCount} → ${b.refCount}`);
  if ((a.swappedOut ?? 0) !== (b.swappedOut ?? 0)) out.push(`map ${h} swapped-out references ${a.swappedOut ?? 0} → ${b.swappedOut ?? 0}`);
  const old = new Map(a.pages.map((p) => [p.page, p]));
  const now = new Map(b.pages.map((p) => [p.page, p]));
  const added = b.pages.filter((p) => !old.has(p.page));
  const removed = a.pages.filter((p) => !now.has(p.page));
  const changed = b.pages.filter((p) => old.has(p.page) && describePage(old.get(p.page)!) !== describePage(p));
  const bytes = b.pages.filter((p) => old.has(p.page) && before.cells[old.get(p.page)!.cell] !== after.cells[p.cell]);
  for (const r of ranges(added, ps, describePage)) out.push(`map ${h} + ${r}`);
  for (const r of ranges(removed, ps, () => "")) out.push(`map ${h} − ${r.trim()}`);
  for (const r of ranges(changed, ps, (p) => `${describePage(old.get(p.page)!)} → ${describePage(p)}`)) out.push(`map ${h} ${r}`);
  for (const r of ranges(bytes, ps, () => "bytes written")) out.push(`map ${h} ${r}`);
  return out;
}

/** What changed between two abstract states, one line per change. */
export function describeChanges(before: AbstractWorld, after: AbstractWorld, ps: number): string[] {
  const out: string[] = [];
  for (let h = 0; h < Math.max(before.maps.length, after.maps.length); h++) out.push(...diffMap(h, before.maps[h], after.maps[h], before, after, ps));
  for (let o = before.objects.length; o < after.objects.length; o++) out.push(`memory object ${o} created (${after.objects[o]!.length} pages)`);
  for (let c = 0; c < Math.max(before.copies.length, after.copies.length); c++) {
    const x = before.copies[c], y = after.copies[c];
    const cont = (z: typeof y) => (z?.cont ? `, continuation: ${z.cont}` : "");
    if (x === undefined && y) out.push(`copy ${c} created: ${y.kind}, offset ${hexAddr(y.offset)}, size ${hexAddr(y.size)}${y.kind === "page_list" ? `, ${y.pages.length} pages` : ""}${cont(y)}`);
    else if (x && y === null) out.push(`copy ${c} consumed`);
    else if (x && y && x.kind !== y.kind) out.push(`copy ${c} ${x.kind} → ${y.kind}`);
    else if (x && y && x.pages.length !== y.pages.length) out.push(`copy ${c}: ${x.pages.length} → ${y.pages.length} pages`);
  }
  for (let n = before.namedEntries.length; n < after.namedEntries.length; n++) {
    const e = after.namedEntries[n]!;
    out.push(`named entry ${n} created: ${hexAddr(e.size)} bytes, protection ${PROT(e.protection)}`);
  }
  for (let r = 0; r < after.regions.length; r++) {
    const x = before.regions[r], y = after.regions[r]!;
    if (x === undefined) out.push(`shared region ${r} created: text map ${y.text}, data map ${y.data}`);
    else if (x.held && !y.held) out.push(`shared region ${r}: handle dropped${y.refCount === 0 ? ", destroyed" : `, ${y.refCount} references left`}`);
    else if (x.refCount > 0 && y.refCount === 0) out.push(`shared region ${r} destroyed`);
    if (x !== undefined && x.flags !== y.flags) out.push(`shared region ${r} flags ${x.flags} → ${y.flags}${y.flags & SHARED_REGION_FULL ? " (FULL)" : ""}`);
  }
  return out;
}

function describeObject(o: VmObject | null): string {
  if (!o) return "zero-fill (no object)";
  const chain: string[] = [];
  for (let x: VmObject | null = o; x; x = x.shadow)
    chain.push(`object ${x.id} (${x.kind}, ${x.strategy}, ref ${x.refCount}, ${x.pages.size} resident${x.copy ? `, copy object ${x.copy.id}` : ""}${x.shadow ? `, shadows at ${hexAddr(x.shadowOffset)}` : ""})`);
  return chain.join(" → ");
}

/** The implementation's entries of map `h`, with their objects and shadow chains. */
export function describeImplMap(k: Kernel, h: number): string[] {
  const map = k.maps[h];
  if (!map) return [`map ${h}: none in the implementation`];
  const out = [`map ${h} in the implementation: ${map.store.nentries} entries, size ${hexAddr(map.size)}, timestamp ${map.timestamp}, hint ${hexAddr(map.hint.start)}, first_free ${map.firstFree === map.store.header ? "header" : hexAddr(map.firstFree.start)}, ref_count ${map.refCount}, res_count ${map.resCount}${map.swState === "out" ? " (swapped out)" : ""}`];
  for (let e: VmMapEntry = map.store.header.next; e !== map.store.header; e = e.next) {
    const flags = [e.needsCopy && "needs_copy", e.isShared && "shared", e.inTransition && "in_transition", e.wiredCount && `wired ${e.wiredCount}/user ${e.userWiredCount}`].filter(Boolean).join(", ");
    out.push(`  [${hexAddr(e.start)}, ${hexAddr(e.end)}) ${PROT(e.protection)}/${PROT(e.maxProtection)} ${INHERIT[e.inheritance] ?? e.inheritance}${flags ? ` (${flags})` : ""} offset ${hexAddr(e.offset)}: ${describeObject(e.object)}`);
  }
  return out;
}

/** The implementation's copy `c`: its format and, for an entry list or page list, its entries or pages and objects. */
export function describeImplCopy(k: Kernel, c: number): string[] {
  const copy = k.copies[c];
  if (!copy) return [`copy ${c}: consumed or unknown in the implementation`];
  if (copy.kind === "page_list") {
    const cont = copy.cont ? `, continuation [${hexAddr(copy.cont.start)}, ${hexAddr(copy.cont.end)}) of map ${copy.cont.handle}` : "";
    return [
      `copy ${c} in the implementation: page list${copy.loose ? " (loose)" : ""}, offset ${hexAddr(copy.offset)}, size ${hexAddr(copy.size)}${cont}`,
      ...copy.pages.map((p, i) => `  page ${i}: ${p.object ? `busy in ${describeObject(p.object)} at index ${p.index}` : p.bytes ? "loose" : "loose, never materialized"}`),
    ];
  }
  if (copy.kind !== "entry_list") return [`copy ${c} in the implementation: ${copy.kind}${copy.kind === "object" ? ` of ${describeObject(copy.object)}` : ""}`];
  return [
    `copy ${c} in the implementation: entry list, offset ${hexAddr(copy.offset)}, size ${hexAddr(copy.size)}`,
    ...copy.entries.map((e) => `  [${hexAddr(e.start)}, ${hexAddr(e.end)})${e.needsCopy ? " (needs_copy)" : ""} offset ${hexAddr(e.offset)}: ${describeObject(e.object)}`),
  ];
}

/** Each kernel thread with an operation in flight: the operation and what it waits for. */
function describeThreads(ls: Lockstep): string[] {
  const sched = ls.concurrency?.sched;
  if (!sched) return [];
  return sched.inFlight().map((t) => `thread ${t}: ${formatOp(sched.opOf(t)!)} — ${sched.runnable(t) ? "can run" : "blocked"} (${sched.pausedAt(t)})`);
}

/** The whole account of a counterexample, as lines of text. */
export function explain(cx: Counterexample, options: Omit<LockstepOptions, "scope"> = {}): { lines: string[]; failed: boolean } {
  const ps = cx.scope.pageSize;
  const ls = new Lockstep({ ...options, scope: cx.scope });
  const lines = [
    `Counterexample: ${cx.commands.length} commands, recorded failure: ${cx.failure.check} at step ${cx.failure.step}`,
    `Scope: ${cx.scope.addressBits}-bit addresses, ${cx.scope.pageSize}-byte pages, MAX_WIRE_COUNT ${cx.scope.maxWireCount}, kernel-buffer threshold ${cx.scope.kernelBufferThreshold}, page lists of ${pageListMax(cx.scope)} pages`,
    "",
  ];
  for (let i = 0; i < cx.commands.length; i++) {
    const op = cx.commands[i]!;
    const before = ls.view;
    if (ls.blocks(op)) {
      lines.push(`step ${i}: ${formatOp(op)}`, ls.concurrency && !ls.concurrency.quiescent
        ? "  skipped: threads have operations in flight (until they finish, only spawn and step run)"
        : "  skipped: it would wait forever for kernel wirings (no other thread can release them)", "");
      continue;
    }
    try {
      const r = ls.step(op);
      lines.push(`step ${i}: ${formatOp(op)}`, `  result: ${formatResult(r.spec)}`);
      for (const c of describeChanges(before, ls.view, ps)) lines.push(`  ${c}`);
      for (const m of describeMmu(ls.impl)) lines.push(`  mmu: ${m}`);
      for (const t of describeThreads(ls)) lines.push(`  ${t}`);
      lines.push("");
    } catch (e) {
      if (!(e instanceof CheckFailure)) throw e;
      const h = ls.history[ls.history.length - 1]!;
      lines.push(`step ${i}: ${formatOp(op)}`, `  spec: ${formatResult(h.spec)}`, `  impl: ${h.impl ? formatResult(h.impl) : "threw"}`);
      for (const c of describeChanges(before, abstractSpec(ls.spec), ps)) lines.push(`  spec: ${c}`);
      lines.push("", `FAILED: ${e.check}`, `  ${e.detail}`, "");
      const maps = new Set([...e.detail.matchAll(/map (\d+)/g)].map((m) => Number(m[1])));
      if ("map" in op && typeof op.map === "number") maps.add(op.map);
      const impl = ls.impl;
      if (impl) {
        for (const m of maps) lines.push(...describeImplMap(impl, m), "");
        for (const m of describeMmu(impl)) lines.push(`mmu: ${m}`);
        for (const c of new Set([...e.detail.matchAll(/copy (\d+)/g)].map((m) => Number(m[1])))) lines.push(...describeImplCopy(impl, c), "");
      }
      return { lines, failed: true };
    }
  }
  try {
    ls.finish();
  } catch (e) {
    if (!(e instanceof CheckFailure)) throw e;
    lines.push("end of the run: the threads still in flight were run to completion", "", `FAILED: ${e.check}`, `  ${e.detail}`, "");
    return { lines, failed: true };
  }
  lines.push("PASS: every step agreed with the spec and every invariant held (the recorded failure no longer reproduces).");
  return { lines, failed: false };
}
