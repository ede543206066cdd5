import { describe, expect, it } from "vitest";
import { Tlb } from "../../impl/tlb/tlb.ts";

describe("tlb", () => {
  it("hits what it was filled with, tagged by ASID", () => {
    const t = new Tlb(64, 4);
    const i = t.fill(1, 100, 7, 3);
    expect(t.lookup(1, 100)).toBe(i);
    expect(t.lookup(2, 100)).toBe(-1);
    expect(t.frame[i]).toBe(7);
    expect(t.rights[i]).toBe(3);
  });

  it("hitFrame answers a hit with the frame only when the entry grants the access", () => {
    const t = new Tlb(64, 4);
    t.fill(1, 100, 7, 1); // read only
    expect(t.hitFrame(1, 100, 1)).toBe(7);
    expect(t.hitFrame(1, 100, 2)).toBe(-1); // a write needs the fault path
    expect(t.hitFrame(1, 100, 3)).toBe(-1);
    expect(t.hitFrame(2, 100, 1)).toBe(-1); // another address space
    expect(t.hitFrame(1, 101, 1)).toBe(-1);
  });

  it("hitFrame's way prediction never answers for an entry that no longer holds the page", () => {
    // 16 entries, 4 sets: pages 1, 17, 33 share a set and a prediction slot (vpn mod 16).
    const t = new Tlb(16, 4);
    t.fill(1, 1, 10, 3);
    expect(t.hitFrame(1, 1, 1)).toBe(10); // predicted
    t.invalidatePage(1, 1);
    expect(t.hitFrame(1, 1, 1)).toBe(-1); // the predicted entry was dropped
    t.fill(1, 17, 11, 3); // reuses the slot page 1 had
    expect(t.hitFrame(1, 1, 1)).toBe(-1); // the predicted entry now holds another page
    expect(t.hitFrame(2, 17, 1)).toBe(-1); // … of another address space
    t.fill(1, 33, 12, 3); // the prediction moves to 33's entry
    expect(t.hitFrame(1, 17, 1)).toBe(11); // 17 is found by probing its set
    expect(t.hitFrame(1, 33, 1)).toBe(12);
    // A hit found by probing refreshes LRU exactly as a predicted one does.
    for (const v of [49, 65]) t.fill(1, v, v, 3); // the set is full: 17, 33, 49, 65
    expect(t.hitFrame(1, 17, 1)).toBe(11); // 33 is now the oldest
    t.fill(1, 81, 81, 3);
    expect(t.lookup(1, 33)).toBe(-1);
    expect(t.hitFrame(1, 17, 1)).toBe(11);
  });

  it("is set-associative: a fifth page of one set evicts the least recently used", () => {
    const t = new Tlb(16, 4); // 4 sets
    for (const v of [0, 4, 8, 12]) t.fill(1, v, v, 1);
    t.lookup(1, 0); // 4 is now the oldest
    t.fill(1, 16, 16, 1);
    expect(t.lookup(1, 4)).toBe(-1);
    for (const v of [0, 8, 12, 16]) expect(t.lookup(1, v)).toBeGreaterThanOrEqual(0);
    expect(t.lookup(1, 1)).toBe(-1);
  });

  it("random replacement is deterministic for a seed and stays within the set", () => {
    const run = (seed: number) => {
      const t = new Tlb(8, 4, "random", seed);
      for (let v = 0; v < 40; v += 2) t.fill(1, v, v, 1);
      return [...t.valid()].map((i) => t.vpn[i]);
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5).every((v) => v! % 2 === 0)).toBe(true);
  });

  it("invalidates by page, range, ASID and all", () => {
    const t = new Tlb(64, 4);
    for (let v = 0; v < 8; v++) t.fill(1, v, v, 1);
    t.fill(2, 3, 9, 1);
    t.invalidatePage(1, 0);
    expect(t.lookup(1, 0)).toBe(-1);
    t.invalidateRange(1, 2, 4);
    expect([t.lookup(1, 2), t.lookup(1, 3)]).toEqual([-1, -1]);
    expect(t.lookup(2, 3)).toBeGreaterThanOrEqual(0);
    t.invalidateRange(1, 0, 1000); // wider than the sets: scans
    expect(t.lookup(1, 5)).toBe(-1);
    t.fill(1, 5, 5, 1);
    t.invalidateAsid(2);
    expect(t.lookup(2, 3)).toBe(-1);
    expect(t.lookup(1, 5)).toBeGreaterThanOrEqual(0);
    t.invalidateAll();
    expect([...t.valid()]).toEqual([]);
  });
});
