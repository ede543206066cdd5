/**
 * The argument rules every operation shares (the "General rules" of spec/vocabulary.ts), and
 * the walks over a map's pages that the operations are written with.
 *
 * - A number (address, size, mask, protection, flag, value) must be an integer in [0, 2^W);
 *   anything else is KERN_INVALID_ARGUMENT.
 * - A range `[addr, addr + size)` is widened to whole pages `[trunc(addr), round(addr + size))`;
 *   one whose rounded end passes 2^W is KERN_INVALID_ARGUMENT.
 * - Walks never visit the pages of a range one by one unless those pages are mapped: a range
 *   may span the whole address space while a map holds a handful of pages.
 */
import type { KernReturn } from "./constants.ts";
import { addressLimit, isAddress, roundPage, truncPage, type Scope } from "./scope.ts";
import type { PageNumber, PageState, SpecMap } from "./world.ts";

/** True when every `x` is an integer in [0, 2^W). */
export const areNumbers = (scope: Scope, ...xs: readonly number[]): boolean => xs.every((x) => isAddress(scope, x));

/** True when the valid number `x` has no bit outside `allowed` (a small bit set). */
export const onlyBits = (x: number, allowed: number): boolean => x <= allowed && (x & ~allowed) === 0;

/** True when the valid number `mask` is "alignment − 1": `mask + 1` is a power of two. */
export function isAlignmentMask(mask: number): boolean {
  let n = mask + 1;
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}

/** A half-open range of page numbers `[lo, hi)`. */
export interface PageRange {
  readonly lo: PageNumber;
  readonly hi: PageNumber;
}

export const pageCount = (range: PageRange): number => range.hi - range.lo;

/** `[trunc(addr), round(addr + size))` in pages, or undefined when the end passes 2^W. */
export function widen(scope: Scope, addr: number, size: number): PageRange | undefined {
  const end = roundPage(scope, addr + size); // exact: both are below 2^52
  if (end > addressLimit(scope)) return undefined;
  return { lo: truncPage(scope, addr) / scope.pageSize, hi: end / scope.pageSize };
}

/** The pages of the map's bounds `[min, max)`. */
export const boundsOf = (scope: Scope, map: SpecMap): PageRange => ({
  lo: map.min / scope.pageSize,
  hi: map.max / scope.pageSize,
});

/** Clamps a range to the map's bounds, as VM_MAP_RANGE_CHECK does: never an error, maybe empty. */
export function clampTo(scope: Scope, map: SpecMap, range: PageRange): PageRange {
  const bounds = boundsOf(scope, map);
  const hi = Math.min(range.hi, bounds.hi);
  return { lo: Math.min(Math.max(range.lo, bounds.lo), hi), hi };
}

/** The mapped pages of `range`, ascending. Costs the smaller of the range and the map. */
export function mappedIn(map: SpecMap, range: PageRange): [PageNumber, PageState][] {
  const found: [PageNumber, PageState][] = [];
  if (pageCount(range) <= map.pages.size) {
    for (let page = range.lo; page < range.hi; page++) {
      const state = map.pages.get(page);
      if (state !== undefined) found.push([page, state]);
    }
    return found;
  }
  for (const entry of map.pages) if (entry[0] >= range.lo && entry[0] < range.hi) found.push(entry);
  return found.sort((a, b) => a[0] - b[0]);
}

/**
 * Walks the pages of `range` in address order and returns the verdict of the first page that
 * fails: `holeCode` for an unmapped page, else what `check` says of a mapped one; undefined
 * when every page passes.
 */
export function firstFailure(
  map: SpecMap,
  range: PageRange,
  holeCode: KernReturn,
  check: (state: PageState) => KernReturn | undefined = () => undefined,
): KernReturn | undefined {
  let next = range.lo;
  for (const [page, state] of mappedIn(map, range)) {
    if (page !== next) return holeCode;
    const verdict = check(state);
    if (verdict !== undefined) return verdict;
    next = page + 1;
  }
  return next < range.hi ? holeCode : undefined;
}

/** The pages of a range already known to be fully mapped, ascending. */
export function pagesOf(map: SpecMap, range: PageRange): PageState[] {
  return mappedIn(map, range).map(([, state]) => state);
}

/**
 * First fit: the lowest page `a ≥ from` that is a multiple of `align`, with `[a, a + count)`
 * unmapped and inside the map; undefined when there is none.
 */
export function firstFit(scope: Scope, map: SpecMap, from: PageNumber, count: number, align: number): PageNumber | undefined {
  const alignUp = (page: PageNumber): PageNumber => Math.ceil(page / align) * align;
  const bounds = boundsOf(scope, map);
  let start = alignUp(Math.max(from, bounds.lo));
  for (const [page] of mappedIn(map, { lo: start, hi: bounds.hi })) {
    if (page >= start + count) break; // the hole before `page` is big enough
    if (page >= start) start = alignUp(page + 1);
  }
  return start + count <= bounds.hi ? start : undefined;
}
