/**
 * The counterexample corpus as a kill test: every file in counterexamples/ — each a command
 * sequence the model checker once found and minimized — replayed against the implementation,
 * which must pass them all (a planted bug's file too: the real implementation passes it). It is
 * the checker's own regression suite, which `npm test` replays forever after, so a mutant that
 * brings back a bug the checker once found is killed here even when the bounded campaigns do
 * not line the same states up again. A replay is a few commands: the whole corpus takes about
 * a second. (That the manifest lists every file is `npm test`'s to check: no mutant of impl/
 * can change it.)
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCounterexample } from "../../model-check/counterexample.ts";
import { replayCommands } from "../../model-check/lockstep.ts";
import { readManifest } from "../../model-check/manifest.ts";

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
});
