/**
 * Page-list copies (reference §4.11.5, §4.11.7): copyin_page_list, copy_continue, copy_abort,
 * copyout_page_list, steal_pages, page_discard; copyout and copy_discard of a page list come
 * here too. The full rules are the TSDoc of spec/vocabulary.ts; in short:
 *
 * - A page list is a snapshot of at most `pageListMax` pages (fresh cells). The rest of a longer
 *   range waits in a continuation holding a reference on the source map; the continuation reads
 *   the source only when it runs, and checks those pages then.
 * - SRC_DESTROY with STEAL_PAGES removes each chunk's source as it is taken; without
 *   STEAL_PAGES the whole source range goes when the chain ends (a destroy-only continuation).
 * - copyout_page_list checks the whole chain before anything changes, runs it, maps every
 *   chunk's cells at one first fit, and drops the map references last.
 * - A continuation's map reference is an ordinary one: `deallocate` can drop it too (an
 *   over-release). Its map is then gone: the continuation cannot run (KERN_INVALID_ARGUMENT),
 *   and aborting it removes nothing and drops nothing.
 */
import {
  VM_MAP_COPYIN_OPT_ALL,
  VM_MAP_COPYIN_OPT_SRC_DESTROY,
  VM_MAP_COPYIN_OPT_STEAL_PAGES,
  VM_MAP_COPYIN_OPT_VM_PROT,
  type KernReturn,
} from "../constants.ts";
import { pageListMax } from "../scope.ts";
import type { OpHandlers, OpResult } from "../vocabulary.ts";
import { areNumbers, firstFailure, firstFit, onlyBits, pagesOf, widen } from "../args.ts";
import { copyOf, mapOf, snapshotCell, type CellId, type Continuation, type SpecCopy, type SpecWorld } from "../world.ts";
import { DEFAULT_PAGE, mapPages, MAPPING_HANDLERS } from "./mapping.ts";
import { MAP_HANDLERS } from "./maps.ts";

type Handlers = Pick<OpHandlers<SpecWorld>, "copyin_page_list" | "copy_continue" | "copy_abort" | "copyout_page_list" | "steal_pages" | "page_discard">;
type PageList = Extract<SpecCopy, { kind: "page_list" }>;

const has = (options: number, flag: number): boolean => (options & flag) !== 0;
/** SRC_DESTROY with STEAL_PAGES: each chunk's source is removed as it is taken. */
const stealsAndDestroys = (options: number): boolean =>
  has(options, VM_MAP_COPYIN_OPT_STEAL_PAGES) && has(options, VM_MAP_COPYIN_OPT_SRC_DESTROY);

/** The live page list named by `handle`, else undefined. */
export function pageListOf(world: SpecWorld, handle: number): PageList | undefined {
  const copy = copyOf(world, handle);
  return copy?.kind === "page_list" ? copy : undefined;
}

/**
 * The first failing page of the source range `[start, end)` (addresses): a hole, a submap window
 * (page lists through submaps are not modelled), or a page lacking the VM_PROT bits.
 */
function walkFailure(world: SpecWorld, handle: number, start: number, end: number, options: number): KernReturn | undefined {
  const ps = world.scope.pageSize;
  const prot = options & VM_MAP_COPYIN_OPT_VM_PROT;
  return firstFailure(mapOf(world, handle)!, { lo: start / ps, hi: end / ps }, "KERN_INVALID_ADDRESS", (s) =>
    s.submap !== undefined ? "KERN_INVALID_ARGUMENT" : (s.prot & prot) === prot ? undefined : "KERN_PROTECTION_FAILURE");
}

/** The end of the chunk starting at `start`: at most `pageListMax` pages, within `end`. */
const chunkEnd = (world: SpecWorld, start: number, end: number): number =>
  Math.min(end, start + pageListMax(world.scope) * world.scope.pageSize);

/** Remove `[start, end)` of map `handle` as `remove` with no flags; its result is ignored. */
function removeSource(world: SpecWorld, handle: number, start: number, end: number): void {
  if (start < end) MAPPING_HANDLERS.remove(world, { op: "remove", map: handle, addr: start, size: end - start, flags: 0 });
}

/** A continuation is over: its pending source range goes. The caller drops its map reference. */
function finish(world: SpecWorld, c: Continuation): void {
  removeSource(world, c.map, c.destroyStart, c.destroyEnd);
}

const dropMapReference = (world: SpecWorld, handle: number): void => void MAP_HANDLERS.deallocate(world, { op: "deallocate", map: handle });

/**
 * Take the chunk at the start of `[start, end)` of map `handle` (already walked): snapshot its
 * pages, remove them when stealing and destroying, and say what continues. `offset` and `size`
 * describe the new copy; `destroy` is the range a non-stealing SRC_DESTROY removes at the end.
 */
function takeChunk(
  world: SpecWorld, handle: number, start: number, end: number, options: number,
  destroy: readonly [number, number], offset: number, size: number,
): PageList {
  const ps = world.scope.pageSize;
  const mid = chunkEnd(world, start, end);
  const cells: CellId[] = pagesOf(mapOf(world, handle)!, { lo: start / ps, hi: mid / ps }).map((s) => snapshotCell(world, s.cell));
  if (stealsAndDestroys(options)) removeSource(world, handle, start, mid);
  const [destroyStart, destroyEnd] = destroy;
  const cont = mid < end || destroyStart < destroyEnd ? { map: handle, start: mid, end, options, destroyStart, destroyEnd } : null;
  return { kind: "page_list", offset, size, cells, cont };
}

