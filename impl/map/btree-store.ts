/**
 * A cache-friendly index of a map's entries: the circular list through the header (what the
 * kernel walks) plus a B+tree over the same entries, keyed by `start`, with the same API and
 * semantics as `EntryStore` (entry-store.ts) but none of its intrusive tree fields: the AVL
 * fields of `VmMapEntry` (left/right/parent/height/gapBefore/maxGap) are never read or written.
 *
 * Layout. Nodes live in two arenas of parallel arrays, one for leaves and one for inner nodes,
 * each with a fixed number of slots per node (its order B); node `x` of an arena owns slots
 * [x·B, x·B + B) of every array:
 *   - `keys` (Float64Array): in a leaf, the start of the entry in that slot; in an inner node,
 *     the smallest start in that child's subtree (the child's first key, kept exact);
 *   - `gaps` (Float64Array): in a leaf, the free bytes before that entry (its start minus the
 *     previous entry's end, or minus min for the first); in an inner node, the largest such gap
 *     in that child's subtree. The tail gap (max - last end) is in no node: it is read from the
 *     last entry;
 *   - `refs` (plain array): in a leaf, the entry; in an inner node, the child's leaf or inner id;
 *   - `counts` (Int32Array): slots in use, a prefix of the node.
 * Slots past the count are padding: key NaN, gap NaN, ref null. NaN compares false with
 * everything, so a lookup can binary-search a node's full B keys without first loading its
 * count (`key <= x` stays a monotone predicate, even for x = ±Infinity or NaN), no gap test
 * can match a padding slot, and freed nodes hold no entries alive.
 *
 * Leaves are small (default 8 slots: the keys of a leaf span one or two cache lines, and so do
 * its refs, which floor() loads together with the keys so that the two misses overlap) and inner
 * nodes wide (default 32), so the inner levels of a million-entry map fit in the caches and a
 * random lookup touches about two uncached lines besides the entry it returns. It never
 * dereferences an entry except the one it returns.
 *
 * Fill. Classic B+tree bounds with one relaxation: every node holds at most B slots; the
 * leftmost and the rightmost node of each level hold at least one (a leaf root may be empty, an
 * inner root holds at least two); every other node holds at least ⌈B/2⌉. An interior node that
 * drops below ⌈B/2⌉ borrows a slot from a sibling that can spare one, or else merges with it.
 * Splits are even, except that an overflow at the far end of the rightmost node of a level (or
 * the far start of the leftmost) leaves the full part full and starts a new end node with one
 * slot: sequential appends, the common way a map grows, fill every node but the ends to B.
 * The root splits only when full, so the height is logarithmic in the largest size the map
 * has had (deletions thin out the two end spines but never deepen the tree).
 *
 * Locating an entry is a key search on its `start` (O(log n)), so `setRange` searches with the
 * old start before storing the new one. Traversals keep the root-to-leaf path in two small typed
 * arrays instead of parent pointers; the last path stays valid until a split, merge or borrow,
 * so a search for a key inside the leaf it leads to (the "finger") costs one leaf search: floor
 * followed by unlink/setRange/insertAfter near the result, as remove and protect do, descends
 * once.
 *
 * Addresses go up to 2^52: plain float arithmetic on integers below 2^53 (exact), no 32-bit
 * bitwise operators on addresses (only on slot indexes). The end of an entry's predecessor is
 * recovered as `start - gap` from the leaf instead of loading the predecessor (unlink,
 * setRange, firstFit, lowestHole; EntryStore's firstFit does the same with gapBefore), which
 * is exact for such integers. floor, firstFit and lowestHole allocate nothing;
 * insertAfter/unlink/setRange allocate only when an arena grows.
 */
import { newHeader, type VmMapEntry } from "./entry.ts";

/** Default slots per leaf and per inner node. */
const DEFAULT_LEAF_ORDER = 8;
const DEFAULT_INNER_ORDER = 32;
/** Smallest and largest accepted order (the test-only constructor options). */
const MIN_ORDER = 4;
const MAX_ORDER = 1024;
/** Deepest tree supported (a depth of 64 needs more entries than fit in memory, even at B = 4). */
const MAX_DEPTH = 64;
/** "No node". */
const NONE = -1;
/** Smallest positive double: `gap >= TINY` is `gap > 0` for non-negative gaps. */
const TINY = Number.MIN_VALUE;

type Ref = VmMapEntry | number;

/** Smallest multiple of `align` (a power of two) that is >= x. Exact for x < 2^53. */
function alignUp(x: number, align: number): number {
  return align === 1 ? x : Math.ceil(x / align) * align;
}

/**
 * Number of keys among k[base .. base + n) that are <= x (n >= 1; keys ascending, then NaN
 * padding). Branch-free binary search: the loop runs ceil(log2 n) times whatever the data, and
 * each step adds `h & -(bit)` instead of branching on the comparison, which a random lookup
 * would mispredict half the time (this is several times faster than the branchy version).
 */
function upperBound(k: Float64Array, base: number, n: number, x: number): number {
  let lo = 0;
  let len = n;
  while (len > 1) {
    const h = len >>> 1;
    lo += h & -((k[base + lo + h] as number) <= x);
    len -= h;
  }
  return lo + +((k[base + lo] as number) <= x);
}

