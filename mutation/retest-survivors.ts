/**
 * `npx tsx mutation/retest-survivors.ts SUBSYSTEM [FILE:FROM-TO]… [--workers N] [--drop-gone] [--equivalents [--write]]`: run the kill
 * campaigns again against the last run's surviving mutants (all of them, or those on the given
 * lines of the report's source; recorded equivalents are skipped), and record each one the
 * campaigns now kill.
 *
 * What it is for: after a check was strengthened, only the survivors can change (a killed mutant
 * stays killed: the campaigns generate the same commands and a stronger check fails at the same
 * point or earlier), but Stryker's incremental mode re-runs every mutant as soon as any test file
 * changed, which for the larger rows costs over an hour. This runs the survivors alone.
 *
 * How: each mutant is applied to the current source as Stryker described it (its original text,
 * found on the same line text nearest its old line, replaced by its replacement), in a sandbox
 * copy of the project, and the kill suite (mutation/vitest.config.ts, the row's campaigns) runs
 * there (each sandbox first runs the suite unmutated, which must pass). A failing suite kills it; the report (mutation/incremental/SUBSYSTEM.json) records it as
 * Killed with a `statusReason` naming this tool and the commit. A mutant whose text is no longer
 * in the source is left as it was and listed: `npm run mutation -- SUBSYSTEM --force` re-runs
 * the whole row. With `--drop-gone` such a mutant is taken out of the report instead, as a
 * full run would leave it out — for code that was deleted, not for a line that was only
 * edited (a full run mutates the edited line afresh); the tool lists every one it drops.
 * Afterwards, `npm run mutation -- SUBSYSTEM --rescore` writes the score.
 *
 * `--equivalents` audits the row's records instead: it runs the kill suite against the mutants
 * of the report that a record of mutation/equivalent.json covers (held back from runs, so a
 * check added since the record was written is never put to them otherwise), and lists every
 * record refuted — all of its mutants killed. With `--write` the refuted records are removed
 * from mutation/equivalent.json. The same audit as `npm run mutation -- SUBSYSTEM --force
 * --verify-equivalents`, without re-running the row's other mutants.
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { coveringKey, equivalenceKey, judgeRecords, loadEquivalents, originalText, undetected, type ReportedMutant } from "./equivalents.ts";
import { inSubsystem, SUBSYSTEMS, type Subsystem, type SubsystemName } from "./subsystems.ts";

interface LineRange {
  readonly file: string;
  readonly from: number;
  readonly to: number;
}

interface Options {
  readonly subsystem: SubsystemName;
  readonly lines: readonly LineRange[];
  readonly workers: number;
  readonly dropGone: boolean;
  /** Audit the recorded equivalents instead of retesting the survivors. */
  readonly equivalents: boolean;
  /** With `equivalents`: remove the refuted records from mutation/equivalent.json. */
  readonly write: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  let subsystem: SubsystemName | undefined;
  const lines: LineRange[] = [];
  let workers = 2, dropGone = false, equivalents = false, write = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--workers") workers = Number(argv[++i]);
    else if (a === "--drop-gone") dropGone = true;
    else if (a === "--equivalents") equivalents = true;
    else if (a === "--write") write = true;
    else if (a in SUBSYSTEMS && subsystem === undefined) subsystem = a as SubsystemName;
    else {
      const m = /^(.+):(\d+)-(\d+)$/.exec(a);
      if (!m || Number(m[2]) > Number(m[3])) throw new Error(`expected a subsystem (${Object.keys(SUBSYSTEMS).join(", ")}) and FILE:FROM-TO line ranges, not ${JSON.stringify(a)}`);
      lines.push({ file: m[1]!, from: Number(m[2]), to: Number(m[3]) });
    }
  }
  if (subsystem === undefined) throw new Error("name a subsystem");
  if (!Number.isInteger(workers) || workers < 1) throw new Error("--workers must be a positive integer");
  if (write && !equivalents) throw new Error("--write only goes with --equivalents (it removes refuted records)");
  return { subsystem, lines, workers, dropGone, equivalents, write };
}

