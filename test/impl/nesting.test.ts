import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/kernel.ts";
import { INVARIANTS } from "../../model-check/invariants.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op } from "../../spec/vocabulary.ts";

/** Page-table leaves of 4 pages: a window of 4 pages at a multiple of 4 pages can be nested. */
const scope: Scope = { addressBits: 32, pageSize: 64, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 4096, cpus: 2, frames: 12, tlbEntries: 8, tlbWays: 2, pageTableLeafBits: 2 };
const ps = scope.pageSize;

function ok(k: Kernel, op: Op): { kr: string; data?: string } {
  const r = k.run(op);
  expect(r.kr, JSON.stringify(op)).toBe("KERN_SUCCESS");
  return r as { kr: string; data?: string };
}
const anon = (map: number, addr: number, pages: number, cur = 3) =>
  ({ op: "enter", map, addr, size: pages * ps, mask: 0, anywhere: false, alias: 0, cur, max: 7, inheritance: 1, source: { kind: "anonymous" } }) as const;
const window = (map: number, addr: number, pages: number, usePmap = true) =>
  ({ op: "submap", map, addr, size: pages * ps, submap: 2, offset: 0, inheritance: 0, usePmap }) as const;

/**
 * Maps 0 and 1 each nest map 2 (written at [0, 4P)) over [8P, 12P); CPU 0 runs map 0, CPU 1
 * runs map 1, and each has read the window's second page through its TLB.
 */
function twoParents(): Kernel {
  const k = new Kernel(scope);
  ok(k, { op: "create", min: 0, max: 32 * ps });
  ok(k, { op: "create", min: 0, max: 32 * ps });
  ok(k, { op: "create", min: 0, max: 8 * ps });
  ok(k, anon(2, 0, 4));
  ok(k, { op: "write_user", map: 2, addr: ps, data: "0a0b" });
  ok(k, window(0, 8 * ps, 4));
  ok(k, window(1, 8 * ps, 4));
  ok(k, { op: "switch", cpu: 0, map: 0 });
  ok(k, { op: "switch", cpu: 1, map: 1 });
  expect(ok(k, { op: "load", cpu: 0, addr: 9 * ps, size: 2 }).data).toBe("0a0b");
  expect(ok(k, { op: "load", cpu: 1, addr: 9 * ps, size: 2 }).data).toBe("0a0b");
  return k;
}

const pmap = (k: Kernel, h: number) => k.mmu!.pmaps.get(k.maps[h]!)!;
const cached = (k: Kernel, cpu: number, h: number, vpn: number) => k.mmu!.cpus[cpu]!.tlb.lookup(pmap(k, h).asid, vpn) >= 0;
const invariantsHold = (k: Kernel) => {
  for (const inv of INVARIANTS) expect(inv.check(k), inv.name).toBeUndefined();
};

