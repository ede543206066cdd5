/**
 * The copy-on-write benchmarks, all through `Kernel.run(op)` as the checker drives it, with
 * 4096-byte pages (bytes per page matter for the heap figures):
 * 1. fork of a map of n one-page entries separated by one-page holes, about half of them written
 *    (so they have objects) and about half SHARE, half COPY: ms per fork of the same parent,
 *    median of several, each child deallocated untimed; at n = 1e3 and 1e4 for the ratio.
 * 2. copyin (an entry list: the size is above the kernel-buffer threshold) and copyout of a
 *    written 1,000-page range, timed separately and together, then the first write to one page
 *    of the source and to one page of the copy (where copy-on-write pays); each step timed over a
 *    batch of independent fresh kernels, median of several rounds.
 * 3. 100 generations of fork-then-write from one map with one written 64-page region: fork the
 *    current map, write one page in the child and one in the parent, continue with the child;
 *    parents released after forking, or all kept alive. The longest shadow chain every 10
 *    generations, and heap bytes per resident page at the end.
 * Prints what it measured; asserts nothing on time (it throws only if an operation fails or a
 * copy shows the wrong bytes, i.e. if it did not measure what it says).
 */
import { Kernel } from "../impl/kernel.ts";
import { objectStats } from "../impl/object/object-check.ts";
import type { VmMap } from "../impl/map/vm-map.ts";
import { VM_INHERIT_COPY, VM_INHERIT_SHARE, VM_PROT_ALL, VM_PROT_DEFAULT, VM_PROT_READ } from "../spec/constants.ts";
import { pageListMax, type Scope } from "../spec/scope.ts";
import type { Op, OpResult } from "../spec/vocabulary.ts";
import { mulberry32, randomInt } from "./prng.ts";

export const COW_SCOPE: Scope = { addressBits: 52, pageSize: 4096, maxWireCount: 65535, maxObjectPages: 1024, kernelBufferThreshold: 4096 };
const P = COW_SCOPE.pageSize;
const MAX = 2 ** COW_SCOPE.addressBits;

const FORK_SIZES = [1e3, 1e4] as const;
/** Timed forks per size (after FORK_WARMUP unreported ones). */
const FORK_ROUNDS = 21;
const FORK_WARMUP = 6;
const COPY_PAGES = 1000;
/** Independent worlds per timed batch of the copy benchmark. */
const COPY_BATCH = 16;
const COPY_ROUNDS = 7;
const COPY_WARMUP = 1;
const GENERATIONS = 100;
const REGION_PAGES = 64;
/** Independent lineages per variant of the generations benchmark (for a heap delta well above noise). */
const GENERATION_LINEAGES = 16;
/** The longest shadow chain the generations benchmark accepts (objects, 1 = no shadow). */
const CHAIN_BOUND = 10;

// ---- helpers ----

function ok(k: Kernel, op: Op): OpResult {
  const r = k.run(op);
  if (r.kr !== "KERN_SUCCESS") throw new Error(`${op.op}: ${r.kr}`);
  return r;
}
const created = (k: Kernel): number => (ok(k, { op: "create", min: 0, max: MAX }) as { map: number }).map;
const enter = (k: Kernel, map: number, addr: number, pages: number, cur: number, inheritance: number): void => {
  ok(k, { op: "enter", map, addr, size: pages * P, mask: 0, anywhere: false, alias: 0, cur, max: VM_PROT_ALL, inheritance, source: { kind: "anonymous" } });
};
const write = (k: Kernel, map: number, addr: number, byte: number): void => {
  ok(k, { op: "write_user", map, addr, data: byte.toString(16).padStart(2, "0") });
};
const read = (k: Kernel, map: number, addr: number): number => parseInt((ok(k, { op: "read_user", map, addr, size: 1 }) as { data: string }).data, 16);
const fork = (k: Kernel, map: number): number => (ok(k, { op: "fork", map }) as { map: number }).map;
const deallocate = (k: Kernel, map: number): void => void ok(k, { op: "deallocate", map });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
/**
 * Two full gcs: the page buffers of objects that died since the last gc are freed one gc later
 * (measured here: 9.2 MB of array buffers after the first, 4.3 MB after the second).
 */
