/**
 * The deterministic scheduler (issue 5). Kernel threads run operations written as generators
 * (suspendable.ts) that yield a {@link Request} wherever the real kernel can block or let
 * another thread in: a lock that is not free, a read-to-write upgrade, a sleep on an entry in
 * transition, the unlocked phase of wiring, overwrite or a fault. Nothing is random: which
 * thread runs, and for how many suspension points, is decided by the `spawn` and `step`
 * commands of the sequence (or by the exhaustive explorer), so fast-check shrinks an
 * interleaving like any other list.
 *
 * Every lock acquisition, release and sleep is reported to the lock-order validator
 * (impl/locks/lockdep.ts). Two more facts are kept for the checker: which entries each thread
 * has put in transition (reference §6.7 #28–#29: nobody else may delete or change them), and
 * which maps were changed by a thread that did not hold the write lock (#35).
 */
import type { Op, OpResult } from "../../spec/vocabulary.ts";
import type { Kernel } from "../kernel.ts";
import type { VmMap } from "../map/vm-map.ts";
import type { VmMapCore } from "../map/map-core.ts";
import { LockValidator, type Finding, type Site, type ThreadId } from "../locks/lockdep.ts";
import { lockKey, type LockInstance } from "../locks/lock-classes.ts";
import { MapLock } from "./map-locks.ts";
import { KernelTopology } from "./topology.ts";

/** What a suspended thread waits for. */
export type Request =
  /** The map's write lock; the generator is resumed once it holds it. */
  | { readonly kind: "write"; readonly map: VmMap }
  /** A read hold of the map's lock. */
  | { readonly kind: "read"; readonly map: VmMap }
  /**
   * `vm_map_lock_read_to_write` from a read hold, decided when the thread next runs: resumed
   * with true once it is the writer, or with false at once when the upgrade failed (the read
   * hold is then lost: the thread holds nothing).
   */
  | { readonly kind: "upgrade"; readonly map: VmMap }
  /** `vm_map_entry_wait`: the thread released the map's lock and sleeps until a wakeup of the map. */
  | { readonly kind: "sleep"; readonly map: VmMap; readonly why: string; readonly reason: () => boolean }
  /** A simple lock (a map's s_lock): the generator is resumed once it holds it. */
  | { readonly kind: "mutex"; readonly lock: LockInstance }
  /** A phase the real kernel runs without the map lock: other threads may run here. */
  | { readonly kind: "point"; readonly why: string };

/** A thread's operation: yields requests, resumed with the answer to the last one, returns the result. */
export type ThreadBody = Generator<Request, OpResult, boolean>;

export type ThreadState =
  | "idle"
  /** In flight, and its pending request could be answered now (a point, a free lock, a wakeup received, an upgrade that can proceed). */
  | "ready"
  /** In flight, waiting for a lock, an upgrade to complete, or a wakeup. */
  | "blocked";

/** Entries a thread put in transition: the pages `[start, end)` of `map` that were mapped then. */
export interface Transition {
  readonly thread: ThreadId;
  readonly map: VmMap;
  readonly pages: readonly number[];
}

/** A completed operation, as the linearizability check needs it. */
export interface Completion {
  readonly thread: ThreadId;
  readonly op: Op;
  readonly result: OpResult;
  /** Scheduler clock at spawn and at completion: real-time order of operations. */
  readonly invoked: number;
  readonly responded: number;
}

class KernelThread {
  /** The operation in flight, or null: the thread is idle. */
  op: Op | null = null;
  body: ThreadBody | null = null;
  pending: Request | null = null;
  /** Set by a wakeup while sleeping. */
  woken = false;
  /** An upgrade already asked for, waiting for the other readers to leave. */
  upgrading = false;
  invoked = 0;
  constructor(readonly id: ThreadId) {}
}

/** A thread changed a map without its write lock (#35). */
export class LockDisciplineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LockDisciplineError";
  }
}

