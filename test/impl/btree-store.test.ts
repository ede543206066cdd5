import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { BTreeEntryStore } from "../../impl/map/btree-store.ts";
import { newEntry, type EntryAttributes, type VmMapEntry } from "../../impl/map/entry.ts";

const ATTRS: EntryAttributes = {
  object: null, offset: 0, isShared: false, needsCopy: false, protection: 0, maxProtection: 0,
  inheritance: 0, behavior: 0, alias: 0, wiredCount: 0, userWiredCount: 0,
};
const mk = (start: number, end: number): VmMapEntry => newEntry(start, end, ATTRS);

/** One of the store's private node arenas, for white-box checks and corruption tests. */
interface Arena {
  keys: Float64Array;
  gaps: Float64Array;
  refs: Array<VmMapEntry | number | null>;
  counts: Int32Array;
  capacity: number;
  used: number;
  freeIds: number[];
  order: number;
  minFill: number;
  grow(capacity: number): void;
}
interface Internals {
  leaves: Arena;
  inner: Arena;
  rootId: number;
  height: number;
  pathNode: Int32Array;
  pathSlot: Int32Array;
  finger: number;
}
const guts = (s: BTreeEntryStore): Internals => s as unknown as Internals;
/** Nodes in use (reachable, if validate() passes) in both arenas. */
const nodesInUse = (s: BTreeEntryStore): number =>
  [guts(s).leaves, guts(s).inner].reduce((n, a) => n + a.used - a.freeIds.length, 0);
const opts = (order: number) => ({ leafOrder: order, innerOrder: order });

/** Store over [min, max) holding the given non-overlapping ranges, inserted in address order. */
function storeOf(min: number, max: number, ranges: ReadonlyArray<readonly [number, number]>, order?: number) {
  const s = new BTreeEntryStore(min, max, order === undefined ? {} : opts(order));
  const es: VmMapEntry[] = [];
  let after = s.header;
  for (const [a, b] of ranges) {
    const e = mk(a, b);
    s.insertAfter(after, e);
    es.push(e);
    after = e;
  }
  return { s, es };
}

function listRanges(s: BTreeEntryStore): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let x = s.header.next; x !== s.header; x = x.next) out.push([x.start, x.end]);
  return out;
}

/** Node ids of depth d, left to right. */
function level(s: BTreeEntryStore, d: number): number[] {
  const t = guts(s).inner;
  let xs = [guts(s).rootId];
  for (let i = 0; i < d; i++) {
    xs = xs.flatMap((x) =>
      Array.from({ length: t.counts[x] as number }, (_, k) => t.refs[x * t.order + k] as number),
    );
  }
  return xs;
}

/** The gap the store keeps for entry e (what EntryStore calls e.gapBefore). */
function gapOf(s: BTreeEntryStore, e: VmMapEntry): number {
  const t = guts(s).leaves;
  for (const leaf of level(s, guts(s).height)) {
    for (let k = 0; k < (t.counts[leaf] as number); k++) {
      if (t.refs[leaf * t.order + k] === e) return t.gaps[leaf * t.order + k] as number;
    }
  }
  throw new Error("entry not in the tree");
}

const P52 = 2 ** 52;
const ORDERS = [4, 5, 32] as const;

describe("BTreeEntryStore: construction", () => {
  it("rejects min > max and bad orders", () => {
    expect(() => new BTreeEntryStore(10, 5)).toThrow(RangeError);
    for (const order of [3, 4.5, 1025, NaN]) {
      expect(() => new BTreeEntryStore(0, 10, { leafOrder: order })).toThrow(RangeError);
      expect(() => new BTreeEntryStore(0, 10, { innerOrder: order })).toThrow(RangeError);
    }
    expect(new BTreeEntryStore(0, 10, opts(4)).validate()).toBeUndefined();
    expect(new BTreeEntryStore(0, 10, opts(1024)).validate()).toBeUndefined();
  });
});

