/**
 * The map-scaling benchmark: ns per operation for maps of n entries, for the implementation
 * (through `Kernel.run(op)`, as the checker drives it, and through its VmMap directly) and for the
 * 2000 design (bench/sorted-list-map.ts), on the same inputs in the same run.
 *
 * The map: over [0, 2^52), n anonymous entries of one page at 2i pages, separated by one-page
 * holes, built with fixed enters in address order, protection READ (max ALL).
 * - lookup:  a random page address below the last entry's end (about half in holes).
 * - enter:   anywhere-enter of 2 pages, mask 0, protection READ|WRITE (no coalescing). Every hole
 *            but the top one is too small, so first fit lands after the last entry: the worst
 *            case of a first-fit list walk. Timed in batches of BATCH; each batch is then
 *            removed, untimed, so n stays constant. Neighbours in a batch alternate their
 *            protection so that they do not coalesce.
 * - remove:  remove of one random whole entry (BATCH distinct ones per batch); only the remove
 *            is timed, the entries are then re-entered untimed.
 * - protect: protect of one random whole entry READ -> READ|EXECUTE, and back (both timed).
 */
import { Kernel } from "../impl/kernel.ts";
import { anonymousAttributes, type VmMap } from "../impl/map/vm-map.ts";
import { VM_INHERIT_COPY, VM_PROT_ALL, VM_PROT_DEFAULT, VM_PROT_EXECUTE, VM_PROT_READ } from "../spec/constants.ts";
import type { Scope } from "../spec/scope.ts";
import type { Op } from "../spec/vocabulary.ts";
import { mulberry32, randomInt } from "./prng.ts";
import { SortedListMap } from "./sorted-list-map.ts";

export const SCOPE: Scope = { addressBits: 52, pageSize: 4096, maxWireCount: 65535, maxObjectPages: 1024, kernelBufferThreshold: 4096 };
const P = SCOPE.pageSize;
const MAX = 2 ** SCOPE.addressBits;
/** Operations per timed batch (amortises the clock read; small next to n = 1000). */
export const BATCH = 16;
/** Random inputs per measurement, cycled: a multiple of BATCH. */
const POOL = 1 << 16;

export const OPERATIONS = ["lookup", "enter", "remove", "protect"] as const;
export type Operation = (typeof OPERATIONS)[number];

const ENTRY_PROT = VM_PROT_READ;
const TOGGLED_PROT = VM_PROT_READ | VM_PROT_EXECUTE;
/** Anywhere-enters alternate between these (both differ from ENTRY_PROT). */
const ENTER_PROTS = [VM_PROT_DEFAULT, VM_PROT_ALL] as const;

/** The inputs every subject gets for one n. */
export interface Workload {
  readonly n: number;
  /** Lookup addresses. */
  readonly addrs: Float64Array;
  /** Entry indices for remove and protect; distinct within each aligned window of BATCH. */
  readonly picks: Uint32Array;
  /** Where the first anywhere-enter must land: right after the last entry. */
  readonly top: number;
}

const entryStart = (i: number): number => 2 * i * P;

export function workload(n: number, seed: number): Workload {
  const rand = mulberry32(seed ^ n);
  const addrs = new Float64Array(POOL);
  for (let i = 0; i < POOL; i++) addrs[i] = randomInt(rand, 2 * n - 1) * P;
  const picks = new Uint32Array(POOL);
  for (let w = 0; w < POOL; w += BATCH) {
    const seen = new Set<number>();
    while (seen.size < BATCH) seen.add(randomInt(rand, n));
    picks.set([...seen], w);
  }
  return { n, addrs, picks, top: entryStart(n - 1) + P };
}

/**
 * One implementation holding one map of n entries. Each method runs `count` operations of the
 * pool starting at `from` (`from + count ≤ POOL`); the `undo*` methods restore the map, untimed.
 */
export interface Subject {
  /** Entries in the map (to check that every batch does what it says and is undone). */
  entries(): number;
  lookups(from: number, count: number): void;
  /** Returns the address of the first enter. */
  enters(count: number): number | undefined;
  undoEnters(count: number): void;
  removes(from: number, count: number): void;
  undoRemoves(from: number, count: number): void;
  /** 2 × count protects: every picked entry to TOGGLED_PROT, then back. */
  protects(from: number, count: number): void;
}

export interface SubjectKind {
  readonly name: string;
  build(w: Workload): Subject;
}

function expectSuccess(what: string, r: { kr: string }): void {
  if (r.kr !== "KERN_SUCCESS") throw new Error(`${what}: ${r.kr}`);
}

const enterOp = (map: number, addr: number, size: number, anywhere: boolean, cur: number): Op => ({
  op: "enter", map, addr, size, mask: 0, anywhere, alias: 0, cur, max: VM_PROT_ALL,
  inheritance: VM_INHERIT_COPY, source: { kind: "anonymous" },
});

