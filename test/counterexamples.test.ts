import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { readCounterexample } from "../model-check/counterexample.ts";
import { replayCommands } from "../model-check/lockstep.ts";
import { readManifest } from "../model-check/manifest.ts";
import { PLANTED_BUGS } from "./planted/bugs.ts";

/**
 * The corpus: every counterexample in counterexamples/ is replayed with the outcome its
 * manifest entry expects, without fast-check's generator.
 */
const root = "counterexamples";
const manifest = readManifest(join(root, "manifest.json"));

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? jsonFiles(join(dir, d.name)) : d.name.endsWith(".json") && d.name !== "manifest.json" ? [join(dir, d.name)] : [],
  );
}

describe("counterexample corpus", () => {
  it("lists every counterexample file in the manifest, and only existing ones", () => {
    const listed = manifest.entries.map((e) => e.file).sort();
    expect(jsonFiles(root).map((f) => relative(root, f)).sort()).toEqual(listed);
  });

  it("keeps a counterexample of every planted bug", () => {
    // Found missing on 2026-11-29: plant 63's was never recorded (npx tsx test/planted/record-corpus.ts NAME).
    const recorded = new Set(manifest.entries.flatMap((e) => (e.plant === undefined ? [] : [e.plant])));
    expect(Object.keys(PLANTED_BUGS).filter((name) => !recorded.has(name))).toEqual([]);
  });

  for (const entry of manifest.entries) {
    const cx = readCounterexample(join(root, entry.file));
    const plant = entry.plant === undefined ? undefined : PLANTED_BUGS[entry.plant];

    it(`${entry.file}: ${entry.expect}${entry.check ? ` (${entry.check})` : ""} — ${entry.note}`, () => {
      if (entry.plant !== undefined) expect(plant, `unknown plant ${entry.plant}`).toBeDefined();
      const outcome = replayCommands(cx.commands, { scope: cx.scope, ...(plant ? { kernel: plant.kernel } : {}), ...(plant?.suspendable ? { suspendable: plant.suspendable } : {}) });
      if (entry.expect === "pass") expect(outcome.ok, outcome.ok ? "" : outcome.message).toBe(true);
      else {
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) {
          expect(outcome.check).toBe(entry.check ?? cx.failure.check);
          expect(outcome.step).toBe(cx.commands.length - 1);
        }
      }
    });

    if (plant)
      it(`${entry.file}: the real implementation passes it`, () => {
        const outcome = replayCommands(cx.commands, { scope: cx.scope });
        expect(outcome.ok, outcome.ok ? "" : outcome.message).toBe(true);
      });
  }
});
