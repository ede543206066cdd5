/**
 * The spec's one public surface: the reference model of the Mach VM map.
 *
 * State (spec/world.ts): a world of maps, each a partial function from page numbers to page
 * states, plus memory objects, copies, named entries and cells of bytes. Operations
 * (spec/ops/*.ts): one handler per operation of spec/vocabulary.ts, each checking everything
 * first and then mutating the world in place, so a failing operation changes nothing.
 */
import type { Op, OpHandlers } from "./vocabulary.ts";
import { ACCESS_HANDLERS } from "./ops/access.ts";
import { ATTRIBUTE_HANDLERS } from "./ops/attributes.ts";
import { COPY_HANDLERS, copyinWouldBlock } from "./ops/copies.ts";
import { CPU_HANDLERS } from "./ops/cpus.ts";
import { MAP_HANDLERS } from "./ops/maps.ts";
import { MAPPING_HANDLERS, removeWouldBlock } from "./ops/mapping.ts";
import { PAGE_LIST_HANDLERS } from "./ops/page-lists.ts";
import { SHARING_HANDLERS } from "./ops/sharing.ts";
import { SUBMAP_HANDLERS } from "./ops/submaps.ts";
import { SHARED_REGION_HANDLERS } from "./ops/shared-regions.ts";
import { WIRING_HANDLERS } from "./ops/wiring.ts";
import { sequentialThreadHandlers } from "./ops/threads.ts";
import type { SpecWorld } from "./world.ts";

export * from "./vocabulary.ts";
export * from "./constants.ts";
export * from "./scope.ts";
export { MAX_THREADS, MAX_STEP_COUNT, SPAWNABLE, spawnBody, isThread, isStepCount, sequentialThreadHandlers } from "./ops/threads.ts";
export * from "./abstract.ts";
export type { SpecWorld, SpecMap, SubmapWindow, SharedRegion, PageState, CellId, PageNumber, SpecCopy, CopyPage, NamedEntry, Continuation } from "./world.ts";
/** A fresh world; a deep copy; the canonical abstract form (spec/abstract.ts). */
export { newSpecWorld, cloneSpecWorld, abstractSpec } from "./world.ts";

/** The reference semantics: one handler per operation. */
export const SPEC: OpHandlers<SpecWorld> = {
  ...MAP_HANDLERS,
  ...MAPPING_HANDLERS,
  ...ATTRIBUTE_HANDLERS,
  ...WIRING_HANDLERS,
  ...ACCESS_HANDLERS,
  ...CPU_HANDLERS,
  ...COPY_HANDLERS,
  ...PAGE_LIST_HANDLERS,
  ...SHARING_HANDLERS,
  ...SUBMAP_HANDLERS,
  ...SHARED_REGION_HANDLERS,
  // A spawned operation alone means the operation itself (spec/ops/threads.ts).
  ...sequentialThreadHandlers<SpecWorld>(() => SPEC),
};

/**
 * True only for a command that must wait for kernel wirings: a remove with WAIT_FOR_KWIRE where
 * some page of its clamped range would keep a kernel wiring after this call's KUNWIRE, or a
 * valid kernel-buffer copyin with srcDestroy (whose removal waits so) over a kernel-wired page.
 * Nobody can release them in a sequential run, so such a command is not applicable and the
 * checker skips it. False for every other command, and for one that fails its checks.
 */
export function wouldBlock(world: SpecWorld, op: Op): boolean {
  if (op.op === "copyin") return copyinWouldBlock(world, op);
  return op.op === "remove" && removeWouldBlock(world, op);
}

