import { describe, expect, it } from "vitest";
import { LockValidator, type Finding } from "../../impl/locks/lockdep.ts";
import type { LockInstance, LockTopology } from "../../impl/locks/lock-classes.ts";

const map = (id: number): LockInstance => ({ cls: "map", id });
const obj = (id: number): LockInstance => ({ cls: "object", id });
const sLock = (id: number): LockInstance => ({ cls: "s_lock", id });
const named = (id: number): LockInstance => ({ cls: "named_entry", id });
const region = (id: number): LockInstance => ({ cls: "shared_region", id });
const at = (command: number, step = 0) => ({ command, step });

/** Map 1 has map 2 as a submap; object 10 is shadowed by object 11 (11 above 10). */
const TOPOLOGY: LockTopology = {
  isSubmapOf: (sub, parent) => parent === 1 && sub === 2,
  isShadowBelow: (lower, upper) => upper === 11 && lower === 10,
};

/** Take `locks` in order on one thread, then release them; returns every finding raised. */
function nest(v: LockValidator, thread: number, locks: LockInstance[], command = 0): Finding[] {
  const raised = locks.flatMap((l, i) => v.acquire(thread, l, at(command, i)));
  for (const l of locks) expect(v.release(thread, l, at(command, 99))).toBeNull();
  return raised;
}
const kinds = (fs: Finding[]) => fs.map((f) => f.kind);

describe("fixed ordering rules", () => {
  it("accepts the orders the reference gives", () => {
    const v = new LockValidator(TOPOLOGY);
    expect(nest(v, 1, [map(1), map(2), obj(11), obj(10), { cls: "page_queues", id: 0 }])).toEqual([]);
    expect(nest(v, 1, [map(3), map(5)])).toEqual([]);
    expect(nest(v, 1, [map(3), sLock(3)])).toEqual([]);
    expect(v.summary().findings).toEqual([]);
  });

  it.each([
    ["class-order", [obj(10), map(1)]],
    ["submap-before-parent", [map(2), map(1)]],
    ["maps-out-of-order", [map(5), map(3)]],
    ["shadow-bottom-up", [obj(10), obj(11)]],
    ["objects-out-of-order", [obj(20), obj(12)]],
    ["leaf", [sLock(1), map(1)]],
    ["recursive", [map(1), map(1)]],
  ] as const)("reports %s immediately", (rule, locks) => {
    const v = new LockValidator(TOPOLOGY);
    const raised = locks.flatMap((l, i) => v.acquire(7, l, at(3, i)));
    expect(kinds(raised)).toEqual([rule]);
    expect(raised[0]!.at).toMatchObject({ thread: 7, command: 3, step: 1, lock: `${locks[1].cls} ${locks[1].id}`, held: `${locks[0].cls} ${locks[0].id}` });
    expect(raised[0]!.message).toContain(rule);
  });

  it("exempts a try-lock from order rules but not from the leaf rule", () => {
    const v = new LockValidator(TOPOLOGY);
    v.acquire(1, obj(10), at(0));
    expect(v.acquire(1, obj(11), at(0, 1), { try: true })).toEqual([]);
    v.acquire(2, sLock(1), at(1));
    expect(kinds(v.acquire(2, obj(3), at(1, 1), { try: true }))).toEqual(["leaf"]);
  });

  it("counts repeats of a finding instead of listing them again", () => {
    const v = new LockValidator();
    for (let c = 0; c < 3; c++) nest(v, 1, [map(5), map(3)], c);
    const [f] = v.summary().findings;
    expect(f).toMatchObject({ kind: "maps-out-of-order", count: 3, at: { command: 0 } });
  });
});

