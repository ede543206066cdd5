/**
 * The lock-order validator's rules one by one, and the parts of its reports the first tests
 * leave alone (finding identity, absorbed summaries, deadlock paths). Until the checker drives
 * the validator these tests, with test/impl/lockdep.test.ts, are what kills the mutants of
 * impl/locks (mutation/vitest.config.ts); every case here is one a broken validator gets wrong.
 */
import { describe, expect, it } from "vitest";
import { LockValidator, type Finding } from "../../impl/locks/lockdep.ts";
import { CLASS_NAMES, LOCK_CLASSES, SLEEP_KINDS, type LockClassName, type LockInstance, type LockTopology } from "../../impl/locks/lock-classes.ts";

const lock = (cls: LockClassName, id = 0): LockInstance => ({ cls, id });
const at = (command: number, step = 0) => ({ command, step });

/** Take `locks` in order on `thread` (released afterwards); the kinds of the findings raised. */
function kindsOf(v: LockValidator, locks: LockInstance[], thread = 1): string[] {
  const raised = locks.flatMap((l, i) => v.acquire(thread, l, at(0, i)));
  for (const l of locks) v.release(thread, l, at(0, 99));
  return raised.map((f) => f.kind);
}

describe("the class table", () => {
  it("names every class by its key and explains every class in reports", () => {
    for (const name of CLASS_NAMES) {
      expect(LOCK_CLASSES[name].name).toBe(name);
      expect(LOCK_CLASSES[name].why.length).toBeGreaterThan(10);
    }
    expect(SLEEP_KINDS).toEqual(["entry_wait", "fault", "pager_io"]);
  });

  it("reports the documented rules of every class", () => {
    const spin = ["entry_wait", "fault", "pager_io"];
    expect(new LockValidator().summary().classes).toEqual([
      { name: "map", rank: 0, leaf: false, forbidsSleep: ["fault", "pager_io"] },
      { name: "object", rank: 1, leaf: false, forbidsSleep: spin },
      { name: "page_queues", rank: 2, leaf: false, forbidsSleep: spin },
      { name: "s_lock", rank: null, leaf: true, forbidsSleep: spin },
      { name: "object_cache", rank: null, leaf: false, forbidsSleep: spin },
      { name: "pmap", rank: null, leaf: false, forbidsSleep: [] },
      { name: "named_entry", rank: null, leaf: false, forbidsSleep: [] },
      { name: "shared_region", rank: null, leaf: false, forbidsSleep: [] },
    ]);
  });

  it("ranks page queues below objects, and only the ranked classes by rank", () => {
    expect(kindsOf(new LockValidator(), [lock("page_queues"), lock("object", 1)])).toContain("class-order");
    expect(kindsOf(new LockValidator(), [lock("page_queues"), lock("object_cache"), lock("pmap")])).toEqual([]);
    expect(kindsOf(new LockValidator(), [lock("object_cache"), lock("map", 1)])).toEqual([]);
  });

  it("lets a thread holding an unranked, non-leaf class take other locks", () => {
    for (const cls of ["object_cache", "pmap", "named_entry", "shared_region"] as const)
      expect(kindsOf(new LockValidator(), [lock(cls), lock("object", 1)]), cls).toEqual([]);
  });

  it("forbids exactly each class's sleeps", () => {
    for (const name of CLASS_NAMES) {
      for (const kind of SLEEP_KINDS) {
        const v = new LockValidator();
        v.acquire(1, lock(name, 1), at(0));
        const raised = v.sleep(1, kind, at(1));
        expect(raised.length, `${name} across ${kind}`).toBe(LOCK_CLASSES[name].forbidsSleep.includes(kind) ? 1 : 0);
      }
    }
  });
});

describe("rules between two locks of one class", () => {
  const submaps: LockTopology = { isSubmapOf: (sub, parent) => parent === 5 && sub === 2, isShadowBelow: () => false };

  it("lets a parent map take its submap even when the submap's handle is lower", () => {
    expect(kindsOf(new LockValidator(submaps), [lock("map", 5), lock("map", 2)])).toEqual([]);
    expect(kindsOf(new LockValidator(submaps), [lock("map", 2), lock("map", 5)])).toEqual(["submap-before-parent"]);
  });

  it("orders unrelated objects by handle, and nothing more with the flat topology", () => {
    expect(kindsOf(new LockValidator(), [lock("object", 3), lock("object", 5)])).toEqual([]);
    expect(kindsOf(new LockValidator(), [lock("object", 5), lock("object", 3)])).toEqual(["objects-out-of-order"]);
    expect(kindsOf(new LockValidator(), [lock("map", 5), lock("map", 3)])).toEqual(["maps-out-of-order"]);
  });

  it("gives no handle order to the other classes", () => {
    for (const cls of ["page_queues", "pmap", "named_entry", "shared_region", "object_cache"] as const)
      expect(kindsOf(new LockValidator(), [lock(cls, 5), lock(cls, 3)]), cls).toEqual([]);
  });
});

