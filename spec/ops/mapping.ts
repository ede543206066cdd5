/**
 * Mapping and unmapping: enter, find_space, remove. The full rules, in the order they are
 * checked, are the TSDoc of spec/vocabulary.ts; in short:
 *
 * - enter maps `round(size)` bytes at `trunc(addr)` (fixed) or at the first fit at or above
 *   `max(trunc(addr), min)` aligned by `mask` (anywhere). Anonymous pages get fresh zero cells;
 *   an object window aliases the object's cells. Every page: `prot = cur`, `maxProt = max`,
 *   the inheritance and alias, behavior DEFAULT, unwired.
 * - find_space is the kernel's first fit from `min`: anonymous, prot RW, maxProt ALL, inheritance
 *   COPY.
 * - remove drops the mapped pages of the widened range clamped to the map, with all their user
 *   wirings and, with KUNWIRE, one kernel wiring each. A page that would keep a kernel wiring
 *   makes the whole call fail (KERN_FAILURE) or, with WAIT_FOR_KWIRE, wait forever
 *   ({@link removeWouldBlock}; run anyway, it answers KERN_FAILURE). Size 0 removes nothing
 *   (vm_deallocate returns at once).
 */
import {
  VM_ALIAS_MAX,
  VM_BEHAVIOR_DEFAULT,
  VM_INHERIT_DEFAULT,
  VM_INHERIT_NONE,
  VM_MAP_REMOVE_ALL_FLAGS,
  VM_MAP_REMOVE_KUNWIRE,
  VM_MAP_REMOVE_WAIT_FOR_KWIRE,
  VM_PROT_ALL,
  VM_PROT_DEFAULT,
  type KernReturn,
} from "../constants.ts";
import { addressLimit, isPageAligned, roundPage, truncPage, type Scope } from "../scope.ts";
import type { OpHandlers, OpOf } from "../vocabulary.ts";
import { areNumbers, boundsOf, clampTo, firstFit, isAlignmentMask, mappedIn, onlyBits, widen } from "../args.ts";
import { freshCell, kernelWirings, mapOf, objectOf, type PageNumber, type PageState, type SpecMap, type SpecWorld } from "../world.ts";

type Handlers = Pick<OpHandlers<SpecWorld>, "enter" | "find_space" | "remove">;

/** Pages an allocation of `mask` must start on: a multiple of `max(mask + 1, pageSize)` bytes. */
const alignmentInPages = (scope: Scope, mask: number): number => Math.max(mask + 1, scope.pageSize) / scope.pageSize;

/** What a page of a new mapping gets; it starts unwired. */
export type NewPage = Omit<PageState, "wiredCount" | "userWiredCount">;
/** The kernel's default page (find_space, copyout): RW, max ALL, inheritance COPY. */
export const DEFAULT_PAGE = {
  prot: VM_PROT_DEFAULT, maxProt: VM_PROT_ALL, inheritance: VM_INHERIT_DEFAULT, behavior: VM_BEHAVIOR_DEFAULT,
};

/** Maps the `count` pages from `first`, the i-th as `page(i)` says. */
export function mapPages(map: SpecMap, first: PageNumber, count: number, page: (i: number) => NewPage): void {
  for (let i = 0; i < count; i++) map.pages.set(first + i, { ...page(i), wiredCount: 0, userWiredCount: 0 });
}

/** True when `mask` is bad, `size` is 0 or a fixed `[trunc(addr), + round(size))` wraps (enter's rules). */
export const badPlacement = (scope: Scope, addr: number, size: number, mask: number, anywhere: boolean): boolean =>
  !isAlignmentMask(mask) || size === 0 || (!anywhere && truncPage(scope, addr) + roundPage(scope, size) > addressLimit(scope));

/**
 * Where enter puts `count` pages: at `trunc(addr)` (fixed), or the first fit at or above
 * `max(trunc(addr), min)` aligned by `mask` (anywhere); else the code refusing the space.
 */
export function placement(
  scope: Scope, map: SpecMap, addr: number, count: number, mask: number, anywhere: boolean,
): PageNumber | KernReturn {
  const start = truncPage(scope, addr);
  if (anywhere) return firstFit(scope, map, start / scope.pageSize, count, alignmentInPages(scope, mask)) ?? "KERN_NO_SPACE";
  if (start % (mask + 1) !== 0) return "KERN_NO_SPACE";
  if (start < map.min || start + count * scope.pageSize > map.max) return "KERN_INVALID_ADDRESS";
  const first = start / scope.pageSize;
  return mappedIn(map, { lo: first, hi: first + count }).length > 0 ? "KERN_NO_SPACE" : first;
}

