import { describe, expect, it } from "vitest";
import { Tlb } from "../../impl/tlb/tlb.ts";

describe("tlb", () => {
  it("hits what it was filled with, tagged by ASID", () => {
    const t = new Tlb(64, 4);
    const i = t.fill(1, 100, 7, 3, 0);
    expect(t.lookup(1, 100)).toBe(i);
    expect(t.lookup(2, 100)).toBe(-1);
    expect(t.frame[i]).toBe(7);
    expect(t.rights[i]).toBe(3);
  });

  it("hitFrame answers a hit with the frame only when the entry grants the access", () => {
    const t = new Tlb(64, 4);
    t.fill(1, 100, 7, 1, 0); // read only
    expect(t.hitFrame(1, 100, 1)).toBe(7);
    expect(t.hitFrame(1, 100, 2)).toBe(-1); // a write needs the fault path
    expect(t.hitFrame(1, 100, 3)).toBe(-1);
    expect(t.hitFrame(2, 100, 1)).toBe(-1); // another address space
    expect(t.hitFrame(1, 101, 1)).toBe(-1);
  });

  it("is set-associative: a fifth page of one set evicts the least recently used", () => {
    const t = new Tlb(16, 4); // 4 sets
    for (const v of [0, 4, 8, 12]) t.fill(1, v, v, 1, 0);
    t.lookup(1, 0); // 4 is now the oldest
    t.fill(1, 16, 16, 1, 0);
    expect(t.lookup(1, 4)).toBe(-1);
    for (const v of [0, 8, 12, 16]) expect(t.lookup(1, v)).toBeGreaterThanOrEqual(0);
    expect(t.lookup(1, 1)).toBe(-1);
  });

  it("random replacement is deterministic for a seed and stays within the set", () => {
    const run = (seed: number) => {
      const t = new Tlb(8, 4, "random", seed);
      for (let v = 0; v < 40; v += 2) t.fill(1, v, v, 1, 0);
      return [...t.valid()].map((i) => t.vpn[i]);
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5).every((v) => v! % 2 === 0)).toBe(true);
  });

  it("invalidates by page, range, ASID and all", () => {
    const t = new Tlb(64, 4);
    for (let v = 0; v < 8; v++) t.fill(1, v, v, 1, 0);
    t.fill(2, 3, 9, 1, 0);
    t.invalidatePage(1, 0);
    expect(t.lookup(1, 0)).toBe(-1);
    t.invalidateRange(1, 2, 4);
    expect([t.lookup(1, 2), t.lookup(1, 3)]).toEqual([-1, -1]);
    expect(t.lookup(2, 3)).toBeGreaterThanOrEqual(0);
    t.invalidateRange(1, 0, 1000); // wider than the sets: scans
    expect(t.lookup(1, 5)).toBe(-1);
    t.fill(1, 5, 5, 1, 0);
    t.invalidateAsid(2);
    expect(t.lookup(2, 3)).toBe(-1);
    expect(t.lookup(1, 5)).toBeGreaterThanOrEqual(0);
    t.invalidateAll();
    expect([...t.valid()]).toEqual([]);
  });
});
