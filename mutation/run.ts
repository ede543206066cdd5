/**
 * `npm run mutation [-- SUBSYSTEM… | --all] [--concurrency N] [--force] [--rescore] [--campaigns P,…] [--verify-equivalents] [--drop-refuted]`: mutation testing of
 * impl/ with StrykerJS, one subsystem at a time, the bounded model-check campaigns of
 * mutation/kill/ as the only tests that kill mutants.
 *
 * Each subsystem keeps its own incremental file (mutation/incremental/SUBSYSTEM.json, committed),
 * so a rerun after a change tests only the mutants whose code or tests changed. The summary of
 * every run (mutants, killed, survived, timed out, equivalent, score) is written to
 * mutation/results/SUBSYSTEM.json, and the surviving mutants, each with its source line, to
 * mutation/results/SUBSYSTEM-survivors.txt for triage: strengthen a generator, an invariant or
 * the refinement check until the mutant dies, or record it in mutation/equivalent.json with the
 * reason it cannot change any observable behaviour.
 *
 * `--campaigns P,…` runs only the kill campaigns of those profiles instead of the row's own
 * list: a quicker run whose score is a lower bound (a smaller kill suite can only kill fewer).
 *
 * Mutants covered by a record of mutation/equivalent.json are not run (the checker plugin of
 * mutation/equivalence-checker.ts holds them back; they are scored as equivalent): each would
 * survive the row's whole kill suite, which made them most of a whole run's time.
 * `--verify-equivalents` runs them too, so that a record a stronger check has since refuted is
 * found (reported as refuted, to be removed: `--drop-refuted` removes them, on a run or a
 * `--rescore`).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Stryker } from "@stryker-mutator/core";
import { coveringKey, equivalenceKey, heldBack, judgeRecords, loadEquivalents, originalText, undetected, type EquivalentMutant, type Report } from "./equivalents.ts";
import { CHECKER_NAME } from "./equivalence-checker.ts";
import { inSubsystem, SUBSYSTEMS, type Subsystem, type SubsystemName } from "./subsystems.ts";
import { PROFILES } from "../model-check/campaign.ts";
import { scoreOf, type SubsystemScore } from "./score.ts";

interface RunOptions {
  readonly subsystems: readonly SubsystemName[];
  readonly concurrency: number;
  readonly force: boolean;
  /** Only re-score the last run's report (after recording equivalents); run no mutant. */
  readonly rescore: boolean;
  /** The kill campaigns' profiles, replacing each row's own list (a lower bound); undefined: the row's. */
  readonly campaigns: readonly string[] | undefined;
  /** Run the recorded equivalents too (otherwise held back, scored as equivalent). */
  readonly verifyEquivalents: boolean;
  /** Remove the records the report refutes (a killed mutant they cover) from mutation/equivalent.json. */
  readonly dropRefuted: boolean;
}

