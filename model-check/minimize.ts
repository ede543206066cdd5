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
function failsWith(commands: readonly Op[], options: LockstepOptions, check: string): Failing | undefined {
  const outcome = replayCommands(commands, options);
  if (outcome.ok || outcome.check !== check) return undefined;
  // Commands after the failing one (and skipped ones) play no part: keep what ran.
  return {
    commands: outcome.history.map((h) => h.op),
    results: outcome.history.map((h) => h.spec as unknown as Record<string, unknown>),
    outcome,
  };
}
interface Failing {
  readonly commands: Op[];
  readonly results: (Record<string, unknown> | undefined)[];
  readonly outcome: Extract<ReplayOutcome, { ok: false }>;
}

/** The kinds of handle a command can name, and the result field that hands a new one out. */
type HandleKind = "map" | "object" | "copy" | "entry";
const PRODUCED: Record<HandleKind, string> = { map: "map", object: "object", copy: "copy", entry: "entry" };

/** Which handle kind each handle-valued argument names. */
function handleRefs(op: Op): [string[], HandleKind][] {
  const refs: [string[], HandleKind][] = [];
  if ("map" in op) refs.push([["map"], "map"]);
  if (op.op === "remap") refs.push([["srcMap"], "map"]);
  if (op.op === "copyin_object") refs.push([["object"], "object"]);
  if (op.op === "enter" && op.source.kind === "object") refs.push([["source", "object"], "object"]);
  if ("copy" in op && typeof op.copy !== "boolean") refs.push([["copy"], "copy"]);
  if (op.op === "map_memory_entry") refs.push([["entry"], "entry"]);
  return refs;
}

/**
 * Drop command `i` and renumber the handles later commands name: a command that created a map,
 * object, copy or named entry shifts every later handle of that kind down by one (the creation
 * order is the handle). Without this, dropping an unneeded `create` would make every later
 * command name the wrong map.
 */
function withoutCommand(commands: readonly Op[], results: readonly (Record<string, unknown> | undefined)[], i: number): Op[] {
  const made = (Object.keys(PRODUCED) as HandleKind[]).filter((k) => typeof results[i]?.[PRODUCED[k]] === "number");
  const out: Op[] = [];
  commands.forEach((op, j) => {
    if (j === i) return;
    if (j < i || made.length === 0) return void out.push(op);
    const copy = structuredClone(op) as unknown as Record<string, unknown>;
    for (const [path, kind] of handleRefs(op)) {
      if (!made.includes(kind)) continue;
      const at = path.slice(0, -1).reduce((o, k) => o[k] as Record<string, unknown>, copy);
      const key = path[path.length - 1]!;
      const h = at[key];
      if (typeof h === "number" && h > (results[i]![PRODUCED[kind]] as number)) at[key] = h - 1;
    }
    out.push(copy as unknown as Op);
  });
  return out;
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
      // Drop the chunk from its last command down, renumbering handles as each goes.
      let candidate: Op[] = best.commands;
      for (let i = start + chunk - 1; i >= start; i--) candidate = withoutCommand(candidate, best.results, i);
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