export const MAPPING_HANDLERS: Handlers = {
  enter(world, { map: handle, addr, size, mask, anywhere, alias, cur, max, inheritance, source }) {
    const { scope } = world;
    const map = mapOf(world, handle);
    const offset = source.kind === "object" ? source.offset : 0;
    // 1. Arguments.
    if (map === null || !areNumbers(scope, addr, size, mask, alias, cur, max, inheritance, offset))
      return { kr: "KERN_INVALID_ARGUMENT" };
    if (!onlyBits(cur, VM_PROT_ALL) || !onlyBits(max, VM_PROT_ALL) || (cur & ~max) !== 0 || inheritance > VM_INHERIT_NONE)
      return { kr: "KERN_INVALID_ARGUMENT" };
    if (alias > VM_ALIAS_MAX || badPlacement(scope, addr, size, mask, anywhere)) return { kr: "KERN_INVALID_ARGUMENT" };
    const count = roundPage(scope, size) / scope.pageSize;

    // 2. The object window.
    let cell = (_: number): number => freshCell(world);
    if (source.kind === "object") {
      const object = objectOf(world, source.object);
      if (object === undefined) return { kr: "KERN_INVALID_OBJECT" };
      if (!isPageAligned(scope, offset) || offset / scope.pageSize + count > object.length) return { kr: "KERN_INVALID_ARGUMENT" };
      cell = (i) => object[offset / scope.pageSize + i]!;
    }

    // 3. Placement; 4. map.
    const first = placement(scope, map, addr, count, mask, anywhere);
    if (typeof first === "string") return { kr: first };
    const behavior = VM_BEHAVIOR_DEFAULT;
    mapPages(map, first, count, (i) => ({ cell: cell(i), prot: cur, maxProt: max, inheritance, behavior, alias }));
    return { kr: "KERN_SUCCESS", addr: first * scope.pageSize };
  },

  find_space(world, { map: handle, size, mask }) {
    const { scope } = world;
    const map = mapOf(world, handle);
    if (map === null || !areNumbers(scope, size, mask) || !isAlignmentMask(mask) || size === 0)
      return { kr: "KERN_INVALID_ARGUMENT" };
    const count = roundPage(scope, size) / scope.pageSize;
    const first = firstFit(scope, map, boundsOf(scope, map).lo, count, alignmentInPages(scope, mask));
    if (first === undefined) return { kr: "KERN_NO_SPACE" };
    mapPages(map, first, count, () => ({ ...DEFAULT_PAGE, cell: freshCell(world), alias: 0 }));
    return { kr: "KERN_SUCCESS", addr: first * scope.pageSize };
  },

  remove(world, op) {
    const plan = planRemove(world, op);
    if ("kr" in plan) return { kr: plan.kr };
    // With WAIT_FOR_KWIRE a blocked call never returns in a sequential run (see wouldBlock);
    // if it is run anyway it answers as without the flag.
    if (plan.blocked) return { kr: "KERN_FAILURE" };
    for (const page of plan.pages) plan.map.pages.delete(page);
    return { kr: "KERN_SUCCESS" };
  },
};

type RemovePlan =
  | { readonly kr: KernReturn }
  | { readonly map: SpecMap; readonly pages: readonly PageNumber[]; readonly blocked: boolean };

/** Validates a remove and finds the pages it drops and whether a kernel wiring stays behind. */
function planRemove(world: SpecWorld, { map: handle, addr, size, flags }: OpOf<"remove">): RemovePlan {
  const { scope } = world;
  const map = mapOf(world, handle);
  if (map === null || !areNumbers(scope, addr, size, flags) || !onlyBits(flags, VM_MAP_REMOVE_ALL_FLAGS))
    return { kr: "KERN_INVALID_ARGUMENT" };
  const range = widen(scope, addr, size);
  if (range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
  if (size === 0) return { map, pages: [], blocked: false };
  const dropsOne = (flags & VM_MAP_REMOVE_KUNWIRE) !== 0;
  const found = mappedIn(map, clampTo(scope, map, range));
  const blocked = found.some(([, state]) => {
    const kernel = kernelWirings(state);
    return (dropsOne && kernel > 0 ? kernel - 1 : kernel) > 0;
  });
  return { map, pages: found.map(([page]) => page), blocked };
}

/**
 * True for a remove that is valid, carries WAIT_FOR_KWIRE and would keep a kernel wiring on
 * some page: in a sequential run nobody can release it, so the call would never return.
 */
export function removeWouldBlock(world: SpecWorld, op: OpOf<"remove">): boolean {
  const plan = planRemove(world, op);
  return !("kr" in plan) && plan.blocked && (op.flags & VM_MAP_REMOVE_WAIT_FOR_KWIRE) !== 0;
}
