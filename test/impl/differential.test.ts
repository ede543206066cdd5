/**
 * Differential check of the implementation against the spec on random command sequences over
 * every operation (copies, fork, remap and named entries included): after every command the
 * results are equal, the abstraction of the implementation equals the spec's abstract state and
 * every check of the kernel holds (exact reference counts, no leak, sound chains); at the end,
 * releasing every map and copy leaves no anonymous object. Random numbers are resolved against
 * the spec's current state (mapped pages, live copies, named entries), so few commands miss.
 * The model checker (model-check/) does this at scale; this keeps the implementation's own
 * tests honest and fast.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { isDeepStrictEqual } from "node:util";
import { checkKernel, Kernel } from "../../impl/index.ts";
import { abstractImpl } from "../../model-check/abstraction.ts";
import { abstractSpec, diffAbstract, dispatch, newSpecWorld, SPEC, wouldBlock, type Op, type Scope, type SpecWorld } from "../../spec/index.ts";

const SCOPE: Scope = { addressBits: 16, pageSize: 16, maxWireCount: 3, maxObjectPages: 8, kernelBufferThreshold: 40 };
const P = SCOPE.pageSize;

/** Command kinds, repeated to weight them. */
const KINDS = [
  "enter", "enter", "remove", "protect", "protect", "inherit", "inherit", "wire", "wire", "unwire", "simplify",
  "write", "write", "write", "read", "dealloc", "reference",
  "copyin", "copyin", "copyin", "copyin_object", "copyout", "copyout", "overwrite", "overwrite", "overwrite", "discard", "copy_copy",
  "fork", "fork", "remap", "remap", "remap", "mme", "mme", "mapme", "mapme", "mapme",
] as const;
type Kind = (typeof KINDS)[number];
/** A command is a kind and a dozen random numbers, resolved against the state when it runs. */
const cmdArb = fc.record({ kind: fc.constantFrom(...KINDS), r: fc.array(fc.nat(1 << 20), { minLength: 12, maxLength: 12 }) });

function resolve(w: SpecWorld, kind: Kind, r: number[]): Op {
  let i = 0;
  /** The next random number below `m`. */
  const n = (m: number): number => (m <= 0 ? 0 : r[i++ % r.length]! % m);
  const coin = (percent: number): boolean => n(100) < percent;
  const live = w.maps.flatMap((m, h) => (m ? [h] : []));
  const map = (): number => (coin(95) && live.length > 0 ? live[n(live.length)]! : n(w.maps.length + 2));
  /** Mostly a mapped page of map `h`, sometimes anywhere in it, sometimes unaligned. */
  const addrIn = (h: number): number => {
    const m = w.maps[h];
    const pages = m ? [...m.pages.keys()].sort((a, b) => a - b) : [];
    let a = pages.length > 0 && coin(80) ? pages[n(pages.length)]! * P : (m ? m.min : 0) + n(24) * P;
    if (coin(25)) a += n(P);
    return a;
  };
  const size = (): number => (coin(75) ? (1 + n(4)) * P : n(4 * P + 1));
  const copyHandle = (): number | null => (coin(5) ? null : w.copies.length > 0 ? n(w.copies.length + (coin(15) ? 3 : 0)) : n(3));
  const inheritance = (): number => n(3);
  const mask = (): number => (coin(80) ? 0 : 2 * P - 1);
  switch (kind) {
    case "enter": {
      const h = map();
      const source = coin(30) ? { kind: "object" as const, object: n(2), offset: n(3) * P } : { kind: "anonymous" as const };
      return { op: "enter", map: h, addr: addrIn(h), size: 1 + n(4 * P), mask: mask(), anywhere: coin(50), alias: n(2), cur: [1, 3, 3][n(3)]!, max: [3, 7][n(2)]!, inheritance: inheritance(), source };
    }
    case "remove": { const h = map(); return { op: "remove", map: h, addr: addrIn(h), size: size(), flags: n(2) }; }
    case "protect": { const h = map(); return { op: "protect", map: h, addr: addrIn(h), size: size(), prot: [0, 1, 3, 7, 0x13, 0x11, 0x17][n(7)]!, setMax: coin(30) }; }
    case "inherit": { const h = map(); return { op: "inherit", map: h, addr: addrIn(h), size: size(), inheritance: inheritance() }; }
    case "wire": { const h = map(); return { op: "wire", map: h, addr: addrIn(h), size: size(), access: [0, 1, 3][n(3)]!, user: coin(60) }; }
    case "unwire": { const h = map(); return { op: "unwire", map: h, addr: addrIn(h), size: size(), user: coin(60) }; }
    case "simplify": { const h = map(); return { op: "simplify", map: h, addr: addrIn(h) }; }
    case "write": {
      const h = map();
      const data = Array.from({ length: coin(50) ? 1 + n(4) : 1 + n(3 * P) }, () => (1 + n(255)).toString(16).padStart(2, "0")).join("");
      return { op: "write_user", map: h, addr: addrIn(h), data };
    }
    case "read": { const h = map(); return { op: "read_user", map: h, addr: addrIn(h), size: size() }; }
    case "dealloc": return { op: "deallocate", map: coin(70) ? n(w.maps.length) : map() };
    case "reference": return { op: "reference", map: map() };
    case "copyin": { const h = map(); return { op: "copyin", map: h, addr: addrIn(h), size: size(), srcDestroy: coin(25), useMaxprot: coin(30) }; }
    case "copyin_object": return { op: "copyin_object", object: n(2), offset: n(3 * P), size: 1 + n(3 * P) };
    case "copyout": return { op: "copyout", map: map(), copy: copyHandle() };
    case "overwrite": { const h = map(); return { op: "copy_overwrite", map: h, addr: addrIn(h), copy: copyHandle(), interruptible: coin(30) }; }
    case "discard": return { op: "copy_discard", copy: copyHandle() };
    case "copy_copy": return { op: "copy_copy", copy: copyHandle() };
    case "fork": return { op: "fork", map: map() };
    case "remap": {
      const h = map();
      const s = map();
      return { op: "remap", map: h, addr: addrIn(h), size: size(), mask: mask(), anywhere: coin(70), srcMap: s, srcAddr: addrIn(s), copy: coin(50), inheritance: inheritance() };
    }
    case "mme": { const h = map(); return { op: "make_memory_entry", map: h, addr: addrIn(h), size: size(), permission: [1, 3, 0, 7, 0x13][n(5)]! }; }
    case "mapme": {
      const h = map();
      const entry = w.namedEntries.length > 0 ? n(w.namedEntries.length + (coin(10) ? 2 : 0)) : n(2);
      const cur = [0, 1, 3][n(3)]!;
      return {
        op: "map_memory_entry", map: h, addr: addrIn(h), size: coin(80) ? 1 + n(2 * P) : size(), mask: mask(), anywhere: coin(75),
        entry, offset: coin(70) ? 0 : n(2) * P, copy: coin(50), cur, max: cur | [0, 1, 2][n(3)]!, inheritance: inheritance(),
      };
    }
  }
}

