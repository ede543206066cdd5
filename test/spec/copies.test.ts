import { describe, expect, it } from "vitest";
import {
  abstractSpec,
  cloneSpecWorld,
  VM_BEHAVIOR_RANDOM,
  VM_INHERIT_COPY,
  VM_INHERIT_SHARE,
  VM_PROT_ALL,
  VM_PROT_DEFAULT,
  VM_PROT_NONE,
  VM_PROT_READ,
  wouldBlock,
  type SpecWorld,
} from "../../spec/index.ts";
import { cmd, expectUnchanged, mappedAddresses, P, pageAt, run, SMALL, TOP, worldWithMap } from "./helpers.ts";

// SMALL.kernelBufferThreshold is 2 pages: smaller copyins are kernel buffers, others entry lists.
const BUFFER = SMALL.kernelBufferThreshold;

const read = (world: SpecWorld, addr: number, size: number, map = 0) => {
  const r = run(world, "read_user", { map, addr, size });
  if (r.kr !== "KERN_SUCCESS") throw new Error(`read_user failed: ${r.kr}`);
  return r.data!;
};
const write = (world: SpecWorld, addr: number, data: string, map = 0) => {
  expect(run(world, "write_user", { map, addr, data }).kr).toBe("KERN_SUCCESS");
};
/** A map over [0, 2^W) with anonymous [0, 4P) whose bytes are 01 02 03 … at the start of each page. */
function sourceWorld(): SpecWorld {
  const world = worldWithMap();
  run(world, "enter", { addr: 0, size: 4 * P });
  for (let i = 0; i < 4; i++) write(world, i * P, `0${i + 1}0${i + 1}`);
  return world;
}
const copyin = (world: SpecWorld, args: Parameters<typeof cmd<"copyin">>[1]) => {
  const r = run(world, "copyin", args);
  expect(r.kr).toBe("KERN_SUCCESS");
  return r.copy!;
};
const copies = (world: SpecWorld) => abstractSpec(world).copies;

