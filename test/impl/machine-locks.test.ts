/**
 * The machine's locks in the lock-order validator: every pmap operation takes its pmap's lock
 * and pageout the page-queues lock, each reported to a kernel thread's validator like the object
 * layer's locks, so the class-order graph learns their order against the map and object locks
 * (reference §2.4).
 */
import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/kernel.ts";
import { Scheduler, type ThreadBody } from "../../impl/sched/scheduler.ts";
import { SuspendableOps } from "../../impl/sched/suspendable.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op } from "../../spec/vocabulary.ts";

const scope: Scope = { addressBits: 32, pageSize: 64, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 4096, cpus: 2, frames: 6, tlbEntries: 8, tlbWays: 2 };
const P = scope.pageSize;

function ok(k: Kernel, op: Op): void {
  expect(k.run(op).kr, JSON.stringify(op)).toBe("KERN_SUCCESS");
}

/** A map of four pages, two of them written, run by CPU 0 (the MMU in play), and a scheduler over it. */
function machine(): { k: Kernel; s: Scheduler } {
  const k = new Kernel(scope);
  ok(k, { op: "create", min: 0, max: 64 * P });
  ok(k, { op: "enter", map: 0, addr: 0, size: 4 * P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } });
  ok(k, { op: "switch", cpu: 0, map: 0 });
  ok(k, { op: "store", cpu: 0, addr: 0, data: "11" });
  ok(k, { op: "store", cpu: 0, addr: P, data: "22" });
  const ops = new SuspendableOps(k);
  return { k, s: new Scheduler(k, (sch, t, op) => ops.body(sch, t, op)) };
}

const edges = (s: Scheduler) => s.validator.summary().edges.map((e) => `${e.from} -> ${e.to}`);

describe("the machine's locks", () => {
  it("a wiring thread takes pmap locks under its map lock", () => {
    const { s } = machine();
    s.spawn(0, { op: "wire", map: 0, addr: 0, size: 4 * P, access: 3, user: true });
    s.step(0, 16);
    expect(s.completions[0]?.result.kr).toBe("KERN_SUCCESS");
    expect(edges(s)).toContain("map -> pmap");
    const pmap = s.validator.summary().edges.find((e) => e.to === "pmap")!;
    expect(pmap.first).toMatchObject({ thread: 0, lock: "pmap 1", held: "map 0" });
    expect(s.findings).toEqual([]); // every pmap lock taken was released
  });

  it("pageout takes the pmap locks of the unmapping under the page-queues lock", () => {
    const { s } = machine();
    s.spawn(0, { op: "evict", frame: 0 });
    s.step(0, 16);
    expect(edges(s)).toEqual(["page_queues -> pmap"]);
    expect(s.findings).toEqual([]);
  });

  it("a machine lock released by a thread that does not hold it is a finding", () => {
    const { k } = machine();
    const s = new Scheduler(k, function* (sch): ThreadBody {
      sch.kernel.mmu!.lockHooks!.unlock("pmap", 7);
      yield { kind: "point", why: "test" };
      return { kr: "KERN_SUCCESS" };
    });
    s.spawn(0, { op: "lookup", map: 0, addr: 0 });
    expect(s.findings.map((f) => f.kind)).toEqual(["release-not-held"]);
  });
});
