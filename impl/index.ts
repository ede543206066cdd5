/**
 * The public surface of the implementation: the kernel facade, maps, their entry index, entries,
 * VM objects and their layer, copies and named entries. Tests, benchmarks and the model checker
 * import from here.
 */
export { Kernel, type KernelOptions } from "./kernel.ts";
export { VmMap, anonymousAttributes, type AddrResult } from "./map/vm-map.ts";
export { VmMapCore, type LookupResult, type MapHost } from "./map/map-core.ts";
export { VmMapMemory, type EntryLook } from "./map/map-memory.ts";
export { VmMapCopyOps } from "./copy/copy-ops.ts";
export { VmMapSharing, type Extracted, type RemapResult } from "./map/sharing.ts";
export { BTreeEntryStore } from "./map/btree-store.ts";
export { newEntry, newHeader, type EntryAttributes, type VmMapEntry } from "./map/entry.ts";
export { VmObject, clonePage, zeroPage, type HeldPage, type ObjectKind, type CopyStrategy, type ObjectOwner } from "./object/vm-object.ts";
export { ObjectLayer, type CopiedWindow } from "./object/object-layer.ts";
export { checkObjects, objectHolders, objectStats, type ObjectStats, type ObjectWorld } from "./object/object-check.ts";
export {
  releaseCopy,
  copyEntryAt,
  type MapCopy,
  type UsableCopy,
  type EntryListCopy,
  type KernelBufferCopy,
  type ObjectCopy,
  type EmptiedCopy,
  type NamedEntry,
  type ObjectWindow,
} from "./copy/map-copy.ts";
export {
  chunkEnd,
  stealPages,
  releasePages,
  type PageListCopy,
  type PageListContinuation,
} from "./copy/page-list.ts";
export { VmMapPageLists } from "./copy/page-list-ops.ts";
export { checkKernel, checkMap, type MapWorld } from "./map/map-check.ts";
export { isWord, pageRange, trunc, round } from "./args.ts";
