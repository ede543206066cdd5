import { describe, expect, it } from "vitest";
import { DEFAULT_CHECK } from "../../model-check/cli.ts";
import { runCampaign } from "../../model-check/campaign.ts";
import { PLANTED_BUGS } from "../planted/bugs.ts";

/**
 * The checker has teeth: every planted bug is found by a campaign with the CLI's default budget
 * and seed, and fast-check shrinks it to a short counterexample.
 */
describe("planted bugs", () => {
  for (const [name, bug] of Object.entries(PLANTED_BUGS)) {
    it(`finds and minimizes ${name} (${bug.description})`, () => {
      const report = runCampaign({ ...DEFAULT_CHECK, kernel: bug.kernel, outDir: null });
      expect(report.ok, `${name} was not found in ${report.runs} runs`).toBe(false);
      const cx = report.counterexample!;
      expect(cx.length, `${name}: ${cx.commands.length} commands`).toBeLessThanOrEqual(bug.maxLength);
      // Delta debugging never makes fast-check's shrink longer.
      expect(cx.length).toBeLessThanOrEqual(cx.shrunkLength);
    });
  }
});
