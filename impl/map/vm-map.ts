/**
 * `struct vm_map` and its operations (reference §4). The kernel facade (impl/kernel.ts) validates
 * arguments the way the user wrappers do and calls these methods with page-aligned ranges that do
 * not wrap; each method takes the write lock (timestamp +1) where the 2000 kernel did, checks
 * everything that can fail before it changes anything, and then works through the mechanisms of
 * {@link VmMapCore} — always via `this`, so that a subclass can replace any one of them:
 *
 * ```ts
 * class LeakyClip extends VmMap {
 *   override clipEnd(e: VmMapEntry, a: number): void { ... }   // the planted bug
 * }
 * const kernel = new Kernel(scope, { mapClass: LeakyClip });
 * ```
 *
 * Overridable mechanisms (map-core.ts): lockWrite, lookupEntry, rangeUnmapped, updateFirstFree,
 * clipStart, clipEnd, duplicate, entryInsert, entryDelete, disposed, releaseObjectOf, canCoalesce,
 * objectCanGrow, coalesce, mergeable, merge, simplifyAt, ensureObject, faultInAll, privateCopy,
 * kernelWirings, wireWouldOverflow, addWiring, dropWiring, wiringsLeftByRemove, unwireForRemove;
 * and here: deleteRange, clamp, firstFailure, forEachClipped, accessible, forEachPiece, and the
 * operations themselves.
 */
import {
  VM_BEHAVIOR_DEFAULT,
  VM_INHERIT_DEFAULT,
  VM_MAP_REMOVE_KUNWIRE,
  VM_PROT_ALL,
  VM_PROT_COPY,
  VM_PROT_DEFAULT,
  VM_PROT_READ,
  VM_PROT_WRITE,
  type KernReturn,
} from "../../spec/constants.ts";
import type { PageAttributes } from "../../spec/vocabulary.ts";
import type { EntryAttributes, VmMapEntry } from "./entry.ts";
import { VmMapCore } from "./map-core.ts";

export type { LookupResult, MapHost } from "./map-core.ts";

/** Result of an operation that hands back an address. */
export interface AddrResult {
  readonly kr: KernReturn;
  readonly addr?: number;
}

/** `p ⊆ allowed` for small bit sets. */
const within = (p: number, allowed: number): boolean => (p & ~allowed) === 0;

export class VmMap extends VmMapCore {
  // ---- mapping (§4.3, §4.4, §4.6) ----

  /**
   * `vm_map_enter` of `size` bytes (a page multiple > 0) with `attrs` (whose object reference is
   * the caller's; the map takes its own on success). Fixed: at `addr`; anywhere: first fit at or
   * above `max(addr, min)` aligned by `mask`. An anonymous range may coalesce with its predecessor.
   */
  enter(addr: number, size: number, mask: number, anywhere: boolean, attrs: EntryAttributes): AddrResult {
    this.lockWrite();
    let start: number;
    if (anywhere) {
      const fit = this.store.firstFit(Math.max(addr, this.min), size, mask);
      if (fit === undefined) return { kr: "KERN_NO_SPACE" };
      start = fit;
    } else {
      start = addr;
      if (start % (mask + 1) !== 0) return { kr: "KERN_NO_SPACE" };
      if (start < this.min || start + size > this.max) return { kr: "KERN_INVALID_ADDRESS" };
      if (!this.rangeUnmapped(start, start + size)) return { kr: "KERN_NO_SPACE" };
    }
    const end = start + size;
    const prev = this.lookupEntry(start).entry;
    if (this.canCoalesce(prev, start, attrs)) {
      this.coalesce(prev, end);
    } else {
      attrs.object?.reference();
      this.entryInsert(prev, start, end, attrs);
    }
    return { kr: "KERN_SUCCESS", addr: start };
  }

  /** `vm_map_find_space`: kernel first fit from min; anonymous, RW of ALL, inheritance COPY. */
  findSpace(size: number, mask: number): AddrResult {
    this.lockWrite();
    const start = this.store.firstFit(this.min, size, mask);
    if (start === undefined) return { kr: "KERN_NO_SPACE" };
    const prev = this.lookupEntry(start).entry;
    this.entryInsert(prev, start, start + size, anonymousAttributes(VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_DEFAULT, 0));
    return { kr: "KERN_SUCCESS", addr: start };
  }