/** First i in [from, n) with g[base + i] >= size, or -1. */
function firstGapAtLeast(g: Float64Array, base: number, from: number, n: number, size: number): number {
  for (let i = from; i < n; i++) if ((g[base + i] as number) >= size) return i;
  return -1;
}

/** Shared zero-length arrays: an arena's arrays before it first grows (never written). */
const EMPTY_F64 = new Float64Array(0);
const EMPTY_I32 = new Int32Array(0);

/** Fixed-size nodes of one kind (leaves or inner nodes) in parallel arrays; see the file comment. */
class Arena {
  readonly order: number;
  /** ⌈order/2⌉: the fewest slots a node that is not at the end of its level holds. */
  minFill: number;
  // Empty until the first alloc(): a map that never grows past one leaf never allocates its
  // inner arena (every map creation and fork pays for what it allocates here).
  keys = EMPTY_F64;
  gaps = EMPTY_F64;
  refs: Array<Ref | null> = [];
  counts = EMPTY_I32;
  /** Nodes the arrays have room for; ids below `used` have been handed out at some point. */
  capacity = 0;
  used = 0;
  /** Released node ids, reused before the arena grows. */
  readonly freeIds: number[] = [];

  constructor(order: number) {
    this.order = order;
    this.minFill = Math.ceil(order / 2);
  }

  /** A padded, empty node id. May grow (and so replace) the arrays. */
  alloc(): number {
    const id = this.freeIds.pop();
    if (id !== undefined) return id;
    // Growth by a quarter: amortized O(1) copying, at most 25% of the arena unused. The first
    // growth makes room for one node only (a map's root leaf), small enough for V8 to keep the
    // arrays inside the heap: many maps never need a second node.
    if (this.used === this.capacity) this.grow(this.capacity === 0 ? 1 : Math.ceil(this.capacity * 1.25) + 2);
    return this.used++;
  }

  /** Return an emptied node (its slots are already padding) to the free list. */
  release(x: number): void {
    this.counts[x] = 0;
    this.freeIds.push(x);
  }

  grow(capacity: number): void {
    const order = this.order;
    const oldSlots = this.capacity * order;
    const slots = capacity * order;
    const keys = new Float64Array(slots);
    keys.set(this.keys);
    keys.fill(NaN, oldSlots);
    const gaps = new Float64Array(slots);
    gaps.set(this.gaps);
    gaps.fill(NaN, oldSlots);
    // A copy extended by push keeps packed fast elements at any size (and is several times
    // faster than Array.from with a callback: every new map grows its arena a few times).
    const refs = this.refs.slice(0, oldSlots);
    for (let s = oldSlots; s < slots; s++) refs.push(null);
    const counts = new Int32Array(capacity);
    counts.set(this.counts);
    this.keys = keys;
    this.gaps = gaps;
    this.refs = refs;
    this.counts = counts;
    this.capacity = capacity;
  }

  /** Shift slots [i, count) of x right by one and store (key, gap, ref) in slot i. Needs room. */
  insertSlot(x: number, i: number, key: number, gap: number, ref: Ref): void {
    const keys = this.keys;
    const gaps = this.gaps;
    const refs = this.refs;
    const base = x * this.order;
    const n = this.counts[x] as number;
    for (let s = base + n; s > base + i; s--) {
      keys[s] = keys[s - 1] as number;
      gaps[s] = gaps[s - 1] as number;
      refs[s] = refs[s - 1] as Ref;
    }
    keys[base + i] = key;
    gaps[base + i] = gap;
    refs[base + i] = ref;
    this.counts[x] = n + 1;
  }

  /** Remove slot i of x, shifting the rest left and padding the freed last slot. */
  removeSlot(x: number, i: number): void {
    const keys = this.keys;
    const gaps = this.gaps;
    const refs = this.refs;
    const base = x * this.order;
    const n = (this.counts[x] as number) - 1;
    for (let s = base + i; s < base + n; s++) {
      keys[s] = keys[s + 1] as number;
      gaps[s] = gaps[s + 1] as number;
      refs[s] = refs[s + 1] as Ref;
    }
    keys[base + n] = NaN;
    gaps[base + n] = NaN;
    refs[base + n] = null;
    this.counts[x] = n;
  }

  /** Append slots [from, count) of `src` to `dst` (which has room), padding them in `src`. */
  moveTail(src: number, from: number, dst: number): void {
    const keys = this.keys;
    const gaps = this.gaps;
    const refs = this.refs;
    const order = this.order;
    const sb = src * order;
    const db = dst * order;
    const n = this.counts[src] as number;
    let t = this.counts[dst] as number;
    for (let s = from; s < n; s++, t++) {
      keys[db + t] = keys[sb + s] as number;
      gaps[db + t] = gaps[sb + s] as number;
      refs[db + t] = refs[sb + s] as Ref;
      keys[sb + s] = NaN;
      gaps[sb + s] = NaN;
      refs[sb + s] = null;
    }
    this.counts[dst] = t;
    this.counts[src] = from;
  }

