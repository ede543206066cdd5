/**
 * Sharing between maps: fork, remap, make_memory_entry, map_memory_entry. The full rules, in the
 * order they are checked, are the TSDoc of spec/vocabulary.ts; in short:
 *
 * - fork makes a child with the parent's bounds: a SHARE page aliases the parent's cell (a submap
 *   window stays the same window), a COPY page gets a snapshot (left out when its maxProt lacks
 *   READ, or when it is a submap window), a NONE page is left out. Child pages keep their
 *   attributes, unwired.
 * - remap maps a fully mapped source range where enter would, sharing or snapshotting its cells;
 *   pages keep their attributes but get the given inheritance; cur/max AND their protections.
 * - region_object_create makes a named entry backed by a new empty map, mapped as a submap.
 * - make_memory_entry grants the right to map the cells of a fully mapped range whose pages all
 *   allow `permission` (asking for WRITE makes copy-on-write windows private first);
 *   map_memory_entry maps a window of them (shared or a snapshot) with cur/max within that
 *   permission; a submap-backed entry is mapped as windows, copy-on-write ones with `copy`.
 */
import { VM_BEHAVIOR_DEFAULT, VM_INHERIT_COPY, VM_INHERIT_NONE, VM_INHERIT_SHARE, VM_PROT_ALL, VM_PROT_READ, VM_PROT_WRITE } from "../constants.ts";
import { addressLimit, isPageAligned, roundPage, truncPage } from "../scope.ts";
import type { OpHandlers } from "../vocabulary.ts";
import { areNumbers, firstFailure, onlyBits, pageCount, pagesOf, widen } from "../args.ts";
import { mapOf, privatize, reach, reaches, snapshotCell, type PageNumber, type PageState, type SpecMap, type SpecWorld } from "../world.ts";
import { badPlacement, mapPages, placement, type NewPage } from "./mapping.ts";

type Handlers = Pick<OpHandlers<SpecWorld>, "fork" | "remap" | "region_object_create" | "make_memory_entry" | "map_memory_entry">;

/**
 * Map `count` pages of map `sub` from its page `skip` (relative to its min) at `first`: windows
 * onto them, copy-on-write windows with `cow`.
 */
export function mapSubmapWindow(
  world: SpecWorld, map: SpecMap, first: PageNumber, count: number, sub: number, skip: number, cow: boolean, attributes: Omit<NewPage, "cell" | "submap">,
): void {
  const lo = world.maps[sub]!.min / world.scope.pageSize + skip;
  mapPages(map, first, count, (i) => ({ ...attributes, cell: -1, submap: { map: sub, page: lo + i, nested: false, cow } }));
}

