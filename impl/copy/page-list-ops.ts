/**
 * The map side of page-list copies (reference §4.11.5, §4.11.7): walking a chunk, taking its
 * pages (held busy, stolen or copied) and placing copied-out pages. Methods are called through
 * `this`, so a planted bug can replace one by subclassing VmMap.
 */
import {
  VM_INHERIT_DEFAULT,
  VM_MAP_COPYIN_OPT_STEAL_PAGES,
  VM_PROT_ALL,
  VM_PROT_DEFAULT,
  VM_PROT_WRITE,
  type KernReturn,
} from "../../spec/constants.ts";
import type { VmMapEntry } from "../map/entry.ts";
import { anonymousAttributes, within } from "../map/map-memory.ts";
import { clonePage, zeroPage, type HeldPage, type VmObject } from "../object/vm-object.ts";
import { VmMapCopyOps } from "./copy-ops.ts";
import { stealsAndDestroys } from "./page-list.ts";

/** A loose page: the copy owns `bytes`. */
const loose = (index: number, bytes: Uint8Array | null): HeldPage => ({ object: null, index, bytes });

export abstract class VmMapPageLists extends VmMapCopyOps {
  /** A chunk's walk: the first hole gives KERN_INVALID_ADDRESS, the first entry without `prot` KERN_PROTECTION_FAILURE. */
  pageListWalkFailure(start: number, end: number, prot: number): KernReturn | undefined {
    const r = this.lookupEntry(start);
    if (!r.found) return "KERN_INVALID_ADDRESS";
    // A submap window: page lists through submaps are not modelled (the spec's contract).
    return this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", (x) =>
      x.submap !== null ? "KERN_INVALID_ARGUMENT" : within(prot, x.protection) ? undefined : "KERN_PROTECTION_FAILURE");
  }

  /**
   * The pages of the walked chunk `[start, end)`, in order. Each entry gets an object now, and a
   * shadow when WRITE is asked of a `needsCopy` entry. Without STEAL_PAGES each page is held
   * busy where it lives ({@link holdPage}); with it, pages are stolen from their objects while
   * that is safe (SRC_DESTROY, and the object private to the entry) and copied from then on.
   * Stealing removes the chunk's source afterwards. `isCont`: a continuation is taking the
   * chunk (the 2000 function's flag of that name).
   */
  holdChunk(start: number, end: number, options: number, noZeroFill: boolean, _isCont: boolean): HeldPage[] {
    this.lockWrite();
    const ps = this.pageSize;
    const write = (options & VM_PROT_WRITE) !== 0;
    const steal = stealsAndDestroys(options) && this.removable(start, end, false);
    let stealing = steal;
    const pages: HeldPage[] = [];
    for (let a = start; a < end; a += ps) {
      const x = this.lookupEntry(a).entry;
      if (write && x.needsCopy) this.shadowEntry(x);
      const o = this.ensureObject(x);
      const i = this.pageIndex(x, a);
      if (stealing && !this.stealable(x, o, i)) stealing = false;
      if (stealing) pages.push(loose(i, this.layer.steal(o, i)));
      else if ((options & VM_MAP_COPYIN_OPT_STEAL_PAGES) !== 0) pages.push(this.copiedPage(o, i, noZeroFill));
      else pages.push(this.holdPage(o, i, write, noZeroFill));
    }
    if (steal) this.removeCopiedSource(start, end);
    return pages;
  }

  /** SRC_DESTROY: the copied source range goes, as `vm_map_delete` with no flags (its failure ignored). */
  removeCopiedSource(start: number, end: number): void {
    this.lockWrite();
    this.removeRange(start, end, 0);
  }

  /**
   * A page may leave its object only when nobody else can see it there: the object is anonymous,
   * SYMMETRIC, unshared, without copies or shadows of it (a single reference: this entry's), and
   * the page is resident and not held by another page list.
   */
  stealable(x: VmMapEntry, o: VmObject, i: number): boolean {
    return !x.isShared && !x.needsCopy && x.wiredCount === 0 && o.internal && o.strategy === "symmetric" && !o.trueShare &&
      !o.shadowed && o.copy === null && o.refCount === 1 && o.pages.has(i) && !o.busy.has(i);
  }

  /** A private copy of what page `i` of `o` shows (a NO_ZERO_FILL page never touched stays unmaterialized). */
  copiedPage(o: VmObject, i: number, noZeroFill: boolean): HeldPage {
    const bytes = this.layer.lookupPage(o, i);
    if (bytes === undefined) return loose(i, noZeroFill ? null : zeroPage(this.pageSize));
    return loose(i, clonePage(bytes, this.pageSize));
  }

  /**
   * Hold page `i` of `o` busy where it lives: for WRITE, after a write fault (copy-up, push)
   * in `o` itself; otherwise in the first object of the chain that has it, or as a fresh zero
   * page in `o` (none at all under NO_ZERO_FILL). A page another page list already holds is
   * copied instead.
   */
  holdPage(o: VmObject, i: number, write: boolean, noZeroFill: boolean): HeldPage {
    if (write) {
      this.layer.pageForWrite(o, i);
      return this.layer.hold(o, i);
    }
    let x: VmObject | null = o;
    let j = i;
    while (x !== null && !x.pages.has(j)) {
      j += x.shadowOffset / this.pageSize;
      x = x.shadow;
    }
    if (x === null) {
      if (noZeroFill) return loose(i, null);
      this.layer.makeResident(o, i);
      [x, j] = [o, i];
    }
    if (x.busy.has(j)) return loose(j, clonePage(x.pages.get(j)!, this.pageSize));
    return this.layer.hold(x, j);
  }

  /**
   * Place loose pages at the free range from `start` (vm_map_copyout_page_list): a new anonymous
   * object holding them, mapped RW of ALL, inheritance COPY.
   */
  copyoutPages(start: number, pages: readonly HeldPage[]): void {
    this.lockWrite();
    const size = pages.length * this.pageSize;
    const o = this.host.newObject("anonymous", size);
    pages.forEach((p, i) => {
      if (p.bytes !== null) o.pages.set(i, p.bytes);
    });
    const attrs = anonymousAttributes(VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_DEFAULT, 0);
    attrs.object = o;
    this.entryInsert(this.lookupEntry(start).entry, start, start + size, attrs);
  }
}
