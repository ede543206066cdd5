/**
 * A model-check campaign: fast-check generates symbolic command sequences (generators.ts),
 * each run starts from an empty world with one or two maps created by a prelude, every command
 * runs in lockstep (lockstep.ts), and on the first failure fast-check shrinks the sequence. The
 * shrunk sequence is replayed once more to record its concrete commands, and written as a
 * counterexample file. The report has the stable shape CI users parse (`--json`).
 */
import fc from "fast-check";
import type { Scope } from "../spec/scope.ts";
import { OP_NAMES, type Op, type OpName } from "../spec/vocabulary.ts";
import { writeCounterexample, CURRENT_VERSION, FORMAT, type Counterexample } from "./counterexample.ts";
import {
  createSym, HANDLE_KIND_OPS, handleSym, makeGenerators, populateSym, resolveCreate, resolveHandle, resolvePopulate, resolveFill,
  type CreateSym, type Generator, type HandleSym, type PopulateSym,
} from "./generators.ts";
import type { Invariant } from "./invariants.ts";
import { minimizeCommands } from "./minimize.ts";
import { CheckFailure, Coverage, Lockstep, type KernelFactory, type SystemFactory } from "./lockstep.ts";
import { LockValidator, type LockdepSummary } from "../impl/locks/lockdep.ts";
import { KernelTopology } from "../impl/sched/topology.ts";
import { newStats, type ConcurrencyStats } from "./concurrency/session.ts";
import { awaitedCpus } from "./concurrency/lock-free-hits.ts";
import type { SuspendableOps } from "../impl/sched/suspendable.ts";

const MAP_OPS = [
  "create", "reference", "deallocate", "object_create", "enter", "find_space", "remove", "protect", "inherit",
  "behavior_set", "machine_attribute", "wire", "unwire", "simplify", "lookup", "read_user", "write_user",
] as const satisfies readonly OpName[];
const COW_OPS = [
  ...MAP_OPS, "copyin", "copyin_object", "copyout", "copy_overwrite", "copy_discard", "copy_copy", "fork", "remap",
  "make_memory_entry", "map_memory_entry",
] as const satisfies readonly OpName[];

/**
 * Profiles: named sets of operations, so a campaign can go deep into one subsystem instead of
 * spreading its runs over every operation. `map` is the foundation (maps, mappings, attributes,
 * wiring, user access); `tree` is `map` weighted to build maps of many entries (the B+tree
 * index deep); `cow` adds copies, fork, remap and named entries; `pagelist` adds the
 * page-list copies and their continuations to `cow`; `submap` adds submaps and shared regions
 * to `cow`; `mmu` drives the simulated MMU (CPUs switching between maps, loads and stores
 * through the TLBs, pageout) over the operations that change translations; `concurrency` runs
 * those operations and the page-list copies on kernel threads (spawn, step) against each other
 * and the CPUs' loads and stores; `all` is everything (the default), threads included.
 */
