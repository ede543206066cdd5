/**
 * The state of the spec: a world of maps, shared memory objects and cells.
 *
 * - A cell is an abstract page of bytes, named by a number from a counter (so runs are
 *   deterministic). The cell store holds the bytes of cells that were ever written; a cell it
 *   does not hold is all zero.
 * - A memory object is an array of cells, one per page; every mapping of a window of it
 *   aliases those cells, so a write through one mapping is seen through all of them.
 * - A map is `[min, max)` plus a partial function from page numbers to page states. Nothing
 *   else exists here: no entries, hints, VM objects, shadow chains, page tables or TLBs.
 *   Copying snapshots bytes into fresh cells; sharing aliases cells.
 * - A copy (vm_map_copy) is a value under a handle, null once consumed. Copies and named entries
 *   are immutable: operations replace them, never change them.
 */
import { CellNumbering, NO_CELL, describeContinuation, type AbstractCopy, type AbstractRegion, type AbstractWorld } from "./abstract.ts";
import { VM_INHERIT_COPY, VM_INHERIT_SHARE } from "./constants.ts";
import { mmuGeometry, type Scope } from "./scope.ts";

/** The name of a cell. */
export type CellId = number;
/** `address / pageSize`. Page numbers, never addresses, index a map's pages. */
export type PageNumber = number;

/**
 * A submap mapping's page (reference §4.16): a window onto page `page` of map `map`, showing
 * whatever that map has there; `nested` records `use_pmap`. A `cow` window (a copy-on-write
 * submap, `needs_copy` on the submap entry, reference §4.13) shows the submap's page live too,
 * until the first write through it makes the page private ({@link privatize}).
 */
export interface SubmapWindow {
  readonly map: number;
  readonly page: PageNumber;
  readonly nested: boolean;
  readonly cow: boolean;
}

/** Everything the spec knows about one mapped page. */
export interface PageState {
  /** The page's memory; meaningless (-1) for a window, whose memory is the submap's page. */
  cell: CellId;
  /** Set for a submap mapping's page. */
  submap?: SubmapWindow;
  prot: number;
  maxProt: number;
  inheritance: number;
  behavior: number;
  alias: number;
  /** Kernel wirings plus one for all user wirings together. */
  wiredCount: number;
  /** Nested user wirings. */
  userWiredCount: number;
}

export interface SpecMap {
  /** Lowest address of the map, page-aligned. */
  readonly min: number;
  /** One past the highest address of the map, page-aligned (may be 2^W). */
  readonly max: number;
  /** References its users hold; at 0 the handle is NULL (the map may live on as a submap). */
  refCount: number;
  /** How many of those references `swapout` left without residence (never more than `refCount`). */
  swappedOut: number;
  readonly pages: Map<PageNumber, PageState>;
}

/** One page of an entry-list copy: its own cell and the attributes it was copied with. */
export type CopyPage = Readonly<Pick<PageState, "cell" | "prot" | "maxProt" | "inheritance" | "behavior" | "alias">>;

/**
 * The continuation of a page-list copy (vm_map_copyin_page_list_cont's arguments): the source
 * map (it holds one reference on it), the page-aligned source range `[start, end)` still to be
 * copied (empty for a destroy-only continuation), the options, and the source range
 * `[destroyStart, destroyEnd)` to remove when the chain ends (empty when none).
 */
export interface Continuation {
  readonly map: number;
  readonly start: number;
  readonly end: number;
  readonly options: number;
  readonly destroyStart: number;
  readonly destroyEnd: number;
}

/**
 * An entry list is a detached snapshot of whole pages (`offset` is the unrounded source address);
 * a kernel buffer holds exactly the bytes; an object copy names the window
 * `[trunc(offset), round(offset + size))` of a memory object and aliases its cells; copy_copy
 * leaves an emptied copy behind. A page list holds at most `pageListMax` snapshot cells and
 * maybe a continuation; `offset` and `size` describe the whole rest of its chain.
 */
export type SpecCopy =
  | { readonly kind: "entry_list"; readonly offset: number; readonly size: number; readonly pages: readonly CopyPage[] }
  | { readonly kind: "kernel_buffer"; readonly bytes: Uint8Array }
  | { readonly kind: "object"; readonly object: number; readonly offset: number; readonly size: number }
  | { readonly kind: "page_list"; readonly offset: number; readonly size: number; readonly cells: readonly CellId[]; readonly cont: Continuation | null }
  | { readonly kind: "emptied" };

