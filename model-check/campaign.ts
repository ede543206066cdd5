/**
 * A model-check campaign: fast-check generates symbolic command sequences (generators.ts),
 * each run starts from an empty world with one or two maps created by a prelude, every command
 * runs in lockstep (lockstep.ts), and on the first failure fast-check shrinks the sequence. The
 * shrunk sequence is replayed once more to record its concrete commands, and written as a
 * counterexample file. The report has the stable shape CI users parse (`--json`).
 */
import fc from "fast-check";
import type { Scope } from "../spec/scope.ts";
import type { Op, OpName } from "../spec/vocabulary.ts";
import { writeCounterexample, CURRENT_VERSION, FORMAT, type Counterexample } from "./counterexample.ts";
import {
  createSym, makeGenerators, populateSym, resolveCreate, resolvePopulate, type CreateSym, type Generator, type PopulateSym,
} from "./generators.ts";
import type { Invariant } from "./invariants.ts";
import { CheckFailure, Coverage, Lockstep, type KernelFactory } from "./lockstep.ts";

/** The default model-check scope: 32-bit addresses, small pages, a wire bound reached in a few commands. */
export const MODEL_CHECK_SCOPE: Scope = {
  addressBits: 32,
  pageSize: 64,
  maxWireCount: 2,
  maxObjectPages: 16,
};

export interface CampaignOptions {
  readonly seed: number;
  /** Number of command sequences (fast-check runs). */
  readonly runs: number;
  /** Longest command sequence. */
  readonly maxCommands: number;
  /** Stop generating new runs after this many seconds (shrinking a failure is not cut short). */
  readonly timeSeconds?: number;
  readonly scope?: Scope;
  /** The implementation under test (default: the real one). */
  readonly kernel?: KernelFactory;
  readonly invariants?: readonly Invariant[];
  /** Folder for the counterexample file; null writes none. */
  readonly outDir?: string | null;
  /** Provenance written into the counterexample file. */
  readonly foundBy?: string;
}

export interface CounterexampleSummary {
  readonly file: string | null;
  readonly length: number;
  readonly check: string;
  readonly message: string;
  readonly commands: readonly Op[];
  /** Length of the sequence fast-check first found, before shrinking. */
  readonly originalLength: number;
}

export interface CampaignReport {
  readonly ok: boolean;
  readonly seed: number;
  readonly runs: number;
  readonly commandsExecuted: number;
  readonly commandsSkipped: number;
  readonly durationMs: number;
  readonly coverage: {
    readonly ops: Record<string, number>;
    readonly results: Record<string, number>;
    readonly invariants: Record<string, number>;
  };
  /** Result codes per operation (extra detail beyond the stable fields). */
  readonly resultsByOp: Record<string, Record<string, number>>;
  readonly scope: Scope;
  readonly counterexample?: CounterexampleSummary;
}

type Model = { readonly ls: Lockstep; readonly scope: Scope };

/** A symbolic command: resolved against the current state each time it runs. */
class SymbolicCommand implements fc.Command<Model, object> {
  constructor(
    private readonly name: OpName,
    private readonly gen: Generator<OpName, unknown>,
    private readonly sym: unknown,
  ) {}
  private resolve(m: Readonly<Model>): Op {
    return this.gen.resolve(this.sym, { view: m.ls.view, scope: m.scope, recent: m.ls.recentRanges() });
  }
  check(m: Readonly<Model>): boolean {
    if (!m.ls.blocks(this.resolve(m))) return true;
    m.ls.skip();
    return false;
  }
  run(m: Model): void {
    m.ls.step(this.resolve(m));
  }
  toString(): string {
    return `${this.name}${JSON.stringify(this.sym)}`;
  }
}

