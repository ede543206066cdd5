/**
 * Mutants recorded as equivalent: the mutated program cannot behave differently from the
 * original in any way the vocabulary can observe, so no test can kill it. Each record names
 * the file, the mutator, the source line the mutant starts on (trimmed), the exact source text
 * and its replacement — not a line number, so the record survives edits elsewhere in the file;
 * the line, so that one record never covers the same small text (`[]`, `<`) elsewhere — and a
 * one-line reason. A record whose reason is
 * missing is an error: "hard to kill" is not equivalence. Where the line's text occurs more than
 * once in the file (`return true;`), the record also names the nearest non-blank line above it,
 * so it covers that one place only; where the mutated text occurs more than once on its line
 * (`{ a: [], b: [] }`), the record also names the column the mutant starts at.
 */
import { existsSync, readFileSync } from "node:fs";
import type { MutantStatus } from "@stryker-mutator/api/core";

export interface EquivalentMutant {
  readonly file: string;
  readonly mutator: string;
  /** The source line the mutant starts on, trimmed. */
  readonly line: string;
  readonly original: string;
  readonly replacement: string;
  /** The nearest non-blank line above, trimmed: only when `line`'s text is not unique in the file. */
  readonly after?: string;
  /** The 1-based column the mutant starts at: only when `original` occurs more than once on its line. */
  readonly column?: number;
  readonly reason: string;
}

type RecordKeyFields = Pick<EquivalentMutant, "file" | "mutator" | "line" | "original" | "replacement"> & { readonly after?: string | undefined; readonly column?: number | undefined };

export function equivalenceKey(m: RecordKeyFields): string {
  const base = [m.file, m.mutator, m.line, m.original, m.replacement];
  if (m.column !== undefined) return JSON.stringify([...base, m.after ?? null, m.column]);
  return JSON.stringify(m.after === undefined ? base : [...base, m.after]);
}

/** How many times `text` occurs in `line` (overlapping occurrences too). */
function occurrences(line: string, text: string): number {
  if (text === "") return 0;
  let n = 0;
  for (let i = line.indexOf(text); i >= 0; i = line.indexOf(text, i + 1)) n++;
  return n;
}

/** The nearest non-blank line above line `n` (1-based) of `lines`, trimmed ("" at the top). */
export function lineAbove(lines: readonly string[], n: number): string {
  for (let i = n - 2; i >= 0; i--) if (lines[i]!.trim() !== "") return lines[i]!.trim();
  return "";
}

/**
 * The record describing mutant `m` of `file` (report source `lines`): with `after` exactly when
 * the mutant's line text occurs more than once in the file, with `column` exactly when the text
 * it replaces occurs more than once on its line.
 */
export function describeMutant(file: string, m: ReportedMutant, lines: readonly string[]): Omit<EquivalentMutant, "reason"> {
  const n = m.location.start.line;
  const line = lines[n - 1]!.trim();
  const original = originalText(m, lines);
  const base = { file, mutator: m.mutatorName, line, original, replacement: m.replacement ?? "" };
  const repeated = lines.filter((l) => l.trim() === line).length > 1;
  const ambiguous = m.location.end.line === n && occurrences(lines[n - 1]!, original) > 1;
  return { ...base, ...(repeated ? { after: lineAbove(lines, n) } : {}), ...(ambiguous ? { column: m.location.start.column } : {}) };
}

/**
 * The start of the status reason of a mutant that a record held back from a run
 * (mutation/equivalence-checker.ts): Stryker reports it as a failed check (CompileError).
 */
export const EQUIVALENT_REASON_PREFIX = "recorded equivalent, not run:";

/** Whether `m` was held back from its run as a recorded equivalent. */
export function heldBack(m: Pick<ReportedMutant, "status" | "statusReason">): boolean {
  return m.status === "CompileError" && (m.statusReason ?? "").startsWith(EQUIVALENT_REASON_PREFIX);
}