/**
 * A named entry (vm_named_entry): the right to map its window of cells with at most `protection`;
 * or, with `submap` (vm_region_object_create), the right to map that whole map as a submap
 * (`cells` is then empty: the memory is whatever the map holds).
 */
export interface NamedEntry {
  readonly protection: number;
  readonly size: number; // bytes, a page multiple
  readonly cells: readonly CellId[];
  readonly submap?: number;
}

/** A shared region (reference §1.7): its text and data submaps (map handles) and descriptor, as the abstraction shows it. */
export type SharedRegion = { -readonly [K in keyof AbstractRegion]: AbstractRegion[K] };

export interface SpecWorld {
  readonly scope: Scope;
  /** Index = map handle; null once the last reference was dropped. */
  readonly maps: (SpecMap | null)[];
  /** Index = memory object handle; the cell of each of its pages. */
  readonly objects: (readonly CellId[])[];
  /** Index = copy handle; null once consumed. */
  readonly copies: (SpecCopy | null)[];
  /** Index = named entry handle; named entries are never destroyed. */
  readonly namedEntries: NamedEntry[];
  /** Index = CPU; the handle of the map it runs (maybe destroyed since), or null. */
  readonly cpus: (number | null)[];
  /** Bytes of the cells that were written; absent = all zero. */
  readonly cells: Map<CellId, Uint8Array>;
  /** The next fresh cell id. */
  nextCell: CellId;
  /** Index = shared region handle; regions are never destroyed. */
  readonly regions: SharedRegion[];
}

export function newSpecWorld(scope: Scope): SpecWorld {
  const cpus = Array.from({ length: mmuGeometry(scope).cpus }, () => null);
  return { scope, maps: [], objects: [], copies: [], namedEntries: [], cpus, cells: new Map(), nextCell: 0, regions: [] };
}

/** The live map named by `handle`, or null for a NULL map (never existed, destroyed, not a handle). */
export function mapOf(world: SpecWorld, handle: number): SpecMap | null {
  const map = Number.isInteger(handle) ? (world.maps[handle] ?? null) : null;
  return map !== null && map.refCount > 0 ? map : null;
}

/** Where a page's memory is: its cell, and the protections an access through it must pass. */
export interface Reach {
  readonly cell: CellId;
  /** The page holding the memory (the submap's, for a window). */
  readonly page: PageState;
  /** The AND of the protections of the window(s) and of that page (reference §8 #19 intended). */
  readonly prot: number;
  readonly maxProt: number;
}

/** Follow `state` through submap windows to the page holding its memory; undefined when a submap does not map it. */
export function reach(world: SpecWorld, state: PageState): Reach | undefined {
  let s = state, prot = state.prot, maxProt = state.maxProt;
  while (s.submap !== undefined) {
    const inner = world.maps[s.submap.map]!.pages.get(s.submap.page);
    if (inner === undefined) return undefined;
    s = inner;
    prot &= s.prot;
    maxProt &= s.maxProt;
  }
  return { cell: s.cell, page: s, prot, maxProt };
}

/**
 * The first copy-on-write window on the way from `state` to its memory (`state` itself, or a
 * page of a submap it looks through), or undefined when a write through `state` lands in the
 * memory it shows.
 */
export function cowOnTheWay(world: SpecWorld, state: PageState): PageState | undefined {
  for (let s: PageState | undefined = state; s?.submap !== undefined; s = world.maps[s.submap.map]!.pages.get(s.submap.page))
    if (s.submap.cow) return s;
  return undefined;
}

/**
 * Before a write through `state` (reference §4.13, write fault through a copy-on-write submap):
 * the first copy-on-write window on the way becomes a private page holding a snapshot of the
 * bytes it shows now; it stops being a window, and SHARE inheritance becomes COPY (as the 2000
 * promotion does). Its protections stay: no WRITE is added (decision, reference §8 #19).
 */
export function privatize(world: SpecWorld, state: PageState): void {
  const s = cowOnTheWay(world, state);
  const held = s === undefined ? undefined : reach(world, s);
  if (s === undefined || held === undefined) return;
  s.cell = snapshotCell(world, held.cell);
  delete s.submap;
  if (s.inheritance === VM_INHERIT_SHARE) s.inheritance = VM_INHERIT_COPY;
}

