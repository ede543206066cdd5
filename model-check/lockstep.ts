/**
 * The lockstep executor: runs one command on the spec and on the implementation, then checks,
 * in this order, that
 *   1. the two results are equal ("results"),
 *   2. the abstraction of the implementation equals the spec's abstract state ("refinement"),
 *   3. every enabled invariant of the registry holds, and
 *   4. the step-to-step properties hold (map timestamps never go back: "timestamp-monotone").
 * The first failure is thrown as a {@link CheckFailure}. The executor also counts coverage.
 * Fast-check drives it (campaign.ts); replay drives it from a counterexample file.
 */
import { isDeepStrictEqual } from "node:util";
import { Kernel } from "../impl/kernel.ts";
import { abstractSpec, newSpecWorld, SPEC, wouldBlock, type SpecWorld } from "../spec/index.ts";
import { diffAbstract, type AbstractPage, type AbstractWorld } from "../spec/abstract.ts";
import { mapEntries } from "../impl/map/map-check.ts";
import type { VmMap } from "../impl/map/vm-map.ts";
import type { Scope } from "../spec/scope.ts";
import { dispatch, type Op, type OpResult } from "../spec/vocabulary.ts";
import { abstractImpl, implMatches } from "./abstraction.ts";
import { collapseWatcher, INVARIANTS, type Invariant } from "./invariants.ts";
import { entryLine, entryShapeWatcher } from "./entry-shape.ts";
import { pmapWorkWatcher } from "./pmap-work.ts";
import type { RecentAccess, RecentRange } from "./generators.ts";
import { formatOp, formatResult } from "./printer.ts";
import { ConcurrentSession, newStats, type ConcurrencyStats, type SessionHost } from "./concurrency/session.ts";
import { SuspendableOps } from "../impl/sched/suspendable.ts";
import type { LockValidator } from "../impl/locks/lockdep.ts";

/** Builds the implementation under test; tests pass one that plants a bug. */
export type KernelFactory = (scope: Scope) => Kernel;
export const realKernel: KernelFactory = (scope) => new Kernel(scope);

/**
 * The adapter through which the harness checks any implementation of the vocabulary — ours or
 * a user's. Only `run` and `abstract` are required; an implementation that exposes named
 * internal invariants or per-map version counters gets those checked too.
 */
export interface SystemUnderTest {
  /** Run one command; must never throw (bad input returns the reference's code). */
  run(op: Op): OpResult;
  /** The state in the canonical form of spec/abstract.ts, compared with the spec's after every command. */
  abstract(): AbstractWorld;
  /**
   * Optional: the abstraction restricted to the maps in `maps` (the others null; no objects,
   * copies or named entries), as spec/world.ts's abstractSpec(world, maps) gives it. Lets a
   * long replay check each command's own maps between full comparisons.
   */
  abstractMaps?(maps: ReadonlySet<number>): AbstractWorld;
  /**
   * Optional fast path of the refinement check: true only when `abstract()` would equal `view`.
   * On false (or when absent) the harness builds `abstract()` and diffs it, which decides.
   */
  matches?(view: AbstractWorld): boolean;
  /** Named checks of the implementation's own structures, run after every command. */
  readonly invariants?: readonly { readonly name: string; check(spec: () => AbstractWorld): string | undefined }[];
  /** Each map's version counter (Mach's timestamp), index = map handle; it must never go back. */
  timestamps?(): readonly (number | undefined)[];
  /**
   * Optional: each map's entries as one string (index = map handle), every field the map's
   * write lock guards: ranges, object and offset, needs_copy, submap, protections, inheritance,
   * behavior, alias, wiring, sharing, transition. With it, "timestamp-bumped" judges a change
   * by the entries themselves (a copy-on-write resolved, an object created); without it, by the
   * abstraction's page attributes.
   */
  entryShapes?(): readonly (string | undefined)[];
}
export type SystemFactory = (scope: Scope) => SystemUnderTest;

