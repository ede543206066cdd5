/**
 * The mechanisms a map's operations are built from (reference §3): lookup with the hint, clipping,
 * entry insert/delete, first_free maintenance, enter-time coalescing, simplify and wiring
 * counters. What lies behind an entry (objects, copy-on-write, faults) is the next layer,
 * {@link VmMapMemory} (map-memory.ts).
 *
 * Every mechanism is a method, and every caller invokes it through `this`, so a test can plant a
 * bug by subclassing {@link VmMap} (vm-map.ts) and overriding exactly one of them.
 *
 * Entries are only ever linked, unlinked and resized through the {@link BTreeEntryStore}; this class
 * keeps the map-level bookkeeping the store does not know about: `size`, `hint`, `firstFree`,
 * `timestamp` and object references.
 */
import { VM_BEHAVIOR_DEFAULT } from "../../spec/constants.ts";
import type { Scope } from "../../spec/scope.ts";
import type { ObjectLayer } from "../object/object-layer.ts";
import type { ObjectKind, VmObject } from "../object/vm-object.ts";
import { BTreeEntryStore } from "./btree-store.ts";
import { newEntry, type EntryAttributes, type VmMapEntry } from "./entry.ts";
import type { VmMap } from "./vm-map.ts";

/** What a map needs from the kernel that owns it. */
export interface MapHost {
  readonly scope: Scope;
  /** The object layer: shadows, copy strategies, collapse, termination. */
  readonly objectLayer: ObjectLayer;
  /** A new object with one reference (the caller's), numbered in creation order. */
  newObject(kind: ObjectKind, size: number): VmObject;
  /** A new empty map of the kernel's map class (not yet registered under a handle). */
  createMap(min: number, max: number): VmMap;
  /** The handle `map` was created under (submap views name submaps by handle). */
  handleOf(map: VmMap): number;
  /** Set while a scheduler runs threads: called instead of bumping the timestamp when a map method takes the write lock. */
  readonly lockGuard?: ((map: VmMapCore) => void) | null;
  /** `map` was just swapped out (res_count reached 0): its unwired translations leave the pmap. */
  mapSwappedOut(map: VmMap): void;
  /**
   * `pmap_destroy`: the last reference to `map` is gone, whoever held it (a handle, or a submap
   * entry of another map), so its pmap, its translations and its ASID go too.
   */
  mapDestroyed(map: VmMap): void;
  /**
   * `pmap_unnest`: the submap window `e` of `map`, which asks for a nested pmap, is about to be
   * clipped, deleted, protected or wired, so it may stop being an exact window; the MMU un-nests
   * it first (the next re-derivation nests what is exact again).
   */
  unnestWindow(map: VmMap, e: VmMapEntry): void;
}

/** Result of `vm_map_lookup_entry`: the entry holding the address, or its predecessor. */
export interface LookupResult {
  readonly found: boolean;
  /** `found`: the entry with `start ≤ addr < end`; else the last entry ending ≤ addr, or the header. */
  readonly entry: VmMapEntry;
}

export abstract class VmMapCore {
  /** Entries: the list through the header plus the O(log n) search tree (`hdr`, `nentries`). */
  readonly store: BTreeEntryStore;
  /** Sum of the entries' sizes. */
  size = 0;
  /** Last lookup result: the header or a live entry. */
  hint: VmMapEntry;
  /** The entry before the lowest hole at or above min, or the header (reference §3.2). */
  firstFree: VmMapEntry;
  /** Version: +1 on every write-lock acquisition (reference §2.1). */
  timestamp = 0;
  refCount = 1;
  /** `res_count` (TASK_SWAPPER, reference §4.2): the holders whose reference is resident. */
  resCount = 1;
  /** `sw_state`: OUT exactly while `resCount` is 0 (invariant #37). */
  swState: "in" | "out" = "in";
  readonly pageSize: number;
  /** The bounds, kept apart from the header's copy so that a corrupted header is detectable. */
  private readonly minOffset: number;
  private readonly maxOffset: number;

  constructor(
    readonly host: MapHost,
    min: number,
    max: number,
  ) {
    this.minOffset = min;
    this.maxOffset = max;
    const order = host.scope.mapTreeOrder; // undefined: the store's default
    this.store = new BTreeEntryStore(min, max, { leafOrder: order, innerOrder: order });
    this.hint = this.store.header;
    this.firstFree = this.store.header;
    this.pageSize = host.scope.pageSize;
  }

  /** `min_offset` (the header's `start` holds the same value). */
  get min(): number {
    return this.minOffset;
  }
  /** `max_offset` (the header's `end` holds the same value). */
  get max(): number {
    return this.maxOffset;
  }

  get nentries(): number {
    return this.store.nentries;
  }

  // ---- locking ----