describe("copyin, argument checks", () => {
  it("runs with a kernel-buffer threshold of two pages", () => expect(BUFFER).toBe(2 * P));

  it.each([
    ["a NULL map", { map: 5 }],
    ["a bad address", { addr: -1 }],
    ["a fractional size", { size: 0.5 }],
    ["a size of 2^W", { size: TOP }],
    ["a range wrapping past 2^W (kernel buffer)", { addr: TOP - 1, size: 2 }],
    ["a range wrapping past 2^W (entry list)", { addr: TOP - P, size: 4 * P }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = sourceWorld();
    expect(expectUnchanged(world, () => run(world, "copyin", args)).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("returns a NULL copy for size 0, even over unmapped memory and with srcDestroy", () => {
    const world = sourceWorld();
    expect(expectUnchanged(world, () => run(world, "copyin", { addr: 9 * P + 3, size: 0 }))).toEqual({ kr: "KERN_SUCCESS", copy: null });
    expect(expectUnchanged(world, () => run(world, "copyin", { addr: 0, size: 0, srcDestroy: true })).copy).toBeNull();
  });
});

describe("copyin, kernel buffer (size below the threshold, not useMaxprot)", () => {
  it("holds exactly the size bytes of an unaligned range crossing a page boundary", () => {
    const world = sourceWorld();
    const h = copyin(world, { addr: P - 1, size: 3 });
    expect(h).toBe(0);
    expect(copies(world)[0]).toEqual({ kind: "kernel_buffer", offset: 0, size: 3, pages: [], data: "000202" });
  });

  it("rejects an unmapped byte or a page without READ with KERN_INVALID_ADDRESS", () => {
    const world = sourceWorld();
    expect(expectUnchanged(world, () => run(world, "copyin", { addr: 4 * P - 1, size: 2 })).kr).toBe("KERN_INVALID_ADDRESS");
    run(world, "protect", { addr: P, size: P, prot: VM_PROT_NONE });
    expect(expectUnchanged(world, () => run(world, "copyin", { addr: P - 1, size: 2 })).kr).toBe("KERN_INVALID_ADDRESS");
    expect(run(world, "copyin", { addr: 0, size: P }).kr).toBe("KERN_SUCCESS");
  });

  it("is an entry list at the threshold or with useMaxprot", () => {
    const world = sourceWorld();
    copyin(world, { addr: 0, size: BUFFER });
    copyin(world, { addr: 0, size: 1, useMaxprot: true });
    expect(copies(world).map((c) => c!.kind)).toEqual(["entry_list", "entry_list"]);
  });
});

describe("copyin, entry list", () => {
  it("snapshots whole pages with their attributes (not the wiring), remembering the unrounded offset and size", () => {
    const world = sourceWorld();
    run(world, "protect", { addr: P, size: P, prot: VM_PROT_READ, setMax: true });
    run(world, "inherit", { addr: P, size: P, inheritance: VM_INHERIT_SHARE });
    run(world, "behavior_set", { addr: 2 * P, size: P, behavior: VM_BEHAVIOR_RANDOM });
    run(world, "wire", { addr: 0, size: P, access: VM_PROT_READ });
    const h = copyin(world, { addr: P - 2, size: 2 * P });
    const c = copies(world)[h]!;
    expect(c).toMatchObject({ kind: "entry_list", offset: P - 2, size: 2 * P, data: "" });
    expect(c.pages.map(({ cell: _, ...attributes }) => attributes)).toEqual([
      { prot: VM_PROT_DEFAULT, maxProt: VM_PROT_ALL, inheritance: VM_INHERIT_COPY, behavior: 0, alias: 0 },
      { prot: VM_PROT_READ, maxProt: VM_PROT_READ, inheritance: VM_INHERIT_SHARE, behavior: 0, alias: 0 },
      { prot: VM_PROT_DEFAULT, maxProt: VM_PROT_ALL, inheritance: VM_INHERIT_COPY, behavior: VM_BEHAVIOR_RANDOM, alias: 0 },
    ]);
    const a = abstractSpec(world);
    const mapCells = a.maps[0]!.pages.map((p) => p.cell);
    for (const p of c.pages) expect(mapCells).not.toContain(p.cell); // fresh cells
    expect(c.pages.map((p) => a.cells[p.cell])).toEqual(["0101", "0202", "0303"]);
  });

  it("is a detached snapshot: writing the source afterwards does not change the copy", () => {
    const world = sourceWorld();
    const h = copyin(world, { addr: 0, size: 2 * P });
    write(world, 0, "ffff");
    const out = run(world, "copyout", { copy: h });
    expect(read(world, out.addr!, 2)).toBe("0101");
  });

  it.each([
    ["an unmapped page before an unreadable one", 2, 3, "KERN_INVALID_ADDRESS"],
    ["an unreadable page before an unmapped one", 3, 2, "KERN_PROTECTION_FAILURE"],
  ])("takes the code of the first failing page in address order: %s", (_, unmapped, unreadable, code) => {
    const world = sourceWorld();
    run(world, "protect", { addr: unreadable * P, size: P, prot: VM_PROT_NONE });
    run(world, "remove", { addr: unmapped * P, size: P });
    expect(expectUnchanged(world, () => run(world, "copyin", { addr: 2 * P, size: 2 * P })).kr).toBe(code);
  });

  it("accepts a page without current READ with useMaxprot, never one whose maxProt lacks READ", () => {
    const world = sourceWorld();
    run(world, "protect", { addr: 0, size: P, prot: VM_PROT_NONE });
    expect(expectUnchanged(world, () => run(world, "copyin", { addr: 0, size: 2 * P })).kr).toBe("KERN_PROTECTION_FAILURE");
    expect(run(world, "copyin", { addr: 0, size: 2 * P, useMaxprot: true }).kr).toBe("KERN_SUCCESS");
    run(world, "protect", { addr: P, size: P, prot: 6, setMax: true });
    expect(expectUnchanged(world, () => run(world, "copyin", { addr: 0, size: 2 * P, useMaxprot: true })).kr).toBe("KERN_PROTECTION_FAILURE");
  });
});

describe("copyin with srcDestroy", () => {
  it("removes the whole-page source range, user wirings included (both kinds of copy)", () => {
    const world = sourceWorld();
    run(world, "wire", { addr: 0, size: 4 * P, user: true });
    copyin(world, { addr: P + 1, size: 1, srcDestroy: true });
    expect(mappedAddresses(world)).toEqual([0, 2 * P, 3 * P]);
    copyin(world, { addr: 2 * P + 1, size: 2 * P - 1, srcDestroy: true, useMaxprot: true });
    expect(mappedAddresses(world)).toEqual([0]);
    expect(copies(world).map((c) => c!.kind)).toEqual(["kernel_buffer", "entry_list"]);
  });

  it("entry list: a kernel-wired page makes the removal fail silently; the source stays entirely", () => {
    const world = sourceWorld();
    run(world, "wire", { addr: 2 * P, size: P, user: false });
    expect(wouldBlock(world, cmd("copyin", { addr: 0, size: 4 * P, srcDestroy: true }))).toBe(false);
    const h = copyin(world, { addr: 0, size: 4 * P, srcDestroy: true });
    expect(mappedAddresses(world)).toEqual([0, P, 2 * P, 3 * P]);
    expect(copies(world)[h]!.pages).toHaveLength(4);
  });

  it("kernel buffer over a kernel-wired page would wait forever (wouldBlock), only when every check passes", () => {
    const world = sourceWorld();
    run(world, "wire", { addr: P, size: P, user: false });
    const blocking = cmd("copyin", { addr: P - 1, size: 2, srcDestroy: true });
    expect(wouldBlock(world, blocking)).toBe(true);
    expect(wouldBlock(world, { ...blocking, srcDestroy: false })).toBe(false);
    expect(wouldBlock(world, { ...blocking, useMaxprot: true })).toBe(false); // entry list: no waiting
    expect(wouldBlock(world, { ...blocking, size: 0 })).toBe(false);
    expect(wouldBlock(world, { ...blocking, addr: 0, size: 1 })).toBe(false); // page 0 is not kernel-wired
    expect(wouldBlock(world, { ...blocking, addr: TOP - 1 })).toBe(false); // wraps
    run(world, "protect", { addr: 0, size: P, prot: VM_PROT_NONE });
    expect(wouldBlock(world, blocking)).toBe(false); // fails with KERN_INVALID_ADDRESS first
  });
});

describe("copyin_object", () => {
  it.each([
    ["an unknown object, before any other check", { object: 1, size: 0 }, "KERN_INVALID_OBJECT"],
    ["a non-integer object", { object: 0.5 }, "KERN_INVALID_OBJECT"],
    ["a bad offset", { offset: -1 }, "KERN_INVALID_ARGUMENT"],
    ["size 0", { size: 0 }, "KERN_INVALID_ARGUMENT"],
    ["a window past the object's end", { offset: 3 * P + 1, size: P }, "KERN_INVALID_ARGUMENT"],
    ["a wrapping window", { offset: TOP - 1, size: 2 }, "KERN_INVALID_ARGUMENT"],
  ])("rejects %s", (_, args, code) => {
    const world = worldWithMap();
    run(world, "object_create", { size: 4 * P });
    expect(expectUnchanged(world, () => run(world, "copyin_object", args)).kr).toBe(code);
  });

  it("aliases the object's cells: the copy and its copyout see later writes to the object", () => {
    const world = worldWithMap();
    run(world, "object_create", { size: 4 * P });
    run(world, "enter", { addr: 0, size: 4 * P, source: { kind: "object", object: 0, offset: 0 } });
    const r = run(world, "copyin_object", { object: 0, offset: P + 8, size: P });
    expect(r).toEqual({ kr: "KERN_SUCCESS", copy: 0 });
    const a = abstractSpec(world);
    expect(a.copies[0]).toEqual({
      kind: "object", offset: P + 8, size: P, data: "",
      pages: [1, 2].map((cell) => ({ cell, prot: 0, maxProt: 0, inheritance: 0, behavior: 0, alias: 0 })),
    });
    write(world, P + 8, "abcd");
    const out = run(world, "copyout", { copy: 0 });
    expect(out).toEqual({ kr: "KERN_SUCCESS", addr: 4 * P + 8 });
    expect(read(world, 4 * P + 8, 2)).toBe("abcd");
    write(world, 5 * P, "77");
    expect(read(world, 2 * P, 1)).toBe("77");
    expect(pageAt(world, 5 * P)).toMatchObject({ prot: VM_PROT_DEFAULT, maxProt: VM_PROT_ALL, inheritance: VM_INHERIT_COPY });
  });
});

describe("copyout", () => {
  it.each([
    ["a NULL map", { map: 3, copy: 0 }],
    ["an unknown copy", { copy: 7 }],
    ["a non-integer copy handle", { copy: 0.5 }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = sourceWorld();
    copyin(world, { addr: 0, size: 2 * P });
    expect(expectUnchanged(world, () => run(world, "copyout", args)).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("succeeds with addr 0 for a NULL copy (but not for a NULL map)", () => {
    const world = sourceWorld();
    expect(expectUnchanged(world, () => run(world, "copyout", { copy: null }))).toEqual({ kr: "KERN_SUCCESS", addr: 0 });
    expect(run(world, "copyout", { map: 1, copy: null }).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("maps an entry list at the first fit from min, keeping the page offset and the alias", () => {
    const world = worldWithMap(2 * P, TOP);
    run(world, "enter", { addr: 2 * P, size: 3 * P, alias: 9 });
    write(world, 3 * P - 1, "aabb");
    run(world, "protect", { addr: 3 * P, size: P, prot: VM_PROT_READ, setMax: true });
    const h = copyin(world, { addr: 3 * P - 1, size: BUFFER });
    const before = abstractSpec(world);
    const r = run(world, "copyout", { copy: h });
    expect(r).toEqual({ kr: "KERN_SUCCESS", addr: 5 * P + P - 1 });
    expect(mappedAddresses(world)).toEqual([2, 3, 4, 5, 6, 7].map((i) => i * P));
    expect(read(world, r.addr!, 2)).toBe("aabb");
    for (const addr of [5 * P, 6 * P, 7 * P])
      expect(pageAt(world, addr)).toEqual({ prot: VM_PROT_DEFAULT, maxProt: VM_PROT_ALL, inheritance: VM_INHERIT_COPY, behavior: 0, alias: 9, wiredCount: 0, userWiredCount: 0 });
    // The copy's cells moved into the map: no new cell, the handle is consumed.
    const after = abstractSpec(world);
    expect(after.cells).toEqual(before.cells);
    expect(after.copies).toEqual([null]);
    expect(expectUnchanged(world, () => run(world, "copyout", { copy: h })).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("is a snapshot the other way too: writing the copied-out pages does not change the source", () => {
    const world = sourceWorld();
    const out = run(world, "copyout", { copy: copyin(world, { addr: 0, size: 2 * P }) });
    write(world, out.addr!, "eeee");
    expect(read(world, 0, 2)).toBe("0101");
  });

  it("writes a kernel buffer at the start of fresh zero pages", () => {
    const world = sourceWorld();
    const h = copyin(world, { addr: P - 1, size: P + 2 });
    const r = run(world, "copyout", { copy: h });
    expect(r).toEqual({ kr: "KERN_SUCCESS", addr: 4 * P });
    expect(mappedAddresses(world)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * P));
    expect(read(world, 4 * P, 3)).toBe("000202");
    expect(read(world, 4 * P + P + 2, P - 2)).toBe("00".repeat(P - 2));
    expect(pageAt(world, 5 * P)).toMatchObject({ prot: VM_PROT_DEFAULT, maxProt: VM_PROT_ALL, inheritance: VM_INHERIT_COPY, alias: 0 });
  });

  it("returns KERN_NO_SPACE when nothing fits, and the copy stays with the caller", () => {
    const world = sourceWorld();
    const h = copyin(world, { addr: 0, size: 3 * P });
    run(world, "create", { min: 0, max: 4 * P });
    run(world, "enter", { map: 1, addr: P, size: P });
    expect(expectUnchanged(world, () => run(world, "copyout", { map: 1, copy: h })).kr).toBe("KERN_NO_SPACE");
    expect(run(world, "copyout", { map: 0, copy: h }).kr).toBe("KERN_SUCCESS");
  });
});

describe("copy_overwrite", () => {
  it.each([
    ["a NULL map", { map: 4 }],
    ["a bad address", { addr: NaN }],
    ["an unknown copy", { copy: 9 }],
    ["an object copy", { copy: 1 }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = sourceWorld();
    run(world, "object_create", { size: P });
    copyin(world, { addr: 0, size: 2 * P });
    run(world, "copyin_object", { object: 0, size: P });
    expect(expectUnchanged(world, () => run(world, "copy_overwrite", { addr: 2 * P, ...args })).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("succeeds with a NULL copy", () => {
    const world = sourceWorld();
    expect(expectUnchanged(world, () => run(world, "copy_overwrite", { addr: 9 * P, copy: null })).kr).toBe("KERN_SUCCESS");
  });

  it("writes a kernel buffer's bytes exactly, into the destination's cells (aliases see them)", () => {
    const world = sourceWorld();
    run(world, "object_create", { size: 2 * P });
    run(world, "enter", { addr: 8 * P, size: 2 * P, source: { kind: "object", object: 0, offset: 0 } });
    run(world, "enter", { addr: 12 * P, size: 2 * P, source: { kind: "object", object: 0, offset: 0 } });
    const h = copyin(world, { addr: 2 * P - 1, size: 3 });
    expect(run(world, "copy_overwrite", { addr: 9 * P - 2, copy: h, interruptible: true }).kr).toBe("KERN_SUCCESS");
    expect(read(world, 13 * P - 3, 5)).toBe("0000030300");
    expect(copies(world)).toEqual([null]);
  });

  it("kernel buffer: an unmapped or read-only destination byte is KERN_INVALID_ADDRESS; a wrap KERN_INVALID_ARGUMENT", () => {
    const world = sourceWorld();
    const h = copyin(world, { addr: 0, size: 4 });
    expect(expectUnchanged(world, () => run(world, "copy_overwrite", { addr: 4 * P - 2, copy: h })).kr).toBe("KERN_INVALID_ADDRESS");
    run(world, "protect", { addr: P, size: P, prot: VM_PROT_READ });
    expect(expectUnchanged(world, () => run(world, "copy_overwrite", { addr: 2 * P - 2, copy: h })).kr).toBe("KERN_INVALID_ADDRESS");
    expect(expectUnchanged(world, () => run(world, "copy_overwrite", { addr: TOP - 2, copy: h })).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "copy_overwrite", { addr: 3 * P, copy: h }).kr).toBe("KERN_SUCCESS");
  });

  it("writes exactly the bytes [offset, offset + size) of an unaligned entry list at [addr, addr + size)", () => {
    const world = sourceWorld();
    for (let i = 0; i < 3; i++) write(world, i * P + P - 1, "ee"); // last byte of pages 0..2
    const h = copyin(world, { addr: P - 1, size: P + 2, useMaxprot: true }); // ee | 0202 … ee | 03
    expect(copies(world)[h]).toMatchObject({ kind: "entry_list" });
    run(world, "enter", { addr: 8 * P, size: 3 * P });
    write(world, 8 * P, "11".repeat(3 * P));
    expect(run(world, "copy_overwrite", { addr: 8 * P + 10, copy: h }).kr).toBe("KERN_SUCCESS");
    expect(read(world, 8 * P + 8, 6)).toBe("1111ee020200");
    expect(read(world, 9 * P + 8, 6)).toBe("0000ee031111");
    expect(read(world, 9 * P + 14, P)).toBe("11".repeat(P));
  });

  it.each([
    ["an unmapped page before a read-only one", 8, 9, "KERN_INVALID_ADDRESS"],
    ["a read-only page before an unmapped one", 9, 8, "KERN_PROTECTION_FAILURE"],
  ])("entry list: the first failing destination page decides: %s", (_, unmapped, readOnly, code) => {
    const world = sourceWorld();
    const h = copyin(world, { addr: 0, size: 3 * P });
    run(world, "enter", { addr: 7 * P, size: 4 * P });
    run(world, "protect", { addr: readOnly * P, size: P, prot: VM_PROT_READ });
    run(world, "remove", { addr: unmapped * P, size: P });
    expect(expectUnchanged(world, () => run(world, "copy_overwrite", { addr: 7 * P, copy: h })).kr).toBe(code);
  });

  it("entry list: interruptible over a shared memory object page is KERN_FAILURE; otherwise aliases see the bytes", () => {
    const world = sourceWorld();
    run(world, "object_create", { size: 2 * P });
    run(world, "enter", { addr: 8 * P, size: 2 * P, source: { kind: "object", object: 0, offset: 0 } });
    run(world, "enter", { addr: 10 * P, size: 2 * P });
    run(world, "enter", { addr: 12 * P, size: 2 * P, source: { kind: "object", object: 0, offset: 0 } });
    const h = copyin(world, { addr: 0, size: 2 * P });
    expect(expectUnchanged(world, () => run(world, "copy_overwrite", { addr: 9 * P, copy: h, interruptible: true })).kr).toBe("KERN_FAILURE");
    expect(run(world, "copy_overwrite", { addr: 10 * P, copy: h, interruptible: true }).kr).toBe("KERN_SUCCESS"); // anonymous
    const h2 = copyin(world, { addr: 0, size: 2 * P });
    expect(run(world, "copy_overwrite", { addr: 9 * P, copy: h2, interruptible: false }).kr).toBe("KERN_SUCCESS");
    expect(read(world, 13 * P, 2)).toBe("0101");
  });

  it("keeps the destination's protections, inheritance, behavior and wiring, and consumes the copy", () => {
    const world = sourceWorld();
    const h = copyin(world, { addr: 0, size: 2 * P });
    run(world, "enter", { addr: 8 * P, size: 2 * P, cur: VM_PROT_DEFAULT, max: VM_PROT_DEFAULT, inheritance: VM_INHERIT_SHARE, alias: 3 });
    run(world, "wire", { addr: 8 * P, size: P, user: true, access: VM_PROT_READ });
    run(world, "wire", { addr: 8 * P, size: P, user: false, access: VM_PROT_READ });
    const before = [pageAt(world, 8 * P), pageAt(world, 9 * P)];
    expect(run(world, "copy_overwrite", { addr: 8 * P, copy: h }).kr).toBe("KERN_SUCCESS");
    expect([pageAt(world, 8 * P), pageAt(world, 9 * P)]).toEqual(before);
    expect(read(world, 9 * P, 2)).toBe("0202");
    expect(copies(world)).toEqual([null]);
  });

  it("leaves the copy with the caller on failure", () => {
    const world = sourceWorld();
    const h = copyin(world, { addr: 0, size: 2 * P });
    expect(run(world, "copy_overwrite", { addr: 20 * P, copy: h }).kr).toBe("KERN_INVALID_ADDRESS");
    expect(run(world, "copy_overwrite", { addr: TOP - P, copy: h }).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "copy_overwrite", { addr: 2 * P, copy: h }).kr).toBe("KERN_SUCCESS");
  });
});

describe("copy_discard and copy_copy", () => {
  it("copy_discard consumes a copy once; NULL is a no-op; unknown handles are KERN_INVALID_ARGUMENT", () => {
    const world = sourceWorld();
    const h = copyin(world, { addr: 0, size: 2 * P });
    expect(expectUnchanged(world, () => run(world, "copy_discard", { copy: null })).kr).toBe("KERN_SUCCESS");
    expect(expectUnchanged(world, () => run(world, "copy_discard", { copy: 1 })).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "copy_discard", { copy: h }).kr).toBe("KERN_SUCCESS");
    expect(copies(world)).toEqual([null]);
    expect(run(world, "copy_discard", { copy: h }).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("consumed copies are KERN_INVALID_ARGUMENT for every operation taking a copy", () => {
    const world = sourceWorld();
    const h = copyin(world, { addr: 0, size: 2 * P });
    run(world, "copyout", { copy: h });
    for (const op of [cmd("copyout", { copy: h }), cmd("copy_overwrite", { addr: 0, copy: h }), cmd("copy_discard", { copy: h }), cmd("copy_copy", { copy: h })])
      expect(expectUnchanged(world, () => run(world, op.op, op)).kr, op.op).toBe("KERN_INVALID_ARGUMENT");
  });

  it("copy_copy moves the contents to a new handle and leaves an emptied copy that only discard accepts", () => {
    const world = sourceWorld();
    const h = copyin(world, { addr: 0, size: 2 * P });
    const moved = copies(world)[h];
    expect(run(world, "copy_copy", { copy: h })).toEqual({ kr: "KERN_SUCCESS", copy: 1 });
    const a = copies(world);
    expect(a[0]).toEqual({ kind: "emptied", offset: 0, size: 0, pages: [], data: "" });
    expect(a[1]).toEqual(moved);
    for (const op of [cmd("copyout", { copy: h }), cmd("copy_overwrite", { addr: 0, copy: h }), cmd("copy_copy", { copy: h })])
      expect(expectUnchanged(world, () => run(world, op.op, op)).kr, op.op).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "copy_discard", { copy: h }).kr).toBe("KERN_SUCCESS");
    expect(read(world, run(world, "copyout", { copy: 1 }).addr!, 2)).toBe("0101");
  });

  it("copy_copy moves a kernel buffer's bytes too; NULL stays NULL", () => {
    const world = sourceWorld();
    const h = copyin(world, { addr: 2 * P, size: 2 });
    expect(expectUnchanged(world, () => run(world, "copy_copy", { copy: null }))).toEqual({ kr: "KERN_SUCCESS", copy: null });
    const r = run(world, "copy_copy", { copy: h });
    expect(copies(world)[r.copy!]).toMatchObject({ kind: "kernel_buffer", data: "0303" });
    expect(run(world, "copy_overwrite", { addr: 0, copy: r.copy! }).kr).toBe("KERN_SUCCESS");
    expect(read(world, 0, 2)).toBe("0303");
  });
});

describe("abstraction and cloning of copies", () => {
  it("numbers cells: objects, maps, then copies page by page in handle order", () => {
    const world = worldWithMap();
    run(world, "enter", { addr: 0, size: 2 * P });
    write(world, 0, "01");
    copyin(world, { addr: 0, size: 2 * P });
    copyin(world, { addr: 0, size: 1 });
    const a = abstractSpec(world);
    expect(a.maps[0]!.pages.map((p) => p.cell)).toEqual([0, 1]);
    expect(a.copies[0]!.pages.map((p) => p.cell)).toEqual([2, 3]);
    expect(a.cells).toEqual(["01", "", "01", ""]);
    expect(a.copies[1]).toEqual({ kind: "kernel_buffer", offset: 0, size: 1, pages: [], data: "01" });
  });

  it("a clone holds the copies and evolves independently", () => {
    const world = sourceWorld();
    copyin(world, { addr: 0, size: 2 * P });
    copyin(world, { addr: 0, size: 2 });
    const clone = cloneSpecWorld(world);
    expect(abstractSpec(clone)).toEqual(abstractSpec(world));
    const before = abstractSpec(world);
    run(clone, "copyout", { copy: 0 });
    run(clone, "copy_copy", { copy: 1 });
    expect(abstractSpec(world)).toEqual(before);
  });
});
