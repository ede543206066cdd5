/**
 * Residence (TASK_SWAPPER, reference §4.2): the kernel's handlers of `swapout` and `swapin`, and
 * what swapping a map out does to its pmap. The counting itself (`res_count`, `sw_state`, the
 * submaps' residence) is the map's: {@link VmMapCore.resReference} / `resDeallocate`.
 *
 * A handle's references are resident unless the task swapper gave their residence up:
 * `Kernel.swapped[h]` counts those, so `names[h] − swapped[h]` of the map's `res_count` come from
 * its handle (invariant map-residence, #37).
 */
import type { OpHandlers } from "../spec/vocabulary.ts";
import type { Kernel } from "./kernel.ts";
import type { VmMap } from "./map/vm-map.ts";
import type { Mmu } from "./mmu/mmu.ts";

type Handlers = Pick<OpHandlers<Kernel>, "swapout" | "swapin">;

export const RESIDENCE_HANDLERS: Handlers = {
  swapout(k, { map: handle }) {
    const map = k.mapOf(handle);
    if (map === null) return { kr: "KERN_INVALID_ARGUMENT" };
    if (k.swapped[handle] === k.names[handle]) return { kr: "KERN_FAILURE" };
    k.swapped[handle]!++;
    map.resDeallocate();
    return { kr: "KERN_SUCCESS" };
  },

  swapin(k, { map: handle }) {
    const map = k.mapOf(handle);
    if (map === null) return { kr: "KERN_INVALID_ARGUMENT" };
    if (k.swapped[handle] === 0) return { kr: "KERN_FAILURE" };
    k.swapped[handle]!--;
    map.resReference();
    return { kr: "KERN_SUCCESS" };
  },
};

/**
 * A swapped-out map keeps no translation the pageout daemon could take: every unwired PTE of its
 * pmap is removed (and shot down before this returns); wired ones stay, with their pages.
 */
export function dropUnwiredTranslations(mmu: Mmu, map: VmMap): void {
  const p = mmu.pmaps.get(map);
  if (p === undefined) return;
  for (const vpn of p.present(map.min / map.pageSize, map.max / map.pageSize))
    if (!p.pte(vpn).wired) p.remove(vpn, vpn + 1);
  mmu.complete();
}