/** True when map `from` is `target` or maps it, directly or through other submaps. */
export function reaches(world: SpecWorld, from: number, target: number): boolean {
  if (from === target) return true;
  const seen = new Set<number>();
  for (const s of world.maps[from]!.pages.values()) {
    const m = s.submap?.map;
    if (m !== undefined && !seen.has(m)) {
      seen.add(m);
      if (reaches(world, m, target)) return true;
    }
  }
  return false;
}

/** The cells of memory object `handle`, or undefined when it is not a memory object handle. */
export function objectOf(world: SpecWorld, handle: number): readonly CellId[] | undefined {
  return Number.isInteger(handle) ? world.objects[handle] : undefined;
}

/** The live copy named by `handle`; undefined when unknown or consumed. */
export function copyOf(world: SpecWorld, handle: number): SpecCopy | undefined {
  return Number.isInteger(handle) ? (world.copies[handle] ?? undefined) : undefined;
}

/** The cells an object copy aliases: its window of the object. */
export function objectWindow(world: SpecWorld, copy: { object: number; offset: number; size: number }): CellId[] {
  const { pageSize } = world.scope;
  return world.objects[copy.object]!.slice(Math.floor(copy.offset / pageSize), Math.ceil((copy.offset + copy.size) / pageSize));
}

/** Lower-case hex of `bytes`. */
export const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** A fresh cell, all zero. */
export function freshCell(world: SpecWorld): CellId {
  return world.nextCell++;
}

/** A fresh cell holding a copy of the bytes of `cell` (a private snapshot). */
export function snapshotCell(world: SpecWorld, cell: CellId): CellId {
  const copy = freshCell(world);
  const bytes = world.cells.get(cell);
  if (bytes !== undefined) world.cells.set(copy, bytes.slice());
  return copy;
}

/** The byte at `offset` in `cell`. */
export function readByte(world: SpecWorld, cell: CellId, offset: number): number {
  return world.cells.get(cell)?.[offset] ?? 0;
}

/** Stores `value` at `offset` in `cell`; every page aliasing the cell sees it. */
export function writeByte(world: SpecWorld, cell: CellId, offset: number, value: number): void {
  let bytes = world.cells.get(cell);
  if (bytes === undefined) {
    bytes = new Uint8Array(world.scope.pageSize);
    world.cells.set(cell, bytes);
  }
  bytes[offset] = value;
}

/** The mapped pages of `map` in ascending page order. */
export function sortedPages(map: SpecMap): [PageNumber, PageState][] {
  return [...map.pages].sort((a, b) => a[0] - b[0]);
}

/** A deep copy; bytes of cells that nothing (object, page, copy, named entry) refers to are dropped. */
export function cloneSpecWorld(world: SpecWorld): SpecWorld {
  const cells = new Map<CellId, Uint8Array>();
  const keep = (cell: CellId): void => {
    const bytes = world.cells.get(cell);
    if (bytes !== undefined) cells.set(cell, bytes.slice());
  };
  const objects = world.objects.map((object) => {
    object.forEach(keep);
    return [...object];
  });
  const maps = world.maps.map((map) => {
    if (map === null) return null;
    const pages = new Map<PageNumber, PageState>();
    for (const [page, state] of map.pages) {
      keep(state.cell);
      pages.set(page, { ...state });
    }
    return { min: map.min, max: map.max, refCount: map.refCount, swappedOut: map.swappedOut, pages };
  });
  for (const copy of world.copies) {
    if (copy?.kind === "entry_list") copy.pages.forEach((p) => keep(p.cell));
    if (copy?.kind === "page_list") copy.cells.forEach(keep);
  }
  for (const entry of world.namedEntries) entry.cells.forEach(keep);
  // Copies and named entries are immutable, so sharing them is a deep copy (bytes aside).
  const copies = world.copies.map((c) => (c?.kind === "kernel_buffer" ? { ...c, bytes: c.bytes.slice() } : c));
  const regions = world.regions.map((r) => ({ ...r }));
  return { scope: world.scope, maps, objects, copies, namedEntries: [...world.namedEntries], cpus: [...world.cpus], cells, nextCell: world.nextCell, regions };
}