export class Scheduler {
  private readonly threads = new Map<ThreadId, KernelThread>();
  private readonly locks = new Map<VmMap, MapLock>();
  /** Holders of simple locks, by lockKey. */
  private readonly mutexes = new Map<string, ThreadId>();
  /** Threads sleeping on each map's event (vm_map_entry_wait / vm_map_entry_wakeup). */
  private readonly sleepers = new Map<VmMap, Set<ThreadId>>();
  /** Entries each thread has in transition (a thread has at most one range at a time: wiring's unlocked phase). */
  readonly transitions = new Map<ThreadId, Transition>();
  readonly completions: Completion[] = [];
  /** Findings of the lock-order validator, in order. */
  readonly findings: Finding[] = [];
  /** The thread running now (the lock guard asks), or null. */
  private current: ThreadId | null = null;
  /** Inside a thread's commit of a whole operation under its lock. */
  private committing = false;
  /** Logical clock: one tick per resumption, for real-time order. */
  clock = 0;
  /** Where the next acquisition happens, for lockdep reports (set by the driver). */
  site: Site = { command: 0, step: 0 };
  /** Interleavings explored: suspension points passed (a measure the report prints). */
  resumptions = 0;
  /** Shootdown acknowledgements threads waited for as suspension points. */
  acksAwaited = 0;

  constructor(
    readonly kernel: Kernel,
    readonly body: (s: Scheduler, thread: ThreadId, op: Op) => ThreadBody,
    readonly validator: LockValidator = new LockValidator(new KernelTopology()),
  ) {
    kernel.lockGuard = (map) => this.guard(map);
    if (validator.topology instanceof KernelTopology) validator.topology.kernel = kernel;
    // Object locks are reported, not enforced: a commit runs without interruption.
    kernel.objectLayer.lockHooks = {
      lock: (o, tryLock) => {
        if (this.current !== null) this.findings.push(...this.validator.acquire(this.current, { cls: "object", id: o.id }, this.site, { try: tryLock === true }));
      },
      unlock: (o) => {
        if (this.current === null) return;
        const f = this.validator.release(this.current, { cls: "object", id: o.id }, this.site);
        if (f !== null) this.findings.push(f);
      },
      assertHeld: (o, what) => {
        if (this.current === null) return;
        const f = this.validator.assertHeld(this.current, { cls: "object", id: o.id }, this.site, what);
        if (f !== null) this.findings.push(f);
      },
    };
    // So are the machine's: each pmap's lock, and pageout's page-queues lock.
    if (kernel.mmu !== null)
      kernel.mmu.lockHooks = {
        lock: (cls, id) => {
          if (this.current !== null) this.findings.push(...this.validator.acquire(this.current, { cls, id }, this.site));
        },
        unlock: (cls, id) => {
          if (this.current === null) return;
          const f = this.validator.release(this.current, { cls, id }, this.site);
          if (f !== null) this.findings.push(f);
        },
      };
  }


  lockOf(map: VmMap): MapLock {
    let l = this.locks.get(map);
    if (l === undefined) this.locks.set(map, (l = new MapLock(map)));
    return l;
  }

  /** Idle, or in flight and able to run now ("ready"), or in flight and waiting ("blocked"): decided by {@link canRun}, never stored. */
  stateOf(thread: ThreadId): ThreadState {
    const t = this.threads.get(thread);
    return t === undefined || t.op === null ? "idle" : this.canRun(t) ? "ready" : "blocked";
  }

  /**
   * Where an in-flight thread is suspended, in words: the unlocked phase or the reason it sleeps
   * (the operation's own description), or the lock it waits for or will take next; undefined
   * for an idle thread. Explanations show it, and the exhaustive mode's manifest records every
   * one a scenario reaches.
   */
  pausedAt(thread: ThreadId): string | undefined {
    const t = this.threads.get(thread);
    if (t === undefined || t.op === null) return undefined;
    // An in-flight thread always waits at a request: it is granted only as the thread runs on.
    const p = t.pending!;
    switch (p.kind) {
      case "point":
        return p.why;
      case "sleep":
        return `${p.why}; asleep until a wakeup of map ${this.kernel.handleOf(p.map)}`;
      case "mutex":
        return `taking ${p.lock.cls} ${p.lock.id}`;
      case "write":
        return `taking map ${this.kernel.handleOf(p.map)}'s write lock`;
      case "read":
        return `taking a read hold of map ${this.kernel.handleOf(p.map)}`;
      case "upgrade":
        return `${t.upgrading ? "waiting for the other readers to leave, to upgrade" : "about to upgrade"} its read hold of map ${this.kernel.handleOf(p.map)}`;
    }
  }

  opOf(thread: ThreadId): Op | null {
    return this.threads.get(thread)?.op ?? null;
  }

