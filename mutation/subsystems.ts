/**
 * The subsystems of impl/ that mutation testing scores separately, each small enough for one
 * run to finish well under an hour on two cores. The MMU is split the way the machine is: `pmap`
 * (frames, page tables, pmaps), `tlb`, `mmu` (the CPUs, the access path, shootdown and the
 * coherence with the maps: impl/mmu/) and `fault` (what an access resolves to). impl/mmu has its
 * own row rather than sharing `fault`'s because it is the larger part and a different mechanism.
 * `locks` (the lock-order validator) is, until the checker drives it, killed by its unit tests
 * (see mutation/vitest.config.ts). The page-list handlers belong with `copy`, the shared-region
 * handlers with `map` (they map submaps).
 *
 * The structural checkers that live beside the code they check (impl/map/map-check.ts,
 * impl/object/object-check.ts) are left out: they are the oracle, not the implementation. A
 * campaign on a correct kernel never reaches their failure branches, so their mutants could only
 * "survive"; what shows they can fail is the corruption test of every invariant
 * (test/model-check/invariants.test.ts).
 */
import type { ProfileName } from "../model-check/campaign.ts";

export interface Subsystem {
  /** Globs of the files whose mutants belong to this subsystem. */
  readonly files: readonly string[];
  /**
   * The profiles of the kill campaigns (mutation/kill/campaign.kill.ts) that can reach this
   * subsystem's code, in the order to run them; all of them when absent. Only a campaign whose
   * profile has `switch` engages the MMU, so the others cannot kill an MMU mutant and would
   * only cost time on every survivor.
   */
  readonly campaigns?: readonly ProfileName[];
  readonly note: string;
}

/** The campaigns that engage the MMU (their profiles have `switch`), the narrowest first. */
const MMU_CAMPAIGNS = ["mmu", "all"] as const satisfies readonly ProfileName[];

export const SUBSYSTEMS = {
  map: { files: ["impl/map/**/*.ts", "!impl/map/map-check.ts", "impl/kernel.ts", "impl/args.ts", "impl/shared-regions.ts"], note: "entries, B+tree, clip/coalesce/simplify, wiring, byte access, fork/remap/named entries, shared regions, dispatch" },
  object: { files: ["impl/object/**/*.ts", "!impl/object/object-check.ts"], note: "VM objects, shadow chains, copy strategies, collapse" },
  copy: { files: ["impl/copy/**/*.ts", "impl/kernel-transfers.ts", "impl/kernel-page-lists.ts"], note: "map copies: copyin, copyout, overwrite; page-list copies" },
  pmap: { files: ["impl/pmap/**/*.ts"], note: "physical frames and free list, radix page tables, pmaps", campaigns: MMU_CAMPAIGNS },
  tlb: { files: ["impl/tlb/**/*.ts"], note: "set-associative per-CPU TLBs", campaigns: MMU_CAMPAIGNS },
  mmu: { files: ["impl/mmu/**/*.ts"], note: "CPUs, the access path, shootdown, pageout, PTE revalidation after map changes", campaigns: MMU_CAMPAIGNS },
  fault: { files: ["impl/fault/**/*.ts"], note: "the fault path: entry lookup, protection, copy-on-write resolution, PTE rights", campaigns: MMU_CAMPAIGNS },
  locks: { files: ["impl/locks/**/*.ts"], note: "lock classes and the lock-order validator (killed by its unit tests until the checker drives it)", campaigns: [] },
} as const satisfies Record<string, Subsystem>;

export type SubsystemName = keyof typeof SUBSYSTEMS;
