/**
 * `npx tsx mutation/prune-equivalents.ts [--write]`: the records of mutation/equivalent.json that
 * can no longer apply — their line is gone from today's source, and no mutant of any row's last
 * report (mutation/incremental/) is covered by them, so neither a future run nor a `--rescore`
 * of an old report can use them. Lists them; with `--write`, removes them. A record whose line
 * is gone but that still covers a mutant of an old report stays (that row's score rests on it)
 * until the row is run again at today's code.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { coveringKey, equivalenceKey, loadEquivalents, type EquivalentMutant, type Report } from "./equivalents.ts";

const EQUIVALENTS = "mutation/equivalent.json";
const REPORTS = "mutation/incremental";

/** Keys of the records that cover at least one mutant of some last report. */
function keysInReports(keys: ReadonlySet<string>): Set<string> {
  const used = new Set<string>();
  for (const name of readdirSync(REPORTS).filter((f) => f.endsWith(".json"))) {
    const report = JSON.parse(readFileSync(join(REPORTS, name), "utf8")) as Report;
    for (const [file, { source, mutants }] of Object.entries(report.files)) {
      const lines = source.split("\n");
      for (const m of mutants) {
        const key = coveringKey(keys, file, m, lines);
        if (key !== undefined) used.add(key);
      }
    }
  }
  return used;
}

/** Whether the record's line is still somewhere in its file today. */
function lineStillThere(r: EquivalentMutant): boolean {
  if (!existsSync(r.file)) return false;
  return readFileSync(r.file, "utf8").split("\n").some((l) => l.trim() === r.line);
}

function main(argv: readonly string[]): void {
  const write = argv.includes("--write");
  const unknown = argv.filter((a) => a !== "--write");
  if (unknown.length > 0) throw new Error(`usage: prune-equivalents.ts [--write] (unknown: ${unknown.join(" ")})`);
  const records = loadEquivalents(EQUIVALENTS);
  const used = keysInReports(new Set(records.map(equivalenceKey)));
  const dead = records.filter((r) => !lineStillThere(r) && !used.has(equivalenceKey(r)));
  for (const r of dead) console.log(`${r.file} ${r.mutator}: ${r.line.slice(0, 70)} — ${r.original.split("\n")[0]} → ${r.replacement.split("\n")[0]}`);
  console.log(`${dead.length} of ${records.length} records can no longer apply${dead.length > 0 && !write ? " (--write removes them)" : ""}`);
  if (write && dead.length > 0) {
    const gone = new Set(dead);
    writeFileSync(EQUIVALENTS, `${JSON.stringify(records.filter((r) => !gone.has(r)), null, 2)}\n`);
  }
}

main(process.argv.slice(2));