  /** Largest gap in node x (-Infinity when it is empty). */
  maxGap(x: number): number {
    const gaps = this.gaps;
    const base = x * this.order;
    const n = this.counts[x] as number;
    let m = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = gaps[base + i] as number;
      if (v > m) m = v;
    }
    return m;
  }

  // Stryker disable all: the structural checker (validate and its helpers) is the oracle that the search-tree invariant runs, not the implementation; its failure branches are shown to fire by the corruption tests
  /** First slot >= from of x that is not padding, or -1. */
  firstDirtySlot(x: number, from: number): number {
    const base = x * this.order;
    for (let s = from; s < this.order; s++) {
      const k = this.keys[base + s] as number;
      const g = this.gaps[base + s] as number;
      if (k === k || g === g || this.refs[base + s] !== null) return s;
    }
    return -1;
  }

  /** Consistency of the arrays and the free list; marks free ids with 2 in `mark`. */
  checkFree(name: string, mark: Uint8Array): string | undefined {
    const order = this.order;
    const cap = this.capacity;
    if (
      this.keys.length !== cap * order || this.gaps.length !== cap * order ||
      this.refs.length !== cap * order || this.counts.length !== cap || !(this.used <= cap)
    ) {
      return `${name} arena: array sizes do not match capacity ${cap} x order ${order} (used ${this.used})`;
    }
    for (const id of this.freeIds) {
      if (!(Number.isInteger(id) && id >= 0 && id < this.used)) {
        return `${name} arena: free id ${id} out of range`;
      }
      if (mark[id] !== 0) return `${name} arena: node ${id} is on the free list twice`;
      mark[id] = 2;
      if (this.counts[id] !== 0) return `${name} arena: free node ${id} has count ${this.counts[id]}`;
      const dirty = this.firstDirtySlot(id, 0);
      if (dirty >= 0) return `${name} arena: free node ${id} slot ${dirty} is not cleared`;
    }
    return undefined;
  }
  // Stryker restore all
}

/** Test-only tuning. */
export interface BTreeStoreOptions {
  /** Slots per leaf, 4..1024; default 8. */
  leafOrder?: number | undefined;
  /** Slots per inner node, 4..1024; default 32. Small values force deep trees in tests. */
  innerOrder?: number | undefined;
}

function checkOrder(what: string, order: number): number {
  if (!Number.isInteger(order) || order < MIN_ORDER || order > MAX_ORDER) {
    throw new RangeError(
      `BTreeEntryStore: ${what} ${order} is not an integer in [${MIN_ORDER}, ${MAX_ORDER}]`,
    );
  }
  return order;
}

export class BTreeEntryStore {
  readonly header: VmMapEntry;
  nentries = 0;
  private readonly min: number;
  private readonly max: number;
  private readonly leaves: Arena;
  private readonly inner: Arena;
  /** Root node id (a leaf id when height = 0, else an inner id). */
  private rootId: number;
  /** Inner levels above the leaves. */
  private height = 0;
  /** Levels of inner nodes above the leaves (0 while the root is a leaf). */
  get depth(): number {
    return this.height;
  }

  // ---- cursor: the root-to-leaf path of the last descent ----
  /** pathNode[d] is the inner node at depth d on the path, pathSlot[d] the child slot taken. */
  // Plain arrays of small integers, not Int32Arrays: as fast, and a typed array of this size
  // lives outside the heap, which made creating a map (every create and fork) several times
  // slower than everything else it does.
  private readonly pathNode: number[] = new Array<number>(MAX_DEPTH).fill(0);
  private readonly pathSlot: number[] = new Array<number>(MAX_DEPTH).fill(0);
  /**
   * The leaf that path leads to, or NONE once a structural change (split, merge, borrow, root
   * change) may have invalidated it. While it is valid, seek() for a key within that leaf's key
   * range skips the descent: the usual floor + unlink / setRange / insertAfter sequences all
   * work in one leaf.
   */
  private finger = NONE;
  /** Slot in the leaf of the greatest key <= the sought key (-1 if none), set by seek(). */
  private slot = -1;

  constructor(min: number, max: number, options: BTreeStoreOptions = {}) {
    if (!(min <= max)) throw new RangeError(`BTreeEntryStore: min ${min} > max ${max}`);
    this.min = min;
    this.max = max;
    this.leaves = new Arena(checkOrder("leafOrder", options.leafOrder ?? DEFAULT_LEAF_ORDER));
    this.inner = new Arena(checkOrder("innerOrder", options.innerOrder ?? DEFAULT_INNER_ORDER));
    this.header = newHeader(min, max);
    this.rootId = this.leaves.alloc();
  }

  /**
   * Link `e` (detached, with its final range) right after `after` (an entry of this store, or
   * the header to make `e` the first entry). The caller guarantees order and non-overlap.
   */
  insertAfter(after: VmMapEntry, e: VmMapEntry): void {
    const header = this.header;
    const next = after.next;
    e.prev = after;
    e.next = next;
    after.next = e;
    next.prev = e;
    this.nentries++;

    const start = e.start;
    const gap = start - (after === header ? this.min : after.end);
    // e goes right after `after`'s slot (slot 0 of the first leaf for the header), and since
    // after.start < e.start < next.start, that is the slot after floor(e.start).
    let leaf = this.seek(start);
    let pos = this.slot + 1;
    if (next !== header) {
      // The successor's gap shrinks to next.start - e.end (its start read from the leaf, which
      // is already in cache, rather than from the entry).
      const leaves = this.leaves;
      const b = leaf * leaves.order + pos;
      if (pos < (leaves.counts[leaf] as number)) {
        leaves.gaps[b] = (leaves.keys[b] as number) - e.end;
      } else {
        // It is the first slot of the next leaf: fix it on its own path, then come back.
        this.updateGap(next.start, next.start - e.end);
        leaf = this.seek(start);
        pos = this.slot + 1;
      }
    }
    this.insertAt(leaf, pos, start, gap, e);
  }

