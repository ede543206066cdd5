/**
 * `npx tsx mutation/record-equivalents.ts SUBSYSTEM FILE:FIRST-LAST "reason" [--mutator NAME]… [--original TEXT]… [--replacement TEXT]…`:
 * record every mutant that survived the last run of SUBSYSTEM (or was not covered) on lines
 * FIRST..LAST of FILE as equivalent, with one reason, in mutation/equivalent.json. For a block
 * that shares one reason (code no operation can reach, a fast path whose two branches compute
 * the same answer); the records keep the source text, not the line, so edits elsewhere in the
 * file do not move them. Prints what it recorded: read it, every record is a claim.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { coveringKey, describeMutant, equivalenceKey, loadEquivalents, originalText, undetected, type EquivalentMutant, type Report } from "./equivalents.ts";

const EQUIVALENTS = "mutation/equivalent.json";

function main(argv: readonly string[]): void {
  const [subsystem, where, reason, ...rest] = argv;
  const m = /^(.+):(\d+)-(\d+)$/.exec(where ?? "");
  if (!subsystem || !m || !reason) throw new Error('usage: record-equivalents.ts SUBSYSTEM FILE:FIRST-LAST "reason" [--mutator NAME]… [--original TEXT]… [--replacement TEXT]…');
  const mutators = new Set<string>();
  const originals = new Set<string>();
  const replacements = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--mutator") mutators.add(rest[++i]!);
    else if (rest[i] === "--original") originals.add(rest[++i]!);
    else if (rest[i] === "--replacement") replacements.add(rest[++i]!);
    else throw new Error(`unknown flag ${rest[i]}`);
  }
  const [, file, first, last] = m;
  const report = JSON.parse(readFileSync(`mutation/incremental/${subsystem}.json`, "utf8")) as Report;
  const reported = report.files[file!];
  if (!reported) throw new Error(`${file} is not in the ${subsystem} report`);
  const lines = reported.source.split("\n");
  const records = loadEquivalents(EQUIVALENTS);
  const known = new Set(records.map(equivalenceKey));
  for (const mutant of reported.mutants) {
    if (!undetected(mutant)) continue;
    if (mutant.location.start.line < Number(first) || mutant.location.start.line > Number(last)) continue;
    if (mutators.size > 0 && !mutators.has(mutant.mutatorName)) continue;
    if (originals.size > 0 && !originals.has(originalText(mutant, lines))) continue;
    if (replacements.size > 0 && !replacements.has(mutant.replacement ?? "")) continue;
    // Already named exactly, so a run holds it back: nothing to add. (An older, less precise
    // record scores it but does not hold it back; the precise one is added beside it.)
    if (coveringKey(known, file!, mutant, lines) !== undefined) continue;
    const record: EquivalentMutant = { ...describeMutant(file!, mutant, lines), reason };
    known.add(equivalenceKey(record));
    records.push(record);
    console.log(`${file}:${mutant.location.start.line} ${mutant.mutatorName}: ${record.original.split("\n")[0]} → ${record.replacement.split("\n")[0]}`);
  }
  writeFileSync(EQUIVALENTS, `${JSON.stringify(records, null, 2)}\n`);
}

main(process.argv.slice(2));