describe("class-order cycles", () => {
  it("numbers its runs from the campaign run it was made for (a campaign gives each run a validator)", () => {
    const v = new LockValidator(undefined, 7);
    v.beginRun();
    nest(v, 1, [named(0), region(0)], 4);
    v.beginRun();
    nest(v, 1, [map(0), obj(0)], 5);
    expect(v.summary().edges.map((e) => e.first.run)).toEqual([7, 8]);
    const w = new LockValidator(undefined, 3);
    nest(w, 1, [named(0), region(0)], 4); // an acquisition before any beginRun starts the first run
    expect(w.summary().edges.map((e) => e.first.run)).toEqual([3]);
  });

  it("finds a cycle whose two edges come from two separate runs", () => {
    const v = new LockValidator();
    v.beginRun();
    expect(nest(v, 1, [named(0), region(0)], 4)).toEqual([]);
    v.beginRun();
    const raised = nest(v, 2, [region(0), named(0)], 6);
    expect(kinds(raised)).toEqual(["cycle"]);
    const [cycle] = raised;
    expect(cycle!.cycle!.map((e) => [e.from, e.to, e.first.run, e.first.command, e.first.thread])).toEqual([
      ["shared_region", "named_entry", 1, 6, 2],
      ["named_entry", "shared_region", 0, 4, 1],
    ]);
    expect(cycle!.scenario).toEqual([
      "thread A holds shared_region, wants named_entry (as thread 2 at run 1, command 6, step 1: holding shared_region 0, took named_entry 0)",
      "thread B holds named_entry, wants shared_region (as thread 1 at run 0, command 4, step 1: holding named_entry 0, took shared_region 0)",
    ]);
    expect(cycle!.message).toBe("cycle: shared_region -> named_entry -> shared_region; new edge shared_region -> named_entry by thread 2 at run 1, command 6, step 1");
  });

  it("finds a cycle split across two workers when one absorbs the other's summary", () => {
    const a = new LockValidator();
    const b = new LockValidator();
    nest(a, 1, [named(0), region(0)], 1);
    nest(a, 1, [map(5), map(3)], 2);
    nest(b, 1, [region(0), named(0)], 8);
    nest(b, 1, [map(5), map(3)], 9);
    const closed = a.absorb(b.summary());
    expect(closed.map((f) => f.cycle!.map((e) => [e.from, e.first.command]))).toEqual([[["shared_region", 8], ["named_entry", 1]]]);
    expect(a.summary().findings.map((f) => [f.kind, f.count])).toEqual([["maps-out-of-order", 2], ["cycle", 1]]);
    expect(a.summary().acquisitions).toBe(8);
    expect(a.absorb(b.summary())).toEqual([]);
  });

  it("finds a three-class cycle and reports it once", () => {
    const v = new LockValidator();
    expect(nest(v, 1, [named(0), region(0)])).toEqual([]);
    expect(nest(v, 1, [region(0), { cls: "pmap", id: 0 }])).toEqual([]);
    const raised = nest(v, 1, [{ cls: "pmap", id: 0 }, named(0)]);
    expect(raised[0]!.cycle!.map((e) => e.from)).toEqual(["pmap", "named_entry", "shared_region"]);
    expect(raised[0]!.scenario).toHaveLength(3);
    nest(v, 1, [{ cls: "pmap", id: 0 }, named(0)]);
    expect(v.summary().findings.filter((f) => f.kind === "cycle")).toHaveLength(1);
  });

  it("takes no edge from a try-lock, so try-lock back-off never closes a cycle", () => {
    const v = new LockValidator();
    nest(v, 1, [named(0), region(0)]);
    v.acquire(1, region(0), at(1));
    expect(v.acquire(1, named(0), at(1, 1), { try: true })).toEqual([]);
    expect(v.summary().edges.map((e) => [e.from, e.to])).toEqual([["named_entry", "shared_region"]]);
  });

  it("reports map after object both as a rule and as a cycle against map before object", () => {
    const v = new LockValidator();
    nest(v, 1, [map(0), obj(0)]);
    expect(kinds(nest(v, 1, [obj(0), map(0)]))).toEqual(["class-order", "cycle"]);
  });
});