  /**
   * Unlink `e` (an entry of this store); its predecessor's end now bounds its successor's gap.
   * Like EntryStore, leaves e.prev / e.next as they were.
   */
  unlink(e: VmMapEntry): void {
    const header = this.header;
    const prev = e.prev;
    const next = e.next;
    prev.next = next;
    next.prev = prev;
    this.nentries--;

    const leaves = this.leaves;
    const leaf = this.seek(e.start);
    const slot = this.slot;
    const b = leaf * leaves.order + slot;
    // The predecessor's end (or min) is e's start minus e's gap: no need to load the entry.
    const prevEnd = (leaves.keys[b] as number) - (leaves.gaps[b] as number);
    let deferred = false;
    if (next !== header) {
      if (slot + 1 < (leaves.counts[leaf] as number)) {
        leaves.gaps[b + 1] = (leaves.keys[b + 1] as number) - prevEnd;
      } else {
        deferred = true; // the successor heads the next leaf: fix it once e is out
      }
    }
    this.removeAt(leaf, slot);
    if (deferred) this.updateGap(next.start, next.start - prevEnd);
  }

  /**
   * Change the range of `e` (an entry of this store) to [start, end). The caller keeps it
   * ordered and disjoint from its neighbours; gaps before `e` and its successor follow.
   */
  setRange(e: VmMapEntry, start: number, end: number): void {
    const header = this.header;
    const leaves = this.leaves;
    // Find e by its old start, then store the new one.
    const leaf = this.seek(e.start);
    const slot = this.slot;
    e.start = start;
    e.end = end;
    const b = leaf * leaves.order + slot;
    // The predecessor's end (or min) is the old start minus the old gap.
    const prevEnd = (leaves.keys[b] as number) - (leaves.gaps[b] as number);
    leaves.keys[b] = start;
    leaves.gaps[b] = start - prevEnd;
    const next = e.next;
    let deferred = false;
    if (next !== header) {
      if (slot + 1 < (leaves.counts[leaf] as number)) {
        leaves.gaps[b + 1] = (leaves.keys[b + 1] as number) - end;
      } else {
        deferred = true; // the successor heads the next leaf
      }
    }
    this.refreshPath(leaf);
    if (deferred) this.updateGap(next.start, next.start - end);
  }

  /** The entry with the greatest start <= addr, or the header when there is none. */
  floor(addr: number): VmMapEntry {
    const f = this.finger;
    if (f !== NONE) {
      // A lookup near the last one (the next entry, a page further on) stays in the finger
      // leaf, whose keys are still cached: one leaf search, no descent.
      const leaves = this.leaves;
      const b = f * leaves.order;
      const n = leaves.counts[f] as number;
      if (n > 0 && (leaves.keys[b] as number) <= addr && addr <= (leaves.keys[b + n - 1] as number)) {
        return leaves.refs[b + upperBound(leaves.keys, b, leaves.order, addr) - 1] as VmMapEntry;
      }
    }
    let x = this.rootId;
    if (this.height > 0) {
      const inner = this.inner;
      const order = inner.order;
      const keys = inner.keys;
      const refs = inner.refs;
      const counts = inner.counts;
      const pathNode = this.pathNode;
      const pathSlot = this.pathSlot;
      for (let d = 0; d < this.height; d++) {
        const base = x * order;
        // Inner counts are few and stay cached: searching only the used slots is cheaper.
        const i = upperBound(keys, base, counts[x] as number, addr) - 1;
        // Keys are the exact subtree minimums, so this only happens at the root (before any
        // of the path is overwritten).
        if (i < 0) return this.header;
        // Record the path (stores off the critical path): an unlink or setRange of the
        // result then needs no descent of its own.
        pathNode[d] = x;
        pathSlot[d] = i;
        x = refs[base + i] as number;
      }
    }
    this.finger = x;
    const leaves = this.leaves;
    const order = leaves.order;
    const refs = leaves.refs;
    const base = x * order;
    // Load both ends of the leaf's refs before searching its keys, so that the cache misses on
    // the refs overlap the one on the keys instead of following it.
    const first = refs[base];
    const last = refs[base + order - 1];
    const i = upperBound(leaves.keys, base, order, addr) - 1;
    if (i <= 0) return i === 0 ? (first as VmMapEntry) : this.header;
    return (i === order - 1 ? last : refs[base + i]) as VmMapEntry;
  }

