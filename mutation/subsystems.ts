/**
 * The subsystems of impl/ that mutation testing scores separately, each small enough for one
 * run to finish well under an hour on two cores. The MMU is split the way the machine is: `pmap`
 * (frames, page tables, pmaps), `tlb`, `mmu` (the CPUs, the access path, shootdown),
 * `coherence` (the MMU's coherence with the maps: the pmap work of map operations, revalidation,
 * nested pmaps) and `fault` (what an access resolves to). impl/mmu has rows of its own rather
 * than sharing `fault`'s because it is the larger part and a different mechanism; it is two
 * because one row of it took over two hours.
 * `locks` (the lock-order validator) is, until the checker drives it, killed by its unit tests
 * (see mutation/vitest.config.ts). The page-list handlers belong with `copy`, the shared-region
 * handlers with `kernel` (the facade that maps the submaps).
 *
 * The structural checkers that live beside the code they check (impl/map/map-check.ts,
 * impl/object/object-check.ts) are left out: they are the oracle, not the implementation. A
 * campaign on a correct kernel never reaches their failure branches, so their mutants could only
 * "survive"; what shows they can fail is the corruption test of every invariant
 * (test/model-check/invariants.test.ts). `impl/index.ts` only re-exports. Every other file of
 * impl/ is in exactly one row (test/mutation/subsystems.test.ts).
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
  /**
   * Unit tests in this row's kill suite besides the campaigns: only for the checker's own oracle
   * code that lives in impl/ (the lock-order validator and its view of the kernel), which a
   * correct kernel never trips, so a mutant that weakens it survives every campaign. Other rows
   * do not run them: they exercise the kernel too, and a unit test must not kill the other rows'
   * mutants (mutation/vitest.config.ts).
   */
  readonly oracleTests?: readonly string[];
  readonly note: string;
}

/** The campaigns that engage the MMU (their profiles have `switch`), the narrowest first. */
const MMU_CAMPAIGNS = ["mmu", "all"] as const satisfies readonly ProfileName[];

/**
 * The machine's own rows (mmu, pmap) add the `concurrency` campaign and, with it, the exhaustive scenarios
 * (mutation/kill/exhaustive.kill.ts): only a kernel thread waits for a shootdown's
 * acknowledgements one CPU at a time, so only threads drive the machine's acknowledgement path
 * (ack, frames kept or freed while shootdowns are in flight, loads racing an unacknowledged
 * invalidation).
 */
const MACHINE_CAMPAIGNS = [...MMU_CAMPAIGNS, "concurrency"] as const satisfies readonly ProfileName[];

/**
 * The campaigns for the subsystems above the MMU, the cheapest first: every profile except
 * `mmu`. The `mmu` campaigns (15,000 runs: about 56 s) exist for the corner
 * states of TLBs and page tables; the code above the MMU that an access reaches (faults
 * resolving copy-on-write, zero fill) is reached by `all` too, which engages the MMU. Leaving
 * them out makes a survivor cost a third as much, which is what lets map and object finish
 * within the hour. A smaller kill suite can only kill fewer mutants, so the score it gives is a
 * lower bound on the whole suite's. The short `concurrency` campaign is last: it alone takes
 * object and map locks on kernel threads, where the lock-order validator sees their order.
 */
const ABOVE_MMU_CAMPAIGNS = ["map", "cow", "pagelist", "submap", "all", "concurrency"] as const satisfies readonly ProfileName[];

