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
 * The class is the last of a chain, each layer one concept, every method overridable:
 * - map-core.ts (VmMapCore): lockWrite, lookupEntry, rangeUnmapped, updateFirstFree, clipStart,
 *   clipEnd, duplicate, entryInsert, entryDelete, disposed, releaseObjectOf, canCoalesce,
 *   objectCanGrow, coalesce, mergeable, merge, simplifyAt, kernelWirings, wireWouldOverflow,
 *   addWiring, dropWiring, wiringsLeftByRemove, unwireForRemove;
 * - map-memory.ts (VmMapMemory): clamp, firstFailure, forEachClipped, accessible, forEachPiece,
 *   placement, linkEntries, removeRange, removable, deleteRange, promoteCowPage, promoteOnTheWay,
 *   privatizeForWrite, pageIndex, ensureObject,
 *   shadowEntry, resolveCow, readPage, writablePage, writeNeedsUpgrade, faultInAll, privateCopy,
 *   delayedWindow, copyWindow, sharePrepare, entryCopy, mapsSharedMemory, writableInPlaceOnly,
 *   writeBytes;
 * - copy/copy-ops.ts (VmMapCopyOps): copyin, unreadable, copyEntryOf, copyout, copiedOut,
 *   overwriteFailure, overwriteApply, overwriteRange, overwriteAligned, moveCopyInto, copyPagesInto, copyPage, copyBytes;
 * - sharing.ts (VmMapSharing): fork, forkEntry, remap, fullyMapped, remapExtract,
 *   extractWindow, makeMemoryEntry, namedObject, mapNamedEntry, namedShare, namedCopy;
 * - here: the operations of §4.3–§4.10 and user access.
 * Object-level mechanisms (shadow, copy strategies, pushes, collapse) are methods of the
 * kernel's ObjectLayer (impl/object/object-layer.ts), replaceable through the Kernel options.
 */
import {
  VM_INHERIT_COPY,
  VM_INHERIT_DEFAULT,
  VM_INHERIT_SHARE,
  VM_PROT_ALL,
  VM_PROT_COPY,
  VM_PROT_DEFAULT,
  VM_PROT_READ,
  VM_PROT_WRITE,
  type KernReturn,
} from "../../spec/constants.ts";
import type { PageAttributes, SubmapView } from "../../spec/vocabulary.ts";
import type { VmMapEntry } from "./entry.ts";
import type { SharedRegion } from "../shared-regions.ts";
import type { AddrResult } from "../copy/copy-ops.ts";
import type { EntryAttributes } from "./entry.ts";
import { anonymousAttributes, within, type VmMapMemory } from "./map-memory.ts";
import { VmMapSharing } from "./sharing.ts";

export type { LookupResult, MapHost } from "./map-core.ts";
export type { AddrResult } from "../copy/copy-ops.ts";
export { anonymousAttributes } from "./map-memory.ts";

export class VmMap extends VmMapSharing {
  // ---- mapping (§4.3, §4.4, §4.6) ----

