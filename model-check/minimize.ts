/**
 * Minimizing a concrete counterexample beyond fast-check's shrinker. Fast-check shrinks the
 * symbolic scenario; because symbolic arguments are resolved against the state, removing one
 * command can change what later ones mean, and its shrink often stops in a local minimum. Here
 * the concrete command list itself is reduced by delta debugging (ddmin): drop chunks of
 * commands, halving the chunk size down to single commands, and keep a candidate only if it
 * still fails the same check. Every candidate is re-validated by replay, so the failure is never
 * lost, and a minimal list is a fixpoint: minimizing it again changes nothing.
 */
import type { Op } from "../spec/vocabulary.ts";
import { replayCommands, type LockstepOptions, type ReplayOutcome } from "./lockstep.ts";

export interface MinimizeResult {
  readonly commands: readonly Op[];
  readonly outcome: Extract<ReplayOutcome, { ok: false }>;
  /** Replays tried. */
  readonly attempts: number;
}

/**
 * The failing outcome of `commands`, trimmed to the failing step, when it fails with `check`;
 * undefined otherwise.
 */
function failsWith(commands: readonly Op[], options: LockstepOptions, check: string): { commands: Op[]; outcome: Extract<ReplayOutcome, { ok: false }> } | undefined {
  const outcome = replayCommands(commands, options);
  if (outcome.ok || outcome.check !== check) return undefined;
  // Commands after the failing one (and skipped ones) play no part: keep what ran.
  return { commands: outcome.history.map((h) => h.op), outcome };
}

/** Rounder values to try for a number `x`: 0, then page-aligned and smaller ones. */
function rounder(x: number, pageSize: number): number[] {
  if (!Number.isFinite(x) || !Number.isInteger(x) || x <= 0) return [];
  const page = x - (x % pageSize);
  const half = Math.floor(x / 2 / pageSize) * pageSize;
  return [...new Set([0, pageSize, half, page].filter((v) => v < x && v >= 0))];
}

/**
 * Simplify the arguments of a failing list toward round values (0, one page, page-aligned,
 * halves), one number at a time, keeping a change only if the same check still fails.
 */
export function simplifyArguments(commands: readonly Op[], options: LockstepOptions, check: string): { commands: Op[]; attempts: number } {
  let best = [...commands];
  let attempts = 0;
  for (let i = 0; i < best.length; i++) {
    for (const key of Object.keys(best[i]!)) {
      let improved = true;
      while (improved) {
        improved = false;
        const value = (best[i] as unknown as Record<string, unknown>)[key];
        if (typeof value !== "number") break;
        for (const candidate of rounder(value, options.scope.pageSize)) {
          const trial = [...best];
          trial[i] = { ...best[i]!, [key]: candidate } as Op;
          attempts++;
          const found = failsWith(trial, options, check);
          if (found && found.commands.length === trial.length) {
            best = trial;
            improved = true;
            break;
          }
        }
      }
    }
  }
  return { commands: best, attempts };
}

/** Reduce `commands`, which must fail with `check`, to a 1-minimal list failing the same way. */
export function minimizeCommands(commands: readonly Op[], options: LockstepOptions, check: string): MinimizeResult {
  let attempts = 1;
  const first = failsWith(commands, options, check);
  if (!first) throw new Error(`the commands do not fail with ${check}`);
  let best = first;
  let chunk = Math.max(1, best.commands.length >> 1);
  while (chunk >= 1) {
    let removedAny = false;
    // Try later chunks first: the failing command is last, and late setup is the least shared.
    for (let start = best.commands.length - 1 - chunk; start >= 0; start -= chunk) {
      const candidate = [...best.commands.slice(0, start), ...best.commands.slice(start + chunk)];
      attempts++;
      const found = failsWith(candidate, options, check);
      if (found && found.commands.length < best.commands.length) {
        best = found;
        removedAny = true;
        start = Math.min(start, best.commands.length - 1);
      }
    }
    if (!removedAny) chunk >>= 1;
  }
  return { commands: best.commands, outcome: best.outcome, attempts };
}