  /**
   * Lowest address a >= max(lower, min) that is a multiple of mask + 1 (a power of two) with
   * [a, a + size) free and below max, or undefined.
   */
  firstFit(lower: number, size: number, mask: number): number | undefined {
    const header = this.header;
    const max = this.max;
    const leaves = this.leaves;
    const order = leaves.order;
    const align = mask + 1;
    const lo = lower < this.min ? this.min : lower;
    if (lo > max) return undefined;

    // The gap that contains lo (or the first one after it) is the one before the slot after
    // floor(lo), or the tail gap (leaf = NONE). It may be clipped by lo, so it is tried
    // directly; every later gap lies wholly above lo and is found through the max-gap keys.
    let leaf = this.seek(lo);
    let j = this.slot + 1;
    if (j === leaves.counts[leaf]) {
      leaf = this.nextLeaf(-Infinity);
      j = 0;
    }
    // If no gap in the tree reaches size, only that first gap and the tail gap can fit.
    const scan = this.treeMaxGap() >= size;
    for (;;) {
      let gs: number;
      let ge: number;
      if (leaf === NONE) {
        const last = header.prev;
        gs = last === header ? this.min : last.end;
        ge = max;
      } else {
        const b = leaf * order + j;
        ge = leaves.keys[b] as number;
        gs = ge - (leaves.gaps[b] as number);
      }
      // Compare by difference: a + size could exceed 2^53 and round.
      const a = alignUp(gs > lo ? gs : lo, align);
      if (a <= ge && ge - a >= size) return a;
      if (leaf === NONE) return undefined;
      // Without alignment any gap >= size fits, so this runs once; with alignment a gap of
      // size..size+mask may still miss, and candidates are tried in address order.
      j = scan ? firstGapAtLeast(leaves.gaps, leaf * order, j + 1, leaves.counts[leaf] as number, size) : -1;
      if (j < 0) {
        leaf = scan ? this.nextLeaf(size) : NONE;
        if (leaf !== NONE) {
          j = firstGapAtLeast(leaves.gaps, leaf * order, 0, leaves.counts[leaf] as number, size);
        }
      }
    }
  }

  /**
   * Start of the lowest free byte at or above min: min if the first entry does not start there,
   * else the end of the run of adjacent entries from min (max, or the last end, if none).
   */
  lowestHole(): number {
    const header = this.header;
    const first = header.next;
    if (first === header || first.start - this.min > 0) return this.min;
    let x = this.rootId;
    const inner = this.inner;
    for (let d = 0; d < this.height; d++) {
      const base = x * inner.order;
      const i = firstGapAtLeast(inner.gaps, base, 0, inner.counts[x] as number, TINY);
      if (i < 0) return header.prev.end;
      x = inner.refs[base + i] as number;
    }
    const leaves = this.leaves;
    const base = x * leaves.order;
    const i = firstGapAtLeast(leaves.gaps, base, 0, leaves.counts[x] as number, TINY);
    if (i < 0) return header.prev.end;
    return (leaves.keys[base + i] as number) - (leaves.gaps[base + i] as number);
  }

  // Stryker disable all: the structural checker (validate and its helpers) is the oracle that the search-tree invariant runs, not the implementation; its failure branches are shown to fire by the corruption tests
  /** A description of the first inconsistency found, or undefined if the store is sound. */
  validate(): string | undefined {
    const header = this.header;
    const min = this.min;
    const max = this.max;
    if (header.start !== min || header.end !== max) {
      return `header range [${header.start}, ${header.end}) differs from the map bounds [${min}, ${max})`;
    }

    // ---- list ----
    if (header.next.prev !== header) return "header.next.prev is not the header";
    let count = 0;
    let prevEnd = min;
    for (let x = header.next; x !== header; x = x.next) {
      if (++count > this.nentries) {
        return `list holds more than nentries = ${this.nentries} entries (or does not return to the header)`;
      }
      if (x.next.prev !== x) return `${entryWhere(count, x)}: next.prev does not point back to it`;
      if (!(x.start < x.end)) return `${entryWhere(count, x)}: empty or inverted range`;
      if (x.start < prevEnd) {
        return count === 1
          ? `${entryWhere(count, x)} starts below min ${min}`
          : `${entryWhere(count, x)} overlaps or precedes its predecessor, which ends at ${prevEnd}`;
      }
      prevEnd = x.end;
    }
    if (count !== this.nentries) return `nentries is ${this.nentries} but the list holds ${count}`;
    if (prevEnd > max) return `last entry ends at ${prevEnd}, above max ${max}`;

    // ---- arenas ----
    if (!(Number.isInteger(this.height) && this.height >= 0 && this.height < MAX_DEPTH)) {
      return `tree: height ${this.height} out of range`;
    }
    /** Per arena: 0 = not seen, 1 = reached from the root, 2 = on the free list. */
    const walk: Walk = {
      cursor: header.next,
      prevEnd: min,
      leafMark: new Uint8Array(this.leaves.used),
      innerMark: new Uint8Array(this.inner.used),
      leavesReached: 0,
      innerReached: 0,
    };
    const bad = this.leaves.checkFree("leaf", walk.leafMark) ?? this.inner.checkFree("inner", walk.innerMark);
    if (bad !== undefined) return bad;

    // ---- tree: depth-first, in key order, against the list ----
    const problem = this.checkNode(this.rootId, 0, true, true, walk);
    if (problem !== undefined) return problem;
    if (walk.cursor !== header) {
      return `list entry [${walk.cursor.start}, ${walk.cursor.end}) is missing from the tree`;
    }
    for (const [name, arena, reached] of [
      ["leaf", this.leaves, walk.leavesReached],
      ["inner", this.inner, walk.innerReached],
    ] as const) {
      const lost = arena.used - reached - arena.freeIds.length;
      if (lost !== 0) return `${name} arena: ${lost} node(s) are neither in the tree nor free`;
    }

    // ---- cursor ----
    if (this.finger !== NONE) {
      let x = this.rootId;
      for (let d = 0; d < this.height; d++) {
        const p = this.pathNode[d] as number;
        const i = this.pathSlot[d] as number;
        const ok = p === x && i >= 0 && i < (this.inner.counts[p] as number);
        if (!ok) return `cursor: recorded path is stale at depth ${d} but the finger is set`;
        x = this.inner.refs[p * this.inner.order + i] as number;
      }
      if (x !== this.finger) {
        return `cursor: recorded path leads to leaf ${x}, not to the finger ${this.finger}`;
      }
    }
    return undefined;
  }
  // Stryker restore all