const settle = (gc: () => void): void => {
  gc();
  gc();
};
/**
 * A gc (two when `gcs` is 2: the page buffers of objects that died since the last gc are freed
 * one gc later), then a 20 ms pause for the collector's background threads to finish. Measured:
 * an operation timed right after a bare gc pays for that cleanup (a fork at n = 1e4 took 2-4x
 * longer than with the pause, or with no gc at all, while at n = 1e3 it hardly changed; a batch
 * of 16 copyins right after building their worlds, about 10x longer with one gc than with two).
 */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));
const quiesce = (gc: () => void, gcs: 1 | 2 = 1): void => {
  for (let i = 0; i < gcs; i++) gc();
  Atomics.wait(PAUSE, 0, 0, 20);
};
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

const fmtInt = (x: number): string => Math.round(x).toLocaleString("en-US");
const fmtCount = (x: number): string => x.toLocaleString("en-US", { maximumFractionDigits: 1 });
const fmt = (x: number): string => (x >= 100 ? fmtInt(x) : x >= 1 ? x.toFixed(2) : x.toPrecision(3));
const verdict = (good: boolean): string => (good ? "PASS" : "MISS");

// ---- 1. fork ----

interface ForkParent {
  readonly n: number;
  readonly k: Kernel;
  readonly map: number;
  readonly written: number;
  readonly shared: number;
}

/** A map of n one-page entries at every other page, in a kernel of its own. */
function forkParent(n: number, seed: number): ForkParent {
  const rand = mulberry32(seed ^ n);
  const k = new Kernel(COW_SCOPE);
  const map = created(k);
  let written = 0;
  let shared = 0;
  for (let i = 0; i < n; i++) {
    const share = rand() < 0.5;
    enter(k, map, 2 * i * P, 1, VM_PROT_DEFAULT, share ? VM_INHERIT_SHARE : VM_INHERIT_COPY);
    if (share) shared++;
    if (rand() < 0.5) {
      write(k, map, 2 * i * P, 1 + randomInt(rand, 255));
      written++;
    }
  }
  return { n, k, map, written, shared };
}

/** ms of one fork of `p` (after a gc and a pause); the child is checked and deallocated untimed. */
function timeFork(p: ForkParent, gc: () => void): number {
  quiesce(gc);
  const t0 = process.hrtime.bigint();
  const child = fork(p.k, p.map);
  const t = ms(t0);
  if ((p.k.maps[child] as VmMap).nentries !== p.n) throw new Error(`fork at n = ${p.n}: the child lacks entries`);
  deallocate(p.k, child);
  return t;
}

/**
 * ms per fork of each parent: FORK_WARMUP unreported forks each, then FORK_ROUNDS rounds that
 * fork every parent once in turn (interleaved, so that a change of machine load hits every size
 * alike and the ratio stays fair); the median and the fastest round per parent.
 */
function forkBenchmark(parents: readonly ForkParent[], gc: () => void): { median: number; fastest: number }[] {
  for (const p of parents) for (let r = 0; r < FORK_WARMUP; r++) timeFork(p, gc);
  const samples = parents.map((): number[] => []);
  for (let r = 0; r < FORK_ROUNDS; r++) parents.forEach((p, i) => samples[i]!.push(timeFork(p, gc)));
  return samples.map((xs) => ({ median: median(xs), fastest: Math.min(...xs) }));
}

// ---- 2. copyin + copyout ----

interface CopyResult {
  /** µs per operation, medians over the rounds. */
  readonly copyin: number;
  readonly copyout: number;
  readonly both: number;
  readonly writeSource: number;
  readonly writeCopy: number;
}

/** One world of the copy benchmark: a kernel, its map, and the page both writes hit. */
interface CopyWorld {
  readonly k: Kernel;
  readonly map: number;
  readonly page: number;
  copy?: number;
  out?: number;
}

/** Each source and copy shows its own write at the page, and the original bytes elsewhere. */
function checkCopies(worlds: readonly CopyWorld[]): void {
  for (const { k, map, page, out } of worlds) {
    const other = page === 0 ? P : page - P; // a page neither write touched
    const seen = [read(k, map, page), read(k, map, out! + page), read(k, map, other), read(k, map, out! + other)].join();
    if (seen !== "2,3,1,1") throw new Error(`copy benchmark: source and copy read ${seen}, not 2,3,1,1`);
  }
}

