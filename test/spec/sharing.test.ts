import { describe, expect, it } from "vitest";
import {
  abstractSpec,
  cloneSpecWorld,
  VM_BEHAVIOR_SEQUENTIAL,
  VM_INHERIT_COPY,
  VM_INHERIT_NONE,
  VM_INHERIT_SHARE,
  VM_PROT_ALL,
  VM_PROT_COPY,
  VM_PROT_DEFAULT,
  VM_PROT_EXECUTE,
  VM_PROT_NONE,
  VM_PROT_READ,
  VM_PROT_WRITE,
  type SpecWorld,
} from "../../spec/index.ts";
import { expectUnchanged, mappedAddresses, P, pageAt, run, TOP, worldWithMap } from "./helpers.ts";

const read = (world: SpecWorld, addr: number, size: number, map = 0) => {
  const r = run(world, "read_user", { map, addr, size });
  if (r.kr !== "KERN_SUCCESS") throw new Error(`read_user failed: ${r.kr}`);
  return r.data!;
};
const write = (world: SpecWorld, addr: number, data: string, map = 0) => {
  expect(run(world, "write_user", { map, addr, data }).kr).toBe("KERN_SUCCESS");
};
/** Map 0 over [P, 2^W) with anonymous [P, 5P), byte i+1 at the start of page i. */
function sourceWorld(): SpecWorld {
  const world = worldWithMap(P, TOP);
  run(world, "enter", { addr: P, size: 4 * P });
  for (let i = 1; i < 5; i++) write(world, i * P, `0${i}`);
  return world;
}