  // ---- private: search ----

  /**
   * Descend to the leaf whose range holds `key`, recording the path; `slot` becomes the slot of
   * the greatest key <= `key` there (-1 if `key` is below every key). Returns the leaf. When
   * `key` lies within the keys of the finger leaf, its recorded path is reused instead.
   */
  private seek(key: number): number {
    const leaves = this.leaves;
    const f = this.finger;
    if (f !== NONE) {
      const b = f * leaves.order;
      const n = leaves.counts[f] as number;
      if (n > 0 && (leaves.keys[b] as number) <= key && key <= (leaves.keys[b + n - 1] as number)) {
        this.slot = upperBound(leaves.keys, b, leaves.order, key) - 1;
        return f;
      }
    }
    let x = this.rootId;
    const inner = this.inner;
    const order = inner.order;
    for (let d = 0; d < this.height; d++) {
      const base = x * order;
      let i = upperBound(inner.keys, base, inner.counts[x] as number, key) - 1;
      if (i < 0) i = 0;
      this.pathNode[d] = x;
      this.pathSlot[d] = i;
      x = inner.refs[base + i] as number;
    }
    this.finger = x;
    this.slot = upperBound(leaves.keys, x * leaves.order, leaves.order, key) - 1;
    return x;
  }

  /** Largest gap before any entry (-Infinity when there are none). */
  private treeMaxGap(): number {
    const a = this.arenaAt(0);
    return a.maxGap(this.rootId);
  }

  /**
   * Advance the recorded path to the first leaf after the current one whose subtree max gap is
   * >= size (any leaf for -Infinity) and return it, or NONE if there is none.
   */
  private nextLeaf(size: number): number {
    const inner = this.inner;
    const order = inner.order;
    const gaps = inner.gaps;
    const height = this.height;
    for (let d = height - 1; d >= 0; d--) {
      const p = this.pathNode[d] as number;
      const base = p * order;
      const from = (this.pathSlot[d] as number) + 1;
      const i = firstGapAtLeast(gaps, base, from, inner.counts[p] as number, size);
      if (i < 0) continue;
      this.pathSlot[d] = i;
      let x = inner.refs[base + i] as number;
      for (let e = d + 1; e < height; e++) {
        // The max-gap key above guarantees a child with a large enough gap.
        const xb = x * order;
        const c = firstGapAtLeast(gaps, xb, 0, inner.counts[x] as number, size);
        this.pathNode[e] = x;
        this.pathSlot[e] = c;
        x = inner.refs[xb + c] as number;
      }
      this.finger = x;
      return x;
    }
    return NONE;
  }

  // ---- private: updates ----

  /** The arena of the nodes at depth d. */
  private arenaAt(d: number): Arena {
    return d === this.height ? this.leaves : this.inner;
  }

  /** Set the gap of the entry whose start is `key` and propagate it. */
  private updateGap(key: number, gap: number): void {
    const leaf = this.seek(key);
    this.leaves.gaps[leaf * this.leaves.order + this.slot] = gap;
    this.refreshPath(leaf);
  }

  /**
   * Re-derive the parent keys and max gaps along the recorded path above `leaf` after its
   * slots changed in place (no change of count), stopping as soon as nothing changes.
   */
  private refreshPath(leaf: number): void {
    let x = leaf;
    let a = this.leaves;
    for (let d = this.height - 1; d >= 0; d--) {
      const p = this.pathNode[d] as number;
      if (!this.summarize(p, this.pathSlot[d] as number, x, a)) return;
      x = p;
      a = this.inner;
    }
  }

  /**
   * Store the minimum key and max gap of child `x` (of arena a) in slot i of inner node `p`;
   * true if either changed.
   */
  private summarize(p: number, i: number, x: number, a: Arena): boolean {
    const k = a.keys[x * a.order] as number;
    const g = a.maxGap(x);
    const inner = this.inner;
    const s = p * inner.order + i;
    if (inner.keys[s] === k && inner.gaps[s] === g) return false;
    inner.keys[s] = k;
    inner.gaps[s] = g;
    return true;
  }

