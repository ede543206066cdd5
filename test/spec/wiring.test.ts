import { describe, expect, it } from "vitest";
import { DEFAULT_SCOPE, VM_PROT_ALL, VM_PROT_READ, VM_PROT_WRITE } from "../../spec/index.ts";
import { expectUnchanged, P, pageAt, run, SMALL, TOP, worldWithMap } from "./helpers.ts";

const R = VM_PROT_READ, W = VM_PROT_WRITE;
const counts = (world: Parameters<typeof pageAt>[0], addr = 0) => {
  const page = pageAt(world, addr)!;
  return [page.wiredCount, page.userWiredCount];
};

describe("wire counters (maxWireCount 3)", () => {
  it("counts nested user wirings as one wiring", () => {
    expect(SMALL.maxWireCount).toBe(3);
    const world = worldWithMap();
    run(world, "enter", { size: P });
    run(world, "wire", { user: true });
    run(world, "wire", { user: true });
    expect(counts(world)).toEqual([1, 2]);
    run(world, "wire", { user: false });
    expect(counts(world)).toEqual([2, 2]);
    run(world, "unwire", { user: true });
    expect(counts(world)).toEqual([2, 1]);
    run(world, "unwire", { user: true });
    expect(counts(world)).toEqual([1, 0]);
    run(world, "unwire", { user: false });
    expect(counts(world)).toEqual([0, 0]);
  });

  it("rejects a user wiring past maxWireCount with KERN_FAILURE", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    for (let i = 0; i < 3; i++) expect(run(world, "wire", { user: true }).kr).toBe("KERN_SUCCESS");
    expect(counts(world)).toEqual([1, 3]);
    expect(expectUnchanged(world, () => run(world, "wire", { user: true })).kr).toBe("KERN_FAILURE");
    // Kernel wirings still fit: the user wirings hold only one of the three.
    expect(run(world, "wire", { user: false }).kr).toBe("KERN_SUCCESS");
    expect(run(world, "wire", { user: false }).kr).toBe("KERN_SUCCESS");
    expect(counts(world)).toEqual([3, 3]);
  });

  it("rejects a kernel wiring past maxWireCount with KERN_FAILURE", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    for (let i = 0; i < 3; i++) run(world, "wire", { user: false });
    expect(expectUnchanged(world, () => run(world, "wire", { user: false })).kr).toBe("KERN_FAILURE");
    // The first user wiring would need a fourth wiring too.
    expect(expectUnchanged(world, () => run(world, "wire", { user: true })).kr).toBe("KERN_FAILURE");
  });

  it("lets a nested user wiring through when wiredCount is at the limit", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    run(world, "wire", { user: true });
    run(world, "wire", { user: false });
    run(world, "wire", { user: false });
    expect(counts(world)).toEqual([3, 1]);
    expect(run(world, "wire", { user: true }).kr).toBe("KERN_SUCCESS");
    expect(counts(world)).toEqual([3, 2]);
  });
});