describe("finding identity", () => {
  it("keeps different rules, releases and sleeps apart", () => {
    const v = new LockValidator();
    kindsOf(v, [lock("map", 5), lock("map", 3)]);
    kindsOf(v, [lock("object", 5), lock("object", 3)]);
    expect(v.release(1, lock("map", 9), at(2))!.message).toMatch(/^release-not-held: .*map 9/);
    v.release(1, lock("object", 9), at(3));
    v.acquire(2, lock("object", 1), at(4));
    v.acquire(2, lock("page_queues", 1), at(4, 1));
    const sleeps = v.sleep(2, "fault", at(5));
    expect(sleeps.map((f) => f.message)).toEqual([
      expect.stringMatching(/^sleep-while-holding: .*object 1 \(below maps/),
      expect.stringMatching(/^sleep-while-holding: .*page_queues 1 \(below object locks/),
    ]);
    v.sleep(2, "pager_io", at(6));
    const findings = v.summary().findings;
    expect(findings.map((f) => f.kind)).toEqual([
      "maps-out-of-order", "objects-out-of-order", "release-not-held", "release-not-held",
      "sleep-while-holding", "sleep-while-holding", "sleep-while-holding", "sleep-while-holding",
    ]);
    expect(new Set(findings.map((f) => f.key)).size).toBe(findings.length);
    expect(findings[2]!.at.held).toBe("");
  });

  it("releases the lock named, not another one the thread holds", () => {
    const v = new LockValidator();
    v.acquire(1, lock("map", 1), at(0));
    v.acquire(1, lock("object", 2), at(0, 1));
    expect(v.release(1, lock("object", 2), at(1))).toBeNull();
    expect(v.holding(1)).toEqual([lock("map", 1)]);
  });

  it("keeps two different cycles apart", () => {
    const v = new LockValidator();
    kindsOf(v, [lock("pmap"), lock("named_entry")]);
    kindsOf(v, [lock("named_entry"), lock("pmap")]);
    kindsOf(v, [lock("shared_region"), lock("object_cache")]);
    kindsOf(v, [lock("object_cache"), lock("shared_region")]);
    expect(v.summary().findings.filter((f) => f.kind === "cycle")).toHaveLength(2);
  });

  it("still searches the graph after a cycle, for edges that close none", () => {
    const v = new LockValidator();
    kindsOf(v, [lock("pmap"), lock("named_entry")]);
    kindsOf(v, [lock("named_entry"), lock("pmap")]);
    expect(kindsOf(v, [lock("shared_region"), lock("pmap")])).toEqual([]);
    expect(v.summary().edges).toHaveLength(3);
  });
});

describe("absorbing another validator's summary", () => {
  /** A validator that closed the pmap/named_entry cycle with the edge `last`. */
  function closed(last: "pmap" | "named_entry"): LockValidator {
    const v = new LockValidator();
    const first = last === "pmap" ? "named_entry" : "pmap";
    kindsOf(v, [lock(first), lock(last)]);
    kindsOf(v, [lock(last), lock(first)]);
    return v;
  }
  const cycles = (fs: readonly Finding[]) => fs.filter((f) => f.kind === "cycle");

  it("takes in findings it did not have, as copies", () => {
    const other = new LockValidator();
    kindsOf(other, [lock("map", 5), lock("map", 3)]);
    const v = new LockValidator();
    v.absorb(other.summary());
    const [f] = v.summary().findings;
    expect(f).toMatchObject({ kind: "maps-out-of-order", count: 1 });
    kindsOf(v, [lock("map", 5), lock("map", 3)]);
    expect(v.summary().findings[0]!.count).toBe(2);
    expect(other.summary().findings[0]!.count).toBe(1);
  });

  it("counts one cycle once, whichever edge closed it on either side", () => {
    const v = closed("pmap");
    v.absorb(closed("named_entry").summary());
    const found = cycles(v.summary().findings);
    expect(found).toHaveLength(1);
    expect(found[0]!.count).toBe(1);
  });
});

describe("deadlock paths", () => {
  it("reports only the threads on the cycle, not a thread waiting into it", () => {
    const v = new LockValidator();
    v.acquire(1, lock("map", 1), at(0));
    v.acquire(2, lock("map", 2), at(0));
    v.acquire(3, lock("map", 3), at(0));
    // 1 waits for 2's lock; 2 and 3 wait for each other.
    const r = v.deadlock(new Map([[1, lock("map", 2)], [2, lock("map", 3)], [3, lock("map", 2)]]));
    expect(r!.threads.map((t) => t.thread)).toEqual([2, 3]);
    expect(r!.threads.map((t) => t.holds)).toEqual(["map 2", "map 3"]);
  });

  it("records, for what a thread holds, the lock it held before it", () => {
    const v = new LockValidator();
    v.acquire(1, lock("map", 1), at(0));
    v.acquire(1, lock("object", 1), at(0, 1));
    v.acquire(1, lock("page_queues", 1), at(0, 2));
    v.acquire(1, lock("pmap", 1), at(0, 3));
    v.acquire(2, lock("map", 2), at(1));
    for (const [held, before] of [["object", "map 1"], ["page_queues", "object 1"], ["pmap", "page_queues 1"]] as const) {
      const r = v.deadlock(new Map([[1, lock("map", 2)], [2, lock(held, 1)]]));
      expect(r!.threads.find((t) => t.thread === 1)!.since.held).toBe(before);
    }
  });

  it("does not call a thread waiting for a lock it holds itself a deadlock", () => {
    const v = new LockValidator();
    v.acquire(1, lock("map", 1), at(0));
    expect(v.deadlock(new Map([[1, lock("map", 1)]]))).toBeNull();
  });
});