/**
 * Each round builds COPY_BATCH fresh kernels, each with a map holding COPY_PAGES written pages at
 * address 0, as one entry or as one-page entries alternating RW / RWX (adjacent, so copyin sees
 * no hole, and they do not coalesce). Then each step is timed over the whole batch, after a gc
 * and a pause (two gcs after building the worlds; see quiesce):
 * copyin of every world, copyout of every copy, a write to one page of every source, a write to
 * the same page of every copy. A single operation of a few µs timed alone right after a gc
 * mostly measures the collector's aftermath; a batch of independent worlds does not.
 */
function copyBenchmark(oneEntry: boolean, seed: number, gc: () => void, pageList = false): CopyResult {
  const rand = mulberry32(seed ^ COPY_PAGES ^ (oneEntry ? 1 : 2));
  const cols: number[][] = [[], [], [], [], []];
  for (let r = 0; r < COPY_WARMUP + COPY_ROUNDS; r++) {
    const worlds: CopyWorld[] = [];
    for (let b = 0; b < COPY_BATCH; b++) {
      const k = new Kernel(COW_SCOPE);
      const map = created(k);
      if (oneEntry) enter(k, map, 0, COPY_PAGES, VM_PROT_DEFAULT, VM_INHERIT_COPY);
      else for (let i = 0; i < COPY_PAGES; i++) enter(k, map, i * P, 1, i % 2 === 0 ? VM_PROT_DEFAULT : VM_PROT_ALL, VM_INHERIT_COPY);
      for (let i = 0; i < COPY_PAGES; i++) write(k, map, i * P, 1);
      worlds.push({ k, map, page: randomInt(rand, COPY_PAGES) * P });
    }
    const copyins = worlds.map((w): Op => pageList
      ? { op: "copyin_page_list", map: w.map, addr: 0, size: COPY_PAGES * P, options: VM_PROT_READ }
      : { op: "copyin", map: w.map, addr: 0, size: COPY_PAGES * P, srcDestroy: false, useMaxprot: false });
    const sourceWrites = worlds.map((w): Op => ({ op: "write_user", map: w.map, addr: w.page, data: "02" }));
    /** µs per operation of `step` over the batch. */
    const timed = (step: (w: CopyWorld, i: number) => void, gcs: 1 | 2 = 1): number => {
      quiesce(gc, gcs);
      const t0 = process.hrtime.bigint();
      worlds.forEach(step);
      return (ms(t0) * 1e3) / COPY_BATCH;
    };
    const tIn = timed((w, i) => (w.copy = (ok(w.k, copyins[i]!) as { copy: number }).copy), 2);
    const copyouts = worlds.map((w): Op => ({ op: pageList ? "copyout_page_list" : "copyout", map: w.map, copy: w.copy! }));
    const tOut = timed((w, i) => (w.out = (ok(w.k, copyouts[i]!) as { addr: number }).addr));
    const copyWrites = worlds.map((w): Op => ({ op: "write_user", map: w.map, addr: w.out! + w.page, data: "03" }));
    const tWs = timed((w, i) => ok(w.k, sourceWrites[i]!));
    const tWc = timed((w, i) => ok(w.k, copyWrites[i]!));
    checkCopies(worlds);
    if (r >= COPY_WARMUP) [tIn, tOut, tIn + tOut, tWs, tWc].forEach((t, i) => cols[i]!.push(t));
  }
  const [copyin, copyout, both, writeSource, writeCopy] = cols.map(median) as [number, number, number, number, number];
  return { copyin, copyout, both, writeSource, writeCopy };
}

// ---- 3. generations of fork-then-write ----

interface Lineage {
  readonly k: Kernel;
  /** Longest shadow chain after generations 10, 20, …, GENERATIONS. */
  readonly chains: number[];
}

/** One map with a written REGION_PAGES region, then GENERATIONS of fork-then-write. */
function lineage(release: boolean, rand: () => number): Lineage {
  const k = new Kernel(COW_SCOPE);
  let cur = created(k);
  enter(k, cur, 0, REGION_PAGES, VM_PROT_DEFAULT, VM_INHERIT_COPY);
  for (let i = 0; i < REGION_PAGES; i++) write(k, cur, i * P, 1);
  const chains: number[] = [];
  for (let g = 1; g <= GENERATIONS; g++) {
    const child = fork(k, cur);
    write(k, child, randomInt(rand, REGION_PAGES) * P, 1 + (g % 255));
    write(k, cur, randomInt(rand, REGION_PAGES) * P, 1 + ((g + 128) % 255));
    if (release) deallocate(k, cur);
    cur = child;
    if (g % 10 === 0) chains.push(objectStats(k.objectLayer).longestChain);
  }
  return { k, chains };
}

