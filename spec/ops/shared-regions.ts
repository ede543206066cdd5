/**
 * Shared regions (reference §1.7, §4.22): the shared-library area. The full rules are the TSDoc
 * of spec/vocabulary.ts; in short:
 *
 * - shared_region_create makes two empty maps, the text and data submaps, and a region naming
 *   them with its client base and alternate load area (right after the data).
 * - shared_region_map puts the region into a map at the client base: the text as a nested
 *   submap window (READ/READ, SHARE), the data as a copy-on-write window onto the data submap
 *   (READ/READ, SHARE; mapped with copy, reference §4.22).
 * - shared_region_attach chains a region to an older one (once: KERN_FAILURE after that).
 * - shared_region_alternate bumps the alternate load area; running out flags the region FULL.
 * - shared_region_deallocate drops the creator's reference; the last reference destroys the
 *   region and drops its chain's reference on the older region.
 */
import { SHARED_REGION_FULL, VM_BEHAVIOR_DEFAULT, VM_INHERIT_SHARE, VM_PROT_READ } from "../constants.ts";
import { addressLimit, isPageAligned, roundPage } from "../scope.ts";
import type { OpHandlers } from "../vocabulary.ts";
import { areNumbers, boundsOf, mappedIn } from "../args.ts";
import { mapOf, reaches, type SharedRegion, type SpecWorld } from "../world.ts";
import { mapPages } from "./mapping.ts";
import { mapSubmapWindow } from "./sharing.ts";

type Handlers = Pick<OpHandlers<SpecWorld>, "shared_region_create" | "shared_region_map" | "shared_region_attach" | "shared_region_alternate" | "shared_region_deallocate">;

/** The region under `handle` while its creator's reference is held, else undefined. */
const regionOf = (world: SpecWorld, handle: number): SharedRegion | undefined => {
  const r = Number.isInteger(handle) ? world.regions[handle] : undefined;
  return r?.held ? r : undefined;
};

/** The shared libraries' pages: readable, never writable until protect(VM_PROT_COPY | …). */
const LIBRARY_PAGE = { prot: VM_PROT_READ, maxProt: VM_PROT_READ, inheritance: VM_INHERIT_SHARE, behavior: VM_BEHAVIOR_DEFAULT, alias: 0 };

export const SHARED_REGION_HANDLERS: Handlers = {
  shared_region_create(world, { textSize, dataSize, clientBase }) {
    const { scope } = world;
    if (!areNumbers(scope, textSize, dataSize, clientBase) || textSize === 0 || dataSize === 0) return { kr: "KERN_INVALID_ARGUMENT" };
    if (![textSize, dataSize, clientBase].every((x) => isPageAligned(scope, x))) return { kr: "KERN_INVALID_ARGUMENT" };
    const end = clientBase + textSize + dataSize;
    if (end > addressLimit(scope)) return { kr: "KERN_INVALID_ARGUMENT" };
    const text = world.maps.push({ min: 0, max: textSize, refCount: 1, swappedOut: 0, pages: new Map() }) - 1;
    const data = world.maps.push({ min: 0, max: dataSize, refCount: 1, swappedOut: 0, pages: new Map() }) - 1;
    world.regions.push({ text, data, textSize, dataSize, clientBase, alternateBase: end, alternateNext: end, refCount: 1, depth: 0, chain: -1, flags: 0, held: true });
    return { kr: "KERN_SUCCESS", region: world.regions.length - 1, text, data };
  },

  shared_region_map(world, { map: handle, region: r }) {
    const { scope } = world;
    const map = mapOf(world, handle), region = regionOf(world, r);
    if (map === null || region === undefined || reaches(world, region.text, handle) || reaches(world, region.data, handle)) return { kr: "KERN_INVALID_ARGUMENT" };
    const lo = region.clientBase / scope.pageSize;
    const textPages = region.textSize / scope.pageSize, dataPages = region.dataSize / scope.pageSize;
    const bounds = boundsOf(scope, map);
    if (lo < bounds.lo || lo + textPages + dataPages > bounds.hi) return { kr: "KERN_INVALID_ADDRESS" };
    if (mappedIn(map, { lo, hi: lo + textPages + dataPages }).length > 0) return { kr: "KERN_NO_SPACE" };
    mapPages(map, lo, textPages, (i) => ({ ...LIBRARY_PAGE, cell: -1, submap: { map: region.text, page: i, nested: true, cow: false } }));
    mapSubmapWindow(world, map, lo + textPages, dataPages, region.data, 0, true, LIBRARY_PAGE);
    return { kr: "KERN_SUCCESS" };
  },

  shared_region_attach(world, { region: r, parent: p }) {
    const region = regionOf(world, r), parent = regionOf(world, p);
    if (region === undefined || parent === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    for (let x = p; x !== -1; x = world.regions[x]!.chain) if (x === r) return { kr: "KERN_INVALID_ARGUMENT" };
    if (region.chain !== -1) return { kr: "KERN_FAILURE" };
    region.chain = p;
    parent.refCount += 1;
    parent.depth += 1;
    region.alternateNext = parent.alternateNext;
    return { kr: "KERN_SUCCESS" };
  },

  shared_region_alternate(world, { region: r, size }) {
    const { scope } = world;
    const region = regionOf(world, r);
    if (region === undefined || !areNumbers(scope, size) || size === 0) return { kr: "KERN_INVALID_ARGUMENT" };
    const next = region.alternateNext + roundPage(scope, size);
    if (next > addressLimit(scope)) {
      region.flags |= SHARED_REGION_FULL;
      return { kr: "KERN_NO_SPACE" };
    }
    const addr = region.alternateNext;
    region.alternateNext = next;
    return { kr: "KERN_SUCCESS", addr };
  },

  shared_region_deallocate(world, { region: r }) {
    const region = regionOf(world, r);
    if (region === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    region.held = false;
    // The last reference destroys the region, and its chain's reference goes with it. (Its
    // submaps need nothing here: a map without a handle is invisible, however it is held.)
    let x: SharedRegion | undefined = region;
    while (x !== undefined && --x.refCount === 0) x = world.regions[x.chain];
    return { kr: "KERN_SUCCESS" };
  },
};
