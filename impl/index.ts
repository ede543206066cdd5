/**
 * The public surface of the implementation: the kernel facade, maps, their entry index, entries
 * and VM objects. Tests, benchmarks and the model checker import from here.
 */
export { Kernel, type KernelOptions } from "./kernel.ts";
export { VmMap, anonymousAttributes, type AddrResult } from "./map/vm-map.ts";
export { VmMapCore, type LookupResult, type MapHost } from "./map/map-core.ts";
export { EntryStore } from "./map/entry-store.ts";
export { newEntry, newHeader, type EntryAttributes, type VmMapEntry } from "./map/entry.ts";
export { VmObject, copyPages, zeroPage, type ObjectKind } from "./object/vm-object.ts";
export { checkKernel, checkMap, type MapWorld } from "./map/map-check.ts";
export { isWord, pageRange, trunc, round } from "./args.ts";
