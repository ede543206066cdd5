/**
 * The benchmark's baseline (bench/sorted-list-map.ts) against a naive sorted array with the same
 * rules — first fit, coalescing with an equal adjacent predecessor, clipping at both ends — on
 * random operations: same results, same entry boundaries, and hint / firstFree always valid.
 */
import { describe, expect, it } from "vitest";
import { mulberry32, randomInt } from "../../bench/prng.ts";
import { SortedListMap } from "../../bench/sorted-list-map.ts";

interface Range {
  start: number;
  end: number;
  prot: number;
}

/** The same four operations over a plain array of entries, in address order. */
class NaiveMap {
  entries: Range[] = [];
  constructor(
    readonly min: number,
    readonly max: number,
  ) {}

  lookup(addr: number): Range | undefined {
    return this.entries.find((e) => e.start <= addr && addr < e.end);
  }
  predecessor(addr: number): Range | undefined {
    return this.entries.filter((e) => e.end <= addr).at(-1);
  }
  free(start: number, end: number): boolean {
    return start >= this.min && end <= this.max && this.entries.every((e) => e.end <= start || e.start >= end);
  }
  enterAnywhere(size: number, mask: number, prot: number): number | undefined {
    for (let a = this.min; a + size <= this.max; a++) {
      if (a % (mask + 1) === 0 && this.free(a, a + size)) {
        this.insert(a, a + size, prot);
        return a;
      }
    }
    return undefined;
  }
  enterFixed(addr: number, size: number, prot: number): boolean {
    if (size <= 0 || !this.free(addr, addr + size)) return false;
    this.insert(addr, addr + size, prot);
    return true;
  }
  remove(start: number, end: number): void {
    end = Math.min(end, this.max);
    start = Math.min(Math.max(start, this.min), end);
    if (start >= end) return;
    this.clip(start, end);
    this.entries = this.entries.filter((e) => e.end <= start || e.start >= end);
  }
  protect(start: number, end: number, prot: number): boolean {
    let covered = start;
    for (const e of this.entries) if (e.start <= covered && covered < e.end) covered = e.end;
    if (this.lookup(start) === undefined || covered < end) return false;
    this.clip(start, end);
    for (const e of this.entries) if (e.start >= start && e.end <= end) e.prot = prot;
    return true;
  }
  private insert(start: number, end: number, prot: number): void {
    const prev = this.entries.find((e) => e.end === start);
    if (prev !== undefined && prev.prot === prot) prev.end = end;
    else this.entries.push({ start, end, prot });
    this.entries.sort((a, b) => a.start - b.start);
  }
  /** Split entries so that no entry straddles `start` or `end`. */
  private clip(start: number, end: number): void {
    this.entries = this.entries.flatMap((e) => {
      const cuts = [e.start, ...[start, end].filter((a) => e.start < a && a < e.end), e.end];
      return cuts.slice(1).map((c, i) => ({ start: cuts[i]!, end: c, prot: e.prot }));
    });
  }
}

const P = 16;

function checkInvariants(list: SortedListMap, naive: NaiveMap): void {
  const entries = list.entries();
  expect(entries.map(({ start, end, prot }) => ({ start, end, prot }))).toEqual(naive.entries);
  expect(list.nentries).toBe(entries.length);
  for (const e of [list.header, ...entries]) expect(e.next.prev).toBe(e);
  expect(list.hint === list.header || entries.includes(list.hint)).toBe(true);
  // firstFree (§3.2): the last entry of the gap-free run starting at min, or the header.
  let ff = list.header;
  for (const e of entries) {
    if (e.start !== (ff === list.header ? list.min : ff.end)) break;
    ff = e;
  }
  expect(list.firstFree).toBe(ff);
}

function runRandom(seed: number, steps: number): void {
  const rand = mulberry32(seed);
  const min = 4 * P;
  const max = 64 * P;
  const list = new SortedListMap(min, max);
  const naive = new NaiveMap(min, max);
  const page = (lo: number, hi: number) => (lo + randomInt(rand, hi - lo)) * P;
  const prot = () => [1, 3, 5][randomInt(rand, 3)]!;
  for (let i = 0; i < steps; i++) {
    const kind = randomInt(rand, 5);
    if (kind === 0) {
      const addr = page(0, 68) + randomInt(rand, P);
      const r = list.lookup(addr);
      const hit = naive.lookup(addr);
      expect(r.found).toBe(hit !== undefined);
      const want = hit ?? naive.predecessor(addr);
      if (want === undefined) expect(r.entry).toBe(list.header);
      else expect({ start: r.entry.start, end: r.entry.end, prot: r.entry.prot }).toEqual(want);
    } else if (kind === 1) {
      const size = page(1, 5);
      const mask = [0, P - 1, 2 * P - 1, 8 * P - 1][randomInt(rand, 4)]!;
      const p = prot();
      expect(list.enterAnywhere(size, mask, p)).toBe(naive.enterAnywhere(size, mask, p));
    } else if (kind === 2) {
      const addr = page(0, 66);
      const size = page(1, 6);
      const p = prot();
      expect(list.enterFixed(addr, size, p)).toBe(naive.enterFixed(addr, size, p));
    } else if (kind === 3) {
      const start = page(0, 68);
      const end = start + page(0, 8);
      list.remove(start, end);
      naive.remove(start, end);
    } else {
      const start = page(0, 66);
      const end = start + page(1, 6);
      const p = prot();
      expect(list.protect(start, end, p)).toBe(naive.protect(start, end, p));
    }
    checkInvariants(list, naive);
  }
}

describe("bench baseline: SortedListMap", () => {
  for (const seed of [1, 2, 3, 2000, 0xdecaf]) {
    it(`agrees with a naive array on 3000 random operations (seed ${seed})`, () => runRandom(seed, 3000));
  }

  it("anywhere-enter skips holes that are too small (first fit)", () => {
    const list = new SortedListMap(0, 1000 * P);
    for (let i = 0; i < 100; i++) list.enterFixed(2 * i * P, P, 1);
    expect(list.enterAnywhere(2 * P, 0)).toBe(199 * P);
    expect(list.enterAnywhere(P, 0)).toBe(P);
  });
});