export const SHARING_HANDLERS: Handlers = {
  fork(world, { map: handle }) {
    const parent = mapOf(world, handle);
    if (parent === null) return { kr: "KERN_INVALID_ARGUMENT" };
    const pages = new Map<PageNumber, PageState>();
    for (const [page, s] of parent.pages) {
      // A submap window is shared or left out, never copied (reference §4.12).
      const copied = s.inheritance === VM_INHERIT_COPY && (s.maxProt & VM_PROT_READ) !== 0 && s.submap === undefined;
      if (s.inheritance !== VM_INHERIT_SHARE && !copied) continue;
      pages.set(page, { ...s, cell: copied ? snapshotCell(world, s.cell) : s.cell, wiredCount: 0, userWiredCount: 0 });
    }
    world.maps.push({ min: parent.min, max: parent.max, refCount: 1, swappedOut: 0, pages });
    return { kr: "KERN_SUCCESS", map: world.maps.length - 1 };
  },

  remap(world, { map: handle, addr, size, mask, anywhere, srcMap, srcAddr, copy, inheritance }) {
    const { scope } = world;
    const map = mapOf(world, handle), source = mapOf(world, srcMap);
    if (map === null || source === null || !areNumbers(scope, addr, size, mask, srcAddr, inheritance))
      return { kr: "KERN_INVALID_ARGUMENT" };
    const bytes = roundPage(scope, size), from = truncPage(scope, srcAddr);
    if (inheritance > VM_INHERIT_NONE || badPlacement(scope, addr, size, mask, anywhere) || from + bytes > addressLimit(scope))
      return { kr: "KERN_INVALID_ARGUMENT" };
    const range = { lo: from / scope.pageSize, hi: (from + bytes) / scope.pageSize };
    // vm_remap_extract refuses submaps (reference §4.17).
    const window = (s: PageState) => (s.submap === undefined ? undefined : "KERN_INVALID_ADDRESS");
    if (firstFailure(source, range, "KERN_INVALID_ADDRESS", window) !== undefined) return { kr: "KERN_INVALID_ADDRESS" };
    const first = placement(scope, map, addr, pageCount(range), mask, anywhere);
    if (typeof first === "string") return { kr: first };
    const pages = pagesOf(source, range);
    mapPages(map, first, pages.length, (i) => {
      const s = pages[i]!;
      return { ...s, cell: copy ? snapshotCell(world, s.cell) : s.cell, inheritance };
    });
    const cur = pages.reduce((p, s) => p & s.prot, VM_PROT_ALL), max = pages.reduce((p, s) => p & s.maxProt, VM_PROT_ALL);
    return { kr: "KERN_SUCCESS", addr: first * scope.pageSize, cur, max };
  },

  region_object_create(world, { size }) {
    const { scope } = world;
    if (!areNumbers(scope, size) || size === 0 || roundPage(scope, size) / scope.pageSize > scope.maxObjectPages) return { kr: "KERN_INVALID_ARGUMENT" };
    const bytes = roundPage(scope, size);
    const map = world.maps.push({ min: 0, max: bytes, refCount: 1, swappedOut: 0, pages: new Map() }) - 1;
    world.namedEntries.push({ protection: VM_PROT_ALL, size: bytes, cells: [], submap: map });
    return { kr: "KERN_SUCCESS", entry: world.namedEntries.length - 1, map };
  },

  make_memory_entry(world, { map: handle, addr, size, permission }) {
    const map = mapOf(world, handle);
    const range = areNumbers(world.scope, addr, size, permission) ? widen(world.scope, addr, size) : undefined;
    if (map === null || range === undefined || size === 0) return { kr: "KERN_INVALID_ARGUMENT" };
    const wanted = permission & VM_PROT_ALL;
    // A submap window names the submap's page (reference §10.9).
    const lacking = (page: PageState) => {
      const s = reach(world, page);
      if (s === undefined) return "KERN_INVALID_ADDRESS";
      return (wanted & ~s.prot) === 0 ? undefined : "KERN_PROTECTION_FAILURE";
    };
    const failure = firstFailure(map, range, "KERN_INVALID_ADDRESS", lacking);
    if (failure !== undefined) return { kr: failure };
    // Asking for WRITE is a write fault (vm_map_lookup_locked): copy-on-write windows go private first.
    if ((wanted & VM_PROT_WRITE) !== 0) pagesOf(map, range).forEach((s) => privatize(world, s));
    const granted = pageCount(range) * world.scope.pageSize;
    world.namedEntries.push({ protection: wanted, size: granted, cells: pagesOf(map, range).map((s) => reach(world, s)!.cell) });
    return { kr: "KERN_SUCCESS", entry: world.namedEntries.length - 1, size: granted };
  },

  map_memory_entry(world, { map: handle, addr, size, mask, anywhere, entry: e, offset, copy, cur, max, inheritance }) {
    const { scope } = world;
    const map = mapOf(world, handle);
    const entry = Number.isInteger(e) ? world.namedEntries[e] : undefined;
    if (map === null || entry === undefined || !areNumbers(scope, addr, size, mask, offset, cur, max, inheritance))
      return { kr: "KERN_INVALID_ARGUMENT" };
    if (!onlyBits(cur, VM_PROT_ALL) || !onlyBits(max, VM_PROT_ALL) || (cur & ~max) !== 0 || inheritance > VM_INHERIT_NONE)
      return { kr: "KERN_INVALID_ARGUMENT" };
    if (!isPageAligned(scope, offset) || badPlacement(scope, addr, size, mask, anywhere)) return { kr: "KERN_INVALID_ARGUMENT" };
    const sub = entry.submap; // a submap is shared or omitted, and must not reach its parent
    if (sub !== undefined && (inheritance === VM_INHERIT_COPY || reaches(world, sub, handle))) return { kr: "KERN_INVALID_ARGUMENT" };
    if (((cur | max) & ~entry.protection) !== 0) return { kr: "KERN_INVALID_RIGHT" };
    const count = roundPage(scope, size) / scope.pageSize, skip = offset / scope.pageSize;
    if (skip + count > entry.size / scope.pageSize) return { kr: "KERN_INVALID_ARGUMENT" };
    const first = placement(scope, map, addr, count, mask, anywhere);
    if (typeof first === "string") return { kr: first };
    const attributes = { prot: cur, maxProt: max, inheritance, behavior: VM_BEHAVIOR_DEFAULT, alias: 0 };
    if (sub !== undefined) {
      mapSubmapWindow(world, map, first, count, sub, skip, copy, attributes);
      return { kr: "KERN_SUCCESS", addr: first * scope.pageSize };
    }
    mapPages(map, first, count, (i) => {
      const cell = entry.cells[skip + i]!;
      return { ...attributes, cell: copy ? snapshotCell(world, cell) : cell };
    });
    return { kr: "KERN_SUCCESS", addr: first * scope.pageSize };
  },
};
