/**
 * The map operations on copies (reference §4.11): copyin of an entry list, copyout of the three
 * kinds of copy, and copy_overwrite (aligned and unaligned). The kernel facade validates
 * arguments, handles kernel-buffer copyin and the NULL copy, and consumes copies; these methods
 * do the work on the map, through the mechanisms of {@link VmMapMemory} (always via `this`).
 *
 * Copies are cheap because they are deferred: copyin of an anonymous range shares its objects
 * with the copy and marks both sides `needsCopy` (symmetric), a shared object gets a delayed copy
 * object, only wired sources are copied byte by byte. copyout splices the copy entries in;
 * overwrite hands the copy's objects to private destination entries and copies bytes physically
 * only into memory that others see (shared, permanent) or that is wired.
 */
import {
  VM_BEHAVIOR_DEFAULT,
  VM_INHERIT_DEFAULT,
  VM_PROT_ALL,
  VM_PROT_DEFAULT,
  VM_PROT_READ,
  VM_PROT_WRITE,
  type KernReturn,
} from "../../spec/constants.ts";
import type { VmMapEntry } from "../map/entry.ts";
import { anonymousAttributes, VmMapMemory, within } from "../map/map-memory.ts";
import { copyEntryAt, type EntryListCopy, type UsableCopy } from "./map-copy.ts";
import type { PageListCopy } from "./page-list.ts";

/** Result of an operation that hands back an address. */
export interface AddrResult {
  readonly kr: KernReturn;
  readonly addr?: number;
}

export abstract class VmMapCopyOps extends VmMapMemory {
  // ---- copyin (§4.11.2) ----

  /**
   * `vm_map_copyin_common` of the page-aligned range `[start, end)` as an entry list remembering
   * the unrounded `offset` and `size`. Every page must be mapped and readable (its max protection,
   * and its current protection unless `useMaxprot`); the first failing page decides. With
   * `srcDestroy` the range is then removed (its failure ignored: kernel-wired pages stay).
   */
  copyin(start: number, end: number, offset: number, size: number, srcDestroy: boolean, useMaxprot: boolean): KernReturn | EntryListCopy {
    this.lockWrite();
    const r = this.lookupEntry(start);
    if (!r.found) return "KERN_INVALID_ADDRESS";
    const failure = this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", this.throughSubmaps(start, end, (held) => this.unreadable(held, useMaxprot)));
    if (failure !== undefined) return failure;
    // The move optimisation is only sound when the removal really happens.
    const move = srcDestroy && this.removable(start, end, false);
    const entries = this.copyEntriesOf(start, end, move);
    if (srcDestroy) this.removeRange(start, end, 0);
    return { kind: "entry_list", offset, size, entries };
  }

  /**
   * Copy entries for the checked `[start, end)`, at its addresses: each entry clipped to the range
   * and copied ({@link copyEntryOf}); a submap entry's piece is copied from the submap (its
   * entries, with their attributes; never moved) and re-based to this map's addresses (§4.11.2).
   */
  copyEntriesOf(start: number, end: number, move: boolean): VmMapEntry[] {
    const entries: VmMapEntry[] = [];
    const r = this.lookupEntry(start);
    this.forEachClipped(r.found ? r.entry : r.entry.next, start, end, (x) => {
      if (x.submap === null) {
        entries.push(this.copyEntryOf(x, move));
        return;
      }
      const shift = x.start - x.offset;
      x.submap.lockWrite(); // its entries are clipped and marked copy-on-write: the submap's write lock
      for (const e of x.submap.copyEntriesOf(x.offset, x.offset + (x.end - x.start), false)) {
        e.start += shift;
        e.end += shift;
        entries.push(e);
      }
    });
    return entries;
  }

  /** Copyin's readability rule: max protection must allow READ, and the current one too unless `useMaxprot`. */
  unreadable(x: { prot: number; maxProt: number }, useMaxprot: boolean): KernReturn | undefined {
    if ((x.maxProt & VM_PROT_READ) === 0) return "KERN_PROTECTION_FAILURE";
    return !useMaxprot && (x.prot & VM_PROT_READ) === 0 ? "KERN_PROTECTION_FAILURE" : undefined;
  }

  /**
   * The copy entry for source entry `x` (already clipped to the range). With `move` (the source is
   * about to be deleted), private memory simply changes hands: the copy takes the object with the
   * source's `needsCopy` (reference §4.11.2, "move optimisation"); otherwise {@link copyWindow}.
   */
  copyEntryOf(x: VmMapEntry, move: boolean): VmMapEntry {
    const o = x.object;
    if (move && o !== null && !x.isShared && o.internal && !o.trueShare) {
      o.reference();
      return this.entryCopy(x, x.start, x.end, { object: o, offset: x.offset, needsCopy: x.needsCopy });
    }
    return this.entryCopy(x, x.start, x.end, this.copyWindow(x, x.offset, x.end - x.start));
  }

