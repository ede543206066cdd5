/**
 * The index of a map's entries: the circular list through the header (what the kernel walks)
 * plus an intrusive AVL tree over the same nodes, keyed by `start`, in which every node carries
 * the largest free gap of its subtree (`maxGap`). That annotation is what makes first-fit and
 * first_free maintenance O(log n) instead of a list walk.
 *
 * Addresses go up to 2^52, so everything here is plain float arithmetic on integers below 2^53
 * (exact); no 32-bit bitwise operators. Hot paths allocate nothing.
 */
import { newHeader, type VmMapEntry } from "./entry.ts";

/** Smallest positive double: `gapBefore >= TINY` is `gapBefore > 0` for non-negative gaps. */
const TINY = Number.MIN_VALUE;

/** Tree phase of validate()'s stackless traversal: arrived from the parent / left / right. */
const DOWN = 0;
const FROM_LEFT = 1;
const FROM_RIGHT = 2;

function heightOf(n: VmMapEntry | null): number {
  return n === null ? 0 : n.height;
}

/** Recompute height and maxGap of `n` from its (already correct) children. */
function update(n: VmMapEntry): void {
  const l = n.left;
  const r = n.right;
  let h = 0;
  let g = n.gapBefore;
  if (l !== null) {
    h = l.height;
    if (l.maxGap > g) g = l.maxGap;
  }
  if (r !== null) {
    if (r.height > h) h = r.height;
    if (r.maxGap > g) g = r.maxGap;
  }
  n.height = h + 1;
  n.maxGap = g;
}

/** Smallest multiple of `align` (a power of two) that is >= x. Exact for x < 2^53. */
function alignUp(x: number, align: number): number {
  return align === 1 ? x : Math.ceil(x / align) * align;
}

/** Leftmost node of the subtree at `n` with gapBefore >= size. Requires n.maxGap >= size. */
function leftmostWithGap(n: VmMapEntry, size: number): VmMapEntry {
  for (;;) {
    const l = n.left;
    if (l !== null && l.maxGap >= size) {
      n = l;
      continue;
    }
    if (n.gapBefore >= size) return n;
    // maxGap >= size and neither the left subtree nor n has it, so the right subtree does.
    n = n.right as VmMapEntry;
  }
}

/** First node after `n` in address order with gapBefore >= size, or null. */
function nextWithGap(n: VmMapEntry, size: number): VmMapEntry | null {
  for (;;) {
    // Invariant: n and everything before it have been ruled out; its right subtree has not.
    const r = n.right;
    if (r !== null && r.maxGap >= size) return leftmostWithGap(r, size);
    let p = n.parent;
    while (p !== null && p.right === n) {
      n = p;
      p = n.parent;
    }
    if (p === null) return null;
    if (p.gapBefore >= size) return p;
    n = p;
  }
}

export class EntryStore {
  readonly header: VmMapEntry;
  nentries = 0;
  private readonly min: number;
  private readonly max: number;
  private rootNode: VmMapEntry | null = null;

  constructor(min: number, max: number) {
    if (!(min <= max)) throw new RangeError(`EntryStore: min ${min} > max ${max}`);
    this.min = min;
    this.max = max;
    this.header = newHeader(min, max);
  }

  /** Root of the search tree (null when empty). Read-only view for tests and diagnostics. */
  get root(): VmMapEntry | null {
    return this.rootNode;
  }

  insertAfter(after: VmMapEntry, e: VmMapEntry): void {
    const header = this.header;
    const next = after.next;
    e.prev = after;
    e.next = next;
    after.next = e;
    next.prev = e;
    this.nentries++;

    e.gapBefore = e.start - (after === header ? this.min : after.end);
    // The successor's gap shrinks; fix its annotations while the tree is still consistent
    // (i.e. before e is attached), so the structural retrace below only has to handle e.
    if (next !== header) {
      next.gapBefore = next.start - e.end;
      this.refreshGaps(next);
    }

    e.left = null;
    e.right = null;
    e.height = 1;
    e.maxGap = e.gapBefore;
    // e becomes the in-order successor of `after`, so its tree position needs no key compares.
    let p: VmMapEntry | null;
    if (after === header) {
      p = this.rootNode;
      if (p !== null) {
        while (p.left !== null) p = p.left;
        p.left = e;
      }
    } else if (after.right === null) {
      p = after;
      p.right = e;
    } else {
      p = after.right;
      while (p.left !== null) p = p.left;
      p.left = e;
    }
    e.parent = p;
    if (p === null) this.rootNode = e;
    else this.retrace(p);
  }

