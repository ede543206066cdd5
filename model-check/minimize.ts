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
