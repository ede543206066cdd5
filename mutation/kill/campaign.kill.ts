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
import { PROFILES, runCampaign, type ProfileName } from "../../model-check/campaign.ts";

/** Runs per profile, and the seed: the bounded campaign that decides each mutant. */
export const KILL_CAMPAIGNS: readonly { readonly profile: ProfileName; readonly runs: number; readonly seed: number }[] = [
  { profile: "map", runs: 400, seed: 1 },
  { profile: "cow", runs: 1500, seed: 3 },
  { profile: "all", runs: 800, seed: 2 },
];

describe("bounded model-check campaign", () => {
  for (const { profile, runs, seed } of KILL_CAMPAIGNS) {
    it(`profile ${profile}: ${runs} runs, seed ${seed}`, () => {
      const report = runCampaign({ seed, runs, maxCommands: 40, ops: PROFILES[profile], outDir: null, shrink: false });
      expect(report.counterexample?.message ?? "", report.counterexample?.check).toBe("");
      expect(report.ok).toBe(true);
    });
  }
});
