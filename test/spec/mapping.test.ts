import { describe, expect, it } from "vitest";
import {
  abstractSpec,
  DEFAULT_SCOPE,
  VM_INHERIT_COPY,
  VM_INHERIT_SHARE,
  VM_MAP_REMOVE_INTERRUPTIBLE,
  VM_MAP_REMOVE_KUNWIRE,
  VM_MAP_REMOVE_WAIT_FOR_KWIRE,
  VM_PROT_ALL,
  VM_PROT_DEFAULT,
  VM_PROT_READ,
  wouldBlock,
} from "../../spec/index.ts";
import { cmd, expectUnchanged, mappedAddresses, P, pageAt, run, TOP, worldWithMap } from "./helpers.ts";

describe("enter, fixed", () => {
  it("maps round(size) bytes at trunc(addr) with the given attributes", () => {
    const world = worldWithMap();
    const r = run(world, "enter", { addr: 2 * P + 5, size: P + 1, cur: VM_PROT_READ, max: VM_PROT_DEFAULT, inheritance: VM_INHERIT_SHARE, alias: 255 });
    expect(r).toEqual({ kr: "KERN_SUCCESS", addr: 2 * P });
    expect(mappedAddresses(world)).toEqual([2 * P, 3 * P]);
    expect(pageAt(world, 3 * P)).toEqual({
      prot: VM_PROT_READ, maxProt: VM_PROT_DEFAULT, inheritance: VM_INHERIT_SHARE, behavior: 0, alias: 255, wiredCount: 0, userWiredCount: 0,
    });
  });

  it("maps round(size) bytes from trunc(addr), not the widened [addr, addr + size)", () => {
    const world = worldWithMap();
    expect(run(world, "enter", { addr: P + P / 2, size: P }).addr).toBe(P);
    expect(mappedAddresses(world)).toEqual([P]);
    expect(run(world, "enter", { addr: TOP - 1, size: P }).addr).toBe(TOP - P);
  });

  it("gives every anonymous page a fresh zero cell", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 3 * P });
    const cells = abstractSpec(world).maps[0]!.pages.map((p) => p.cell);
    expect(new Set(cells).size).toBe(3);
  });

  it("rejects a start violating the mask with KERN_NO_SPACE, before the bounds check", () => {
    const world = worldWithMap(4 * P, 8 * P);
    expect(expectUnchanged(world, () => run(world, "enter", { addr: 5 * P, mask: 2 * P - 1 })).kr).toBe("KERN_NO_SPACE");
    expect(run(world, "enter", { addr: P, mask: 2 * P - 1 }).kr).toBe("KERN_NO_SPACE");
  });

  it.each([
    ["below min", 3 * P, P],
    ["past max", 7 * P, 2 * P],
  ])("rejects a range %s with KERN_INVALID_ADDRESS", (_, addr, size) => {
    const world = worldWithMap(4 * P, 8 * P);
    expect(expectUnchanged(world, () => run(world, "enter", { addr, size })).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it("rejects a range overlapping a mapped page with KERN_NO_SPACE", () => {
    const world = worldWithMap();
    run(world, "enter", { addr: 3 * P });
    expect(expectUnchanged(world, () => run(world, "enter", { addr: 0, size: 4 * P })).kr).toBe("KERN_NO_SPACE");
    expect(run(world, "enter", { addr: 3 * P }).kr).toBe("KERN_NO_SPACE");
    expect(run(world, "enter", { addr: 2 * P, size: P }).kr).toBe("KERN_SUCCESS");
  });

  it("maps up to 2^W exactly", () => {
    const world = worldWithMap();
    expect(run(world, "enter", { addr: TOP - P, size: P }).kr).toBe("KERN_SUCCESS");
  });
});

describe("enter, argument checks", () => {
  it.each([
    ["a NULL map", { map: 3 }],
    ["mask + 1 not a power of two", { mask: 2 }],
    ["cur with bits outside VM_PROT_ALL", { cur: 8, max: 15 }],
    ["max with bits outside VM_PROT_ALL", { max: 8 }],
    ["cur not within max", { cur: VM_PROT_DEFAULT, max: VM_PROT_READ }],
    ["inheritance above NONE", { inheritance: 3 }],
    ["alias above 255", { alias: 256 }],
    ["size 0", { size: 0 }],
    ["a fixed range wrapping past 2^W", { addr: TOP - P, size: 2 * P }],
    ["an unaligned address whose trunc + round(size) passes 2^W", { addr: TOP - 1, size: P + 1 }],
    ["a NaN address", { addr: NaN }],
    ["a negative size", { size: -P }],
    ["a fractional mask", { mask: 0.5 }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = worldWithMap();
    expect(expectUnchanged(world, () => run(world, "enter", args)).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("checks arguments before the object handle", () => {
    const world = worldWithMap();
    expect(run(world, "enter", { size: 0, source: { kind: "object", object: 9, offset: 0 } }).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "enter", { source: { kind: "object", object: 9, offset: NaN } }).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("rejects an unknown object with KERN_INVALID_OBJECT", () => {
    const world = worldWithMap();
    for (const object of [0, -1, NaN, 0.5])
      expect(expectUnchanged(world, () => run(world, "enter", { source: { kind: "object", object, offset: 0 } })).kr).toBe("KERN_INVALID_OBJECT");
  });

  it.each([
    ["an unaligned offset", P / 2, P],
    ["a window past the object's end", 3 * P, 2 * P],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, offset, size) => {
    const world = worldWithMap();
    run(world, "object_create", { size: 4 * P });
    expect(expectUnchanged(world, () => run(world, "enter", { size, source: { kind: "object", object: 0, offset } })).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("rejects an anywhere mapping that does not fit, even with a valid object, with KERN_NO_SPACE", () => {
    const world = worldWithMap(0, 2 * P);
    run(world, "object_create", { size: 4 * P });
    expect(run(world, "enter", { anywhere: true, size: 3 * P, source: { kind: "object", object: 0, offset: 0 } }).kr).toBe("KERN_NO_SPACE");
  });
});

describe("enter, anywhere (first fit)", () => {
  it("returns the lowest fit at or above max(trunc(addr), min)", () => {
    const world = worldWithMap(2 * P, 64 * P);
    run(world, "enter", { addr: 2 * P, size: 2 * P }); // [2,4)
    run(world, "enter", { addr: 5 * P, size: P }); // [5,6)
    expect(run(world, "enter", { anywhere: true, addr: 0, size: 2 * P }).addr).toBe(6 * P);
    expect(run(world, "enter", { anywhere: true, addr: 0, size: P }).addr).toBe(4 * P);
    expect(run(world, "enter", { anywhere: true, addr: 20 * P + 3, size: P }).addr).toBe(20 * P);
  });

  it("returns the lowest aligned fit", () => {
    const world = worldWithMap(P, 64 * P);
    run(world, "enter", { addr: 4 * P, size: P });
    const r = run(world, "enter", { anywhere: true, size: P, mask: 4 * P - 1 });
    expect(r).toEqual({ kr: "KERN_SUCCESS", addr: 8 * P });
    // A mask finer than a page aligns to pages.
    expect(run(world, "enter", { anywhere: true, size: P, mask: 3 }).addr).toBe(P);
  });

  it("fails with KERN_NO_SPACE when no hole is big enough", () => {
    const world = worldWithMap(0, 8 * P);
    run(world, "enter", { addr: 2 * P, size: P });
    run(world, "enter", { addr: 5 * P, size: P });
    expect(expectUnchanged(world, () => run(world, "enter", { anywhere: true, size: 3 * P })).kr).toBe("KERN_NO_SPACE");
    expect(run(world, "enter", { anywhere: true, size: 2 * P }).addr).toBe(0);
    expect(run(world, "enter", { anywhere: true, size: 2 * P }).addr).toBe(3 * P);
    expect(run(world, "enter", { anywhere: true, size: 2 * P }).addr).toBe(6 * P);
    expect(run(world, "enter", { anywhere: true, size: P }).kr).toBe("KERN_NO_SPACE");
  });

  it("fails with KERN_NO_SPACE when the hint is at or past max", () => {
    const world = worldWithMap(0, 8 * P);
    expect(run(world, "enter", { anywhere: true, addr: 8 * P, size: P }).kr).toBe("KERN_NO_SPACE");
    expect(run(world, "enter", { anywhere: true, addr: 7 * P, size: 2 * P }).kr).toBe("KERN_NO_SPACE");
  });

  it("accepts a size of nearly 2^W in anywhere mode and reports no space", () => {
    const world = worldWithMap(P, TOP);
    expect(run(world, "enter", { anywhere: true, size: TOP - 1 }).kr).toBe("KERN_NO_SPACE");
  });

  it("searches a whole 2^52 address space quickly", () => {
    const scope = { ...DEFAULT_SCOPE, addressBits: 52 };
    const world = worldWithMap(0, 2 ** 52, scope);
    const ps = scope.pageSize;
    run(world, "enter", { addr: 0, size: 4 * ps });
    run(world, "enter", { addr: 2 ** 51, size: ps });
    expect(run(world, "enter", { anywhere: true, size: 2 ** 51, mask: 2 ** 51 - 1 })).toEqual({ kr: "KERN_NO_SPACE" });
    expect(run(world, "enter", { anywhere: true, size: ps, mask: 2 ** 50 - 1 }).addr).toBe(2 ** 50);
    expect(run(world, "enter", { anywhere: true, addr: 2 ** 51, size: ps }).addr).toBe(2 ** 51 + ps);
  });
});

describe("find_space", () => {
  it("allocates the first fit from min, anonymous RW of ALL, inheritance COPY", () => {
    const world = worldWithMap(P, 16 * P);
    run(world, "enter", { addr: P, size: P });
    run(world, "enter", { addr: 3 * P, size: P });
    expect(run(world, "find_space", { size: 2 * P })).toEqual({ kr: "KERN_SUCCESS", addr: 4 * P });
    expect(run(world, "find_space", { size: 1 })).toEqual({ kr: "KERN_SUCCESS", addr: 2 * P });
    expect(pageAt(world, 2 * P)).toEqual({
      prot: VM_PROT_DEFAULT, maxProt: VM_PROT_ALL, inheritance: VM_INHERIT_COPY, behavior: 0, alias: 0, wiredCount: 0, userWiredCount: 0,
    });
    expect(run(world, "find_space", { size: P, mask: 8 * P - 1 }).addr).toBe(8 * P);
  });

  it("fails with KERN_NO_SPACE when nothing fits", () => {
    const world = worldWithMap(0, 4 * P);
    run(world, "enter", { addr: P });
    expect(expectUnchanged(world, () => run(world, "find_space", { size: 3 * P })).kr).toBe("KERN_NO_SPACE");
  });

  it.each([
    ["a NULL map", { map: 1 }],
    ["size 0", { size: 0 }],
    ["a bad mask", { mask: 5 }],
    ["a size of 2^W", { size: TOP }],
    ["a NaN mask", { mask: NaN }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = worldWithMap();
    expect(expectUnchanged(world, () => run(world, "find_space", args)).kr).toBe("KERN_INVALID_ARGUMENT");
  });
});

describe("remove", () => {
  it("removes the mapped pages of the widened range, skipping holes", () => {
    const world = worldWithMap();
    run(world, "enter", { addr: 0, size: 6 * P });
    run(world, "remove", { addr: 3 * P, size: P });
    expect(run(world, "remove", { addr: P + 1, size: 3 * P - 2 }).kr).toBe("KERN_SUCCESS"); // [P, 4P)
    expect(mappedAddresses(world)).toEqual([0, 4 * P, 5 * P]);
  });

  it("clamps the range to the map and succeeds on unmapped space", () => {
    const world = worldWithMap(2 * P, 8 * P);
    run(world, "enter", { addr: 2 * P, size: 6 * P });
    expect(run(world, "remove", { addr: 0, size: 3 * P }).kr).toBe("KERN_SUCCESS");
    expect(run(world, "remove", { addr: 7 * P, size: TOP - 7 * P }).kr).toBe("KERN_SUCCESS");
    expect(mappedAddresses(world)).toEqual([3 * P, 4 * P, 5 * P, 6 * P]);
    expect(run(world, "remove", { addr: 20 * P, size: 4 * P }).kr).toBe("KERN_SUCCESS");
  });

  it("removes nothing for size 0, even at an unaligned address", () => {
    const world = worldWithMap();
    run(world, "enter", { addr: 0, size: P });
    expect(expectUnchanged(world, () => run(world, "remove", { addr: 5, size: 0 })).kr).toBe("KERN_SUCCESS");
  });

  it("drops all user wirings", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    run(world, "wire", { user: true });
    run(world, "wire", { user: true });
    expect(run(world, "remove", {}).kr).toBe("KERN_SUCCESS");
    expect(mappedAddresses(world)).toEqual([]);
  });

  it("with KUNWIRE drops one kernel wiring (and the user wirings)", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 2 * P });
    run(world, "wire", { size: 2 * P, user: false });
    run(world, "wire", { size: P, user: true });
    expect(run(world, "remove", { size: 2 * P, flags: VM_MAP_REMOVE_KUNWIRE }).kr).toBe("KERN_SUCCESS");
    expect(mappedAddresses(world)).toEqual([]);
  });

  it("fails with KERN_FAILURE without WAIT_FOR_KWIRE when a kernel wiring would remain", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 3 * P });
    run(world, "wire", { addr: 2 * P, size: P, user: false });
    run(world, "wire", { addr: 2 * P, size: P, user: false });
    for (const flags of [0, VM_MAP_REMOVE_KUNWIRE, VM_MAP_REMOVE_INTERRUPTIBLE]) {
      const op = cmd("remove", { size: 3 * P, flags });
      expect(wouldBlock(world, op)).toBe(false);
      expect(expectUnchanged(world, () => run(world, "remove", op)).kr).toBe("KERN_FAILURE");
    }
  });

  it("would block with WAIT_FOR_KWIRE when a kernel wiring would remain", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 3 * P });
    run(world, "wire", { addr: 2 * P, size: P, user: false });
    const wait = VM_MAP_REMOVE_WAIT_FOR_KWIRE;
    expect(wouldBlock(world, cmd("remove", { size: 3 * P, flags: wait }))).toBe(true);
    expect(wouldBlock(world, cmd("remove", { size: 3 * P, flags: wait | VM_MAP_REMOVE_INTERRUPTIBLE }))).toBe(true);
    expect(wouldBlock(world, cmd("remove", { size: 3 * P, flags: wait | VM_MAP_REMOVE_KUNWIRE }))).toBe(false);
    expect(wouldBlock(world, cmd("remove", { size: 2 * P, flags: wait }))).toBe(false); // range misses the wired page
    expect(wouldBlock(world, cmd("remove", { size: 0, addr: 2 * P, flags: wait }))).toBe(false);
    run(world, "wire", { addr: 2 * P, size: P, user: false });
    expect(wouldBlock(world, cmd("remove", { size: 3 * P, flags: wait | VM_MAP_REMOVE_KUNWIRE }))).toBe(true);
    expect(run(world, "remove", { size: 2 * P, flags: wait }).kr).toBe("KERN_SUCCESS");
  });

  it("never blocks for a remove that fails validation or for another operation", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    run(world, "wire", { user: false });
    const wait = VM_MAP_REMOVE_WAIT_FOR_KWIRE;
    expect(wouldBlock(world, cmd("remove", { flags: wait | 8 }))).toBe(false);
    expect(wouldBlock(world, cmd("remove", { flags: wait, map: 7 }))).toBe(false);
    expect(wouldBlock(world, cmd("remove", { flags: wait, size: NaN }))).toBe(false);
    expect(wouldBlock(world, cmd("remove", { flags: wait, addr: TOP - P, size: 2 * P }))).toBe(false);
    expect(wouldBlock(world, cmd("unwire", { user: false }))).toBe(false);
    expect(wouldBlock(world, cmd("deallocate", {}))).toBe(false);
  });

  it("drops a user wiring and one kernel wiring together with KUNWIRE (reference §8 #3, intended)", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    run(world, "wire", { user: true });
    run(world, "wire", { user: false });
    expect(pageAt(world, 0)).toMatchObject({ wiredCount: 2, userWiredCount: 1 });
    expect(wouldBlock(world, cmd("remove", { flags: VM_MAP_REMOVE_KUNWIRE | VM_MAP_REMOVE_WAIT_FOR_KWIRE }))).toBe(false);
    expect(run(world, "remove", { flags: VM_MAP_REMOVE_KUNWIRE }).kr).toBe("KERN_SUCCESS");
  });

  it.each([
    ["a NULL map", { map: 4 }],
    ["an unknown flag", { flags: 8 }],
    ["a wrapping range", { addr: TOP - P, size: P + 1 }],
    ["a NaN address", { addr: NaN }],
    ["a size of 2^W", { size: TOP }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = worldWithMap();
    run(world, "enter", { size: 4 * P });
    expect(expectUnchanged(world, () => run(world, "remove", args)).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("is fast for a huge range over a small map", () => {
    const scope = { ...DEFAULT_SCOPE, addressBits: 52 };
    const world = worldWithMap(0, 2 ** 52, scope);
    run(world, "enter", { addr: 2 ** 40, size: scope.pageSize });
    expect(run(world, "remove", { addr: 0, size: 2 ** 52 - 1 }).kr).toBe("KERN_SUCCESS");
    expect(mappedAddresses(world)).toEqual([]);
  });
});