  /**
   * `vm_map_remove` of `[start, end)` clamped to the map. User wirings go; KUNWIRE also drops one
   * kernel wiring; if a kernel wiring would remain anywhere, KERN_FAILURE and nothing changes.
   */
  remove(start: number, end: number, flags: number): KernReturn {
    this.lockWrite();
    [start, end] = this.clamp(start, end);
    if (start >= end) return "KERN_SUCCESS";
    const kunwire = (flags & VM_MAP_REMOVE_KUNWIRE) !== 0;
    const header = this.store.header;
    const r = this.lookupEntry(start);
    const first = r.found ? r.entry : r.entry.next;
    for (let x = first; x !== header && x.start < end; x = x.next)
      if (this.wiringsLeftByRemove(x, kunwire) > 0) return "KERN_FAILURE";
    if (r.found) this.clipStart(first, start);
    this.deleteRange(first, end);
    return "KERN_SUCCESS";
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

  /** `vm_map_destroy`: every mapping goes, kernel wirings included (the owner is gone). */
  destroy(): void {
    this.lockWrite();
    this.deleteRange(this.store.header.next, this.max);
    this.refCount = 0;
  }

  // ---- attributes (§4.7–§4.9, §4.15, §4.19) ----

  /**
   * `vm_map_protect`: every page of `[start, end)` must be mapped and allow `p` within its max
   * (plus WRITE with COPY); the first failing page decides. Size 0 needs `start` mapped.
   */
  protect(start: number, end: number, prot: number, setMax: boolean): KernReturn {
    this.lockWrite();
    const copy = (prot & VM_PROT_COPY) !== 0;
    const p = prot & VM_PROT_ALL;
    const r = this.lookupEntry(start);
    if (!r.found) return "KERN_INVALID_ADDRESS";
    const failure = this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", (x) =>
      within(p, copy ? x.maxProtection | VM_PROT_WRITE : x.maxProtection) ? undefined : "KERN_PROTECTION_FAILURE",
    );
    if (failure !== undefined) return failure;
    this.forEachClipped(r.entry, start, end, (x) => {
      if (copy) {
        this.privateCopy(x);
        x.maxProtection |= VM_PROT_WRITE;
      }
      if (setMax) {
        x.maxProtection = p;
        x.protection &= p;
      } else {
        x.protection = p;
      }
    });
    return "KERN_SUCCESS";
  }

  /** `vm_map_inherit` over the mapped parts of `[start, end)` clamped to the map. */
  inherit(start: number, end: number, inheritance: number): KernReturn {
    this.lockWrite();
    [start, end] = this.clamp(start, end);
    if (start >= end) return "KERN_SUCCESS";
    const r = this.lookupEntry(start);
    this.forEachClipped(r.found ? r.entry : r.entry.next, start, end, (x) => {
      x.inheritance = inheritance;
    });
    return "KERN_SUCCESS";
  }

  /** `vm_map_behavior_set`: the range must lie inside the map and be fully mapped. */
  behaviorSet(start: number, end: number, behavior: number): KernReturn {
    this.lockWrite();
    if (start < this.min || end > this.max) return "KERN_INVALID_ADDRESS";
    const r = this.lookupEntry(start);
    if (!r.found) return "KERN_INVALID_ADDRESS";
    const failure = this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", () => undefined);
    if (failure !== undefined) return failure;
    this.forEachClipped(r.entry, start, end, (x) => {
      x.behavior = behavior;
    });
    return "KERN_SUCCESS";
  }

  /** `vm_map_machine_attribute`: bounds of the unrounded range; nothing is recorded. */
  machineAttribute(addr: number, size: number): KernReturn {
    if (addr < this.min || addr + size > this.max) return "KERN_INVALID_ADDRESS";
    this.lockWrite();
    return "KERN_SUCCESS";
  }

  /** `vm_map_simplify`. */
  simplify(addr: number): void {
    this.lockWrite();
    this.simplifyAt(addr);
  }

  // ---- wiring (§4.10) ----

