/**
 * The 2000 design, as a baseline for the map-scaling benchmark: xnu-123.5's sorted circular doubly
 * linked list of entries through a header sentinel, with a lookup `hint` and a `firstFree` pointer
 * (reference §3.1, §3.2, §4.3 anywhere mode, §4.6, §4.7, §9.1). It keeps only what these four
 * operations need — range and protection per entry — and has their semantics: lookup returns the
 * containing entry or its predecessor, anywhere-enter is first fit from `firstFree`, enter
 * coalesces with an adjacent predecessor of equal attributes, remove and protect clip at both ends.
 *
 * Costs are those of 2000: lookup O(1) on a hint hit else O(n); anywhere-enter O(entries after the
 * lowest hole); remove and protect O(n) for their lookup, O(1) per entry after it.
 */

export interface ListEntry {
  prev: ListEntry;
  next: ListEntry;
  start: number;
  end: number;
  prot: number;
}

export interface ListLookup {
  readonly found: boolean;
  /** found: the entry with start ≤ addr < end; else the last entry ending ≤ addr, or the header. */
  readonly entry: ListEntry;
}

/** VM_PROT_DEFAULT (read | write), the protection of an enter that names none. */
const PROT_DEFAULT = 3;

function newListEntry(start: number, end: number, prot: number): ListEntry {
  const e = { prev: null, next: null, start, end, prot } as unknown as ListEntry;
  e.prev = e;
  e.next = e;
  return e;
}

export class SortedListMap {
  /** Sentinel: next = first entry, prev = last; start = min, end = max. */
  readonly header: ListEntry;
  nentries = 0;
  /** Last lookup result (an entry or the header). */
  hint: ListEntry;
  /** The entry before the lowest hole, or the header. */
  firstFree: ListEntry;

  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    this.header = newListEntry(min, max, 0);
    this.hint = this.header;
    this.firstFree = this.header;
  }

  /** vm_map_lookup_entry (§3.1): try the hint, scan forward from it or from the first entry. */
  lookup(addr: number): ListLookup {
    const header = this.header;
    let cur = this.hint;
    if (cur === header) cur = header.next;
    let last: ListEntry;
    if (addr >= cur.start) {
      if (cur !== header && addr < cur.end) return { found: true, entry: cur };
      last = header;
    } else {
      last = cur.next;
      cur = header.next;
    }
    while (cur !== last) {
      if (addr < cur.end) {
        if (addr >= cur.start) {
          this.hint = cur;
          return { found: true, entry: cur };
        }
        break;
      }
      cur = cur.next;
    }
    this.hint = cur.prev;
    return { found: false, entry: cur.prev };
  }

  /**
   * vm_map_enter, anywhere from min (§4.3): first fit for `size` bytes at an address with
   * `addr & mask == 0`, walking from `firstFree`. Returns the address, or undefined (NO_SPACE).
   */
  enterAnywhere(size: number, mask: number, prot = PROT_DEFAULT): number | undefined {
    const header = this.header;
    const align = mask + 1;
    let entry = this.firstFree;
    let start = entry === header ? this.min : entry.end;
    for (;;) {
      start = Math.ceil(start / align) * align;
      const end = start + size;
      if (end > this.max) return undefined;
      const next = entry.next;
      if (next === header || next.start >= end) break;
      entry = next;
      start = entry.end;
    }
    this.insert(entry, start, start + size, prot);
    return start;
  }

  /** vm_map_enter, fixed (§4.3): false (NO_SPACE / INVALID_ADDRESS) if the range is not free. */
  enterFixed(addr: number, size: number, prot = PROT_DEFAULT): boolean {
    const end = addr + size;
    if (addr < this.min || end > this.max || size <= 0) return false;
    const r = this.lookup(addr);
    if (r.found) return false;
    const next = r.entry.next;
    if (next !== this.header && next.start < end) return false;
    this.insert(r.entry, addr, end, prot);
    return true;
  }

  /** vm_map_remove / vm_map_delete (§4.6): clamp, clip at both ends, unlink; holes are skipped. */
  remove(start: number, end: number): void {
    end = Math.min(end, this.max);
    start = Math.min(Math.max(start, this.min), end);
    if (start >= end) return;
    const r = this.lookup(start);
    let e = r.entry;
    if (r.found) {
      this.clipStart(e, start);
      this.hint = e.prev;
    } else {
      e = e.next;
    }
    while (e !== this.header && e.start < end) {
      this.clipEnd(e, end);
      const next = e.next;
      this.unlink(e);
      e = next;
    }
  }

  /**
   * vm_map_protect (§4.7), with every maximum protection ALL: false (INVALID_ADDRESS, nothing
   * changed) unless all of [start, end) is mapped; else clip at both ends and set `prot`.
   */
  protect(start: number, end: number, prot: number): boolean {
    const r = this.lookup(start);
    if (!r.found) return false;
    let covered = start;
    for (let e = r.entry; e !== this.header && e.start <= covered && covered < end; e = e.next) covered = e.end;
    if (covered < end) return false;
    if (start >= end) return true;
    const first = r.entry;
    this.clipStart(first, start);
    for (let e = first; e !== this.header && e.start < end; e = e.next) {
      this.clipEnd(e, end);
      e.prot = prot;
    }
    return true;
  }

  /** Entries in address order (for tests). */
  entries(): ListEntry[] {
    const out: ListEntry[] = [];
    for (let e = this.header.next; e !== this.header; e = e.next) out.push(e);
    return out;
  }

  // ---- mechanisms ----

  /** New range after `after`: grow `after` if adjacent with equal attributes (coalesce), else link. */
  private insert(after: ListEntry, start: number, end: number, prot: number): void {
    if (after !== this.header && after.end === start && after.prot === prot) {
      after.end = end;
      this.updateFirstFree(this.firstFree);
      return;
    }
    const e = newListEntry(start, end, prot);
    this.link(after, e);
    this.hint = e;
  }

  /** UPDATE_FIRST_FREE (§3.2): walk forward from `candidate` while the next entry is adjacent. */
  private updateFirstFree(candidate: ListEntry): void {
    const header = this.header;
    let ff = candidate;
    for (;;) {
      const next = ff.next;
      if (next === header) break;
      if (next.start !== (ff === header ? this.min : ff.end)) break;
      ff = next;
    }
    this.firstFree = ff;
  }

  private link(after: ListEntry, e: ListEntry): void {
    const next = after.next;
    e.prev = after;
    e.next = next;
    after.next = e;
    next.prev = e;
    this.nentries++;
    this.updateFirstFree(this.firstFree);
  }

  private unlink(e: ListEntry): void {
    const prev = e.prev;
    prev.next = e.next;
    e.next.prev = prev;
    this.nentries--;
    this.updateFirstFree(e.start <= this.firstFree.start ? prev : this.firstFree);
    if (this.hint === e) this.hint = this.header;
  }

  /** Split `e` at `a` when e.start < a: the lower part becomes a new entry before it. */
  private clipStart(e: ListEntry, a: number): void {
    if (e.start < a) {
      const lower = newListEntry(e.start, a, e.prot);
      e.start = a;
      this.link(e.prev, lower);
    }
  }

  /** Split `e` at `a` when a < e.end: the upper part becomes a new entry after it. */
  private clipEnd(e: ListEntry, a: number): void {
    if (a < e.end) {
      const upper = newListEntry(a, e.end, e.prot);
      e.end = a;
      this.link(e, upper);
    }
  }
}