describe.each(ORDERS)("BTreeEntryStore (order %i)", (order) => {
  const store = (min: number, max: number) => new BTreeEntryStore(min, max, opts(order));
  const of = (min: number, max: number, ranges: ReadonlyArray<readonly [number, number]>) =>
    storeOf(min, max, ranges, order);

  describe("empty store", () => {
    it("has a self-linked header carrying the bounds", () => {
      const s = store(4096, 65536);
      expect(s.nentries).toBe(0);
      expect(s.header.next).toBe(s.header);
      expect(s.header.prev).toBe(s.header);
      expect([s.header.start, s.header.end]).toEqual([4096, 65536]);
      expect(guts(s).height).toBe(0);
      expect(s.validate()).toBeUndefined();
    });

    it("floor is the header everywhere", () => {
      const s = store(4096, 65536);
      for (const a of [0, 4095, 4096, 30000, 65536, P52, -Infinity, Infinity, NaN]) {
        expect(s.floor(a)).toBe(s.header);
      }
    });

    it("firstFit sees the whole range as one gap", () => {
      const s = store(4096, 65536);
      expect(s.firstFit(0, 1, 0)).toBe(4096);
      expect(s.firstFit(0, 65536 - 4096, 0)).toBe(4096);
      expect(s.firstFit(0, 65536 - 4096 + 1, 0)).toBeUndefined();
      expect(s.firstFit(5000, 100, 0)).toBe(5000);
      expect(s.firstFit(65535, 1, 0)).toBe(65535);
      expect(s.firstFit(65535, 2, 0)).toBeUndefined();
      expect(s.firstFit(65536, 1, 0)).toBeUndefined();
      expect(s.firstFit(65536, 0, 0)).toBe(65536);
      expect(s.firstFit(P52, 1, 0)).toBeUndefined();
      // Alignment rounds min up.
      expect(s.firstFit(0, 4096, 8191)).toBe(8192);
      expect(s.firstFit(0, 4096, 65535)).toBeUndefined();
    });

    it("lowestHole is min", () => {
      expect(store(4096, 65536).lowestHole()).toBe(4096);
      expect(store(7, 7).lowestHole()).toBe(7);
    });
  });

  describe("insertAfter / unlink / setRange", () => {
    it("inserts at the front, the back and in the middle", () => {
      const s = store(0, 1000);
      const b = mk(400, 500);
      s.insertAfter(s.header, b);
      const a = mk(100, 200);
      s.insertAfter(s.header, a);
      const d = mk(800, 900);
      s.insertAfter(b, d);
      const c = mk(600, 700);
      s.insertAfter(b, c);
      expect(listRanges(s)).toEqual([[100, 200], [400, 500], [600, 700], [800, 900]]);
      expect(s.nentries).toBe(4);
      expect([a, b, c, d].map((e) => gapOf(s, e))).toEqual([100, 200, 100, 100]);
      expect(s.validate()).toBeUndefined();
    });

    it("accepts an entry exactly at min and one ending exactly at max", () => {
      const { s, es } = of(4096, 16384, [[4096, 8192], [12288, 16384]]);
      expect(s.validate()).toBeUndefined();
      expect(gapOf(s, es[0] as VmMapEntry)).toBe(0);
      expect(gapOf(s, es[1] as VmMapEntry)).toBe(4096);
      expect(s.floor(4096)).toBe(es[0]);
      expect(s.floor(16383)).toBe(es[1]);
    });

    it("unlink fixes the successor's gap and leaves the entry's own links as they were", () => {
      const { s, es } = of(0, 1000, [[100, 200], [300, 400], [500, 600]]);
      const [a, b, c] = es as [VmMapEntry, VmMapEntry, VmMapEntry];
      s.unlink(b);
      expect(s.nentries).toBe(2);
      expect(gapOf(s, c)).toBe(300);
      expect(a.next).toBe(c);
      expect(c.prev).toBe(a);
      expect([b.prev, b.next]).toEqual([a, c]); // as EntryStore: stale, not reset
      expect(s.validate()).toBeUndefined();
      s.unlink(a);
      expect(gapOf(s, c)).toBe(500);
      s.unlink(c);
      expect(s.nentries).toBe(0);
      expect(s.header.next).toBe(s.header);
      expect(guts(s).height).toBe(0);
      expect(guts(s).leaves.counts[guts(s).rootId]).toBe(0);
      expect(s.validate()).toBeUndefined();
      // A detached entry can be linked again.
      s.insertAfter(s.header, b);
      expect(s.validate()).toBeUndefined();
    });

    it("unlinks in every order from a larger tree (all deletion shapes)", () => {
      const n = 200;
      const ranges = Array.from({ length: n }, (_, i) => [i * 10 + 1, i * 10 + 5] as const);
      for (const way of ["forward", "backward", "middle-out", "strided"] as const) {
        const { s, es } = of(0, n * 10, ranges);
        const idx = Array.from({ length: n }, (_, i) => i);
        if (way === "backward") idx.reverse();
        if (way === "middle-out") idx.sort((x, y) => Math.abs(x - n / 2) - Math.abs(y - n / 2));
        if (way === "strided") idx.sort((x, y) => (x % 7) - (y % 7) || x - y);
        for (const i of idx) {
          s.unlink(es[i] as VmMapEntry);
          expect(s.validate()).toBeUndefined();
        }
        expect(s.nentries).toBe(0);
        // Everything released: only the root leaf is in use.
        expect(nodesInUse(s)).toBe(1);
      }
    });

    it("setRange updates the entry's gap and its successor's", () => {
      const { s, es } = of(0, 1000, [[100, 200], [300, 400], [500, 600]]);
      const [, b, c] = es as [VmMapEntry, VmMapEntry, VmMapEntry];
      s.setRange(b, 250, 450);
      expect(gapOf(s, b)).toBe(50);
      expect(gapOf(s, c)).toBe(50);
      expect(s.floor(249)).toBe(es[0]);
      expect(s.floor(250)).toBe(b);
      expect(s.validate()).toBeUndefined();
      s.setRange(b, 200, 500); // touch both neighbours
      expect(gapOf(s, b)).toBe(0);
      expect(gapOf(s, c)).toBe(0);
      expect(s.lowestHole()).toBe(0);
      expect(s.validate()).toBeUndefined();
      s.setRange(c, 500, 1000); // grow to max
      expect(s.firstFit(0, 101, 0)).toBeUndefined();
      expect(s.firstFit(0, 100, 0)).toBe(0);
      expect(s.validate()).toBeUndefined();
    });

    it("setRange moves starts across leaf boundaries and keeps separators exact", () => {
      const n = 300;
      const ranges = Array.from({ length: n }, (_, i) => [i * 100 + 10, i * 100 + 90] as const);
      const { s, es } = of(0, n * 100, ranges);
      for (let i = 0; i < n; i++) {
        const e = es[i] as VmMapEntry;
        s.setRange(e, i * 100 + (i % 3 === 0 ? 0 : 50), i * 100 + (i % 2 === 0 ? 100 : 60));
        if (i % 37 === 0) expect(s.validate()).toBeUndefined();
      }
      expect(s.validate()).toBeUndefined();
      for (let i = 0; i < n; i++) expect(s.floor(i * 100 + 50)).toBe(es[i]);
    });

    it("stays shallow and nearly full under sequential inserts at either end", () => {
      const n = 10000;
      const s = store(0, 1e7);
      let after = s.header;
      for (let i = 0; i < n; i++) {
        const e = mk(i * 100, i * 100 + 50);
        s.insertAfter(after, e);
        after = e;
      }
      expect(s.validate()).toBeUndefined();
      const t = store(0, 1e7);
      for (let i = n - 1; i >= 0; i--) t.insertAfter(t.header, mk(i * 100, i * 100 + 50));
      expect(t.validate()).toBeUndefined();
      for (const x of [s, t]) {
        const leaves = level(x, guts(x).height);
        // Appends (prepends) leave every leaf but the last (first) full.
        expect(leaves.length).toBe(Math.ceil(n / order));
        expect(guts(x).height).toBeLessThanOrEqual(Math.ceil(Math.log(n) / Math.log(order)));
      }
    });

    it("grows several levels under thousands of inserts in the middle", () => {
      const s = store(0, 1e9);
      const es: VmMapEntry[] = [];
      // Keep inserting after an entry near the middle, at ever finer addresses.
      let after = s.header;
      for (let i = 0; i < 3000; i++) {
        const e = mk(1e8 + i * 1000, 1e8 + i * 1000 + 1);
        s.insertAfter(after, e);
        es.push(e);
        after = es[es.length >> 1] as VmMapEntry;
        // Re-base: insert the next entry right after `after` with a start in its gap.
        if (after.next !== s.header) {
          const lo = after.end;
          const hi = after.next.start;
          if (hi - lo >= 2) {
            const f = mk(lo + 1, lo + 2);
            s.insertAfter(after, f);
            es.push(f);
          }
        }
        after = s.header.prev;
        if (i % 500 === 0) expect(s.validate()).toBeUndefined();
      }
      expect(s.validate()).toBeUndefined();
      if (order <= 5) expect(guts(s).height).toBeGreaterThanOrEqual(4);
    });
  });

  describe("floor", () => {
    it("returns the entry with the greatest start <= addr, or the header", () => {
      const { s, es } = of(100, 1000, [[100, 200], [300, 400], [999, 1000]]);
      const [a, b, c] = es as [VmMapEntry, VmMapEntry, VmMapEntry];
      expect(s.floor(0)).toBe(s.header);
      expect(s.floor(99)).toBe(s.header);
      expect(s.floor(100)).toBe(a);
      expect(s.floor(199)).toBe(a);
      expect(s.floor(200)).toBe(a); // in the gap: caller checks addr < end
      expect(s.floor(299)).toBe(a);
      expect(s.floor(300)).toBe(b);
      expect(s.floor(998)).toBe(b);
      expect(s.floor(999)).toBe(c);
      expect(s.floor(1000)).toBe(c);
      expect(s.floor(P52)).toBe(c);
      expect(s.floor(Infinity)).toBe(c);
    });

    it("is exact across many leaves", () => {
      const n = 1000;
      const { s, es } = of(0, n * 8, Array.from({ length: n }, (_, i) => [i * 8 + 2, i * 8 + 6] as const));
      expect(s.floor(1)).toBe(s.header);
      for (let i = 0; i < n; i++) {
        expect(s.floor(i * 8 + 2)).toBe(es[i]);
        expect(s.floor(i * 8 + 9)).toBe(es[i]);
      }
    });

    it("leaves a valid cursor that the following unlink / setRange / insertAfter reuse", () => {
      const n = 600;
      const ranges = Array.from({ length: n }, (_, i) => [i * 8 + 2, i * 8 + 6] as const);
      const { s, es } = of(0, n * 8, ranges);
      let seed = 99;
      for (let k = 0; k < 300; k++) {
        seed = (seed * 48271) % 2147483647;
        const i = seed % n;
        const e = s.floor(i * 8 + 3);
        expect(e).toBe(es[i]);
        expect(s.validate()).toBeUndefined(); // checks the recorded path too
        // The protect shape: clip the start off, then coalesce back.
        const lower = mk(i * 8 + 2, i * 8 + 4);
        s.setRange(e, i * 8 + 4, i * 8 + 6);
        s.insertAfter(e.prev, lower);
        expect(s.validate()).toBeUndefined();
        s.unlink(lower);
        s.setRange(e, i * 8 + 2, i * 8 + 6);
        // The remove shape, put back.
        const p = e.prev;
        s.unlink(e);
        s.insertAfter(p, e);
        expect(s.validate()).toBeUndefined();
      }
      expect(listRanges(s)).toEqual(es.map((e) => [e.start, e.end]));
    });
  });

  describe("firstFit", () => {
    it("finds the lowest fitting gap without alignment", () => {
      const { s } = of(0, 1000, [[0, 100], [110, 200], [230, 300], [400, 1000]]);
      expect(s.firstFit(0, 1, 0)).toBe(100);
      expect(s.firstFit(0, 10, 0)).toBe(100);
      expect(s.firstFit(0, 11, 0)).toBe(200);
      expect(s.firstFit(0, 31, 0)).toBe(300);
      expect(s.firstFit(0, 100, 0)).toBe(300);
      expect(s.firstFit(0, 101, 0)).toBeUndefined();
    });

    it("respects a lower bound inside an entry or inside a gap", () => {
      const { s } = of(0, 1000, [[0, 100], [110, 200], [230, 300], [400, 900]]);
      expect(s.firstFit(50, 5, 0)).toBe(100); // inside an entry
      expect(s.firstFit(105, 5, 0)).toBe(105); // inside a gap, fits in the clipped rest
      expect(s.firstFit(106, 5, 0)).toBe(200); // clipped rest too small
      expect(s.firstFit(210, 20, 0)).toBe(210);
      expect(s.firstFit(211, 20, 0)).toBe(300);
      expect(s.firstFit(350, 60, 0)).toBe(900); // final gap
      expect(s.firstFit(950, 50, 0)).toBe(950);
      expect(s.firstFit(950, 51, 0)).toBeUndefined();
    });

    it("uses the gap after the last entry and the gap before the first", () => {
      const { s } = of(4096, 1 << 20, [[8192, 12288]]);
      expect(s.firstFit(0, 4096, 0)).toBe(4096);
      expect(s.firstFit(0, 4097, 0)).toBe(12288);
      expect(s.firstFit(0, (1 << 20) - 12288, 0)).toBe(12288);
      expect(s.firstFit(0, (1 << 20) - 12288 + 1, 0)).toBeUndefined();
    });

    it("aligns candidates and skips gaps that fit only unaligned", () => {
      // Gaps: [100,110) [200,230) [300,400) [900,1000)
      const { s } = of(0, 1000, [[0, 100], [110, 200], [230, 300], [400, 900]]);
      expect(s.firstFit(0, 8, 7)).toBe(200); // [104,112) would cross into 110
      expect(s.firstFit(0, 8, 3)).toBe(100);
      expect(s.firstFit(0, 16, 15)).toBe(208);
      expect(s.firstFit(0, 30, 1)).toBe(200);
      expect(s.firstFit(0, 30, 15)).toBe(304);
      expect(s.firstFit(0, 16, 255)).toBeUndefined(); // every multiple of 256 below max is mapped
      expect(s.firstFit(0, 64, 63)).toBe(320);
      expect(s.firstFit(0, 100, 3)).toBe(300);
      expect(s.firstFit(0, 96, 7)).toBe(304);
      expect(s.firstFit(0, 100, 7)).toBeUndefined(); // 304 and 904 are both 4 short
      expect(s.firstFit(301, 96, 3)).toBe(304);
    });

    it("large alignment masks", () => {
      const { s } = of(0, P52, [[0, 4096], [2 ** 40, 2 ** 40 + 4096]]);
      expect(s.firstFit(0, 4096, 2 ** 40 - 1)).toBe(2 ** 41);
      expect(s.firstFit(0, 4096, 2 ** 51 - 1)).toBe(2 ** 51);
      expect(s.firstFit(0, 2 ** 51, 2 ** 51 - 1)).toBe(2 ** 51);
      expect(s.firstFit(0, 2 ** 51 + 1, 2 ** 51 - 1)).toBeUndefined();
      expect(s.firstFit(0, 1, P52 - 1)).toBeUndefined(); // only 0 is aligned, and it is mapped
      const empty = store(0, P52);
      expect(empty.firstFit(0, P52, P52 - 1)).toBe(0);
      expect(empty.firstFit(1, 1, P52 - 1)).toBeUndefined();
    });

    it("works with addresses near 2^52", () => {
      const min = P52 - 2 ** 20;
      const { s } = of(min, P52, [[min, min + 4096], [P52 - 8192, P52 - 4096]]);
      expect(s.validate()).toBeUndefined();
      expect(s.firstFit(0, 4096, 4095)).toBe(min + 4096);
      expect(s.firstFit(P52 - 8192, 4096, 4095)).toBe(P52 - 4096);
      expect(s.firstFit(P52 - 8192, 4097, 0)).toBeUndefined();
      expect(s.firstFit(P52 - 1, 1, 0)).toBe(P52 - 1);
      expect(s.firstFit(0, 2 ** 20 - 12288, 0)).toBe(min + 4096);
      expect(s.firstFit(0, 2 ** 20 - 12287, 0)).toBeUndefined();
      expect(s.firstFit(0, 2 ** 18, 2 ** 18 - 1)).toBe(min + 2 ** 18);
      expect(s.firstFit(0, 2 ** 19, 2 ** 19 - 1)).toBeUndefined(); // min + 2^19 runs into the last entry
      expect(s.firstFit(0, 4096, 2 ** 21 - 1)).toBeUndefined();
      expect(s.floor(P52 - 1)).toBe(s.header.prev);
      expect(s.lowestHole()).toBe(min + 4096);
    });

    it("many pages near 2^52 across many leaves", () => {
      const n = 500;
      const min = P52 - 2 * n * 4096;
      const ranges = Array.from({ length: n }, (_, i) => [min + 2 * i * 4096, min + (2 * i + 1) * 4096] as const);
      const { s, es } = of(min, P52, ranges);
      expect(s.validate()).toBeUndefined();
      expect(s.firstFit(0, 4096, 0)).toBe(min + 4096);
      expect(s.firstFit(0, 4097, 0)).toBeUndefined(); // the tail gap is one page too
      expect(s.firstFit(min + 4096 * 501, 4096, 4095)).toBe(min + 4096 * 501);
      expect(s.firstFit(min + 4096 * 500, 4096, 8191)).toBeUndefined(); // odd pages are free, even mapped
      s.unlink(es[n - 1] as VmMapEntry);
      expect(s.firstFit(0, 4097, 0)).toBe(P52 - 3 * 4096);
      expect(s.floor(P52 - 1)).toBe(es[n - 2]);
    });

    it("is O(log n) without alignment: many small gaps, one large one at the end", () => {
      const n = 50000;
      const ranges = Array.from({ length: n }, (_, i) => [i * 10 + 1, i * 10 + 10] as const);
      const { s } = of(0, n * 10 + 1000, ranges);
      expect(s.firstFit(0, 2, 0)).toBe(n * 10);
      expect(s.firstFit(0, 1, 0)).toBe(0);
      expect(s.firstFit(12345, 1, 0)).toBe(12350);
    });
  });

  describe("lowestHole", () => {
    it("tracks the end of the gap-free run from min", () => {
      expect(of(100, 1000, [[101, 200]]).s.lowestHole()).toBe(100);
      expect(of(100, 1000, [[100, 200]]).s.lowestHole()).toBe(200);
      expect(of(100, 1000, [[100, 200], [200, 300], [301, 400]]).s.lowestHole()).toBe(300);
      expect(of(100, 1000, [[100, 200], [200, 1000]]).s.lowestHole()).toBe(1000);
      expect(of(100, 1000, [[100, 200], [200, 999]]).s.lowestHole()).toBe(999);
    });

    it("finds a hole deep in a long gap-free run", () => {
      const n = 2000;
      const ranges = Array.from({ length: n }, (_, i) => [i * 10, i * 10 + (i === 1234 ? 9 : 10)] as const);
      const { s } = of(0, n * 10 + 5, ranges);
      expect(s.lowestHole()).toBe(12349);
      const t = of(0, n * 10 + 5, Array.from({ length: n }, (_, i) => [i * 10, i * 10 + 10] as const)).s;
      expect(t.lowestHole()).toBe(n * 10);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Property test against a naive sorted-array model.

interface Op {
  kind: number; // 0..1 insert, 2 unlink, 3 setRange
  a: number;
  b: number;
  c: number;
}

const MASKS = [0, 0, 1, 3, 7, 15, 63, 2 ** 20 - 1, 2 ** 51 - 1, P52 - 1];

function alignUp(x: number, align: number): number {
  return Math.ceil(x / align) * align;
}

class Model {
  /** Sorted by start. */
  readonly es: VmMapEntry[] = [];
  /** covered[i] = 1 iff min + i is mapped; prefix[i] = sum(covered[0..i)). */
  private prefix = new Int32Array(1);
  constructor(readonly min: number, readonly max: number) {}

  rebuild(): void {
    const span = this.max - this.min;
    const covered = new Uint8Array(span);
    for (const e of this.es) covered.fill(1, e.start - this.min, e.end - this.min);
    this.prefix = new Int32Array(span + 1);
    for (let i = 0; i < span; i++) this.prefix[i + 1] = (this.prefix[i] ?? 0) + (covered[i] ?? 0);
  }

  private free(a: number, size: number): boolean {
    const i = a - this.min;
    return (this.prefix[i + size] ?? -1) - (this.prefix[i] ?? -1) === 0;
  }

  floor(addr: number): VmMapEntry | undefined {
    let best: VmMapEntry | undefined;
    for (const e of this.es) if (e.start <= addr) best = e;
    return best;
  }

  firstFit(lower: number, size: number, mask: number): number | undefined {
    const align = mask + 1;
    for (let a = alignUp(Math.max(lower, this.min), align); a + size <= this.max; a += align) {
      if (this.free(a, size)) return a;
    }
    return undefined;
  }

  lowestHole(): number {
    for (let a = this.min; a < this.max; a++) if (this.free(a, 1)) return a;
    return this.max;
  }
}

function applyOp(s: BTreeEntryStore, m: Model, op: Op): void {
  const es = m.es;
  const prevEnd = (i: number) => (i === 0 ? m.min : (es[i - 1] as VmMapEntry).end);
  const nextStart = (i: number) => (i === es.length ? m.max : (es[i] as VmMapEntry).start);
  if (op.kind <= 1 || es.length === 0) {
    // Insert into the (a mod k)-th non-empty gap.
    const gaps: number[] = [];
    for (let i = 0; i <= es.length; i++) if (nextStart(i) > prevEnd(i)) gaps.push(i);
    if (gaps.length === 0) return;
    const i = gaps[op.a % gaps.length] as number;
    const lo = prevEnd(i);
    const hi = nextStart(i);
    const start = lo + (op.b % (hi - lo));
    const end = start + 1 + (op.c % (hi - start));
    const e = mk(start, end);
    s.insertAfter(i === 0 ? s.header : (es[i - 1] as VmMapEntry), e);
    es.splice(i, 0, e);
  } else if (op.kind === 2) {
    const i = op.a % es.length;
    s.unlink(es[i] as VmMapEntry);
    es.splice(i, 1);
  } else {
    const i = op.a % es.length;
    const lo = prevEnd(i);
    const hi = nextStart(i + 1);
    const start = lo + (op.b % (hi - lo));
    const end = start + 1 + (op.c % (hi - start));
    s.setRange(es[i] as VmMapEntry, start, end);
  }
}

function check(s: BTreeEntryStore, m: Model, op: Op): void {
  expect(s.validate()).toBeUndefined();
  expect(s.nentries).toBe(m.es.length);
  expect(listRanges(s)).toEqual(m.es.map((e) => [e.start, e.end]));
  m.rebuild();

  const probes = [m.min - 1, m.min, m.max - 1, m.max, m.min + (op.a % (m.max - m.min + 1))];
  for (const e of m.es) probes.push(e.start - 1, e.start, e.end - 1, e.end);
  for (const p of probes) expect(s.floor(p)).toBe(m.floor(p) ?? s.header);

  const span = m.max - m.min;
  const queries: Array<[number, number, number]> = [
    [m.min, 1, 0],
    [0, 1 + (op.b % span), 0],
    [m.min + (op.a % (span + 2)) - 1, 1 + (op.c % span), 0],
    [m.min + (op.c % (span + 1)), 1 + (op.a % 16), MASKS[op.b % MASKS.length] as number],
    [m.min, 1 + (op.c % 8), MASKS[op.a % MASKS.length] as number],
  ];
  for (const [lower, size, mask] of queries) {
    expect(s.firstFit(lower, size, mask), `firstFit(${lower}, ${size}, ${mask})`).toBe(
      m.firstFit(lower, size, mask),
    );
  }
  expect(s.lowestHole()).toBe(m.lowestHole());
}

describe("BTreeEntryStore: model-based property", () => {
  it("matches a naive sorted array under random insert/unlink/setRange", () => {
    const opArb = fc.record({
      kind: fc.nat(3),
      a: fc.nat(1 << 20),
      b: fc.nat(1 << 20),
      c: fc.nat(1 << 20),
    });
    fc.assert(
      fc.property(
        fc.constantFrom("zero", "offset", "odd", "top", "high"),
        fc.constantFrom([4, 4], [5, 4], [4, 7], [6, 6], [8, 32]),
        fc.integer({ min: 1, max: 160 }),
        fc.array(opArb, { maxLength: 60 }),
        (where, [leafOrder, innerOrder], span, ops) => {
          const min = { zero: 0, offset: 4097, odd: 12345, top: P52 - span, high: P52 - 4096 }[where];
          const s = new BTreeEntryStore(min, min + span, { leafOrder, innerOrder });
          const m = new Model(min, min + span);
          check(s, m, { kind: 0, a: 0, b: 0, c: 0 });
          for (const op of ops) {
            applyOp(s, m, op);
            check(s, m, op);
          }
        },
      ),
      { numRuns: 250 },
    );
  });

  // order 0: the default orders.
  for (const order of [4, 0]) {
    it(`stays consistent over a long random run with many entries (order ${order || "default"})`, () => {
      // Deterministic LCG so failures reproduce; validate() is O(n), so check periodically.
      let seed = 12345 + order;
      const rnd = (k: number) => {
        seed = (seed * 48271) % 2147483647; // Park-Miller: products stay below 2^53
        return seed % k;
      };
      const span = 1 << 22;
      const s = new BTreeEntryStore(0, span, order === 0 ? {} : opts(order));
      const m = new Model(0, span);
      let peak = 0;
      for (let step = 0; step < 12000; step++) {
        const kind = step < 6000 ? rnd(2) : rnd(4);
        applyOp(s, m, { kind, a: rnd(1 << 30), b: rnd(1 << 30), c: rnd(1 << 6) });
        peak = Math.max(peak, m.es.length);
        if (step % 1000 === 999) {
          expect(s.validate()).toBeUndefined();
          expect(listRanges(s)).toEqual(m.es.map((e) => [e.start, e.end]));
          // Reference first fit over gaps (address scan would be too slow at this span).
          for (const [size, mask] of [[1, 0], [50, 0], [200, 0], [64, 63], [4096, 4095]] as const) {
            let want: number | undefined;
            let gs = 0;
            for (let i = 0; i <= m.es.length && want === undefined; i++) {
              const ge = i === m.es.length ? span : (m.es[i] as VmMapEntry).start;
              const a = alignUp(gs, mask + 1);
              if (a + size <= ge) want = a;
              if (i < m.es.length) gs = (m.es[i] as VmMapEntry).end;
            }
            expect(s.firstFit(0, size, mask)).toBe(want);
          }
          for (let k = 0; k < 50; k++) {
            const a = rnd(span);
            expect(s.floor(a)).toBe(m.floor(a) ?? s.header);
          }
        }
      }
      expect(s.nentries).toBeGreaterThan(100);
      // Nodes but the two ends of each level hold >= order/2 slots: depth is logarithmic (in
      // the largest size reached).
      const t = guts(s);
      const minFill = Math.ceil(Math.min(t.leaves.order, t.inner.order) / 2);
      expect(t.height).toBeLessThanOrEqual(2 + Math.ceil(Math.log(peak) / Math.log(minFill)));
      if (order === 4) expect(t.height).toBeGreaterThanOrEqual(4);
      // Draining it releases every node but the root.
      for (const e of [...m.es]) s.unlink(e);
      expect(s.validate()).toBeUndefined();
      expect(t.height).toBe(0);
      expect(nodesInUse(s)).toBe(1);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// validate() must be able to report each kind of corruption.

describe("BTreeEntryStore: validate detects corruption", () => {
  /**
   * 40 entries with distinct gaps in a tree of order 4, inserted in a scrambled order so that
   * nodes are not all full: three or more levels.
   */
  function fresh() {
    const s = new BTreeEntryStore(0, 4000, opts(4));
    const es: VmMapEntry[] = Array.from({ length: 40 }, (_, i) => mk(100 * i + 10 + i, 100 * i + 80));
    const linked = new Set<number>();
    for (let k = 0; k < 40; k++) {
      const i = (k * 17) % 40;
      let j = i - 1;
      while (j >= 0 && !linked.has(j)) j--;
      s.insertAfter(j < 0 ? s.header : (es[j] as VmMapEntry), es[i] as VmMapEntry);
      linked.add(i);
    }
    expect(s.validate()).toBeUndefined();
    expect(guts(s).height).toBeGreaterThanOrEqual(2);
    const t = guts(s);
    return { s, es, t, L: t.leaves, I: t.inner };
  }
  const at = (es: VmMapEntry[], i: number) => es[i] as VmMapEntry;
  /** A partly filled leaf and an inner node (not the leftmost) just above the leaves, with their slot bases. */
  function pick(s: BTreeEntryStore) {
    const t = guts(s);
    const L = t.leaves;
    const partly = (x: number) => (L.counts[x] as number) >= 2 && (L.counts[x] as number) < L.order;
    const leaf = level(s, t.height).find(partly);
    const node = level(s, t.height - 1)[1];
    if (leaf === undefined || node === undefined) throw new Error("layout lacks a partly filled leaf");
    return { leaf, lb: leaf * L.order, node, nb: node * t.inner.order };
  }
  const bump = (a: Float64Array, i: number, by: number) => {
    a[i] = (a[i] as number) + by;
  };

  // ---- list ----

  it("header range changed", () => {
    const { s } = fresh();
    s.header.end = 999;
    expect(s.validate()).toMatch(/header range/);
  });

  it("header.next.prev broken", () => {
    const { s, es } = fresh();
    at(es, 0).prev = at(es, 1);
    expect(s.validate()).toMatch(/header\.next\.prev/);
  });

  it("broken prev link", () => {
    const { s, es } = fresh();
    at(es, 3).prev = at(es, 1);
    expect(s.validate()).toMatch(/#2 .*next\.prev does not point back/);
  });

  it("broken header.prev", () => {
    const { s, es } = fresh();
    s.header.prev = at(es, 5);
    expect(s.validate()).toMatch(/#39 .*next\.prev does not point back/);
  });

  it("nentries too small (or list not closed)", () => {
    const { s } = fresh();
    s.nentries--;
    expect(s.validate()).toMatch(/more than nentries/);
  });

  it("nentries too large", () => {
    const { s } = fresh();
    s.nentries++;
    expect(s.validate()).toMatch(/nentries is 41 but the list holds 40/);
  });

  it("empty range", () => {
    const { s, es } = fresh();
    at(es, 2).end = at(es, 2).start;
    expect(s.validate()).toMatch(/empty or inverted/);
  });

  it("entry below min", () => {
    const { s } = storeOf(100, 1000, [[100, 200]]);
    s.header.next.start = 50;
    expect(s.validate()).toMatch(/starts below min/);
  });

  it("overlap with predecessor", () => {
    const { s, es } = fresh();
    at(es, 4).start = at(es, 3).end - 1;
    expect(s.validate()).toMatch(/overlaps or precedes/);
  });

  it("entry above max", () => {
    const { s, es } = fresh();
    at(es, 39).end = 4001;
    expect(s.validate()).toMatch(/above max/);
  });

  // ---- list against tree ----

  it("entry range changed behind the store's back (stored start / stored gap)", () => {
    const { s, es } = fresh();
    at(es, 7).start += 1;
    expect(s.validate()).toMatch(/stored start \d+ differs from the entry's start/);
    const f = fresh();
    at(f.es, 7).end -= 1; // entry 8's gap grows
    expect(f.s.validate()).toMatch(/stored gap 38, expected 39/);
  });

  it("tree order differs from list order", () => {
    const { s, L } = fresh();
    const { lb } = pick(s);
    const a = L.refs[lb];
    L.refs[lb] = L.refs[lb + 1] as VmMapEntry;
    L.refs[lb + 1] = a as VmMapEntry;
    expect(s.validate()).toMatch(/tree order differs from list order/);
  });

  it("list entry missing from the tree", () => {
    const { s } = storeOf(0, 1000, [[100, 200], [300, 400], [500, 600]]);
    const t = guts(s);
    const b = t.rootId * t.leaves.order + 2;
    t.leaves.keys[b] = NaN;
    t.leaves.gaps[b] = NaN;
    t.leaves.refs[b] = null;
    t.leaves.counts[t.rootId] = 2;
    expect(s.validate()).toMatch(/list entry \[500, 600\) is missing from the tree/);
  });

  it("tree entry missing from the list", () => {
    const { s, es } = fresh();
    const last = at(es, 39);
    last.prev.next = s.header;
    s.header.prev = last.prev;
    s.nentries--;
    expect(s.validate()).toMatch(/tree order differs from list order .*no more entries/);
  });

  // ---- node contents ----

  it("keys not strictly increasing", () => {
    const { s, L } = fresh();
    const { lb } = pick(s);
    L.keys[lb + 1] = L.keys[lb] as number;
    expect(s.validate()).toMatch(/leaf \d+ at depth \d+: keys not strictly increasing at slot 1/);
    const f = fresh();
    const p = pick(f.s);
    f.I.keys[p.nb + 1] = f.I.keys[p.nb] as number;
    expect(f.s.validate()).toMatch(/inner node \d+ at depth \d+: keys not strictly increasing at slot 1/);
  });

  it("separator key differs from the child's first key", () => {
    const { s, I } = fresh();
    const { nb } = pick(s);
    bump(I.keys, nb + 1, -1);
    expect(s.validate()).toMatch(/separator key \d+ differs from its child's first key/);
  });

  it("wrong max gap, too large or too small", () => {
    const { s, I } = fresh();
    const { nb } = pick(s);
    bump(I.gaps, nb, 1);
    expect(s.validate()).toMatch(/max gap \d+, expected \d+/);
    const f = fresh();
    f.I.gaps[pick(f.s).nb + 1] = 0;
    expect(f.s.validate()).toMatch(/max gap 0, expected \d+/);
    const g = fresh();
    bump(g.I.gaps, g.t.rootId * g.I.order, -1); // at the root
    expect(g.s.validate()).toMatch(/inner node \d+ at depth 0 slot 0: max gap/);
  });

  it("wrong gap stored in a leaf", () => {
    const { s, L } = fresh();
    bump(L.gaps, pick(s).lb + 1, 1);
    expect(s.validate()).toMatch(/stored gap/);
  });

  it("slot past the count not cleared (so an entry would be kept alive)", () => {
    const { s, L } = fresh();
    const { leaf, lb } = pick(s);
    L.refs[lb + (L.counts[leaf] as number)] = mk(0, 1);
    expect(s.validate()).toMatch(/leaf \d+ at depth \d+: slot \d+ past the count \d+ is not cleared/);
    const f = fresh();
    const p = pick(f.s);
    f.L.keys[p.lb + (f.L.counts[p.leaf] as number)] = 1e9;
    expect(f.s.validate()).toMatch(/past the count/);
    const g = fresh();
    const root = g.t.rootId;
    g.I.gaps[root * g.I.order + (g.I.counts[root] as number)] = 0;
    expect(g.s.validate()).toMatch(/inner node \d+ at depth 0: slot \d+ past the count/);
  });

  it("count out of bounds", () => {
    const { s, L } = fresh();
    L.counts[pick(s).leaf] = 0;
    expect(s.validate()).toMatch(/leaf \d+ at depth \d+ holds 0 slots, outside \[[12], 4\]/);
    const f = fresh();
    f.L.counts[pick(f.s).leaf] = 5;
    expect(f.s.validate()).toMatch(/holds 5 slots, outside \[[12], 4\]/);
  });

  it("inner root with a single child", () => {
    const { s, t, I } = fresh();
    const r = t.rootId * I.order;
    // Drop every child but the first from the root (their subtrees become unreachable).
    for (let k = 1; k < I.order; k++) {
      I.keys[r + k] = NaN;
      I.gaps[r + k] = NaN;
      I.refs[r + k] = null;
    }
    I.counts[t.rootId] = 1;
    expect(s.validate()).toMatch(/inner node \d+ at depth 0 holds 1 slots, outside \[2, 4\]/);
  });

  it("interior node below the minimum fill (an underflow left alone)", () => {
    const { s, es, L, I } = fresh();
    // Unlink with rebalancing disabled, then restore the thresholds.
    L.minFill = 0;
    I.minFill = 0;
    for (let i = 4; i < 36; i++) if (i % 5 !== 0) s.unlink(at(es, i));
    L.minFill = 2;
    I.minFill = 2;
    expect(s.validate()).toMatch(/(leaf|inner node) \d+ at depth [1-9] holds 1 slots, outside \[2, 4\]/);
  });

  it("inner slot that does not hold a node id", () => {
    const { s, I } = fresh();
    I.refs[pick(s).nb] = s.header.next;
    expect(s.validate()).toMatch(/slot 0 does not hold a node id/);
  });

  // ---- arenas ----

  it("child id out of range", () => {
    const { s, L, I } = fresh();
    I.refs[pick(s).nb] = L.used;
    expect(s.validate()).toMatch(/leaf id \d+ at depth \d+ is out of range/);
  });

  it("node reachable twice", () => {
    const { s, I } = fresh();
    const { nb } = pick(s);
    I.refs[nb + 1] = I.refs[nb] as number;
    expect(s.validate()).toMatch(/leaf \d+ is reachable twice/);
  });

  it("node in the tree and on the free list", () => {
    const { s, L, I } = fresh();
    const { leaf, nb } = pick(s);
    L.freeIds.push(leaf);
    // Free nodes must look empty, so that check fires before the tree walk.
    expect(s.validate()).toMatch(/leaf arena: free node \d+ has count/);
    L.freeIds.pop();
    // An empty free node that the tree points to.
    L.grow(L.capacity + 1);
    const id = L.used;
    L.used++;
    L.freeIds.push(id);
    I.refs[nb] = id;
    expect(s.validate()).toMatch(/leaf \d+ at depth \d+ is on the free list/);
  });

  it("free list damage", () => {
    const { s, es, L } = fresh();
    for (let i = 0; i < 20; i++) s.unlink(at(es, i));
    expect(s.validate()).toBeUndefined();
    expect(L.freeIds.length).toBeGreaterThan(0);
    const id = L.freeIds[0] as number;
    L.freeIds.push(id);
    expect(s.validate()).toMatch(/leaf arena: node \d+ is on the free list twice/);
    L.freeIds.pop();
    L.keys[id * L.order] = 5;
    expect(s.validate()).toMatch(/leaf arena: free node \d+ slot 0 is not cleared/);
    L.keys[id * L.order] = NaN;
    L.freeIds.push(L.used + 3);
    expect(s.validate()).toMatch(/leaf arena: free id \d+ out of range/);
    L.freeIds.pop();
    expect(s.validate()).toBeUndefined();
  });

  it("leaked node (neither in the tree nor free)", () => {
    const { s, L, I } = fresh();
    for (const [a, name] of [[L, "leaf"], [I, "inner"]] as const) {
      a.grow(a.capacity + 1); // room for an id to leak
      a.used++;
      const leak = new RegExp(`${name} arena: 1 node\\(s\\) are neither in the tree nor free`);
      expect(s.validate()).toMatch(leak);
      a.used--;
    }
    expect(s.validate()).toBeUndefined();
  });

  it("stale cursor (the recorded path does not lead to the finger leaf)", () => {
    const { s, es, t } = fresh();
    expect(s.floor(at(es, 20).start)).toBe(at(es, 20));
    expect(t.finger).toBeGreaterThanOrEqual(0);
    const d = t.height - 1; // the level just above the leaves
    const slot = t.pathSlot[d] as number;
    t.pathSlot[d] = slot === 0 ? 1 : 0;
    expect(s.validate()).toMatch(/cursor: recorded path leads to leaf \d+, not to the finger/);
    t.pathSlot[0] = 99;
    expect(s.validate()).toMatch(/cursor: recorded path is stale at depth 0/);
    t.finger = -1; // no finger: the path is not used
    expect(s.validate()).toBeUndefined();
  });

  it("height and array sizes", () => {
    const { s, t } = fresh();
    t.height = -1;
    expect(s.validate()).toMatch(/height -1 out of range/);
    const f = fresh();
    f.t.height--; // inner nodes taken for leaves
    expect(f.s.validate()).toMatch(/^tree/); // the walk runs before the cursor check
    const g = fresh();
    g.L.counts = new Int32Array(1);
    expect(g.s.validate()).toMatch(/leaf arena: array sizes/);
    const h = fresh();
    h.I.keys = new Float64Array(3);
    expect(h.s.validate()).toMatch(/inner arena: array sizes/);
  });
});