  unlink(e: VmMapEntry): void {
    const header = this.header;
    const prev = e.prev;
    const next = e.next;
    prev.next = next;
    next.prev = prev;
    this.nentries--;

    // The successor absorbs e's range and gap; annotate it while e is still in the tree.
    if (next !== header) {
      next.gapBefore = next.start - (prev === header ? this.min : prev.end);
      this.refreshGaps(next);
    }

    const l = e.left;
    const r = e.right;
    const parent = e.parent;
    let fix: VmMapEntry | null;
    if (l === null || r === null) {
      const child = l ?? r;
      if (child !== null) child.parent = parent;
      this.replaceChild(parent, e, child);
      fix = parent;
    } else {
      // Two children: splice in the in-order successor (the leftmost node of the right
      // subtree, which is `next`) in e's place; nodes are intrusive, so we move nodes, not keys.
      const y = next;
      if (y.parent === e) {
        fix = y;
      } else {
        fix = y.parent as VmMapEntry;
        const yr = y.right;
        fix.left = yr;
        if (yr !== null) yr.parent = fix;
        y.right = r;
        r.parent = y;
      }
      y.left = l;
      l.parent = y;
      y.parent = parent;
      y.height = e.height;
      this.replaceChild(parent, e, y);
    }
    if (fix !== null) this.retrace(fix);

    e.left = null;
    e.right = null;
    e.parent = null;
    e.height = 1;
  }

  setRange(e: VmMapEntry, start: number, end: number): void {
    e.start = start;
    e.end = end;
    const prev = e.prev;
    e.gapBefore = start - (prev === this.header ? this.min : prev.end);
    this.refreshGaps(e);
    const next = e.next;
    if (next !== this.header) {
      next.gapBefore = next.start - end;
      this.refreshGaps(next);
    }
  }

  floor(addr: number): VmMapEntry {
    let best = this.header;
    let n = this.rootNode;
    while (n !== null) {
      if (n.start <= addr) {
        best = n;
        n = n.right;
      } else {
        n = n.left;
      }
    }
    return best;
  }

  firstFit(lower: number, size: number, mask: number): number | undefined {
    const header = this.header;
    const max = this.max;
    const align = mask + 1;
    const lo = lower < this.min ? this.min : lower;
    if (lo > max) return undefined;

    // The gap that contains lo (or the first one after it) ends at c.start, or at max if c is
    // the header. It may be clipped by lo, so it is tried directly; every later gap lies wholly
    // above lo and is found through the maxGap annotations.
    let c = this.floor(lo).next;
    for (;;) {
      let gs: number;
      let ge: number;
      if (c === header) {
        const last = header.prev;
        gs = last === header ? this.min : last.end;
        ge = max;
      } else {
        gs = c.start - c.gapBefore;
        ge = c.start;
      }
      // Compare by difference: a + size could exceed 2^53 and round.
      const a = alignUp(gs > lo ? gs : lo, align);
      if (a <= ge && ge - a >= size) return a;
      if (c === header) return undefined;
      // Without alignment any gap >= size fits, so this runs once; with alignment a gap of
      // size..size+mask may still miss, and candidates are tried in address order.
      c = nextWithGap(c, size) ?? header;
    }
  }

