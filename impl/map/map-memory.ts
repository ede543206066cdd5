/**
 * What lies behind a map's entries (reference §4.3, §4.10, §4.12, §5): the map side of the
 * copy-on-write machinery, and the walks the operations are written with.
 *
 * - An entry with `needsCopy` must not write into its object: the first write (or wiring)
 *   gives it a shadow object first ({@link shadowEntry}), then copies the page up into it.
 * - Reads fall through the shadow chain ({@link readPage}); writes go through
 *   {@link writablePage}, which resolves copy-on-write and pushes old contents into a delayed
 *   copy object — the one and only way bytes change.
 * - A copy-on-write submap entry (`needsCopy` on a submap entry) reads through to the submap;
 *   a write promotes the page first ({@link promoteCowPage}): clipped off, it maps a copy of the
 *   submap's memory there, so the write lands in a private page.
 * - {@link copyWindow} decides how a window of an entry is copied: symmetric quick copy (both
 *   sides `needsCopy`), delayed copy object (shared objects), or a physical copy (wired sources,
 *   NONE objects). {@link sharePrepare} readies an entry to be shared (fork SHARE, remap).
 *
 * Every mechanism is a method called through `this`, so a test can replace one by subclassing
 * {@link VmMap}.
 */
import { VM_BEHAVIOR_DEFAULT, VM_INHERIT_COPY, VM_INHERIT_SHARE, VM_MAP_REMOVE_KUNWIRE, type KernReturn } from "../../spec/constants.ts";
import type { CopiedWindow, ObjectLayer } from "../object/object-layer.ts";
import type { VmObject } from "../object/vm-object.ts";
import { newEntry, type EntryAttributes, type VmMapEntry } from "./entry.ts";
import { VmMapCore } from "./map-core.ts";

/** The attributes {@link VmMapMemory.entryCopy} copies. */
export type EntryLook = Pick<EntryAttributes, "protection" | "maxProtection" | "inheritance" | "behavior" | "alias">;

/**
 * Where a page's memory is (through submaps): the map owning the entry, the entry, the address
 * there, the ANDed protections, and whether a copy-on-write submap entry lies on the way (a
 * write then lands in a private copy, never in that memory).
 */
export interface Reached {
  readonly owner: VmMapMemory;
  readonly entry: VmMapEntry;
  readonly addr: number;
  readonly prot: number;
  readonly maxProt: number;
  readonly cow: boolean;
}

/** `p ⊆ allowed` for small bit sets. */
export const within = (p: number, allowed: number): boolean => (p & ~allowed) === 0;

/** Attributes of a new anonymous (zero-fill, object created lazily) entry. */
export function anonymousAttributes(prot: number, maxProt: number, inheritance: number, alias: number): EntryAttributes {
  return {
    object: null,
    offset: 0,
    isShared: false,
    needsCopy: false,
    protection: prot,
    maxProtection: maxProt,
    inheritance,
    behavior: VM_BEHAVIOR_DEFAULT,
    alias,
    wiredCount: 0,
    userWiredCount: 0,
  };
}

export abstract class VmMapMemory extends VmMapCore {
  /** The kernel's object layer. */
  get layer(): ObjectLayer {
    return this.host.objectLayer;
  }

  // ---- walking helpers ----

  /** `VM_MAP_RANGE_CHECK`: clamp to `[min, max]`, never an error (maybe empty). */
  clamp(start: number, end: number): [number, number] {
    const e = Math.min(end, this.max);
    return [Math.min(Math.max(start, this.min), e), e];
  }

  /**
   * Walk the entries covering `[start, end)` from `first` (the entry holding `start`) in address
   * order: the first hole gives `holeCode`, else the first entry `check` rejects gives its code.
   */
  firstFailure(
    first: VmMapEntry,
    start: number,
    end: number,
    holeCode: KernReturn,
    check: (e: VmMapEntry) => KernReturn | undefined,
  ): KernReturn | undefined {
    const header = this.store.header;
    let pos = start;
    for (let x = first; pos < end; x = x.next) {
      if (x === header || x.start > pos) return holeCode;
      const verdict = check(x);
      if (verdict !== undefined) return verdict;
      pos = x.end;
    }
    return undefined;
  }

