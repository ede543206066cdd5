/**
 * The concurrency checker: what `spawn` and `step` commands mean in a lockstep run.
 *
 * Threads run suspendable operations (impl/sched/) under the deterministic scheduler. After
 * every spawn or step the checker asks what must hold at every instant:
 * - `lock-order`: the lock-order validator (impl/locks/lockdep.ts) found no broken rule or cycle;
 * - `lock-discipline`: no thread changed a map without holding a write lock (#35);
 * - `in-transition-held`: every page a thread put in transition is still mapped by an entry in
 *   transition — nobody deleted or replaced it meanwhile (#28, #29);
 * - `lost-wakeup`: no thread sleeps on a map whose reason to sleep is gone (#30);
 * - `no-freed-frame-reachable` (the MMU invariant, here at every instant): while a shootdown
 *   waits for acknowledgements a CPU may still use its stale TLB entry, so the frame behind it
 *   must not be free.
 * Whenever no operation is in flight (quiescence) it checks `linearizability`: the operations
 * completed since the last quiescence have a real-time-respecting order in which the spec gives
 * each its result and ends in the implementation's state; the spec then continues from that
 * state, and the refinement check and every invariant of the registry run as after any command.
 * At the end of a run the threads still in flight are run to completion (`drain`): threads that
 * can no longer run are a `deadlock`, unless they sleep on a kernel wiring nobody will drop
 * (a user program that waits forever), which are given up.
 */
import type { Kernel } from "../../impl/kernel.ts";
import { LockDisciplineError, Scheduler } from "../../impl/sched/scheduler.ts";
import { SuspendableOps } from "../../impl/sched/suspendable.ts";
import type { LockValidator } from "../../impl/locks/lockdep.ts";
import { isStepCount, isThread, spawnBody } from "../../spec/ops/threads.ts";
import { abstractSpec, type SpecWorld } from "../../spec/index.ts";
import type { AbstractWorld } from "../../spec/abstract.ts";
import type { Op, OpOf, OpResult } from "../../spec/vocabulary.ts";
import { formatOp, formatResult } from "../printer.ts";
import { describe, linearize } from "./linearizability.ts";
import { isDeepStrictEqual } from "node:util";
import { dispatch } from "../../spec/vocabulary.ts";
import { cloneSpecWorld, SPEC, wouldBlock } from "../../spec/index.ts";
import { MMU_INVARIANTS } from "../mmu-invariants.ts";
import { racesShootdown, servedByTlb, TLB_HIT_LOCK_FREE } from "./lock-free-hits.ts";

/** The MMU invariant that holds at every instant, not only at quiescence. */
const FRAMES_NEVER_FREED_EARLY = MMU_INVARIANTS.find((i) => i.name === "no-freed-frame-reachable")!;

/** The checks of this module, as reports and coverage name them. */
export const CONCURRENCY_CHECKS = ["linearizability", "lock-order", "lock-discipline", "in-transition-held", "lost-wakeup", "deadlock", TLB_HIT_LOCK_FREE] as const;

/** What the session needs from the lockstep executor that owns it. */
export interface SessionHost {
  readonly impl: Kernel;
  spec: SpecWorld;
  /** The implementation's abstraction differs from `view` how, or undefined. */
  refinementDiff(view: AbstractWorld): string | undefined;
  /** Refinement and every invariant, as after a sequential command. */
  checkQuiescent(stepIndex: number, op: Op): void;
  recordCheck(name: string): void;
  recordOp(op: Op, result: OpResult): void;
  /** A completed spawned operation's result (coverage of its operation and code; not a command). */
  recordOutcome(op: Op, result: OpResult): void;
  /** The command left threads in flight: only the instant checks ran after it. */
  recordInFlight(): void;
  fail(check: string, stepIndex: number, detail: string): never;
}

