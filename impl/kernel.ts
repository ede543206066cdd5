/**
 * The kernel facade: the world of maps, shared memory objects, copies and named entries, and one
 * handler per operation of the vocabulary (spec/vocabulary.ts). A handler does what the user
 * wrappers of vm_user.c do — validate every argument in the contract's order, returning the
 * contract's code with nothing changed and nothing thrown — and then calls the {@link VmMap}
 * operation. The handlers of copies, fork, remap and named entries are in kernel-transfers.ts,
 * those of page-list copies in kernel-page-lists.ts.
 *
 * Tests plant bugs by passing a subclass of VmMap or of ObjectLayer:
 * `new Kernel(scope, { mapClass: Buggy })`, `new Kernel(scope, { objectLayerClass: Buggy })`;
 * every map is created through `new this.mapClass(...)`, every object by `this.objectLayer`.
 *
 * Live objects and pages: `objectLayer.live` is the set of objects not yet terminated and
 * `objectStats(objectLayer)` (object-check.ts) counts them, their resident pages and the longest shadow chain; after
 * every map, copy and named entry is released only the shared memory objects remain.
 */
import {
  MATTR_ATTRIBUTES,
  MATTR_VALUES,
  VM_ALIAS_MAX,
  VM_BEHAVIOR_RSEQNTL,
  VM_INHERIT_NONE,
  VM_INHERIT_SHARE,
  VM_MAP_REMOVE_ALL_FLAGS,
  VM_PROT_ALL,
  VM_PROT_COPY,
} from "../spec/constants.ts";
import { mmuGeometry, type Scope } from "../spec/scope.ts";
import { dispatch, type Op, type OpHandlers, type OpName, type OpResult } from "../spec/vocabulary.ts";
import { sequentialThreadHandlers } from "../spec/ops/threads.ts";
import { areWords, bitsWithin, fromHex, isAlignmentMask, isWord, pageRange, round, toHex, trunc, wraps } from "./args.ts";
import { releaseCopy, type MapCopy, type NamedEntry, type UsableCopy } from "./copy/map-copy.ts";
import { discardPageList } from "./copy/page-list.ts";
import { PAGE_LIST_HANDLERS } from "./kernel-page-lists.ts";
import { TRANSFER_HANDLERS } from "./kernel-transfers.ts";
import { releaseRegion, SHARED_REGION_HANDLERS, type SharedRegion } from "./shared-regions.ts";
import { dropUnwiredTranslations, RESIDENCE_HANDLERS } from "./kernel-residence.ts";
import type { EntryAttributes, VmMapEntry } from "./map/entry.ts";
import type { MapHost, VmMapCore } from "./map/map-core.ts";
import { anonymousAttributes, VmMap } from "./map/vm-map.ts";
import { Mmu } from "./mmu/mmu.ts";
import { reachableMaps } from "./map/map-check.ts";
import { ObjectLayer } from "./object/object-layer.ts";
import type { ObjectKind, VmObject } from "./object/vm-object.ts";

export interface KernelOptions {
  /** The map class to instantiate (a subclass plants a bug in one mechanism). */
  readonly mapClass?: typeof VmMap;
  /** The object layer class (a subclass plants a bug in one object mechanism). */
  readonly objectLayerClass?: typeof ObjectLayer;
  /** The MMU class (a subclass plants a bug in one pmap, TLB, shootdown or pageout mechanism). */
  readonly mmuClass?: typeof Mmu;
}

/**
 * Operations after which no translation can have gone stale: they touch no object page, or
 * (loads, read_user, switch) only resolve read faults, which make pages resident without moving
 * any page another translation reaches. The exception: a wired writable entry's fault takes the
 * write path, and a page of it lent to a page list moves (the object continues with a copy);
 * the wired translations that lose their frame then are re-entered after the operation all the
 * same (see changeWith; found by the model check, kept in counterexamples/fixed/). Skipping the
 * re-derivation after them also keeps the fault path honest: a translation it entered with too
 * many rights survives to the next command, where the invariants and the next store see it,
 * instead of being quietly repaired.
 */