/**
 * Totals over the lineages, and the longest chain at each sample over all of them. A function of
 * its own: a loop variable left in the caller's frame kept the last kernel reachable (measured).
 */
function summarize(lineages: readonly Lineage[]): { maps: number; objects: number; residentPages: number; chains: number[] } {
  let maps = 0;
  let objects = 0;
  let residentPages = 0;
  for (const { k } of lineages) {
    const st = objectStats(k.objectLayer);
    maps += k.maps.filter((m) => m !== null).length;
    objects += st.objects;
    residentPages += st.residentPages;
  }
  const chains = lineages[0]!.chains.map((_, i) => Math.max(...lineages.map((l) => l.chains[i]!)));
  return { maps, objects, residentPages, chains };
}

interface GenerationsResult {
  /** Longest shadow chain after generations 10, 20, …, over every lineage. */
  readonly chains: number[];
  /** ms per lineage (building its first map, all its generations, and the 10 objectStats samples). */
  readonly msPerLineage: number;
  /** Per lineage at the end. */
  readonly maps: number;
  readonly objects: number;
  readonly residentPages: number;
  /** Bytes the lineages hold, per resident page. */
  readonly heapPerPage: number;
  readonly heapAndBuffersPerPage: number;
}

/**
 * GENERATION_LINEAGES independent lineages (each its own kernel, random pages of its own), one
 * unreported lineage first (compiled code is not counted). What they hold is measured by letting
 * them go: memory after gc with all of them alive minus memory after gc once released. (Growth
 * from before to after also counted whatever of earlier parts the collector freed meanwhile.)
 */
function generations(release: boolean, seed: number, gc: () => void): GenerationsResult {
  const rand = mulberry32(seed ^ GENERATIONS ^ (release ? 1 : 2));
  lineage(release, rand);
  quiesce(gc, 2);
  const t0 = process.hrtime.bigint();
  const lineages = Array.from({ length: GENERATION_LINEAGES }, () => lineage(release, rand));
  const totalMs = ms(t0);
  const { maps, objects, residentPages, chains } = summarize(lineages);
  settle(gc);
  const alive = process.memoryUsage();
  lineages.length = 0;
  settle(gc);
  const released = process.memoryUsage();
  const heap = alive.heapUsed - released.heapUsed;
  const buffers = alive.arrayBuffers - released.arrayBuffers;
  const per = (x: number): number => x / GENERATION_LINEAGES;
  return {
    chains,
    msPerLineage: per(totalMs),
    maps: per(maps),
    objects: per(objects),
    residentPages: per(residentPages),
    heapPerPage: heap / residentPages,
    heapAndBuffersPerPage: (heap + buffers) / residentPages,
  };
}

// ---- the report ----

/** Run and print the copy-on-write section of `npm run bench`. */
export function cowBenchmark(seed: number, gc: () => void): void {
  console.log(`vmcheck copy-on-write benchmark — seed 0x${seed.toString(16)}, ${P}-byte pages, every operation through Kernel.run(op)`);
  console.log(`before each timed measurement a gc and a 20 ms pause (for the collector's background threads);`);
  console.log(`times are medians of the rounds stated, after unreported warm-up rounds`);
  // One part per function, so that nothing of a part is still reachable while the next runs.
  reportFork(seed, gc);
  reportCopy(seed, gc);
  reportGenerations(seed, gc);
}

function reportFork(seed: number, gc: () => void): void {
  console.log();
  console.log(`1. fork of a map of n one-page entries at every other page (holes between them), prot RW,`);
  console.log(`   each written with probability 1/2 (so it has an object), inheritance SHARE or COPY with`);
  console.log(`   probability 1/2; the same parent forked repeatedly, each child deallocated untimed;`);
  console.log(`   ${FORK_WARMUP} unreported forks per size, then ${FORK_ROUNDS} rounds forking each size once in turn`);
  const parents = FORK_SIZES.map((n) => forkParent(n, seed));
  const forks = forkBenchmark(parents, gc);
  parents.forEach((p, i) => {
    const f = forks[i]!;
    console.log(
      `   n = ${fmtInt(p.n).padStart(6)}: ${fmt(f.median).padStart(6)} ms per fork (median; fastest ${fmt(f.fastest)} ms)   ` +
        `${fmtInt(p.written)} entries written, ${fmtInt(p.shared)} SHARE, ${fmtInt(p.n - p.shared)} COPY`,
    );
  });
  const [small, large] = FORK_SIZES;
  const nlogn = (large * Math.log2(large)) / (small * Math.log2(small));
  console.log(
    `   ratio n = ${fmtInt(large)} / n = ${fmtInt(small)}: median ${(forks[1]!.median / forks[0]!.median).toFixed(2)}x, ` +
      `fastest ${(forks[1]!.fastest / forks[0]!.fastest).toFixed(2)}x (linear would be ${(large / small).toFixed(2)}x, n log n ${nlogn.toFixed(2)}x)`,
  );
}

