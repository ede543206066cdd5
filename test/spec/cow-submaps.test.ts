import { describe, expect, it } from "vitest";
import {
  abstractSpec,
  VM_INHERIT_COPY,
  VM_INHERIT_SHARE,
  VM_PROT_COPY,
  VM_PROT_DEFAULT,
  VM_PROT_READ,
  VM_PROT_WRITE,
  type SpecWorld,
} from "../../spec/index.ts";
import { newSpecWorld } from "../../spec/index.ts";
import { expectUnchanged, P, run, SMALL } from "./helpers.ts";

const RW = VM_PROT_DEFAULT;
const read = (world: SpecWorld, map: number, addr: number) => run(world, "read_user", { map, addr, size: 1 }).data;
const write = (world: SpecWorld, map: number, addr: number, data: string) => run(world, "write_user", { map, addr, data }).kr;

/**
 * Map 0 over [0, 32P); a named entry backed by map 1 over [0, 3P) with [0, 3P) mapped holding
 * "a0", "a1", "a2"; the whole entry mapped copy-on-write at [8P, 11P) of map 0.
 */
function withCowWindow(inheritance = VM_INHERIT_SHARE): SpecWorld {
  const world = newSpecWorld(SMALL);
  run(world, "create", { min: 0, max: 32 * P });
  const { entry, map } = run(world, "region_object_create", { size: 3 * P });
  expect(map).toBe(1);
  run(world, "enter", { map: 1, addr: 0, size: 3 * P });
  for (let i = 0; i < 3; i++) write(world, 1, i * P, `a${i}`);
  const r = run(world, "map_memory_entry", { map: 0, addr: 8 * P, size: 3 * P, mask: 0, anywhere: false, entry: entry!, offset: 0, copy: true, cur: RW, max: RW, inheritance });
  expect(r.kr).toBe("KERN_SUCCESS");
  return world;
}

