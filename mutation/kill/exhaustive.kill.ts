/**
 * The exhaustive mode as a kill test: every schedule of the concurrency scenarios with at most
 * four preemptions (`vmcheck check --exhaustive --preemptions 4`: 643 schedules, a few
 * seconds; the CLI's default bound of two runs 458). The random concurrency campaign
 * interleaves threads where its generator happens to; the scenarios line up the races a
 * reviewer would worry about (wire against remove, a fault against fork, an upgrade against
 * another) and try every order of their blocking points, so a mutant of the scheduler or of a
 * suspendable operation that only misbehaves in one order is killed here. The schedule counts
 * must also match the manifest (model-check/concurrency/schedules.json, which `npm test`
 * checks too): a mutant that only takes a suspension point away, or adds one, leaves every
 * schedule passing but changes the model's interleavings, and that is a change too. It belongs
 * to the `concurrency` profile: it runs when that profile's campaigns do.
 */
import { describe, expect, it } from "vitest";
import { MODEL_CHECK_SCOPE } from "../../model-check/campaign.ts";
import { exhaustive } from "../../model-check/concurrency/exhaustive.ts";
import { readScheduleManifest, scheduleDrift } from "../../model-check/concurrency/schedule-manifest.ts";

const only = process.env["VMCHECK_KILL_PROFILES"];
const selected = !only || only.split(",").includes("concurrency");

describe.runIf(selected)("every schedule of the concurrency scenarios (at most 4 preemptions)", () => {
  it("agrees with the spec and keeps every check in every schedule", () => {
    const report = exhaustive({ scope: MODEL_CHECK_SCOPE, preemptions: 4 });
    const failed = report.scenarios.find((s) => s.failure);
    expect(failed ? `${failed.name}: ${failed.failure?.check}: ${failed.failure?.message}` : "").toBe("");
    expect(report.ok).toBe(true);
    expect(scheduleDrift(report, readScheduleManifest())).toEqual([]);
  });
});