export const SUBSYSTEMS = {
  // The maps are five rows, each well within the hour: the index, the entries, the operations on
  // them, the memory behind them (access, submaps, sharing), the dispatch. (`map` was one row of
  // the middle three until 2026-11-29, whose whole run took 121 minutes; then of the first two,
  // whose whole run took 51.)
  tree: { files: ["impl/map/btree-store.ts", "impl/map/entry.ts"], note: "the B+tree index of a map's entries: lookup, first-fit search, gap annotations, the entry list", campaigns: ["tree", ...ABOVE_MMU_CAMPAIGNS] },
  map: { files: ["impl/map/map-core.ts"], note: "a map's entries: lookup with the hint, clip, insert and delete, first_free, coalesce, simplify, locking, wiring counts", campaigns: ABOVE_MMU_CAMPAIGNS },
  "map-ops": { files: ["impl/map/vm-map.ts"], note: "the operations on a map's entries: enter, protect, inherit, behavior, wiring, submap windows, lookup", campaigns: ABOVE_MMU_CAMPAIGNS },
  access: { files: ["impl/map/map-memory.ts", "impl/map/sharing.ts"], note: "the memory behind a map's entries: byte access, removal, submap descent and copy-on-write submaps, fork, remap, named entries", campaigns: ABOVE_MMU_CAMPAIGNS },
  kernel: { files: ["impl/kernel.ts", "impl/kernel-residence.ts", "impl/args.ts", "impl/shared-regions.ts"], note: "the kernel facade: argument validation and dispatch of every operation, residence, shared regions", campaigns: ABOVE_MMU_CAMPAIGNS },
  object: { files: ["impl/object/**/*.ts", "!impl/object/object-check.ts"], note: "VM objects, shadow chains, copy strategies, collapse", campaigns: ABOVE_MMU_CAMPAIGNS },
  copy: { files: ["impl/copy/**/*.ts", "impl/kernel-transfers.ts", "impl/kernel-page-lists.ts"], note: "map copies: copyin, copyout, overwrite; page-list copies", campaigns: ABOVE_MMU_CAMPAIGNS },
  // With the threads' campaign too: a frame whose free waits for a shootdown's acknowledgements (physical-memory.ts release) exists only while a kernel thread waits for them.
  pmap: { files: ["impl/pmap/**/*.ts"], note: "physical frames and free list, radix page tables, pmaps", campaigns: MACHINE_CAMPAIGNS },
  tlb: { files: ["impl/tlb/**/*.ts"], note: "set-associative per-CPU TLBs", campaigns: MMU_CAMPAIGNS },
  // impl/mmu is two rows, so that each fits a session (one row took over two hours): the machine, and its coherence with the maps.
  mmu: { files: ["impl/mmu/mmu-core.ts", "impl/mmu/access.ts", "impl/mmu/shootdown.ts"], note: "the machine: CPUs, the access path, shootdown, pageout", campaigns: MACHINE_CAMPAIGNS },
  // The `nesting` campaign is this row's alone: it reaches the rules of which windows may be nested.
  coherence: { files: ["impl/mmu/mmu.ts", "impl/mmu/nesting.ts"], note: "the MMU's coherence with the maps: the pmap work of remove, protect and wiring, PTE revalidation after map changes, nested pmaps", campaigns: ["nesting", ...MMU_CAMPAIGNS] },
  fault: { files: ["impl/fault/**/*.ts"], note: "the fault path: entry lookup, protection, copy-on-write resolution, PTE rights", campaigns: MMU_CAMPAIGNS },
  locks: { files: ["impl/locks/**/*.ts"], note: "lock classes and the lock-order validator (killed by its unit tests until the checker drives it)", campaigns: [], oracleTests: ["test/impl/lockdep.test.ts", "test/impl/lockdep-rules.test.ts"] },
  // The threads are two rows since 2026-11-29 (one row's whole run took 62 minutes): the scheduler
  // with the lock state it keeps and its oracle, and the operations that suspend on it.
  sched: { files: ["impl/sched/scheduler.ts", "impl/sched/map-locks.ts", "impl/sched/topology.ts"], note: "threads, the deterministic scheduler, map lock state, the lock-discipline oracle", campaigns: ["concurrency", "all"], oracleTests: ["test/impl/topology.test.ts", "test/impl/lock-discipline.test.ts", "test/impl/machine-locks.test.ts"] },
  suspend: { files: ["impl/sched/suspendable.ts"], note: "the suspendable operations: where each blocks, drops its lock, waits for shootdowns, and re-checks after relocking", campaigns: ["concurrency", "all"] },
} as const satisfies Record<string, Subsystem>;

export type SubsystemName = keyof typeof SUBSYSTEMS;

/** The files of impl/ that no row mutates, and why. */
export const NOT_MUTATED: Readonly<Record<string, string>> = {
  "impl/map/map-check.ts": "the structural checker of maps: the oracle, not the implementation",
  "impl/object/object-check.ts": "the structural checker of objects: the oracle, not the implementation",
  "impl/index.ts": "re-exports only",
};

/**
 * Whether `file` (a path relative to the project) matches a row's globs, in Stryker's reading:
 * the last glob that matches decides, and a `!` glob excludes. Only the two forms the rows use
 * are understood: exact paths and `dir/**\/*.ts`.
 */
export function inSubsystem(file: string, globs: readonly string[]): boolean {
  let inside = false;
  for (const g of globs) {
    const negated = g.startsWith("!");
    const body = negated ? g.slice(1) : g;
    const re = new RegExp(`^${body.split("**/").map((part) => part.split("*").map(escapeRegExp).join("[^/]*")).join("(?:.*/)?")}$`);
    if (re.test(file)) inside = !negated;
  }
  return inside;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}