/** Counts a campaign report shows. */
export interface ConcurrencyStats {
  /** Suspension points passed by all threads: the interleaving steps explored. */
  resumptions: number;
  /** Quiescent windows checked for linearizability, and the orders the search tried. */
  windows: number;
  ordersTried: number;
  /** Windows whose search ran out of budget (neither passed nor failed). */
  undecided: number;
  /** Shootdown acknowledgements waited for as suspension points. */
  acksAwaited: number;
  /** User loads and stores done on TLB hits without a lock; of them, those racing an unacknowledged shootdown of their CPU. */
  lockFreeHits: number;
  racingHits: number;
}

export const newStats = (): ConcurrencyStats => ({ resumptions: 0, windows: 0, ordersTried: 0, undecided: 0, acksAwaited: 0, lockFreeHits: 0, racingHits: 0 });

export class ConcurrentSession {
  readonly sched: Scheduler;
  private findingsSeen = 0;
  private windowStart = 0;

  constructor(
    private readonly host: SessionHost,
    opsClass: typeof SuspendableOps,
    validator: LockValidator | undefined,
    private readonly stats: ConcurrencyStats,
  ) {
    const ops = new opsClass(host.impl);
    this.sched = new Scheduler(host.impl, (s, t, op) => ops.body(s, t, op), validator);
    this.sched.validator.beginRun();
    this.findingsSeen = this.sched.findings.length;
  }

  get quiescent(): boolean {
    return this.sched.quiescent;
  }

