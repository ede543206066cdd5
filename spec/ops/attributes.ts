/**
 * Page attributes and queries: protect, inherit, behavior_set, machine_attribute, simplify,
 * lookup. Ranges are widened to whole pages (spec/args.ts). In short:
 *
 * - protect needs every page of the range mapped and allowing the new protection `p` (the
 *   prot argument without VM_PROT_COPY) within its maxProt, plus WRITE when COPY is asked;
 *   the first page in address order that fails decides the code, and nothing changes. COPY
 *   gives each page a private snapshot of its bytes (reference §10.10) — a window becomes a
 *   copy-on-write window instead — and maxProt |= WRITE; then setMax sets `maxProt = p` and
 *   keeps `prot & p`, otherwise `prot = p`.
 * - inherit sets the inheritance of whatever is mapped in the range clamped to the map.
 * - behavior_set needs the range inside the map and fully mapped, from its first page.
 * - machine_attribute only checks its arguments and the unrounded range against the bounds.
 * - simplify merges entries, which the spec does not have: it only checks its arguments.
 * - lookup reports the attributes of the page holding `addr`, or null; for a submap window it
 *   also descends into the submap.
 * - Over submap windows: inherit COPY is KERN_INVALID_ARGUMENT.
 */
import {
  MATTR_ATTRIBUTES,
  MATTR_VALUES,
  VM_BEHAVIOR_RSEQNTL,
  VM_INHERIT_COPY,
  VM_INHERIT_NONE,
  VM_PROT_ALL,
  VM_PROT_COPY,
  VM_PROT_WRITE,
} from "../constants.ts";
import { addressLimit } from "../scope.ts";
import type { OpHandlers, PageAttributes, SubmapView } from "../vocabulary.ts";
import { areNumbers, boundsOf, clampTo, firstFailure, mappedIn, onlyBits, pageCount, pagesOf, widen } from "../args.ts";
import { mapOf, snapshotCell, type PageState, type SpecWorld, type SubmapWindow } from "../world.ts";

type Handlers = Pick<
  OpHandlers<SpecWorld>,
  "protect" | "inherit" | "behavior_set" | "machine_attribute" | "simplify" | "lookup"
>;

const isOneOf = (values: readonly number[], x: number): boolean => values.includes(x);

function attributesOf(s: PageState): PageAttributes {
  const { prot, maxProt, inheritance, behavior, alias, wiredCount, userWiredCount } = s;
  return { prot, maxProt, inheritance, behavior, alias, wiredCount, userWiredCount };
}

/** What a submap window shows at `within` bytes into its page (vm_map_lookup_locked's descent). */
function descend(world: SpecWorld, w: SubmapWindow, within: number): SubmapView {
  const s = world.maps[w.map]!.pages.get(w.page);
  const view = { map: w.map, addr: w.page * world.scope.pageSize + within, nested: w.nested, cow: w.cow, page: s === undefined ? null : attributesOf(s) };
  return s?.submap === undefined ? view : { ...view, submap: descend(world, s.submap, within) };
}