  // ---- copyout (§4.11.6) ----

  /**
   * `vm_map_copyout`: first fit from `min` for the copy's pages. An entry list is spliced in (its
   * entries leave the copy) with protections reset to RW / ALL, inheritance COPY, behavior
   * DEFAULT; a kernel buffer is written at the start of fresh zero memory; an object copy maps
   * the object's window (the map takes its own reference). The caller consumes the copy. (Page
   * lists are copied out by the kernel, kernel-page-lists.ts: their continuations need it.)
   */
  copyout(copy: Exclude<UsableCopy, PageListCopy>): AddrResult {
    this.lockWrite();
    const ps = this.pageSize;
    switch (copy.kind) {
      case "entry_list": {
        const base = copy.offset - (copy.offset % ps);
        const size = this.roundUp(copy.offset + copy.size) - base;
        const start = this.store.firstFit(this.min, size, 0);
        if (start === undefined) return { kr: "KERN_NO_SPACE" };
        const entries = copy.entries;
        for (const e of entries) this.copiedOut(e, start - base);
        copy.entries = [];
        this.linkEntries(this.lookupEntry(start).entry, entries);
        return { kr: "KERN_SUCCESS", addr: start + (copy.offset % ps) };
      }
      case "kernel_buffer": {
        const size = this.roundUp(copy.data.length);
        const start = this.store.firstFit(this.min, size, 0);
        if (start === undefined) return { kr: "KERN_NO_SPACE" };
        const attrs = anonymousAttributes(VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_DEFAULT, 0);
        const prev = this.lookupEntry(start).entry;
        if (this.canCoalesce(prev, start, attrs)) this.coalesce(prev, start + size);
        else this.entryInsert(prev, start, start + size, attrs);
        this.writeBytes(start, copy.data);
        return { kr: "KERN_SUCCESS", addr: start };
      }
      case "object": {
        const pageOffset = copy.offset % ps;
        const size = this.roundUp(pageOffset + copy.size);
        const start = this.store.firstFit(this.min, size, 0);
        if (start === undefined) return { kr: "KERN_NO_SPACE" };
        const attrs = anonymousAttributes(VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_DEFAULT, 0);
        attrs.object = copy.object;
        attrs.offset = copy.offset - pageOffset;
        copy.object.reference();
        this.entryInsert(this.lookupEntry(start).entry, start, start + size, attrs);
        return { kr: "KERN_SUCCESS", addr: start + pageOffset };
      }
    }
  }

  /** A copy entry becomes a map entry `shift` bytes higher, with copyout's reset attributes. */
  copiedOut(e: VmMapEntry, shift: number): void {
    e.start += shift;
    e.end += shift;
    e.protection = VM_PROT_DEFAULT;
    e.maxProtection = VM_PROT_ALL;
    e.inheritance = VM_INHERIT_DEFAULT;
    e.behavior = VM_BEHAVIOR_DEFAULT;
    e.isShared = false;
    e.wiredCount = 0;
    e.userWiredCount = 0;
  }

  roundUp(x: number): number {
    const r = x % this.pageSize;
    return r === 0 ? x : x - r + this.pageSize;
  }

  // ---- copy_overwrite (§4.11.8–§4.11.10) ----

  // `vm_map_copy_overwrite` of an entry list of size > 0 at `addr` is two steps, so that the
  // kernel (overwritePlan in impl/kernel-transfers.ts) can suspend between them: the checks
  // (overwriteFailure), then the change (overwriteApply). The destination `[trunc(addr), end)`
  // does not wrap (checked by the caller). Every destination page must be mapped and writable
  // (the first failing page decides); with `interruptible` no page may be of a shared memory
  // object. Nothing changes on failure. The destination keeps its protections, inheritance,
  // behavior and wiring. The caller consumes the copy on success.