  /**
   * `vm_map_lock`: taking the write lock bumps the timestamp. Under the scheduler
   * (impl/sched/) the thread took the lock already (and bumped it then): the host's lock guard
   * only checks that it holds one.
   */
  lockWrite(): void {
    const guard = this.host.lockGuard;
    if (guard) guard(this);
    else this.timestamp++;
  }

  // ---- lookup (§3.1) ----

  /**
   * `vm_map_lookup_entry`: the hint answers when `addr` is in it; otherwise the tree does (first
   * in the leaf of its last search, which usually holds the hint's neighbours). The result
   * becomes the new hint.
   */
  lookupEntry(addr: number): LookupResult {
    const header = this.store.header;
    const h = this.hint;
    if (h !== header && h.start <= addr && addr < h.end) return { found: true, entry: h };
    // Not h.next: on a random lookup in a large map that is a cache miss, and the tree answers
    // a lookup near the last one from a cached leaf anyway.
    const e = this.store.floor(addr);
    this.hint = e;
    return { found: e !== header && addr < e.end, entry: e };
  }

  /** True when no page of `[start, end)` is mapped. */
  rangeUnmapped(start: number, end: number): boolean {
    const r = this.lookupEntry(start);
    if (r.found) return false;
    const next = r.entry.next;
    return next === this.store.header || next.start >= end;
  }

  // ---- first_free (§3.2) ----

  /** Re-derive `firstFree` from the store's lowest hole in O(log n). */
  updateFirstFree(): void {
    const hole = this.store.lowestHole();
    this.firstFree = hole === this.min ? this.store.header : this.store.floor(hole - 1);
  }

  // ---- clipping (§3.5) ----

  /**
   * Split `e` so that it starts at `a` (when `e.start < a`); the new lower part gets +1 object
   * reference. Clipping never changes which addresses are mapped, and `e` keeps its end, so
   * first_free stays right as it is.
   */
  clipStart(e: VmMapEntry, a: number): void {
    if (e.start < a) {
      this.windowChanging(e);
      const lower = this.duplicate(e, e.start, a);
      const prev = e.prev;
      e.offset += a - e.start;
      this.store.setRange(e, a, e.end);
      this.store.insertAfter(prev, lower);
      lower.object?.reference();
      if (lower.submap) this.holdSubmap(lower.submap);
    }
  }

  /**
   * Split `e` so that it ends at `a` (when `a < e.end`); the new upper part gets +1 object
   * reference. If `e` was first_free (the entry before the lowest hole), the upper part now is.
   */
  clipEnd(e: VmMapEntry, a: number): void {
    if (a < e.end) {
      this.windowChanging(e);
      const upper = this.duplicate(e, a, e.end);
      upper.offset = e.offset + (a - e.start);
      this.store.setRange(e, e.start, a);
      this.store.insertAfter(e, upper);
      upper.object?.reference();
      if (upper.submap) this.holdSubmap(upper.submap);
      if (this.firstFree === e) this.firstFree = upper;
    }
  }

  /** The lowest unmapped address as first_free describes it: its end, or min for the header. */
  firstHole(): number {
    return this.firstFree === this.store.header ? this.min : this.firstFree.end;
  }

  /** `vm_map_entry_copy_full`: an exact detached copy of `e` over `[start, end)`. */
  duplicate(e: VmMapEntry, start: number, end: number): VmMapEntry {
    const d = newEntry(start, end, e);
    d.inTransition = e.inTransition;
    d.needsWakeup = e.needsWakeup;
    return d;
  }

  // ---- insert / delete (§3.7, §3.8) ----

  /** `vm_map_entry_insert`: link a new entry after `after`; consumes the caller's object reference. */
  entryInsert(after: VmMapEntry, start: number, end: number, attrs: EntryAttributes): VmMapEntry {
    const e = newEntry(start, end, attrs);
    // Only an entry that starts at the lowest hole moves it (one above it leaves it where it is).
    const moves = start <= this.firstHole();
    this.store.insertAfter(after, e);
    this.size += end - start;
    this.hint = e;
    if (moves) this.updateFirstFree();
    return e;
  }

  /** `vm_map_entry_delete`: unlink an unwired entry and drop its object reference. */
  entryDelete(e: VmMapEntry): void {
    this.windowChanging(e);
    // Only an entry below the lowest hole (in the gap-free run from min) moves it.
    const moves = e.start < this.firstHole();
    this.store.unlink(e);
    this.size -= e.end - e.start;
    this.disposed(e);
    if (moves) this.updateFirstFree();
    this.releaseObjectOf(e);
  }

  /** Before a submap window that asks for a nested pmap changes shape, protection or wiring: un-nest it. */
  windowChanging(e: VmMapEntry): void {
    if (e.usePmap && e.submap !== null) this.host.unnestWindow(this as unknown as VmMap, e);
  }

