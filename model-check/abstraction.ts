/**
 * The abstraction function: the implementation's state (maps of entries over VM objects) seen as
 * the spec's abstract world (spec/abstract.ts), so that refinement is an equality check.
 *
 * A cell is identified by where its bytes live: page `index` of object `o` is the cell
 * `o.id:index`, so two map pages get the same canonical number exactly when they read and write
 * the same bytes. A page of an entry without an object is zero-fill memory nobody else can see:
 * a fresh zero cell of its own. Cells are numbered in the canonical visiting order — shared
 * memory objects in handle order page by page, then maps in handle order, entries ascending, each
 * entry page by page.
 */
import type { Kernel, VmObject } from "../impl/index.ts";
import { CellNumbering, type AbstractMap, type AbstractPage, type AbstractWorld } from "../spec/abstract.ts";

export function abstractImpl(kernel: Kernel): AbstractWorld {
  const numbering = new CellNumbering();
  const ps = kernel.scope.pageSize;
  const cellOf = (o: VmObject, index: number): number =>
    numbering.number(`${o.id}:${index}`, () => o.pageForRead(index));
  let freshCells = 0;
  const freshCell = (): number => numbering.number(`zero#${freshCells++}`, () => undefined);

  const objects = kernel.objects.map((o) => {
    const cells: number[] = [];
    for (let i = 0; i < o.size / ps; i++) cells.push(cellOf(o, i));
    return cells;
  });

  const maps = kernel.maps.map((map): AbstractMap | null => {
    if (map === null) return null;
    const pages: AbstractPage[] = [];
    const header = map.store.header;
    for (let e = header.next; e !== header; e = e.next) {
      const o = e.object;
      for (let a = e.start; a < e.end; a += ps) {
        pages.push({
          page: a / ps,
          cell: o === null ? freshCell() : cellOf(o, (e.offset + (a - e.start)) / ps),
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
    return { min: map.min, max: map.max, refCount: map.refCount, pages };
  });

  return { maps, objects, cells: numbering.cells };
}
