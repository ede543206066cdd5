/**
 * Maps and memory objects: create, reference, deallocate, object_create.
 *
 * - create(min, max): `min` an address, `max` an integer in [0, 2^W] (a map may end at the top of
 *   the address space), both page-aligned, `min ≤ max`; else KERN_INVALID_ARGUMENT. The new map
 *   is empty with one reference; its handle is the number of maps created before it.
 * - reference(map): one more reference. deallocate(map): one less; the last one destroys the
 *   map with every mapping and wiring in it (nobody is left to release kernel wirings), and
 *   the handle becomes NULL. Both: NULL map → KERN_INVALID_ARGUMENT.
 * - swapout(map) / swapin(map): residence (TASK_SWAPPER). The spec counts only what results
 *   show: how many of the handle's references were swapped out. swapout with none left
 *   resident, swapin with none swapped out → KERN_FAILURE. deallocate drops a resident
 *   reference first. (Nothing else is visible: swapped-out memory faults back in.)
 * - object_create(size): a memory object of `round(size) / pageSize` fresh zero cells; size not
 *   a number, 0, or over `maxObjectPages` pages → KERN_INVALID_ARGUMENT. Objects live forever.
 */
import type { OpHandlers } from "../vocabulary.ts";
import { addressLimit, isAddress, isPageAligned, roundPage } from "../scope.ts";
import { freshCell, mapOf, type SpecWorld } from "../world.ts";

type Handlers = Pick<OpHandlers<SpecWorld>, "create" | "reference" | "deallocate" | "swapout" | "swapin" | "object_create">;

export const MAP_HANDLERS: Handlers = {
  create(world, { min, max }) {
    const { scope } = world;
    const maxIsBound = Number.isInteger(max) && max >= 0 && max <= addressLimit(scope);
    if (!isAddress(scope, min) || !maxIsBound) return { kr: "KERN_INVALID_ARGUMENT" };
    if (!isPageAligned(scope, min) || !isPageAligned(scope, max) || min > max) return { kr: "KERN_INVALID_ARGUMENT" };
    world.maps.push({ min, max, refCount: 1, swappedOut: 0, pages: new Map() });
    return { kr: "KERN_SUCCESS", map: world.maps.length - 1 };
  },

  reference(world, { map: handle }) {
    const map = mapOf(world, handle);
    if (map === null) return { kr: "KERN_INVALID_ARGUMENT" };
    map.refCount += 1;
    return { kr: "KERN_SUCCESS" };
  },

  deallocate(world, { map: handle }) {
    const map = mapOf(world, handle);
    if (map === null) return { kr: "KERN_INVALID_ARGUMENT" };
    // At 0 the handle is NULL (mapOf); a map mapped as a submap, a region's or a named entry's lives on.
    map.refCount -= 1;
    map.swappedOut = Math.min(map.swappedOut, map.refCount); // a resident reference goes first
    const held = world.regions.some((r) => r.refCount > 0 && (r.text === handle || r.data === handle)) || world.namedEntries.some((e) => e.submap === handle) ||
      world.maps.some((m) => m !== null && [...m.pages.values()].some((s) => s.submap?.map === handle));
    if (map.refCount === 0 && !held) world.maps[handle] = null;
    return { kr: "KERN_SUCCESS" };
  },

  swapout(world, { map: handle }) {
    const map = mapOf(world, handle);
    if (map === null) return { kr: "KERN_INVALID_ARGUMENT" };
    if (map.swappedOut === map.refCount) return { kr: "KERN_FAILURE" };
    map.swappedOut += 1;
    return { kr: "KERN_SUCCESS" };
  },

  swapin(world, { map: handle }) {
    const map = mapOf(world, handle);
    if (map === null) return { kr: "KERN_INVALID_ARGUMENT" };
    if (map.swappedOut === 0) return { kr: "KERN_FAILURE" };
    map.swappedOut -= 1;
    return { kr: "KERN_SUCCESS" };
  },

  object_create(world, { size }) {
    const { scope } = world;
    if (!isAddress(scope, size) || size === 0) return { kr: "KERN_INVALID_ARGUMENT" };
    const pages = roundPage(scope, size) / scope.pageSize;
    if (pages > scope.maxObjectPages) return { kr: "KERN_INVALID_ARGUMENT" };
    world.objects.push(Array.from({ length: pages }, () => freshCell(world)));
    return { kr: "KERN_SUCCESS", object: world.objects.length - 1 };
  },
};
