/**
 * Page-list copies (`VM_MAP_COPY_PAGE_LIST`, reference §1.5, §4.11.5, §4.11.7): memory in transit
 * as at most `pageListMax` physical pages, for consumers that want pages rather than mappings
 * (IPC, device I/O). A page is held busy in the object it lives in (the copy holds a reference on
 * that object) or loose: stolen from its object or copied, owned by the copy. A longer range
 * leaves the rest to a continuation that remembers the source map (holding one reference on it)
 * and copies the next chunk when it runs.
 *
 * This file holds the data and the kernel-level steps on it: taking a chunk (through the map's
 * {@link VmMapPageLists} methods), releasing and stealing pages, ending a continuation. The
 * operations that validate arguments are in kernel-page-lists.ts.
 */
import {
  VM_PROT_ALL,
  VM_MAP_COPYIN_OPT_PMAP_ENTER,
  VM_MAP_COPYIN_OPT_SRC_DESTROY,
  VM_MAP_COPYIN_OPT_STEAL_PAGES,
} from "../../spec/constants.ts";
import { pageListMax } from "../../spec/scope.ts";
import { currentTranslation, pmapEnterRights } from "../fault/fault.ts";
import type { Kernel } from "../kernel.ts";
import type { VmMap } from "../map/vm-map.ts";
import type { HeldPage } from "../object/vm-object.ts";

/** The arguments of `vm_map_copyin_page_list_cont`. */
export interface PageListContinuation {
  /** The source map; the continuation holds one reference on it. */
  readonly map: VmMap;
  /** Its handle (kept: the map may be destroyed by an over-release, and then has none). */
  readonly handle: number;
  /** The page-aligned source range still to copy; empty for a destroy-only continuation. */
  readonly start: number;
  readonly end: number;
  readonly options: number;
  /** NO_ZERO_FILL is honoured (the original request was page-aligned). */
  readonly noZeroFill: boolean;
  /** The source range to remove when the chain ends; empty when none. */
  readonly destroyStart: number;
  readonly destroyEnd: number;
}

export interface PageListCopy {
  readonly kind: "page_list";
  /** The unrounded source address (first copy of a chain) or the continuation's start. */
  readonly offset: number;
  /** Bytes of the whole rest of the chain, from `offset`. */
  readonly size: number;
  /** At most `pageListMax` pages, in source order. */
  pages: HeldPage[];
  /** `page_loose`: every page has left its object (stolen or copied). */
  loose: boolean;
  /** PMAP_ENTER was asked for: with the MMU in play, each chunk page was also entered in the source map's pmap. */
  readonly pmapEnter: boolean;
  cont: PageListContinuation | null;
}

const has = (options: number, flag: number): boolean => (options & flag) !== 0;

/** SRC_DESTROY with STEAL_PAGES: each chunk's pages leave the source, which is removed at once. */
export const stealsAndDestroys = (options: number): boolean =>
  has(options, VM_MAP_COPYIN_OPT_STEAL_PAGES) && has(options, VM_MAP_COPYIN_OPT_SRC_DESTROY);

/** The end of the chunk that starts at `start`: at most `pageListMax` pages, within `end`. */
export const chunkEnd = (k: Kernel, start: number, end: number): number =>
  Math.min(end, start + pageListMax(k.scope) * k.scope.pageSize);

/**
 * Take the chunk at the start of `[start, end)` of `map` (already walked) into a new page list
 * with the given `offset` and `size`; what is left of the range, or a pending removal
 * (`destroy`, non-empty for SRC_DESTROY without STEAL_PAGES), goes to a continuation. The caller
 * accounts for the continuation's map reference. `isCont`: a continuation is running.
 */
export function takeChunk(
  k: Kernel, map: VmMap, start: number, end: number, options: number, noZeroFill: boolean,
  destroy: readonly [number, number], offset: number, size: number, isCont: boolean,
): PageListCopy {
  const mid = chunkEnd(k, start, end);
  const pages = map.holdChunk(start, mid, options, noZeroFill, isCont);
  const mmu = k.activeMmu;
  // Ghost: what PMAP_ENTER owes, from the fault path's answer now (invariant page-list-pmap-entered).
  // Recorded apart from the work below, so that work left undone is still owed.
  // Stryker disable all: the checker's expectation (the oracle input of page-list-pmap-entered), not the implementation; a mutant here only weakens that check, and the check's corruption test shows it can fail
  if (mmu !== null && has(options, VM_MAP_COPYIN_OPT_PMAP_ENTER)) {
    for (let va = start; va < mid; va += k.scope.pageSize) {
      const page = currentTranslation(map, va);
      const rights = page === undefined ? 0 : pmapEnterRights(page, options & VM_PROT_ALL);
      if (page !== undefined && rights !== 0) mmu.ghost.pmapEnterPages.push({ map, va, page: { ...page, rights } });
    }
  }
  // Stryker restore all
  if (mmu !== null && has(options, VM_MAP_COPYIN_OPT_PMAP_ENTER)) mmu.pmapEnterChunk(map, start, mid, options & VM_PROT_ALL);
  const [destroyStart, destroyEnd] = destroy;
  const handle = k.maps.indexOf(map);
  const cont = mid < end || destroyStart < destroyEnd ? { map, handle, start: mid, end, options, noZeroFill, destroyStart, destroyEnd } : null;
  return {
    kind: "page_list", offset, size, pages, cont,
    loose: has(options, VM_MAP_COPYIN_OPT_STEAL_PAGES),
    pmapEnter: has(options, VM_MAP_COPYIN_OPT_PMAP_ENTER),
  };
}

/** `vm_map_copy_page_discard`: every page goes back (un-busied, its object reference dropped). */
export function releasePages(k: Kernel, copy: PageListCopy): void {
  for (const p of copy.pages) k.objectLayer.letGo(p);
  copy.pages = [];
}

/** `vm_map_copy_steal_pages`: every page still held in an object is replaced by a private copy. */
export function stealPages(k: Kernel, copy: PageListCopy): void {
  for (const p of copy.pages) k.objectLayer.stealHeld(p);
  copy.loose = true;
}

/** The continuation's map is still there (nobody dropped the reference the continuation holds). */
export const sourceLive = (k: Kernel, c: PageListContinuation | null): boolean => c === null || k.maps[c.handle] === c.map;

/** A continuation ends (run to the end or aborted): its pending removal happens. The caller drops the map reference. */
export function finishContinuation(c: PageListContinuation): void {
  if (c.destroyStart < c.destroyEnd) c.map.removeCopiedSource(c.destroyStart, c.destroyEnd);
}

/** `vm_map_copy_discard` of a page list: pages released, continuation aborted. */
export function discardPageList(k: Kernel, copy: PageListCopy): void {
  releasePages(k, copy);
  const c = copy.cont;
  copy.cont = null;
  if (c === null || !sourceLive(k, c)) return;
  finishContinuation(c);
  k.dropMapReference(c.map);
}
