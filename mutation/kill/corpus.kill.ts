/**
 * The counterexample corpus as a kill test: every file in counterexamples/ — each a command
 * sequence the model checker once found and minimized — replayed against the implementation,
 * which must pass them all (a planted bug's file too: the real implementation passes it). It is
 * the checker's own regression suite, which `npm test` replays forever after, so a mutant that
 * brings back a bug the checker once found is killed here even when the bounded campaigns do
 * not line the same states up again. A replay is a few commands: the whole corpus takes about
 * a second. (That the manifest lists every file is `npm test`'s to check: no mutant of impl/
 * can change it.)
 *
 * The planted bugs' files are replayed a second time, with their plant, and must still fail
 * with the check and at the step the manifest records: the checker's own teeth. A mutant that
 * blunts a check (a lock-order rule, a wakeup's reason, the real-time order of linearizability)
 * passes every correct run, so only a known-bad run can tell it from the real code.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCounterexample } from "../../model-check/counterexample.ts";
import { replayCommands } from "../../model-check/lockstep.ts";
import { readManifest } from "../../model-check/manifest.ts";
import { PLANTED_BUGS } from "../../test/planted/bugs.ts";

const root = "counterexamples";

describe("counterexample corpus, replayed against the implementation", () => {
  it("passes every counterexample", () => {
    const failed: string[] = [];
    for (const entry of readManifest(join(root, "manifest.json")).entries) {
      const cx = readCounterexample(join(root, entry.file));
      const outcome = replayCommands(cx.commands, { scope: cx.scope });
      if (!outcome.ok) failed.push(`${entry.file}: ${outcome.check} at step ${outcome.step}: ${outcome.message}`);
    }
    expect(failed).toEqual([]);
  });

  it("fails every planted bug's counterexample with its check, at its last step", () => {
    const missed: string[] = [];
    for (const entry of readManifest(join(root, "manifest.json")).entries) {
      if (entry.plant === undefined) continue;
      const plant = PLANTED_BUGS[entry.plant];
      const cx = readCounterexample(join(root, entry.file));
      const outcome = replayCommands(cx.commands, { scope: cx.scope, ...(plant ? { kernel: plant.kernel } : {}), ...(plant?.suspendable ? { suspendable: plant.suspendable } : {}) });
      const check = entry.check ?? cx.failure.check;
      if (plant === undefined) missed.push(`${entry.file}: unknown plant ${entry.plant}`);
      else if (outcome.ok) missed.push(`${entry.file}: passed, expected ${check}`);
      else if (outcome.check !== check || outcome.step !== cx.commands.length - 1) missed.push(`${entry.file}: ${outcome.check} at step ${outcome.step}, expected ${check} at step ${cx.commands.length - 1}`);
    }
    expect(missed).toEqual([]);
  });
});