  lowestHole(): number {
    const header = this.header;
    const first = header.next;
    if (first === header || first.gapBefore > 0) return this.min;
    const root = this.rootNode as VmMapEntry;
    if (root.maxGap > 0) return leftmostWithGap(root, TINY).prev.end;
    return header.prev.end;
  }

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
      const where = `entry #${count - 1} [${x.start}, ${x.end})`;
      if (x.next.prev !== x) return `${where}: next.prev does not point back to it`;
      if (!(x.start < x.end)) return `${where}: empty or inverted range`;
      if (x.start < prevEnd) {
        return count === 1
          ? `${where} starts below min ${min}`
          : `${where} overlaps or precedes its predecessor, which ends at ${prevEnd}`;
      }
      if (x.gapBefore !== x.start - prevEnd) {
        return `${where}: gapBefore is ${x.gapBefore}, expected ${x.start - prevEnd}`;
      }
      prevEnd = x.end;
    }
    if (count !== this.nentries) return `nentries is ${this.nentries} but the list holds ${count}`;
    if (prevEnd > max) return `last entry ends at ${prevEnd}, above max ${max}`;

    // ---- tree: stackless in-order walk along parent pointers, each checked before use ----
    let cur = header.next;
    let n = this.rootNode;
    if (n !== null && n.parent !== null) return "root has a parent";
    let state = DOWN;
    while (n !== null) {
      if (state === DOWN) {
        const l = n.left;
        if (l !== null) {
          if (l.parent !== n) return `tree: [${l.start}, ${l.end}) has a wrong parent pointer`;
          n = l;
          continue;
        }
        state = FROM_LEFT;
      }
      if (state === FROM_LEFT) {
        if (n !== cur) {
          return `tree order differs from list order at [${n.start}, ${n.end}) (list has ${
            cur === header ? "no more entries" : `[${cur.start}, ${cur.end})`
          })`;
        }
        cur = cur.next;
        const r = n.right;
        if (r !== null) {
          if (r.parent !== n) return `tree: [${r.start}, ${r.end}) has a wrong parent pointer`;
          n = r;
          state = DOWN;
          continue;
        }
      }
      // Both subtrees are done and verified: check this node's derived fields.
      const hl = heightOf(n.left);
      const hr = heightOf(n.right);
      const where = `tree node [${n.start}, ${n.end})`;
      if (n.height !== 1 + (hl > hr ? hl : hr)) return `${where}: height ${n.height} is wrong`;
      if (hl - hr > 1 || hr - hl > 1) return `${where}: AVL-unbalanced (heights ${hl} / ${hr})`;
      let g = n.gapBefore;
      if (n.left !== null && n.left.maxGap > g) g = n.left.maxGap;
      if (n.right !== null && n.right.maxGap > g) g = n.right.maxGap;
      if (n.maxGap !== g) return `${where}: maxGap is ${n.maxGap}, expected ${g}`;
      const p: VmMapEntry | null = n.parent;
      if (p !== null) state = p.left === n ? FROM_LEFT : FROM_RIGHT;
      n = p;
    }
    if (cur !== header) return `list entry [${cur.start}, ${cur.end}) is missing from the tree`;
    return undefined;
  }

  // ---- private ----

  private replaceChild(p: VmMapEntry | null, old: VmMapEntry, child: VmMapEntry | null): void {
    if (p === null) this.rootNode = child;
    else if (p.left === old) p.left = child;
    else p.right = child;
  }

  /** Propagate a gapBefore change at `n` to the root, stopping once nothing changes. */
  private refreshGaps(n: VmMapEntry | null): void {
    while (n !== null) {
      const old = n.maxGap;
      let g = n.gapBefore;
      const l = n.left;
      const r = n.right;
      if (l !== null && l.maxGap > g) g = l.maxGap;
      if (r !== null && r.maxGap > g) g = r.maxGap;
      if (g === old) return;
      n.maxGap = g;
      n = n.parent;
    }
  }

  /**
   * After a structural change below `n`: recompute height/maxGap and rebalance up to the root.
   * No early exit: after a two-child unlink the moved node's annotations are stale, so the
   * whole path must be recomputed (it is only O(log n) nodes).
   */
  private retrace(n: VmMapEntry | null): void {
    while (n !== null) {
      n = this.rebalance(n).parent;
    }
  }

  /** Restore the AVL property at `n` (children balanced); returns the subtree's new root. */
  private rebalance(n: VmMapEntry): VmMapEntry {
    const l = n.left;
    const r = n.right;
    const hl = heightOf(l);
    const hr = heightOf(r);
    if (hl > hr + 1) {
      const ll = l as VmMapEntry;
      if (heightOf(ll.left) < heightOf(ll.right)) this.rotateLeft(ll);
      return this.rotateRight(n);
    }
    if (hr > hl + 1) {
      const rr = r as VmMapEntry;
      if (heightOf(rr.right) < heightOf(rr.left)) this.rotateRight(rr);
      return this.rotateLeft(n);
    }
    update(n);
    return n;
  }

  private rotateLeft(x: VmMapEntry): VmMapEntry {
    const y = x.right as VmMapEntry;
    const b = y.left;
    x.right = b;
    if (b !== null) b.parent = x;
    const p = x.parent;
    y.parent = p;
    this.replaceChild(p, x, y);
    y.left = x;
    x.parent = y;
    update(x);
    update(y);
    return y;
  }

  private rotateRight(x: VmMapEntry): VmMapEntry {
    const y = x.left as VmMapEntry;
    const b = y.right;
    x.left = b;
    if (b !== null) b.parent = x;
    const p = x.parent;
    y.parent = p;
    this.replaceChild(p, x, y);
    y.right = x;
    x.parent = y;
    update(x);
    update(y);
    return y;
  }
}