describe("releases and sleeps", () => {
  it("allows release out of order and reports a lock released twice", () => {
    const v = new LockValidator();
    v.acquire(1, map(0), at(0));
    v.acquire(1, obj(0), at(0, 1));
    expect(v.release(1, map(0), at(0, 2))).toBeNull();
    expect(v.holding(1)).toEqual([obj(0)]);
    expect(v.release(1, obj(0), at(0, 3))).toBeNull();
    const f = v.release(1, obj(0), at(0, 4));
    expect(f).toMatchObject({ kind: "release-not-held", at: { thread: 1, command: 0, step: 4, lock: "object 0" } });
    expect(v.release(2, map(0), at(0, 5))?.kind).toBe("release-not-held");
  });

  it("asserts a lock is held: silent for the holder, a finding for another thread or after release", () => {
    const v = new LockValidator();
    v.acquire(1, obj(3), at(0));
    expect(v.assertHeld(1, obj(3), at(0, 1), "the pages")).toBeNull();
    expect(v.assertHeld(2, obj(3), at(0, 2), "the pages")).toMatchObject({ kind: "not-held", at: { thread: 2, lock: "object 3" } });
    expect(v.assertHeld(1, obj(4), at(0, 3), "the shadow link")?.message).toMatch(/^not-held: thread 1 .* changed the shadow link of object 4 without holding its lock/);
    v.release(1, obj(3), at(0, 4));
    expect(v.assertHeld(1, obj(3), at(0, 5), "the pages")?.kind).toBe("not-held");
  });

  it("reports each lock still held when an operation returns, once, and forgets it", () => {
    const v = new LockValidator();
    v.acquire(1, map(0), at(0));
    v.release(1, map(0), at(0, 1));
    expect(v.returned(1, at(0, 2))).toEqual([]);
    v.acquire(1, obj(5), at(1, 3));
    const [f, ...rest] = v.returned(1, at(1, 4));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ kind: "held-at-return", at: { thread: 1, command: 1, step: 4, lock: "object 5" } });
    expect(f!.message).toMatch(/still holding object 5, taken at command 1, step 3/);
    expect(v.holding(1)).toEqual([]);
    expect(v.returned(1, at(1, 5))).toEqual([]);
  });

  it("reports one held-at-return finding per lock class, a later leak of a class counted into its finding", () => {
    const v = new LockValidator();
    v.acquire(1, map(0), at(0));
    v.acquire(1, obj(5), at(0, 1));
    const raised = v.returned(1, at(0, 2));
    expect(raised.map((f) => [f.kind, f.at.lock])).toEqual([["held-at-return", "map 0"], ["held-at-return", "object 5"]]);
    v.acquire(2, obj(6), at(1, 3));
    const [again] = v.returned(2, at(1, 4));
    expect(again).toBe(raised[1]); // the class's finding, not a new one
    expect(again!.count).toBe(2);
    expect(raised[0]!.count).toBe(1);
  });

  it("reports an entry wait while holding an object lock, not while holding only another map", () => {
    const v = new LockValidator(TOPOLOGY);
    v.acquire(1, map(1), at(0));
    expect(v.sleep(1, "entry_wait", at(0, 1))).toEqual([]);
    v.acquire(1, obj(10), at(0, 2));
    const raised = v.sleep(1, "entry_wait", at(0, 3));
    expect(raised.map((f) => [f.kind, f.at.lock])).toEqual([["sleep-while-holding", "object 10"]]);
  });

  it("reports a fault taken with a map lock held", () => {
    const v = new LockValidator();
    v.acquire(1, map(0), at(0));
    expect(v.sleep(1, "fault", at(0, 1)).map((f) => f.at.lock)).toEqual(["map 0"]);
    v.release(1, map(0), at(0, 2));
    expect(v.sleep(1, "fault", at(0, 3))).toEqual([]);
  });

  it("forgets what threads held when a new run begins", () => {
    const v = new LockValidator();
    v.acquire(1, map(0), at(0));
    v.beginRun();
    expect(v.holding(1)).toEqual([]);
    expect(v.acquire(1, map(0), at(0))).toEqual([]);
  });
});

describe("deadlock", () => {
  it("reports the wait-for cycle of two threads", () => {
    const v = new LockValidator();
    v.acquire(1, map(0), at(1));
    v.acquire(2, map(3), at(2));
    const d = v.deadlock(new Map([[1, map(3)], [2, map(0)]]));
    expect(d?.threads.map((t) => [t.thread, t.holds, t.wants])).toEqual([[1, "map 0", "map 3"], [2, "map 3", "map 0"]]);
    expect(d?.message).toBe("deadlock: thread 1 holds map 0 (since run 0, command 1, step 0), wants map 3; thread 2 holds map 3 (since run 0, command 2, step 0), wants map 0");
  });

  it("finds a cycle through one of several readers, and none when the holder runs free", () => {
    const v = new LockValidator();
    v.acquire(1, map(0), at(0));
    v.acquire(2, map(0), at(0));
    v.acquire(2, obj(0), at(0, 1));
    v.acquire(3, obj(5), at(0));
    // Thread 1 waits for object 0 (held by 2); 2 waits for object 5 (held by 3), which runs.
    expect(v.deadlock(new Map([[1, obj(0)], [2, obj(5)]]))).toBeNull();
    // Thread 3 now waits for map 0, held by readers 1 and 2: 1 → 2 → 3 → 1 closes.
    const d = v.deadlock(new Map([[1, obj(0)], [2, obj(5)], [3, map(0)]]));
    expect(d?.threads.map((t) => [t.thread, t.holds, t.wants])).toEqual([[1, "map 0", "object 0"], [2, "object 0", "object 5"], [3, "object 5", "map 0"]]);
  });
});

describe("summary", () => {
  it("is plain JSON with classes, edges with their first acquisition, and findings", () => {
    const v = new LockValidator();
    nest(v, 1, [map(0), obj(0)], 2);
    nest(v, 1, [sLock(0), obj(0)], 3);
    nest(v, 2, [map(1), obj(1)], 4); // an edge already known keeps its first acquisition
    const s = v.summary();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.runs).toBe(1);
    expect(s.acquisitions).toBe(6);
    expect(s.classes.find((c) => c.name === "s_lock")).toMatchObject({ leaf: true, rank: null });
    expect(s.edges).toEqual([
      { from: "map", to: "object", first: { run: 0, thread: 1, command: 2, step: 1, lock: "object 0", held: "map 0" } },
      { from: "s_lock", to: "object", first: { run: 0, thread: 1, command: 3, step: 1, lock: "object 0", held: "s_lock 0" } },
    ]);
    expect(s.findings.map((f) => [f.kind, f.count])).toEqual([["leaf", 1]]);
  });
});