const COHERENT_AFTER: ReadonlySet<OpName> = new Set<OpName>(["lookup", "read_user", "load", "switch", "create", "object_create", "find_space", "reference"]);

export class Kernel implements MapHost {
  readonly mapClass: typeof VmMap;
  /** Every VM object: shadows, copy strategies, collapse, termination, the set of live objects. */
  readonly objectLayer: ObjectLayer;
  /** Index = map handle; null once destroyed. */
  readonly maps: (VmMap | null)[] = [];
  /** Index = memory object handle: the shared memory objects of `object_create`. */
  readonly objects: VmObject[] = [];
  /** Index = copy handle (creation order); null once consumed. */
  readonly copies: (MapCopy | null)[] = [];
  /** Index = named entry handle; named entries are never destroyed. */
  readonly namedEntries: NamedEntry[] = [];
  /** The simulated MMU, when the scope has CPUs. */
  readonly mmu: Mmu | null;
  /** Index = CPU; the handle of the map it runs, or null. */
  readonly cpuMap: (number | null)[];
  /** Set by a scheduler (impl/sched/) while threads run: checks the write-lock discipline. */
  lockGuard: ((map: VmMapCore) => void) | null = null;

  constructor(
    readonly scope: Scope,
    options: KernelOptions = {},
  ) {
    this.mapClass = options.mapClass ?? VmMap;
    this.objectLayer = new (options.objectLayerClass ?? ObjectLayer)(scope.pageSize);
    const cpus = mmuGeometry(scope).cpus;
    this.mmu = cpus > 0 ? new (options.mmuClass ?? Mmu)(scope) : null;
    this.cpuMap = Array.from({ length: cpus }, () => null);
  }

  /** The MMU once a CPU ran a map (before that, user access takes the direct path and nothing is mapped). */
  get activeMmu(): Mmu | null {
    return this.mmu?.engaged ? this.mmu : null;
  }

  /** The live map `cpu` runs, or null (not a CPU, none, or destroyed). */
  cpuRunning(cpu: number): VmMap | null {
    const handle = Number.isInteger(cpu) ? this.cpuMap[cpu] : undefined;
    return handle === undefined || handle === null ? null : this.mapOf(handle);
  }

  /** A new VM object with one reference, owned by the caller. */
  newObject(kind: ObjectKind, size: number): VmObject {
    return this.objectLayer.allocate(kind, size);
  }

  /** A new empty map of the kernel's map class, not registered under a handle. */
  createMap(min: number, max: number): VmMap {
    return new this.mapClass(this, min, max);
  }

  /** References the handle's users hold (create, reference, fork); index = map handle. */
  readonly names: number[] = [];
  /** How many of `names` `swapout` left without residence (never more than `names`); index = map handle. */
  readonly swapped: number[] = [];
  /**
   * Every map registered under a handle (key = handle), also after its handle went NULL or it was
   * destroyed, so the checks can see a destroyed map come back to life. Ghost state for the
   * checker: a driver of unbounded length (the trace replay) deletes the dead maps it no longer
   * needs checked, so that memory follows the live maps, not every map there ever was.
   */
  readonly everyMap = new Map<number, VmMap>();
  private readonly handles = new WeakMap<VmMap, number>();

  /** Register a map under the next handle; its one reference becomes the handle's. */
  addMap(map: VmMap): number {
    const handle = this.maps.length;
    this.maps.push(map);
    this.names.push(1);
    this.swapped.push(0);
    this.everyMap.set(handle, map);
    this.handles.set(map, handle);
    return handle;
  }

  /** The handle `map` was registered under (it stays the map's name after the handle goes NULL). */
  handleOf(map: VmMap): number {
    return this.handles.get(map) ?? -1;
  }

  /**
   * Every live map: those with a handle, and those alive only as submaps, a region's or a named
   * entry's (they live on through their holders). Computed once per operation (every invariant
   * asks for it after every command, and finding submaps walks every entry): `run` forgets it,
   * and so does {@link change}, for a scheduler thread's commit outside `run`.
   */
  liveMaps(): readonly VmMap[] {
    return (this.live ??= this.findLiveMaps());
  }
  private live: readonly VmMap[] | null = null;