  /** Insert (key, gap, e) at slot `pos` of `leaf` (on the recorded path), splitting upward. */
  private insertAt(leaf: number, pos: number, key: number, gap: number, e: VmMapEntry): void {
    const inner = this.inner;
    let a = this.leaves;
    let x = leaf;
    let d = this.height;
    /** New right sibling of x (in arena a), still to be linked into x's parent. */
    let extra = NONE;
    if ((a.counts[leaf] as number) < a.order) a.insertSlot(leaf, pos, key, gap, e);
    else extra = this.splitInsert(a, leaf, pos, key, gap, e, d);
    while (d > 0) {
      d--;
      const p = this.pathNode[d] as number;
      const i = this.pathSlot[d] as number;
      const changed = this.summarize(p, i, x, a);
      if (extra !== NONE) {
        const ek = a.keys[extra * a.order] as number;
        const eg = a.maxGap(extra);
        const child = extra;
        if ((inner.counts[p] as number) < inner.order) {
          inner.insertSlot(p, i + 1, ek, eg, child);
          extra = NONE;
        } else {
          extra = this.splitInsert(inner, p, i + 1, ek, eg, child, d);
        }
      } else if (!changed) {
        return;
      }
      x = p;
      a = inner;
    }
    if (extra !== NONE) {
      // The root split: grow a level.
      if (this.height + 1 >= MAX_DEPTH) throw new RangeError("BTreeEntryStore: tree too deep");
      const r = inner.alloc();
      inner.insertSlot(r, 0, a.keys[x * a.order] as number, a.maxGap(x), x);
      inner.insertSlot(r, 1, a.keys[extra * a.order] as number, a.maxGap(extra), extra);
      this.rootId = r;
      this.height++;
    }
  }

  /**
   * Node `x` of arena `a` (at depth d on the recorded path) is full: split it and insert (key,
   * gap, ref) at combined position `pos` (0..B). Returns the new right sibling. Even split (both
   * halves hold at least ⌈B/2⌉), except at the far end of the rightmost / far start of the
   * leftmost node of the level, where the full part stays full and the new end node gets one slot.
   */
  private splitInsert(
    a: Arena, x: number, pos: number, key: number, gap: number, ref: Ref, d: number,
  ): number {
    const order = a.order;
    // s = how many of the B + 1 slots stay in x. (A leftmost node that split off a one-slot
    // leftmost child sends the full sibling in at pos 1: that is a prepend too.)
    const s =
      pos === order && this.isLevelEnd(d, false) ? order
      : pos <= 1 && this.isLevelEnd(d, true) ? 1
      : (order + 2) >>> 1;
    this.finger = NONE;
    const r = a.alloc();
    if (pos < s) {
      a.moveTail(x, s - 1, r);
      a.insertSlot(x, pos, key, gap, ref);
    } else {
      a.moveTail(x, s, r);
      a.insertSlot(r, pos - s, key, gap, ref);
    }
    return r;
  }

  /** Remove slot `slot` of `leaf` (on the recorded path), rebalancing and shrinking upward. */
  private removeAt(leaf: number, slot: number): void {
    const inner = this.inner;
    let a = this.leaves;
    a.removeSlot(leaf, slot);
    let x = leaf;
    /** x (at depth d + 1) lost a slot: it may be empty or below the minimum fill. */
    let shrunk = true;
    for (let d = this.height - 1; d >= 0; d--) {
      const p = this.pathNode[d] as number;
      const i = this.pathSlot[d] as number;
      let changed: boolean;
      if (a.counts[x] === 0) {
        // Only an end node can empty (the others hold >= ⌈B/2⌉ >= 2 before losing one).
        this.finger = NONE;
        inner.removeSlot(p, i);
        a.release(x);
        changed = true;
        shrunk = true;
      } else {
        changed = this.summarize(p, i, x, a);
        if (
          shrunk && (a.counts[x] as number) < a.minFill &&
          !this.isLevelEnd(d + 1, true) && !this.isLevelEnd(d + 1, false)
        ) {
          // An interior node has siblings under the same parent.
          shrunk = this.rebalance(a, p, i);
          changed = true;
        } else {
          shrunk = false;
        }
      }
      if (!changed && !shrunk) return;
      x = p;
      a = inner;
    }
    // An inner root with one child hands the root over to it.
    while (this.height > 0 && inner.counts[this.rootId] === 1) {
      this.finger = NONE;
      const old = this.rootId;
      this.rootId = inner.refs[old * inner.order] as number;
      inner.removeSlot(old, 0);
      inner.release(old);
      this.height--;
    }
  }

  /**
   * Child i (of arena a) of inner node `p` is one slot short of ⌈B/2⌉: borrow the nearest slot
   * of a sibling that has more than ⌈B/2⌉ (left preferred), else merge with a sibling. True if
   * p lost a child.
   */
  private rebalance(a: Arena, p: number, i: number): boolean {
    this.finger = NONE;
    const pb = p * this.inner.order;
    const refs = this.inner.refs;
    const x = refs[pb + i] as number;
    if (i > 0) {
      const y = refs[pb + i - 1] as number;
      const yn = a.counts[y] as number;
      if (yn <= a.minFill) return this.merge(a, p, i - 1);
      const yb = y * a.order + yn - 1;
      a.insertSlot(x, 0, a.keys[yb] as number, a.gaps[yb] as number, a.refs[yb] as Ref);
      a.removeSlot(y, yn - 1);
      this.summarize(p, i - 1, y, a);
      this.summarize(p, i, x, a);
      return false;
    }
    const y = refs[pb + 1] as number;
    if ((a.counts[y] as number) <= a.minFill) return this.merge(a, p, 0);
    const yb = y * a.order;
    a.insertSlot(x, a.counts[x] as number, a.keys[yb] as number, a.gaps[yb] as number, a.refs[yb] as Ref);
    a.removeSlot(y, 0);
    this.summarize(p, 0, x, a);
    this.summarize(p, 1, y, a);
    return false;
  }