export const ATTRIBUTE_HANDLERS: Handlers = {
  protect(world, { map: handle, addr, size, prot, setMax }) {
    const { scope } = world;
    const map = mapOf(world, handle);
    if (map === null || !areNumbers(scope, addr, size, prot) || !onlyBits(prot, VM_PROT_ALL | VM_PROT_COPY))
      return { kr: "KERN_INVALID_ARGUMENT" };
    const range = widen(scope, addr, size);
    if (range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    const copy = (prot & VM_PROT_COPY) !== 0;
    const p = prot & VM_PROT_ALL;
    // An empty range still needs its start mapped (vm_map_protect looks the start up first).
    if (pageCount(range) === 0) return { kr: map.pages.has(range.lo) ? "KERN_SUCCESS" : "KERN_INVALID_ADDRESS" };
    const failure = firstFailure(map, range, "KERN_INVALID_ADDRESS", (s) => {
      const allowed = s.maxProt | (copy ? VM_PROT_WRITE : 0);
      return (p & ~allowed) === 0 ? undefined : "KERN_PROTECTION_FAILURE";
    });
    if (failure !== undefined) return { kr: failure };
    for (const s of pagesOf(map, range)) {
      if (copy) {
        // A window becomes a copy-on-write window (needs_copy on the submap entry, reference §4.7).
        if (s.submap !== undefined) s.submap = { ...s.submap, cow: true };
        else s.cell = snapshotCell(world, s.cell);
        s.maxProt |= VM_PROT_WRITE;
      }
      if (setMax) {
        s.maxProt = p;
        s.prot &= p;
      } else {
        s.prot = p;
      }
    }
    return { kr: "KERN_SUCCESS" };
  },

  inherit(world, { map: handle, addr, size, inheritance }) {
    const { scope } = world;
    const map = mapOf(world, handle);
    if (map === null || !areNumbers(scope, addr, size, inheritance) || inheritance > VM_INHERIT_NONE)
      return { kr: "KERN_INVALID_ARGUMENT" };
    const range = widen(scope, addr, size);
    if (range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    const pages = mappedIn(map, clampTo(scope, map, range));
    // Submaps are shared or omitted, never copied (reference §4.8, invariant #20).
    if (inheritance === VM_INHERIT_COPY && pages.some(([, s]) => s.submap !== undefined)) return { kr: "KERN_INVALID_ARGUMENT" };
    for (const [, s] of pages) s.inheritance = inheritance;
    return { kr: "KERN_SUCCESS" };
  },

  behavior_set(world, { map: handle, addr, size, behavior }) {
    const { scope } = world;
    const map = mapOf(world, handle);
    if (map === null || !areNumbers(scope, addr, size, behavior) || behavior > VM_BEHAVIOR_RSEQNTL)
      return { kr: "KERN_INVALID_ARGUMENT" };
    const range = widen(scope, addr, size);
    if (range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    const bounds = boundsOf(scope, map);
    if (range.lo < bounds.lo || range.hi > bounds.hi) return { kr: "KERN_INVALID_ADDRESS" };
    if (!map.pages.has(range.lo) || firstFailure(map, range, "KERN_INVALID_ADDRESS") !== undefined)
      return { kr: "KERN_INVALID_ADDRESS" };
    for (const s of pagesOf(map, range)) s.behavior = behavior;
    return { kr: "KERN_SUCCESS" };
  },

  machine_attribute(world, { map: handle, addr, size, attribute, value }) {
    const { scope } = world;
    const map = mapOf(world, handle);
    if (map === null || !areNumbers(scope, addr, size, attribute, value)) return { kr: "KERN_INVALID_ARGUMENT" };
    if (!isOneOf(MATTR_ATTRIBUTES, attribute) || !isOneOf(MATTR_VALUES, value) || addr + size > addressLimit(scope))
      return { kr: "KERN_INVALID_ARGUMENT" };
    if (addr < map.min || addr + size > map.max) return { kr: "KERN_INVALID_ADDRESS" };
    return { kr: "KERN_SUCCESS" };
  },

  simplify(world, { map: handle, addr }) {
    const map = mapOf(world, handle);
    if (map === null || !areNumbers(world.scope, addr)) return { kr: "KERN_INVALID_ARGUMENT" };
    return { kr: "KERN_SUCCESS" };
  },

  lookup(world, { map: handle, addr }) {
    const { scope } = world;
    const map = mapOf(world, handle);
    if (map === null || !areNumbers(scope, addr)) return { kr: "KERN_INVALID_ARGUMENT" };
    const s = map.pages.get(Math.floor(addr / scope.pageSize));
    if (s?.submap === undefined) return { kr: "KERN_SUCCESS", page: s === undefined ? null : attributesOf(s) };
    return { kr: "KERN_SUCCESS", page: attributesOf(s), submap: descend(world, s.submap, addr % scope.pageSize) };
  },
};
