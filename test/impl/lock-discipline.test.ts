/**
 * The scheduler's lock-discipline oracle (impl/sched/scheduler.ts): a thread body that releases
 * a lock it does not hold, or changes a map outside a commit under a write lock (#35), raises
 * LockDisciplineError, which the concurrency checker reports as the `lock-discipline` check
 * with the error's message; object-lock findings of the object layer reach the scheduler's
 * findings, which the checker reports as `lock-order`. A correct kernel never trips these, so
 * the model-check campaigns cannot tell a broken oracle from a working one: these tests can
 * (they are part of the `sched` row's kill suite, mutation/subsystems.ts).
 */
import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/kernel.ts";
import { LockDisciplineError, Scheduler, type ThreadBody } from "../../impl/sched/scheduler.ts";
import type { Op } from "../../spec/vocabulary.ts";
import { defaultArgs } from "./helpers.ts";

const scope = { addressBits: 32, pageSize: 64, maxWireCount: 4, maxObjectPages: 16, kernelBufferThreshold: 128 };
const P = scope.pageSize;
const lookup: Op = { op: "lookup", map: 0, addr: 0 };
const protect: Op = { op: "protect", map: 0, addr: 0, size: P, prot: 1, setMax: false };

function kernelWithMap(): Kernel {
  const k = new Kernel(scope);
  k.run({ op: "create", min: 0, max: 16 * P });
  k.run({ op: "enter", ...defaultArgs(P).enter, size: 2 * P });
  return k;
}

