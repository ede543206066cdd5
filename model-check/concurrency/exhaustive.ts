/**
 * Bounded exhaustive exploration (`vmcheck check --exhaustive`), in the manner of CHESS: every
 * schedule of a scenario's threads with at most `preemptions` preemptions is run in lockstep,
 * each as a list of spawn and step commands after the scenario's setup. A preemption is a
 * switch away from a thread that is in the middle of an operation and could go on; switching
 * when a thread blocks, completes an operation, or has nothing left is free.
 *
 * Schedules are explored breadth first (shortest command list first), each prefix replayed
 * from scratch (the kernel has no undo) and ended the way every replay ends — threads still in
 * flight run to completion — so the first failure found is one of the shortest command lists.
 */
import type { Op } from "../../spec/vocabulary.ts";
import type { Scope } from "../../spec/scope.ts";
import { CheckFailure, Lockstep, type LockstepOptions } from "../lockstep.ts";
import { scenarios as defaultScenarios, type Scenario } from "./scenarios.ts";

export interface ExhaustiveOptions extends Omit<LockstepOptions, "scope"> {
  readonly scope: Scope;
  /** Most preemptions per schedule (default 2). */
  readonly preemptions?: number;
  /** Scenarios to run (default: all of scenarios.ts). */
  readonly scenarios?: readonly Scenario[];
}

export interface ScenarioResult {
  readonly name: string;
  readonly about: string;
  /** Complete schedules run (every thread's program done). */
  readonly schedules: number;
  /** Prefixes replayed (each a partial schedule). */
  readonly prefixes: number;
  /**
   * Every place a thread was suspended at the end of some prefix (Scheduler.pausedAt: the
   * unlocked phases, sleeps and lock waits the scenario reaches), sorted: what it exercised.
   */
  readonly pauses: readonly string[];
  readonly failure?: { readonly commands: readonly Op[]; readonly check: string; readonly step: number; readonly message: string; readonly preemptions: number };
}

export interface ExhaustiveReport {
  readonly ok: boolean;
  readonly preemptions: number;
  readonly scenarios: readonly ScenarioResult[];
  readonly schedules: number;
}

interface Node {
  readonly commands: readonly Op[];
  /** Thread of the last command, and whether it was mid-operation and runnable after it. */
  readonly last: number | null;
  readonly preemptions: number;
}

export function exhaustive(options: ExhaustiveOptions): ExhaustiveReport {
  const bound = options.preemptions ?? 2;
  const results = (options.scenarios ?? defaultScenarios(options.scope)).map((s) => explore(s, bound, options));
  return { ok: results.every((r) => !r.failure), preemptions: bound, scenarios: results, schedules: results.reduce((a, r) => a + r.schedules, 0) };
}

function explore(scenario: Scenario, bound: number, options: ExhaustiveOptions): ScenarioResult {
  let schedules = 0;
  let prefixes = 0;
  const pauses = new Set<string>();
  const result = (failure?: ScenarioResult["failure"]): ScenarioResult =>
    ({ name: scenario.name, about: scenario.about, schedules, prefixes, pauses: [...pauses].sort(), ...(failure ? { failure } : {}) });
  let level: Node[] = [{ commands: [], last: null, preemptions: 0 }];
  while (level.length > 0) {
    const next: Node[] = [];
    for (const node of level) {
      prefixes++;
      const ran = replay(scenario, node.commands, options);
      if (ran.failure) return result({ ...ran.failure, preemptions: node.preemptions });
      for (const p of ran.pauses) pauses.add(p);
      if (ran.choices.length === 0) {
        schedules++;
        continue;
      }
      for (const c of ran.choices) {
        const preempts = node.last !== null && node.last !== c.thread && ran.midOperation.has(node.last) ? 1 : 0;
        if (node.preemptions + preempts > bound) continue;
        next.push({ commands: [...node.commands, c.op], last: c.thread, preemptions: node.preemptions + preempts });
      }
    }
    level = next;
  }
  return result();
}

/**
 * Run the setup and `commands`, then end the run (drain and the end-of-run checks: a thread
 * that can never run again is a deadlock or a lost wakeup); the failure, or the next possible
 * commands (spawn of a thread's next operation, step of a runnable thread). With no choice
 * left the schedule is complete.
 */
function replay(scenario: Scenario, commands: readonly Op[], options: ExhaustiveOptions): {
  failure?: { commands: readonly Op[]; check: string; step: number; message: string };
  choices: { thread: number; op: Op }[];
  midOperation: Set<number>;
  pauses: string[];
} {
  const ls = new Lockstep(options);
  const all = [...scenario.prelude, ...commands];
  try {
    for (const op of scenario.prelude) ls.step(op);
    for (const op of commands) ls.step(op);
    const sched = ls.concurrency?.sched;
    const spawned = scenario.threads.map((_, t) => commands.filter((c) => c.op === "spawn" && c.thread === t).length);
    const choices: { thread: number; op: Op }[] = [];
    const midOperation = new Set<number>();
    const pauses: string[] = [];
    scenario.threads.forEach((program, t) => {
      const at = sched?.pausedAt(t), name = sched?.opOf(t)?.op;
      if (at !== undefined && name !== undefined) pauses.push(at.startsWith(`${name}:`) ? at : `${name}: ${at}`);
      const state = sched?.stateOf(t) ?? "idle";
      if (state === "idle") {
        const body = program[spawned[t]!];
        if (body !== undefined) choices.push({ thread: t, op: { op: "spawn", thread: t, body: { ...body } } });
      } else if (sched!.runnable(t)) {
        midOperation.add(t);
        choices.push({ thread: t, op: { op: "step", thread: t, count: 1 } });
      }
    });
    // The run ends here as any replay of these commands would: threads still in flight are
    // drained. So a failure found is one of the command list as it stands, and the list is a
    // shortest one (no trailing step that the drain would have taken anyway).
    ls.finish();
    return { choices, midOperation, pauses };
  } catch (e) {
    if (!(e instanceof CheckFailure)) throw e;
    return { failure: { commands: all, check: e.check, step: e.step, message: e.detail }, choices: [], midOperation: new Set(), pauses: [] };
  }
}
