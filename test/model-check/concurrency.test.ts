import { describe, expect, it } from "vitest";
import { MODEL_CHECK_SCOPE, PROFILE_WEIGHTS, PROFILES, runCampaign } from "../../model-check/campaign.ts";
import { exhaustive } from "../../model-check/concurrency/exhaustive.ts";
import { scenarios } from "../../model-check/concurrency/scenarios.ts";
import { Lockstep, replayCommands } from "../../model-check/lockstep.ts";
import { minimizeCommands } from "../../model-check/minimize.ts";
import { PLANTED_BUGS } from "../planted/bugs.ts";
import { AckWithoutInvalidation, CopyoutChunksAfterWindow, RemapLocksSourceFirst, WakeupForgotten } from "../planted/concurrency-bugs.ts";
import { mergeReports } from "../../model-check/reports.ts";
import { SuspendableOps } from "../../impl/sched/suspendable.ts";
import type { Op } from "../../spec/vocabulary.ts";

const scope = MODEL_CHECK_SCOPE;
const P = scope.pageSize;

describe("bounded exhaustive mode", () => {
  it("runs every schedule of every scenario on the real implementation, and all pass", () => {
    const report = exhaustive({ scope });
    expect(report.ok, JSON.stringify(report.scenarios.filter((s) => s.failure))).toBe(true);
    for (const s of report.scenarios) expect(s.schedules, s.name).toBeGreaterThan(1);
    // More preemptions allowed: more schedules (none lost).
    const fewer = exhaustive({ scope, preemptions: 0 });
    expect(fewer.schedules).toBeLessThan(report.schedules);
  });

  it("sets every scenario up as written: each command of each prelude succeeds", () => {
    for (const s of scenarios(scope)) {
      const ls = new Lockstep({ scope });
      for (const op of s.prelude) expect(ls.step(op).spec.kr, `${s.name}: ${op.op}`).toBe("KERN_SUCCESS");
    }
  });

  it("keeps copyout_page_list's destination in transition while its continuation runs: a remove waits and must be woken", () => {
    const name = "remove-waits-for-copyout-continuation";
    const real = exhaustive({ scope }).scenarios.find((s) => s.name === name)!;
    expect(real.failure).toBeUndefined();
    expect(real.pauses).toContain("remove: waiting for an entry in transition or a kernel wiring; asleep until a wakeup of map 1");
    // The copyout's clear is the only wakeup in the scenario: forgetting it leaves the remove asleep.
    const forgot = exhaustive({ scope, suspendable: WakeupForgotten }).scenarios.find((s) => s.name === name)!;
    expect(forgot.failure?.check).toBe("lost-wakeup");
  });

  it("sees the 2000 code's half-done copyout_page_list: a read in its window of a page the continuation has not placed yet", () => {
    // The campaign finds the plant sequentially (a failing continuation takes back the pages
    // already placed); this is its race: the read is neither before the copyout (unmapped) nor after it (0x44).
    const only = scenarios(scope).filter((s) => s.name === "remove-waits-for-copyout-continuation");
    expect(exhaustive({ scope, scenarios: only }).ok).toBe(true);
    const failure = exhaustive({ scope, scenarios: only, suspendable: CopyoutChunksAfterWindow }).scenarios[0]!.failure;
    expect(failure?.check).toBe("linearizability");
    expect(failure?.message).toContain(`read_user(map=1, addr=${"0x" + (3 * P).toString(16)}, size=0x4) → KERN_SUCCESS data="00000000"`);
  });

  const concurrencyPlants = Object.entries(PLANTED_BUGS).filter(([, b]) => b.suspendable !== undefined);
  it("has at least six planted concurrency bugs", () => expect(concurrencyPlants.length).toBeGreaterThanOrEqual(6));

  for (const [name, bug] of concurrencyPlants) {
    it(`finds ${name} with a shortest schedule (${bug.description})`, () => {
      const found = exhaustive({ scope, kernel: bug.kernel, suspendable: bug.suspendable! }).scenarios.find((s) => s.failure)?.failure;
      expect(found, `${name} not found`).toBeDefined();
      expect(found!.commands.length).toBeLessThanOrEqual(bug.maxLength);
      // Breadth first, the schedule is a shortest one of its scenario: with the setup kept, no
      // spawn or step can be dropped and still fail the same way.
      const cmds = found!.commands;
      const first = cmds.findIndex((c) => c.op === "spawn");
      for (let i = first; i < cmds.length; i++) {
        const r = replayCommands([...cmds.slice(0, i), ...cmds.slice(i + 1)], { scope, kernel: bug.kernel, suspendable: bug.suspendable! });
        expect(!r.ok && r.check === found!.check, `still fails without command ${i}`).toBe(false);
      }
      // And the minimizer, free to change the setup too, never needs more commands.
      const min = minimizeCommands(cmds, { scope, kernel: bug.kernel, suspendable: bug.suspendable! }, found!.check);
      expect(min.commands.length).toBeLessThanOrEqual(cmds.length);
    });
  }

  it("the random campaign of the concurrency profile finds the bugs that need no precise race", () => {
    for (const name of ["failed-upgrade-taken-as-success", "remap-locks-source-first", "wakeup-forgotten", "map-locked-under-s-lock", "frames-freed-before-acks", "ack-without-invalidation"]) {
      const bug = PLANTED_BUGS[name]!;
      const report = runCampaign({ seed: 1, runs: 2000, maxCommands: 40, ops: PROFILES.concurrency, weights: PROFILE_WEIGHTS.concurrency!, suspendable: bug.suspendable!, outDir: null });
      expect(report.ok, name).toBe(false);
      expect(report.counterexample!.length).toBeLessThanOrEqual(bug.maxLength);
    }
  });
});

