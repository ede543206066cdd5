/**
 * The test that kills mutants: bounded, fixed-seed model-check campaigns, exactly as a user runs
 * them, with every check on. A mutant is killed when a campaign finds any failed check (result,
 * refinement, invariant, timestamp or exception); unit tests are deliberately not part of the
 * kill set, so the score measures what the model checker guards, not what hand-written tests do.
 *
 * Each campaign stops at its first failure without shrinking (`shrink: false`): Stryker needs
 * pass/fail, not a minimal counterexample. The budget is fixed (runs, not seconds) so the result
 * does not depend on the machine's speed.
 */
import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/kernel.ts";
import { MODEL_CHECK_SCOPE, PROFILE_WEIGHTS, PROFILES, runCampaign, type ProfileName } from "../../model-check/campaign.ts";
import { kernelSystem } from "../../model-check/lockstep.ts";
import type { Scope } from "../../spec/scope.ts";

interface KillCampaign {
  readonly profile: ProfileName;
  readonly runs: number;
  readonly seed: number;
  /**
   * The object layer's chain bound for this campaign (default: the layer's own). A bound of 2
   * makes the chain limit act within a 40-command run, so the flattening path is exercised and
   * checked by refinement like any other.
   */
  readonly maxChainLength?: number;
  /** The TLBs' replacement policy (default: the scope's, LRU). */
  readonly tlbReplacement?: "lru" | "random";
  /**
   * Our kernel behind the adapter, as a system of a user's own is checked: no scheduler, so a
   * `spawn` runs its operation to completion and `step` does nothing (their sequential meaning,
   * spec/ops/threads.ts), judged against the spec's.
   */
  readonly throughAdapter?: boolean;
  /** Longest command sequence (default 40). */
  readonly maxCommands?: number;
  /** Slots per B+tree node (default: the scope's, 4). */
  readonly treeOrder?: number;
  /** Physical frames (default: the scope's, 16). */
  readonly frames?: number;
  /** CPUs (default: the scope's, 3); 0 leaves the MMU out. */
  readonly cpus?: number;
  /** Address width W (default: the scope's, 32). */
  readonly addressBits?: number;
  /** Bits of a page number a page-table leaf resolves (default: the scope's, 2). */
  readonly ptLeafBits?: number;
  /**
   * Floors on the campaign's concurrency statistics (the JSON report's `concurrency` object):
   * a campaign meant to exercise threads must pass that many suspension points, and so on. A
   * campaign that silently stopped doing what it is for would pass every check.
   */
  readonly atLeast?: Partial<Record<"resumptions" | "windows" | "acksAwaited" | "lockFreeHits", number>>;
}

/** Runs per profile, and the seed: the bounded campaign that decides each mutant. */
export const KILL_CAMPAIGNS: readonly KillCampaign[] = [
  { profile: "map", runs: 400, seed: 1 },
  // A 48-bit address space: flags and protections of 2^32 and above pass the word check there,
  // so only the bit test refuses them (a 32-bit test of the bits would take 2^32 + 1 for 1).
  { profile: "map", runs: 600, seed: 12, addressBits: 48 },
  // Maps of up to 20 entries in trees of order 4: inner nodes split, borrow and merge.
  { profile: "tree", runs: 300, seed: 14, maxCommands: 100 },
  // An odd order: the minimum fill is rounded up, and a merge must still fit in one node.
  { profile: "tree", runs: 300, seed: 14, maxCommands: 100, treeOrder: 5 },
  { profile: "cow", runs: 4000, seed: 3 },
  // Long runs: collapses of two steps (a shadow absorbed, then the object below it too) need a
  // dozen commands lined up, and 40-command runs rarely line them up.
  { profile: "cow", runs: 1500, seed: 9, maxCommands: 100 },
  { profile: "all", runs: 3000, seed: 2 },
  // The machine below the maps: switch/load/store/evict among the map and copy operations.
  // Its runs are short and cheap (10,000 take about 15 s); states such as a read fault on a
  // page still in the object below a written copy-on-write entry take thousands of runs.
  { profile: "mmu", runs: 10000, seed: 4 },
  // Random TLB replacement: the hardware may drop any entry at any time.
  { profile: "mmu", runs: 3000, seed: 10, tlbReplacement: "random" },
  // Four frames: nearly every fault has to page a frame out (or, with every frame pinned, take
  // one from the reserve), so pageout's choice and the reserve's rule are exercised.
  { profile: "mmu", runs: 2000, seed: 4, frames: 4 },
  // 48-bit addresses under the MMU: page numbers past 2^31 and directory levels whose shift is
  // 32 or more, where the page-table walk must divide (a 32-bit shift would drop high bits and
  // alias two pages onto one PTE).
  { profile: "mmu", runs: 1000, seed: 15, addressBits: 48 },
  // A page table with no directory level (16-bit addresses, leaves of 1,024 pages): the root
  // holds the one leaf, and no window can be nested.
  { profile: "mmu", runs: 500, seed: 16, addressBits: 16, ptLeafBits: 10 },
  // Nested pmaps: windows that can be nested and their near misses (wired, copy-on-write, off a
  // leaf boundary, from a non-zero offset, chained through a second map), clipped and run.
  { profile: "nesting", runs: 2000, seed: 11 },
  { profile: "pagelist", runs: 500, seed: 5 },
  { profile: "submap", runs: 500, seed: 6 },
  // Submaps and shared regions on a kernel without the MMU (`--cpus 0`): nothing to un-nest, no
  // pmap to destroy, and nothing may ask an MMU that is not there.
  { profile: "submap", runs: 300, seed: 13, cpus: 0 },
  // Chains bounded at 2 and runs of 100 commands: the chain limit flattens (4× as often as in
  // 40-command runs), collapse absorbs and bypasses, and old copy objects are re-linked.
  { profile: "cow", runs: 800, seed: 8, maxChainLength: 2, maxCommands: 100 },
  // Threads: spawned operations suspended at their blocking points, interleaved step by step,
  // with linearizability, lock order (object and map locks taken on threads) and in-transition
  // waits checked (about 4 s). Measured at 2026-11-28: 2030 steps, 1185 windows, 40
  // acknowledgements awaited, 26 lock-free TLB hits; the floors are half of that.
  { profile: "concurrency", runs: 600, seed: 1, atLeast: { resumptions: 1000, windows: 500, acksAwaited: 20, lockFreeHits: 13 } },
  // Threads on a kernel without the MMU (`--cpus 0`): no TLBs, no shootdowns to wait for.
  { profile: "concurrency", runs: 300, seed: 2, cpus: 0, atLeast: { resumptions: 500, windows: 300 } },
  // The threads' commands through the adapter, without a scheduler: spawn and step in their
  // sequential meaning, as a user's own implementation would get them.
  { profile: "concurrency", runs: 200, seed: 3, throughAdapter: true },
];