const prelude: Op[] = [
  { op: "create", min: 0, max: 24 * P },
  { op: "create", min: 4 * P, max: 28 * P },
  { op: "object_create", size: 4 * P },
  { op: "object_create", size: 6 * P },
  { op: "enter", map: 0, addr: 0, size: 4 * P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
  { op: "enter", map: 0, addr: 6 * P, size: 3 * P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 0, source: { kind: "object", object: 1, offset: P } },
  { op: "enter", map: 1, addr: 8 * P, size: 4 * P, mask: 0, anywhere: false, alias: 2, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
  { op: "enter", map: 1, addr: 14 * P, size: 2 * P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "object", object: 0, offset: 0 } },
  { op: "write_user", map: 0, addr: 3, data: "0102030405" },
  { op: "write_user", map: 0, addr: 6 * P + P - 2, data: "a1a2a3a4" },
  { op: "write_user", map: 1, addr: 9 * P, data: "b1b2b3b4b5b6b7b8b9babbbcbdbebff0f1f2" },
];

/** Runs `cmds` after the prelude on both sides; throws with the history on the first divergence. */
function lockstep(cmds: readonly { kind: Kind; r: number[] }[], maxChainLength?: number): Kernel {
  const k = new Kernel(SCOPE);
  if (maxChainLength !== undefined) k.objectLayer.maxChainLength = maxChainLength;
  const w = newSpecWorld(SCOPE);
  const history: Op[] = [];
  for (const c of [...prelude, ...cmds]) {
    const op = "op" in c ? c : resolve(w, c.kind, c.r);
    history.push(op);
    if (wouldBlock(w, op)) continue;
    const fail = (m: string): never => {
      throw new Error(`${m}\nafter:\n${history.map((o) => JSON.stringify(o)).join("\n")}`);
    };
    const s = dispatch(SPEC, w, op);
    const r = k.run(op);
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(s)), JSON.parse(JSON.stringify(r)))) fail(`results: spec ${JSON.stringify(s)}, impl ${JSON.stringify(r)}`);
    const d = diffAbstract(abstractSpec(w), abstractImpl(k), P);
    if (d !== undefined) fail(`refinement: ${d}`);
    const problem = checkKernel(k);
    if (problem !== undefined) fail(`check: ${problem}`);
  }
  return k;
}

describe("the implementation refines the spec", () => {
  it("on random sequences of every operation, and releasing everything leaks nothing", () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { minLength: 5, maxLength: 80 }), (cmds) => {
        const k = lockstep(cmds);
        for (let h = 0; h < k.copies.length; h++) if (k.copies[h]) k.run({ op: "copy_discard", copy: h });
        for (let h = 0; h < k.maps.length; h++) while (k.maps[h]) k.run({ op: "deallocate", map: h });
        // Named entries are never destroyed: what they hold stays (checkKernel proves it is held).
        expect(checkKernel(k)).toBeUndefined();
        if (k.namedEntries.length === 0) expect([...k.objectLayer.live].filter((o) => o.kind === "anonymous")).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it("with shadow chains flattened at length 1", () => {
    fc.assert(fc.property(fc.array(cmdArb, { minLength: 20, maxLength: 80 }), (cmds) => void lockstep(cmds, 1)), { numRuns: 60 });
  });
});