  /** No thread has an operation in flight. */
  get quiescent(): boolean {
    for (const t of this.threads.values()) if (t.op !== null) return false;
    return true;
  }

  /** Threads with an operation in flight, in id order. */
  inFlight(): ThreadId[] {
    return [...this.threads.values()].filter((t) => t.op !== null).map((t) => t.id).sort((a, b) => a - b);
  }

  /** Start `op` on an idle `thread` and run it to its first suspension point; false if the thread is busy. */
  spawn(thread: ThreadId, op: Op): boolean {
    let t = this.threads.get(thread);
    if (t === undefined) this.threads.set(thread, (t = new KernelThread(thread)));
    if (t.op !== null) return false;
    t.op = op;
    t.body = this.body(this, thread, op);
    t.invoked = ++this.clock;
    t.pending = null;
    this.resume(t);
    return true;
  }

  /** Let `thread` pass up to `count` suspension points; returns how many it passed. */
  step(thread: ThreadId, count: number): number {
    const t = this.threads.get(thread);
    let passed = 0;
    while (t !== undefined && t.op !== null && passed < count && this.canRun(t)) {
      this.resume(t);
      passed++;
    }
    return passed;
  }

  /** True when `thread` is in flight and could run now. */
  runnable(thread: ThreadId): boolean {
    return this.stateOf(thread) === "ready";
  }

  // Stryker disable all: the checker's deadlock detector (asked only by model-check/concurrency/session.ts), not the scheduler's behaviour: a correct kernel never deadlocks, so a mutant here only weakens that check; the planted lock-order bugs (test/planted/bugs.ts, test/model-check/concurrency.test.ts: two remaps that lock their source first) show it fires
  /** Threads in flight none of which can run: each blocked thread and the lock it waits for. */
  deadlocked(): Map<ThreadId, LockInstance | null> | null {
    const flying = [...this.threads.values()].filter((t) => t.op !== null);
    if (flying.length === 0 || flying.some((t) => this.canRun(t))) return null;
    const waitsFor = (p: Request | null): LockInstance | null =>
      p === null ? null : p.kind === "mutex" ? p.lock : p.kind === "write" || p.kind === "read" || p.kind === "upgrade" ? this.instance(p.map) : null;
    return new Map(flying.map((t) => [t.id, waitsFor(t.pending)]));
  }

  // Stryker restore all

  // ---- what thread bodies call ----

  unlockWrite(thread: ThreadId, map: VmMap): void {
    const lock = this.lockOf(map);
    if (!lock.holdsWrite(thread)) throw new LockDisciplineError(`thread ${thread} unlocks map ${this.kernel.handleOf(map)}, whose write lock it does not hold`);
    lock.unlockWrite(thread);
    this.released(thread, map);
  }

  unlockRead(thread: ThreadId, map: VmMap): void {
    const lock = this.lockOf(map);
    if (!lock.readers.has(thread)) throw new LockDisciplineError(`thread ${thread} read-unlocks map ${this.kernel.handleOf(map)}, which it does not read-hold`);
    lock.unlockRead(thread);
    this.released(thread, map);
  }

  unlockMutex(thread: ThreadId, lock: LockInstance): void {
    const key = lockKey(lock);
    if (this.mutexes.get(key) !== thread) throw new LockDisciplineError(`thread ${thread} releases ${lock.cls} ${lock.id}, which it does not hold`);
    this.mutexes.delete(key);
    const f = this.validator.release(thread, lock, this.site);
    if (f !== null) this.findings.push(f);
  }

  /** `vm_map_entry_wakeup`: every thread sleeping on the map may run again. */
  wakeup(map: VmMap): void {
    for (const id of this.sleepers.get(map) ?? []) this.threads.get(id)!.woken = true;
    this.sleepers.delete(map);
  }

  /** Run one whole operation of the kernel as this thread's commit (a change needs a write lock held). */
  commit(op: Op): OpResult {
    return this.inCommit(() => this.kernel.run(op));
  }

  /**
   * {@link commit}, leaving the TLB shootdowns the operation issues in flight, owned by this
   * thread: it then waits for their acknowledgements as suspension points of its own
   * (SuspendableOps.awaitShootdowns), and the frames they protect stay allocated until then.
   */
  commitLeavingShootdowns(op: Op): OpResult {
    return this.inCommitLeavingShootdowns(() => this.kernel.run(op));
  }

