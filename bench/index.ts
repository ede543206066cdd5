/**
 * `npm run bench`: the map-scaling benchmark (bench/map-scaling.ts), then the copy-on-write
 * benchmarks (bench/cow.ts), then the MMU's translation costs (bench/mmu.ts), then the harness's throughput on one and two workers
 * (bench/harness.ts), then strace log replay (bench/trace.ts). Prints ns per operation and the ratios the project's targets are
 * stated in, with PASS/MISS for information: benchmarks assert nothing on time, and the exit code
 * is 0 whatever the numbers.
 */
import { spawnSync } from "node:child_process";
import { cowBenchmark } from "./cow.ts";
import { harnessBenchmark } from "./harness.ts";
import { traceBenchmark } from "./trace.ts";
import { mmuBenchmark } from "./mmu.ts";
import {
  BATCH,
  heapPerEntry,
  kernelMap,
  kernelRun,
  listMap,
  measure,
  OPERATIONS,
  sortedList,
  SUBJECTS,
  workload,
  type Budget,
  type Operation,
  type SubjectKind,
} from "./map-scaling.ts";

// Heap measurement needs global.gc: re-run this script under node --expose-gc.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  const child = spawnSync(process.execPath, ["--expose-gc", ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}

const SIZES = [1e3, 1e4, 1e5, 1e6] as const;
const SEED = 0x2000;
const BUDGET: Budget = { warmupNs: 100_000_000n, measureNs: 500_000_000n, rounds: 5 };
const TARGET = { scaling: 3, speedup: 100, heapBytes: 256 };

const fmtInt = (x: number): string => Math.round(x).toLocaleString("en-US");
const fmtNs = (x: number): string => (x < 100 ? x.toFixed(1) : fmtInt(x));
const fmtRatio = (x: number): string => (x < 10 ? x.toFixed(2) : fmtInt(x)) + "x";
const verdict = (ok: boolean): string => (ok ? "PASS" : "MISS");
const row = (cells: readonly string[], widths: readonly number[]): string =>
  cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");

console.log(`vmcheck map-scaling benchmark — node ${process.version}, seed 0x${SEED.toString(16)}`);
console.log(`map: n entries of 1 page at every other page of [0, 2^52), 4 KiB pages, fixed-entered in address order`);
console.log(
  `each cell: ns per operation, timed in batches of ${BATCH}; median of ${BUDGET.rounds} rounds of ` +
    `${Number(BUDGET.measureNs) / BUDGET.rounds / 1e6} ms after ${Number(BUDGET.warmupNs) / 1e6} ms of warm-up and a gc ` +
    `(and one unreported warm-up pass of everything at n = ${fmtInt(SIZES[0])})`,
);
console.log(`  lookup   lookup of a random page below the last entry's end (about half fall in holes)`);
console.log(`  enter    anywhere-enter of 2 pages: every hole but the top one is too small, so first fit`);
console.log(`           lands after the last entry; each batch is removed again, untimed`);
console.log(`  remove   remove of one random whole entry; only the remove is timed (re-entered untimed)`);
console.log(`  protect  protect of one random whole entry R -> RX and back; both directions timed`);
console.log(`subjects: impl run(op) = Kernel.run(op), as the checker drives it (headline);`);
console.log(`          impl VmMap = the same map's lookupEntry/enter/remove/protect called directly (no validation,`);
console.log(`          dispatch or result objects); baseline list = the 2000 design (bench/sorted-list-map.ts)`);
console.log();

// Warm-up pass, not reported: every code path gets compiled before the first reported cell, so
// the n = 1,000 cells (the denominators of the scaling ratios) are not inflated by a cold JIT.
{
  const w = workload(SIZES[0], SEED);
  const warm: Budget = { ...BUDGET, measureNs: BUDGET.warmupNs };
  for (const kind of SUBJECTS) for (const op of OPERATIONS) measure(kind.build(w), w, op, warm);
}

const widths = [9, 14, 12, 12, 12, 12];
console.log(row(["n", "subject", ...OPERATIONS], widths));
const results = new Map<string, number>();
const key = (n: number, s: SubjectKind, op: Operation): string => `${n}/${s.name}/${op}`;
let fewest = { ops: Infinity, where: "" };
for (const n of SIZES) {
  const w = workload(n, SEED);
  for (const kind of SUBJECTS) {
    const subject = kind.build(w);
    const cells: string[] = [];
    for (const op of OPERATIONS) {
      gc(); // no garbage of earlier builds or measurements is collected on this one's time
      const { nsPerOp, ops } = measure(subject, w, op, BUDGET);
      results.set(key(n, kind, op), nsPerOp);
      if (ops < fewest.ops) fewest = { ops, where: `${kind.name}, ${op}, n = ${fmtInt(n)}` };
      cells.push(fmtNs(nsPerOp));
    }
    console.log(row([kind === SUBJECTS[0] ? fmtInt(n) : "", kind.name, ...cells], widths));
  }
}
console.log(`(fewest operations behind one cell: ${fmtInt(fewest.ops)}, ${fewest.where})`);

const ns = (n: number, s: SubjectKind, op: Operation): number => results.get(key(n, s, op))!;
const first = SIZES[0];
const last = SIZES[SIZES.length - 1]!;

console.log();
console.log(`scaling, cost at n = ${fmtInt(last)} / cost at n = ${fmtInt(first)} (target <= ${TARGET.scaling}x for impl run(op)):`);
for (const kind of SUBJECTS) {
  const cells = OPERATIONS.map((op) => {
    const r = ns(last, kind, op) / ns(first, kind, op);
    return `${op} ${fmtRatio(r)}` + (kind === kernelRun ? ` ${verdict(r <= TARGET.scaling)}` : "");
  });
  console.log(`  ${kind.name.padEnd(14)}  ${cells.join("   ")}`);
}

const mid = 1e5;
console.log(`speedup at n = ${fmtInt(mid)}, baseline list / impl (target >= ${TARGET.speedup}x for lookup and enter through run(op)):`);
for (const kind of SUBJECTS.filter((s) => s !== sortedList)) {
  const cells = OPERATIONS.map((op) => {
    const r = ns(mid, sortedList, op) / ns(mid, kind, op);
    const targeted = kind === kernelRun && (op === "lookup" || op === "enter");
    return `${op} ${fmtRatio(r)}` + (targeted ? ` ${verdict(r >= TARGET.speedup)}` : "");
  });
  console.log(`  ${kind.name.padEnd(14)}  ${cells.join("   ")}`);
}

const implHeap = heapPerEntry(last, gc, kernelMap);
const listHeap = heapPerEntry(last, gc, listMap);
console.log(`heap bytes per entry at n = ${fmtInt(last)} (heapUsed after gc, before/after building the map):`);
console.log(`  impl (Kernel) ${fmtInt(implHeap)} B ${verdict(implHeap <= TARGET.heapBytes)} (target <= ${TARGET.heapBytes} B)   baseline list ${fmtInt(listHeap)} B`);

console.log();
cowBenchmark(SEED, gc);
console.log();
mmuBenchmark(SEED);
console.log();
await harnessBenchmark(SEED);
console.log();
await traceBenchmark();