export const PROFILES = {
  map: MAP_OPS,
  tree: MAP_OPS,
  cow: COW_OPS,
  pagelist: [...COW_OPS, "copyin_page_list", "copy_continue", "copy_abort", "copyout_page_list", "steal_pages", "page_discard"],
  submap: [...COW_OPS, "swapout", "swapin", "submap", "region_object_create", "shared_region_create", "shared_region_map", "shared_region_attach", "shared_region_alternate", "shared_region_deallocate"],
  mmu: [
    "create", "deallocate", "object_create", "enter", "remove", "protect", "wire", "unwire", "read_user", "write_user",
    "copyin", "copyout", "copy_overwrite", "fork", "remap", "switch", "load", "store", "evict", "swapout", "swapin",
    // Submap windows and shared-region text: nested pmaps; copy-on-write submaps (named entries of
    // a map, mapped with copy): translations through them must stay read-only.
    "submap", "shared_region_create", "shared_region_map", "region_object_create", "map_memory_entry",
    // A page-list copyin with PMAP_ENTER enters translations itself (and holds its pages busy).
    "copyin_page_list",
  ],
  // Nested pmaps: submap windows of whole page-table leaves onto maps that have windows of
  // their own, clipped by protect/wire/remove at their leaf boundaries, run and written
  // through, so that every rule of which windows may be nested meets its near misses.
  nesting: [
    "create", "deallocate", "enter", "remove", "protect", "wire", "unwire", "write_user", "fork", "remap",
    "switch", "load", "store", "submap", "region_object_create", "map_memory_entry",
  ],
  concurrency: [
    "create", "deallocate", "object_create", "enter", "remove", "protect", "wire", "unwire", "read_user", "write_user",
    "lookup", "copyin", "copy_overwrite", "fork", "switch", "load", "store", "evict", "swapout", "swapin",
    "copyin_page_list", "copy_continue", "copy_abort", "copyout_page_list", "steal_pages", "page_discard", "spawn", "step",
  ],
  all: OP_NAMES,
} as const satisfies Record<string, readonly OpName[]>;
export type ProfileName = keyof typeof PROFILES;

/** The default model-check scope: 32-bit addresses, small pages, a wire bound reached in a few commands. */
export const MODEL_CHECK_SCOPE: Scope = {
  addressBits: 32,
  pageSize: 64,
  maxWireCount: 2,
  maxObjectPages: 16,
  kernelBufferThreshold: 128,
  pageListMax: 3,
  // Several CPUs, few frames (pageout runs) and a small TLB (set conflicts and evictions happen).
  cpus: 3,
  frames: 16,
  tlbEntries: 8,
  tlbWays: 2,
  // Page-table leaves of 4 pages: submap windows of a few pages can be nested (pmap nesting).
  pageTableLeafBits: 2,
  // The smallest B+tree nodes: a map of a dozen entries has inner nodes that split and merge.
  mapTreeOrder: 4,
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
  /** Any other implementation of the vocabulary, through the adapter (takes precedence). */
  readonly system?: SystemFactory;
  /** Only these operations are generated (default: all); for implementations of a subset. */
  readonly ops?: readonly OpName[];
  /**
   * Swarm testing: each run enables a random subset of the operations (at least two), so that
   * some runs go deep into a few operations instead of spreading over all of them.
   */
  readonly swarm?: boolean;
  readonly invariants?: readonly Invariant[];
  /** Folder for the counterexample file; null writes none. */
  readonly outDir?: string | null;
  /** Provenance written into the counterexample file. */
  readonly foundBy?: string;
  /**
   * false: stop at the first failure without shrinking or minimizing it (the report's
   * counterexample is the sequence as found). For callers that only need pass/fail fast, such as
   * the mutation-testing kill test.
   */
  readonly shrink?: boolean;
  /** Called after every run while the campaign is generating (not while shrinking): a progress display. */
  readonly onProgress?: (progress: CampaignProgress) => void;
  /** Delta-debug fast-check's shrunk counterexample further (default true; false keeps fast-check's). */
  readonly minimize?: boolean;
  /** The thread bodies of spawned operations (tests plant concurrency bugs by subclassing). */
  readonly suspendable?: typeof SuspendableOps;
  /** Generator weights replacing the defaults for some operations (a profile's, see PROFILE_WEIGHTS). */
  readonly weights?: Partial<Record<OpName, number>>;
}

/** What the concurrency checker did in a campaign (the `--json` report's `concurrency`). */
export interface ConcurrencyReport extends ConcurrencyStats {
  /** The lock-order graph accumulated over every run: classes, edges (with the first acquisition of each) and findings. */
  readonly lockOrder: Pick<LockdepSummary, "acquisitions" | "edges" | "findings">;
}