  /** {@link inCommit}, leaving the shootdowns `f` issues in flight as this thread's (see {@link commitLeavingShootdowns}). */
  inCommitLeavingShootdowns<T>(f: () => T): T {
    const log = this.kernel.mmu?.shootdowns;
    if (log === undefined) return this.inCommit(f);
    log.deferTo = this.current;
    try {
      return this.inCommit(f);
    } finally {
      log.deferTo = null;
    }
  }

  /** Run part of an operation as a commit: translations are re-derived after it, as after `Kernel.run`. */
  inCommit<T>(f: () => T): T {
    this.committing = true;
    try {
      return this.kernel.change(f);
    } finally {
      this.committing = false;
    }
  }

  // Stryker disable all: the checker's lost-wakeup detector (asked only by model-check/concurrency/session.ts), not the scheduler's behaviour: a correct kernel loses no wakeup, so a mutant here only weakens that check; the planted WakeupForgotten (test/planted/bugs.ts, run by test/model-check/planted-bugs.test.ts) shows it fires
  /** Threads asleep, not yet woken, whose reason to sleep is gone: a wakeup was lost (#30). */
  lostWakeups(): { thread: ThreadId; why: string }[] {
    const out: { thread: ThreadId; why: string }[] = [];
    for (const t of this.threads.values())
      if (t.pending?.kind === "sleep" && !t.woken && !t.pending.reason()) out.push({ thread: t.id, why: t.pending.why });
    return out;
  }

  // Stryker restore all

  /** Threads asleep whose reason still holds (a kernel wiring nobody will drop): given up at the end of a run. */
  abandonSleepers(): void {
    for (const t of this.threads.values()) {
      if (t.pending?.kind !== "sleep") continue;
      t.op = null;
      t.body = null;
      t.pending = null;
    }
    this.sleepers.clear();
  }

  /** Put the mapped pages of `[start, end)` in transition for `thread` (entries clipped to the range). */
  markTransition(thread: ThreadId, map: VmMap, start: number, end: number): void {
    if (this.transitions.has(thread)) throw new LockDisciplineError(`thread ${thread} puts a second range in transition before clearing its first`);
    const pages: number[] = [];
    const ps = map.pageSize;
    for (let a = start; a < end; a += ps) {
      const r = map.lookupEntry(a);
      if (!r.found) continue;
      map.clipStart(r.entry, start);
      map.clipEnd(r.entry, end);
      r.entry.inTransition = true;
      pages.push(a);
    }
    this.transitions.set(thread, { thread, map, pages });
  }

  /**
   * Clear the transition `thread` set (on whatever entries now hold those pages, as #28 asks);
   * returns true when a waiter asked for a wakeup (needs_wakeup), which the caller owes after
   * unlocking. Pages gone meanwhile are skipped (the checker reports them).
   */
  clearTransition(thread: ThreadId): boolean {
    const tr = this.transitions.get(thread);
    if (tr === undefined) throw new LockDisciplineError(`thread ${thread} clears a transition it never set`);
    this.transitions.delete(thread);
    let owed = false;
    for (const a of tr.pages) {
      const r = tr.map.lookupEntry(a);
      if (!r.found) continue;
      r.entry.inTransition = false;
      if (r.entry.needsWakeup) owed = true;
      r.entry.needsWakeup = false;
    }
    return owed;
  }

  // ---- the machinery ----

  private instance(map: VmMap): LockInstance {
    return { cls: "map", id: this.kernel.handleOf(map) };
  }

  private released(thread: ThreadId, map: VmMap): void {
    const f = this.validator.release(thread, this.instance(map), this.site);
    if (f !== null) this.findings.push(f);
  }

  private acquired(thread: ThreadId, map: VmMap): void {
    this.findings.push(...this.validator.acquire(thread, this.instance(map), this.site));
  }

  /** Could `t` (in flight) run its pending request now? */
  private canRun(t: KernelThread): boolean {
    const p = t.pending!; // set whenever a thread in flight is suspended
    switch (p.kind) {
      case "point":
        return true;
      case "sleep":
        return t.woken;
      case "mutex":
        return !this.mutexes.has(lockKey(p.lock));
      case "upgrade":
        // Asked already: it waits for the other readers to leave (a pending upgrade keeps new ones out).
        return !t.upgrading || this.lockOf(p.map).readers.size === 1;
      case "write": {
        // A pending upgrader still holds its read hold: readers.size covers it.
        const lock = this.lockOf(p.map);
        return lock.writer === null && lock.readers.size === 0;
      }
      case "read": {
        const lock = this.lockOf(p.map);
        return lock.writer === null && lock.upgrader === null;
      }
    }
  }