/** Our implementation behind the adapter, with the whole invariant registry. */
export function kernelSystem(kernel: Kernel, invariants: readonly Invariant[] = INVARIANTS): SystemUnderTest {
  collapseWatcher(kernel.objectLayer);
  entryShapeWatcher(kernel);
  pmapWorkWatcher(kernel);
  return {
    run: (op) => kernel.run(op),
    abstract: () => abstractImpl(kernel),
    abstractMaps: (maps) => abstractImpl(kernel, maps),
    matches: (view) => implMatches(kernel, view),
    invariants: invariants.map((inv) => ({ name: inv.name, check: (spec) => inv.check(kernel, spec) })),
    timestamps: () => kernel.maps.map((m) => m?.timestamp),
    entryShapes: () => kernel.maps.map((m) => (m ? entryShape(m) : undefined)),
  };
}

/** Names of the checks that are not invariants of the registry. */
export const STEP_CHECKS = ["results", "refinement", "timestamp-monotone", "timestamp-bumped", "exception"] as const;

export class CheckFailure extends Error {
  constructor(
    /** "results", "refinement", an invariant name, "timestamp-monotone" or "exception". */
    readonly check: string,
    /** Index of the failing command in the executed history. */
    readonly step: number,
    readonly detail: string,
  ) {
    super(`${check} failed at step ${step}: ${detail}`);
    this.name = "CheckFailure";
  }
}

/** Counts of what a campaign exercised. */
export class Coverage {
  readonly ops: Record<string, number> = {};
  readonly results: Record<string, number> = {};
  readonly resultsByOp: Record<string, Record<string, number>> = {};
  readonly invariants: Record<string, number> = {};
  commandsExecuted = 0;
  commandsSkipped = 0;
  /** Commands after which threads still had operations in flight: only the instant checks ran (concurrency). */
  commandsInFlight = 0;
  /** While frozen (during shrinking), nothing is counted. */
  frozen = false;

  recordOp(op: Op, result: OpResult): void {
    if (this.frozen) return;
    this.commandsExecuted++;
    this.ops[op.op] = (this.ops[op.op] ?? 0) + 1;
    this.results[result.kr] = (this.results[result.kr] ?? 0) + 1;
    const byOp = (this.resultsByOp[op.op] ??= {});
    byOp[result.kr] = (byOp[result.kr] ?? 0) + 1;
  }
  /** A spawned operation's result, counted for its operation and code when it completes (not a command). */
  recordOutcome(op: Op, result: OpResult): void {
    if (this.frozen) return;
    this.ops[op.op] = (this.ops[op.op] ?? 0) + 1;
    this.results[result.kr] = (this.results[result.kr] ?? 0) + 1;
    const byOp = (this.resultsByOp[op.op] ??= {});
    byOp[result.kr] = (byOp[result.kr] ?? 0) + 1;
  }
  recordInFlight(): void {
    if (!this.frozen) this.commandsInFlight++;
  }
  recordInvariant(name: string): void {
    if (!this.frozen) this.invariants[name] = (this.invariants[name] ?? 0) + 1;
  }
  recordSkip(): void {
    if (!this.frozen) this.commandsSkipped++;
  }
}

export interface LockstepOptions {
  readonly scope: Scope;
  /** Our implementation, possibly with a planted bug (default: the real one). */
  readonly kernel?: KernelFactory;
  /** Any other implementation, through the adapter; takes precedence over `kernel`. */
  readonly system?: SystemFactory;
  readonly invariants?: readonly Invariant[];
  readonly coverage?: Coverage;
  /**
   * Keep at most about this many steps in `history` (the oldest are dropped), so a long replay
   * (an strace log) runs in bounded memory. Default: keep everything.
   */
  readonly historyLimit?: number;
  /** The thread bodies of spawned operations (tests plant concurrency bugs by subclassing). */
  readonly suspendable?: typeof SuspendableOps;
  /** Lock-order validator shared by every run of a campaign (its class-order graph accumulates). */
  readonly lockValidator?: LockValidator;
  /** Counters of the concurrency checker, shared by every run of a campaign. */
  readonly concurrencyStats?: ConcurrencyStats;
}

/** One executed command with both results. */
export interface StepRecord {
  readonly op: Op;
  readonly spec: OpResult;
  readonly impl: OpResult | undefined;
}

