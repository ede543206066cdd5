/**
 * The MMU judged by the spec alone: every PTE against the spec's abstract page at its address.
 *
 * The other MMU invariants judge a translation by what the implementation's own fault path says
 * the page resolves to (`descend`, `allowedRights`), so a bug inside the fault path moves the
 * oracle with the implementation: make every entry count as wired and the PTEs are wired "as
 * they should be". This check takes nothing from impl/fault or impl/map: only the page tables,
 * the frames' bytes and the spec's abstract world (what the spec says each page of each map is:
 * its protection, wiring, cell and bytes, whether it is a copy-on-write window), so it stays put
 * whatever the implementation gets wrong.
 */
import { hexAddr, hexTrimmed, type AbstractPage, type AbstractWorld } from "../spec/abstract.ts";
import { VM_PROT_WRITE } from "../spec/constants.ts";
import type { Kernel } from "../impl/kernel.ts";

/** The spec's page `page` of a map's pages (ascending), or undefined. */
function pageAt(pages: readonly AbstractPage[], page: number): AbstractPage | undefined {
  let lo = 0, hi = pages.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1, p = pages[mid]!;
    if (p.page === page) return p;
    if (p.page < page) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/**
 * Per cell of submap `handle`'s own pages (not its windows into further submaps): whether the
 * spec wires that page; null when the cell is ambiguous (two of its pages hold it, wired
 * differently) or reached only through a further window. Empty when the spec shows no such map
 * (a map alive only as a submap reads as null): then nothing is judged.
 */
function submapWiring(spec: AbstractWorld, handle: number): Map<number, boolean | null> {
  const out = new Map<number, boolean | null>();
  for (const p of spec.maps[handle]?.pages ?? []) {
    const wired = p.submap < 0 ? p.wiredCount > 0 : null;
    const was = out.get(p.cell);
    out.set(p.cell, was === undefined || was === wired ? wired : null);
  }
  return out;
}

/**
 * Every PTE of every live map's page table maps a page the spec maps there, with no more rights
 * than the spec's protection (none to write through a copy-on-write window), to a frame holding
 * exactly the bytes of the spec's cell; it is wired exactly when the spec's page is — through a
 * submap window (not nested), when the window or the submap's page is wired; every page the
 * spec says is wired has a PTE; and a writable PTE's frame is reached by no PTE of another cell (a write through it
 * would change a page the spec says is distinct).
 */
export function mmuRefinesSpec(k: Kernel, spec: AbstractWorld): string | undefined {
  const mmu = k.mmu;
  if (!mmu?.engaged) return undefined;
  const ps = k.scope.pageSize;
  /** Per frame: the spec cells its PTEs map, one PTE of each, and a PTE that may write it. */
  const users = new Map<number, { cells: Map<number, string>; writer?: { where: string; cell: number } }>();
  /** Per submap handle, its pages' wiring by cell (built once per check, on the first window PTE into it). */
  const wiringOf = new Map<number, Map<number, boolean | null>>();
  for (let h = 0; h < k.maps.length; h++) {
    const map = k.maps[h], abstract = spec.maps[h];
    if (!map || !abstract) continue;
    const pmap = mmu.pmaps.get(map);
    for (const vpn of pmap?.mapped ?? []) {
      const pte = pmap!.pte(vpn), where = `map ${h} PTE ${hexAddr(vpn * ps)}`;
      if (pte.frame < 0) continue;
      const page = pageAt(abstract.pages, vpn);
      if (page === undefined) return `${where}: maps frame ${pte.frame}, but the spec maps nothing there`;
      if ((pte.rights & ~page.prot) !== 0) return `${where}: rights ${pte.rights} beyond the spec's protection ${page.prot}`;
      if (page.cow && (pte.rights & VM_PROT_WRITE) !== 0) return `${where}: writable through a copy-on-write window`;
      const bytes = hexTrimmed(mmu.phys.bytes[pte.frame] ?? undefined);
      if (bytes !== spec.cells[page.cell]) return `${where}: frame ${pte.frame} holds ${bytes || "zeros"}, the spec's page holds ${spec.cells[page.cell] || "zeros"}`;
      if (page.submap < 0 && pte.wired !== page.wiredCount > 0) return `${where}: ${pte.wired ? "a wired PTE, but the spec's page is not wired" : "the spec's page is wired, its PTE is not"}`;
      if (page.submap >= 0 && !page.nested) {
        let wiring = wiringOf.get(page.submap);
        if (wiring === undefined) wiringOf.set(page.submap, (wiring = submapWiring(spec, page.submap)));
        const inner = wiring.get(page.cell); // undefined or null: the submap's page cannot be told
        if (typeof inner === "boolean" && pte.wired !== (page.wiredCount > 0 || inner))
          return `${where}: ${pte.wired ? "a wired PTE through a submap window, but neither the window nor the submap's page is wired in the spec" : `the spec wires ${page.wiredCount > 0 ? "the submap window" : "the submap's page"}, the PTE through the window is not wired`}`;
      }
      let u = users.get(pte.frame);
      if (u === undefined) users.set(pte.frame, (u = { cells: new Map() }));
      if (!u.cells.has(page.cell)) u.cells.set(page.cell, where);
      if ((pte.rights & VM_PROT_WRITE) !== 0) u.writer = { where, cell: page.cell };
    }
    for (const page of abstract.pages)
      if (page.submap < 0 && page.wiredCount > 0 && !(pmap?.mapped.has(page.page) && pmap.pte(page.page).frame >= 0))
        return `map ${h} ${hexAddr(page.page * ps)}: wired in the spec, but no PTE maps it`;
  }
  for (const [frame, u] of users) {
    if (u.writer === undefined || u.cells.size < 2) continue;
    const others = [...u.cells].filter(([cell]) => cell !== u.writer!.cell).map(([, w]) => w);
    return `frame ${frame}: ${u.writer.where} may write it, but ${others.join(", ")} map${others.length === 1 ? "s" : ""} it too and the spec says ${others.length === 1 ? "that is a distinct page" : "those are distinct pages"}`;
  }
  return undefined;
}
