import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_CHECK } from "../../model-check/cli.ts";
import { PROFILE_WEIGHTS, PROFILES, runCampaign } from "../../model-check/campaign.ts";
import { minimizeCommands } from "../../model-check/minimize.ts";
import { PLANTED_BUGS } from "../planted/bugs.ts";

/**
 * The checker has teeth: every planted bug is found by a campaign with the CLI's default budget
 * and seed on the profile of the plant's subsystem (`--profile`), fast-check shrinks it, and the minimizer (model-check/minimize.ts) never makes that
 * longer, makes it shorter for at least a third of the plants, and ends at a fixpoint.
 */
describe("planted bugs", () => {
  const lengths: { name: string; fastCheck: number; minimized: number }[] = [];

  const campaignFound = Object.entries(PLANTED_BUGS).filter(([, bug]) => !bug.exhaustive);
  for (const [name, bug] of campaignFound) {
    const weights = PROFILE_WEIGHTS[bug.profile];
    const plant = { kernel: bug.kernel, ...(bug.suspendable ? { suspendable: bug.suspendable } : {}) };
    it(`finds and minimizes ${name} (${bug.description})`, () => {
      const report = runCampaign({ ...DEFAULT_CHECK, ops: PROFILES[bug.profile], ...(weights ? { weights } : {}), ...plant, outDir: null });
      expect(report.ok, `${name} was not found in ${report.runs} runs`).toBe(false);
      const cx = report.counterexample!;
      expect(cx.length, `${name}: ${cx.commands.length} commands`).toBeLessThanOrEqual(bug.maxLength);
      // Never longer than fast-check's own shrink.
      expect(cx.length).toBeLessThanOrEqual(cx.shrunkLength);
      // Minimizing the result again changes nothing.
      const again = minimizeCommands(cx.commands, { scope: report.scope, ...plant }, cx.check);
      expect(again.commands).toEqual(cx.commands);
      lengths.push({ name, fastCheck: cx.shrunkLength, minimized: cx.length });
    });
  }

  it("the minimizer is shorter than fast-check's shrink for at least a third of the plants", () => {
    const plants = campaignFound.length;
    expect(lengths).toHaveLength(plants);
    const shorter = lengths.filter((l) => l.minimized < l.fastCheck);
    expect(shorter.length * 3, `shorter for ${shorter.map((l) => l.name).join(", ")}`).toBeGreaterThanOrEqual(plants);
  });

  afterAll(() => {
    // The measurement behind the assertion, for the README: fast-check's length → ours.
    if (process.env["VMCHECK_SHOW_LENGTHS"])
      console.log(lengths.map((l) => `${l.name}: ${l.fastCheck} → ${l.minimized}`).join("\n"));
  });
});