/**
 * The canonical abstract form (spec/abstract.ts): memory objects in handle order page by page,
 * then maps in handle order with their pages ascending, then copies and named entries in handle
 * order page by page; cells are numbered in that visiting order, so two pages alias iff they
 * get the same number.
 */
export function abstractSpec(world: SpecWorld, onlyMaps?: ReadonlySet<number>): AbstractWorld {
  const numbering = new CellNumbering();
  const number = (cell: CellId): number => numbering.number(cell, () => world.cells.get(cell));
  if (onlyMaps) return { ...abstractMaps(world, number, onlyMaps), objects: [], copies: [], namedEntries: [], cells: numbering.cells, regions: [] };
  const objects = world.objects.map((object) => object.map(number));
  const { maps } = abstractMaps(world, number);
  const copy = (c: SpecCopy | null): AbstractCopy | null => {
    if (c === null) return null;
    const none = { offset: 0, size: 0, pages: [], data: "" };
    if (c.kind === "emptied") return { kind: c.kind, ...none };
    if (c.kind === "kernel_buffer") return { kind: c.kind, ...none, size: c.bytes.length, data: toHex(c.bytes) };
    if (c.kind === "page_list") {
      const pages = c.cells.map((cell) => ({ cell: number(cell), prot: 0, maxProt: 0, inheritance: 0, behavior: 0, alias: 0 }));
      return { kind: c.kind, offset: c.offset, size: c.size, pages, data: "", cont: describeContinuation(c.cont) };
    }
    const pages = c.kind === "entry_list"
      ? c.pages.map((p) => ({ ...p, cell: number(p.cell) }))
      : objectWindow(world, c).map((cell) => ({ cell: number(cell), prot: 0, maxProt: 0, inheritance: 0, behavior: 0, alias: 0 }));
    return { kind: c.kind, offset: c.offset, size: c.size, pages, data: "" };
  };
  const copies = world.copies.map(copy);
  const submapCells = (map: SpecMap, pages: number): number[] => Array.from({ length: pages }, (_, i) => {
    const s = map.pages.get(map.min / world.scope.pageSize + i);
    const held = s === undefined ? undefined : reach(world, s);
    return held === undefined ? NO_CELL : number(held.cell);
  });
  const namedEntries = world.namedEntries.map((e) => ({
    protection: e.protection, size: e.size, submap: e.submap ?? -1,
    cells: e.submap === undefined ? e.cells.map(number) : submapCells(world.maps[e.submap]!, e.size / world.scope.pageSize),
  }));
  return { maps, objects, copies, namedEntries, cpus: [...world.cpus], cells: numbering.cells, regions: world.regions.map((r) => ({ ...r })) };
}

/**
 * The maps part of the abstract form (all maps, or only those in `only`: the others read as
 * null), cells numbered by `number` in visiting order. The restricted form lets a checker
 * compare just the maps a command named, at a cost proportional to their pages; it is equal
 * for two worlds that agree on those maps, whatever the rest holds. A map nobody holds a
 * handle to (alive only as a submap) reads as null; a window page shows the cell it reaches.
 */
function abstractMaps(world: SpecWorld, number: (cell: CellId) => number, only?: ReadonlySet<number>): Pick<AbstractWorld, "maps"> {
  const maps = world.maps.map((map, handle) =>
    map === null || map.refCount === 0 || (only && !only.has(handle)) ? null : {
      min: map.min,
      max: map.max,
      refCount: map.refCount,
      swappedOut: map.swappedOut,
      pages: sortedPages(map).map(([page, state]) => {
        const { prot, maxProt, inheritance, behavior, alias, wiredCount, userWiredCount, submap } = state;
        const held = reach(world, state);
        return {
          page, cell: held === undefined ? NO_CELL : number(held.cell), prot, maxProt, inheritance, behavior, alias, wiredCount, userWiredCount,
          submap: submap?.map ?? -1, nested: submap?.nested ?? false, cow: submap?.cow ?? false,
        };
      }),
    },
  );
  return { maps };
}

/** Kernel wirings of a page: `wiredCount` minus the one wiring all user wirings share. */
export const kernelWirings = (state: PageState): number => state.wiredCount - (state.userWiredCount > 0 ? 1 : 0);
