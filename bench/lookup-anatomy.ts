/**
 * Where a random lookup's time goes, at 1e3 and 1e6 entries (`npx tsx bench/lookup-anatomy.ts`).
 * The same map and addresses as the map-scaling benchmark; each stage adds one step of what
 * `Kernel.run({ op: "lookup" })` does, so the differences between rows are the costs of the steps:
 *   descent      the B+tree's `floor` (inner nodes and a leaf; loads no entry)
 *   + entry      then one field of the entry it returns (the entry's first cache miss)
 *   + end        then its `end` too (a boxed number above 2^30: a second object)
 *   lookupEntry  the map's lookup: hint test, descent, containment test
 *   run(op)      the whole operation: validation, dispatch, both lookups of lookupView, result
 * Prints ns per lookup (median of 5 rounds after a gc and a warm-up pass) and the 1e6 / 1e3 ratio per row.
 * Asserts nothing.
 */
import { spawnSync } from "node:child_process";
import type { VmMap } from "../impl/map/vm-map.ts";
import type { Op } from "../spec/vocabulary.ts";
import { kernelMap, workload } from "./map-scaling.ts";

// A gc before each stage, so that none pays for collecting the map's construction: re-run under
// node --expose-gc.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  const child = spawnSync(process.execPath, ["--expose-gc", ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}

const SEED = 0x2000;
const ROUNDS = 5;
const PASSES_PER_ROUND = 4;

type Stage = readonly [name: string, step: (addr: number, i: number) => number];

function stages(n: number): Stage[] {
  const { k, map } = kernelMap(n);
  const m = k.maps[map] as VmMap;
  const store = m.store;
  const addrs = workload(n, SEED).addrs;
  const ops = Array.from(addrs, (addr): Op => ({ op: "lookup", map, addr }));
  return [
    ["descent", (a) => (store.floor(a) === store.header ? 0 : 1)],
    ["+ entry", (a) => store.floor(a).protection],
    ["+ end", (a) => { const e = store.floor(a); return e.protection + e.end; }],
    ["lookupEntry", (a) => (m.lookupEntry(a).found ? 1 : 0)],
    ["run(op)", (_a, i) => (k.run(ops[i]!).kr === "KERN_SUCCESS" ? 1 : 0)],
  ];
}

function nsPerLookup(step: Stage[1], addrs: Float64Array): number {
  gc!();
  let sink = 0;
  const pass = (): void => {
    for (let i = 0; i < addrs.length; i++) sink += step(addrs[i]!, i);
  };
  pass();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let p = 0; p < PASSES_PER_ROUND; p++) pass();
    rounds.push(Number(process.hrtime.bigint() - t0) / (PASSES_PER_ROUND * addrs.length));
  }
  if (sink < 0) throw new Error("unreachable: keeps the results alive");
  rounds.sort((x, y) => x - y);
  return rounds[ROUNDS >> 1]!;
}

const sizes = [1e3, 1e6] as const;
const table = new Map<string, number[]>();
for (const n of sizes) {
  const addrs = workload(n, SEED).addrs;
  for (const [name, step] of stages(n)) {
    const row = table.get(name) ?? [];
    row.push(nsPerLookup(step, addrs));
    table.set(name, row);
  }
}
console.log(`random lookup, ns per lookup (node ${process.version}; median of ${ROUNDS} rounds)`);
console.log(`${"stage".padEnd(12)} ${"n = 1e3".padStart(9)} ${"n = 1e6".padStart(9)}   1e6/1e3`);
for (const [name, [small, large]] of table) {
  console.log(`${name.padEnd(12)} ${small!.toFixed(0).padStart(9)} ${large!.toFixed(0).padStart(9)}   ${(large! / small!).toFixed(2)}x`);
}
