import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/kernel.ts";
import { MMU_INVARIANTS } from "../../model-check/mmu-invariants.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op } from "../../spec/vocabulary.ts";

const scope: Scope = { addressBits: 32, pageSize: 64, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 4096, cpus: 2, frames: 8, tlbEntries: 8, tlbWays: 2 };
const ps = scope.pageSize;

const run = (k: Kernel, op: Op) => k.run(op).kr;
function ok(k: Kernel, op: Op): void {
  expect(run(k, op), JSON.stringify(op)).toBe("KERN_SUCCESS");
}

/** Map 0 with four pages written through CPU 0, the first one wired. */
function running(): Kernel {
  const k = new Kernel(scope);
  ok(k, { op: "create", min: 0, max: 16 * ps });
  ok(k, { op: "enter", map: 0, addr: 0, size: 4 * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } });
  ok(k, { op: "switch", cpu: 0, map: 0 });
  ok(k, { op: "store", cpu: 0, addr: 0, data: "01".repeat(4 * ps) });
  ok(k, { op: "wire", map: 0, addr: 0, size: ps, access: 1, user: true });
  return k;
}

const present = (k: Kernel) => k.mmu!.pmaps.get(k.maps[0]!)!.present(0, 16);

describe("residence (swapout, swapin)", () => {
  it("swapping a map out removes its unwired translations, shot down, and keeps the wired one", () => {
    const k = running();
    expect(present(k)).toEqual([0, 1, 2, 3]);
    ok(k, { op: "swapout", map: 0 });
    expect(k.maps[0]!.swState).toBe("out");
    expect(present(k)).toEqual([0]);
    for (const inv of MMU_INVARIANTS) expect(inv.check(k), inv.name).toBeUndefined();
    // The memory is still there: a load faults the pages back in.
    expect(k.run({ op: "load", cpu: 0, addr: 2 * ps, size: 2 })).toEqual({ kr: "KERN_SUCCESS", data: "0101" });
    expect(present(k)).toEqual([0, 2]);
  });

  it("only the last resident reference swaps a map out; deallocate takes a resident reference first", () => {
    const k = running();
    ok(k, { op: "reference", map: 0 });
    ok(k, { op: "swapout", map: 0 });
    expect([k.maps[0]!.resCount, k.maps[0]!.swState]).toEqual([1, "in"]);
    expect(present(k)).toEqual([0, 1, 2, 3]);
    ok(k, { op: "deallocate", map: 0 }); // the resident one: the map is swapped out
    expect([k.maps[0]!.refCount, k.maps[0]!.resCount, k.maps[0]!.swState]).toEqual([1, 0, "out"]);
    expect(present(k)).toEqual([0]);
    expect(run(k, { op: "swapout", map: 0 })).toBe("KERN_FAILURE");
    ok(k, { op: "reference", map: 0 }); // the safe vm_map_reference: swapped back in
    expect([k.maps[0]!.refCount, k.maps[0]!.resCount, k.maps[0]!.swState]).toEqual([2, 1, "in"]);
    ok(k, { op: "swapin", map: 0 });
    expect(run(k, { op: "swapin", map: 0 })).toBe("KERN_FAILURE");
    expect([k.maps[0]!.refCount, k.maps[0]!.resCount]).toEqual([2, 2]);
  });

  it("refuses a NULL map", () => {
    const k = running();
    expect(run(k, { op: "swapout", map: 7 })).toBe("KERN_INVALID_ARGUMENT");
    expect(run(k, { op: "swapin", map: 0.5 })).toBe("KERN_INVALID_ARGUMENT");
  });
});