  /** An entry left the map: neither pointer may dangle (vm_map.c disposal). */
  disposed(e: VmMapEntry): void {
    if (this.hint === e) this.hint = this.store.header;
    if (this.firstFree === e) this.firstFree = this.store.header;
  }

  /** Drop the entry's object reference (the last one frees the object's pages), or its submap reference. */
  releaseObjectOf(e: VmMapEntry): void {
    const o = e.object, m = e.submap;
    e.object = null;
    e.submap = null;
    o?.release();
    if (m) this.dropSubmap(m);
  }

  // ---- references (§4.2, invariants #36, #38) ----

  /**
   * `vm_map_reference_swap`: one more resident holder (a handle, a submap entry of a resident
   * map, a named entry, a region); a swapped-out map is swapped in.
   */
  reference(): void {
    this.refCount++;
    this.resReference();
  }

  /** One more holder without residence (a submap entry of a swapped-out map). */
  referenceNonResident(): void {
    this.refCount++;
  }

  /**
   * `vm_map_deallocate`: one resident holder less; the last reference destroys the map, any
   * other takes its residence with it (res_deallocate, maybe swapping the map out).
   */
  release(): void {
    if (this.refCount === 1) return this.releaseNonResident();
    this.refCount--;
    this.resDeallocate();
  }

  /** One holder without residence less; the last reference destroys the map. */
  releaseNonResident(): void {
    if (--this.refCount === 0) this.destroy();
  }

  /** `vm_map_res_reference`: one more resident holder; the first swaps the map in. */
  resReference(): void {
    if (this.resCount === 0) this.swapIn();
    this.resCount++;
  }

  /** `vm_map_res_deallocate`: one resident holder less; the last swaps the map out. */
  resDeallocate(): void {
    if (--this.resCount === 0) this.swapOut();
  }

  /** `vm_map_swapin`: every submap this map maps gets its entries' residence back. */
  swapIn(): void {
    this.lockWrite();
    for (const sub of this.submapsOfEntries()) sub.resReference();
    this.swState = "in";
  }

  /** `vm_map_swapout`: the submaps lose the entries' residence; the translations leave the pmap. */
  swapOut(): void {
    this.lockWrite();
    for (const sub of this.submapsOfEntries()) sub.resDeallocate();
    this.swState = "out";
    this.host.mapSwappedOut(this as unknown as VmMap);
  }

  /** The submap of each submap entry, once per entry (clipped pieces count apart, as their references do). */
  submapsOfEntries(): VmMap[] {
    const subs: VmMap[] = [];
    const header = this.store.header;
    for (let e = header.next; e !== header; e = e.next) if (e.submap) subs.push(e.submap);
    return subs;
  }

  /** A new submap entry of this map takes its reference on `submap`: resident when this map is. */
  holdSubmap(submap: VmMap): void {
    if (this.swState === "in") submap.reference();
    else submap.referenceNonResident();
  }

  /** A submap entry of this map went: its reference on `submap` goes, with residence when this map is resident. */
  dropSubmap(submap: VmMap): void {
    if (this.swState === "in") submap.release();
    else submap.releaseNonResident();
  }

  /** `vm_map_destroy`: every mapping goes (vm-map.ts). */
  abstract destroy(): void;

  // ---- enter-time coalescing (§4.3, §5.6) ----

  /**
   * Can the new anonymous range `[start, end)` with `attrs` be added to `prev` by growing it?
   * Only for anonymous memory, a lower neighbour ending at `start`, not shared, behavior DEFAULT,
   * not in transition, unwired, with the same protections, inheritance and alias, whose object
   * is absent or can grow ({@link objectCanGrow}).
   */
  canCoalesce(prev: VmMapEntry, start: number, attrs: EntryAttributes): boolean {
    if (prev === this.store.header || prev.end !== start || prev.submap !== null) return false;
    if (attrs.object !== null || attrs.behavior !== VM_BEHAVIOR_DEFAULT) return false;
    if (prev.isShared || prev.inTransition || prev.wiredCount !== 0 || prev.userWiredCount !== 0) return false;
    if (prev.behavior !== VM_BEHAVIOR_DEFAULT) return false;
    if (
      prev.protection !== attrs.protection ||
      prev.maxProtection !== attrs.maxProtection ||
      prev.inheritance !== attrs.inheritance ||
      prev.alias !== attrs.alias
    )
      return false;
    return prev.object === null || this.objectCanGrow(prev.object);
  }

  /**
   * `vm_object_coalesce`: an anonymous object may grow when nothing else can see it: one
   * reference, no shadow, no copy object, not truly shared.
   */
  objectCanGrow(o: VmObject): boolean {
    return o.kind === "anonymous" && o.refCount === 1 && o.shadow === null && o.copy === null && !o.trueShare;
  }

