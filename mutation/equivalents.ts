/**
 * Mutants recorded as equivalent: the mutated program cannot behave differently from the
 * original in any way the vocabulary can observe, so no test can kill it. Each record names
 * the file, the mutator, the source line the mutant starts on (trimmed), the exact source text
 * and its replacement — not a line number, so the record survives edits elsewhere in the file;
 * the line, so that one record never covers the same small text (`[]`, `<`) elsewhere — and a
 * one-line reason. A record whose reason is
 * missing is an error: "hard to kill" is not equivalence.
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
  readonly reason: string;
}

export function equivalenceKey(m: Pick<EquivalentMutant, "file" | "mutator" | "line" | "original" | "replacement">): string {
  return JSON.stringify([m.file, m.mutator, m.line, m.original, m.replacement]);
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
    return r as unknown as EquivalentMutant;
  });
}

/** A mutant as the mutation-testing report stores it (1-based lines and columns, end exclusive). */
export interface ReportedMutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: MutantStatus;
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
