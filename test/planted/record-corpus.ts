/**
 * Regenerates counterexamples/planted/*.json and their manifest entries: runs the default
 * campaign against each planted bug and stores the minimized counterexample.
 *
 *   npx tsx test/planted/record-corpus.ts [PLANT…]
 *
 * With plant names, only those are (re)recorded; the other entries stay as they are.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { MODEL_CHECK_SCOPE, PROFILE_WEIGHTS, PROFILES, runCampaign } from "../../model-check/campaign.ts";
import { exhaustive } from "../../model-check/concurrency/exhaustive.ts";
import { DEFAULT_CHECK } from "../../model-check/cli.ts";
import { CURRENT_VERSION, encodeCounterexample, FORMAT, readCounterexample, type Counterexample } from "../../model-check/counterexample.ts";
import { readManifest, type ManifestEntry } from "../../model-check/manifest.ts";
import { PLANTED_BUGS } from "./bugs.ts";

const root = "counterexamples";
const manifestFile = join(root, "manifest.json");
const manifest = readManifest(manifestFile);
const only = process.argv.slice(2);
const chosen = (plant: string): boolean => only.length === 0 || only.includes(plant);
const kept = manifest.entries.filter((e) => e.plant === undefined || !chosen(e.plant));
const planted: ManifestEntry[] = [];
for (const [name, bug] of Object.entries(PLANTED_BUGS)) {
  if (!chosen(name)) continue;
  const file = join("planted", `${name}.json`);
  if (bug.exhaustive) {
    // Found by the exhaustive mode: its shortest failing schedule is the counterexample.
    const found = exhaustive({ scope: MODEL_CHECK_SCOPE, kernel: bug.kernel, suspendable: bug.suspendable! }).scenarios.find((r) => r.failure)?.failure;
    if (!found) throw new Error(`${name} not found by the exhaustive mode`);
    const cx: Counterexample = {
      format: FORMAT, version: CURRENT_VERSION, scope: MODEL_CHECK_SCOPE, seed: 0, commands: found.commands,
      failure: { check: found.check, step: found.step, message: found.message }, foundBy: `planted bug ${name} (vmcheck check --exhaustive)`,
    };
    writeFileSync(join(root, file), encodeCounterexample(cx));
    planted.push({ file, expect: "fail", check: found.check, plant: name, note: bug.description });
    console.log(`${name}: ${found.commands.length} commands, ${found.check} (exhaustive)`);
    continue;
  }
  const weights = PROFILE_WEIGHTS[bug.profile];
  const report = runCampaign({ ...DEFAULT_CHECK, ops: PROFILES[bug.profile], ...(weights ? { weights } : {}), kernel: bug.kernel, ...(bug.suspendable ? { suspendable: bug.suspendable } : {}), outDir: "/tmp/vmcheck-corpus", foundBy: `planted bug ${name} (profile ${bug.profile})` });
  if (report.ok || !report.counterexample?.file) throw new Error(`${name} not found`);
  writeFileSync(join(root, file), encodeCounterexample(readCounterexample(report.counterexample.file)));
  planted.push({ file, expect: "fail", check: report.counterexample.check, plant: name, note: bug.description });
  console.log(`${name}: ${report.counterexample.length} commands, ${report.counterexample.check}`);
}
writeFileSync(manifestFile, JSON.stringify({ ...manifest, entries: [...kept, ...planted] }, null, 2) + "\n");