function parseArgs(argv: readonly string[]): RunOptions {
  const names: SubsystemName[] = [];
  let concurrency = 2;
  let force = false;
  let rescore = false;
  let campaigns: string[] | undefined;
  let verifyEquivalents = false;
  let dropRefuted = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--concurrency") concurrency = Number(argv[++i]);
    else if (a === "--campaigns") {
      campaigns = (argv[++i] ?? "").split(",").filter(Boolean);
      const unknown = campaigns.filter((p) => !(p in PROFILES));
      if (campaigns.length === 0 || unknown.length > 0) throw new Error(`--campaigns takes profiles (${Object.keys(PROFILES).join(", ")}), not ${JSON.stringify(argv[i])}`);
    }
    else if (a === "--force") force = true;
    else if (a === "--rescore") rescore = true;
    else if (a === "--verify-equivalents") verifyEquivalents = true;
    else if (a === "--drop-refuted") dropRefuted = true;
    else if (a === "--all") names.push(...(Object.keys(SUBSYSTEMS) as SubsystemName[]).filter((n) => SUBSYSTEMS[n].files.length > 0));
    else if (a in SUBSYSTEMS) names.push(a as SubsystemName);
    else throw new Error(`unknown subsystem or flag ${JSON.stringify(a)}; subsystems: ${Object.keys(SUBSYSTEMS).join(", ")}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error("--concurrency must be a positive integer");
  if (names.length === 0) throw new Error(`name a subsystem (${Object.keys(SUBSYSTEMS).join(", ")}) or --all`);
  return { subsystems: names, concurrency, force, rescore, campaigns, verifyEquivalents, dropRefuted };
}

/**
 * Score a subsystem from the report of its last run (the incremental file, which holds every
 * mutant with the source it was made from), with the equivalents taken out, and write the
 * summary and the survivors. `--rescore` does only this: after recording equivalents, no rerun.
 */
function scoreReport(name: SubsystemName, equivalents: readonly EquivalentMutant[], dropRefuted = false): SubsystemScore {
  const report = JSON.parse(readFileSync(`mutation/incremental/${name}.json`, "utf8")) as Report;
  const keys = new Set(equivalents.map(equivalenceKey));
  // Only the row's own files: an incremental file written before a row was split keeps the
  // results of files that now belong to another row (Stryker does not drop them).
  const globs: readonly string[] = SUBSYSTEMS[name].files;
  const described = Object.entries(report.files).filter(([file]) => inSubsystem(file, globs)).flatMap(([file, { source, mutants }]) => {
    const lines = source.split("\n");
    return mutants.map((mutant) => {
      const original = originalText(mutant, lines);
      const replacement = mutant.replacement ?? "";
      const key = coveringKey(keys, file, mutant, lines);
      // Held back from the run by a record that has since been removed: undetected, not equivalent.
      const status = heldBack(mutant) ? "Survived" : mutant.status;
      return { file, mutant: { ...mutant, status }, original, replacement, equivalent: key !== undefined, key };
    });
  });
  const score = scoreOf(name, described.map(({ mutant, equivalent }) => ({ status: mutant.status, equivalent })));
  mkdirSync("mutation/results", { recursive: true });
  writeFileSync(`mutation/results/${name}.json`, `${JSON.stringify(score, null, 2)}\n`);
  const survivors = described
    .filter(({ mutant, equivalent }) => undetected(mutant) && !equivalent)
    .map(({ file, mutant, original, replacement }) =>
      `${file}:${mutant.location.start.line}:${mutant.location.start.column} ${mutant.status} ${mutant.mutatorName}\n  - ${original.replaceAll("\n", "\n    ")}\n  + ${replacement.replaceAll("\n", "\n    ")}`);
  writeFileSync(`mutation/results/${name}-survivors.txt`, survivors.length ? `${survivors.join("\n")}\n` : "");
  // A record says "nothing can observe this mutant", and a campaign killed it: the record is
  // wrong (a stronger check has refuted it) and must go. Listed, never silently kept. A record
  // that also covers a surviving mutant is not refuted but too broad (see judgeRecords).
  const covered = described.filter(({ equivalent }) => equivalent);
  const judged = judgeRecords(covered.map(({ mutant, key }) => ({ key: key!, killed: mutant.status === "Killed" })));
  const killedUnder = (keys: Set<string>) => covered.filter(({ mutant, key }) => mutant.status === "Killed" && keys.has(key!));
  const refuted = killedUnder(judged.refuted);
  for (const { file, mutant, original, replacement } of killedUnder(judged.ambiguous))
    console.warn(`equivalence record also covers a killed mutant (make it name its own place, e.g. by the line above): ${file}:${mutant.location.start.line} ${mutant.mutatorName} ${JSON.stringify(original)} -> ${JSON.stringify(replacement)}`);
  const advice = dropRefuted ? "removed from mutation/equivalent.json" : "remove it from mutation/equivalent.json, or rescore with --drop-refuted";
  for (const { file, mutant, original, replacement } of refuted)
    console.warn(`refuted equivalence record (the mutant was killed; ${advice}): ${file}:${mutant.location.start.line} ${mutant.mutatorName} ${JSON.stringify(original)} -> ${JSON.stringify(replacement)}`);
  if (dropRefuted && refuted.length > 0) {
    // The refuted mutants now count as killed: score again without their records.
    const gone = new Set(refuted.map(({ key }) => key));
    const kept = equivalents.filter((r) => !gone.has(equivalenceKey(r)));
    writeFileSync("mutation/equivalent.json", `${JSON.stringify(kept, null, 2)}\n`);
    return scoreReport(name, kept);
  }
  return score;
}

async function runSubsystem(name: SubsystemName, options: RunOptions, equivalents: readonly EquivalentMutant[]): Promise<SubsystemScore> {
  if (options.rescore) return scoreReport(name, equivalents, options.dropRefuted);
  const subsystem: Subsystem = SUBSYSTEMS[name];
  if (subsystem.files.length === 0) throw new Error(`subsystem ${name}: ${subsystem.note}`);
  // Read by the kill campaigns in the test runner processes Stryker forks (they inherit it).
  const campaigns = options.campaigns ?? subsystem.campaigns;
  if (campaigns) process.env["VMCHECK_KILL_PROFILES"] = campaigns.join(",");
  else delete process.env["VMCHECK_KILL_PROFILES"];
  process.env["VMCHECK_KILL_ORACLE_TESTS"] = (subsystem.oracleTests ?? []).join(",");
  const stryker = new Stryker({
    testRunner: "vitest",
    plugins: ["@stryker-mutator/vitest-runner", ...(options.verifyEquivalents ? [] : [fileURLToPath(new URL("./equivalence-checker-plugin.mjs", import.meta.url))])],
    checkers: options.verifyEquivalents ? [] : [CHECKER_NAME],
    // The checker is TypeScript: its processes get the loader this script runs under.
    checkerNodeArgs: ["--import", "tsx"],
    vitest: { configFile: "mutation/vitest.config.ts", related: false },
    mutate: [...subsystem.files],
    coverageAnalysis: "perTest",
    incremental: true,
    incrementalFile: `mutation/incremental/${name}.json`,
    force: options.force,
    concurrency: options.concurrency,
    reporters: ["json", "progress"],
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    // One sandbox folder per subsystem, so that two subsystems can run side by side.
    tempDirName: `.stryker-tmp/${name}`,
    // Not copied into a sandbox: the other runs' sandboxes, reports, campaign output.
    ignorePatterns: [".stryker-tmp", "reports", "out", ".vmcheck"],
    // Stryker rewrites tsconfig.json in its sandbox through the TypeScript JS API, which
    // TypeScript 7 (the native compiler this project uses) no longer has. Our tsconfig has no
    // `extends` or project references for it to rewrite, so it is pointed at nothing.
    tsconfigFile: "mutation/.no-tsconfig.json",
    cleanTempDir: true,
    // The campaigns are bounded by runs, not time; a mutant that loops forever is a timeout.
    timeoutMS: 20_000,
    timeoutFactor: 2,
  });
  await stryker.runMutationTest();
  return scoreReport(name, equivalents, options.dropRefuted);
}

function formatTable(scores: readonly SubsystemScore[]): string {
  const head = "subsystem  mutants  killed  timeout  survived  no-cover  equivalent  invalid  score";
  const rows = scores.map((s) =>
    [s.subsystem.padEnd(9), String(s.mutants).padStart(8), String(s.killed).padStart(7), String(s.timedOut).padStart(8),
      String(s.survived).padStart(9), String(s.noCoverage).padStart(9), String(s.equivalent).padStart(11), String(s.invalid).padStart(8),
      `${(s.score * 100).toFixed(1)}%`.padStart(7)].join(" "));
  return [head, ...rows].join("\n");
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const equivalents = loadEquivalents("mutation/equivalent.json");
  const scores: SubsystemScore[] = [];
  for (const name of options.subsystems) scores.push(await runSubsystem(name, options, equivalents));
  console.log(`\n${formatTable(scores)}\n`);
  console.log("score = (killed + timed out) / (mutants − equivalent − invalid); survivors listed in mutation/results/*-survivors.txt");
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
});