/** What a progress display shows. */
export interface CampaignProgress {
  readonly runs: number;
  readonly totalRuns: number;
  readonly commandsExecuted: number;
  readonly elapsedMs: number;
  readonly coverage: Coverage;
}

export interface CounterexampleSummary {
  readonly file: string | null;
  readonly length: number;
  readonly check: string;
  readonly message: string;
  readonly commands: readonly Op[];
  /** Length of the sequence fast-check first found, before shrinking. */
  readonly originalLength: number;
  /** Length after fast-check's shrinking, before delta debugging (model-check/minimize.ts). */
  readonly shrunkLength: number;
}

export interface CampaignReport {
  readonly ok: boolean;
  readonly seed: number;
  readonly runs: number;
  readonly commandsExecuted: number;
  readonly commandsSkipped: number;
  /** Spawn and step commands after which threads were still in flight (only the instant checks ran). */
  readonly commandsInFlight: number;
  readonly durationMs: number;
  readonly coverage: {
    readonly ops: Record<string, number>;
    readonly results: Record<string, number>;
    readonly invariants: Record<string, number>;
  };
  /** Result codes per operation (extra detail beyond the stable fields). */
  readonly resultsByOp: Record<string, Record<string, number>>;
  readonly scope: Scope;
  /** The operations the campaign generated (a profile's, or all). */
  readonly ops: readonly OpName[];
  /** Interleavings explored and the lock-order graph (present when threads ran). */
  readonly concurrency?: ConcurrencyReport;
  readonly counterexample?: CounterexampleSummary;
}

/** A symbolic command: an operation's generator and its symbolic arguments. */
interface SymbolicCommand {
  readonly name: OpName;
  readonly sym: unknown;
}

/**
 * A run: maps to create, mappings to populate them with, handles (memory objects, copies,
 * named entries) for later commands to use, then the command sequence.
 *
 * Plain arrays, not `fc.commands`: its shrinker keeps replay state inside the arbitrary and
 * trusts per-command "has run" flags, which do not survive being combined with a prelude in a
 * tuple (shrunk sequences came out longer than the original). Array shrinking has no hidden
 * state, and blocked commands are skipped by `execute` just as `fc.modelRun` would.
 */
type Scenario = readonly [
  readonly CreateSym[], readonly PopulateSym[], readonly HandleSym[], readonly SymbolicCommand[], readonly OpName[] | null,
  readonly SymbolicCommand[],
];

function commandArbitrary(scope: Scope, ops?: readonly OpName[], weights: Partial<Record<OpName, number>> = {}): fc.Arbitrary<SymbolicCommand> {
  const gens = makeGenerators(scope);
  const names = (Object.keys(gens) as OpName[]).filter((n) => !ops || ops.includes(n));
  if (names.length === 0) throw new Error("no operation to generate");
  return fc.oneof(
    ...names.map((name) => ({ weight: weights[name] ?? gens[name].weight, arbitrary: gens[name].arb.map((sym: unknown): SymbolicCommand => ({ name, sym })) })),
  );
}

/**
 * Weights a profile gives instead of the generators' own: the concurrency profile spawns and
 * steps often, so that operations overlap (in `all`, spawn and step stay rare).
 */
export const PROFILE_WEIGHTS: Partial<Record<ProfileName, Partial<Record<OpName, number>>>> = {
  // Maps of many entries (enter and clip often, never deallocate), so that the B+tree index of
  // a map grows three levels deep at the checks' order of 4 (maps reach about 20 entries in
  // 100 commands) and its inner nodes split, borrow and merge as entries come and go.
  tree: { enter: 40, protect: 12, inherit: 6, deallocate: 0, reference: 0, create: 1 },
  concurrency: { spawn: 14, step: 12 },
  // Page lists taken often enough that a run both consumes one (copyout, steal) and then
  // writes where its pages came from: a list that still shares a page with its source shows.
  pagelist: { copyin_page_list: 4, copyout_page_list: 2, steal_pages: 2 },
  // Copy-on-write submaps (named entries of region_object_create mapped with copy) need a named
  // entry first: more of both, and more writes, so a run often writes through such a window
  // and behind it.
  submap: { region_object_create: 5, map_memory_entry: 6, write_user: 10 },
  // Runs often start with a copy-on-write submap to load and store through (its translations);
  // submap windows often enough that a parent nests two and un-nests one of them.
  mmu: { region_object_create: 5, submap: 8 },
  nesting: { submap: 30, switch: 6, region_object_create: 3 },
};