describe("fork", () => {
  it("rejects a NULL map with KERN_INVALID_ARGUMENT", () => {
    const world = sourceWorld();
    expect(expectUnchanged(world, () => run(world, "fork", { map: 1 })).kr).toBe("KERN_INVALID_ARGUMENT");
    run(world, "deallocate", { map: 0 });
    expect(expectUnchanged(world, () => run(world, "fork", { map: 0 })).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("gives the child the parent's bounds, one reference, and every page's attributes, unwired", () => {
    const world = sourceWorld();
    run(world, "enter", { addr: 8 * P, cur: VM_PROT_READ, max: VM_PROT_DEFAULT, alias: 7, inheritance: VM_INHERIT_SHARE });
    run(world, "behavior_set", { addr: P, size: P, behavior: VM_BEHAVIOR_SEQUENTIAL });
    run(world, "wire", { addr: P, size: P, user: true });
    run(world, "wire", { addr: 8 * P, size: P, user: false });
    expect(run(world, "fork", {})).toEqual({ kr: "KERN_SUCCESS", map: 1 });
    const a = abstractSpec(world);
    expect(a.maps[1]).toMatchObject({ min: P, max: TOP, refCount: 1 });
    expect(a.maps[1]!.pages.map(({ cell: _, ...rest }) => rest)).toEqual(
      a.maps[0]!.pages.map(({ cell: _, ...rest }) => ({ ...rest, wiredCount: 0, userWiredCount: 0 })),
    );
  });

  it("SHARE pages alias the parent's cells; COPY pages are snapshots; NONE pages are left out", () => {
    const world = sourceWorld();
    run(world, "inherit", { addr: P, size: P, inheritance: VM_INHERIT_SHARE });
    run(world, "inherit", { addr: 3 * P, size: P, inheritance: VM_INHERIT_NONE });
    run(world, "fork", {});
    expect(mappedAddresses(world, 1)).toEqual([P, 2 * P, 4 * P]);
    write(world, P, "aa"); // shared: seen by the child
    write(world, 2 * P, "bb"); // copied: not seen
    write(world, 4 * P + 1, "cc", 1); // the child's copy: not seen by the parent
    expect([read(world, P, 1, 1), read(world, 2 * P, 1, 1), read(world, 4 * P, 2, 1)]).toEqual(["aa", "02", "04cc"]);
    expect(read(world, 4 * P, 2)).toBe("0400");
    write(world, P + 1, "dd", 1);
    expect(read(world, P, 2)).toBe("aadd");
  });

  it("leaves out a COPY page whose maxProt lacks READ, but copies one lacking only current READ", () => {
    const world = sourceWorld();
    run(world, "protect", { addr: P, size: P, prot: VM_PROT_WRITE | VM_PROT_EXECUTE, setMax: true });
    run(world, "protect", { addr: 2 * P, size: P, prot: VM_PROT_NONE });
    run(world, "inherit", { addr: 3 * P, size: P, inheritance: VM_INHERIT_SHARE });
    run(world, "protect", { addr: 3 * P, size: P, prot: VM_PROT_WRITE, setMax: true }); // shared pages need no READ
    run(world, "fork", {});
    expect(mappedAddresses(world, 1)).toEqual([2 * P, 3 * P, 4 * P]);
  });

  it("snapshots a COPY page of a memory object window instead of aliasing the object", () => {
    const world = worldWithMap();
    run(world, "object_create", { size: P });
    run(world, "enter", { addr: 0, source: { kind: "object", object: 0, offset: 0 } });
    run(world, "fork", {});
    write(world, 0, "01");
    expect(read(world, 0, 1, 1)).toBe("00");
  });
});

describe("remap, checks", () => {
  it.each([
    ["a NULL target", { map: 5 }],
    ["a NULL source", { srcMap: 5 }],
    ["a bad source address", { srcAddr: -P }],
    ["a bad mask", { mask: 5 }],
    ["inheritance above NONE", { inheritance: 3 }],
    ["size 0", { size: 0 }],
    ["a wrapping source range", { srcAddr: TOP - P, size: 2 * P }],
    ["a wrapping fixed target", { anywhere: false, addr: TOP - P, size: 2 * P }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = sourceWorld();
    expect(expectUnchanged(world, () => run(world, "remap", { srcAddr: P, ...args })).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("needs every page of [trunc(srcAddr), trunc(srcAddr) + round(size)) mapped, else KERN_INVALID_ADDRESS", () => {
    const world = sourceWorld();
    run(world, "remove", { addr: 3 * P, size: P });
    expect(expectUnchanged(world, () => run(world, "remap", { srcAddr: 2 * P, size: 2 * P })).kr).toBe("KERN_INVALID_ADDRESS");
    // Not widened: P/2 bytes from the middle of page 2 take page 2 only.
    expect(run(world, "remap", { srcAddr: 2 * P + P / 2, size: P })).toMatchObject({ kr: "KERN_SUCCESS", addr: 3 * P });
    // The source is checked before the target space.
    expect(run(world, "remap", { anywhere: false, addr: P, srcAddr: 20 * P }).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it.each([
    ["a misaligned fixed start", { anywhere: false, addr: 9 * P, mask: 2 * P - 1 }, "KERN_NO_SPACE"],
    ["an overlapping fixed range", { anywhere: false, addr: 4 * P, size: 2 * P }, "KERN_NO_SPACE"],
    ["a fixed range below min", { anywhere: false, addr: 0 }, "KERN_INVALID_ADDRESS"],
    ["no fit anywhere", { map: 1 }, "KERN_NO_SPACE"],
  ])("places the target as enter does: %s", (_, args, code) => {
    const world = sourceWorld();
    run(world, "create", { min: 0, max: P });
    run(world, "enter", { map: 1, addr: 0 });
    expect(expectUnchanged(world, () => run(world, "remap", { srcAddr: P, ...args })).kr).toBe(code);
  });
});

describe("remap", () => {
  it("shared: the new pages alias the source's cells", () => {
    const world = sourceWorld();
    const r = run(world, "remap", { anywhere: false, addr: 8 * P + 3, srcAddr: 2 * P + 5, size: 2 * P, copy: false });
    expect(r.addr).toBe(8 * P);
    write(world, 2 * P + 1, "aa");
    expect(read(world, 8 * P, 2)).toBe("02aa");
    write(world, 9 * P + 1, "bb");
    expect(read(world, 3 * P, 2)).toBe("03bb");
  });

  it("copy: the new pages are a snapshot", () => {
    const world = sourceWorld();
    const r = run(world, "remap", { srcAddr: 2 * P, size: 2 * P, copy: true });
    write(world, 2 * P + 1, "aa");
    write(world, r.addr! + P + 1, "bb");
    expect(read(world, r.addr!, 2)).toBe("0200");
    expect(read(world, 3 * P, 2)).toBe("0300");
  });

  it("keeps each page's prot, maxProt, behavior and alias, gives the inheritance, and reports the AND of the protections", () => {
    const world = sourceWorld();
    run(world, "create", { min: 0, max: TOP });
    run(world, "enter", { map: 1, addr: 0, size: 2 * P, cur: VM_PROT_READ | VM_PROT_EXECUTE, max: VM_PROT_ALL, alias: 4 });
    run(world, "protect", { map: 1, addr: P, size: P, prot: VM_PROT_READ | VM_PROT_WRITE, setMax: true });
    run(world, "behavior_set", { map: 1, addr: 0, size: P, behavior: VM_BEHAVIOR_SEQUENTIAL });
    run(world, "wire", { map: 1, addr: 0, size: P, user: false });
    const r = run(world, "remap", { map: 0, srcMap: 1, srcAddr: 0, size: 2 * P, inheritance: VM_INHERIT_NONE });
    expect(r).toEqual({ kr: "KERN_SUCCESS", addr: 5 * P, cur: VM_PROT_READ, max: VM_PROT_READ | VM_PROT_WRITE });
    expect(pageAt(world, 5 * P)).toEqual({ prot: 5, maxProt: VM_PROT_ALL, inheritance: VM_INHERIT_NONE, behavior: VM_BEHAVIOR_SEQUENTIAL, alias: 4, wiredCount: 0, userWiredCount: 0 });
    expect(pageAt(world, 6 * P)).toEqual({ prot: VM_PROT_READ, maxProt: 3, inheritance: VM_INHERIT_NONE, behavior: 0, alias: 4, wiredCount: 0, userWiredCount: 0 });
  });
});

describe("make_memory_entry", () => {
  it.each([
    ["a NULL map", { map: 2 }],
    ["a bad permission", { permission: -1 }],
    ["size 0", { size: 0 }],
    ["a wrapping range", { addr: TOP - P, size: 2 * P }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = sourceWorld();
    expect(expectUnchanged(world, () => run(world, "make_memory_entry", { addr: P, ...args })).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it.each([
    ["an unmapped page before a read-only one", 3, 4, "KERN_INVALID_ADDRESS"],
    ["a read-only page before an unmapped one", 4, 3, "KERN_PROTECTION_FAILURE"],
  ])("the first failing page decides: %s", (_, unmapped, readOnly, code) => {
    const world = sourceWorld();
    run(world, "protect", { addr: readOnly * P, size: P, prot: VM_PROT_READ });
    run(world, "remove", { addr: unmapped * P, size: P });
    const args = { addr: 2 * P, size: 3 * P, permission: VM_PROT_DEFAULT };
    expect(expectUnchanged(world, () => run(world, "make_memory_entry", args)).kr).toBe(code);
  });

  it("rejects a permission beyond a page's prot with KERN_PROTECTION_FAILURE", () => {
    const world = sourceWorld();
    expect(expectUnchanged(world, () => run(world, "make_memory_entry", { addr: P, permission: VM_PROT_ALL })).kr).toBe("KERN_PROTECTION_FAILURE");
  });

  it("grants the page-rounded range, aliasing its cells, with the permission masked to ALL", () => {
    const world = sourceWorld();
    const r = run(world, "make_memory_entry", { addr: 2 * P - 1, size: 2, permission: VM_PROT_READ | VM_PROT_COPY });
    expect(r).toEqual({ kr: "KERN_SUCCESS", entry: 0, size: 2 * P });
    const a = abstractSpec(world);
    expect(a.namedEntries).toEqual([{ protection: VM_PROT_READ, size: 2 * P, cells: [a.maps[0]!.pages[0]!.cell, a.maps[0]!.pages[1]!.cell], submap: -1 }]);
  });
});

describe("map_memory_entry", () => {
  /** Named entry 0: [2P, 4P) of map 0 with permission RW. */
  function withEntry(): SpecWorld {
    const world = sourceWorld();
    expect(run(world, "make_memory_entry", { addr: 2 * P, size: 2 * P, permission: VM_PROT_DEFAULT }).kr).toBe("KERN_SUCCESS");
    return world;
  }

  it.each([
    ["a NULL map", { map: 1 }],
    ["an unknown entry", { entry: 1 }],
    ["a bad mask", { mask: 5 }],
    ["size 0", { size: 0 }],
    ["cur with bits outside ALL (before KERN_INVALID_RIGHT)", { cur: 8, max: 8 }],
    ["cur not within max (before KERN_INVALID_RIGHT)", { cur: VM_PROT_ALL, max: VM_PROT_READ }],
    ["inheritance above NONE", { inheritance: 3 }],
    ["an unaligned offset", { offset: 1 }],
    ["a wrapping fixed target", { anywhere: false, addr: TOP - P, size: 2 * P }],
    ["a window past the entry's size", { offset: P, size: 2 * P }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = withEntry();
    expect(expectUnchanged(world, () => run(world, "map_memory_entry", args)).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it.each([
    ["cur", { cur: VM_PROT_ALL, max: VM_PROT_ALL }],
    ["max", { cur: VM_PROT_READ, max: VM_PROT_ALL }],
  ])("rejects %s beyond the entry's protection with KERN_INVALID_RIGHT, before the window check", (_, args) => {
    const world = withEntry();
    expect(expectUnchanged(world, () => run(world, "map_memory_entry", { ...args, offset: 4 * P })).kr).toBe("KERN_INVALID_RIGHT");
  });

  it.each([
    ["an overlapping fixed range", { anywhere: false, addr: 4 * P }, "KERN_NO_SPACE"],
    ["a misaligned fixed start", { anywhere: false, addr: 9 * P, mask: 2 * P - 1 }, "KERN_NO_SPACE"],
    ["a fixed range below min", { anywhere: false, addr: 0 }, "KERN_INVALID_ADDRESS"],
  ])("places the mapping as enter does: %s", (_, args, code) => {
    const world = withEntry();
    expect(expectUnchanged(world, () => run(world, "map_memory_entry", args)).kr).toBe(code);
  });

  it("shared: the mapping aliases the range the entry was made from, and takes cur, max, the inheritance, alias 0", () => {
    const world = withEntry();
    run(world, "enter", { addr: 3 * P, alias: 3, source: { kind: "anonymous" } }); // nothing: 3P is mapped already
    const r = run(world, "map_memory_entry", { offset: P, size: 1, cur: VM_PROT_READ, max: VM_PROT_DEFAULT, inheritance: VM_INHERIT_SHARE });
    expect(r).toEqual({ kr: "KERN_SUCCESS", addr: 5 * P });
    expect(pageAt(world, 5 * P)).toEqual({ prot: VM_PROT_READ, maxProt: VM_PROT_DEFAULT, inheritance: VM_INHERIT_SHARE, behavior: 0, alias: 0, wiredCount: 0, userWiredCount: 0 });
    expect(read(world, 5 * P, 1)).toBe("03");
    write(world, 3 * P + 1, "ee");
    expect(read(world, 5 * P, 2)).toBe("03ee");
    // The entry outlives the source mapping: it keeps the cells.
    run(world, "remove", { addr: 2 * P, size: 2 * P });
    run(world, "map_memory_entry", { anywhere: false, addr: 2 * P, size: 2 * P, inheritance: VM_INHERIT_COPY });
    write(world, 3 * P + 2, "ff");
    expect(read(world, 5 * P, 3)).toBe("03eeff");
  });

  it("copy: the mapping is a snapshot", () => {
    const world = withEntry();
    const r = run(world, "map_memory_entry", { size: 2 * P, copy: true });
    write(world, 2 * P + 1, "aa");
    write(world, r.addr! + 2, "bb");
    expect(read(world, r.addr!, 3)).toBe("0200bb");
    expect(read(world, 2 * P, 3)).toBe("02aa00");
  });
});

describe("abstraction and cloning of named entries", () => {
  it("numbers named-entry cells after maps and copies", () => {
    const world = worldWithMap();
    run(world, "enter", { addr: 0, size: 2 * P });
    run(world, "make_memory_entry", { addr: P, size: P });
    run(world, "remove", { addr: P, size: P });
    expect(abstractSpec(world).namedEntries).toEqual([{ protection: VM_PROT_DEFAULT, size: P, cells: [1], submap: -1 }]);
  });

  it("a clone holds the named entries", () => {
    const world = sourceWorld();
    run(world, "make_memory_entry", { addr: P, size: P });
    const clone = cloneSpecWorld(world);
    expect(abstractSpec(clone)).toEqual(abstractSpec(world));
    const before = abstractSpec(world);
    run(clone, "make_memory_entry", { addr: 2 * P, size: P });
    const r = run(clone, "map_memory_entry", { entry: 0, copy: true });
    write(clone, r.addr!, "ff", 0);
    expect(abstractSpec(world)).toEqual(before);
  });
});
