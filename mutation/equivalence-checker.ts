/**
 * A Stryker checker plugin that keeps recorded equivalent mutants from being run.
 *
 * Why: a recorded equivalent survives by definition, and a survivor runs a row's whole kill
 * suite (minutes), while a mutant that dies usually dies in the first campaign (seconds). In the
 * machine rows the recorded equivalents were most of a whole run's time (mmu: 64 of them, 97
 * minutes in all). This is what Stryker's own `// Stryker disable next-line M: reason` comments
 * do for equivalent mutants, with the reasons kept in mutation/equivalent.json instead of in
 * impl/, and per mutant (mutator, original text and replacement) instead of per line and
 * mutator.
 *
 * Stryker gives a checker no status of "skipped", so a matched mutant comes back as a failed
 * check whose reason starts with EQUIVALENT_REASON_PREFIX; mutation/run.ts scores those as
 * equivalent (not as invalid), and `--verify-equivalents` leaves this checker out so that every
 * record is put to the kill suite again (a killed one is reported as refuted).
 *
 * A record holds back only the mutant it names exactly (equivalents.ts `coveringKey`): on a line
 * whose text repeats in its file it must name the line above, and where the mutated text repeats
 * on its line, the column. An older, less precise record may cover more than the mutant it was
 * written for; such mutants are run (and, if they survive, still scored by the record). With
 * `--verify-equivalents`, use `--force` too: Stryker's incremental mode would otherwise reuse the
 * held-back results.
 *
 * Loaded by Stryker in its checker processes (run.ts passes `--import tsx` to them), from the
 * project folder: the mutants' files are read from there, as they are before instrumentation.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { CheckStatus, type Checker, type CheckResult } from "@stryker-mutator/api/check";
import type { Mutant } from "@stryker-mutator/api/core";
import { declareClassPlugin, PluginKind } from "@stryker-mutator/api/plugin";
import { coveringKey, equivalenceKey, EQUIVALENT_REASON_PREFIX, loadEquivalents, type EquivalentMutant, type ReportedMutant } from "./equivalents.ts";

export const CHECKER_NAME = "vmcheck-equivalents";

class EquivalenceChecker implements Checker {
  static readonly inject = [] as const;
  private records = new Map<string, EquivalentMutant>();
  private keys: ReadonlySet<string> = new Set();
  private readonly sources = new Map<string, string[]>();

  async init(): Promise<void> {
    const records = loadEquivalents("mutation/equivalent.json");
    this.records = new Map(records.map((r) => [equivalenceKey(r), r]));
    this.keys = new Set(this.records.keys());
  }

  private linesOf(file: string): string[] {
    let lines = this.sources.get(file);
    if (lines === undefined) {
      lines = readFileSync(file, "utf8").split("\n");
      this.sources.set(file, lines);
    }
    return lines;
  }

  async check(mutants: Mutant[]): Promise<Record<string, CheckResult>> {
    const results: Record<string, CheckResult> = {};
    for (const mutant of mutants) {
      const file = relative(process.cwd(), mutant.fileName).replaceAll("\\", "/");
      // Stryker's checkers see its internal 0-based positions; the report and the records, 1-based.
      const { start, end } = mutant.location;
      const reported: ReportedMutant = {
        mutatorName: mutant.mutatorName,
        replacement: mutant.replacement,
        status: "Pending",
        location: { start: { line: start.line + 1, column: start.column + 1 }, end: { line: end.line + 1, column: end.column + 1 } },
      };
      const key = coveringKey(this.keys, file, reported, this.linesOf(file));
      const record = key === undefined ? undefined : this.records.get(key);
      results[mutant.id] = record === undefined ? { status: CheckStatus.Passed } : { status: CheckStatus.CompileError, reason: `${EQUIVALENT_REASON_PREFIX} ${record.reason}` };
    }
    return results;
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Checker, CHECKER_NAME, EquivalenceChecker)];