describe("the concurrency profile's generator", () => {
  it("lines up lock-free TLB hits: spawned loads and stores go where a recent access went, on its CPU", () => {
    // Before the bias (2026-11-28) this campaign made two; with it, 13.
    const report = runCampaign({ seed: 1, runs: 300, maxCommands: 40, ops: PROFILES.concurrency, weights: PROFILE_WEIGHTS.concurrency!, outDir: null });
    expect(report.ok).toBe(true);
    expect(report.concurrency!.lockFreeHits).toBeGreaterThanOrEqual(6);
  });
});

describe("concurrency checks that only a schedule can break", () => {
  const prelude: Op[] = [
    { op: "create", min: 0, max: 16 * P },
    { op: "create", min: 0, max: 16 * P },
    { op: "enter", map: 0, addr: 0, size: P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
    { op: "enter", map: 1, addr: 0, size: P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
  ];
  const remap = (dst: number, src: number): Op => ({ op: "remap", map: dst, addr: 4 * P, size: P, mask: 0, anywhere: false, srcMap: src, srcAddr: 0, copy: false, inheritance: 1 });
  const crossing: Op[] = [
    ...prelude,
    { op: "spawn", thread: 0, body: { ...remap(0, 1) } },
    { op: "spawn", thread: 1, body: { ...remap(1, 0) } },
    { op: "step", thread: 0, count: 1 },
    { op: "step", thread: 1, count: 1 },
  ];

  it("deadlock: two remaps that lock their source first cross and wait for each other forever", () => {
    const r = replayCommands(crossing, { scope, suspendable: RemapLocksSourceFirst });
    expect(r).toMatchObject({ ok: false, check: "deadlock" });
  });

  it("the same schedule passes with the increasing-order rule", () => {
    const r = replayCommands(crossing, { scope });
    expect(r.ok, r.ok ? "" : r.message).toBe(true);
  });

  it("a command other than spawn and step waits for the threads in flight; a spawn on a busy thread is refused", () => {
    const wire: Op = { op: "wire", map: 0, addr: 0, size: P, access: 1, user: true };
    const lookup: Op = { op: "lookup", map: 0, addr: 0 };
    const r = replayCommands([...prelude, { op: "spawn", thread: 0, body: { ...wire } }, { op: "spawn", thread: 0, body: { ...wire } }, lookup], { scope });
    expect(r.ok, r.ok ? "" : r.message).toBe(true);
    expect(r.history[5]!.impl).toEqual({ kr: "KERN_INVALID_ARGUMENT" });
    // The lookup ran after the wiring completed: it sees the page wired.
    expect(r.history[6]!.impl).toMatchObject({ kr: "KERN_SUCCESS", page: { wiredCount: 1, userWiredCount: 1 } });
  });

  it("scenarios are valid commands of the vocabulary (their sequential runs pass)", () => {
    for (const s of scenarios(scope)) {
      const r = replayCommands([...s.prelude, ...s.threads.flat()], { scope });
      expect(r.ok, `${s.name}: ${r.ok ? "" : r.message}`).toBe(true);
    }
  });
});

describe("shootdown waits and the lock-free TLB hit path", () => {
  const enter = (addr: number): Op => ({ op: "enter", map: 0, addr, size: P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } });
  // CPU 1 runs map 0 and holds a writable TLB entry for its page at 0.
  const cached: Op[] = [{ op: "create", min: 0, max: 16 * P }, enter(0), enter(4 * P), { op: "switch", cpu: 1, map: 0 }, { op: "store", cpu: 1, addr: 0, data: "66666666" }];
  const remove: Op = { op: "remove", map: 0, addr: 0, size: P, flags: 0 };
  const load: Op = { op: "load", cpu: 1, addr: 0, size: 4 };

  /** Run the commands in lockstep (every check) and return each completed thread operation's result, in completion order. */
  const completed = (commands: readonly Op[]): string[] => {
    const ls = new Lockstep({ scope });
    for (const op of commands) ls.step(op);
    ls.finish();
    return ls.concurrency!.sched.completions.map((c) => `${c.op.op} ${JSON.stringify(c.result)}`);
  };

  it("while remove waits for CPU 1's acknowledgement, CPU 1 still loads the old bytes through its TLB; after it, the load faults", () => {
    const spawnRemove: Op = { op: "spawn", thread: 0, body: { ...remove } };
    const spawnLoad: Op = { op: "spawn", thread: 1, body: { ...load } };
    // The remove is in flight after its spawn (waiting for the acknowledgement): the load completes first, with the old bytes.
    expect(completed([...cached, spawnRemove, spawnLoad])).toEqual([`load {"kr":"KERN_SUCCESS","data":"66666666"}`, `remove {"kr":"KERN_SUCCESS"}`]);
    // One step delivers the acknowledgement and the remove returns: now the load misses and faults.
    expect(completed([...cached, spawnRemove, { op: "step", thread: 0, count: 1 }, spawnLoad])).toEqual([`remove {"kr":"KERN_SUCCESS"}`, `load {"kr":"KERN_INVALID_ADDRESS"}`]);
  });

  it("acknowledgements come one CPU at a time: after CPU 1's, CPU 1 faults and waits for the map while CPU 2 still loads the old bytes", () => {
    const both: Op[] = [...cached, { op: "switch", cpu: 2, map: 0 }, { op: "load", cpu: 2, addr: 0, size: 4 }];
    expect(completed([
      ...both,
      { op: "spawn", thread: 0, body: { ...remove } },
      { op: "step", thread: 0, count: 1 }, // CPU 1 acknowledges
      { op: "spawn", thread: 1, body: { ...load } },
      { op: "spawn", thread: 2, body: { op: "load", cpu: 2, addr: 0, size: 4 } },
    ])).toEqual([`load {"kr":"KERN_SUCCESS","data":"66666666"}`, `remove {"kr":"KERN_SUCCESS"}`, `load {"kr":"KERN_INVALID_ADDRESS"}`]);
  });

  it("the remove is still in flight after its commit: the wait for the acknowledgement is a suspension point", () => {
    const r = replayCommands([...cached, { op: "spawn", thread: 0, body: { ...remove } }], { scope });
    expect(r.ok).toBe(true);
    const ls = replayCommands([...cached, { op: "spawn", thread: 0, body: { ...remove } }, { op: "spawn", thread: 0, body: { ...load } }], { scope });
    // Thread 0 is busy (waiting for CPU 1): a second spawn on it is refused.
    expect(ls.history.at(-1)?.impl).toEqual({ kr: "KERN_INVALID_ARGUMENT" });
  });

  // A wiring elsewhere in the map keeps a thread in flight, so the window of linearization spans
  // the protect, its completion, and a store spawned afterwards.
  const window: Op[] = [
    ...cached,
    { op: "spawn", thread: 2, body: { op: "wire", map: 0, addr: 4 * P, size: P, access: 1, user: true } },
    { op: "spawn", thread: 0, body: { op: "protect", map: 0, addr: 0, size: P, prot: 1, setMax: false } },
    { op: "step", thread: 0, count: 1 },
    { op: "spawn", thread: 1, body: { op: "store", cpu: 1, addr: 0, data: "77777777" } },
    { op: "step", thread: 2, count: 2 },
  ];

  it("after the change completed only the new state: a store through a TLB entry the shootdown skipped is not linearizable", () => {
    const r = replayCommands(window, { scope, suspendable: AckWithoutInvalidation });
    expect(r).toMatchObject({ ok: false, check: "linearizability" });
  });

  it("the same schedule passes when every target invalidates before acknowledging (the store faults)", () => {
    const r = replayCommands(window, { scope });
    expect(r.ok, r.ok ? "" : r.message).toBe(true);
  });
});

describe("reports", () => {
  it("merging shard reports folds their lock-order graphs: a cycle split across two shards is found", () => {
    const at = (thread: number) => ({ run: 0, thread, command: 1, step: 0, lock: "x", held: "y" });
    const shard = (from: "pmap" | "named_entry", to: "pmap" | "named_entry") => ({
      ok: true, seed: 1, runs: 1, commandsExecuted: 1, commandsSkipped: 0, durationMs: 1,
      coverage: { ops: {}, results: {}, invariants: {} }, resultsByOp: {},
      concurrency: { resumptions: 2, windows: 1, ordersTried: 1, undecided: 0, acksAwaited: 1, lockFreeHits: 3, racingHits: 1, lockOrder: { acquisitions: 2, edges: [{ from, to, first: at(0) }], findings: [] } },
    });
    const merged = mergeReports([shard("pmap", "named_entry"), shard("named_entry", "pmap")]);
    expect(merged.concurrency?.resumptions).toBe(4);
    expect([merged.concurrency?.acksAwaited, merged.concurrency?.lockFreeHits, merged.concurrency?.racingHits]).toEqual([2, 6, 2]);
    expect(merged.concurrency?.lockOrder.edges).toHaveLength(2);
    expect(merged.concurrency?.lockOrder.findings.map((f) => f.kind)).toEqual(["cycle"]);
  });
});

describe("the end of a run", () => {
  const prelude: Op[] = [
    { op: "create", min: 0, max: 16 * P },
    { op: "enter", map: 0, addr: 0, size: P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
    { op: "wire", map: 0, addr: 0, size: P, access: 1, user: false },
  ];
  // Waits for the kernel wiring, which nobody drops: asleep for ever.
  const sleeper: Op = { op: "spawn", thread: 0, body: { op: "remove", map: 0, addr: 0, size: P, flags: 4 } };

  it("gives up a thread asleep on a kernel wiring nobody drops, and says where it sleeps until then", () => {
    const ls = new Lockstep({ scope });
    for (const op of [...prelude, sleeper]) ls.step(op);
    const sched = ls.concurrency!.sched;
    expect(sched.stateOf(0)).toBe("blocked");
    expect(sched.pausedAt(0)).toBe("remove: waiting for an entry in transition or a kernel wiring; asleep until a wakeup of map 0");
    ls.finish();
    expect(sched.quiescent).toBe(true);
    expect(sched.completions).toEqual([]);
  });

  it("fails a thread given up asleep where the spec would not wait", () => {
    // remove waits for kernel wirings even without WAIT_FOR_KWIRE (the spec answers KERN_FAILURE at once).
    class WaitsWithoutTheFlag extends SuspendableOps {
      override removeBlocker(map: Parameters<SuspendableOps["removeBlocker"]>[0], range: Parameters<SuspendableOps["removeBlocker"]>[1], flags: number, afterWakeup: boolean) {
        return super.removeBlocker(map, range, flags | 4, afterWakeup);
      }
    }
    const ls = new Lockstep({ scope, suspendable: WaitsWithoutTheFlag });
    for (const op of [...prelude, { op: "spawn", thread: 0, body: { op: "remove", map: 0, addr: 0, size: P, flags: 0 } } as Op]) ls.step(op);
    expect(() => ls.finish()).toThrow(/thread 0 is still asleep in remove\(.*\) \(remove: waiting for an entry in transition or a kernel wiring; asleep until a wakeup of map 0\), but the spec would not wait: it answers KERN_FAILURE/);
  });

  it("refuses to end with a thread still in flight, whose last checks would be skipped", () => {
    const ls = new Lockstep({ scope });
    for (const op of [...prelude, sleeper]) ls.step(op);
    ls.concurrency!.sched.abandonSleepers = () => []; // a scheduler that keeps its sleepers
    expect(() => ls.finish()).toThrow(/still in flight after the drain/);
  });
});
