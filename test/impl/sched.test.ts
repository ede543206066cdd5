import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/kernel.ts";
import { MapLock } from "../../impl/sched/map-locks.ts";
import { LockDisciplineError, Scheduler, type ThreadBody } from "../../impl/sched/scheduler.ts";
import { SuspendableOps } from "../../impl/sched/suspendable.ts";
import type { Op } from "../../spec/vocabulary.ts";
import { defaultArgs } from "./helpers.ts";

const scope = { addressBits: 32, pageSize: 64, maxWireCount: 4, maxObjectPages: 16, kernelBufferThreshold: 128 };
const P = scope.pageSize;

function kernelWithMap(): Kernel {
  const k = new Kernel(scope);
  k.run({ op: "create", min: 0, max: 16 * P });
  k.run({ op: "enter", ...defaultArgs(P).enter, size: 2 * P });
  return k;
}

describe("the map lock (reference §2.1)", () => {
  it("a write lock bumps the timestamp; readers share; a writer excludes everyone", () => {
    const map = kernelWithMap().mapOf(0)!;
    const lock = new MapLock(map);
    const t0 = map.timestamp;
    expect(lock.tryRead(1) && lock.tryRead(2)).toBe(true);
    expect(map.timestamp).toBe(t0);
    expect(lock.tryWrite(3)).toBe(false);
    lock.unlockRead(1);
    lock.unlockRead(2);
    expect(lock.tryWrite(3)).toBe(true);
    expect(map.timestamp).toBe(t0 + 1);
    expect(lock.tryRead(1)).toBe(false);
  });

  it("the second reader to ask for an upgrade fails and loses its read hold; the first becomes the writer (timestamp + 1)", () => {
    const map = kernelWithMap().mapOf(0)!;
    const lock = new MapLock(map);
    lock.tryRead(1);
    lock.tryRead(2);
    expect(lock.requestUpgrade(1)).toBe("pending");
    expect(lock.tryRead(3)).toBe(false); // a pending upgrade keeps new readers out
    expect(lock.tryCompleteUpgrade(1)).toBe(false); // thread 2 still reads
    expect(lock.requestUpgrade(2)).toBe("failed");
    expect(lock.readers.has(2) || lock.holdsWrite(2)).toBe(false); // the failed upgrader holds nothing
    const t = map.timestamp;
    expect(lock.tryCompleteUpgrade(1)).toBe(true);
    expect(lock.holdsWrite(1)).toBe(true);
    expect(map.timestamp).toBe(t + 1);
  });
});

describe("the scheduler", () => {
  it("spawn runs a thread to its first suspension point; step passes the next ones; completion records the result and real time", () => {
    const k = kernelWithMap();
    const ops = new SuspendableOps(k);
    const s = new Scheduler(k, (sch, t, op) => ops.body(sch, t, op));
    const wire: Op = { op: "wire", map: 0, addr: 0, size: 2 * P, access: 1, user: true };
    expect(s.spawn(0, wire)).toBe(true);
    expect(s.stateOf(0)).toBe("ready"); // in its unlocked phase, range in transition
    expect(k.mapOf(0)!.lookupEntry(0).entry.inTransition).toBe(true);
    expect(s.spawn(0, wire)).toBe(false); // busy
    expect(s.step(0, 16)).toBe(1); // the lock is free: relock, clear the transition, complete
    expect(s.quiescent).toBe(true);
    expect(k.mapOf(0)!.lookupEntry(0).entry.inTransition).toBe(false);
    expect(s.completions).toHaveLength(1);
    expect(s.completions[0]).toMatchObject({ thread: 0, result: { kr: "KERN_SUCCESS" } });
    expect(s.completions[0]!.responded).toBeGreaterThan(s.completions[0]!.invoked);
  });

  it("a remove sleeps on an entry in transition, asks for a wakeup, and runs once woken", () => {
    const k = kernelWithMap();
    const ops = new SuspendableOps(k);
    const s = new Scheduler(k, (sch, t, op) => ops.body(sch, t, op));
    s.spawn(0, { op: "wire", map: 0, addr: 0, size: 2 * P, access: 1, user: true });
    s.spawn(1, { op: "remove", map: 0, addr: 0, size: 2 * P, flags: 0 });
    expect(s.stateOf(1)).toBe("blocked");
    expect(s.runnable(1)).toBe(false);
    expect(k.mapOf(0)!.lookupEntry(0).entry.needsWakeup).toBe(true);
    expect(s.lostWakeups()).toEqual([]);
    s.step(0, 16);
    expect(s.runnable(1)).toBe(true);
    s.step(1, 16);
    expect(s.quiescent).toBe(true);
    expect(k.mapOf(0)!.lookupEntry(0).found).toBe(false);
  });

  it("a map changed outside a write-locked commit is a lock-discipline error", () => {
    const k = kernelWithMap();
    const body = function* (sch: Scheduler): ThreadBody {
      yield { kind: "point", why: "test" };
      return sch.kernel.run({ op: "protect", map: 0, addr: 0, size: P, prot: 1, setMax: false }); // no lock, no commit
    };
    const s = new Scheduler(k, (sch) => body(sch));
    s.spawn(0, { op: "lookup", map: 0, addr: 0 });
    expect(() => s.step(0, 1)).toThrow(LockDisciplineError);
  });

  it("a mutex (s_lock) is exclusive and released only by its holder", () => {
    const k = kernelWithMap();
    const lock = { cls: "s_lock" as const, id: 0 };
    const holder = function* (): ThreadBody {
      yield { kind: "mutex", lock };
      yield { kind: "point", why: "holding" };
      return { kr: "KERN_SUCCESS" };
    };
    const s = new Scheduler(k, () => holder());
    s.spawn(0, { op: "lookup", map: 0, addr: 0 });
    s.spawn(1, { op: "lookup", map: 0, addr: 0 });
    expect(s.stateOf(1)).toBe("blocked");
    expect(() => s.unlockMutex(1, lock)).toThrow(LockDisciplineError);
    const d = s.deadlocked();
    expect(d).toBeNull(); // thread 0 can still run
  });
});