export class Lockstep {
  /** The spec's world (replaced by the linearization found when concurrent operations complete). */
  spec: SpecWorld;
  /** The spec's abstract state after the last step: generators draw arguments from it. */
  view: AbstractWorld;
  /** The system under test. */
  readonly sut: SystemUnderTest;
  /** Our implementation when it is the one under test (explain reads its entries); else undefined. */
  readonly impl: Kernel | undefined;
  readonly history: StepRecord[] = [];
  /** Steps executed so far (history may hold only the latest of them). */
  steps = 0;
  /** Steps whose refinement was checked. */
  refinementChecks = 0;
  /** Steps whose named maps alone were compared. */
  namedMapChecks = 0;
  /** The step after which `view` was last built from the spec (-1: none). */
  private viewStep = -1;
  private readonly coverage: Coverage;
  /** The concurrency checker, from the first spawn or step on (our implementation only). */
  private session: ConcurrentSession | null = null;

  constructor(readonly options: LockstepOptions) {
    this.spec = newSpecWorld(options.scope);
    if (options.system) {
      this.impl = undefined;
      this.sut = options.system(options.scope);
    } else {
      this.impl = (options.kernel ?? realKernel)(options.scope);
      this.sut = kernelSystem(this.impl, options.invariants ?? INVARIANTS);
    }
    this.coverage = options.coverage ?? new Coverage();
    this.view = abstractSpec(this.spec);
  }

  /** The operation, map, addr and size of the last eight commands that took a range, newest first. */
  recentRanges(): RecentRange[] {
    const out: RecentRange[] = [];
    for (let i = this.history.length - 1; i >= 0 && out.length < 8; i--) {
      const top = this.history[i]!.op;
      // A spawned operation's range counts as its own (so threads race on the same pages).
      const op = (top.op === "spawn" ? top.body : top) as { readonly op?: unknown; readonly map?: unknown; readonly addr?: unknown; readonly size?: unknown };
      if (typeof op.op === "string" && typeof op.map === "number" && typeof op.addr === "number" && typeof op.size === "number")
        out.push({ op: op.op as RecentRange["op"], map: op.map, addr: op.addr, size: op.size });
    }
    return out;
  }

  /** The CPU and address of the last eight loads and stores (spawned ones too), newest first. */
  recentAccesses(): RecentAccess[] {
    const out: RecentAccess[] = [];
    for (let i = this.history.length - 1; i >= 0 && out.length < 8; i--) {
      const top = this.history[i]!.op;
      const { op, cpu, addr } = (top.op === "spawn" ? top.body : top) as { readonly op?: unknown; readonly cpu?: unknown; readonly addr?: unknown };
      if ((op === "load" || op === "store") && typeof cpu === "number" && typeof addr === "number" && Number.isInteger(cpu) && Number.isInteger(addr)) out.push({ cpu, addr });
    }
    return out;
  }

  /**
   * True when the command cannot run now: in a sequential world it would wait forever. (While
   * threads have operations in flight, another command first waits for them to finish.)
   */
  blocks(op: Op): boolean {
    if (op.op === "spawn" || op.op === "step") return false;
    this.drainThreads();
    return wouldBlock(this.spec, op);
  }

  /** A sequential command waits for every thread's operation in flight to finish (and be checked). */
  private drainThreads(): void {
    if (this.session !== null && !this.session.quiescent) this.session.finish(Math.max(0, this.steps - 1), this.history.at(-1)?.op);
  }

  /** End of a run: threads still in flight run to completion and are checked (concurrency checker). */
  finish(): void {
    this.session?.finish(Math.max(0, this.steps - 1), this.history.at(-1)?.op);
  }

  /** Interleaving statistics of this run's concurrency checker, if it ran. */
  get concurrency(): ConcurrentSession | null {
    return this.session;
  }

  skip(): void {
    this.coverage.recordSkip();
  }