  /** Grow `prev` up to `end`; its object (if any) drops stale pages of the new range and grows. */
  coalesce(prev: VmMapEntry, end: number): void {
    const o = prev.object;
    const oldEnd = prev.end;
    if (o !== null) {
      const ps = this.pageSize;
      const from = prev.offset + (oldEnd - prev.start);
      const to = from + (end - oldEnd);
      o.discardPages(from / ps, to / ps);
      if (o.size < to) o.size = to;
    }
    this.store.setRange(prev, prev.start, end);
    this.size += end - oldEnd;
    this.updateFirstFree();
  }

  // ---- simplify (§4.15) ----

  /**
   * Mergeable neighbours: `a` directly before `b`, both real entries, neither shared nor in
   * transition, the same object at contiguous offsets, and identical attributes.
   */
  mergeable(a: VmMapEntry, b: VmMapEntry): boolean {
    const header = this.store.header;
    return (
      a !== header &&
      b !== header &&
      a.end === b.start &&
      !a.isShared &&
      !b.isShared &&
      a.submap === null &&
      b.submap === null &&
      !a.inTransition &&
      !b.inTransition &&
      a.object === b.object &&
      a.offset + (a.end - a.start) === b.offset &&
      a.needsCopy === b.needsCopy &&
      a.protection === b.protection &&
      a.maxProtection === b.maxProtection &&
      a.inheritance === b.inheritance &&
      a.behavior === b.behavior &&
      a.alias === b.alias &&
      a.wiredCount === b.wiredCount &&
      a.userWiredCount === b.userWiredCount
    );
  }

  /** `b` (directly after `a`) is absorbed into `a`; `b`'s object reference is dropped. */
  merge(a: VmMapEntry, b: VmMapEntry): void {
    const end = b.end;
    this.store.unlink(b);
    this.disposed(b);
    this.store.setRange(a, a.start, end);
    this.releaseObjectOf(b);
    this.updateFirstFree();
  }

  /**
   * `vm_map_simplify`: if `addr` is mapped, merge the predecessor into its entry when mergeable,
   * then look `addr` up again and merge the successor into it when mergeable.
   */
  simplifyAt(addr: number): void {
    const r = this.lookupEntry(addr);
    if (!r.found) return;
    const t = r.entry;
    if (this.mergeable(t.prev, t)) {
      const p = t.prev;
      this.merge(p, t);
      this.hint = p;
    }
    const cur = this.lookupEntry(addr).entry;
    if (this.mergeable(cur, cur.next)) this.merge(cur, cur.next);
  }

  // ---- objects (map-memory.ts) ----

  /** Resolve copy-on-write and make every page of the entry resident in its top object (a wiring fault). */
  abstract faultInAll(e: VmMapEntry): void;

  // ---- wiring counters (§4.10) ----

  /** Kernel wirings of an entry: `wired_count` minus the one wiring all user wirings share. */
  kernelWirings(e: VmMapEntry): number {
    return e.wiredCount - (e.userWiredCount > 0 ? 1 : 0);
  }

  /** Would one more wiring pass MAX_WIRE_COUNT on either counter? */
  wireWouldOverflow(e: VmMapEntry, user: boolean): boolean {
    const max = this.host.scope.maxWireCount;
    if (!user) return e.wiredCount >= max;
    return e.userWiredCount >= max || (e.userWiredCount === 0 && e.wiredCount >= max);
  }

  /**
   * One more wiring. Invariant (reference §6.4 #15): wired ⇒ object present and every page
   * resident — so the first wiring faults the whole entry in.
   */
  addWiring(e: VmMapEntry, user: boolean): void {
    const wasWired = e.wiredCount > 0;
    if (e.wiredCount === 0) this.windowChanging(e);
    if (!user) e.wiredCount++;
    else if (e.userWiredCount++ === 0) e.wiredCount++;
    if (!wasWired && e.submap === null) this.faultInAll(e); // a submap entry's count is its own (§4.10)
  }

  /** One wiring less (the caller checked there is one of that kind). Pages stay resident. */
  dropWiring(e: VmMapEntry, user: boolean): void {
    if (!user) e.wiredCount--;
    else if (--e.userWiredCount === 0) e.wiredCount--;
  }

  /** Kernel wirings that remove would leave on `e`: all user wirings go, and with KUNWIRE one kernel wiring. */
  wiringsLeftByRemove(e: VmMapEntry, kunwire: boolean): number {
    const k = this.kernelWirings(e);
    return kunwire && k > 0 ? k - 1 : k;
  }

  /** Remove's unwiring of an entry it is about to delete (the caller checked nothing is left). */
  unwireForRemove(e: VmMapEntry): void {
    e.userWiredCount = 0;
    e.wiredCount = 0;
  }
}