describe("nested pmaps", () => {
  it("share the submap's PTEs: a page faulted in through one parent is mapped in the other without a fault", () => {
    const k = twoParents();
    const sub = pmap(k, 2);
    expect(pmap(k, 0).nests.map((w) => [w.vpn, w.pages, w.nested])).toEqual([[8, 4, sub]]);
    expect(pmap(k, 1).nests.map((w) => [w.vpn, w.pages, w.nested])).toEqual([[8, 4, sub]]);
    // The submap owns the PTE; neither parent has one of its own there.
    expect(sub.mapped.has(1)).toBe(true);
    expect(pmap(k, 0).mapped.has(9)).toBe(false);
    ok(k, { op: "load", cpu: 0, addr: 10 * ps, size: 1 });
    expect(pmap(k, 1).pte(10).frame).toBe(sub.pte(2).frame);
    expect(sub.pte(2).frame).toBeGreaterThanOrEqual(0);
    invariantsHold(k);
  });

  it("shoot a change of a nested PTE down on the CPUs of every map nesting it", () => {
    const k = twoParents();
    expect([cached(k, 0, 0, 9), cached(k, 1, 1, 9)]).toEqual([true, true]);
    ok(k, { op: "protect", map: 2, addr: ps, size: ps, prot: 0, setMax: false });
    expect([cached(k, 0, 0, 9), cached(k, 1, 1, 9)]).toEqual([false, false]);
    expect(k.run({ op: "load", cpu: 1, addr: 9 * ps, size: 1 }).kr).toBe("KERN_INVALID_ADDRESS");
    invariantsHold(k);
  });

  it("walk a parent's window with its protection: a read-only window over a writable submap gives read-only translations", () => {
    const k = twoParents();
    ok(k, { op: "protect", map: 0, addr: 8 * ps, size: 4 * ps, prot: 1, setMax: false });
    ok(k, { op: "store", cpu: 1, addr: 9 * ps, data: "0c" });
    expect(pmap(k, 2).pte(1).rights & 2).toBe(2);
    expect(pmap(k, 0).pte(9).rights).toBe(1);
    expect(k.run({ op: "store", cpu: 0, addr: 9 * ps, data: "0d" }).kr).toBe("KERN_INVALID_ADDRESS");
    expect(ok(k, { op: "load", cpu: 0, addr: 9 * ps, size: 1 }).data).toBe("0c");
    invariantsHold(k);
  });

  it("un-nest a window before protecting it differently, and nest it again with its new protection", () => {
    const k = twoParents();
    ok(k, { op: "protect", map: 0, addr: 8 * ps, size: 4 * ps, prot: 1, setMax: false });
    expect(cached(k, 0, 0, 9)).toBe(false);
    expect(pmap(k, 0).nests.map((w) => w.mask)).toEqual([1]);
    expect(pmap(k, 1).nests.map((w) => w.mask)).toEqual([3]);
    invariantsHold(k);
  });

  it("un-nest a clipped window (its pieces are not whole leaves) and fall back to per-map PTEs", () => {
    const k = twoParents();
    ok(k, { op: "protect", map: 0, addr: 8 * ps, size: ps, prot: 1, setMax: false });
    expect(pmap(k, 0).nests).toEqual([]);
    expect(pmap(k, 2).parents.map((w) => w.parent)).toEqual([pmap(k, 1)]);
    expect(cached(k, 0, 0, 9)).toBe(false);
    expect(ok(k, { op: "load", cpu: 0, addr: 9 * ps, size: 2 }).data).toBe("0a0b");
    expect(pmap(k, 0).mapped.has(9)).toBe(true);
    invariantsHold(k);
  });

  it("un-nest a removed window: its CPUs lose the translations, the submap keeps them", () => {
    const k = twoParents();
    ok(k, { op: "remove", map: 0, addr: 8 * ps, size: 4 * ps, flags: 0 });
    expect(pmap(k, 0).nests).toEqual([]);
    expect(cached(k, 0, 0, 9)).toBe(false);
    expect(cached(k, 1, 1, 9)).toBe(true);
    expect(pmap(k, 2).pte(1).frame).toBeGreaterThanOrEqual(0);
    invariantsHold(k);
  });

  it("un-nest a wired window and nest it again once unwired", () => {
    const k = twoParents();
    ok(k, { op: "wire", map: 0, addr: 8 * ps, size: 4 * ps, access: 1, user: true });
    expect(pmap(k, 0).nests).toEqual([]);
    expect(pmap(k, 0).pte(9).wired).toBe(true);
    invariantsHold(k);
    ok(k, { op: "unwire", map: 0, addr: 8 * ps, size: 4 * ps, user: true });
    expect(pmap(k, 0).nests.length).toBe(1);
    expect(pmap(k, 0).mapped.size).toBe(0);
    invariantsHold(k);
  });

  it("fall back to per-map PTEs for a window that is not whole leaves or does not ask", () => {
    const k = new Kernel(scope);
    ok(k, { op: "create", min: 0, max: 32 * ps });
    ok(k, { op: "create", min: 0, max: 32 * ps });
    ok(k, { op: "create", min: 0, max: 8 * ps });
    ok(k, anon(2, 0, 4));
    ok(k, window(0, 8 * ps, 2));
    ok(k, window(1, 8 * ps, 4, false));
    ok(k, { op: "switch", cpu: 0, map: 0 });
    ok(k, { op: "switch", cpu: 1, map: 1 });
    ok(k, { op: "store", cpu: 0, addr: 9 * ps, data: "01" });
    expect(ok(k, { op: "load", cpu: 1, addr: 9 * ps, size: 1 }).data).toBe("01");
    expect([pmap(k, 0).nests, pmap(k, 1).nests]).toEqual([[], []]);
    expect([pmap(k, 0).mapped.has(9), pmap(k, 1).mapped.has(9)]).toEqual([true, true]);
    expect(k.mmu!.nestObstacle(k.maps[0]!, k.maps[0]!.lookupEntry(8 * ps).entry)).toMatch(/whole page-table leaves/);
    invariantsHold(k);
  });

  it("nest the shared region's text, read-only, into a task", () => {
    const k = new Kernel(scope);
    ok(k, { op: "create", min: 0, max: 32 * ps });
    ok(k, { op: "shared_region_create", textSize: 4 * ps, dataSize: ps, clientBase: 16 * ps });
    ok(k, anon(1, 0, 4));
    ok(k, { op: "write_user", map: 1, addr: 0, data: "77" });
    ok(k, { op: "shared_region_map", map: 0, region: 0 });
    ok(k, { op: "switch", cpu: 0, map: 0 });
    expect(ok(k, { op: "load", cpu: 0, addr: 16 * ps, size: 1 }).data).toBe("77");
    expect(pmap(k, 0).nests.map((w) => [w.vpn, w.pages, w.mask])).toEqual([[16, 4, 1]]);
    expect(k.run({ op: "store", cpu: 0, addr: 16 * ps, data: "01" }).kr).toBe("KERN_INVALID_ADDRESS");
    invariantsHold(k);
  });
});