describe("wire", () => {
  it("is all or nothing: an overflow on a later page leaves earlier pages unwired", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 2 * P });
    for (let i = 0; i < 3; i++) run(world, "wire", { addr: P, user: false });
    expect(expectUnchanged(world, () => run(world, "wire", { size: 2 * P, user: false })).kr).toBe("KERN_FAILURE");
    expect(counts(world, 0)).toEqual([0, 0]);
  });

  it("rejects access beyond the current protection with KERN_PROTECTION_FAILURE", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P, cur: R });
    run(world, "enter", { addr: P, size: P });
    expect(expectUnchanged(world, () => run(world, "wire", { size: 2 * P, access: W })).kr).toBe("KERN_PROTECTION_FAILURE");
    expect(run(world, "wire", { size: 2 * P, access: R }).kr).toBe("KERN_SUCCESS");
  });

  it("checks already-wired pages too (reference §8 #6, intended)", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    run(world, "wire", { user: true });
    run(world, "protect", { prot: R });
    expect(run(world, "wire", { access: W }).kr).toBe("KERN_PROTECTION_FAILURE");
    run(world, "enter", { addr: 2 * P, size: P });
    expect(run(world, "wire", { size: 3 * P }).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it("lets the first failing page in address order decide", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 2 * P }); // pages 0, 1
    run(world, "enter", { addr: 3 * P, size: P, cur: R }); // page 3, after a hole
    for (let i = 0; i < 3; i++) run(world, "wire", { addr: P, user: false }); // page 1 full
    run(world, "protect", { prot: R }); // page 0 lacks WRITE
    expect(run(world, "wire", { size: 4 * P, access: W, user: false }).kr).toBe("KERN_PROTECTION_FAILURE");
    expect(run(world, "wire", { size: 4 * P, access: R, user: false }).kr).toBe("KERN_FAILURE");
    run(world, "unwire", { addr: P, user: false });
    expect(run(world, "wire", { size: 4 * P, access: R, user: false }).kr).toBe("KERN_INVALID_ADDRESS");
    expect(run(world, "wire", { addr: 3 * P, size: P, access: W }).kr).toBe("KERN_PROTECTION_FAILURE");
  });

  it("clamps the range to the map", () => {
    const world = worldWithMap(P, 3 * P);
    run(world, "enter", { addr: P, size: 2 * P });
    expect(run(world, "wire", { addr: 0, size: TOP - 1, user: false }).kr).toBe("KERN_SUCCESS");
    expect([counts(world, P), counts(world, 2 * P)]).toEqual([[1, 0], [1, 0]]);
    expect(run(world, "unwire", { addr: 0, size: TOP - 1, user: false }).kr).toBe("KERN_SUCCESS");
    expect(counts(world, P)).toEqual([0, 0]);
  });

  it.each([
    ["its start is unmapped", P, 2 * P],
    ["it has a hole", 0, 3 * P],
    ["the clamped range is empty", 8 * P, P],
    ["the range is empty (size 0) at an unmapped page", P, 0],
  ])("rejects a range where %s with KERN_INVALID_ADDRESS", (_, addr, size) => {
    const world = worldWithMap(0, 4 * P);
    run(world, "enter", { size: P });
    run(world, "enter", { addr: 2 * P, size: 2 * P });
    expect(expectUnchanged(world, () => run(world, "wire", { addr, size })).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it("accepts an empty range at a mapped page and changes nothing, as the 2000 kernel did", () => {
    const world = worldWithMap(0, 4 * P);
    run(world, "enter", { size: P });
    expect(expectUnchanged(world, () => run(world, "wire", { addr: 0, size: 0 })).kr).toBe("KERN_SUCCESS");
    expect(expectUnchanged(world, () => run(world, "unwire", { addr: 0, size: 0 })).kr).toBe("KERN_SUCCESS");
  });

  it("rejects a NULL map with KERN_INVALID_TASK", () => {
    const world = worldWithMap();
    expect(run(world, "wire", { map: 5 }).kr).toBe("KERN_INVALID_TASK");
    expect(run(world, "wire", { map: NaN, access: 99 }).kr).toBe("KERN_INVALID_TASK");
  });

  it.each([
    ["access bits outside ALL", { access: 8 }],
    ["a wrapping range", { addr: TOP - P, size: 2 * P }],
    ["a NaN address", { addr: NaN }],
    ["a size of 2^W", { size: TOP }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    expect(expectUnchanged(world, () => run(world, "wire", args)).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("is fast for a huge range over a small map", () => {
    const scope = { ...DEFAULT_SCOPE, addressBits: 52 };
    const world = worldWithMap(0, 2 ** 52, scope);
    run(world, "enter", { size: 4 * scope.pageSize, max: VM_PROT_ALL });
    expect(run(world, "wire", { size: 2 ** 52 - 1 }).kr).toBe("KERN_INVALID_ADDRESS");
    expect(run(world, "unwire", { size: 2 ** 52 - 1, user: false }).kr).toBe("KERN_FAILURE");
    expect(run(world, "unwire", { size: 2 ** 52 - 1, user: true }).kr).toBe("KERN_SUCCESS");
  });
});

describe("unwire", () => {
  it("user: skips pages without user wirings and stops at the first hole", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 3 * P });
    run(world, "enter", { addr: 4 * P, size: P });
    run(world, "wire", { size: P, user: true });
    run(world, "wire", { addr: 2 * P, size: P, user: true });
    run(world, "wire", { addr: 4 * P, size: P, user: true });
    expect(run(world, "unwire", { size: 5 * P, user: true }).kr).toBe("KERN_SUCCESS");
    expect([0, 1, 2, 4].map((i) => counts(world, i * P))).toEqual([[0, 0], [0, 0], [0, 0], [1, 1]]);
  });

  it("user: unwires the last page before a hole (reference §8 #7, intended)", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    run(world, "wire", { user: true });
    expect(run(world, "unwire", { size: 2 * P, user: true }).kr).toBe("KERN_SUCCESS");
    expect(counts(world)).toEqual([0, 0]);
  });

  it("user: leaves kernel wirings alone", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    run(world, "wire", { user: false });
    expect(expectUnchanged(world, () => run(world, "unwire", { user: true })).kr).toBe("KERN_SUCCESS");
  });

  it("kernel: drops one kernel wiring per page", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 2 * P });
    run(world, "wire", { size: 2 * P, user: false });
    run(world, "wire", { size: P, user: false });
    run(world, "wire", { size: P, user: true });
    expect(run(world, "unwire", { size: 2 * P, user: false }).kr).toBe("KERN_SUCCESS");
    expect([counts(world, 0), counts(world, P)]).toEqual([[2, 1], [0, 0]]);
  });

  it.each([
    ["a page holds only user wirings", 2 * P],
    ["a page is unmapped", 3 * P],
  ])("kernel: fails with KERN_FAILURE when %s", (_, size) => {
    const world = worldWithMap();
    run(world, "enter", { size: 2 * P });
    run(world, "wire", { size: P, user: false });
    run(world, "wire", { addr: P, size: P, user: true });
    if (size === 3 * P) run(world, "wire", { addr: P, size: P, user: false });
    expect(expectUnchanged(world, () => run(world, "unwire", { size, user: false })).kr).toBe("KERN_FAILURE");
  });

  it.each([
    ["its start is unmapped", P, P],
    ["the clamped range is empty", 9 * P, P],
    ["it is empty (size 0) at an unmapped page", 2 * P, 0],
  ])("rejects a range where %s with KERN_INVALID_ADDRESS", (_, addr, size) => {
    const world = worldWithMap(0, 8 * P);
    run(world, "enter", { size: P });
    run(world, "wire", { user: false });
    for (const user of [true, false])
      expect(expectUnchanged(world, () => run(world, "unwire", { addr, size, user })).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it("rejects a NULL map with KERN_INVALID_TASK and bad numbers with KERN_INVALID_ARGUMENT", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    expect(run(world, "unwire", { map: 1 }).kr).toBe("KERN_INVALID_TASK");
    expect(run(world, "unwire", { size: -1 }).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "unwire", { addr: TOP - 1, size: 2 }).kr).toBe("KERN_INVALID_ARGUMENT");
  });
});