/**
 * The campaigns to run: all of them, or (VMCHECK_KILL_PROFILES, a comma-separated list of
 * profiles that mutation/run.ts sets from the subsystem) only those of the profiles that can
 * reach the subsystem's code, in that order.
 */
function selected(): readonly KillCampaign[] {
  const only = process.env["VMCHECK_KILL_PROFILES"];
  if (!only) return KILL_CAMPAIGNS;
  return only.split(",").flatMap((p) => KILL_CAMPAIGNS.filter((c) => c.profile === p));
}

describe("bounded model-check campaign", () => {
  for (const { profile, runs, seed, maxChainLength, tlbReplacement, maxCommands = 40, treeOrder, frames, cpus, addressBits, ptLeafBits, throughAdapter, atLeast } of selected()) {
    const bound = (maxChainLength === undefined ? "" : `, shadow chains bounded at ${maxChainLength}`) + (tlbReplacement ? `, ${tlbReplacement} TLB replacement` : "") + (treeOrder ? `, B+tree order ${treeOrder}` : "") + (frames ? `, ${frames} frames` : "") + (cpus === undefined ? "" : `, ${cpus} CPUs`) + (addressBits ? `, ${addressBits}-bit addresses` : "") + (ptLeafBits ? `, page-table leaves of 2^${ptLeafBits} pages` : "") + (throughAdapter ? ", through the adapter (no scheduler)" : "");
    const scope = tlbReplacement || treeOrder || frames || cpus !== undefined || addressBits || ptLeafBits ? { ...MODEL_CHECK_SCOPE, ...(tlbReplacement && { tlbReplacement }), ...(treeOrder && { mapTreeOrder: treeOrder }), ...(frames && { frames }), ...(cpus !== undefined && { cpus }), ...(addressBits && { addressBits }), ...(ptLeafBits && { pageTableLeafBits: ptLeafBits }) } : undefined;
    const kernel = maxChainLength === undefined ? undefined : (scope: ConstructorParameters<typeof Kernel>[0]) => {
      const k = new Kernel(scope);
      k.objectLayer.maxChainLength = maxChainLength;
      return k;
    };
    it(`profile ${profile}: ${runs} runs of up to ${maxCommands} commands, seed ${seed}${bound}`, () => {
      const weights = PROFILE_WEIGHTS[profile];
      const report = runCampaign({ seed, runs, maxCommands, ops: PROFILES[profile], ...(weights && { weights }), outDir: null, shrink: false, ...(kernel && { kernel }), ...(scope && { scope }), ...(throughAdapter && { system: (s: Scope) => kernelSystem(new Kernel(s)) }) });
      expect(report.counterexample?.message ?? "", report.counterexample?.check).toBe("");
      expect(report.ok).toBe(true);
      for (const [stat, floor] of Object.entries(atLeast ?? {})) expect(report.concurrency?.[stat as keyof typeof atLeast] ?? 0, stat).toBeGreaterThanOrEqual(floor);
    });
  }
});