/** Execute one scenario; throws CheckFailure on the first failed check. */
function execute(scenario: Scenario, ls: Lockstep, scope: Scope, gens: ReturnType<typeof makeGenerators>): void {
  for (const c of scenario[0]) ls.step(resolveCreate(c, scope));
  for (const p of scenario[1]) {
    const enter = resolvePopulate(p, { view: ls.view, scope, recent: [] });
    const fill = resolveFill(p, enter, ls.step(enter).spec as { kr: string; addr?: number });
    if (fill) ls.step(fill);
  }
  for (const h of scenario[2]) ls.step(resolveHandle(h, { view: ls.view, scope, recent: [] }));
  // CPUs put to work on the maps, so loads and stores mostly find a map to run on.
  for (const c of scenario[5]) ls.step(gens.switch.resolve(c.sym as never, { view: ls.view, scope, recent: [] }));
  const enabled = scenario[4];
  for (const c of scenario[3]) {
    // Swarm testing: a run exercises only its own subset of the operations.
    if (enabled && !enabled.includes(c.name)) continue;
    const gen = gens[c.name] as Generator<OpName, unknown>;
    const op = gen.resolve(c.sym, { view: ls.view, scope, recent: ls.recentRanges(), accesses: ls.recentAccesses(), awaited: awaitedCpus(ls.impl), busy: ls.concurrency?.sched.inFlight() ?? [] });
    if (ls.blocks(op)) ls.skip();
    else ls.step(op);
  }
  ls.finish();
}

