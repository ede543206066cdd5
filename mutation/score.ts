/**
 * The mutation score of a subsystem, counted as Stryker counts it, with our own equivalents
 * taken out: detected = killed + timed out; invalid mutants (compile or runtime errors before
 * any test ran, ignored) are not counted at all; a surviving mutant recorded as equivalent is
 * neither detected nor undetected.
 */
import type { MutantStatus } from "@stryker-mutator/api/core";

export interface SubsystemScore {
  readonly subsystem: string;
  readonly mutants: number;
  readonly killed: number;
  readonly timedOut: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly equivalent: number;
  readonly invalid: number;
  /** (killed + timed out) / (mutants − equivalent − invalid); 1 when nothing is left to score. */
  readonly score: number;
}

export interface ScoredMutant {
  readonly status: MutantStatus;
  /** Recorded in mutation/equivalent.json (only meaningful for a mutant that was not detected). */
  readonly equivalent: boolean;
}

export function scoreOf(subsystem: string, mutants: readonly ScoredMutant[]): SubsystemScore {
  let killed = 0, timedOut = 0, survived = 0, noCoverage = 0, equivalent = 0, invalid = 0;
  for (const m of mutants) {
    switch (m.status) {
      case "Killed": killed++; break;
      case "Timeout": timedOut++; break;
      case "Survived":
      case "NoCoverage":
        if (m.equivalent) equivalent++;
        else if (m.status === "Survived") survived++;
        else noCoverage++;
        break;
      case "CompileError":
      case "RuntimeError":
      case "Ignored":
      case "Pending":
        invalid++;
        break;
    }
  }
  const scored = mutants.length - equivalent - invalid;
  return { subsystem, mutants: mutants.length, killed, timedOut, survived, noCoverage, equivalent, invalid, score: scored === 0 ? 1 : (killed + timedOut) / scored };
}
