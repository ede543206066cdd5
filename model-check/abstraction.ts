/**
 * The abstraction function: the implementation's state (maps of entries over VM objects with
 * shadow chains, copies, named entries) seen as the spec's abstract world (spec/abstract.ts), so
 * that refinement is an equality check.
 *
 * Cell identity. Two pages alias iff a write through one is seen through the other. A deferred
 * copy makes pages that read the same physical page logically distinct, so:
 * - a page of an entry with `needsCopy`, or with no object, is a cell of its own (a fresh
 *   identity): the first write through it lands in a new object nobody else sees;
 * - otherwise its identity is (top object, page index): the place a write through it lands
 *   (after any copy-up);
 * - its bytes are read through the shadow chain (the first object of the chain holding the
 *   page, offsets added level by level), else zero.
 * Copy entries and named-entry windows follow the same rule; an object copy's pages are the
 * object's own; a kernel buffer reports its bytes in `data`.
 *
 * A submap entry's page is the submap's page at the translated address (its cell, or none);
 * a copy-on-write submap entry's too (`cow`): until a write promotes it, it shows the submap's
 * memory live, as a plain window does.
 *
 * Cells are numbered in the canonical visiting order: shared memory objects in handle order page
 * by page, then maps in handle order (entries ascending, page by page), then copies in handle
 * order, then named entries in handle order.
 *
 * The chain is read here with its own few lines, not through the object layer, so a planted bug
 * in the layer's reads cannot hide itself.
 */
import type { Kernel, MapCopy, VmMap, VmMapEntry, VmObject } from "../impl/index.ts";
import {
  CellNumbering,
  NO_CELL,
  describeContinuation,
  type AbstractCopy,
  type AbstractCopyPage,
  type AbstractMap,
  type AbstractPage,
  type AbstractRegion,
  type AbstractWorld,
} from "../spec/abstract.ts";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const hexAll = (bytes: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
};

/** The entry of `map` holding `addr`, read off the list (not through the map's lookup, which moves its hint). */
function findEntry(map: VmMap, addr: number): VmMapEntry | undefined {
  const header = map.store.header;
  for (let e = header.next; e !== header && e.start <= addr; e = e.next) if (addr < e.end) return e;
  return undefined;
}

/**
 * One abstraction in progress. A class rather than closures: it runs after every command of a
 * campaign, and its helpers are then made once, not per call.
 */
class ImplAbstraction {
  private readonly numbering = new CellNumbering();
  private readonly ps: number;
  /** Pages in the address space: (object id, page index) packs into one number below 2^53. */
  private readonly span: number;
  /** Page lists' snapshot pages, numbered in visiting order. */
  private snapshots = 0;
  /**
   * A fresh cell's identity is (entry, page), so that a submap's page met both through the
   * submap and through a parent's window is one cell.
   */
  private readonly entryIds = new Map<VmMapEntry, number>();

  constructor(private readonly kernel: Kernel) {
    this.ps = kernel.scope.pageSize;
    this.span = 2 ** kernel.scope.addressBits / this.ps;
  }

  /** The bytes visible at page `index` of `o`, through its shadow chain. */
  private chainRead(o: VmObject, index: number): Uint8Array | undefined {
    let i = index;
    for (let x: VmObject | null = o; x !== null; x = x.shadow) {
      const p = x.pages.get(i);
      if (p !== undefined) return p;
      i += x.shadowOffset / this.ps;
    }
    return undefined;
  }

  /** The cell (top object, page index): a number key when it is exact, else a string. */
  objectCell(o: VmObject, index: number): number {
    const packed = o.id * this.span + index;
    const key = Number.isSafeInteger(packed) && index >= 0 ? packed : `${o.id}:${index}`;
    return this.numbering.known(key) ?? this.numbering.number(key, () => this.chainRead(o, index));
  }