/** The benchmark map of n entries in a new Kernel, built through `run(op)`. */
export function kernelMap(n: number): { k: Kernel; map: number } {
  const k = new Kernel(SCOPE);
  const created = k.run({ op: "create", min: 0, max: MAX });
  expectSuccess("create", created);
  const map = (created as { map: number }).map;
  for (let i = 0; i < n; i++) expectSuccess("build", k.run(enterOp(map, entryStart(i), P, false, ENTRY_PROT)));
  return { k, map };
}

/** The benchmark map of n entries as a baseline list. */
export function listMap(n: number): SortedListMap {
  const list = new SortedListMap(0, MAX);
  for (let i = 0; i < n; i++) if (!list.enterFixed(entryStart(i), P, ENTRY_PROT)) throw new Error("build");
  return list;
}

/** The implementation, through `Kernel.run(op)`; op objects are built before timing. */
export const kernelRun: SubjectKind = {
  name: "impl run(op)",
  build(w) {
    const { k, map } = kernelMap(w.n);

    const lookups = Array.from(w.addrs, (addr): Op => ({ op: "lookup", map, addr }));
    const picked = Array.from(w.picks, entryStart);
    const removes = picked.map((addr): Op => ({ op: "remove", map, addr, size: P, flags: 0 }));
    const reenters = picked.map((addr) => enterOp(map, addr, P, false, ENTRY_PROT));
    const protects = picked.map((addr): Op => ({ op: "protect", map, addr, size: P, prot: TOGGLED_PROT, setMax: false }));
    const unprotects = picked.map((addr): Op => ({ op: "protect", map, addr, size: P, prot: ENTRY_PROT, setMax: false }));
    const anywhere = ENTER_PROTS.map((cur) => enterOp(map, 0, 2 * P, true, cur));
    const undoEnter = Array.from({ length: BATCH + 1 }, (_, c): Op => ({ op: "remove", map, addr: w.top, size: 2 * P * c, flags: 0 }));
    const vmMap = k.maps[map] as VmMap;
    return {
      entries: () => vmMap.nentries,
      lookups(from, count) {
        for (let i = from; i < from + count; i++) k.run(lookups[i]!);
      },
      enters(count) {
        const first = k.run(anywhere[0]!) as { addr?: number };
        for (let i = 1; i < count; i++) k.run(anywhere[i & 1]!);
        return first.addr;
      },
      undoEnters(count) {
        k.run(undoEnter[count]!);
      },
      removes(from, count) {
        for (let i = from; i < from + count; i++) k.run(removes[i]!);
      },
      undoRemoves(from, count) {
        for (let i = from; i < from + count; i++) k.run(reenters[i]!);
      },
      protects(from, count) {
        for (let i = from; i < from + count; i++) k.run(protects[i]!);
        for (let i = from; i < from + count; i++) k.run(unprotects[i]!);
      },
    };
  },
};

/**
 * The same map's VmMap methods called directly — lookupEntry, enter, remove, protect — without
 * the kernel's argument validation, dispatch and result objects.
 */
export const vmMapDirect: SubjectKind = {
  name: "impl VmMap",
  build(w) {
    const built = kernelMap(w.n);
    const map = built.k.maps[built.map] as VmMap;
    const attrs = (prot: number) => anonymousAttributes(prot, VM_PROT_ALL, VM_INHERIT_COPY, 0);
    const entryAttrs = attrs(ENTRY_PROT);
    const enterAttrs = ENTER_PROTS.map(attrs);
    const { addrs, picks } = w;
    return {
      entries: () => map.nentries,
      lookups(from, count) {
        for (let i = from; i < from + count; i++) map.lookupEntry(addrs[i]!);
      },
      enters(count) {
        const first = map.enter(0, 2 * P, 0, true, enterAttrs[0]!);
        for (let i = 1; i < count; i++) map.enter(0, 2 * P, 0, true, enterAttrs[i & 1]!);
        return first.addr;
      },
      undoEnters(count) {
        map.remove(w.top, w.top + 2 * P * count, 0);
      },
      removes(from, count) {
        for (let i = from; i < from + count; i++) map.remove(entryStart(picks[i]!), entryStart(picks[i]!) + P, 0);
      },
      undoRemoves(from, count) {
        for (let i = from; i < from + count; i++) map.enter(entryStart(picks[i]!), P, 0, false, entryAttrs);
      },
      protects(from, count) {
        for (let i = from; i < from + count; i++) map.protect(entryStart(picks[i]!), entryStart(picks[i]!) + P, TOGGLED_PROT, false);
        for (let i = from; i < from + count; i++) map.protect(entryStart(picks[i]!), entryStart(picks[i]!) + P, ENTRY_PROT, false);
      },
    };
  },
};