  /** Run one spawn or step command; returns its result (the body's result comes at completion). */
  command(op: OpOf<"spawn" | "step">, stepIndex: number): OpResult {
    this.sched.site = { command: stepIndex, step: this.sched.resumptions };
    const before = this.counters();
    let result: OpResult;
    try {
      result = op.op === "spawn" ? this.spawn(op) : this.step(op);
    } catch (e) {
      if (e instanceof LockDisciplineError) {
        this.host.recordCheck("lock-discipline");
        this.host.fail("lock-discipline", stepIndex, `during ${formatOp(op)}: ${e.message}`);
      }
      this.host.fail("exception", stepIndex, `${formatOp(op)} threw in the implementation: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    } finally {
      this.addCounters(before);
    }
    this.host.recordOp(op, result);
    if (this.blockedHit !== undefined) {
      const message = this.blockedHit;
      this.blockedHit = undefined;
      this.host.fail(TLB_HIT_LOCK_FREE, stepIndex, message);
    }
    this.checkInstant(stepIndex, op);
    return result;
  }

  /** Set by a spawn whose access the TLB could serve but that waited (reported after the command). */
  private blockedHit: string | undefined;

  private spawn(op: OpOf<"spawn">): OpResult {
    const body = spawnBody(op.body);
    if (!isThread(op.thread) || body === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    const hit = servedByTlb(this.host.impl, body);
    // Judged before the access runs: a shootdown that still awaits this CPU's acknowledgement.
    const racing = hit && racesShootdown(this.host.impl, (body as { cpu: number }).cpu);
    this.holdViolations();
    if (!this.sched.spawn(op.thread, body)) return { kr: "KERN_INVALID_ARGUMENT" };
    if (hit) {
      this.host.recordCheck(TLB_HIT_LOCK_FREE);
      if (this.sched.inFlight().includes(op.thread))
        this.blockedHit = `${formatOp(op)}: cpu ${(body as { cpu: number }).cpu}'s TLB holds every page the ${body.op} touches, with the access, yet the thread did not complete: a TLB hit takes no lock`;
      else {
        this.stats.lockFreeHits++;
        if (racing) this.stats.racingHits++;
      }
    }
    return { kr: "KERN_SUCCESS" };
  }

  private step(op: OpOf<"step">): OpResult {
    if (!isThread(op.thread) || !isStepCount(op.count)) return { kr: "KERN_INVALID_ARGUMENT" };
    this.holdViolations();
    this.sched.step(op.thread, op.count);
    return { kr: "KERN_SUCCESS" };
  }

  /** What must hold at every instant; then, at quiescence, linearizability and the full checks. */
  private checkInstant(stepIndex: number, op: Op): void {
    const { host, sched } = this;
    host.recordCheck("lock-order");
    if (sched.findings.length > this.findingsSeen) {
      const f = sched.findings[this.findingsSeen]!;
      this.findingsSeen = sched.findings.length;
      host.fail("lock-order", stepIndex, `after ${formatOp(op)}: ${f.message}${f.scenario ? `\n${f.scenario.join("\n")}` : ""}`);
    }
    host.recordCheck("in-transition-held");
    for (const tr of sched.transitions.values()) {
      for (const a of tr.pages) {
        const r = tr.map.lookupEntry(a);
        if (!r.found || !r.entry.inTransition)
          host.fail("in-transition-held", stepIndex, `after ${formatOp(op)}: page 0x${a.toString(16)} of map ${host.impl.handleOf(tr.map)}, put in transition by thread ${tr.thread}, is ${r.found ? "no longer in transition" : "unmapped"}: another thread changed it meanwhile`);
      }
    }
    host.recordCheck("lost-wakeup");
    const lost = sched.lostWakeups()[0];
    if (lost) host.fail("lost-wakeup", stepIndex, `after ${formatOp(op)}: thread ${lost.thread} sleeps (${lost.why}) but nothing it waits for remains and nobody woke it`);
    // While shootdowns wait for acknowledgements, stale TLB entries are allowed; a free frame
    // reachable from one (or from a PTE) is not, at any instant: it may be reused at once.
    if (host.impl.activeMmu !== null) {
      host.recordCheck(FRAMES_NEVER_FREED_EARLY.name);
      const early = FRAMES_NEVER_FREED_EARLY.check(host.impl);
      if (early !== undefined) host.fail(FRAMES_NEVER_FREED_EARLY.name, stepIndex, `after ${formatOp(op)}: ${early}`);
    }
    if (sched.quiescent) {
      this.checkWindow(stepIndex, op);
      host.impl.holdViolations = false; // checked: the next command starts afresh
    } else host.recordInFlight();
  }

  /**
   * From the first thread command after a quiescent check on, the MMU's records of violations
   * are kept — across every commit of a thread command and every command until the next
   * quiescent instant, where they are checked (a needless reserve taken by a write's fault half
   * was cleared by its own write commit, and every record by the next command, before).
   */
  private holdViolations(): void {
    const impl = this.host.impl;
    if (!impl.holdViolations) impl.clearViolations();
    impl.holdViolations = true;
  }

  /** Linearizability of the operations completed since the last quiescence. */
  private checkWindow(stepIndex: number, op: Op): void {
    const { host, sched } = this;
    const window = sched.completions.slice(this.windowStart);
    this.windowStart = sched.completions.length;
    if (window.length === 0) {
      host.checkQuiescent(stepIndex, op); // nothing completed; the state is checked as after any command
      return;
    }
    for (const c of window) host.recordOutcome(c.op, c.result);
    host.recordCheck("linearizability");
    this.stats.windows++;
    if (window.length === 1) {
      // One operation alone: nothing to order. Judged as a sequential command (results, then refinement).
      const c = window[0]!;
      host.recordCheck("results");
      if (wouldBlock(host.spec, c.op)) host.fail("results", stepIndex, `${describe(c)}, but the spec would still be waiting`);
      const r = dispatch(SPEC, host.spec, c.op);
      if (!isDeepStrictEqual(r, c.result)) host.fail("results", stepIndex, `${formatOp(c.op)} (thread ${c.thread}): spec returned ${formatResult(r)}, impl returned ${formatResult(c.result)}`);
      host.checkQuiescent(stepIndex, op);
      return;
    }
    const found = linearize(host.spec, window, (world) => host.refinementDiff(abstractSpec(world)));
    this.stats.ordersTried += found.explored;
    if (!found.ok) {
      // A search out of budget is reported, not passed: an unchecked window is no evidence.
      if (found.undecided) this.stats.undecided++;
      return host.fail("linearizability", stepIndex, `after ${formatOp(op)}: ${found.reason}`);
    }
    host.spec = found.world;
    host.checkQuiescent(stepIndex, op);
  }

  /** End of the run: run every thread still in flight to completion, then the quiescent checks. */
  finish(stepIndex: number, last: Op | undefined): void {
    const { sched, host } = this;
    const op = last ?? ({ op: "step", thread: 0, count: 1 } as const);
    const abandoned: { thread: number; op: Op; at: string }[] = [];
    for (let guard = 0; !sched.quiescent && guard < 10_000; guard++) {
      const runnable = sched.inFlight().filter((t) => sched.runnable(t));
      if (runnable.length === 0) break;
      const before = this.counters();
      try {
        for (const t of runnable) sched.step(t, 1);
      } catch (e) {
        if (e instanceof LockDisciplineError) host.fail("lock-discipline", stepIndex, `draining the threads at the end: ${e.message}`);
        host.fail("exception", stepIndex, `draining the threads at the end, the implementation threw: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      } finally {
        this.addCounters(before);
      }
      this.checkInstantNoWindow(stepIndex);
    }
    if (!sched.quiescent) {
      host.recordCheck("deadlock");
      const lost = sched.lostWakeups()[0];
      if (lost) host.fail("lost-wakeup", stepIndex, `at the end of the run: thread ${lost.thread} sleeps forever (${lost.why}) but nothing it waits for remains and nobody woke it`);
      const blocked = sched.deadlocked();
      const onLocks = blocked && [...blocked].filter(([, l]) => l !== null);
      if (onLocks && onLocks.length > 0) {
        const report = sched.validator.deadlock(new Map(onLocks.map(([t, l]) => [t, l!])));
        host.fail("deadlock", stepIndex, `at the end of the run every thread in flight is blocked: ${report?.message ?? onLocks.map(([t, l]) => `thread ${t} waits for map ${l!.id}`).join("; ")}`);
      }
      // Asleep on a kernel wiring nobody drops: the program waits forever; give those threads up.
      for (const t of sched.inFlight()) abandoned.push({ thread: t, op: sched.opOf(t)!, at: sched.pausedAt(t) ?? "" });
      for (const m of host.impl.everyMap.values()) for (let e = m.store.header.next; e !== m.store.header; e = e.next) e.needsWakeup = false;
      sched.abandonSleepers();
      // The window below is checked only at a quiescent instant: a thread left in flight here
      // would skip the run's last linearizability and refinement checks without a word.
      if (!sched.quiescent) throw new Error(`the run ends with thread(s) ${sched.inFlight().join(", ")} still in flight after the drain: neither runnable, deadlocked, nor asleep`);
    }
    this.checkInstant(stepIndex, op);
    // Every operation completed has been linearized: a thread given up must be one the spec
    // says waits for ever in the world they left (a kernel wiring nobody can drop). One asleep
    // for any other reason waited where the kernel would have gone on.
    for (const a of abandoned) {
      host.recordCheck("results");
      if (!wouldBlock(host.spec, a.op))
        host.fail("results", stepIndex, `at the end of the run thread ${a.thread} is still asleep in ${formatOp(a.op)} (${a.at}), but the spec would not wait: it answers ${formatResult(dispatch(SPEC, cloneSpecWorld(host.spec), a.op))}`);
    }
  }

  /** The scheduler's running counts the campaign's statistics follow. */
  private counters(): Pick<ConcurrencyStats, "resumptions" | "acksAwaited"> {
    const { resumptions, acksAwaited } = this.sched;
    return { resumptions, acksAwaited };
  }

  private addCounters(before: ReturnType<ConcurrentSession["counters"]>): void {
    const now = this.counters();
    for (const k of ["resumptions", "acksAwaited"] as const) this.stats[k] += now[k] - before[k];
  }

  private checkInstantNoWindow(stepIndex: number): void {
    const lost = this.sched.lostWakeups()[0];
    if (lost) this.host.fail("lost-wakeup", stepIndex, `while draining: thread ${lost.thread} sleeps (${lost.why}) but nothing it waits for remains`);
  }
}