  private findLiveMaps(): VmMap[] {
    const held = this.namedEntries.flatMap((n) => (n.submap ? [n.submap] : []));
    return reachableMaps([...this.maps, ...this.liveRegions().flatMap((r) => [r.text, r.data]), ...held]);
  }

  /** The live map named by `handle`, or null (never existed, destroyed, not a handle). */
  mapOf(handle: number): VmMap | null {
    return Number.isInteger(handle) ? (this.maps[handle] ?? null) : null;
  }

  /** The memory object named by `handle`, or undefined. */
  objectOf(handle: number): VmObject | undefined {
    return Number.isInteger(handle) ? this.objects[handle] : undefined;
  }

  /** The live copy named by `handle`, or undefined (unknown, consumed, not a handle: null is none). */
  copyOf(handle: number | null): MapCopy | undefined {
    return Number.isInteger(handle) ? (this.copies[handle as number] ?? undefined) : undefined;
  }

  /** A copy that operations other than discard accept, or undefined (also for an emptied one). */
  usableCopyOf(handle: number): UsableCopy | undefined {
    const c = this.copyOf(handle);
    return c === undefined || c.kind === "emptied" ? undefined : c;
  }

  /** Keep a new copy under the next handle. */
  addCopy(copy: MapCopy): number {
    this.copies.push(copy);
    return this.copies.length - 1;
  }

  /** The copy under `handle` is used up: its remaining references go, the handle becomes consumed. */
  consumeCopy(handle: number): void {
    const c = this.copies[handle];
    if (c) this.discardCopy(c);
    this.copies[handle] = null;
  }

  /** `vm_map_copy_discard`: drop the references the copy still holds; a page list's continuation is aborted. */
  discardCopy(copy: MapCopy): void {
    if (copy.kind === "page_list") discardPageList(this, copy);
    else releaseCopy(copy);
  }

  /**
   * Take one reference on the map under `handle` for a page-list continuation. It counts as a
   * reference made through the handle (as `reference` makes), so an over-release by `deallocate`
   * can take it away, as in 2000.
   */
  takeMapReference(handle: number): void {
    this.maps[handle]!.reference();
    this.names[handle]!++;
  }

  /**
   * Drop a continuation's reference on `map`, as `deallocate` of its handle would; nothing when an
   * over-release already made the handle NULL (the reference went with it).
   */
  dropMapReference(map: VmMap): void {
    const h = this.handleOf(map);
    if (h < 0 || this.maps[h] !== map) return;
    this.releaseHandle(h, map);
  }

  /** A window asking for a nested pmap is about to change: the MMU un-nests it first. */
  unnestWindow(map: VmMap, e: VmMapEntry): void {
    this.mmu?.unnestWindow(map, e);
  }

  /** One reference through `handle` less: at 0 the handle is NULL; submap entries may keep the map alive. */
  releaseHandle(handle: number, map: VmMap): void {
    // A resident reference goes first; when only swapped-out ones are left, one of those.
    const resident = this.names[handle]! > this.swapped[handle]!;
    if (!resident) this.swapped[handle]!--;
    if (--this.names[handle]! === 0) this.maps[handle] = null;
    if (resident) map.release();
    else map.releaseNonResident();
  }

  /** The last reference to a map is gone (MapHost): its pmap goes with it. */
  mapDestroyed(map: VmMap): void {
    this.mmu?.destroyPmap(map);
  }

  /** A map was swapped out: its unwired translations leave its pmap (MapHost). */
  mapSwappedOut(map: VmMap): void {
    if (this.mmu === null) return;
    this.mmu.ghost.swappedOut.push(map); // ghost: swapout-drops-translations checks the drop
    dropUnwiredTranslations(this.mmu, map);
  }

  /** Index = shared region handle; a destroyed region keeps its descriptor with reference count 0. */
  readonly regions: SharedRegion[] = [];

  /** The shared region under `handle` while its creator's reference is held, or undefined. */
  regionOf(handle: number): SharedRegion | undefined {
    const r = Number.isInteger(handle) ? this.regions[handle] : undefined;
    return r?.held ? r : undefined;
  }

