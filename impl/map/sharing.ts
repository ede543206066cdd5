/**
 * Sharing memory between maps (reference §4.12, §4.17, §4.21): fork, remap and named entries.
 * The kernel facade validates arguments; these methods do the work through the mechanisms of
 * {@link VmMapMemory}, always via `this`.
 *
 * - fork: SHARE entries are prepared for sharing ({@link sharePrepare}: shadow if needed, the
 *   object becomes DELAY) and both sides are marked `isShared`; COPY entries are copied by
 *   {@link copyWindow} (symmetric quick copy, delayed copy object, or physical copy for wired
 *   sources); NONE entries, and COPY entries whose max protection lacks READ, are left out.
 * - remap extracts the source range like fork-share; a copy then takes a delayed copy object
 *   (the object just became DELAY), or a physical copy of a wired source.
 * - A named entry resolves pending copy-on-write first, so it names the writable top object,
 *   which becomes truly shared; mapping it shares that object or takes a delayed copy of it.
 *   A submap-backed named entry is mapped as a submap entry, copy-on-write when copied.
 */
import {
  VM_INHERIT_COPY,
  VM_INHERIT_SHARE,
  VM_PROT_ALL,
  VM_PROT_READ,
  VM_PROT_WRITE,
  type KernReturn,
} from "../../spec/constants.ts";
import type { NamedEntry, ObjectWindow } from "../copy/map-copy.ts";
import { VmMapPageLists } from "../copy/page-list-ops.ts";
import type { CopiedWindow } from "../object/object-layer.ts";
import type { VmObject } from "../object/vm-object.ts";
import { newEntry, type VmMapEntry } from "./entry.ts";
import { anonymousAttributes, within } from "./map-memory.ts";
import type { VmMap } from "./vm-map.ts";

/** Result of remap. */
export interface RemapResult {
  readonly kr: KernReturn;
  readonly addr?: number;
  readonly cur?: number;
  readonly max?: number;
}

/** Entries extracted from a source range, at addresses relative to its start. */
export interface Extracted {
  readonly entries: VmMapEntry[];
  readonly cur: number;
  readonly max: number;
}

export abstract class VmMapSharing extends VmMapPageLists {
  // ---- fork (§4.12) ----

  /** `vm_map_fork`: a new map with this map's bounds, populated by inheritance. Never fails. */
  fork(): VmMap {
    this.lockWrite();
    const child = this.host.createMap(this.min, this.max);
    const inherited: VmMapEntry[] = [];
    const header = this.store.header;
    for (let x = header.next; x !== header; x = x.next) {
      const e = this.forkEntry(x);
      if (e !== undefined) inherited.push(e);
    }
    child.linkEntries(child.store.header, inherited);
    return child;
  }

  /** The child's entry for parent entry `x`, or undefined when the child gets nothing there. */
  forkEntry(x: VmMapEntry): VmMapEntry | undefined {
    if (x.submap !== null) return x.inheritance === VM_INHERIT_SHARE ? this.forkSubmap(x) : undefined;
    if (x.inheritance === VM_INHERIT_SHARE) {
      const o = this.sharePrepare(x);
      o.reference();
      const e = this.entryCopy(x, x.start, x.end, { object: o, offset: x.offset, needsCopy: false });
      x.isShared = true;
      e.isShared = true;
      return e;
    }
    if (x.inheritance === VM_INHERIT_COPY) {
      // Reference §8 #9, intended: a range whose max protection lacks READ cannot be copied.
      if ((x.maxProtection & VM_PROT_READ) === 0) return undefined;
      return this.entryCopy(x, x.start, x.end, this.copyWindow(x, x.offset, x.end - x.start));
    }
    return undefined; // NONE (and DONATE_COPY, which no operation can set)
  }

  /**
   * A SHARE submap entry in the child: the same window onto the same submap (one more map
   * reference; the nesting recorded as is). A submap entry of any other inheritance is left out:
   * submaps are shared or omitted, never copied (§4.12).
   */
  forkSubmap(x: VmMapEntry): VmMapEntry {
    const e = this.duplicate(x, x.start, x.end);
    x.submap!.reference(); // the child is new, hence resident
    e.wiredCount = 0;
    e.userWiredCount = 0;
    e.inTransition = false;
    e.needsWakeup = false;
    x.isShared = true; // for a submap entry never read: every reader asks for an object first
    e.isShared = true; // (likewise)
    return e;
  }