/** Run continuation `c` (not destroy-only; its chunk already walked): the next copy. */
const runContinuation = (world: SpecWorld, c: Continuation): PageList =>
  takeChunk(world, c.map, c.start, c.end, c.options, [c.destroyStart, c.destroyEnd], c.start, c.end - c.start);

/** Abort the continuation of page list `h` (if any) and consume it: copy_discard and copy_abort. */
export function discardPageList(world: SpecWorld, h: number, copy: PageList): void {
  world.copies[h] = null;
  if (copy.cont === null || mapOf(world, copy.cont.map) === null) return;
  finish(world, copy.cont);
  dropMapReference(world, copy.cont.map);
}

/** copyout (and copyout_page_list) of page list `h` into map `handle`. */
export function copyoutPageList(world: SpecWorld, handle: number, h: number, copy: PageList): OpResult<"copyout_page_list"> {
  const { scope } = world;
  const ps = scope.pageSize;
  const map = mapOf(world, handle);
  if (map === null || copy.cells.length === 0 || !sourceLive(world, copy)) return { kr: "KERN_INVALID_ARGUMENT" };
  const count = widen(scope, copy.offset, copy.size)!;
  const first = firstFit(scope, map, map.min / ps, count.hi - count.lo, 1);
  if (first === undefined) return { kr: "KERN_NO_SPACE" };
  const c0 = copy.cont;
  const failure = c0 && walkFailure(world, c0.map, c0.start, c0.end, c0.options);
  if (failure) return { kr: failure };
  world.copies[h] = null;
  const cells = [...copy.cells];
  for (let c = c0; c !== null; ) {
    if (c.start === c.end) {
      finish(world, c);
      break;
    }
    const next = runContinuation(world, c);
    cells.push(...next.cells);
    c = next.cont;
  }
  mapPages(map, first, cells.length, (i) => ({ ...DEFAULT_PAGE, cell: cells[i]!, alias: 0 }));
  // References last: the destination may be a map only the continuation still held.
  if (c0 !== null) dropMapReference(world, c0.map);
  return { kr: "KERN_SUCCESS", addr: first * ps + (copy.offset % ps) };
}

/** The page list's continuation (if any) still has its map: nobody dropped the reference it holds. */
const sourceLive = (world: SpecWorld, copy: PageList): boolean => copy.cont === null || mapOf(world, copy.cont.map) !== null;

/** The page list named by `h` that has a continuation, else undefined. */
function continued(world: SpecWorld, h: number): (PageList & { cont: Continuation }) | undefined {
  const copy = pageListOf(world, h);
  return copy?.cont ? (copy as PageList & { cont: Continuation }) : undefined;
}

export const PAGE_LIST_HANDLERS: Handlers = {
  copyin_page_list(world, { map: handle, addr, size, options }) {
    const { scope } = world;
    const map = mapOf(world, handle);
    const range = areNumbers(scope, addr, size, options) ? widen(scope, addr, size) : undefined;
    if (map === null || range === undefined || !onlyBits(options, VM_MAP_COPYIN_OPT_ALL)) return { kr: "KERN_INVALID_ARGUMENT" };
    if (size === 0) return { kr: "KERN_SUCCESS", copy: null };
    const [start, end] = [range.lo * scope.pageSize, range.hi * scope.pageSize];
    const failure = walkFailure(world, handle, start, chunkEnd(world, start, end), options);
    if (failure) return { kr: failure };
    const destroyAtEnd = has(options, VM_MAP_COPYIN_OPT_SRC_DESTROY) && !stealsAndDestroys(options);
    const copy = takeChunk(world, handle, start, end, options, destroyAtEnd ? [start, end] : [0, 0], addr, size);
    if (copy.cont) map.refCount += 1;
    world.copies.push(copy);
    return { kr: "KERN_SUCCESS", copy: world.copies.length - 1 };
  },

  copy_continue(world, { copy: h }) {
    const copy = continued(world, h);
    if (copy === undefined || !sourceLive(world, copy)) return { kr: "KERN_INVALID_ARGUMENT" };
    const c = copy.cont;
    if (c.start === c.end) {
      discardPageList(world, h, copy);
      return { kr: "KERN_SUCCESS", copy: null };
    }
    const failure = walkFailure(world, c.map, c.start, chunkEnd(world, c.start, c.end), c.options);
    if (failure) return { kr: failure };
    world.copies[h] = null;
    const next = runContinuation(world, c);
    world.copies.push(next);
    // The map reference moves to the new continuation, if there is one.
    if (next.cont === null) dropMapReference(world, c.map);
    return { kr: "KERN_SUCCESS", copy: world.copies.length - 1 };
  },

  copy_abort(world, { copy: h }) {
    const copy = continued(world, h);
    if (copy === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    discardPageList(world, h, copy);
    return { kr: "KERN_SUCCESS" };
  },

  copyout_page_list(world, { map: handle, copy: h }) {
    const copy = pageListOf(world, h);
    return copy === undefined ? { kr: "KERN_INVALID_ARGUMENT" } : copyoutPageList(world, handle, h, copy);
  },

  steal_pages(world, { copy: h }) {
    return { kr: pageListOf(world, h) === undefined ? "KERN_INVALID_ARGUMENT" : "KERN_SUCCESS" };
  },

  page_discard(world, { copy: h }) {
    const copy = pageListOf(world, h);
    if (copy === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    world.copies[h] = { ...copy, cells: [] };
    return { kr: "KERN_SUCCESS" };
  },
};