  /** One reference on `region` less; the last destroys it ({@link releaseRegion}; a method, so a test can plant a bug in it). */
  releaseRegion(region: SharedRegion): void {
    releaseRegion(region);
  }

  /** The regions not destroyed (some only alive because a region is chained to them). */
  liveRegions(): SharedRegion[] {
    return this.regions.filter((r) => r.refCount > 0);
  }

  /** The named entry under `handle`, or undefined. */
  namedEntryOf(handle: number): NamedEntry | undefined {
    return Number.isInteger(handle) ? this.namedEntries[handle] : undefined;
  }

  /** Run one command; then, with the MMU in play, re-derive the translations it may have made stale. */
  run(op: Op): OpResult {
    try {
      return this.perform(op);
    } finally {
      this.live = null; // the operation may have changed which maps are live
    }
  }

  private perform(op: Op): OpResult {
    return this.changeWith(() => dispatch(Kernel.handlers, this, op), !COHERENT_AFTER.has(op.op));
  }

  /** Run part of an operation outside `run` (a scheduler thread's commit) with `run`'s aftercare. */
  change<T>(f: () => T): T {
    try {
      return this.changeWith(f, true);
    } finally {
      this.live = null;
    }
  }

  /**
   * Set by the concurrency checker while threads are in flight: it checks the state only at
   * quiescence, so the MMU's records of violations (a frame freed early, a needless reserve, an
   * unsound fill) must outlive the commands and commits in between until it does. The records of
   * what an operation owes (swapped-out maps, PMAP_ENTER's pages, …) stay per change.
   */
  holdViolations = false;

  /** Clear the MMU's records of violations (the concurrency checker, once it has checked them). */
  clearViolations(): void {
    const mmu = this.activeMmu;
    if (mmu === null) return;
    mmu.ghost.earlyFrees.length = 0;
    mmu.ghost.needlessReserves.length = 0;
    mmu.ghost.unsoundFills.length = 0;
  }

  private changeWith<T>(f: () => T, revalidate: boolean): T {
    const mmu = this.activeMmu;
    if (mmu === null) return f();
    if (!this.holdViolations) this.clearViolations();
    mmu.ghost.swappedOut.length = 0;
    mmu.ghost.pmapEnterPages.length = 0;
    mmu.ghost.pageouts = 0;
    mmu.ghost.pagedOut.clear();
    mmu.ghost.lastAccess = undefined;
    mmu.ghost.wired = undefined;
    const result = f();
    // A read fault on a wired writable entry takes the write path; when the page is lent to a
    // page list, that write gives the object a new page and retires the old frame, so the wired
    // translations of every other map reaching it must be entered again, even after a read.
    if (revalidate || mmu.pendingRewire.length > 0) mmu.revalidate();
    return result;
  }