/** Whether no test detected `m`: it survived, had no coverage, or was held back as a recorded equivalent. */
export function undetected(m: Pick<ReportedMutant, "status" | "statusReason">): boolean {
  return m.status === "Survived" || m.status === "NoCoverage" || heldBack(m);
}

/**
 * The record that covers mutant `m` — to hold it back from a run, and to score it after one: one
 * that names the mutant exactly. (Until 2026-11-29 scoring also took older, less precise records,
 * one without `after` by its line text alone, and so counted as equivalent a survivor on any other
 * line with that text, including lines written after the record.) On a line whose text repeats in the file it must name the line above; where the
 * mutated text repeats on its line, the column. On a line whose text is unique, a record of it
 * with or without the line above will do.
 */
export function coveringKey(keys: ReadonlySet<string>, file: string, m: ReportedMutant, lines: readonly string[]): string | undefined {
  const d = describeMutant(file, m, lines);
  const candidates = d.after !== undefined || d.column !== undefined ? [d] : [d, { ...d, after: lineAbove(lines, m.location.start.line) }];
  return candidates.map(equivalenceKey).find((k) => keys.has(k));
}

export function loadEquivalents(path: string): EquivalentMutant[] {
  if (!existsSync(path)) return [];
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!Array.isArray(parsed)) throw new Error(`${path}: expected an array of equivalent mutants`);
  return parsed.map((raw: unknown, i) => {
    const r = raw as Record<string, unknown>;
    for (const field of ["file", "mutator", "line", "original", "replacement", "reason"] as const) {
      if (typeof r[field] !== "string" || (field === "reason" && (r[field] as string).trim().length < 10)) {
        throw new Error(`${path}[${i}].${field}: ${field === "reason" ? "a one-line reason (at least 10 characters) is required" : "must be a string"}`);
      }
    }
    if (r["after"] !== undefined && typeof r["after"] !== "string") throw new Error(`${path}[${i}].after: must be a string`);
    if (r["column"] !== undefined && !(Number.isInteger(r["column"]) && (r["column"] as number) >= 1)) throw new Error(`${path}[${i}].column: must be a positive integer`);
    return r as unknown as EquivalentMutant;
  });
}

/** A mutant as the mutation-testing report stores it (1-based lines and columns, end exclusive). */
export interface ReportedMutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: MutantStatus;
  readonly statusReason?: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number }; readonly end: { readonly line: number; readonly column: number } };
}
export interface Report {
  readonly files: Record<string, { readonly source: string; readonly mutants: readonly ReportedMutant[] }>;
}

/** The source text a mutant replaces, from the source the report was made from. */
export function originalText(m: ReportedMutant, lines: readonly string[]): string {
  const { start, end } = m.location;
  if (start.line === end.line) return lines[start.line - 1]!.slice(start.column - 1, end.column - 1);
  const parts = [lines[start.line - 1]!.slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1]!.slice(0, end.column - 1)];
  return parts.join("\n");
}

/**
 * What a run says of the records that cover its mutants, from each covered mutant's outcome. A
 * record is refuted when every mutant it covers was killed: "nothing can observe this mutant" is
 * false, and the record must go. It is ambiguous when it covers a killed mutant and a surviving
 * one: a line's text (and the line above) repeats in the file, and the record holds back a
 * killable mutant along with the one it was written for; it must be made to name its own place.
 */
export function judgeRecords(outcomes: readonly { readonly key: string; readonly killed: boolean }[]): { refuted: Set<string>; ambiguous: Set<string> } {
  const surviving = new Set(outcomes.filter((o) => !o.killed).map((o) => o.key));
  const killed = outcomes.filter((o) => o.killed).map((o) => o.key);
  return { refuted: new Set(killed.filter((k) => !surviving.has(k))), ambiguous: new Set(killed.filter((k) => surviving.has(k))) };
}