  /** Every check of an overwrite (write lock taken): the destination mapped, writable, and with `interruptible` not permanent memory. */
  overwriteFailure(addr: number, copy: EntryListCopy, interruptible: boolean): KernReturn | undefined {
    const { start, end } = this.overwriteRange(addr, copy);
    this.lockWrite();
    const r = this.lookupEntry(start);
    if (!r.found) return "KERN_INVALID_ADDRESS";
    const failure = this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", this.throughSubmaps(start, end, (held) =>
      within(VM_PROT_WRITE, held.prot) ? undefined : "KERN_PROTECTION_FAILURE",
    ));
    if (failure !== undefined) return failure;
    // Through a copy-on-write submap the bytes land in a private copy, never in that memory.
    const permanent = this.throughSubmaps(start, end, (held) => (!held.cow && held.owner.mapsSharedMemory(held.entry) ? "KERN_FAILURE" : undefined));
    if (interruptible && this.firstFailure(r.entry, start, end, "KERN_FAILURE", permanent) !== undefined) return "KERN_FAILURE";
    return undefined;
  }

  /** The change of an overwrite whose checks passed. */
  overwriteApply(addr: number, copy: EntryListCopy): void {
    const { start, end, aligned } = this.overwriteRange(addr, copy);
    this.privatizeForWrite(start, end); // copy-on-write submap pages become private entries first
    if (aligned) this.overwriteAligned(start, end, copy);
    else this.writeBytes(addr, this.copyBytes(copy));
  }

  /**
   * The fault half of {@link overwriteApply}: every destination page the overwrite will write into
   * its own memory (all of them unaligned; aligned, those of entries {@link writableInPlaceOnly})
   * is made writable — copy-on-write submap pages promoted, copy-on-write resolved, the old page
   * pushed to a delayed copy — and no byte is written, so that a thread can wait for the
   * shootdowns that took old translations away before the bytes land (impl/sched). The apply
   * that follows finds those pages writable already.
   */
  overwritePrepare(addr: number, copy: EntryListCopy): void {
    const { start, end, aligned } = this.overwriteRange(addr, copy);
    this.privatizeForWrite(start, end);
    this.makeWritable(start, end, aligned ? (x) => this.writableInPlaceOnly(x) : () => true);
  }

  /** The destination pages of an overwrite, and whether the aligned path applies. */
  overwriteRange(addr: number, copy: EntryListCopy): { start: number; end: number; aligned: boolean } {
    const ps = this.pageSize;
    const aligned = addr % ps === 0 && copy.offset % ps === 0 && copy.size % ps === 0;
    return { start: addr - (addr % ps), end: aligned ? addr + copy.size : this.roundUp(addr + copy.size), aligned };
  }

  /**
   * Aligned overwrite (§4.11.9): a private destination entry is handed the copy's objects (with
   * their `needsCopy`), clipped at the copy entries' boundaries; memory others see, or wired
   * memory, gets the bytes written into its own pages.
   */
  overwriteAligned(start: number, end: number, copy: EntryListCopy): void {
    const dests: VmMapEntry[] = [];
    this.forEachClipped(this.lookupEntry(start).entry, start, end, (x) => dests.push(x));
    const shift = copy.offset - start; // destination address + shift = source address
    for (const x of dests) {
      if (this.writableInPlaceOnly(x)) this.copyPagesInto(x, copy, shift);
      else this.moveCopyInto(x, copy, shift);
    }
  }

  /** Replace the memory of private entry `x` by the copy's, piece by piece (clipping `x` at copy-entry boundaries). */
  moveCopyInto(x: VmMapEntry, copy: EntryListCopy, shift: number): void {
    const end = x.end;
    let piece = x;
    for (;;) {
      const src = piece.start + shift;
      const ce = copyEntryAt(copy, src);
      const pieceEnd = Math.min(end, ce.end - shift);
      this.clipEnd(piece, pieceEnd);
      this.releaseObjectOf(piece);
      ce.object?.reference();
      piece.object = ce.object;
      piece.offset = ce.offset + (src - ce.start);
      piece.needsCopy = ce.needsCopy;
      if (pieceEnd >= end) return;
      piece = piece.next;
    }
  }

  /** Write the copy's pages into `x`'s own pages, physically (copy-on-write of `x` resolved, pushes done). */
  copyPagesInto(x: VmMapEntry, copy: EntryListCopy, shift: number): void {
    const ps = this.pageSize;
    for (let a = x.start; a < x.end; a += ps) {
      const bytes = this.copyPage(copy, a + shift);
      const held = this.reachPage(x, a)!; // a submap entry is written in the submap's memory (§4.11.8)
      this.lockSubmapToWrite(held.owner, held.entry);
      const page = held.owner.writablePage(held.entry, held.addr);
      if (bytes === undefined) page.fill(0);
      else page.set(bytes);
    }
  }

  /** The bytes of the copy's page at source address `a` (page-aligned); undefined = zero. */
  copyPage(copy: EntryListCopy, a: number): Uint8Array | undefined {
    const ce = copyEntryAt(copy, a);
    return this.readPage(ce, a);
  }

  /** The copy's bytes `[offset, offset + size)`. */
  copyBytes(copy: EntryListCopy): Uint8Array {
    const ps = this.pageSize;
    const out = new Uint8Array(copy.size);
    let at = 0;
    for (let a = copy.offset; at < copy.size; ) {
      const off = a % ps;
      const n = Math.min(ps - off, copy.size - at);
      const page = this.copyPage(copy, a - off);
      if (page !== undefined) out.set(page.subarray(off, off + n), at);
      a += n;
      at += n;
    }
    return out;
  }
}