  /**
   * Clip the entries of `[start, end)` (from `first`, the entry holding `start` or the first one
   * after it) to the range and apply `f` to each, in address order. Holes are skipped.
   */
  forEachClipped(first: VmMapEntry, start: number, end: number, f: (e: VmMapEntry) => void): void {
    if (start >= end) return;
    const header = this.store.header;
    let x = first;
    if (x !== header) this.clipStart(x, start);
    while (x !== header && x.start < end) {
      this.clipEnd(x, end);
      f(x);
      x = x.next;
    }
  }

  /** Every page touched by `[addr, addr + size)` is mapped and allows `access` (through submaps: every window's prot too). */
  accessible(addr: number, size: number, access: number): boolean {
    const ps = this.pageSize;
    const start = addr - (addr % ps);
    const last = addr + size;
    const end = last % ps === 0 ? last : last - (last % ps) + ps;
    const r = this.lookupEntry(start);
    if (!r.found) return false;
    return this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", this.throughSubmaps(start, end, (x) =>
      within(access, x.prot) ? undefined : "KERN_INVALID_ADDRESS",
    )) === undefined;
  }

  // ---- submaps (§4.13 descent, §4.16) ----

  /**
   * `vm_map_lookup_locked`'s descent: the entry that holds the memory of page `a` of `x` — `x`
   * itself, or for a submap entry the submap's entry at the translated address (`a − start +
   * offset`), level by level — with the AND of the protections met on the way (reference §8
   * #19 intended); undefined when a submap does not map it.
   */
  reachPage(x: VmMapEntry, a: number): Reached | undefined {
    let owner: VmMapMemory = this, e = x, at = a, prot = x.protection, maxProt = x.maxProtection, cow = false;
    while (e.submap !== null) {
      cow ||= e.needsCopy;
      at = at - e.start + e.offset;
      owner = e.submap;
      const r = owner.lookupEntry(at);
      if (!r.found) return undefined;
      e = r.entry;
      prot &= e.protection;
      maxProt &= e.maxProtection;
    }
    return { owner, entry: e, addr: at, prot, maxProt, cow };
  }

  // ---- copy-on-write submaps (§4.13 step 2, §4.21, §4.22) ----

  /**
   * The write fault through copy-on-write submap entry `x` at its page `a` (page-aligned; the
   * submap maps it), one page at a time (decision: modern XNU clips only a small chunk around
   * the fault, reference §4.13; a page is the chunk the spec can state). The memory the submap
   * holds there is copied as copyin copies an entry ({@link copyWindow}: a private symmetric
   * object is shared and its submap entry becomes `needsCopy` — the 2000 promotion's "mark
   * shadowed, set needs_copy" —, a shared one gets a delayed copy object, a wired one is copied
   * physically); then `x` is clipped to the page and becomes an ordinary entry mapping that
   * copy (its submap reference goes; no WRITE is added, §8 #19; SHARE becomes COPY). A wired
   * page resolves its copy at once (#15). Writable translations of the submap's page go when the
   * operation ends (the MMU re-derives them: `needsCopy` keeps WRITE off).
   */
  promoteCowPage(x: VmMapEntry, a: number): VmMapEntry {
    const held = this.reachPage(x, a)!;
    const owner = held.owner, inner = held.entry;
    owner.lockWrite();
    owner.ensureObject(inner); // the 2000 promotion gives the submap entry an object first
    const w = owner.copyWindow(inner, inner.offset + (held.addr - inner.start), this.pageSize);
    this.lockWrite();
    this.clipStart(x, a);
    this.clipEnd(x, a + this.pageSize);
    this.releaseObjectOf(x);
    x.object = w.object;
    x.offset = w.offset;
    x.needsCopy = w.needsCopy;
    x.usePmap = false;
    x.isShared = false;
    if (x.inheritance === VM_INHERIT_SHARE) x.inheritance = VM_INHERIT_COPY;
    if (x.wiredCount > 0) this.faultInAll(x);
    return x;
  }

  /**
   * Before a write to page `a` through entry `x` of this map: the first copy-on-write submap
   * entry on the way (`x`, or one inside the submaps `x` looks through) is promoted there
   * ({@link promoteCowPage}). Nothing for memory the write lands in directly.
   */
  promoteOnTheWay(x: VmMapEntry, a: number): void {
    if (x.submap === null) return;
    if (x.needsCopy) {
      if (this.reachPage(x, a) !== undefined) this.promoteCowPage(x, a);
      return;
    }
    const at = a - x.start + x.offset;
    const r = x.submap.lookupEntry(at);
    if (r.found) x.submap.promoteOnTheWay(r.entry, at);
  }

  /** A write to `[addr, addr + size)` would promote a page out of a copy-on-write submap: a map change (the fault upgrades to the write lock, §4.13 step 2). */
  writePromotes(addr: number, size: number): boolean {
    const ps = this.pageSize;
    for (let a = addr - (addr % ps); a < addr + size; a += ps) {
      const r = this.lookupEntry(a);
      if (r.found && r.entry.submap !== null && this.reachPage(r.entry, a)?.cow) return true;
    }
    return false;
  }

  /** Before a write to the page-aligned `[start, end)`: every page reached through a copy-on-write submap entry is promoted. */
  privatizeForWrite(start: number, end: number): void {
    for (let a = start; a < end; a += this.pageSize) {
      const r = this.lookupEntry(a);
      if (!r.found) continue;
      if (r.entry.submap !== null) this.promoteOnTheWay(r.entry, a);
      else a = r.entry.end - this.pageSize; // an ordinary entry: on to the next one
    }
  }

  /**
   * A {@link firstFailure} check over `[start, end)` that looks through submap entries: `check`
   * sees what holds each piece of memory ({@link reachPage}); a page a submap does not map is
   * KERN_INVALID_ADDRESS. An ordinary entry is checked once, a submap entry page by page.
   */
  throughSubmaps(start: number, end: number, check: (r: Reached) => KernReturn | undefined): (x: VmMapEntry) => KernReturn | undefined {
    return (x) => {
      const from = Math.max(x.start, start);
      if (x.submap === null) return check({ owner: this, entry: x, addr: from, prot: x.protection, maxProt: x.maxProtection, cow: false });
      for (let a = from; a < Math.min(x.end, end); a += this.pageSize) {
        const r = this.reachPage(x, a);
        const verdict = r === undefined ? "KERN_INVALID_ADDRESS" : check(r);
        if (verdict !== undefined) return verdict;
      }
      return undefined;
    };
  }

  /**
   * Visit the bytes `[addr, addr + size)` (known to be mapped, through submaps too) as pieces that
   * stay within one page of one entry: `f(entry, address, length, offset in the buffer, owner)`,
   * where a submap entry's piece is given as the submap's entry and address, owned by the submap.
   */
  forEachPiece(addr: number, size: number, f: (e: VmMapEntry, a: number, n: number, at: number, owner: VmMapMemory) => void): void {
    const ps = this.pageSize;
    let e = this.lookupEntry(addr).entry;
    for (let a = addr; a < addr + size; ) {
      while (a >= e.end) e = e.next;
      const n = Math.min(ps - (a % ps), addr + size - a);
      if (e.submap === null) f(e, a, n, a - addr, this);
      else {
        const r = this.reachPage(e, a)!;
        f(r.entry, r.addr, n, a - addr, r.owner);
      }
      a += n;
    }
  }

  /**
   * Where `size` bytes go as enter places them (reference §4.3): fixed at `addr` (KERN_NO_SPACE
   * when misaligned for `mask` or overlapping, KERN_INVALID_ADDRESS outside the map), or the
   * first fit at or above `max(addr, min)` aligned by `mask` (KERN_NO_SPACE when none).
   */
  placement(addr: number, size: number, mask: number, anywhere: boolean): number | KernReturn {
    if (anywhere) return this.store.firstFit(Math.max(addr, this.min), size, mask) ?? "KERN_NO_SPACE";
    if (addr % (mask + 1) !== 0) return "KERN_NO_SPACE";
    if (addr < this.min || addr + size > this.max) return "KERN_INVALID_ADDRESS";
    if (!this.rangeUnmapped(addr, addr + size)) return "KERN_NO_SPACE";
    return addr;
  }

  /** Link detached `entries` (ascending, inside one hole) after `after`, as copyout splices a copy. */
  linkEntries(after: VmMapEntry, entries: readonly VmMapEntry[]): void {
    for (const e of entries) {
      this.store.insertAfter(after, e);
      this.size += e.end - e.start;
      after = e;
    }
    if (entries.length > 0) this.hint = after;
    this.updateFirstFree();
  }

  // ---- removal (§4.6) ----

  /**
   * `vm_map_delete` of `[start, end)` clamped to the map, the map already locked. User wirings go;
   * KUNWIRE also drops one kernel wiring; if a kernel wiring would remain anywhere, KERN_FAILURE
   * and nothing changes.
   */
  removeRange(start: number, end: number, flags: number): KernReturn {
    [start, end] = this.clamp(start, end);
    if (start >= end) return "KERN_SUCCESS";
    const kunwire = (flags & VM_MAP_REMOVE_KUNWIRE) !== 0;
    if (!this.removable(start, end, kunwire)) return "KERN_FAILURE";
    const r = this.lookupEntry(start);
    const first = r.found ? r.entry : r.entry.next;
    if (r.found) this.clipStart(first, start);
    this.deleteRange(first, end);
    return "KERN_SUCCESS";
  }

  /** No entry of `[start, end)` would keep a kernel wiring after a remove (with `kunwire`). */
  removable(start: number, end: number, kunwire: boolean): boolean {
    const header = this.store.header;
    const r = this.lookupEntry(start);
    for (let x = r.found ? r.entry : r.entry.next; x !== header && x.start < end; x = x.next)
      if (this.wiringsLeftByRemove(x, kunwire) > 0) return false;
    return true;
  }

  /** Delete `first` (which starts at or after the range start) and every entry after it that starts below `end`. */
  deleteRange(first: VmMapEntry, end: number): void {
    const header = this.store.header;
    let x = first;
    while (x !== header && x.start < end) {
      this.clipEnd(x, end);
      const next = x.next;
      this.unwireForRemove(x);
      this.entryDelete(x);
      x = next;
    }
  }

  // ---- the object behind an entry ----

  /** Index within the entry's object of the page at `a` (page-aligned, inside the entry). */
  pageIndex(e: VmMapEntry, a: number): number {
    return (e.offset + (a - e.start)) / this.pageSize;
  }

  /** Give a zero-fill entry its anonymous object (entry-sized, offset 0), as a fault or wiring does. */
  ensureObject(e: VmMapEntry): VmObject {
    let o = e.object;
    if (o === null) {
      o = this.host.newObject("anonymous", e.end - e.start);
      e.object = o;
      e.offset = 0;
      e.needsCopy = false; // a brand-new object is private
    }
    return o;
  }

  /**
   * `vm_object_shadow` on the entry (reference §5.2): a new object the size of the entry whose
   * shadow is the old object at the entry's offset; the entry's reference moves to it, `needsCopy`
   * is cleared. The chain is collapsed where it can be and kept bounded, and a wired entry is
   * faulted in again so its pages stay resident in its (new) top object.
   */
  shadowEntry(e: VmMapEntry): VmObject {
    const o = this.ensureObject(e);
    const n = this.layer.shadow(o, e.offset, e.end - e.start);
    e.object = n;
    e.offset = 0;
    e.needsCopy = false;
    this.layer.collapseChain(n);
    this.layer.limitChain(n);
    if (e.wiredCount > 0) this.faultInAll(e);
    return n;
  }

  /** The write fault's first half: the object a write through `e` lands in (created or shadowed if needed). */
  resolveCow(e: VmMapEntry): VmObject {
    if (e.object === null) return this.ensureObject(e);
    return e.needsCopy ? this.shadowEntry(e) : e.object;
  }

  /** The bytes of the page at `a` (page-aligned) through the shadow chain; undefined = zero. */
  readPage(e: VmMapEntry, a: number): Uint8Array | undefined {
    return e.object === null ? undefined : this.layer.lookupPage(e.object, this.pageIndex(e, a));
  }

  /** The bytes of the page at `a` (page-aligned), about to be written: copy-on-write resolved, old contents pushed. */
  writablePage(e: VmMapEntry, a: number): Uint8Array {
    const o = this.resolveCow(e);
    return this.layer.pageForWrite(o, this.pageIndex(e, a));
  }

  /** A write through `e` would first have to create or shadow its object (the fault's lock upgrade). */
  writeNeedsUpgrade(e: VmMapEntry): boolean {
    return e.object === null || e.needsCopy;
  }

  /**
   * The wiring fault: copy-on-write resolved, every page of the entry resident in its top object
   * (copied up from the chain, never zero-filled over it), and the chain shortened.
   */
  faultInAll(e: VmMapEntry): void {
    const o = this.resolveCow(e);
    const first = e.offset / this.pageSize;
    const n = (e.end - e.start) / this.pageSize;
    for (let i = 0; i < n; i++) this.layer.makeResident(o, first + i);
    this.layer.collapse(o);
  }

  /**
   * VM_PROT_COPY: the entry gets a private snapshot of its bytes as of now (reference §10.10),
   * deferred: a SYMMETRIC object nobody else writes in place just gets `needsCopy`; a shared one
   * gets a delayed copy object (writes through the other mappings push the old bytes into it); a
   * NONE object is copied at once. A wired entry resolves the copy immediately (invariant #15).
   */
  privateCopy(e: VmMapEntry): void {
    const o = e.object;
    if (o === null || e.needsCopy) return; // private already
    const size = e.end - e.start;
    if (o.strategy === "symmetric" && !e.isShared && !o.trueShare) {
      e.needsCopy = true;
    } else {
      const w = this.delayedWindow(o, e.offset, size);
      e.object = w.object;
      e.offset = w.offset;
      e.needsCopy = w.needsCopy;
      e.isShared = false; // sharing through this range is lost
      o.release();
    }
    if (e.wiredCount > 0) this.faultInAll(e);
  }

  /** A delayed copy of a window (for an object that must not be marked copy-on-write). */
  delayedWindow(o: VmObject, offset: number, size: number): CopiedWindow {
    return { object: this.layer.copyDelayed(o, offset, size), offset, needsCopy: true };
  }

  /**
   * A copy of the window `[offset, offset + size)` of `e`'s object, for a copy entry or a child
   * (reference §4.11.2, §4.12): nothing for zero-fill; a physical copy of a wired source
   * (copy_slowly, invariant #16); the symmetric quick copy when the source may become
   * copy-on-write (both sides get `needsCopy`); otherwise the object's strategy (delayed copy
   * object, or physical copy for NONE).
   */
  copyWindow(e: VmMapEntry, offset: number, size: number): CopiedWindow {
    const o = e.object;
    if (o === null) return { object: null, offset: 0, needsCopy: false };
    if (e.wiredCount > 0) return { object: this.layer.copySlowly(o, offset, size), offset: 0, needsCopy: false };
    if (!e.isShared && !o.trueShare && this.layer.copyQuickly(o)) {
      e.needsCopy = true;
      return { object: o, offset, needsCopy: true };
    }
    return this.delayedWindow(o, offset, size);
  }

  /**
   * Ready `e` to be shared with another holder (fork SHARE, remap; reference §4.12): give it an
   * object; finish a pending copy, or step away from outstanding symmetric copies of its object
   * or from the rest of a larger object, by shadowing it; then the object becomes DELAY.
   * Returns the object to share.
   */
  sharePrepare(e: VmMapEntry): VmObject {
    const o = this.ensureObject(e);
    const size = e.end - e.start;
    if (e.needsCopy || (o.strategy === "symmetric" && (o.shadowed || (!o.trueShare && !e.isShared && o.size > size))))
      this.shadowEntry(e);
    const top = e.object!;
    this.layer.makeShared(top);
    return top;
  }

  /**
   * `vm_map_entry_copy` into another map or copy over `[start, end)` (relative addresses allowed):
   * `e`'s attributes with the given object window, unwired, not shared, not in transition. The
   * window's object reference becomes the new entry's.
   */
  entryCopy(e: EntryLook, start: number, end: number, w: CopiedWindow): VmMapEntry {
    return newEntry(start, end, {
      object: w.object,
      offset: w.offset,
      isShared: false,
      needsCopy: w.needsCopy,
      protection: e.protection,
      maxProtection: e.maxProtection,
      inheritance: e.inheritance,
      behavior: e.behavior,
      alias: e.alias,
      wiredCount: 0,
      userWiredCount: 0,
    });
  }

  /** The entry's pages alias a shared memory object's (written in place, never privately). */
  mapsSharedMemory(e: VmMapEntry): boolean {
    return e.object !== null && e.object.kind === "shared" && !e.needsCopy;
  }

  /**
   * A write through `e` may show elsewhere: it may not simply be handed another object
   * (overwrite). Temporary, unshared memory may (reference §4.11.9): an internal object that is
   * neither truly shared nor mapped by an entry marked shared, whatever its copy strategy — an
   * unshared internal DELAY object is a remap-with-copy source, whose copy object keeps its
   * snapshot whether the entry's pages are written or the entry is handed other objects.
   */
  writableInPlaceOnly(e: VmMapEntry): boolean {
    if (e.wiredCount > 0 || e.submap !== null) return true; // keeps its resident pages (§8 #13); a submap's memory is the submap's
    if (e.needsCopy || e.object === null) return false;
    const o = e.object;
    return !(o.internal && !e.isShared && !o.trueShare);
  }

  /**
   * Before writing into entry `e` of `owner`, a submap reached through a window of this map: a
   * write that must create or shadow that entry's object changes the submap, so it takes the
   * submap's write lock (this map's the caller holds).
   */
  lockSubmapToWrite(owner: VmMapMemory, e: VmMapEntry): void {
    if (owner !== this && owner.writeNeedsUpgrade(e)) owner.lockWrite();
  }

  /**
   * Make the pages of `[start, end)` (page-aligned, every page mapped) whose entry `chosen` picks
   * writable in place, as a write would — copy-on-write resolved, old pages pushed — writing
   * nothing: the fault half of {@link writeBytes} and of an overwrite's in-place pages.
   */
  makeWritable(start: number, end: number, chosen: (e: VmMapEntry) => boolean = () => true): void {
    const ps = this.pageSize;
    for (let a = start; a < end; a += ps) {
      const e = this.lookupEntry(a).entry;
      if (!chosen(e)) {
        a = e.end - ps; // the whole entry is left alone
        continue;
      }
      const held = this.reachPage(e, a)!;
      this.lockSubmapToWrite(held.owner, held.entry);
      held.owner.writablePage(held.entry, held.addr);
    }
  }

  /** Write `bytes` at `addr` (every page mapped) through copy-on-write; the caller holds the write lock. */
  writeBytes(addr: number, bytes: Uint8Array): void {
    const ps = this.pageSize;
    this.privatizeForWrite(addr - (addr % ps), Math.ceil((addr + bytes.length) / ps) * ps);
    this.forEachPiece(addr, bytes.length, (e, a, n, at, owner) => {
      const off = a % ps;
      this.lockSubmapToWrite(owner, e);
      owner.writablePage(e, a - off).set(bytes.subarray(at, at + n), off);
    });
  }
}