  /** A cell nobody else can reach (entry `e`'s page `index`; negative keys), bytes read through the chain (if any). */
  private freshCell(e: VmMapEntry, o: VmObject | null, index: number): number {
    let id = this.entryIds.get(e);
    if (id === undefined) this.entryIds.set(e, (id = this.entryIds.size));
    const packed = -1 - (id * this.span + index);
    const key = Number.isSafeInteger(packed) && index >= 0 ? packed : `fresh#${id}:${index}`;
    return this.numbering.known(key) ?? this.numbering.number(key, () => (o === null ? undefined : this.chainRead(o, index)));
  }

  /** A page list's page: a cell of its own holding `bytes` (null or undefined = zero). */
  private snapshotCell(bytes: Uint8Array | null | undefined): number {
    return this.numbering.number(`list#${this.snapshots++}`, () => bytes ?? undefined);
  }

  /** The cell of the page at `a` of entry (or copy entry) `e`. */
  entryCell(e: VmMapEntry, a: number): number {
    const o = e.object;
    const index = (e.offset + (a - e.start)) / this.ps;
    return o === null || e.needsCopy ? this.freshCell(e, o, index) : this.objectCell(o, index);
  }

  /**
   * The cell of the page at `a` of map entry `e`: a submap entry's is the submap's page at the
   * translated address (entry → submap → object → shadow chain), NO_CELL where the submap has none.
   */
  mappedCell(e: VmMapEntry, a: number): number {
    for (let x = e, at = a; ; ) {
      if (x.submap === null) return this.entryCell(x, at);
      at = at - x.start + x.offset;
      const inner = findEntry(x.submap, at);
      if (inner === undefined) return NO_CELL;
      x = inner;
    }
  }

  /** The cells of a named entry: its windows' object pages, or its submap's pages. */
  private namedCells(n: Kernel["namedEntries"][number]): number[] {
    const cells: number[] = [];
    const ps = this.ps;
    if (n.submap) {
      for (let off = 0; off < n.size; off += ps) {
        const e = findEntry(n.submap, n.submap.min + off);
        cells.push(e === undefined ? NO_CELL : this.mappedCell(e, n.submap.min + off));
      }
      return cells;
    }
    for (const w of n.windows) for (let off = 0; off < w.size; off += ps) cells.push(this.objectCell(w.object, (w.offset + off) / ps));
    return cells;
  }

  private regions(): AbstractRegion[] {
    const { kernel } = this;
    return kernel.regions.map((r) => ({
      text: kernel.handleOf(r.text), data: kernel.handleOf(r.data), textSize: r.textSize, dataSize: r.dataSize, clientBase: r.clientBase,
      alternateBase: r.alternateBase, alternateNext: r.alternateNext, refCount: r.refCount, depth: r.depth,
      chain: r.chain === null ? -1 : kernel.regions.indexOf(r.chain), flags: r.flags, held: r.held,
    }));
  }

  private map(map: VmMap | null, handle: number): AbstractMap | null {
    if (map === null) return null;
    const pages: AbstractPage[] = [];
    const header = map.store.header;
    for (let e = header.next; e !== header; e = e.next) {
      for (let a = e.start; a < e.end; a += this.ps) {
        pages.push({
          page: a / this.ps,
          cell: this.mappedCell(e, a),
          submap: e.submap === null ? -1 : this.kernel.handleOf(e.submap),
          nested: e.usePmap,
          cow: e.submap !== null && e.needsCopy,
          prot: e.protection,
          maxProt: e.maxProtection,
          inheritance: e.inheritance,
          behavior: e.behavior,
          alias: e.alias,
          wiredCount: e.wiredCount,
          userWiredCount: e.userWiredCount,
        });
      }
    }
    return { min: map.min, max: map.max, refCount: this.kernel.names[handle]!, swappedOut: this.kernel.swapped[handle]!, pages };
  }

