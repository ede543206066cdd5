/**
 * MMU benchmark: ns per translation on a TLB hit and on a TLB miss with a page-table walk,
 * beside a raw typed-array loop doing the same reads as a hit (the tag, ASID, rights and frame
 * words of one slot of a direct-mapped table, no comparison logic). All run the same number of
 * translations over the same virtual pages, in one run. The hit is timed on `Mmu.tlbHit`, the
 * hit path every translation takes first, and again through `Mmu.translate`: V8 does not
 * inline `translate` (its optimized code carries the inlined miss path), so that line adds a
 * call per translation. Targets: a hit within 3x of
 * the raw loop; a miss with its walk at most 50x a hit (QEMU's softmmu runs near 45x).
 */
import { Kernel } from "../impl/kernel.ts";
import type { Mmu } from "../impl/mmu/mmu.ts";
import { VM_PROT_READ, VM_PROT_WRITE } from "../spec/constants.ts";
import type { Scope } from "../spec/scope.ts";

const SCOPE: Scope = { addressBits: 32, pageSize: 4096, maxWireCount: 65535, maxObjectPages: 1 << 16, kernelBufferThreshold: 4096, cpus: 1, frames: 1 << 15, tlbEntries: 64, tlbWays: 4 };
const PAGE_SHIFT = 12; // log2 of SCOPE.pageSize
const PAGES = 1 << 14; // mapped and faulted in: every translation below finds a PTE
const HOT = 32; // fits the 64-entry TLB (2 pages per 4-way set)
const N = 1 << 21;

/** A map of PAGES pages, all faulted in, and a CPU running it. */
function setup(): { mmu: Mmu; k: Kernel } {
  const k = new Kernel(SCOPE);
  const ps = SCOPE.pageSize;
  k.run({ op: "create", min: 0, max: PAGES * ps });
  k.run({ op: "enter", map: 0, addr: 0, size: PAGES * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } });
  k.run({ op: "switch", cpu: 0, map: 0 });
  // Fault every page in through the MMU directly (a store command would re-derive every PTE after each one).
  for (let p = 0; p < PAGES; p++) k.mmu!.translate(k.mmu!.cpus[0]!, k.maps[0]!, p * ps, VM_PROT_WRITE);
  return { mmu: k.mmu!, k };
}

/** Rounds per loop; the loops' rounds alternate, so a slow spell of the machine hits all three alike. */
const ROUNDS = 9;

/**
 * Best of ROUNDS rounds of each loop (each round runs N translations and returns its elapsed ns
 * and a checksum), the loops' rounds interleaved: raw, hit, miss, raw, hit, miss, …
 */
function bestInterleaved(loops: readonly (() => [number, number])[]): { ns: number; sink: number }[] {
  const out = loops.map(() => ({ ns: Infinity, sink: 0 }));
  for (let r = 0; r < ROUNDS; r++) {
    loops.forEach((round, i) => {
      const [t, s] = round();
      out[i]!.ns = Math.min(out[i]!.ns, t / N);
      out[i]!.sink ^= s;
    });
  }
  return out;
}

const since = (t0: bigint): number => Number(process.hrtime.bigint() - t0);

export function mmuBenchmark(seed: number): void {
  const { mmu, k } = setup();
  const ps = SCOPE.pageSize;
  const map = k.maps[0]!;
  const cpu = mmu.cpus[0]!;
  // Virtual pages: the hot set in a shuffled order (hits), and random pages of the whole map (misses).
  let x = seed >>> 0 || 1;
  const rand = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0));
  const hot = Float64Array.from({ length: 4096 }, () => (rand() % HOT) * ps);
  const cold = Float64Array.from({ length: 4096 }, () => (rand() % PAGES) * ps);
  // The miss rounds evict the hot pages: every hit round first brings them back, untimed.
  const warmHot = (): void => {
    for (let i = 0; i < HOT; i++) mmu.translate(cpu, map, i * ps, VM_PROT_READ);
  };

  // The raw loop: one direct-mapped slot's tag, ASID, rights and frame, as plain reads.
  const tag = new Float64Array(64), asid = new Int32Array(64), rights = new Uint8Array(64), frame = new Int32Array(64);
  for (let i = 0; i < 64; i++) (tag[i] = i), (asid[i] = 1), (rights[i] = 3), (frame[i] = i);
  // Each loop is written out (no shared callback), so none pays for a polymorphic call.
  const rawLoop = (): [number, number] => {
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const s = (hot[i & 4095]! >>> PAGE_SHIFT) & 63;
      sink ^= (tag[s]! + asid[s]! + rights[s]! + frame[s]!) | 0;
    }
    return [since(t0), sink];
  };
  const hitLoop = (): [number, number] => {
    warmHot();
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) sink ^= mmu.tlbHit(cpu, map, hot[i & 4095]!, VM_PROT_READ)!.length;
    return [since(t0), sink];
  };
  const translateHitLoop = (): [number, number] => {
    warmHot();
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) sink ^= mmu.translate(cpu, map, hot[i & 4095]!, VM_PROT_READ)!.length;
    return [since(t0), sink];
  };
  const missLoop = (): [number, number] => {
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) sink ^= mmu.translate(cpu, map, cold[i & 4095]!, VM_PROT_READ)!.length;
    return [since(t0), sink];
  };
  type Best = { ns: number; sink: number };
  const [raw, hit, translateHit, miss] = bestInterleaved([rawLoop, hitLoop, translateHitLoop, missLoop]) as [Best, Best, Best, Best];
  const t = cpu.tlb;
  const fmt = (n: number) => n.toFixed(1);
  console.log(`vmcheck MMU benchmark — one CPU, TLB ${t.entries} entries ${t.ways}-way LRU, ${PAGES} pages faulted in, 4 KiB pages, 32-bit addresses`);
  console.log(`  raw typed-array loop (4 reads per translation):  ${fmt(raw.ns)} ns`);
  console.log(`  TLB hit, the hit path (Mmu.tlbHit, ${HOT} hot pages): ${fmt(hit.ns)} ns  = ${(hit.ns / raw.ns).toFixed(2)}x raw  ${hit.ns <= 3 * raw.ns ? "PASS" : "MISS"} (target <= 3x)`);
  console.log(`  TLB hit through Mmu.translate (not inlined):      ${fmt(translateHit.ns)} ns  = ${(translateHit.ns / raw.ns).toFixed(2)}x raw`);
  console.log(`  TLB miss + 3-level walk + fill (random pages):    ${fmt(miss.ns)} ns  = ${(miss.ns / hit.ns).toFixed(1)}x hit  ${miss.ns <= 50 * hit.ns ? "PASS" : "MISS"} (target <= 50x)`);
  if ((raw.sink ^ hit.sink ^ translateHit.sink ^ miss.sink) === 0.5) console.log(""); // keep the loops' results alive
}