export function runCampaign(options: CampaignOptions): CampaignReport {
  const scope = options.scope ?? MODEL_CHECK_SCOPE;
  const coverage = new Coverage();
  // The campaign's class-order graph: every run's edges, so two orders seen in two runs still
  // close a cycle. Each run is judged by a validator of its own, which the graph then absorbs: a
  // run fails only on what that run shows alone, so its counterexample replays, and shrinks,
  // without the runs before it (a shared validator failed every shrink candidate that closed a
  // cycle with an edge of another run, which then did not replay).
  const lockGraph = new LockValidator(new KernelTopology());
  const concurrencyStats = newStats();
  const lockstepOptions = {
    scope,
    coverage,
    concurrencyStats,
    ...(options.suspendable ? { suspendable: options.suspendable } : {}),
    ...(options.kernel ? { kernel: options.kernel } : {}),
    ...(options.system ? { system: options.system } : {}),
    ...(options.invariants ? { invariants: options.invariants } : {}),
  };
  const started = performance.now();
  let runs = 0;
  let originalLength = -1;
  const gens = makeGenerators(scope);
  // Start-of-run handles of the kinds the operations can make (all of them without a subset).
  // The copy-on-write start (its first step is region_object_create) only where a profile weights
  // that operation, and as much: elsewhere the starts stay as they were.
  const handleWeights = { cow: options.weights?.region_object_create ?? 0 };
  const handleKinds = (Object.keys(HANDLE_KIND_OPS) as HandleSym["kind"][])
    .filter((kind) => !options.ops || HANDLE_KIND_OPS[kind].every((op) => options.ops!.includes(op)))
    .filter((kind) => (handleWeights[kind as "cow"] ?? 1) > 0);
  const scenarioArb = fc.tuple(
    fc.array(createSym(scope, true), { minLength: 1, maxLength: 2 }),
    // A subset of operations gets only the preludes it can run (create is always needed).
    options.ops && !options.ops.includes("enter") ? fc.constant([]) : fc.array(populateSym(), { maxLength: 5 }),
    handleKinds.length === 0 ? fc.constant([]) : fc.array(handleSym(handleKinds, handleWeights), { maxLength: 4 }),
    fc.array(commandArbitrary(scope, options.ops, options.weights), { maxLength: options.maxCommands, size: "max" }),
    options.swarm ? fc.subarray([...(options.ops ?? OP_NAMES)], { minLength: 2 }) : fc.constant(null),
    (options.ops ?? OP_NAMES).includes("switch") ? fc.array(commandArbitrary(scope, ["switch"]), { minLength: 1, maxLength: 2 }) : fc.constant([]),
  );
  const property = fc.property(scenarioArb, (scenario) => {
    // Shrink candidates (after the first failure) are not runs of the campaign.
    const counted = !coverage.frozen;
    if (counted) runs++;
    const lockValidator = new LockValidator(new KernelTopology(), runs - 1);
    const ls = new Lockstep({ ...lockstepOptions, lockValidator });
    try {
      execute(scenario, ls, scope, gens);
    } catch (e) {
      if (!coverage.frozen) originalLength = ls.history.length;
      coverage.frozen = true;
      throw e;
    } finally {
      if (counted) lockGraph.absorb(lockValidator.summary());
    }
    options.onProgress?.({ runs, totalRuns: options.runs, commandsExecuted: coverage.commandsExecuted, elapsedMs: performance.now() - started, coverage });
  });
  const details = fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    ...(options.timeSeconds !== undefined ? { interruptAfterTimeLimit: options.timeSeconds * 1000 } : {}),
    ...(options.shrink === false ? { endOnFailure: true } : {}),
  });
  const durationMs = Math.round(performance.now() - started);
  const base = {
    seed: options.seed,
    runs,
    commandsExecuted: coverage.commandsExecuted,
    commandsSkipped: coverage.commandsSkipped,
    commandsInFlight: coverage.commandsInFlight,
    durationMs,
    coverage: { ops: coverage.ops, results: coverage.results, invariants: coverage.invariants },
    resultsByOp: coverage.resultsByOp,
    scope,
    ops: options.ops ?? OP_NAMES,
    ...(concurrencyStats.resumptions > 0 ? { concurrency: concurrencyReport(concurrencyStats, lockGraph) } : {}),
  };
  if (!details.failed || !details.counterexample) return { ok: true, ...base };

  // Replay the shrunk scenario once more, recording the concrete commands and the failure.
  const ls = new Lockstep({ ...lockstepOptions, coverage: Object.assign(new Coverage(), { frozen: true }) });
  let failure: CheckFailure | undefined;
  try {
    execute(details.counterexample[0], ls, scope, gens);
  } catch (e) {
    if (!(e instanceof CheckFailure)) throw e;
    failure = e;
  }
  if (!failure) throw new Error("the shrunk counterexample did not fail again: the system under test is not deterministic");
  const shrunk = ls.history.map((h) => h.op);
  // Then delta debugging on the concrete commands, which escapes fast-check's local minima.
  let commands: readonly Op[] = shrunk;
  if (options.shrink !== false && options.minimize !== false) {
    const minimal = minimizeCommands(shrunk, lockstepOptions, failure.check);
    commands = minimal.commands;
    failure = new CheckFailure(minimal.outcome.check, minimal.outcome.step, minimal.outcome.message);
  }
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
    counterexample: { file, length: commands.length, check: failure.check, message: failure.detail, commands, originalLength, shrunkLength: shrunk.length },
  };
}

function concurrencyReport(stats: ConcurrencyStats, validator: LockValidator): ConcurrencyReport {
  const { acquisitions, edges, findings } = validator.summary();
  return { ...stats, lockOrder: { acquisitions, edges, findings } };
}