  private copy(c: MapCopy | null): AbstractCopy | null {
    if (c === null) return null;
    const ps = this.ps;
    switch (c.kind) {
      case "emptied":
        return { kind: "emptied", offset: 0, size: 0, pages: [], data: "" };
      case "kernel_buffer":
        return { kind: "kernel_buffer", offset: 0, size: c.data.length, pages: [], data: hexAll(c.data) };
      case "object": {
        const pages: AbstractCopyPage[] = [];
        const last = Math.ceil((c.offset + c.size) / ps);
        for (let i = Math.floor(c.offset / ps); i < last; i++)
          pages.push({ cell: this.objectCell(c.object, i), prot: 0, maxProt: 0, inheritance: 0, behavior: 0, alias: 0 });
        return { kind: "object", offset: c.offset, size: c.size, pages, data: "" };
      }
      case "page_list": {
        // A page list is a snapshot: each page its own cell, whatever object it is still held in.
        const pages = c.pages.map((p): AbstractCopyPage =>
          ({ cell: this.snapshotCell(p.bytes), prot: 0, maxProt: 0, inheritance: 0, behavior: 0, alias: 0 }));
        return { kind: "page_list", offset: c.offset, size: c.size, pages, data: "", cont: continuationOf(c) };
      }
      case "entry_list": {
        const pages: AbstractCopyPage[] = [];
        for (const e of c.entries)
          for (let a = e.start; a < e.end; a += ps)
            pages.push({ cell: this.entryCell(e, a), prot: e.protection, maxProt: e.maxProtection, inheritance: e.inheritance, behavior: e.behavior, alias: e.alias });
        return { kind: "entry_list", offset: c.offset, size: c.size, pages, data: "" };
      }
    }
  }

  /**
   * The whole world, in the canonical visiting order: objects, maps, copies, named entries.
   * With `onlyMaps`, only those maps (the others read as null) and no objects, copies or named
   * entries: the restricted form spec/world.ts's abstractSpec gives for the same set, for
   * checking just the maps a command named.
   */
  world(onlyMaps?: ReadonlySet<number>): AbstractWorld {
    const { kernel, ps } = this;
    const objects: number[][] = [];
    const maps: (AbstractMap | null)[] = [];
    if (onlyMaps) {
      for (let h = 0; h < kernel.maps.length; h++) maps.push(onlyMaps.has(h) ? this.map(kernel.maps[h]!, h) : null);
      return { maps, objects, copies: [], namedEntries: [], cells: this.numbering.cells, regions: [] };
    }
    for (const o of kernel.objects) {
      const cells: number[] = [];
      for (let i = 0; i < o.size / ps; i++) cells.push(this.objectCell(o, i));
      objects.push(cells);
    }
    for (let h = 0; h < kernel.maps.length; h++) maps.push(this.map(kernel.maps[h]!, h));
    const copies: (AbstractCopy | null)[] = [];
    for (const c of kernel.copies) copies.push(this.copy(c));
    const namedEntries = [];
    for (const n of kernel.namedEntries) namedEntries.push({ protection: n.protection, size: n.size, cells: this.namedCells(n), submap: n.submap ? kernel.handleOf(n.submap) : -1 });
    return { maps, objects, copies, namedEntries, cpus: [...kernel.cpuMap], cells: this.numbering.cells, regions: this.regions() };
  }

  /** Cell `n` of this abstraction is cell `want` of `v`: same number, same bytes. */
  private sameCell(n: number, want: number, v: AbstractWorld): boolean {
    return n === want && this.numbering.cells[n] === v.cells[want];
  }