  // ---- remap (§4.17) ----

  /**
   * `vm_remap` into this map of `size` bytes (page multiple) of `source` at `srcStart`
   * (page-aligned, not wrapping): every source page must be mapped (KERN_INVALID_ADDRESS), then
   * the space is placed as enter does; new entries keep their source's protections, behavior and
   * alias, get `inheritance`; `cur`/`max` are the AND of the source protections.
   */
  remap(addr: number, size: number, mask: number, anywhere: boolean, source: VmMap, srcStart: number, copy: boolean, inheritance: number): RemapResult {
    if (!source.fullyMapped(srcStart, srcStart + size)) return { kr: "KERN_INVALID_ADDRESS" };
    this.lockWrite();
    const where = this.placement(addr, size, mask, anywhere);
    if (typeof where === "string") return { kr: where };
    const { entries, cur, max } = source.remapExtract(srcStart, srcStart + size, copy, inheritance);
    for (const e of entries) {
      e.start += where;
      e.end += where;
    }
    this.linkEntries(this.lookupEntry(where).entry, entries);
    return { kr: "KERN_SUCCESS", addr: where, cur, max };
  }

  /** Every page of `[start, end)` is mapped, none by a submap entry (`vm_remap_extract` refuses submaps, §4.17). */
  fullyMapped(start: number, end: number): boolean {
    const r = this.lookupEntry(start);
    const noSubmap = (x: VmMapEntry) => (x.submap === null ? undefined : "KERN_INVALID_ADDRESS");
    return r.found && this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", noSubmap) === undefined;
  }

  /**
   * `vm_remap_extract` of the fully mapped `[start, end)`: one entry per source piece, at
   * addresses relative to `start`, sharing (both sides `isShared`) or copying the source's memory.
   * Source entries are not clipped.
   */
  remapExtract(start: number, end: number, copy: boolean, inheritance: number): Extracted {
    this.lockWrite();
    const entries: VmMapEntry[] = [];
    let cur = VM_PROT_ALL;
    let max = VM_PROT_ALL;
    for (let x = this.lookupEntry(start).entry; x.start < end && x !== this.store.header; x = x.next) {
      const s = Math.max(x.start, start);
      const e = Math.min(x.end, end);
      const w = this.extractWindow(x, s - x.start, e - s, copy);
      const n = this.entryCopy(x, s - start, e - start, w);
      n.inheritance = inheritance;
      n.isShared = !copy;
      if (!copy) x.isShared = true;
      cur &= x.protection;
      max &= x.maxProtection;
      entries.push(n);
    }
    return { entries, cur, max };
  }

  /**
   * The memory remap gives a new entry for `size` bytes of `x` at `at` bytes into it: the source is
   * prepared like fork-share, then shared as is, or copied through its (now DELAY) strategy; a
   * wired source is copied physically.
   */
  extractWindow(x: VmMapEntry, at: number, size: number, copy: boolean): CopiedWindow {
    if (copy && x.wiredCount > 0) return { object: this.layer.copySlowly(x.object!, x.offset + at, size), offset: 0, needsCopy: false };
    const o = this.sharePrepare(x);
    const offset = x.offset + at;
    if (!copy) {
      o.reference();
      return { object: o, offset, needsCopy: false };
    }
    return this.delayedWindow(o, offset, size);
  }

  // ---- named entries (§4.21) ----