  /** One handler per operation; static, since each takes the kernel as its argument (one table, not one per kernel). */
  static readonly handlers: OpHandlers<Kernel> = {
    ...TRANSFER_HANDLERS,
    ...PAGE_LIST_HANDLERS,
    ...SHARED_REGION_HANDLERS,
    // Without a scheduler a spawned operation runs to completion at once (spec/ops/threads.ts);
    // with one, the concurrency checker hands spawn and step to it instead of to `run`.
    ...sequentialThreadHandlers<Kernel>(() => Kernel.handlers),
    ...RESIDENCE_HANDLERS,

    create(k, { min, max }) {
      const { scope } = k;
      const maxIsBound = Number.isInteger(max) && max >= 0 && max <= 2 ** scope.addressBits;
      if (!isWord(scope, min) || !maxIsBound) return { kr: "KERN_INVALID_ARGUMENT" };
      if (min % scope.pageSize !== 0 || max % scope.pageSize !== 0 || min > max) return { kr: "KERN_INVALID_ARGUMENT" };
      return { kr: "KERN_SUCCESS", map: k.addMap(k.createMap(min, max)) };
    },

    reference(k, { map: handle }) {
      const map = k.mapOf(handle);
      if (map === null) return { kr: "KERN_INVALID_ARGUMENT" };
      map.reference();
      k.names[handle]!++;
      return { kr: "KERN_SUCCESS" };
    },

    deallocate(k, { map: handle }) {
      const map = k.mapOf(handle);
      if (map === null) return { kr: "KERN_INVALID_ARGUMENT" };
      k.releaseHandle(handle, map);
      return { kr: "KERN_SUCCESS" };
    },

    object_create(k, { size }) {
      const { scope } = k;
      if (!isWord(scope, size) || size === 0) return { kr: "KERN_INVALID_ARGUMENT" };
      const bytes = round(scope, size);
      if (bytes / scope.pageSize > scope.maxObjectPages) return { kr: "KERN_INVALID_ARGUMENT" };
      // The object's one reference is the kernel's own (it models a pager's memory).
      k.objects.push(k.newObject("shared", bytes));
      return { kr: "KERN_SUCCESS", object: k.objects.length - 1 };
    },

    enter(k, { map: handle, addr, size, mask, anywhere, alias, cur, max, inheritance, source }) {
      const { scope } = k;
      const map = k.mapOf(handle);
      const offset = source.kind === "object" ? source.offset : 0;
      // 1. Arguments.
      if (map === null || !areWords(scope, addr, size, mask, alias, cur, max, inheritance, offset))
        return { kr: "KERN_INVALID_ARGUMENT" };
      if (!isAlignmentMask(mask) || !bitsWithin(cur, VM_PROT_ALL) || !bitsWithin(max, VM_PROT_ALL) || !bitsWithin(cur, max))
        return { kr: "KERN_INVALID_ARGUMENT" };
      if (inheritance > VM_INHERIT_NONE || alias > VM_ALIAS_MAX || size === 0) return { kr: "KERN_INVALID_ARGUMENT" };
      const start = trunc(scope, addr);
      const bytes = round(scope, size);
      if (!anywhere && start + bytes > 2 ** scope.addressBits) return { kr: "KERN_INVALID_ARGUMENT" };
      // 2. The object window.
      const attrs: EntryAttributes = anonymousAttributes(cur, max, inheritance, alias);
      if (source.kind === "object") {
        const object = k.objectOf(source.object);
        if (object === undefined) return { kr: "KERN_INVALID_OBJECT" };
        if (offset % scope.pageSize !== 0 || offset + bytes > object.size) return { kr: "KERN_INVALID_ARGUMENT" };
        attrs.object = object;
        attrs.offset = offset;
      }
      // 3, 4. Placement and mapping.
      const r = map.enter(start, bytes, mask, anywhere, attrs);
      return r.addr === undefined ? { kr: r.kr } : { kr: r.kr, addr: r.addr };
    },

    find_space(k, { map: handle, size, mask }) {
      const { scope } = k;
      const map = k.mapOf(handle);
      if (map === null || !areWords(scope, size, mask) || !isAlignmentMask(mask) || size === 0)
        return { kr: "KERN_INVALID_ARGUMENT" };
      const r = map.findSpace(round(scope, size), mask);
      return r.addr === undefined ? { kr: r.kr } : { kr: r.kr, addr: r.addr };
    },

    remove(k, { map: handle, addr, size, flags }) {
      const { scope } = k;
      const map = k.mapOf(handle);
      if (map === null || !areWords(scope, addr, size, flags) || !bitsWithin(flags, VM_MAP_REMOVE_ALL_FLAGS))
        return { kr: "KERN_INVALID_ARGUMENT" };
      const range = pageRange(scope, addr, size);
      if (range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
      // vm_deallocate returns at once for size 0.
      if (size === 0) return { kr: "KERN_SUCCESS" };
      const kr = map.remove(range.start, range.end, flags);
      if (kr === "KERN_SUCCESS") k.activeMmu?.removeRange(map, range.start, range.end);
      return { kr };
    },

    protect(k, { map: handle, addr, size, prot, setMax }) {
      const { scope } = k;
      const map = k.mapOf(handle);
      if (map === null || !areWords(scope, addr, size, prot) || !bitsWithin(prot, VM_PROT_ALL | VM_PROT_COPY))
        return { kr: "KERN_INVALID_ARGUMENT" };
      const range = pageRange(scope, addr, size);
      if (range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
      const kr = map.protect(range.start, range.end, prot, setMax);
      if (kr === "KERN_SUCCESS") k.activeMmu?.protectRange(map, range.start, range.end);
      return { kr };
    },

    inherit(k, { map: handle, addr, size, inheritance }) {
      const { scope } = k;
      const map = k.mapOf(handle);
      if (map === null || !areWords(scope, addr, size, inheritance) || inheritance > VM_INHERIT_NONE)
        return { kr: "KERN_INVALID_ARGUMENT" };
      const range = pageRange(scope, addr, size);
      if (range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
      return { kr: map.inherit(range.start, range.end, inheritance) };
    },

    behavior_set(k, { map: handle, addr, size, behavior }) {
      const { scope } = k;
      const map = k.mapOf(handle);
      if (map === null || !areWords(scope, addr, size, behavior) || behavior > VM_BEHAVIOR_RSEQNTL)
        return { kr: "KERN_INVALID_ARGUMENT" };
      const range = pageRange(scope, addr, size);
      if (range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
      return { kr: map.behaviorSet(range.start, range.end, behavior) };
    },

    machine_attribute(k, { map: handle, addr, size, attribute, value }) {
      const { scope } = k;
      const map = k.mapOf(handle);
      if (map === null || !areWords(scope, addr, size, attribute, value)) return { kr: "KERN_INVALID_ARGUMENT" };
      if (!oneOf(MATTR_ATTRIBUTES, attribute) || !oneOf(MATTR_VALUES, value) || wraps(scope, addr, size))
        return { kr: "KERN_INVALID_ARGUMENT" };
      return { kr: map.machineAttribute(addr, size) };
    },

    wire(k, { map: handle, addr, size, access, user }) {
      const { scope } = k;
      const map = k.mapOf(handle);
      if (map === null) return { kr: "KERN_INVALID_TASK" };
      if (!areWords(scope, addr, size, access) || !bitsWithin(access, VM_PROT_ALL)) return { kr: "KERN_INVALID_ARGUMENT" };
      const range = pageRange(scope, addr, size);
      if (range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
      const kr = map.wire(range.start, range.end, access, user);
      if (kr === "KERN_SUCCESS" && k.activeMmu !== null) {
        k.activeMmu.syncWiring(map, range.start, range.end);
        k.activeMmu.ghost.wired = { map, start: range.start, end: range.end };
      }
      return { kr };
    },

    unwire(k, { map: handle, addr, size, user }) {
      const { scope } = k;
      const map = k.mapOf(handle);
      if (map === null) return { kr: "KERN_INVALID_TASK" };
      if (!areWords(scope, addr, size)) return { kr: "KERN_INVALID_ARGUMENT" };
      const range = pageRange(scope, addr, size);
      if (range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
      const kr = map.unwire(range.start, range.end, user);
      if (kr === "KERN_SUCCESS") k.activeMmu?.syncWiring(map, range.start, range.end);
      return { kr };
    },

    simplify(k, { map: handle, addr }) {
      const map = k.mapOf(handle);
      if (map === null || !isWord(k.scope, addr)) return { kr: "KERN_INVALID_ARGUMENT" };
      map.simplify(addr);
      return { kr: "KERN_SUCCESS" };
    },

    lookup(k, { map: handle, addr }) {
      const map = k.mapOf(handle);
      if (map === null || !isWord(k.scope, addr)) return { kr: "KERN_INVALID_ARGUMENT" };
      return { kr: "KERN_SUCCESS", ...map.lookupView(addr) };
    },

    submap(k, { map: handle, addr, size, submap: sub, offset, inheritance, usePmap }) {
      const { scope } = k;
      const map = k.mapOf(handle), submap = k.mapOf(sub);
      if (map === null || submap === null || !areWords(scope, addr, size, offset, inheritance)) return { kr: "KERN_INVALID_ARGUMENT" };
      const aligned = addr % scope.pageSize === 0 && size % scope.pageSize === 0 && offset % scope.pageSize === 0;
      if (!aligned || size === 0 || (inheritance !== VM_INHERIT_SHARE && inheritance !== VM_INHERIT_NONE)) return { kr: "KERN_INVALID_ARGUMENT" };
      if (wraps(scope, addr, size) || wraps(scope, offset, size)) return { kr: "KERN_INVALID_ARGUMENT" };
      if (offset < submap.min || offset + size > submap.max || submap.reaches(map)) return { kr: "KERN_INVALID_ARGUMENT" };
      return { kr: map.installSubmap(addr, addr + size, submap, offset, inheritance, usePmap) };
    },

    read_user(k, { map: handle, addr, size }) {
      const { scope } = k;
      const map = k.mapOf(handle);
      if (map === null || !areWords(scope, addr, size) || wraps(scope, addr, size)) return { kr: "KERN_INVALID_ARGUMENT" };
      return readThrough(k, null, map, addr, size);
    },

    write_user(k, { map: handle, addr, data }) {
      const { scope } = k;
      const map = k.mapOf(handle);
      const bytes = fromHex(data);
      if (map === null || !isWord(scope, addr) || bytes === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
      if (wraps(scope, addr, bytes.length)) return { kr: "KERN_INVALID_ARGUMENT" };
      return writeThrough(k, null, map, addr, bytes);
    },

    switch(k, { cpu, map: handle }) {
      const map = k.mapOf(handle);
      if (k.mmu === null || !Number.isInteger(cpu) || cpu < 0 || cpu >= k.cpuMap.length || map === null)
        return { kr: "KERN_INVALID_ARGUMENT" };
      k.cpuMap[cpu] = handle;
      k.mmu.switchTo(cpu, map, k.maps);
      return { kr: "KERN_SUCCESS" };
    },

    load(k, { cpu, addr, size }) {
      const map = k.cpuRunning(cpu);
      if (map === null || !areWords(k.scope, addr, size) || wraps(k.scope, addr, size)) return { kr: "KERN_INVALID_ARGUMENT" };
      return readThrough(k, cpu, map, addr, size);
    },

    store(k, { cpu, addr, data }) {
      const map = k.cpuRunning(cpu);
      const bytes = fromHex(data);
      if (map === null || !isWord(k.scope, addr) || bytes === undefined || wraps(k.scope, addr, bytes.length))
        return { kr: "KERN_INVALID_ARGUMENT" };
      return writeThrough(k, cpu, map, addr, bytes);
    },

    evict(k, { frame }) {
      if (!isWord(k.scope, frame)) return { kr: "KERN_INVALID_ARGUMENT" };
      const mmu = k.activeMmu;
      if (mmu !== null) mmu.pageoutStep(frame % mmu.phys.count);
      return { kr: "KERN_SUCCESS" };
    },
  };
}

/** A user read: through the MMU once it is in play (on `cpu`'s TLB, or a kernel walk), else straight from the map. */
function readThrough(k: Kernel, cpu: number | null, map: VmMap, addr: number, size: number): OpResult<"read_user"> {
  const mmu = k.activeMmu;
  if (size === 0) return { kr: "KERN_SUCCESS", data: "" };
  const bytes = mmu === null ? map.readUser(addr, size) : mmu.read(cpu === null ? null : mmu.cpus[cpu]!, map, addr, size);
  return bytes === undefined ? { kr: "KERN_INVALID_ADDRESS" } : { kr: "KERN_SUCCESS", data: toHex(bytes) };
}

/** A user write, through the MMU once it is in play. */
function writeThrough(k: Kernel, cpu: number | null, map: VmMap, addr: number, bytes: Uint8Array): OpResult<"write_user"> {
  const mmu = k.activeMmu;
  if (bytes.length === 0) return { kr: "KERN_SUCCESS" };
  const ok = mmu === null ? map.writeUser(addr, bytes) : mmu.write(cpu === null ? null : mmu.cpus[cpu]!, map, addr, bytes);
  return { kr: ok ? "KERN_SUCCESS" : "KERN_INVALID_ADDRESS" };
}

const oneOf = (values: readonly number[], x: number): boolean => values.includes(x);