/** Spawn one thread running `body` on a fresh kernel; the error its first step throws. */
function thrownBy(body: (s: Scheduler) => ThreadBody): unknown {
  const s = new Scheduler(kernelWithMap(), (sch) => body(sch));
  try {
    s.spawn(0, lookup);
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectDiscipline(e: unknown, message: string): void {
  expect(e).toBeInstanceOf(LockDisciplineError);
  expect((e as Error).name).toBe("LockDisciplineError");
  expect((e as Error).message).toBe(message);
}

describe("the scheduler's lock-discipline oracle", () => {
  it("a write unlock without the write lock", () => {
    const e = thrownBy(function* (s) {
      s.unlockWrite(0, s.kernel.mapOf(0)!);
      return { kr: "KERN_SUCCESS" };
    });
    expectDiscipline(e, "thread 0 unlocks map 0, whose write lock it does not hold");
  });

  it("a read unlock without a read hold (a write lock is not one)", () => {
    const e = thrownBy(function* (s) {
      const map = s.kernel.mapOf(0)!;
      yield { kind: "write", map };
      s.unlockRead(0, map);
      return { kr: "KERN_SUCCESS" };
    });
    expectDiscipline(e, "thread 0 read-unlocks map 0, which it does not read-hold");
  });

  it("releasing a simple lock it does not hold", () => {
    const e = thrownBy(function* (s) {
      s.unlockMutex(0, { cls: "s_lock", id: 0 });
      return { kr: "KERN_SUCCESS" };
    });
    expectDiscipline(e, "thread 0 releases s_lock 0, which it does not hold");
  });

  it("changing a map with no lock, in a commit", () => {
    const e = thrownBy(function* (s) {
      return s.commit(protect);
    });
    expectDiscipline(e, "thread 0 changed map 0 without holding a write lock (#35)");
  });

  it("changing a map under its write lock, but outside a commit", () => {
    const e = thrownBy(function* (s) {
      yield { kind: "write", map: s.kernel.mapOf(0)! };
      return s.kernel.run(protect);
    });
    expectDiscipline(e, "thread 0 changed map 0 without holding a write lock (#35)");
  });

  it("changing a map under its write lock after a commit has ended (the commit flag is cleared)", () => {
    const e = thrownBy(function* (s) {
      yield { kind: "write", map: s.kernel.mapOf(0)! };
      s.commit(protect);
      return s.kernel.run(protect);
    });
    expectDiscipline(e, "thread 0 changed map 0 without holding a write lock (#35)");
  });

  it("changing a map under its write lock after a commit that threw (the commit flag is cleared)", () => {
    const e = thrownBy(function* (s) {
      const map = s.kernel.mapOf(0)!;
      try {
        s.commit(protect); // no lock yet: refused
      } catch {
        // the thread goes on as if it had not tried
      }
      yield { kind: "write", map };
      return s.kernel.run(protect);
    });
    expectDiscipline(e, "thread 0 changed map 0 without holding a write lock (#35)");
  });

  it("changing a map under a read hold, in a commit", () => {
    const e = thrownBy(function* (s) {
      yield { kind: "read", map: s.kernel.mapOf(0)! };
      return s.commit(protect);
    });
    expectDiscipline(e, "thread 0 changed map 0 without holding a write lock (#35)");
  });

  it("allows a commit under the write lock, and bumps no timestamp beyond the lock's own", () => {
    const k = kernelWithMap();
    const map = k.mapOf(0)!;
    const s = new Scheduler(k, function* (sch): ThreadBody {
      yield { kind: "write", map };
      const r = sch.commit(protect);
      sch.unlockWrite(0, map);
      return r;
    });
    const t0 = map.timestamp;
    s.spawn(0, protect);
    expect(s.completions.map((c) => c.result.kr)).toEqual(["KERN_SUCCESS"]);
    expect(map.timestamp).toBe(t0 + 1);
  });

  it("a sequential command (no thread running) takes the write lock itself: the timestamp moves", () => {
    const k = kernelWithMap();
    new Scheduler(k, function* (): ThreadBody {
      return { kr: "KERN_SUCCESS" };
    });
    const t0 = k.mapOf(0)!.timestamp;
    expect(k.run(protect).kr).toBe("KERN_SUCCESS");
    expect(k.mapOf(0)!.timestamp).toBe(t0 + 1);
  });

  it("a second range put in transition before the first is cleared, and a clear with none set", () => {
    const twice = thrownBy(function* (s) {
      const map = s.kernel.mapOf(0)!;
      yield { kind: "write", map };
      s.inCommit(() => s.markTransition(0, map, 0, P));
      s.inCommit(() => s.markTransition(0, map, P, 2 * P));
      return { kr: "KERN_SUCCESS" };
    });
    expectDiscipline(twice, "thread 0 puts a second range in transition before clearing its first");
    const none = thrownBy(function* (s) {
      yield { kind: "write", map: s.kernel.mapOf(0)! };
      s.clearTransition(0);
      return { kr: "KERN_SUCCESS" };
    });
    expectDiscipline(none, "thread 0 clears a transition it never set");
  });

  it("returning with a range still in transition; none when it was cleared first", () => {
    const left = thrownBy(function* (s) {
      const map = s.kernel.mapOf(0)!;
      yield { kind: "write", map };
      s.inCommit(() => s.markTransition(0, map, 0, P));
      s.unlockWrite(0, map);
      return { kr: "KERN_SUCCESS" };
    });
    expectDiscipline(left, "thread 0 returns from lookup with a range still in transition");
    const cleared = thrownBy(function* (s) {
      const map = s.kernel.mapOf(0)!;
      yield { kind: "write", map };
      s.inCommit(() => s.markTransition(0, map, 0, P));
      s.clearTransition(0);
      s.unlockWrite(0, map);
      return { kr: "KERN_SUCCESS" };
    });
    expect(cleared).toBeUndefined();
  });

  it("clearing a transition clears the flag on every page it set and owes a wakeup only when one was asked", () => {
    const owedAfter = (askWakeup: boolean) => {
      let owed: boolean | undefined;
      let flags: boolean[] = [];
      const k = kernelWithMap();
      const s = new Scheduler(k, function* (sch): ThreadBody {
        const map = sch.kernel.mapOf(0)!;
        yield { kind: "write", map };
        sch.inCommit(() => sch.markTransition(0, map, 0, 2 * P));
        const entry = map.lookupEntry(P);
        if (entry.found && askWakeup) entry.entry.needsWakeup = true;
        owed = sch.inCommit(() => sch.clearTransition(0));
        flags = [0, P].map((a) => { const r = map.lookupEntry(a); return r.found && (r.entry.inTransition || r.entry.needsWakeup); });
        sch.unlockWrite(0, map);
        return { kr: "KERN_SUCCESS" };
      });
      s.spawn(0, lookup);
      expect(flags).toEqual([false, false]);
      return owed;
    };
    expect(owedAfter(false)).toBe(false);
    expect(owedAfter(true)).toBe(true);
  });

  it("reports a sleep on an entry while holding s_lock, and none while holding nothing", () => {
    const sleeps = (withLock: boolean) => {
      const s = new Scheduler(kernelWithMap(), function* (sch): ThreadBody {
        const m = sch.kernel.mapOf(0)!;
        if (withLock) yield { kind: "mutex", lock: { cls: "s_lock", id: 0 } };
        yield { kind: "sleep", map: m, why: "test", reason: () => true };
        return { kr: "KERN_SUCCESS" };
      });
      s.spawn(0, lookup);
      return s.findings;
    };
    expect(sleeps(false)).toEqual([]);
    const found = sleeps(true);
    expect(found.map((f) => f.kind)).toEqual(["sleep-while-holding"]);
    expect(found[0]!.message).toContain("blocked (entry_wait) holding s_lock 0");
  });

  it("reports an object lock released or asserted by a thread that does not hold it", () => {
    const k = kernelWithMap();
    const s = new Scheduler(k, function* (sch): ThreadBody {
      const object = sch.kernel.mapOf(0)!.store.header.next.object;
      yield { kind: "point", why: "test" };
      if (object !== null) {
        sch.kernel.objectLayer.lockHooks!.assertHeld!(object, "a page of it");
        sch.kernel.objectLayer.lockHooks!.unlock(object);
      }
      return { kr: "KERN_SUCCESS" };
    });
    k.run({ op: "write_user", map: 0, addr: 0, data: "01" }); // the entry gets its object
    s.spawn(0, lookup);
    expect(s.findings).toEqual([]);
    s.step(0, 1);
    expect(s.findings.map((f) => f.kind)).toEqual(["not-held", "release-not-held"]);
  });

  it("an object lock taken out of order is a finding when blocking, and none as a try-lock", () => {
    const findingsOf = (tryLock: boolean) => {
      const k = kernelWithMap();
      k.run({ op: "enter", ...defaultArgs(P).enter, addr: 4 * P, size: P });
      k.run({ op: "write_user", map: 0, addr: 0, data: "01" });
      k.run({ op: "write_user", map: 0, addr: 4 * P, data: "01" });
      const s = new Scheduler(k, function* (sch): ThreadBody {
        const map = sch.kernel.mapOf(0)!;
        const objects = [0, 4 * P].map((a) => { const r = map.lookupEntry(a); return r.found ? r.entry.object : null; });
        const [low, high] = [...objects].sort((a, b) => a!.id - b!.id);
        yield { kind: "point", why: "test" };
        const hooks = sch.kernel.objectLayer.lockHooks!;
        hooks.lock(high!, false);
        hooks.lock(low!, tryLock);
        hooks.unlock(low!);
        hooks.unlock(high!);
        return { kr: "KERN_SUCCESS" };
      });
      s.spawn(0, lookup);
      s.step(0, 1);
      return s.findings.map((f) => f.kind);
    };
    expect(findingsOf(false)).toEqual(["objects-out-of-order"]);
    expect(findingsOf(true)).toEqual([]);
  });
});

describe("the scheduler's bookkeeping that the checker reads", () => {
  const sLock = { cls: "s_lock", id: 0 } as const;

  it("a thread waiting for a simple lock is blocked there, says so, and runs once it is released", () => {
    const s = new Scheduler(kernelWithMap(), function* (sch, thread): ThreadBody {
      yield { kind: "mutex", lock: sLock };
      yield { kind: "point", why: "holding s_lock" };
      sch.unlockMutex(thread, sLock);
      return { kr: "KERN_SUCCESS" };
    });
    s.spawn(0, lookup);
    s.spawn(1, lookup);
    expect([s.stateOf(0), s.pausedAt(0)]).toEqual(["ready", "holding s_lock"]);
    expect([s.stateOf(1), s.pausedAt(1)]).toEqual(["blocked", "taking s_lock 0"]);
    expect([s.stateOf(2), s.pausedAt(2)]).toEqual(["idle", undefined]);
    expect(s.step(1, 1)).toBe(0);
    expect(s.findings).toEqual([]); // a suspension point is not a sleep: holding s_lock there is no finding
    s.step(0, 1);
    expect([s.stateOf(0), s.pausedAt(0), s.stateOf(1)]).toEqual(["idle", undefined, "ready"]);
    s.step(1, 2);
    expect(s.completions.map((c) => c.thread)).toEqual([0, 1]);
  });

  it("lists the threads in flight in id order, whatever order they were spawned in", () => {
    const s = new Scheduler(kernelWithMap(), function* (): ThreadBody {
      yield { kind: "point", why: "test" };
      return { kr: "KERN_SUCCESS" };
    });
    s.spawn(3, lookup);
    s.spawn(1, lookup);
    s.spawn(2, lookup);
    expect(s.inFlight()).toEqual([1, 2, 3]);
  });

  it("stamps each operation's invocation and response on one clock: real-time order for linearizability", () => {
    const s = new Scheduler(kernelWithMap(), function* (): ThreadBody {
      yield { kind: "point", why: "test" };
      return { kr: "KERN_SUCCESS" };
    });
    s.spawn(0, lookup);
    s.step(0, 1);
    s.spawn(1, lookup);
    s.spawn(2, lookup);
    s.step(2, 1);
    s.step(1, 1);
    const [a, c, b] = s.completions;
    expect([a!.thread, c!.thread, b!.thread]).toEqual([0, 2, 1]);
    expect(a!.invoked).toBeLessThan(a!.responded);
    expect(a!.responded).toBeLessThan(b!.invoked);
    expect(b!.invoked).toBeLessThan(c!.invoked);
    expect(c!.responded).toBeLessThan(b!.responded);
  });

  it("a wakeup of a map nobody sleeps on wakes nobody; giving up sleepers leaves other threads in flight", () => {
    const k = kernelWithMap();
    const s = new Scheduler(k, function* (sch, thread): ThreadBody {
      const map = sch.kernel.mapOf(0)!;
      if (thread === 0) yield { kind: "sleep", map, why: "test", reason: () => true };
      else yield { kind: "point", why: "test" };
      return { kr: "KERN_SUCCESS" };
    });
    expect(() => s.wakeup(k.mapOf(0)!)).not.toThrow();
    s.spawn(0, lookup);
    s.spawn(1, lookup);
    expect([s.stateOf(0), s.stateOf(1)]).toEqual(["blocked", "ready"]);
    s.abandonSleepers();
    expect(s.inFlight()).toEqual([1]);
    s.step(1, 1);
    expect(s.quiescent).toBe(true);
  });

  it("clearing a transition skips pages removed meanwhile, leaving the entry before them alone", () => {
    let owed: boolean | undefined;
    const s = new Scheduler(kernelWithMap(), function* (sch): ThreadBody {
      const map = sch.kernel.mapOf(0)!;
      yield { kind: "write", map };
      sch.inCommit(() => sch.markTransition(0, map, P, 2 * P));
      sch.commit({ op: "remove", map: 0, addr: P, size: P, flags: 0 });
      const before = map.lookupEntry(0);
      if (before.found) before.entry.needsWakeup = true; // a waiter on something else
      owed = sch.inCommit(() => sch.clearTransition(0));
      sch.unlockWrite(0, map);
      return { kr: "KERN_SUCCESS" };
    });
    s.spawn(0, lookup);
    expect(owed).toBe(false);
    const r = s.kernel.mapOf(0)!.lookupEntry(0);
    expect(r.found && r.entry.needsWakeup).toBe(true);
  });
});