/** A mutant of the report, mutable where this tool records its new status. */
type Mutant = ReportedMutant & { status: string; statusReason?: string };
interface MutableReport {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

/** Where the mutant's original text now is in `current`: [from, to) offsets, or undefined. */
export function locate(oldSource: string, current: string, m: ReportedMutant): [number, number] | undefined {
  const oldLines = oldSource.split("\n");
  const original = originalText(m, oldLines);
  const { line, column } = m.location.start;
  const oldLine = oldLines[line - 1]!;
  // The text before the mutant on its line, without indentation: the anchor to find it by.
  const before = oldLine.slice(0, column - 1).trimStart();
  const lines = current.split("\n");
  const starts: number[] = [];
  for (let i = 0, at = 0; i < lines.length; at += lines[i]!.length + 1, i++) starts.push(at);
  let best: [number, number] | undefined;
  let bestDistance = Infinity;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.trim() !== oldLine.trim()) continue;
    const from = starts[i]! + (text.length - text.trimStart().length) + before.length;
    if (current.slice(from, from + original.length) !== original) continue;
    const distance = Math.abs(i + 1 - line);
    if (distance < bestDistance) [best, bestDistance] = [[from, from + original.length], distance];
  }
  return best;
}

/** A copy of the project's tracked files (and node_modules, linked) to mutate without touching the real one. */
function sandbox(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], { encoding: "utf8" }).split("\n").filter((f) => f && existsSync(f));
  for (const f of files) {
    mkdirSync(join(dir, dirname(f)), { recursive: true });
    cpSync(f, join(dir, f));
  }
  symlinkSync(join(process.cwd(), "node_modules"), join(dir, "node_modules"));
}

/** Run the kill suite in `dir`: true when it fails (the mutant is killed). */
function killSuiteFails(dir: string, profiles: string, oracleTests: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["vitest", "run", "--config", "mutation/vitest.config.ts", "--bail", "1"], {
      cwd: dir,
      env: { ...process.env, VMCHECK_KILL_PROFILES: profiles, VMCHECK_KILL_ORACLE_TESTS: oracleTests },
      stdio: "ignore",
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code !== 0));
  });
}