  /** Merge child j + 1 (of arena a) of inner node `p` into child j (they fit in one node). True. */
  private merge(a: Arena, p: number, j: number): boolean {
    const inner = this.inner;
    const s = p * inner.order + j;
    const x = inner.refs[s] as number;
    const y = inner.refs[s + 1] as number;
    a.moveTail(y, 0, x);
    const g = inner.gaps[s + 1] as number;
    if (g > (inner.gaps[s] as number)) inner.gaps[s] = g;
    inner.removeSlot(p, j + 1);
    a.release(y);
    return true;
  }

  /**
   * Whether the node at depth d of the recorded path is the leftmost (`left`) or rightmost node
   * of its level: every slot taken above it is the first (last) of its node.
   */
  private isLevelEnd(d: number, left: boolean): boolean {
    const counts = this.inner.counts;
    for (let k = 0; k < d; k++) {
      const i = this.pathSlot[k] as number;
      if (left ? i !== 0 : i !== (counts[this.pathNode[k] as number] as number) - 1) return false;
    }
    return true;
  }

  // ---- private: validation ----

  // Stryker disable all: the structural checker (validate and its helpers) is the oracle that the search-tree invariant runs, not the implementation; its failure branches are shown to fire by the corruption tests
  /**
   * Check the subtree of node x at depth d (leftmost / rightmost of its level or not),
   * consuming its entries from the list cursor.
   */
  private checkNode(
    x: number, d: number, leftmost: boolean, rightmost: boolean, w: Walk,
  ): string | undefined {
    const leaf = d === this.height;
    const a = this.arenaAt(d);
    const mark = leaf ? w.leafMark : w.innerMark;
    const kind = leaf ? "leaf" : "inner node";
    if (!(Number.isInteger(x) && x >= 0 && x < a.used)) {
      return `tree: ${kind} id ${x} at depth ${d} is out of range`;
    }
    if (mark[x] === 2) return `tree: ${kind} ${x} at depth ${d} is on the free list`;
    if (mark[x] === 1) return `tree: ${kind} ${x} is reachable twice`;
    mark[x] = 1;
    if (leaf) w.leavesReached++;
    else w.innerReached++;
    const order = a.order;
    const n = a.counts[x] as number;
    const least = d === 0 ? (leaf ? 0 : 2) : leftmost || rightmost ? 1 : a.minFill;
    const where = `tree: ${kind} ${x} at depth ${d}`;
    if (!(n >= least && n <= order)) return `${where} holds ${n} slots, outside [${least}, ${order}]`;
    const dirty = a.firstDirtySlot(x, n);
    if (dirty >= 0) return `${where}: slot ${dirty} past the count ${n} is not cleared`;
    const base = x * order;
    for (let s = 1; s < n; s++) {
      if (!((a.keys[base + s - 1] as number) < (a.keys[base + s] as number))) {
        return `${where}: keys not strictly increasing at slot ${s}`;
      }
    }
    if (leaf) {
      const header = this.header;
      for (let s = 0; s < n; s++) {
        const e = a.refs[base + s];
        const c = w.cursor;
        if (e !== c) {
          const got = typeof e === "object" && e !== null ? `[${e.start}, ${e.end})` : String(e);
          const want = c === header ? "no more entries" : `[${c.start}, ${c.end})`;
          return `tree order differs from list order at ${where} slot ${s}: ${got} (list has ${want})`;
        }
        const k = a.keys[base + s] as number;
        if (k !== c.start) {
          return `${where} slot ${s}: stored start ${k} differs from the entry's start ${c.start}`;
        }
        const g = a.gaps[base + s] as number;
        if (g !== c.start - w.prevEnd) {
          return `${where} slot ${s}: stored gap ${g}, expected ${c.start - w.prevEnd}`;
        }
        w.prevEnd = c.end;
        w.cursor = c.next;
      }
      return undefined;
    }
    const ca = this.arenaAt(d + 1);
    for (let s = 0; s < n; s++) {
      const c = a.refs[base + s];
      if (typeof c !== "number") return `${where} slot ${s} does not hold a node id`;
      const problem = this.checkNode(c, d + 1, leftmost && s === 0, rightmost && s === n - 1, w);
      if (problem !== undefined) return problem;
      const k = a.keys[base + s] as number;
      const first = ca.keys[c * ca.order] as number;
      if (k !== first) {
        return `${where} slot ${s}: separator key ${k} differs from its child's first key ${first}`;
      }
      const g = a.gaps[base + s] as number;
      const m = ca.maxGap(c);
      if (g !== m) return `${where} slot ${s}: max gap ${g}, expected ${m}`;
    }
    return undefined;
  }
}

/** How validate() names the `count`-th entry of the list (built only for a message). */
const entryWhere = (count: number, x: VmMapEntry): string => `entry #${count - 1} [${x.start}, ${x.end})`;

/** State of validate()'s walk: next list entry expected, end of the previous one, nodes seen. */
interface Walk {
  cursor: VmMapEntry;
  prevEnd: number;
  leafMark: Uint8Array;
  innerMark: Uint8Array;
  leavesReached: number;
  innerReached: number;
}
// Stryker restore all
