/**
 * The lock-order validator's view of a live kernel (impl/sched/topology.ts): which map lock
 * may be taken under which (a parent map before a map it reaches through submaps) and which
 * object lock under which (an object before the objects below it on its shadow chain). The
 * validator trusts this view to excuse an order; a view that excused too much would hide
 * inversions, one that excused too little would report the kernel's own legal orders.
 */
import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/kernel.ts";
import { KernelTopology } from "../../impl/sched/topology.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op } from "../../spec/vocabulary.ts";
import { chain, kernel, ok as okArgs, P, window, write } from "./helpers.ts";

const scope: Scope = { addressBits: 32, pageSize: 64, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 4096 };
const ps = scope.pageSize;

function ok(k: Kernel, op: Op): void {
  expect(k.run(op).kr, JSON.stringify(op)).toBe("KERN_SUCCESS");
}
const submap = (map: number, addr: number, sub: number): Op => ({ op: "submap", map, addr, size: 2 * ps, submap: sub, offset: 0, inheritance: 0, usePmap: false });

describe("the kernel's lock topology", () => {
  it("says nothing without a kernel", () => {
    const t = new KernelTopology();
    expect(t.isSubmapOf(1, 0)).toBe(false);
    expect(t.isShadowBelow(1, 2)).toBe(false);
  });

  it("excuses a parent map before the maps it reaches through submaps, directly or through another submap, and nothing else", () => {
    const k = new Kernel(scope);
    for (let i = 0; i < 4; i++) ok(k, { op: "create", min: 0, max: 16 * ps });
    ok(k, submap(0, 0, 1)); // map 0 shows map 1
    ok(k, submap(1, 4 * ps, 2)); // map 1 shows map 2: map 0 reaches it through map 1
    const t = new KernelTopology();
    t.kernel = k;
    expect([t.isSubmapOf(1, 0), t.isSubmapOf(2, 1), t.isSubmapOf(2, 0)]).toEqual([true, true, true]);
    // Not upwards, not a map to itself, not an unrelated map, not a map that does not exist.
    expect([t.isSubmapOf(0, 1), t.isSubmapOf(0, 2), t.isSubmapOf(1, 1), t.isSubmapOf(3, 0), t.isSubmapOf(0, 3), t.isSubmapOf(9, 0), t.isSubmapOf(1, 9)]).toEqual([false, false, false, false, false, false, false]);
  });

  it("excuses an object before the objects below it on its shadow chain, however deep, and nothing else", () => {
    // A shared object's copies are copy objects stacked in front of it (the delayed strategy):
    // a copy that received a page stays, and the next copy object goes between it and the source.
    const k = kernel();
    okArgs(k, "object_create", { size: 4 * P });
    okArgs(k, "enter", { size: 4 * P, source: window(0) });
    okArgs(k, "copyin", { size: 4 * P });
    const first = k.objects[0]!.copy;
    write(k, 0, "77");
    okArgs(k, "copyin", { size: 4 * P });
    const [top, middle, bottom] = chain(first);
    expect(bottom).toBeDefined();
    const t = new KernelTopology();
    t.kernel = k;
    expect([t.isShadowBelow(middle!.id, top!.id), t.isShadowBelow(bottom!.id, middle!.id), t.isShadowBelow(bottom!.id, top!.id)]).toEqual([true, true, true]);
    expect([t.isShadowBelow(top!.id, middle!.id), t.isShadowBelow(top!.id, bottom!.id), t.isShadowBelow(top!.id, top!.id), t.isShadowBelow(middle!.id, 999), t.isShadowBelow(999, top!.id)]).toEqual([false, false, false, false, false]);
  });
});