  /**
   * Run one command on both sides and check everything; throws CheckFailure. With `refine`
   * false the refinement check (the abstraction of both states, proportional to the mapped
   * pages) is left for a later {@link checkRefinement}; with "named" only the maps the command
   * names (and creates) are compared, when the system supports it. Results, invariants and
   * timestamps are always checked. `view` is only brought up to date by a full refinement check.
   */
  step(op: Op, refine: boolean | "named" = true): StepRecord {
    if ((op.op === "spawn" || op.op === "step") && this.impl !== undefined) return this.threadStep(op);
    this.drainThreads();
    const stepIndex = this.steps++;
    const timestamps = this.sut.timestamps?.() ?? [];
    // The spec's view before this command, when the last step built it (and no thread ran since).
    const before = this.viewStep === stepIndex - 1 ? this.view : undefined;
    const shapes = this.sut.entryShapes?.();
    let specResult: OpResult;
    try {
      specResult = dispatch(SPEC, this.spec, op);
    } catch (e) {
      throw new CheckFailure("exception", stepIndex, `${formatOp(op)} threw in the spec: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
    let implResult: OpResult;
    try {
      implResult = this.sut.run(op);
    } catch (e) {
      this.history.push({ op, spec: specResult, impl: undefined });
      throw new CheckFailure("exception", stepIndex, `${formatOp(op)} threw in the implementation: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
    const record: StepRecord = { op, spec: specResult, impl: implResult };
    this.history.push(record);
    const limit = this.options.historyLimit;
    if (limit !== undefined && this.history.length > 2 * limit) this.history.splice(0, this.history.length - limit);
    this.coverage.recordOp(op, specResult);

    if (!sameResult(specResult, implResult))
      throw new CheckFailure("results", stepIndex, `${formatOp(op)}: spec returned ${formatResult(specResult)}, impl returned ${formatResult(implResult)}`);

    if (refine === "named") this.checkNamedMaps(stepIndex, op, implResult);
    else if (refine) this.checkRefinement(stepIndex, op);
    this.checkInvariants(stepIndex, op, timestamps);
    if (shapes !== undefined) this.checkEntriesBumped(stepIndex, op, shapes, timestamps);
    else if (before !== undefined && this.viewStep === stepIndex) this.checkChangesBumped(stepIndex, op, before, this.view, timestamps);
    return record;
  }

  /** A spawn or step: the concurrency checker runs it (and checks what it must). */
  private threadStep(op: Extract<Op, { op: "spawn" | "step" }>): StepRecord {
    const stepIndex = this.steps++;
    this.session ??= new ConcurrentSession(this.sessionHost(), this.options.suspendable ?? SuspendableOps, this.options.lockValidator, this.options.concurrencyStats ?? newStats());
    const record: StepRecord = { op, spec: { kr: "KERN_SUCCESS" }, impl: undefined };
    this.history.push(record);
    // A thread's write lock and upgrade bump the timestamp as a sequential command's does, and
    // no step of any thread may take it back.
    const timestamps = this.sut.timestamps?.() ?? [];
    const result = this.session.command(op, stepIndex);
    this.checkTimestamps(stepIndex, op, timestamps);
    const done: StepRecord = { op, spec: result, impl: result };
    this.history[this.history.length - 1] = done;
    return done;
  }

  private sessionHost(): SessionHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const ls = this;
    return {
      impl: this.impl!,
      get spec() {
        return ls.spec;
      },
      set spec(w) {
        ls.spec = w;
      },
      refinementDiff: (view) => (this.sut.matches?.(view) ? undefined : diffAbstract(view, this.sut.abstract(), this.options.scope.pageSize)),
      checkQuiescent: (stepIndex, op) => {
        this.checkRefinement(stepIndex, op);
        this.checkInvariants(stepIndex, op, []);
      },
      recordCheck: (name) => this.coverage.recordInvariant(name),
      recordOp: (op, result) => this.coverage.recordOp(op, result),
      recordOutcome: (op, result) => this.coverage.recordOutcome(op, result),
      recordInFlight: () => this.coverage.recordInFlight(),
      fail: (check, stepIndex, detail) => {
        throw new CheckFailure(check, stepIndex, detail);
      },
    };
  }

  /** Every invariant of the registry, then the step-to-step properties (timestamps taken before the step). */
  private checkInvariants(stepIndex: number, op: Op, timestamps: readonly (number | undefined)[]): void {
    // The full refinement check of this step (if it ran) already built the spec's abstraction.
    let specView: AbstractWorld | undefined = this.viewStep === stepIndex ? this.view : undefined;
    const spec = (): AbstractWorld => (specView ??= abstractSpec(this.spec));
    for (const inv of this.sut.invariants ?? []) {
      this.coverage.recordInvariant(inv.name);
      const msg = inv.check(spec);
      if (msg) throw new CheckFailure(inv.name, stepIndex, `after ${formatOp(op)}: ${msg}`);
    }

    this.checkTimestamps(stepIndex, op, timestamps);
  }

  /** No map's timestamp went back since `timestamps` were taken (before the step). */
  private checkTimestamps(stepIndex: number, op: Op, timestamps: readonly (number | undefined)[]): void {
    if (!this.sut.timestamps) return;
    this.coverage.recordInvariant("timestamp-monotone");
    const after = this.sut.timestamps();
    for (let h = 0; h < timestamps.length; h++) {
      const was = timestamps[h], now = after[h];
      if (was !== undefined && now !== undefined && now < was)
        throw new CheckFailure("timestamp-monotone", stepIndex, `after ${formatOp(op)}: map ${h} timestamp went from ${was} to ${now}`);
    }
  }

  /**
   * "timestamp-bumped" (#34, #35): a map whose mappings changed — a page mapped or unmapped, or
   * any attribute of one (protections, inheritance, behavior, alias, wiring, submap window) —
   * was changed under its write lock, and taking the write lock bumps the timestamp; a change
   * without the bump would leave a faulting thread's lookup version valid over a changed map.
   * The spec's views before and after the command say what changed (refinement has shown the
   * implementation's equal); the bytes and the sharing of pages (cells) are left out: a write
   * under the read lock changes them legitimately. Only checked when the view of the step before
   * was built (every full refinement check builds it).
   */
  private checkChangesBumped(stepIndex: number, op: Op, before: AbstractWorld, after: AbstractWorld, timestamps: readonly (number | undefined)[]): void {
    if (!this.sut.timestamps) return;
    this.coverage.recordInvariant("timestamp-bumped");
    const now = this.sut.timestamps();
    for (let h = 0; h < before.maps.length; h++) {
      const was = before.maps[h], is = after.maps[h], t0 = timestamps[h], t1 = now[h];
      if (!was || !is || t0 === undefined || t1 === undefined || t1 > t0) continue;
      const changed = mappingsChange(was.pages, is.pages);
      if (changed !== undefined)
        throw new CheckFailure("timestamp-bumped", stepIndex, `after ${formatOp(op)}: map ${h} changed (${changed}) but its timestamp stayed ${t1}: the change was made without the write lock`);
    }
  }

  /** "timestamp-bumped" judged by the implementation's own entries (see {@link SystemUnderTest.entryShapes}). */
  private checkEntriesBumped(stepIndex: number, op: Op, before: readonly (string | undefined)[], timestamps: readonly (number | undefined)[]): void {
    this.coverage.recordInvariant("timestamp-bumped");
    const after = this.sut.entryShapes!(), now = this.sut.timestamps?.() ?? [];
    for (let h = 0; h < before.length; h++) {
      const was = before[h], is = after[h], t0 = timestamps[h], t1 = now[h];
      if (was === undefined || is === undefined || t0 === undefined || t1 === undefined || t1 > t0 || was === is) continue;
      const a = was === "" ? [] : was.split("\n"), b = is === "" ? [] : is.split("\n");
      let i = 0;
      while (a[i] === b[i]) i++;
      const what = a[i] === undefined ? `entry ${b[i]} added` : b[i] === undefined ? `entry ${a[i]} gone` : `entry ${a[i]} became ${b[i]}`;
      throw new CheckFailure("timestamp-bumped", stepIndex, `after ${formatOp(op)}: map ${h} changed (${what}) but its timestamp stayed ${t1}: the change was made without the write lock`);
    }
  }

  /** Refinement restricted to the maps `op` names or created (nothing for a command naming none). */
  private checkNamedMaps(stepIndex: number, op: Op, result: OpResult): void {
    if (!this.sut.abstractMaps) return;
    const maps = new Set<number>();
    if ("map" in op) maps.add(op.map);
    if ("srcMap" in op) maps.add(op.srcMap);
    if ("map" in result && typeof result.map === "number") maps.add(result.map);
    if (maps.size === 0) return;
    const diff = diffAbstract(abstractSpec(this.spec, maps), this.sut.abstractMaps(maps), this.options.scope.pageSize);
    this.namedMapChecks++;
    if (diff) throw new CheckFailure("refinement", stepIndex, `after ${formatOp(op)} (the maps it names): ${diff}`);
  }

  /** The refinement check alone: the impl's abstraction must equal the spec's (after `op`, step `stepIndex`). */
  checkRefinement(stepIndex = this.steps - 1, op: Op | undefined = this.history[this.history.length - 1]?.op): void {
    this.view = abstractSpec(this.spec);
    this.viewStep = stepIndex;
    const diff = this.sut.matches?.(this.view) ? undefined : diffAbstract(this.view, this.sut.abstract(), this.options.scope.pageSize);
    this.coverage.recordInvariant("refinement");
    this.refinementChecks++;
    if (diff) throw new CheckFailure("refinement", stepIndex, `${op ? `after ${formatOp(op)}` : "initially"}: ${diff}`);
  }
}

/**
 * Results are equal (node's isDeepStrictEqual). Fast path: two plain objects with the same
 * keys and identical values are equal; anything else, and any difference, is decided by
 * isDeepStrictEqual itself.
 */
function sameResult(a: OpResult, b: OpResult): boolean {
  if (Object.getPrototypeOf(a) === Object.prototype && Object.getPrototypeOf(b) === Object.prototype) {
    let keys = 0;
    const x = a as unknown as Record<string, unknown>, y = b as unknown as Record<string, unknown>;
    for (const k in x) {
      keys++;
      if (!Object.hasOwn(y, k) || !Object.is(x[k], y[k])) return isDeepStrictEqual(a, b);
    }
    for (const _ in y) keys--;
    if (keys === 0) return true;
  }
  return isDeepStrictEqual(a, b);
}

/** Outcome of running a fixed command list. */
export type ReplayOutcome =
  | { readonly ok: true; readonly steps: number; readonly skipped: number }
  | { readonly ok: false; readonly steps: number; readonly skipped: number; readonly check: string; readonly step: number; readonly message: string };

/**
 * Run a concrete command list in lockstep (no generator involved). Commands that would block
 * forever are skipped, exactly as during generation.
 */
export function replayCommands(commands: readonly Op[], options: LockstepOptions): ReplayOutcome & { readonly history: readonly StepRecord[] } {
  const ls = new Lockstep(options);
  let skipped = 0;
  try {
    for (const op of commands) {
      if (ls.blocks(op)) {
        skipped++;
        continue;
      }
      ls.step(op);
    }
    ls.finish();
    return { ok: true, steps: ls.history.length, skipped, history: ls.history };
  } catch (e) {
    if (e instanceof CheckFailure) return { ok: false, steps: ls.history.length, skipped, check: e.check, step: e.step, message: e.detail, history: ls.history };
    throw e;
  }
}

/** The first page whose mapping differs between two views of a map (bytes and cells aside), described; undefined when none does. */
function mappingsChange(before: readonly AbstractPage[], after: readonly AbstractPage[]): string | undefined {
  const key = (p: AbstractPage): string =>
    `${p.prot}/${p.maxProt}/${p.inheritance}/${p.behavior}/${p.alias}/${p.wiredCount}/${p.userWiredCount}/${p.submap}/${p.nested}/${p.cow}`;
  const was = new Map(before.map((p) => [p.page, key(p)]));
  for (const p of after) {
    const k = was.get(p.page);
    if (k === undefined) return `page ${p.page} mapped`;
    if (k !== key(p)) return `page ${p.page}: ${k} -> ${key(p)}`;
    was.delete(p.page);
  }
  for (const page of was.keys()) return `page ${page} unmapped`;
  return undefined;
}

/** A map's entries, one line each, with every field its write lock guards (objects by id). */
function entryShape(map: VmMap): string {
  return [...mapEntries(map)].map((e) => entryLine(map, e)).join("\n");
}