  /**
   * `vm_map_wire` of `[start, end)` clamped to the map, all or nothing: the first page that is
   * unmapped, lacks `access` or would overflow a counter decides the failure.
   */
  wire(start: number, end: number, access: number, user: boolean): KernReturn {
    this.lockWrite();
    [start, end] = this.clamp(start, end);
    const r = this.lookupEntry(start);
    if (!r.found) return "KERN_INVALID_ADDRESS";
    if (start >= end) return "KERN_SUCCESS";
    const failure = this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", (x) => {
      if (!within(access, x.protection)) return "KERN_PROTECTION_FAILURE";
      return this.wireWouldOverflow(x, user) ? "KERN_FAILURE" : undefined;
    });
    if (failure !== undefined) return failure;
    this.forEachClipped(r.entry, start, end, (x) => this.addWiring(x, user));
    return "KERN_SUCCESS";
  }

  /**
   * `vm_map_unwire` of `[start, end)` clamped to the map. User: up to the first hole, one user
   * wiring off each entry that has one. Kernel: every page mapped with a kernel wiring, else
   * KERN_FAILURE and nothing changes.
   */
  unwire(start: number, end: number, user: boolean): KernReturn {
    this.lockWrite();
    [start, end] = this.clamp(start, end);
    const r = this.lookupEntry(start);
    if (!r.found) return "KERN_INVALID_ADDRESS";
    if (start >= end) return "KERN_SUCCESS";
    if (user) {
      const header = this.store.header;
      let pos = start;
      for (let x = r.entry; x !== header && x.start < end && x.start <= pos; x = x.next) {
        pos = x.end;
        if (x.userWiredCount > 0) {
          this.clipStart(x, start);
          this.clipEnd(x, end);
          this.dropWiring(x, true);
        }
      }
      return "KERN_SUCCESS";
    }
    const failure = this.firstFailure(r.entry, start, end, "KERN_FAILURE", (x) =>
      this.kernelWirings(x) > 0 ? undefined : "KERN_FAILURE",
    );
    if (failure !== undefined) return failure;
    this.forEachClipped(r.entry, start, end, (x) => this.dropWiring(x, false));
    return "KERN_SUCCESS";
  }

  // ---- queries and user access (§3.1, §4.18) ----

  /** The attributes of the page holding `addr`, or null when it is unmapped. */
  lookupPage(addr: number): PageAttributes | null {
    const r = this.lookupEntry(addr);
    if (!r.found) return null;
    const e = r.entry;
    return {
      prot: e.protection,
      maxProt: e.maxProtection,
      inheritance: e.inheritance,
      behavior: e.behavior,
      alias: e.alias,
      wiredCount: e.wiredCount,
      userWiredCount: e.userWiredCount,
    };
  }

  /** `vm_map_read_user`: the bytes `[addr, addr + size)`, or undefined when a page is unmapped or unreadable. */
  readUser(addr: number, size: number): Uint8Array | undefined {
    if (size > 0 && !this.accessible(addr, size, VM_PROT_READ)) return undefined;
    const out = new Uint8Array(size);
    this.forEachPiece(addr, size, (e, a, n, at) => {
      const o = e.object;
      if (o === null) return; // zero fill
      const ps = this.pageSize;
      const off = a % ps;
      const page = o.pageForRead((e.offset + (a - off - e.start)) / ps);
      if (page !== undefined) out.set(page.subarray(off, off + n), at);
    });
    return out;
  }

  /** `vm_map_write_user`: false (nothing written) when a page is unmapped or not writable. */
  writeUser(addr: number, bytes: Uint8Array): boolean {
    if (bytes.length === 0) return true;
    if (!this.accessible(addr, bytes.length, VM_PROT_WRITE)) return false;
    let upgraded = false;
    this.forEachPiece(addr, bytes.length, (e, a, n, at) => {
      if (e.object === null && !upgraded) {
        // The write fault creating the object upgrades to the write lock.
        this.lockWrite();
        upgraded = true;
      }
      const o = this.ensureObject(e);
      const ps = this.pageSize;
      const off = a % ps;
      o.pageForWrite((e.offset + (a - off - e.start)) / ps).set(bytes.subarray(at, at + n), off);
    });
    return true;
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

  /** Every page touched by `[addr, addr + size)` is mapped and allows `access`. */
  accessible(addr: number, size: number, access: number): boolean {
    const ps = this.pageSize;
    const start = addr - (addr % ps);
    const last = addr + size;
    const end = last % ps === 0 ? last : last - (last % ps) + ps;
    const r = this.lookupEntry(start);
    if (!r.found) return false;
    return this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", (x) =>
      within(access, x.protection) ? undefined : "KERN_INVALID_ADDRESS",
    ) === undefined;
  }

  /**
   * Visit the bytes `[addr, addr + size)` (known to be mapped) as pieces that stay within one page
   * of one entry: `f(entry, address, length, offset in the buffer)`.
   */
  forEachPiece(addr: number, size: number, f: (e: VmMapEntry, a: number, n: number, at: number) => void): void {
    const ps = this.pageSize;
    let e = this.lookupEntry(addr).entry;
    for (let a = addr; a < addr + size; ) {
      while (a >= e.end) e = e.next;
      const n = Math.min(ps - (a % ps), addr + size - a);
      f(e, a, n, a - addr);
      a += n;
    }
  }
}

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
