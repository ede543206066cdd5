/**
 * The exhaustive mode's manifest of expected schedule counts (model-check/concurrency/schedules.json),
 * in the manner of TLA+ Examples' manifest of expected state counts: for each preemption bound,
 * how many complete schedules and how many prefixes each scenario has, and every place its
 * threads were suspended (Scheduler.pausedAt, in the operation's own words). The counts are a
 * fingerprint of the concurrency model itself — where threads block, yield and wake — so a
 * change that adds or removes a suspension point, grants a lock it should wait for, or wakes a
 * thread it should not, changes them even when every schedule still passes; the list of places
 * shows a reader what each scenario exercises, and changes when a suspension point moves or is
 * described differently. `npm test` and the
 * mutation kill suite compare them; after a deliberate change to the model, regenerate with
 * `npx tsx model-check/concurrency/schedule-manifest.ts` and say why in the commit.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { MODEL_CHECK_SCOPE } from "../campaign.ts";
import { exhaustive, type ExhaustiveReport } from "./exhaustive.ts";

export const SCHEDULE_MANIFEST = "model-check/concurrency/schedules.json";
/** The preemption bounds the manifest records: the CLI's default, and the kill suite's. */
export const MANIFEST_BOUNDS = [2, 4] as const;

type Counts = Record<string, { readonly schedules: number; readonly prefixes: number; readonly pauses: readonly string[] }>;
export type ScheduleManifest = Record<string, Counts>;

export function countsOf(report: ExhaustiveReport): Counts {
  return Object.fromEntries(report.scenarios.map((s) => [s.name, { schedules: s.schedules, prefixes: s.prefixes, pauses: s.pauses }]));
}

export function readScheduleManifest(path = SCHEDULE_MANIFEST): ScheduleManifest {
  return JSON.parse(readFileSync(path, "utf8")) as ScheduleManifest;
}

/** Every difference between a run's counts and the manifest's at that bound, one line each. */
export function scheduleDrift(report: ExhaustiveReport, manifest: ScheduleManifest): string[] {
  const want = manifest[String(report.preemptions)];
  if (want === undefined) return [`the manifest has no counts for ${report.preemptions} preemptions`];
  const got = countsOf(report);
  const out: string[] = [];
  for (const name of new Set([...Object.keys(want), ...Object.keys(got)])) {
    const w = want[name], g = got[name];
    if (w === undefined) out.push(`${name}: not in the manifest (${g!.schedules} schedules, ${g!.prefixes} prefixes)`);
    else if (g === undefined) out.push(`${name}: in the manifest, not run`);
    else {
      if (w.schedules !== g.schedules || w.prefixes !== g.prefixes)
        out.push(`${name}: ${g.schedules} schedules and ${g.prefixes} prefixes, the manifest says ${w.schedules} and ${w.prefixes}`);
      const missing = w.pauses.filter((p) => !g.pauses.includes(p)), extra = g.pauses.filter((p) => !w.pauses.includes(p));
      if (missing.length + extra.length > 0)
        out.push(`${name}: suspended ${[...extra.map((p) => `at "${p}" (not in the manifest)`), ...missing.map((p) => `never at "${p}" (in the manifest)`)].join(", ")}`);
    }
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const manifest: ScheduleManifest = {};
  for (const p of MANIFEST_BOUNDS) manifest[String(p)] = countsOf(exhaustive({ scope: MODEL_CHECK_SCOPE, preemptions: p }));
  writeFileSync(SCHEDULE_MANIFEST, JSON.stringify(manifest, null, 2) + "\n");
  console.log(`wrote ${SCHEDULE_MANIFEST}`);
}