  /**
   * `mach_make_memory_entry` for the page-aligned `[start, end)`: every page mapped
   * (KERN_INVALID_ADDRESS) with `permission` in its current protection
   * (KERN_PROTECTION_FAILURE), the first failing page deciding. The entry holds one window per
   * map entry piece, on the object a write through the range would land in.
   */
  makeMemoryEntry(start: number, end: number, permission: number): KernReturn | NamedEntry {
    this.lockWrite();
    const r = this.lookupEntry(start);
    if (!r.found) return "KERN_INVALID_ADDRESS";
    const failure = this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", this.throughSubmaps(start, end, (held) =>
      within(permission, held.prot) ? undefined : "KERN_PROTECTION_FAILURE",
    ));
    if (failure !== undefined) return failure;
    // Asking for WRITE is a write fault (§4.21): pages behind copy-on-write submaps are promoted first.
    if (within(VM_PROT_WRITE, permission)) this.privatizeForWrite(start, end);
    return { protection: permission, size: end - start, windows: this.namedWindows(start, end) };
  }

  /**
   * The object windows a named entry over the checked `[start, end)` holds, one per entry piece;
   * a submap entry's piece is translated into the submap and named there (reference §10.9).
   */
  namedWindows(start: number, end: number): ObjectWindow[] {
    const windows: ObjectWindow[] = [];
    for (let x = this.lookupEntry(start).entry; x !== this.store.header && x.start < end; x = x.next) {
      const s = Math.max(x.start, start);
      const e = Math.min(x.end, end);
      if (x.submap !== null) {
        x.submap.lockWrite(); // its entries get objects, shadows and true sharing: the submap's write lock
        windows.push(...x.submap.namedWindows(s - x.start + x.offset, e - x.start + x.offset));
        continue;
      }
      const o = this.namedObject(x);
      o.reference();
      windows.push({ object: o, offset: x.offset + (s - x.start), size: e - s });
    }
    return windows;
  }

  /**
   * The object a named entry over `x` names: pending copy-on-write resolved, and an internal
   * object that is symmetrically copied or larger than the entry stepped away from (shadowed),
   * so the shared object is the subject of no outstanding symmetric copy; it is then truly
   * shared (never coalesced, never marked copy-on-write) and DELAY.
   */
  namedObject(x: VmMapEntry): VmObject {
    const o = this.ensureObject(x);
    if (x.needsCopy || (o.internal && o.strategy === "symmetric" && (o.shadowed || o.size > x.end - x.start))) this.shadowEntry(x);
    const top = x.object!;
    top.trueShare = true;
    this.layer.makeShared(top);
    return top;
  }

  /**
   * Map `size` bytes (page multiple) of named entry `named` from `offset` (page-aligned, inside
   * it), placed as enter places them: shared (the entry's objects themselves) or a snapshot (a
   * copy through each object's strategy). Pages get `cur`, `max`, `inheritance`, alias 0.
   */
  mapNamedEntry(addr: number, size: number, mask: number, anywhere: boolean, named: NamedEntry, offset: number, copy: boolean, cur: number, max: number, inheritance: number): { kr: KernReturn; addr?: number } {
    this.lockWrite();
    const where = this.placement(addr, size, mask, anywhere);
    if (typeof where === "string") return { kr: where };
    const entries: VmMapEntry[] = named.submap ? this.submapWindow(named.submap, offset, size, copy, cur, max, inheritance) : [];
    if (named.submap) {
      for (const e of entries) {
        e.start += where;
        e.end += where;
      }
      this.linkEntries(this.lookupEntry(where).entry, entries);
      return { kr: "KERN_SUCCESS", addr: where };
    }
    let pos = 0; // offset of the current window within the named entry
    for (const w of named.windows) {
      const lo = Math.max(pos, offset);
      const hi = Math.min(pos + w.size, offset + size);
      if (lo < hi) {
        const at = w.offset + (lo - pos);
        const window = copy ? this.namedCopy(w.object, at, hi - lo) : this.namedShare(w.object, at);
        const look = anonymousAttributes(cur, max, inheritance, 0);
        entries.push(this.entryCopy(look, where + (lo - offset), where + (hi - offset), window));
      }
      pos += w.size;
    }
    this.linkEntries(this.lookupEntry(where).entry, entries);
    return { kr: "KERN_SUCCESS", addr: where };
  }

  /**
   * The entry, at addresses relative to 0, that maps `size` bytes of `submap` from `offset`
   * (relative to its min): one submap entry (not nested; +1 map reference); with `copy` a
   * copy-on-write submap (`needs_copy`, §4.21), promoted page by page as writes reach it.
   */
  submapWindow(submap: VmMap, offset: number, size: number, copy: boolean, cur: number, max: number, inheritance: number): VmMapEntry[] {
    this.holdSubmap(submap);
    return [newEntry(0, size, { ...anonymousAttributes(cur, max, inheritance, 0), submap, offset: submap.min + offset, needsCopy: copy })];
  }

  /** A shared mapping of a named entry's window: the object itself. */
  namedShare(o: VmObject, offset: number): CopiedWindow {
    o.reference();
    return { object: o, offset, needsCopy: false };
  }

  /** A snapshot of a named entry's window (reference §10.6): a delayed copy object. */
  namedCopy(o: VmObject, offset: number, size: number): CopiedWindow {
    return this.delayedWindow(o, offset, size);
  }
}