  /**
   * True when {@link world} would equal `v` (diffAbstract would find nothing), decided while
   * walking the implementation in the same canonical order, without building the world: the
   * same comparisons as diffAbstract, field by field, stopping at the first difference.
   */
  matches(v: AbstractWorld): boolean {
    const { kernel, ps } = this;
    // Only the shape this walk knows: a field added to the abstract state later (by a branch
    // that extends the model) makes the fast path step aside, and the full diff decides.
    if (!knownShape(v)) return false;

    // Which map each CPU runs (compared only when the view has them, as diffAbstract does).
    if (v.cpus) {
      const cpus = kernel.cpuMap;
      if (cpus.length !== v.cpus.length) return false;
      for (let c = 0; c < cpus.length; c++) if (cpus[c] !== v.cpus[c]) return false;
    }

    if (kernel.objects.length !== v.objects.length) return false;
    for (let h = 0; h < kernel.objects.length; h++) {
      const o = kernel.objects[h]!, want = v.objects[h]!;
      let i = 0;
      for (; i < o.size / ps; i++) if (i >= want.length || !this.sameCell(this.objectCell(o, i), want[i]!, v)) return false;
      if (i !== want.length) return false;
    }

    if (kernel.maps.length !== v.maps.length) return false;
    for (let h = 0; h < kernel.maps.length; h++) {
      const map = kernel.maps[h]!, want = v.maps[h]!;
      if (map === null || want === null) {
        if ((map === null) !== (want === null)) return false;
        continue;
      }
      if (map.min !== want.min || map.max !== want.max || kernel.names[h] !== want.refCount) return false;
      if (want.swappedOut !== undefined && kernel.swapped[h] !== want.swappedOut) return false;
      const pages = want.pages;
      let j = 0;
      const header = map.store.header;
      for (let e = header.next; e !== header; e = e.next) {
        for (let a = e.start; a < e.end; a += ps, j++) {
          const p = pages[j];
          if (p === undefined || p.page !== a / ps) return false;
          if (p.prot !== e.protection || p.maxProt !== e.maxProtection || p.inheritance !== e.inheritance || p.behavior !== e.behavior) return false;
          if (p.alias !== e.alias || p.wiredCount !== e.wiredCount || p.userWiredCount !== e.userWiredCount) return false;
          if (p.submap !== (e.submap === null ? -1 : kernel.handleOf(e.submap)) || p.nested !== e.usePmap) return false;
          if (p.cow !== (e.submap !== null && e.needsCopy)) return false;
          if (!this.sameCell(this.mappedCell(e, a), p.cell, v)) return false;
        }
      }
      if (j !== pages.length) return false;
    }

    if (kernel.copies.length !== v.copies.length) return false;
    for (let h = 0; h < kernel.copies.length; h++) {
      const c = kernel.copies[h]!, want = v.copies[h]!;
      if (c === null || want === null) {
        if ((c === null) !== (want === null)) return false;
        continue;
      }
      if (c.kind !== want.kind) return false;
      const pages = want.pages;
      switch (c.kind) {
        case "emptied":
          if (want.offset !== 0 || want.size !== 0 || pages.length !== 0 || want.data !== "") return false;
          break;
        case "kernel_buffer":
          if (want.offset !== 0 || want.size !== c.data.length || pages.length !== 0 || want.data !== hexAll(c.data)) return false;
          break;
        case "object": {
          if (want.offset !== c.offset || want.size !== c.size || want.data !== "") return false;
          const first = Math.floor(c.offset / ps), last = Math.ceil((c.offset + c.size) / ps);
          if (pages.length !== Math.max(0, last - first)) return false;
          for (let i = first; i < last; i++) {
            const p = pages[i - first]!;
            if (p.prot !== 0 || p.maxProt !== 0 || p.inheritance !== 0 || p.behavior !== 0 || p.alias !== 0) return false;
            if (!this.sameCell(this.objectCell(c.object, i), p.cell, v)) return false;
          }
          break;
        }
        case "page_list": {
          if (want.offset !== c.offset || want.size !== c.size || want.data !== "" || (want.cont ?? "") !== continuationOf(c)) return false;
          if (pages.length !== c.pages.length) return false;
          for (let i = 0; i < pages.length; i++) {
            const p = pages[i]!;
            if (p.prot !== 0 || p.maxProt !== 0 || p.inheritance !== 0 || p.behavior !== 0 || p.alias !== 0) return false;
            if (!this.sameCell(this.snapshotCell(c.pages[i]!.bytes), p.cell, v)) return false;
          }
          break;
        }
        case "entry_list": {
          if (want.offset !== c.offset || want.size !== c.size || want.data !== "") return false;
          let j = 0;
          for (const e of c.entries)
            for (let a = e.start; a < e.end; a += ps, j++) {
              const p = pages[j];
              if (p === undefined) return false;
              if (p.prot !== e.protection || p.maxProt !== e.maxProtection || p.inheritance !== e.inheritance || p.behavior !== e.behavior || p.alias !== e.alias) return false;
              if (!this.sameCell(this.entryCell(e, a), p.cell, v)) return false;
            }
          if (j !== pages.length) return false;
          break;
        }
      }
    }

    if (kernel.namedEntries.length !== v.namedEntries.length) return false;
    for (let h = 0; h < kernel.namedEntries.length; h++) {
      const n = kernel.namedEntries[h]!, want = v.namedEntries[h]!;
      if (n.protection !== want.protection || n.size !== want.size || (n.submap ? kernel.handleOf(n.submap) : -1) !== want.submap) return false;
      const cells = this.namedCells(n);
      if (cells.length !== want.cells.length) return false;
      for (let j = 0; j < cells.length; j++) if (!this.sameCell(cells[j]!, want.cells[j]!, v)) return false;
    }

    const regions = this.regions();
    if (regions.length !== v.regions.length) return false;
    for (let r = 0; r < regions.length; r++) {
      const x = regions[r]!, y = v.regions[r]!;
      for (const k in x) if (x[k as keyof AbstractRegion] !== y[k as keyof AbstractRegion]) return false;
    }
    return true;
  }
}