  /**
   * Answer `t`'s pending request (granting it, or for an upgrade deciding it) and run it to
   * its next suspension point or to completion; nothing when an upgrade must still wait.
   */
  private resume(t: KernelThread): void {
    this.resumptions++;
    this.clock++;
    // Only an upgrade's answer is read by a thread body; a generator's first resumption takes none.
    let answer: boolean | undefined;
    if (t.pending?.kind === "upgrade") {
      const upgraded = this.upgrade(t, t.pending);
      if (upgraded === "wait") return;
      answer = upgraded;
    } else this.grant(t);
    this.current = t.id;
    try {
      for (;;) {
        const next = t.body!.next(answer as boolean);
        if (next.done) {
          // A range left in transition would block every later remove and wiring of it for ever.
          if (this.transitions.has(t.id)) throw new LockDisciplineError(`thread ${t.id} returns from ${t.op!.op} with a range still in transition`);
          this.completions.push({ thread: t.id, op: t.op!, result: next.value, invoked: t.invoked, responded: ++this.clock });
          this.findings.push(...this.validator.returned(t.id, this.site));
          t.op = null;
          t.body = null;
          t.pending = null;
          return;
        }
        const r = next.value;
        t.pending = r;
        // A free lock is taken without giving up the CPU; everything else is a suspension point.
        if ((r.kind === "write" || r.kind === "read" || r.kind === "mutex") && this.canRun(t)) {
          this.grant(t);
          answer = undefined;
          continue;
        }
        if (r.kind === "sleep") {
          t.woken = false;
          let set = this.sleepers.get(r.map);
          if (set === undefined) this.sleepers.set(r.map, (set = new Set()));
          set.add(t.id);
          this.findings.push(...this.validator.sleep(t.id, "entry_wait", this.site));
        }
        return;
      }
    } finally {
      this.current = null;
    }
  }

  /** Grant `t`'s pending request, other than an upgrade (canRun was true): take the lock it asked for. */
  private grant(t: KernelThread): void {
    const p = t.pending;
    t.pending = null;
    if (p === null || p.kind === "point" || p.kind === "sleep" || p.kind === "upgrade") return;
    if (p.kind === "mutex") {
      this.mutexes.set(lockKey(p.lock), t.id);
      this.findings.push(...this.validator.acquire(t.id, p.lock, this.site));
      return;
    }
    const lock = this.lockOf(p.map);
    const took = p.kind === "write" ? lock.tryWrite(t.id) : lock.tryRead(t.id);
    if (!took) throw new Error(`scheduler: ${p.kind} lock granted while busy`);
    this.acquired(t.id, p.map);
  }

  /**
   * `vm_map_lock_read_to_write` for `t` (canRun was true): the first time, ask for it — failed
   * when another reader asked first (the read hold is then lost); then, once the other readers
   * have left, complete it. "wait" while they have not (the thread stays at this request).
   */
  private upgrade(t: KernelThread, p: Extract<Request, { kind: "upgrade" }>): boolean | "wait" {
    const lock = this.lockOf(p.map);
    if (!t.upgrading) {
      if (lock.requestUpgrade(t.id) === "failed") {
        t.pending = null;
        this.released(t.id, p.map);
        return false;
      }
      t.upgrading = true;
    }
    if (!lock.tryCompleteUpgrade(t.id)) return "wait";
    t.upgrading = false;
    t.pending = null;
    return true;
  }

  /** The kernel's lock guard: a map may change only in a commit of a thread holding a write lock. */
  private guard(map: VmMapCore): void {
    const t = this.current;
    if (t === null) {
      map.timestamp++; // a sequential command (no thread in flight) takes the write lock itself
      return;
    }
    const holdsWrite = [...this.locks.values()].some((l) => l.holdsWrite(t));
    if (!this.committing || !holdsWrite)
      throw new LockDisciplineError(`thread ${t} changed map ${this.kernel.handleOf(map as VmMap)} without holding a write lock (#35)`);
  }
}