function reportCopy(seed: number, gc: () => void): void {
  console.log();
  console.log(`2. copyin + copyout of a written ${fmtInt(COPY_PAGES)}-page range (${fmtInt(COPY_PAGES * P)} bytes, entry-list copy: above`);
  console.log(`   the ${fmtInt(COW_SCOPE.kernelBufferThreshold)}-byte kernel-buffer threshold), then the first write to one page of the source and`);
  console.log(`   one of the copy; each step timed over ${COPY_BATCH} independent fresh kernels (gc + pause before each), median of`);
  console.log(`   ${COPY_ROUNDS} rounds after ${COPY_WARMUP} unreported; µs per operation, and per page = µs / ${fmtInt(COPY_PAGES)}`);
  for (const oneEntry of [true, false]) {
    const c = copyBenchmark(oneEntry, seed, gc);
    const perPage = (us: number): string => `${fmt(us)} µs (${fmt(us / COPY_PAGES)} µs/page)`;
    console.log(`   as ${oneEntry ? `1 entry of ${fmtInt(COPY_PAGES)} pages` : `${fmtInt(COPY_PAGES)} one-page entries, RW / RWX alternating`}:`);
    console.log(`     copyin ${perPage(c.copyin)}   copyout ${perPage(c.copyout)}   together ${perPage(c.both)}`);
    console.log(`     first write after the copy: source ${fmt(c.writeSource)} µs   copy ${fmt(c.writeCopy)} µs`);
  }
  // A page list copies physical pages, pageListMax at a time: copyout runs the continuations.
  const c = copyBenchmark(true, seed, gc, true);
  const perPage = (us: number): string => `${fmt(us)} µs (${fmt(us / COPY_PAGES)} µs/page)`;
  console.log(`   as a page list (1 entry; ${fmtInt(pageListMax(COW_SCOPE))} pages per list, copyout_page_list runs the continuations):`);
  console.log(`     copyin_page_list ${perPage(c.copyin)}   copyout_page_list ${perPage(c.copyout)}   together ${perPage(c.both)}`);
  console.log(`     first write after the copy: source ${fmt(c.writeSource)} µs   copy ${fmt(c.writeCopy)} µs`);
}

function reportGenerations(seed: number, gc: () => void): void {
  console.log();
  console.log(`3. ${GENERATIONS} generations of fork-then-write from one map with one written ${REGION_PAGES}-page region: fork the`);
  console.log(`   current map, write one random page in the child and one in the parent, go on with the child;`);
  console.log(`   ${GENERATION_LINEAGES} independent lineages (own kernel, own random pages) per variant, after one unreported lineage`);
  console.log(`   longest shadow chain (objects, 1 = no shadow; max over the lineages) after every 10 generations,`);
  console.log(`   target <= ${CHAIN_BOUND}; bytes per resident page = (heapUsed after gc with the lineages alive - after releasing`);
  console.log(`   them) / resident pages; page bytes live in ArrayBuffers outside the JS heap, so + arrayBuffers too`);
  for (const release of [true, false]) {
    const g = generations(release, seed, gc);
    const worst = Math.max(...g.chains);
    console.log(`   parents ${release ? "released after forking" : "all kept alive"}:`);
    console.log(`     chain ${g.chains.join(" ")}   max ${worst} ${verdict(worst <= CHAIN_BOUND)} (target <= ${CHAIN_BOUND})   ${fmt(g.msPerLineage)} ms per lineage`);
    console.log(
      `     at the end, per lineage: ${fmtCount(g.maps)} maps, ${fmtCount(g.objects)} objects, ${fmtCount(g.residentPages)} resident pages; per resident page:`,
    );
    console.log(`     heapUsed ${fmtInt(g.heapPerPage)} B, heapUsed + arrayBuffers ${fmtInt(g.heapAndBuffersPerPage)} B (page ${fmtInt(P)} B)`);
  }
}
