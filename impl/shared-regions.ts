/**
 * Shared regions (reference §1.7, §4.22): `shared_region_mapping` descriptors and the kernel's
 * handlers for them. A region holds one map reference on each of its text and data submaps; a
 * chain (`object_chain`) holds one region reference on the older region. Mapping a region into
 * a task is {@link VmMap.mapSharedRegion}: the text as a nested submap entry, the data copied.
 */
import type { AbstractRegion } from "../spec/abstract.ts";
import type { OpHandlers } from "../spec/vocabulary.ts";
import { SHARED_REGION_FULL } from "../spec/constants.ts";
import { areWords, isWord, round } from "./args.ts";
import type { Kernel } from "./kernel.ts";
import type { VmMap } from "./map/vm-map.ts";

/**
 * `struct shared_region_mapping` (reference §1.7), without the loaded-file table: the abstract
 * region's fields, with the submaps and the chain as the objects themselves.
 */
export type SharedRegion = { -readonly [K in Exclude<keyof AbstractRegion, "text" | "data" | "chain">]: AbstractRegion[K] } & {
  readonly text: VmMap;
  readonly data: VmMap;
  /** `object_chain`: the older region whose loaded files stay visible, or null. */
  chain: SharedRegion | null;
};

type Handlers = Pick<OpHandlers<Kernel>, "shared_region_create" | "shared_region_map" | "shared_region_attach" | "shared_region_alternate" | "shared_region_deallocate">;

const aligned = (k: Kernel, x: number): boolean => x % k.scope.pageSize === 0;

export const SHARED_REGION_HANDLERS: Handlers = {
  shared_region_create(k, { textSize, dataSize, clientBase }) {
    if (!areWords(k.scope, textSize, dataSize, clientBase) || textSize === 0 || dataSize === 0) return { kr: "KERN_INVALID_ARGUMENT" };
    if (!aligned(k, textSize) || !aligned(k, dataSize) || !aligned(k, clientBase)) return { kr: "KERN_INVALID_ARGUMENT" };
    const end = clientBase + textSize + dataSize;
    if (end > 2 ** k.scope.addressBits) return { kr: "KERN_INVALID_ARGUMENT" };
    const text = k.createMap(0, textSize), data = k.createMap(0, dataSize);
    const handles = { text: k.addMap(text), data: k.addMap(data) };
    text.reference(); // the region's own references (vm_region_object_create's named entries)
    data.reference();
    k.regions.push({ text, data, textSize, dataSize, clientBase, alternateBase: end, alternateNext: end, refCount: 1, depth: 0, chain: null, flags: 0, held: true });
    return { kr: "KERN_SUCCESS", region: k.regions.length - 1, ...handles };
  },

  shared_region_map(k, { map: handle, region: r }) {
    const map = k.mapOf(handle), region = k.regionOf(r);
    if (map === null || region === undefined || region.text.reaches(map) || region.data.reaches(map)) return { kr: "KERN_INVALID_ARGUMENT" };
    return { kr: map.mapSharedRegion(region) };
  },

  shared_region_attach(k, { region: r, parent: p }) {
    const region = k.regionOf(r), parent = k.regionOf(p);
    if (region === undefined || parent === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    for (let x: SharedRegion | null = parent; x !== null; x = x.chain) if (x === region) return { kr: "KERN_INVALID_ARGUMENT" };
    if (region.chain !== null) return { kr: "KERN_FAILURE" };
    region.chain = parent;
    parent.refCount++;
    parent.depth++;
    region.alternateNext = parent.alternateNext;
    return { kr: "KERN_SUCCESS" };
  },

  shared_region_alternate(k, { region: r, size }) {
    const region = k.regionOf(r);
    if (region === undefined || !isWord(k.scope, size) || size === 0) return { kr: "KERN_INVALID_ARGUMENT" };
    const next = region.alternateNext + round(k.scope, size);
    if (next > 2 ** k.scope.addressBits) {
      region.flags |= SHARED_REGION_FULL; // load_shared_file's mark of a region a library did not fit
      return { kr: "KERN_NO_SPACE" };
    }
    const addr = region.alternateNext;
    region.alternateNext = next;
    return { kr: "KERN_SUCCESS", addr };
  },

  shared_region_deallocate(k, { region: r }) {
    const region = k.regionOf(r);
    if (region === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    region.held = false;
    k.releaseRegion(region);
    return { kr: "KERN_SUCCESS" };
  },
};

/**
 * One reference on `region` less (shared_region_mapping_dealloc); the last one destroys it: the
 * region's references on its submaps go (the last destroys a submap, and its memory with it), and
 * its chain's reference on the older region, iteratively down the chain.
 */
export function releaseRegion(region: SharedRegion): void {
  for (let x: SharedRegion | null = region; x !== null && --x.refCount === 0; ) {
    x.text.release();
    x.data.release();
    x = x.chain;
  }
}
