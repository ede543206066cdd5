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
 * A submap entry's page is the submap's page at the translated address (its cell, or none).
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
  type AbstractCopy,
  type AbstractCopyPage,
  type AbstractMap,
  type AbstractPage,
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

export function abstractImpl(kernel: Kernel): AbstractWorld {
  const numbering = new CellNumbering();
  const ps = kernel.scope.pageSize;

  /** The bytes visible at page `index` of `o`, through its shadow chain. */
  const chainRead = (o: VmObject, index: number): Uint8Array | undefined => {
    let i = index;
    for (let x: VmObject | null = o; x !== null; x = x.shadow) {
      const p = x.pages.get(i);
      if (p !== undefined) return p;
      i += x.shadowOffset / ps;
    }
    return undefined;
  };
  const objectCell = (o: VmObject, index: number): number => numbering.number(`${o.id}:${index}`, () => chainRead(o, index));
  // A fresh cell's identity is (entry, page), so a submap's page met both through the submap and
  // through a parent's window is one cell.
  const entryIds = new Map<VmMapEntry, number>();
  /** A cell nobody else can reach: its own identity, bytes read through the chain (if any). */
  const freshCell = (e: VmMapEntry, o: VmObject | null, index: number): number => {
    if (!entryIds.has(e)) entryIds.set(e, entryIds.size);
    return numbering.number(`fresh#${entryIds.get(e)}:${index}`, () => (o === null ? undefined : chainRead(o, index)));
  };
  /** The cell of the page at `a` of entry (or copy entry) `e`. */
  const entryCell = (e: VmMapEntry, a: number): number => {
    const o = e.object;
    const index = (e.offset + (a - e.start)) / ps;
    return o === null || e.needsCopy ? freshCell(e, o, index) : objectCell(o, index);
  };
  /**
   * The cell of the page at `a` of map entry `e`: a submap entry's is the submap's page at the
   * translated address (entry → submap → object → shadow chain), NO_CELL where the submap has none.
   */
  const mappedCell = (e: VmMapEntry, a: number): number => {
    for (let x = e, at = a; ; ) {
      if (x.submap === null) return entryCell(x, at);
      at = at - x.start + x.offset;
      const inner = findEntry(x.submap, at);
      if (inner === undefined) return NO_CELL;
      x = inner;
    }
  };

  const objects = kernel.objects.map((o) => {
    const cells: number[] = [];
    for (let i = 0; i < o.size / ps; i++) cells.push(objectCell(o, i));
    return cells;
  });

  const maps = kernel.maps.map((map, h): AbstractMap | null => {
    if (map === null) return null;
    const pages: AbstractPage[] = [];
    const header = map.store.header;
    for (let e = header.next; e !== header; e = e.next) {
      for (let a = e.start; a < e.end; a += ps) {
        pages.push({
          page: a / ps,
          cell: mappedCell(e, a),
          submap: e.submap === null ? -1 : kernel.handleOf(e.submap),
          nested: e.usePmap,
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
    return { min: map.min, max: map.max, refCount: kernel.names[h]!, pages };
  });

  const copy = (c: MapCopy | null): AbstractCopy | null => {
    if (c === null) return null;
    switch (c.kind) {
      case "emptied":
        return { kind: "emptied", offset: 0, size: 0, pages: [], data: "" };
      case "kernel_buffer":
        return { kind: "kernel_buffer", offset: 0, size: c.data.length, pages: [], data: hexAll(c.data) };
      case "object": {
        const pages: AbstractCopyPage[] = [];
        const last = Math.ceil((c.offset + c.size) / ps);
        for (let i = Math.floor(c.offset / ps); i < last; i++)
          pages.push({ cell: objectCell(c.object, i), prot: 0, maxProt: 0, inheritance: 0, behavior: 0, alias: 0 });
        return { kind: "object", offset: c.offset, size: c.size, pages, data: "" };
      }
      case "entry_list": {
        const pages: AbstractCopyPage[] = [];
        for (const e of c.entries)
          for (let a = e.start; a < e.end; a += ps)
            pages.push({ cell: entryCell(e, a), prot: e.protection, maxProt: e.maxProtection, inheritance: e.inheritance, behavior: e.behavior, alias: e.alias });
        return { kind: "entry_list", offset: c.offset, size: c.size, pages, data: "" };
      }
    }
  };
  const copies = kernel.copies.map(copy);

  const namedEntries = kernel.namedEntries.map((n) => {
    const cells: number[] = [];
    if (n.submap) {
      for (let off = 0; off < n.size; off += ps) {
        const e = findEntry(n.submap, n.submap.min + off);
        cells.push(e === undefined ? NO_CELL : mappedCell(e, n.submap.min + off));
      }
      return { protection: n.protection, size: n.size, cells };
    }
    for (const w of n.windows) for (let off = 0; off < w.size; off += ps) cells.push(objectCell(w.object, (w.offset + off) / ps));
    return { protection: n.protection, size: n.size, cells };
  });

  const regions = kernel.regions.map((r) => ({
    text: kernel.handleOf(r.text), data: kernel.handleOf(r.data), textSize: r.textSize, dataSize: r.dataSize, clientBase: r.clientBase,
    alternateBase: r.alternateBase, alternateNext: r.alternateNext, refCount: r.refCount, depth: r.depth,
    chain: r.chain === null ? -1 : kernel.regions.indexOf(r.chain),
  }));

  return { maps, objects, copies, namedEntries, cells: numbering.cells, regions };
}
