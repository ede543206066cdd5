/**
 * Submaps (vm_map_submap, reference §4.16): a range of a map becomes a window onto a range of
 * another map. The full rules are the TSDoc of `submap` in spec/vocabulary.ts; in short: the
 * range must be free and inside both maps' bounds, the inheritance SHARE or NONE, and the
 * submap must not reach the parent; each page of the range then shows the submap's page at the
 * same distance from `offset` ({@link reach} in spec/world.ts follows it).
 */
import { VM_BEHAVIOR_DEFAULT, VM_INHERIT_COPY, VM_INHERIT_NONE, VM_PROT_ALL, VM_PROT_DEFAULT } from "../constants.ts";
import { isPageAligned } from "../scope.ts";
import type { OpHandlers } from "../vocabulary.ts";
import { areNumbers, boundsOf, mappedIn, widen } from "../args.ts";
import { mapOf, reaches, type SpecWorld } from "../world.ts";
import { mapPages } from "./mapping.ts";

type Handlers = Pick<OpHandlers<SpecWorld>, "submap">;

export const SUBMAP_HANDLERS: Handlers = {
  submap(world, { map: handle, addr, size, submap: sub, offset, inheritance, usePmap }) {
    const { scope } = world;
    const map = mapOf(world, handle), submap = mapOf(world, sub);
    if (map === null || submap === null || !areNumbers(scope, addr, size, offset, inheritance)) return { kr: "KERN_INVALID_ARGUMENT" };
    if (![addr, size, offset].every((x) => isPageAligned(scope, x)) || size === 0) return { kr: "KERN_INVALID_ARGUMENT" };
    if (inheritance === VM_INHERIT_COPY || inheritance > VM_INHERIT_NONE) return { kr: "KERN_INVALID_ARGUMENT" };
    const range = widen(scope, addr, size), window = widen(scope, offset, size);
    if (range === undefined || window === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    const bounds = boundsOf(scope, map), inner = boundsOf(scope, submap);
    if (range.lo < bounds.lo || range.hi > bounds.hi || window.lo < inner.lo || window.hi > inner.hi) return { kr: "KERN_INVALID_ARGUMENT" };
    if (reaches(world, sub, handle) || mappedIn(map, range).length > 0) return { kr: "KERN_INVALID_ARGUMENT" };
    const nested = usePmap && offset === 0;
    const attributes = { prot: VM_PROT_DEFAULT, maxProt: VM_PROT_ALL, inheritance, behavior: VM_BEHAVIOR_DEFAULT, alias: 0, cell: -1 };
    mapPages(map, range.lo, range.hi - range.lo, (i) => ({ ...attributes, submap: { map: sub, page: window.lo + i, nested, cow: false } }));
    return { kr: "KERN_SUCCESS" };
  },
};
