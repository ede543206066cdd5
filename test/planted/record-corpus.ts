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
import { PROFILES, runCampaign } from "../../model-check/campaign.ts";
import { DEFAULT_CHECK } from "../../model-check/cli.ts";
import { encodeCounterexample, readCounterexample } from "../../model-check/counterexample.ts";
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
  const report = runCampaign({ ...DEFAULT_CHECK, ops: PROFILES[bug.profile], kernel: bug.kernel, outDir: "/tmp/vmcheck-corpus", foundBy: `planted bug ${name} (profile ${bug.profile})` });
  if (report.ok || !report.counterexample?.file) throw new Error(`${name} not found`);
  const file = join("planted", `${name}.json`);
  writeFileSync(join(root, file), encodeCounterexample(readCounterexample(report.counterexample.file)));
  planted.push({ file, expect: "fail", check: report.counterexample.check, plant: name, note: bug.description });
  console.log(`${name}: ${report.counterexample.length} commands, ${report.counterexample.check}`);
}
writeFileSync(manifestFile, JSON.stringify({ ...manifest, entries: [...kept, ...planted] }, null, 2) + "\n");