function commandArbitrary(scope: Scope): fc.Arbitrary<fc.Command<Model, object>> {
  const gens = makeGenerators(scope);
  const names = Object.keys(gens) as OpName[];
  return fc.oneof(
    ...names.map((name) => {
      const g = gens[name] as Generator<OpName, unknown>;
      return { weight: g.weight, arbitrary: g.arb.map((sym) => new SymbolicCommand(name, g, sym) as fc.Command<Model, object>) };
    }),
  );
}

/** A run: maps to create, mappings to populate them with, then the command sequence. */
type Scenario = readonly [readonly CreateSym[], readonly PopulateSym[], Iterable<fc.Command<Model, object>>];

/** Execute one scenario; throws CheckFailure on the first failed check. */
function execute(scenario: Scenario, ls: Lockstep, scope: Scope): void {
  for (const c of scenario[0]) ls.step(resolveCreate(c, scope));
  for (const p of scenario[1]) ls.step(resolvePopulate(p, { view: ls.view, scope, recent: [] }));
  fc.modelRun(() => ({ model: { ls, scope }, real: {} }), scenario[2]);
}

export function runCampaign(options: CampaignOptions): CampaignReport {
  const scope = options.scope ?? MODEL_CHECK_SCOPE;
  const coverage = new Coverage();
  const lockstepOptions = {
    scope,
    coverage,
    ...(options.kernel ? { kernel: options.kernel } : {}),
    ...(options.invariants ? { invariants: options.invariants } : {}),
  };
  const started = performance.now();
  let runs = 0;
  let originalLength = -1;
  const scenarioArb = fc.tuple(
    fc.array(createSym(scope, true), { minLength: 1, maxLength: 2 }),
    fc.array(populateSym(), { maxLength: 5 }),
    fc.commands([commandArbitrary(scope)], { maxCommands: options.maxCommands, size: "max" }),
  );
  const property = fc.property(scenarioArb, (scenario) => {
    if (!coverage.frozen) runs++;
    const ls = new Lockstep(lockstepOptions);
    try {
      execute(scenario, ls, scope);
    } catch (e) {
      if (!coverage.frozen) originalLength = ls.history.length;
      coverage.frozen = true;
      throw e;
    }
  });
  const details = fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    ...(options.timeSeconds !== undefined ? { interruptAfterTimeLimit: options.timeSeconds * 1000 } : {}),
    // Shrinking gets its own budget so a long campaign still ends with a short counterexample.
    endOnFailure: false,
  });
  const durationMs = Math.round(performance.now() - started);
  const base = {
    seed: options.seed,
    runs,
    commandsExecuted: coverage.commandsExecuted,
    commandsSkipped: coverage.commandsSkipped,
    durationMs,
    coverage: { ops: coverage.ops, results: coverage.results, invariants: coverage.invariants },
    resultsByOp: coverage.resultsByOp,
    scope,
  };
  if (!details.failed || !details.counterexample) return { ok: true, ...base };

  // Replay the shrunk scenario once more, recording the concrete commands and the failure.
  const ls = new Lockstep({ ...lockstepOptions, coverage: Object.assign(new Coverage(), { frozen: true }) });
  let failure: CheckFailure | undefined;
  try {
    execute(details.counterexample[0], ls, scope);
  } catch (e) {
    if (!(e instanceof CheckFailure)) throw e;
    failure = e;
  }
  if (!failure) throw new Error("the shrunk counterexample did not fail again: the system under test is not deterministic");
  const commands = ls.history.map((h) => h.op);
  const cx: Counterexample = {
    format: FORMAT,
    version: CURRENT_VERSION,
    scope,
    seed: options.seed,
    commands,
    failure: { check: failure.check, step: failure.step, message: failure.detail },
    ...(options.foundBy ? { foundBy: options.foundBy } : {}),
  };
  const file = options.outDir === null ? null : writeCounterexample(options.outDir ?? "counterexamples", cx);
  return {
    ok: false,
    ...base,
    counterexample: { file, length: commands.length, check: failure.check, message: failure.detail, commands, originalLength },
  };
}
