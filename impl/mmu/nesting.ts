/**
 * Nested pmaps for submap windows that ask for them (`use_pmap`, reference §4.16, §4.22):
 * the parent's page table shares the submap's leaves over the window, so a translation the
 * submap's pmap holds is seen at once through every map nesting it, and an invalidation of a
 * nested PTE shoots down every CPU that may cache it under any nesting map's ASID
 * ({@link MmuCore.invalidate} follows `Pmap.parents`).
 *
 * Which windows are nested is derived from the entries, never stored in them (the entry's
 * `usePmap` is the request the spec sees; nesting is invisible to it): a window is nested
 * exactly when it asks for it and can be nested exactly ({@link MmuNesting.nestObstacle}).
 * When it cannot, it falls back to the per-map PTEs every other entry has: each map faults the
 * submap's pages into its own page table. Windows are nested when their map gets a pmap and
 * after every operation; they are un-nested before any change that may stop them being exact
 * (clip, delete, protect, wire: the map calls {@link MmuNesting.unnestWindow} first).
 */
import { currentTranslation, type ResolvedPage } from "../fault/fault.ts";
import type { VmMapEntry } from "../map/entry.ts";
import type { VmMap } from "../map/vm-map.ts";
import type { Pmap } from "../pmap/pmap.ts";
import { MmuAccess } from "./access.ts";

export abstract class MmuNesting extends MmuAccess {
  /**
   * Why window `e` of `map` cannot be nested exactly now, or undefined when it can. Exact means
   * a walk through the parent's window reads the submap's own PTE, masked by the window's
   * protection, and that is what the parent's entry resolves to.
   */
  nestObstacle(map: VmMap, e: VmMapEntry): string | undefined {
    if (e.submap === null || !e.usePmap) return "not a window asking for a nested pmap";
    // vm_map_submap nests only at offset 0 (the window shows the submap from its start).
    if (e.offset !== 0) return "its offset is not 0";
    // A wiring through the window belongs to this map only; a nested PTE's wired bit is the submap's.
    if (e.wiredCount > 0) return "it is wired";
    if (e.needsCopy) return "it is copy-on-write";
    const ps = this.pageSize, leaf = this.leafPages;
    const vpn = e.start / ps, pages = (e.end - e.start) / ps, nestedVpn = e.offset / ps;
    if (this.vpnBits <= this.leafBits) return "the page table has no directory level to share leaves from";
    if (vpn % leaf !== 0 || pages % leaf !== 0) return `it is not whole page-table leaves of ${leaf} pages`;
    // One level of nesting: a leaf shared twice could not be un-shared at the middle level.
    const p = this.pmaps.get(map), s = this.pmaps.get(e.submap);
    if (p?.parents.some((w) => overlaps(w.nestedVpn, w.pages, vpn, pages))) return "its range is itself nested into another map";
    if (s?.nests.some((w) => overlaps(w.vpn, w.pages, nestedVpn, pages))) return "the submap nests another map there";
    return undefined;
  }

  /** The map's pmap; a new one nests the windows of the map that can be nested. */
  override pmapOf(map: VmMap): Pmap {
    const had = this.pmaps.get(map);
    if (had !== undefined) return had;
    const p = super.pmapOf(map);
    this.nestWindowsOf(map, p);
    return p;
  }

  /** After an operation: every window of a map with a pmap that asks for nesting and can be nested exactly, is. */
  syncNesting(): void {
    for (const [map, p] of this.pmaps) this.nestWindowsOf(map, p);
  }

  nestWindowsOf(map: VmMap, p: Pmap): void {
    const header = map.store.header;
    for (let e = header.next; e !== header; e = e.next) {
      if (!e.usePmap || e.submap === null || p.nestAt(e.start / this.pageSize) !== undefined || this.nestObstacle(map, e) !== undefined) continue;
      // The submap's pmap first: a new one nests the submap's own windows, and a window onto
      // one of those cannot be nested (asked again below).
      this.pmapOf(e.submap);
      if (this.nestObstacle(map, e) === undefined) this.nestWindow(p, e);
    }
  }

  /** `pmap_nest` of window `e` into `p`, walked with the window's protection. */
  nestWindow(p: Pmap, e: VmMapEntry): void {
    const ps = this.pageSize;
    p.nest(e.start / ps, this.pmapOf(e.submap!), e.offset / ps, (e.end - e.start) / ps, e.protection);
    this.complete();
  }

  /** `pmap_unnest` of window `e` of `map`, when it is nested (the map calls this before changing the window). */
  unnestWindow(map: VmMap, e: VmMapEntry): void {
    const p = this.pmaps.get(map);
    const vpn = e.start / this.pageSize;
    if (p === undefined || p.nests.every((w) => w.vpn !== vpn)) return;
    p.unnest(vpn);
    this.complete();
  }

  /**
   * `pmap_enter` through a nested window goes to the pmap that owns the PTE — the submap's, at
   * its own page, with the rights the submap itself resolves the page to (the parent sees them
   * through its window's mask); in XNU terms, lookup_locked's `pmap_map`.
   */
  override enter(pmap: Pmap, vpn: number, page: ResolvedPage): void {
    const w = pmap.nests.length === 0 ? undefined : pmap.nestAt(vpn);
    if (w === undefined) return super.enter(pmap, vpn, page);
    const owner = this.mapOfPmap.get(w.nested)!;
    const ownVpn = vpn - w.vpn + w.nestedVpn;
    const own = currentTranslation(owner, ownVpn * this.pageSize);
    if (own === undefined || own.object !== page.object || own.index !== page.index)
      throw new Error(`nested window at vpn ${vpn}: the submap does not resolve the page the parent faulted in`);
    this.enter(w.nested, ownVpn, own);
  }
}

const overlaps = (a: number, an: number, b: number, bn: number): boolean => a < b + bn && b < a + an;
