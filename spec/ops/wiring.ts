/**
 * Wiring: wire, unwire (vm_map_wire / vm_map_unwire). The range is widened to whole pages and
 * clamped to the map; its (clamped) start must be a mapped page, else KERN_INVALID_ADDRESS. An
 * empty range at a mapped start succeeds and changes nothing, as in the 2000 kernel.
 *
 * Two counters per page. A kernel wiring adds 1 to `wiredCount`. User wirings nest: each adds 1
 * to `userWiredCount`, and all of them together add exactly 1 to `wiredCount` (taken by the
 * first, given back by the last). So `wiredCount − [userWiredCount > 0]` is the number of
 * kernel wirings, and neither counter may pass `maxWireCount`.
 *
 * - wire is all or nothing: walking the pages in address order, the first unmapped page gives
 *   KERN_INVALID_ADDRESS, the first lacking `access` KERN_PROTECTION_FAILURE, the first whose
 *   counter would overflow KERN_FAILURE; otherwise every page is wired once more.
 * - user unwire walks from the start up to the first hole, taking one user wiring from each
 *   page that has one and skipping the others; it always succeeds.
 * - kernel unwire needs every page of the range mapped and holding a kernel wiring
 *   (KERN_FAILURE otherwise, where the 2000 kernel panicked); each loses one.
 */
import { VM_PROT_ALL } from "../constants.ts";
import type { OpHandlers } from "../vocabulary.ts";
import { areNumbers, clampTo, firstFailure, mappedIn, onlyBits, pagesOf, widen, type PageRange } from "../args.ts";
import { kernelWirings, mapOf, reach, type PageState, type SpecMap, type SpecWorld } from "../world.ts";

type Handlers = Pick<OpHandlers<SpecWorld>, "wire" | "unwire">;

/** The clamped range of a wire or unwire, or the code that rejects the call. */
function wiringRange(
  world: SpecWorld,
  map: SpecMap,
  addr: number,
  size: number,
): PageRange | "KERN_INVALID_ARGUMENT" | "KERN_INVALID_ADDRESS" {
  const range = widen(world.scope, addr, size);
  if (range === undefined) return "KERN_INVALID_ARGUMENT";
  const clamped = clampTo(world.scope, map, range);
  return map.pages.has(clamped.lo) ? clamped : "KERN_INVALID_ADDRESS";
}

export const WIRING_HANDLERS: Handlers = {
  wire(world, { map: handle, addr, size, access, user }) {
    const map = mapOf(world, handle);
    if (map === null) return { kr: "KERN_INVALID_TASK" };
    if (!areNumbers(world.scope, addr, size, access) || !onlyBits(access, VM_PROT_ALL))
      return { kr: "KERN_INVALID_ARGUMENT" };
    const range = wiringRange(world, map, addr, size);
    if (typeof range === "string") return { kr: range };
    const limit = world.scope.maxWireCount;
    const overflows = (s: PageState): boolean =>
      user
        ? s.userWiredCount + 1 > limit || (s.userWiredCount === 0 && s.wiredCount + 1 > limit)
        : s.wiredCount + 1 > limit;
    const failure = firstFailure(map, range, "KERN_INVALID_ADDRESS", (s) => {
      const r = reach(world, s); // a submap window wires the submap's page: it must be there
      if (r === undefined) return "KERN_INVALID_ADDRESS";
      if ((access & ~r.prot) !== 0) return "KERN_PROTECTION_FAILURE";
      return overflows(s) ? "KERN_FAILURE" : undefined;
    });
    if (failure !== undefined) return { kr: failure };
    for (const s of pagesOf(map, range)) {
      if (!user) s.wiredCount += 1;
      else if (s.userWiredCount++ === 0) s.wiredCount += 1;
    }
    return { kr: "KERN_SUCCESS" };
  },

  unwire(world, { map: handle, addr, size, user }) {
    const map = mapOf(world, handle);
    if (map === null) return { kr: "KERN_INVALID_TASK" };
    if (!areNumbers(world.scope, addr, size)) return { kr: "KERN_INVALID_ARGUMENT" };
    const range = wiringRange(world, map, addr, size);
    if (typeof range === "string") return { kr: range };
    if (user) {
      let next = range.lo;
      for (const [page, s] of mappedIn(map, range)) {
        if (page !== next) break; // a hole ends the range
        next = page + 1;
        if (s.userWiredCount > 0 && --s.userWiredCount === 0) s.wiredCount -= 1;
      }
      return { kr: "KERN_SUCCESS" };
    }
    const holdsNone = (s: PageState) => (kernelWirings(s) === 0 ? "KERN_FAILURE" : undefined);
    if (firstFailure(map, range, "KERN_FAILURE", holdsNone) !== undefined) return { kr: "KERN_FAILURE" };
    for (const s of pagesOf(map, range)) s.wiredCount -= 1;
    return { kr: "KERN_SUCCESS" };
  },
};