  /**
   * `vm_map_enter` of `size` bytes (a page multiple > 0) with `attrs` (whose object reference is
   * the caller's; the map takes its own on success). Fixed: at `addr`; anywhere: first fit at or
   * above `max(addr, min)` aligned by `mask`. An anonymous range may coalesce with its predecessor.
   */
  enter(addr: number, size: number, mask: number, anywhere: boolean, attrs: EntryAttributes): AddrResult {
    this.lockWrite();
    const start = this.placement(addr, size, mask, anywhere);
    if (typeof start === "string") return { kr: start };
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

  /**
   * `vm_map_enter` of the placeholder then `vm_map_submap` (§4.16) over the page-aligned
   * `[start, end)`: it must be inside the map and unmapped (else it is not one pristine
   * placeholder entry: KERN_INVALID_ARGUMENT). The entry is a window onto `submap` from
   * `offset`, RW of ALL, and takes a map reference; `use_pmap` is recorded only with offset 0.
   */
  installSubmap(start: number, end: number, submap: VmMap, offset: number, inheritance: number, usePmap: boolean): KernReturn {
    this.lockWrite();
    if (start < this.min || end > this.max || !this.rangeUnmapped(start, end)) return "KERN_INVALID_ARGUMENT";
    const attrs = anonymousAttributes(VM_PROT_DEFAULT, VM_PROT_ALL, inheritance, 0);
    this.holdSubmap(submap);
    this.entryInsert(this.lookupEntry(start).entry, start, end, { ...attrs, offset, submap, usePmap: usePmap && offset === 0 });
    return "KERN_SUCCESS";
  }

  /**
   * The loader's mapping of a shared region (§4.22) at its client base: the text submap as one
   * nested submap entry, the data submap as one copy-on-write submap entry (mapped with copy),
   * both READ of READ, inheritance SHARE. The whole range must be inside the map
   * (KERN_INVALID_ADDRESS) and unmapped (KERN_NO_SPACE).
   */
  mapSharedRegion(region: SharedRegion): KernReturn {
    this.lockWrite();
    const start = region.clientBase, dataStart = start + region.textSize, end = dataStart + region.dataSize;
    if (start < this.min || end > this.max) return "KERN_INVALID_ADDRESS";
    if (!this.rangeUnmapped(start, end)) return "KERN_NO_SPACE";
    const text = anonymousAttributes(VM_PROT_READ, VM_PROT_READ, VM_INHERIT_SHARE, 0);
    this.holdSubmap(region.text);
    this.entryInsert(this.lookupEntry(start).entry, start, dataStart, { ...text, submap: region.text, usePmap: true });
    this.mapSharedData(region.data, dataStart, end);
    return "KERN_SUCCESS";
  }

  /** The data submap over the free `[start, end)`: a copy-on-write submap entry (mapped with copy, §4.22), READ of READ, SHARE. */
  mapSharedData(data: VmMap, start: number, end: number): void {
    this.holdSubmap(data);
    const attrs = anonymousAttributes(VM_PROT_READ, VM_PROT_READ, VM_INHERIT_SHARE, 0);
    this.entryInsert(this.lookupEntry(start).entry, start, end, { ...attrs, submap: data, needsCopy: true });
  }

  /** True when this map is `target` or maps it as a submap, directly or through other submaps. */
  reaches(target: VmMap): boolean {
    if (this === target) return true;
    for (let x = this.store.header.next; x !== this.store.header; x = x.next) if (x.submap?.reaches(target)) return true;
    return false;
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
    return this.removeRange(start, end, flags);
  }

  /** `vm_map_destroy`: every mapping goes, kernel wirings included (the owner is gone). */
  destroy(): void {
    this.lockWrite();
    this.deleteRange(this.store.header.next, this.max);
    this.refCount = 0;
    this.host.mapDestroyed(this);
  }

  // ---- attributes (§4.7–§4.9, §4.15, §4.19) ----

  /**
   * `vm_map_protect`: every page of `[start, end)` must be mapped and allow `p` within its max
   * (plus WRITE with COPY); the first failing page decides. Size 0 needs `start` mapped. COPY
   * gives an ordinary entry a private copy ({@link privateCopy}) and makes a submap entry a
   * copy-on-write submap (`needs_copy`, §4.7).
   */
  protect(start: number, end: number, prot: number, setMax: boolean): KernReturn {
    this.lockWrite();
    const copy = (prot & VM_PROT_COPY) !== 0;
    const p = prot & VM_PROT_ALL;
    const r = this.lookupEntry(start);
    if (!r.found) return "KERN_INVALID_ADDRESS";
    const failure = this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", (x) => {
      return within(p, copy ? x.maxProtection | VM_PROT_WRITE : x.maxProtection) ? undefined : "KERN_PROTECTION_FAILURE";
    });
    if (failure !== undefined) return failure;
    this.forEachClipped(r.entry, start, end, (x) => {
      if ((setMax ? x.protection & p : p) !== x.protection) this.windowChanging(x);
      if (copy) {
        if (x.submap === null) this.privateCopy(x);
        else this.makeCowWindow(x);
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

  /** VM_PROT_COPY on submap entry `x`: it becomes a copy-on-write submap, never nested (its pages may not be written through). */
  makeCowWindow(x: VmMapEntry): void {
    this.windowChanging(x);
    x.needsCopy = true;
  }

  /** `vm_map_inherit` over the mapped parts of `[start, end)` clamped to the map. */
  inherit(start: number, end: number, inheritance: number): KernReturn {
    this.lockWrite();
    [start, end] = this.clamp(start, end);
    if (start >= end) return "KERN_SUCCESS";
    const r = this.lookupEntry(start);
    const first = r.found ? r.entry : r.entry.next;
    // First pass: submaps are shared or omitted, never copied (§4.8, invariant #20).
    if (inheritance === VM_INHERIT_COPY && this.anySubmapFrom(first, end)) return "KERN_INVALID_ARGUMENT";
    this.forEachClipped(first, start, end, (x) => {
      x.inheritance = inheritance;
    });
    return "KERN_SUCCESS";
  }

  /** Some entry from `first` that starts below `end` is a submap entry. */
  anySubmapFrom(first: VmMapEntry, end: number): boolean {
    for (let x = first; x !== this.store.header && x.start < end; x = x.next) if (x.submap !== null) return true;
    return false;
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
    // An empty range (after clamping) inside an entry wires nothing.
    if (start >= end) return "KERN_SUCCESS";
    // A submap entry wires the submap's pages, which must be there (xnu-344 intent, §4.10); its counts are its own.
    const failure = this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", (x) => this.throughSubmaps(start, end, (held) => {
      if (!within(access, held.prot)) return "KERN_PROTECTION_FAILURE";
      return this.wireWouldOverflow(x, user) ? "KERN_FAILURE" : undefined;
    })(x));
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

  /** What `lookup` reports: the page's attributes, and for a submap entry the descent into the submap. */
  lookupView(addr: number): { page: PageAttributes | null; submap?: SubmapView } {
    const r = this.lookupEntry(addr);
    const page = this.lookupPage(addr);
    const e = r.entry;
    if (!r.found || e.submap === null) return { page };
    const at = addr - e.start + e.offset;
    const inner = e.submap.lookupView(at);
    const view = { map: this.host.handleOf(e.submap), addr: at, nested: e.usePmap, cow: e.needsCopy, page: inner.page };
    return { page, submap: inner.submap === undefined ? view : { ...view, submap: inner.submap } };
  }

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
    const ps = this.pageSize;
    this.forEachPiece(addr, size, (e, a, n, at, owner) => {
      const off = a % ps;
      const page = owner.readPage(e, a - off);
      if (page !== undefined) out.set(page.subarray(off, off + n), at);
    });
    return out;
  }

  /**
   * `vm_map_write_user`: false (nothing written) when a page is unmapped or not writable. Writes
   * resolve copy-on-write; a fault that must create or shadow an object upgrades to the write lock.
   */
  writeUser(addr: number, bytes: Uint8Array): boolean {
    if (bytes.length === 0) return true;
    if (!this.accessible(addr, bytes.length, VM_PROT_WRITE)) return false;
    const upgrades = new Set<VmMapMemory>();
    this.forEachPiece(addr, bytes.length, (e, _a, _n, _at, owner) => {
      if (owner.writeNeedsUpgrade(e)) upgrades.add(owner);
    });
    for (const owner of upgrades) owner.lockWrite();
    this.writeBytes(addr, bytes);
    return true;
  }
}