/** The fields of each part of the abstract world that {@link ImplAbstraction.matches} compares. */
const WORLD_KEYS = new Set(["maps", "objects", "copies", "namedEntries", "cpus", "cells", "regions"]);
const MAP_KEYS = new Set(["min", "max", "refCount", "swappedOut", "pages"]);
const PAGE_KEYS = new Set(["page", "cell", "submap", "nested", "cow", "prot", "maxProt", "inheritance", "behavior", "alias", "wiredCount", "userWiredCount"]);
const COPY_KEYS = new Set(["kind", "offset", "size", "pages", "data", "cont"]);
const COPY_PAGE_KEYS = new Set(["cell", "prot", "maxProt", "inheritance", "behavior", "alias"]);
const NAMED_KEYS = new Set(["protection", "size", "cells", "submap"]);

/** Every own enumerable key of `x` is in `known`. */
function onlyKeys(x: object, known: ReadonlySet<string>): boolean {
  for (const k in x) if (!known.has(k)) return false;
  return true;
}

/**
 * The view has no field {@link ImplAbstraction.matches} does not compare (checked on the first
 * of each kind; the spec builds them all alike): a field added to the abstract state later
 * makes the fast path step aside until matches() learns it.
 */
function knownShape(v: AbstractWorld): boolean {
  if (!onlyKeys(v, WORLD_KEYS)) return false;
  const map = v.maps.find((m) => m !== null && m.pages.length > 0);
  if (map && (!onlyKeys(map, MAP_KEYS) || !onlyKeys(map.pages[0]!, PAGE_KEYS))) return false;
  const copy = v.copies.find((c) => c !== null && c.pages.length > 0);
  if (copy && (!onlyKeys(copy, COPY_KEYS) || !onlyKeys(copy.pages[0]!, COPY_PAGE_KEYS))) return false;
  const named = v.namedEntries[0];
  return named === undefined || onlyKeys(named, NAMED_KEYS);
}

/** The implementation's state as an abstract world; with `onlyMaps`, just those maps (see ImplAbstraction.world). */
export function abstractImpl(kernel: Kernel, onlyMaps?: ReadonlySet<number>): AbstractWorld {
  return new ImplAbstraction(kernel).world(onlyMaps);
}

/** A page list's continuation as abstract worlds compare it. */
function continuationOf(c: Extract<MapCopy, { kind: "page_list" }>): string {
  return describeContinuation(c.cont && { ...c.cont, map: c.cont.handle });
}

/**
 * True when `abstractImpl(kernel)` equals `view` — the refinement check's verdict without
 * building the implementation's abstract world (the common case, every command of a campaign).
 * On false, the caller builds the world and diffs it for the message.
 */
export function implMatches(kernel: Kernel, view: AbstractWorld): boolean {
  return new ImplAbstraction(kernel).matches(view);
}