async function main(): Promise<void> {
  const { subsystem, lines, workers, dropGone, equivalents: audit, write } = parseArgs(process.argv.slice(2));
  const reportPath = `mutation/incremental/${subsystem}.json`;
  const report = JSON.parse(readFileSync(reportPath, "utf8")) as MutableReport;
  const profiles = (SUBSYSTEMS[subsystem].campaigns ?? []).join(",");
  const row: Subsystem = SUBSYSTEMS[subsystem];
  const oracleTests = (row.oracleTests ?? []).join(",");
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  const chosen = (file: string, line: number) => lines.length === 0 || lines.some((r) => r.file === file && r.from <= line && line <= r.to);
  // Recorded equivalents are skipped: they survive by argument, and each would cost a whole suite.
  // An audit (--equivalents) takes exactly those instead.
  const records = loadEquivalents("mutation/equivalent.json");
  const equivalent = new Set(records.map(equivalenceKey));
  const recordOf = (file: string, source: string, m: Mutant) => coveringKey(equivalent, file, m, source.split("\n"));
  // Only the row's own files: a report written before a row was split still holds the other
  // row's files (mutation/run.ts scores a row on its own files for the same reason).
  const ownFiles = Object.entries(report.files).filter(([file]) => inSubsystem(file, row.files));
  const todo = ownFiles.flatMap(([file, { source, mutants }]) =>
    mutants.filter((m) => undetected(m) && chosen(file, m.location.start.line) && (recordOf(file, source, m) !== undefined) === audit)
      .map((m) => ({ file, source, m, key: recordOf(file, source, m) })));
  const what = audit ? "mutants covered by equivalence records to audit" : "survivors to test again";
  console.log(`${subsystem}: ${todo.length} ${what}, ${workers} at a time (kill campaigns: ${profiles || "unit tests only"})`);
  const outcomes: { key: string; killed: boolean }[] = [];
  const moved: string[] = [];
  const gone = new Set<Mutant>();
  let killed = 0, done = 0;
  const queue = [...todo];
  const work = async (w: number): Promise<void> => {
    // A folder of this run's own: two retests at once (of different rows) must not share a sandbox.
    const dir = join(".stryker-tmp", `retest-${subsystem}-${process.pid}-${w}`);
    sandbox(dir);
    // The unmutated sandbox must pass, or every mutant would look killed.
    if (await killSuiteFails(dir, profiles, oracleTests)) throw new Error(`the kill suite fails in ${dir} without any mutant: fix that first`);
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      const { file, source, m, key } = job;
      const path = join(dir, file);
      const current = readFileSync(file, "utf8");
      const where = `${file}:${m.location.start.line} ${m.mutatorName} ${JSON.stringify(originalText(m, source.split("\n")))} -> ${JSON.stringify(m.replacement ?? "")}`;
      const at = locate(source, current, m);
      if (at === undefined) {
        moved.push(where);
        if (dropGone) gone.add(m);
        continue;
      }
      writeFileSync(path, current.slice(0, at[0]) + (m.replacement ?? "") + current.slice(at[1]));
      try {
        if (await killSuiteFails(dir, profiles, oracleTests)) {
          m.status = "Killed";
          m.statusReason = `killed by mutation/retest-survivors.ts at commit ${commit}`;
          killed++;
          if (key !== undefined) outcomes.push({ key, killed: true });
          console.log(`killed   ${where}`);
        } else {
          if (key !== undefined) outcomes.push({ key, killed: false });
          console.log(`survived ${where}`);
        }
      } finally {
        writeFileSync(path, current);
      }
      done++;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => work(w)));
  for (const f of Object.values(report.files)) f.mutants = f.mutants.filter((m) => !gone.has(m));
  writeFileSync(reportPath, JSON.stringify(report, null, 2));
  const goneNote = dropGone ? "dropped from the report, as a full run would leave them out" : "run the row with --force";
  console.log(`\n${subsystem}: ${done} tested, ${killed} killed, ${done - killed} still survive${moved.length ? `; ${moved.length} no longer in the source (${goneNote}):` : ""}`);
  for (const w of moved) console.log(`  ${w}`);
  if (audit) {
    const { refuted, ambiguous } = judgeRecords(outcomes);
    const audited = new Set(outcomes.map((o) => o.key)).size;
    console.log(`${subsystem}: ${audited} records audited, ${refuted.size} refuted${refuted.size ? ":" : ""}`);
    const describe = (r: (typeof records)[number]) => `  ${r.file}: ${r.mutator} ${JSON.stringify(r.original)} -> ${JSON.stringify(r.replacement)} on ${JSON.stringify(r.line)} (${r.reason})`;
    for (const r of records.filter((r) => refuted.has(equivalenceKey(r)))) console.log(describe(r));
    if (ambiguous.size) console.log(`${subsystem}: ${ambiguous.size} records cover a killed mutant and a surviving one (the same text in several places): make each name its own place`);
    for (const r of records.filter((r) => ambiguous.has(equivalenceKey(r)))) console.log(describe(r));
    if (refuted.size && write) {
      writeFileSync("mutation/equivalent.json", `${JSON.stringify(records.filter((r) => !refuted.has(equivalenceKey(r))), null, 2)}\n`);
      console.log(`removed from mutation/equivalent.json`);
    } else if (refuted.size) console.log(`remove them from mutation/equivalent.json (or run again with --write)`);
  }
  console.log(`now: npm run mutation -- ${subsystem} --rescore`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 2;
  });