/** The 2000 design: a sorted list with hint and first_free. */
export const sortedList: SubjectKind = {
  name: "baseline list",
  build(w) {
    const list = listMap(w.n);
    const { addrs, picks } = w;
    return {
      entries: () => list.nentries,
      lookups(from, count) {
        for (let i = from; i < from + count; i++) list.lookup(addrs[i]!);
      },
      enters(count) {
        const first = list.enterAnywhere(2 * P, 0, ENTER_PROTS[0]);
        for (let i = 1; i < count; i++) list.enterAnywhere(2 * P, 0, ENTER_PROTS[i & 1]);
        return first;
      },
      undoEnters(count) {
        list.remove(w.top, w.top + 2 * P * count);
      },
      removes(from, count) {
        for (let i = from; i < from + count; i++) list.remove(entryStart(picks[i]!), entryStart(picks[i]!) + P);
      },
      undoRemoves(from, count) {
        for (let i = from; i < from + count; i++) list.enterFixed(entryStart(picks[i]!), P, ENTRY_PROT);
      },
      protects(from, count) {
        for (let i = from; i < from + count; i++) list.protect(entryStart(picks[i]!), entryStart(picks[i]!) + P, TOGGLED_PROT);
        for (let i = from; i < from + count; i++) list.protect(entryStart(picks[i]!), entryStart(picks[i]!) + P, ENTRY_PROT);
      },
    };
  },
};

export const SUBJECTS: readonly SubjectKind[] = [kernelRun, vmMapDirect, sortedList];

export interface Budget {
  /** Warm-up time per measurement, ns. */
  readonly warmupNs: bigint;
  /** Measured time per measurement, ns, split into `rounds` (the last batch of a round may overrun). */
  readonly measureNs: bigint;
  readonly rounds: number;
}

/**
 * ns per operation of `op` on `s`, a map of `w.n` entries: batches of BATCH operations, each
 * timed on its own and checked and restored untimed; first for the warm-up budget, then for
 * `rounds` equal shares of the measurement budget. The result is the median round (robust to
 * load spikes from other processes) and the number of operations timed in all rounds.
 */
export function measure(s: Subject, w: Workload, op: Operation, budget: Budget): { nsPerOp: number; ops: number } {
  const { n } = w;
  const expect = (what: string, ok: boolean): void => {
    if (!ok) throw new Error(`${op} at n = ${n}: ${what}`);
  };
  let cursor = 0;
  /** One batch: [timed ns, operations]. */
  const batch = (): [bigint, number] => {
    const from = cursor;
    cursor = (cursor + BATCH) % POOL;
    const t0 = process.hrtime.bigint();
    switch (op) {
      case "lookup": {
        s.lookups(from, BATCH);
        return [process.hrtime.bigint() - t0, BATCH];
      }
      case "enter": {
        const addr = s.enters(BATCH);
        const t = process.hrtime.bigint() - t0;
        expect(`first fit at ${addr}, not on top at ${w.top}`, addr === w.top);
        expect("a batch of enters makes BATCH entries", s.entries() === n + BATCH);
        s.undoEnters(BATCH);
        expect("undo restores n entries", s.entries() === n);
        return [t, BATCH];
      }
      case "remove": {
        s.removes(from, BATCH);
        const t = process.hrtime.bigint() - t0;
        expect("a batch of removes deletes BATCH entries", s.entries() === n - BATCH);
        s.undoRemoves(from, BATCH);
        expect("undo restores n entries", s.entries() === n);
        return [t, BATCH];
      }
      case "protect": {
        s.protects(from, BATCH);
        const t = process.hrtime.bigint() - t0;
        expect("protecting whole entries clips nothing", s.entries() === n);
        return [t, 2 * BATCH];
      }
    }
  };
  const run = (limit: bigint): [bigint, number] => {
    let ns = 0n;
    let ops = 0;
    const end = process.hrtime.bigint() + limit;
    do {
      const [t, k] = batch();
      ns += t;
      ops += k;
    } while (process.hrtime.bigint() < end);
    return [ns, ops];
  };
  run(budget.warmupNs);
  const rounds: number[] = [];
  let total = 0;
  for (let r = 0; r < budget.rounds; r++) {
    const [ns, ops] = run(budget.measureNs / BigInt(budget.rounds));
    rounds.push(Number(ns) / ops);
    total += ops;
  }
  rounds.sort((a, b) => a - b);
  return { nsPerOp: rounds[rounds.length >> 1]!, ops: total };
}

/** Heap bytes per entry of the map `build()` returns (kept alive while measured); needs `gc`. */
export function heapPerEntry(n: number, gc: () => void, build: (n: number) => unknown): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const map = build(n);
  gc();
  const after = process.memoryUsage().heapUsed;
  if (map === undefined) throw new Error("unreachable: keeps the map alive until after the measurement");
  return (after - before) / n;
}