describe("copy-on-write submap windows", () => {
  it("show the submap's pages live until a write reaches them", () => {
    const world = withCowWindow();
    write(world, 1, P, "b1");
    expect(read(world, 0, 9 * P)).toBe("b1");
    const page = abstractSpec(world).maps[0]!.pages.find((p) => p.page === 9)!;
    expect(page).toMatchObject({ submap: 1, cow: true });
    expect(page.cell).toBe(abstractSpec(world).maps[1]!.pages[1]!.cell);
  });

  it("a write makes just that page private: a snapshot taken then, written, no longer seen by the submap", () => {
    const world = withCowWindow();
    write(world, 1, P, "b1");
    expect(write(world, 0, 9 * P + 1, "cc")).toBe("KERN_SUCCESS");
    write(world, 1, P, "d1");
    expect([read(world, 0, 9 * P), run(world, "read_user", { map: 0, addr: 9 * P, size: 2 }).data]).toEqual(["b1", "b1cc"]);
    expect(run(world, "read_user", { map: 1, addr: P, size: 2 }).data).toBe("d100");
    // The neighbours are still windows.
    write(world, 1, 0, "d0");
    expect(read(world, 0, 8 * P)).toBe("d0");
    const pages = abstractSpec(world).maps[0]!.pages;
    expect(pages.map((p) => [p.submap, p.cow, p.inheritance])).toEqual([[1, true, VM_INHERIT_SHARE], [-1, false, VM_INHERIT_COPY], [1, true, VM_INHERIT_SHARE]]);
    expect(run(world, "lookup", { map: 0, addr: 8 * P }).submap).toMatchObject({ map: 1, addr: 0, cow: true });
    expect(run(world, "lookup", { map: 0, addr: 9 * P }).submap).toBeUndefined();
  });

  it("a write needs WRITE in the window (no WRITE is added, reference §8 #19) and in the submap's page", () => {
    const world = withCowWindow();
    run(world, "protect", { map: 0, addr: 8 * P, size: P, prot: VM_PROT_READ });
    expect(expectUnchanged(world, () => write(world, 0, 8 * P, "01"))).toBe("KERN_INVALID_ADDRESS");
    run(world, "protect", { map: 1, addr: 2 * P, size: P, prot: VM_PROT_READ });
    expect(expectUnchanged(world, () => write(world, 0, 10 * P, "01"))).toBe("KERN_INVALID_ADDRESS");
    // A page the submap does not map cannot be written (nor read) through the window.
    run(world, "remove", { map: 1, addr: P, size: P });
    expect(expectUnchanged(world, () => write(world, 0, 9 * P, "01"))).toBe("KERN_INVALID_ADDRESS");
  });

  it("copy_overwrite through a window writes a private page", () => {
    const world = withCowWindow();
    run(world, "enter", { map: 0, addr: 0, size: 2 * P });
    run(world, "write_user", { map: 0, addr: 0, data: "ee".repeat(2 * P) });
    const copy = run(world, "copyin", { map: 0, addr: 0, size: 2 * P, srcDestroy: false, useMaxprot: false }).copy!;
    expect(run(world, "copy_overwrite", { map: 0, addr: 9 * P, copy, interruptible: true }).kr).toBe("KERN_SUCCESS");
    expect([read(world, 0, 10 * P), read(world, 1, 2 * P), read(world, 1, P)]).toEqual(["ee", "a2", "a1"]);
  });

  it("protect with VM_PROT_COPY makes a shared window copy-on-write and adds WRITE to its maximum", () => {
    const world = newSpecWorld(SMALL);
    run(world, "create", { min: 0, max: 32 * P });
    run(world, "create", { min: 0, max: 4 * P });
    run(world, "enter", { map: 1, addr: 0, size: P });
    run(world, "submap", { map: 0, addr: 8 * P, size: 2 * P, submap: 1, offset: 0, inheritance: VM_INHERIT_SHARE, usePmap: true });
    run(world, "protect", { map: 0, addr: 8 * P, size: 2 * P, prot: VM_PROT_READ, setMax: true });
    expect(run(world, "protect", { map: 0, addr: 8 * P, size: P, prot: RW | VM_PROT_COPY }).kr).toBe("KERN_SUCCESS");
    expect(world.maps[0]!.pages.get(8)).toMatchObject({ prot: RW, maxProt: VM_PROT_READ | VM_PROT_WRITE, submap: { map: 1, page: 0, nested: true, cow: true } });
    write(world, 1, 0, "11");
    expect(read(world, 0, 8 * P)).toBe("11");
    write(world, 0, 8 * P, "22");
    expect([read(world, 0, 8 * P), read(world, 1, 0)]).toEqual(["22", "11"]);
  });

  it("fork shares a SHARE window as a copy-on-write window: each side goes private on its own", () => {
    const world = withCowWindow();
    const child = run(world, "fork", { map: 0 }).map!;
    write(world, child, 8 * P, "c0");
    write(world, 1, 0, "b0");
    expect([read(world, 0, 8 * P), read(world, child, 8 * P)]).toEqual(["b0", "c0"]);
    write(world, 0, 8 * P, "f0");
    expect([read(world, 0, 8 * P), read(world, child, 8 * P), read(world, 1, 0)]).toEqual(["f0", "c0", "b0"]);
  });

  it("make_memory_entry asking for WRITE makes the pages private first; for READ it names the submap's pages", () => {
    const world = withCowWindow();
    const ro = run(world, "make_memory_entry", { map: 0, addr: 8 * P, size: P, permission: VM_PROT_READ }).entry!;
    const rw = run(world, "make_memory_entry", { map: 0, addr: 9 * P, size: P, permission: RW }).entry!;
    write(world, 1, 0, "b0");
    write(world, 1, P, "b1");
    const a = abstractSpec(world);
    expect(a.namedEntries[ro]!.cells[0]).toBe(a.maps[1]!.pages[0]!.cell);
    expect(a.maps[0]!.pages.map((p) => p.cow)).toEqual([true, false, true]);
    expect(a.namedEntries[rw]!.cells[0]).toBe(a.maps[0]!.pages[1]!.cell);
    expect(read(world, 0, 9 * P)).toBe("a1");
  });

  it("a wired window keeps its count and stays copy-on-write until it is written", () => {
    const world = withCowWindow();
    expect(run(world, "wire", { map: 0, addr: 8 * P, size: P, access: VM_PROT_READ, user: true }).kr).toBe("KERN_SUCCESS");
    write(world, 1, 0, "b0");
    expect(read(world, 0, 8 * P)).toBe("b0");
    write(world, 0, 8 * P, "c0");
    expect(world.maps[0]!.pages.get(8)).toMatchObject({ wiredCount: 1, userWiredCount: 1 });
    expect(world.maps[0]!.pages.get(8)).not.toHaveProperty("submap");
    expect(read(world, 1, 0)).toBe("b0");
  });

  it("remove drops the window, never the submap's pages; mapping a submap into a map it reaches is refused, copy or not", () => {
    const world = withCowWindow();
    run(world, "remove", { map: 0, addr: 8 * P, size: 3 * P });
    expect(read(world, 1, 0)).toBe("a0");
    // Map 0 as a window inside the named entry's map 1: a copy of the entry into map 0 would make a cycle.
    run(world, "remove", { map: 1, addr: 2 * P, size: P });
    run(world, "submap", { map: 1, addr: 2 * P, size: P, submap: 0, offset: 0, inheritance: VM_INHERIT_SHARE, usePmap: false });
    const args = { map: 0, addr: 16 * P, size: P, mask: 0, anywhere: false, entry: 0, offset: 0, cur: RW, max: RW, inheritance: VM_INHERIT_SHARE };
    expect(expectUnchanged(world, () => run(world, "map_memory_entry", { ...args, copy: true })).kr).toBe("KERN_INVALID_ARGUMENT");
  });
});
