/**
 * `npm run mutation [-- SUBSYSTEM… | --all] [--concurrency N] [--force]`: mutation testing of
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
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { Stryker } from "@stryker-mutator/core";
import type { MutantResult } from "@stryker-mutator/api/core";
import { equivalenceKey, loadEquivalents, type EquivalentMutant } from "./equivalents.ts";
import { SUBSYSTEMS, type SubsystemName } from "./subsystems.ts";
import { scoreOf, type SubsystemScore } from "./score.ts";

interface RunOptions {
  readonly subsystems: readonly SubsystemName[];
  readonly concurrency: number;
  readonly force: boolean;
}

function parseArgs(argv: readonly string[]): RunOptions {
  const names: SubsystemName[] = [];
  let concurrency = 2;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--concurrency") concurrency = Number(argv[++i]);
    else if (a === "--force") force = true;
    else if (a === "--all") names.push(...(Object.keys(SUBSYSTEMS) as SubsystemName[]).filter((n) => SUBSYSTEMS[n].files.length > 0));
    else if (a in SUBSYSTEMS) names.push(a as SubsystemName);
    else throw new Error(`unknown subsystem or flag ${JSON.stringify(a)}; subsystems: ${Object.keys(SUBSYSTEMS).join(", ")}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error("--concurrency must be a positive integer");
  if (names.length === 0) throw new Error(`name a subsystem (${Object.keys(SUBSYSTEMS).join(", ")}) or --all`);
  return { subsystems: names, concurrency, force };
}

/** The source text a mutant replaces, read from its file (Stryker reports 1-based lines, 0-based columns). */
function originalText(m: MutantResult, sources: Map<string, string[]>): string {
  let lines = sources.get(m.fileName);
  if (!lines) {
    lines = readFileSync(m.fileName, "utf8").split("\n");
    sources.set(m.fileName, lines);
  }
  const { start, end } = m.location;
  if (start.line === end.line) return lines[start.line - 1]!.slice(start.column, end.column);
  const parts = [lines[start.line - 1]!.slice(start.column), ...lines.slice(start.line, end.line - 1), lines[end.line - 1]!.slice(0, end.column)];
  return parts.join("\n");
}

async function runSubsystem(name: SubsystemName, options: RunOptions, equivalents: readonly EquivalentMutant[]): Promise<SubsystemScore> {
  const subsystem = SUBSYSTEMS[name];
  if (subsystem.files.length === 0) throw new Error(`subsystem ${name}: ${subsystem.note}`);
  const stryker = new Stryker({
    testRunner: "vitest",
    plugins: ["@stryker-mutator/vitest-runner"],
    vitest: { configFile: "mutation/vitest.config.ts", related: false },
    mutate: [...subsystem.files],
    coverageAnalysis: "perTest",
    incremental: true,
    incrementalFile: `mutation/incremental/${name}.json`,
    force: options.force,
    concurrency: options.concurrency,
    reporters: ["json", "progress"],
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    tempDirName: ".stryker-tmp",
    // Stryker rewrites tsconfig.json in its sandbox through the TypeScript JS API, which
    // TypeScript 7 (the native compiler this project uses) no longer has. Our tsconfig has no
    // `extends` or project references for it to rewrite, so it is pointed at nothing.
    tsconfigFile: "mutation/.no-tsconfig.json",
    cleanTempDir: true,
    // The campaigns are bounded by runs, not time; a mutant that loops forever is a timeout.
    timeoutMS: 20_000,
    timeoutFactor: 2,
  });
  const results = await stryker.runMutationTest();
  const sources = new Map<string, string[]>();
  const described = results.map((m) => ({ mutant: m, original: originalText(m, sources) }));
  const keys = new Set(equivalents.map(equivalenceKey));
  const score = scoreOf(name, described.map(({ mutant, original }) => ({
    status: mutant.status,
    equivalent: keys.has(equivalenceKey({ file: relative(process.cwd(), mutant.fileName), mutator: mutant.mutatorName, original, replacement: mutant.replacement })),
  })));
  mkdirSync("mutation/results", { recursive: true });
  writeFileSync(`mutation/results/${name}.json`, `${JSON.stringify(score, null, 2)}\n`);
  const survivors = described
    .filter(({ mutant }) => mutant.status === "Survived" || mutant.status === "NoCoverage")
    .filter(({ mutant, original }) => !keys.has(equivalenceKey({ file: relative(process.cwd(), mutant.fileName), mutator: mutant.mutatorName, original, replacement: mutant.replacement })))
    .map(({ mutant, original }) =>
      `${relative(process.cwd(), mutant.fileName)}:${mutant.location.start.line}:${mutant.location.start.column + 1} ${mutant.status} ${mutant.mutatorName}\n  - ${original.replaceAll("\n", "\n    ")}\n  + ${mutant.replacement.replaceAll("\n", "\n    ")}`);
  writeFileSync(`mutation/results/${name}-survivors.txt`, survivors.length ? `${survivors.join("\n")}\n` : "");
  return score;
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
