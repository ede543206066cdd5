/**
 * The kernel's handlers for page-list copies (reference §4.11.5, §4.11.7): copyin_page_list,
 * copy_continue, copy_abort, copyout_page_list, steal_pages, page_discard. As in kernel.ts, each
 * validates its arguments in the contract's order (spec/vocabulary.ts) and changes nothing when it
 * refuses; a continuation's source is walked before anything is released, so a failing
 * continuation leaves the copy with its caller.
 */
import {
  VM_MAP_COPYIN_OPT_ALL,
  VM_MAP_COPYIN_OPT_NO_ZERO_FILL,
  VM_MAP_COPYIN_OPT_SRC_DESTROY,
  VM_MAP_COPYIN_OPT_VM_PROT,
} from "../spec/constants.ts";
import type { OpHandlers, OpResult } from "../spec/vocabulary.ts";
import { areWords, bitsWithin, pageRange, round, trunc } from "./args.ts";
import {
  chunkEnd, finishContinuation, releasePages, sourceLive, stealPages, stealsAndDestroys, takeChunk,
  type PageListContinuation, type PageListCopy,
} from "./copy/page-list.ts";
import type { Kernel } from "./kernel.ts";
import type { VmMap } from "./map/vm-map.ts";

type Handlers = Pick<OpHandlers<Kernel>, "copyin_page_list" | "copy_continue" | "copy_abort" | "copyout_page_list" | "steal_pages" | "page_discard">;

/** The live page list under `h`, else undefined. */
function pageListOf(k: Kernel, h: number): PageListCopy | undefined {
  const c = k.copyOf(h);
  return c?.kind === "page_list" ? c : undefined;
}

/** The first failing page of a continuation's next `[start, end)` (a hole, or a page without the VM_PROT access). */
const walkFailure = (c: PageListContinuation, end: number) =>
  c.map.pageListWalkFailure(c.start, end, c.options & VM_MAP_COPYIN_OPT_VM_PROT);

/** Run continuation `c` (not destroy-only, its chunk walked): the next page list. */
const runContinuation = (k: Kernel, c: PageListContinuation): PageListCopy =>
  takeChunk(k, c.map, c.start, c.end, c.options, c.noZeroFill, [c.destroyStart, c.destroyEnd], c.start, c.end - c.start, true);

/**
 * `vm_map_copyout_page_list` of page list `h` into `map`: first fit for the whole chain, the
 * chain's source walked, then every chunk taken, its pages stolen into a new object at the fit.
 */
export function copyoutPageList(k: Kernel, map: VmMap, h: number, copy: PageListCopy): OpResult<"copyout_page_list"> {
  const ps = k.scope.pageSize;
  if (copy.pages.length === 0 || !sourceLive(k, copy.cont)) return { kr: "KERN_INVALID_ARGUMENT" };
  const start = map.store.firstFit(map.min, round(k.scope, copy.offset + copy.size) - trunc(k.scope, copy.offset), 0);
  if (start === undefined) return { kr: "KERN_NO_SPACE" };
  const c0 = copy.cont;
  const failure = c0 !== null && c0.start < c0.end ? walkFailure(c0, c0.end) : undefined;
  if (failure !== undefined) return { kr: failure };
  stealPages(k, copy);
  const pages = copy.pages;
  copy.pages = [];
  copy.cont = null;
  for (let c = c0; c !== null; ) {
    if (c.start === c.end) {
      finishContinuation(c);
      break;
    }
    const next = runContinuation(k, c);
    stealPages(k, next);
    pages.push(...next.pages);
    c = next.cont;
  }
  map.copyoutPages(start, pages);
  k.consumeCopy(h);
  // References last: the destination may be a map only the continuation still held.
  if (c0 !== null) k.dropMapReference(c0.map);
  return { kr: "KERN_SUCCESS", addr: start + (copy.offset % ps) };
}

export const PAGE_LIST_HANDLERS: Handlers = {
  copyin_page_list(k, { map: handle, addr, size, options }) {
    const { scope } = k;
    const map = k.mapOf(handle);
    const range = areWords(scope, addr, size, options) ? pageRange(scope, addr, size) : undefined;
    if (map === null || range === undefined || !bitsWithin(options, VM_MAP_COPYIN_OPT_ALL)) return { kr: "KERN_INVALID_ARGUMENT" };
    if (size === 0) return { kr: "KERN_SUCCESS", copy: null };
    const { start, end } = range;
    const failure = map.pageListWalkFailure(start, chunkEnd(k, start, end), options & VM_MAP_COPYIN_OPT_VM_PROT);
    if (failure !== undefined) return { kr: failure };
    // NO_ZERO_FILL is honoured only for a page-aligned request.
    const noZeroFill = (options & VM_MAP_COPYIN_OPT_NO_ZERO_FILL) !== 0 && addr % scope.pageSize === 0 && size % scope.pageSize === 0;
    const destroyAtEnd = (options & VM_MAP_COPYIN_OPT_SRC_DESTROY) !== 0 && !stealsAndDestroys(options);
    const copy = takeChunk(k, map, start, end, options, noZeroFill, destroyAtEnd ? [start, end] : [0, 0], addr, size, false);
    if (copy.cont !== null) k.takeMapReference(handle);
    return { kr: "KERN_SUCCESS", copy: k.addCopy(copy) };
  },

  copy_continue(k, { copy: h }) {
    const copy = pageListOf(k, h);
    const c = copy?.cont;
    if (copy === undefined || !c || !sourceLive(k, c)) return { kr: "KERN_INVALID_ARGUMENT" };
    if (c.start === c.end) {
      k.consumeCopy(h);
      return { kr: "KERN_SUCCESS", copy: null };
    }
    const failure = walkFailure(c, chunkEnd(k, c.start, c.end));
    if (failure !== undefined) return { kr: failure };
    // vm_map_copy_invoke_cont: the current pages go first, then the continuation runs.
    releasePages(k, copy);
    copy.cont = null;
    k.consumeCopy(h);
    const next = runContinuation(k, c);
    // The map reference moves to the new continuation, if there is one.
    if (next.cont === null) k.dropMapReference(c.map);
    return { kr: "KERN_SUCCESS", copy: k.addCopy(next) };
  },

  copy_abort(k, { copy: h }) {
    const copy = pageListOf(k, h);
    if (copy === undefined || copy.cont === null) return { kr: "KERN_INVALID_ARGUMENT" };
    k.consumeCopy(h);
    return { kr: "KERN_SUCCESS" };
  },

  copyout_page_list(k, { map: handle, copy: h }) {
    const map = k.mapOf(handle);
    const copy = pageListOf(k, h);
    if (map === null || copy === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    return copyoutPageList(k, map, h, copy);
  },

  steal_pages(k, { copy: h }) {
    const copy = pageListOf(k, h);
    if (copy === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    stealPages(k, copy);
    return { kr: "KERN_SUCCESS" };
  },

  page_discard(k, { copy: h }) {
    const copy = pageListOf(k, h);
    if (copy === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    releasePages(k, copy);
    return { kr: "KERN_SUCCESS" };
  },
};


