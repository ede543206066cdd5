import { describe, expect, it } from "vitest";
import { MODEL_CHECK_SCOPE } from "../../model-check/campaign.ts";
import { exhaustive } from "../../model-check/concurrency/exhaustive.ts";
import { MANIFEST_BOUNDS, readScheduleManifest, scheduleDrift } from "../../model-check/concurrency/schedule-manifest.ts";
import { scenarios } from "../../model-check/concurrency/scenarios.ts";
import { SuspendableOps } from "../../impl/sched/suspendable.ts";

describe("the exhaustive mode's schedule manifest", () => {
  const manifest = readScheduleManifest();
  for (const bound of MANIFEST_BOUNDS)
    it(`matches every scenario's schedule and prefix counts at ${bound} preemptions`, () => {
      const report = exhaustive({ scope: MODEL_CHECK_SCOPE, preemptions: bound });
      expect(report.ok).toBe(true);
      expect(scheduleDrift(report, manifest)).toEqual([]);
    });

  it("notices a thread body that gives up a suspension point, though every schedule still passes", () => {
    // Pageout that completes its shootdown at once instead of waiting for each acknowledgement.
    class NoAckWaits extends SuspendableOps {
      override *awaitShootdowns(): Generator<never, void, boolean> {
        this.kernel.mmu?.completeAll();
      }
    }
    const report = exhaustive({ scope: MODEL_CHECK_SCOPE, preemptions: 2, suspendable: NoAckWaits });
    expect(report.ok).toBe(true);
    const drift = scheduleDrift(report, manifest);
    expect(drift.some((d) => d.startsWith("remove-vs-stale-loads:"))).toBe(true);
    expect(drift.some((d) => d.startsWith("wire-vs-remove:"))).toBe(false);
  });

  it("notices a suspension point described differently, though the counts stay the same", () => {
    const only = scenarios(MODEL_CHECK_SCOPE).filter((s) => s.name === "wire-unwire-remove");
    const report = exhaustive({ scope: MODEL_CHECK_SCOPE, preemptions: 2, scenarios: only });
    expect(report.scenarios[0]!.pauses).toContain("unwire: pages unwired, map unlocked");
    // As if unwire's unlocked phase were labelled as wire's.
    const relabelled = { ...report, scenarios: report.scenarios.map((r) => ({ ...r, pauses: r.pauses.map((p) => p.replace("unwire: pages unwired", "unwire: pages faulted in")) })) };
    const drift = scheduleDrift(relabelled, manifest).filter((d) => d.startsWith("wire-unwire-remove:"));
    expect(drift).toEqual(['wire-unwire-remove: suspended at "unwire: pages faulted in, map unlocked" (not in the manifest), never at "unwire: pages unwired, map unlocked" (in the manifest)']);
  });

  it("reports scenarios missing on either side", () => {
    const only = scenarios(MODEL_CHECK_SCOPE).slice(0, 1);
    const report = exhaustive({ scope: MODEL_CHECK_SCOPE, preemptions: 2, scenarios: only });
    expect(scheduleDrift(report, manifest).filter((d) => d.endsWith("in the manifest, not run"))).toHaveLength(Object.keys(manifest["2"]!).length - 1);
    expect(scheduleDrift({ ...report, preemptions: 9 }, manifest)).toEqual(["the manifest has no counts for 9 preemptions"]);
  });
});

describe("timestamps across thread steps", () => {
  it("a thread step that takes a map's timestamp back fails timestamp-monotone", () => {
    // Waiting for its acknowledgements, the thread winds every map's version counter back past its own write lock's bump.
    class TimestampBack extends SuspendableOps {
      override *awaitShootdowns(s: Parameters<SuspendableOps["awaitShootdowns"]>[0], t: number): ReturnType<SuspendableOps["awaitShootdowns"]> {
        for (const m of this.kernel.everyMap.values()) m.timestamp -= 2;
        yield* super.awaitShootdowns(s, t);
      }
    }
    const only = scenarios(MODEL_CHECK_SCOPE).filter((s) => s.name === "remove-vs-stale-loads");
    const report = exhaustive({ scope: MODEL_CHECK_SCOPE, preemptions: 0, scenarios: only, suspendable: TimestampBack });
    expect(report.scenarios[0]!.failure?.check).toBe("timestamp-monotone");
  });
});
