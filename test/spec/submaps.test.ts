import { describe, expect, it } from "vitest";
import { abstractSpec, SHARED_REGION_FULL, VM_INHERIT_COPY, VM_INHERIT_NONE, VM_INHERIT_SHARE, VM_PROT_COPY, VM_PROT_READ, VM_PROT_WRITE, type SpecWorld } from "../../spec/index.ts";
import { newSpecWorld } from "../../spec/index.ts";
import { expectUnchanged, P, pageAt, run, SMALL } from "./helpers.ts";

const newWorld = () => newSpecWorld(SMALL);
const read = (world: SpecWorld, map: number, addr: number, size = 1) => run(world, "read_user", { map, addr, size });

/** Map 0 over [0, 16P), map 1 over [4P, 12P) with [4P, 6P) mapped holding "aa" and "bb"; [8P, 10P) of map 0 is a window onto [4P, 6P) of map 1. */
function parentWithSubmap(inheritance = VM_INHERIT_SHARE): SpecWorld {
  const world = newWorld();
  run(world, "create", { min: 0, max: 16 * P });
  run(world, "create", { min: 4 * P, max: 12 * P });
  run(world, "enter", { map: 1, addr: 4 * P, size: 2 * P });
  run(world, "write_user", { map: 1, addr: 4 * P, data: "aa" });
  run(world, "write_user", { map: 1, addr: 5 * P, data: "bb" });
  expect(run(world, "submap", { map: 0, addr: 8 * P, size: 2 * P, submap: 1, offset: 4 * P, inheritance, usePmap: false }).kr).toBe("KERN_SUCCESS");
  return world;
}

describe("submap", () => {
  it("makes each page a window onto the submap's page at the same distance from offset, both ways", () => {
    const world = parentWithSubmap();
    expect(read(world, 0, 9 * P).data).toBe("bb");
    expect(run(world, "write_user", { map: 0, addr: 8 * P + 1, data: "cc" }).kr).toBe("KERN_SUCCESS");
    expect(read(world, 1, 4 * P, 2).data).toBe("aacc");
  });

  it("shows what the submap maps later, and nothing where it maps nothing", () => {
    const world = parentWithSubmap();
    run(world, "remove", { map: 1, addr: 5 * P, size: P });
    expect(read(world, 0, 9 * P).kr).toBe("KERN_INVALID_ADDRESS");
    run(world, "enter", { map: 1, addr: 5 * P, size: P });
    expect(read(world, 0, 9 * P).data).toBe("00");
  });

  it("rejects a mapped range, a window outside the submap, a cycle and COPY inheritance, changing nothing", () => {
    const world = parentWithSubmap();
    const bad = [
      { map: 0, addr: 9 * P, size: 2 * P, submap: 1, offset: 4 * P },
      { map: 0, addr: 0, size: 2 * P, submap: 1, offset: 11 * P },
      { map: 1, addr: 8 * P, size: P, submap: 0, offset: 0 },
      { map: 0, addr: 0, size: P, submap: 0, offset: 0 },
      { map: 0, addr: 0, size: P, submap: 1, offset: 4 * P, inheritance: VM_INHERIT_COPY },
      { map: 0, addr: 1, size: P, submap: 1, offset: 4 * P },
    ];
    for (const args of bad) expect(expectUnchanged(world, () => run(world, "submap", { inheritance: 0, usePmap: false, ...args })).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("lookup descends into the submap and reports the nested flag", () => {
    const world = newWorld();
    run(world, "create", { min: 0, max: 16 * P });
    run(world, "create", { min: 0, max: 4 * P });
    run(world, "enter", { map: 1, addr: P, size: P, cur: VM_PROT_READ });
    run(world, "submap", { map: 0, addr: 8 * P, size: 2 * P, submap: 1, offset: 0, inheritance: 0, usePmap: true });
    const r = run(world, "lookup", { map: 0, addr: 9 * P + 5 });
    expect(r.submap).toMatchObject({ map: 1, addr: P + 5, nested: true, page: { prot: VM_PROT_READ } });
    expect(run(world, "lookup", { map: 0, addr: 8 * P }).submap?.page).toBeNull();
    expect(abstractSpec(world).maps[0]!.pages[0]).toMatchObject({ submap: 1, nested: true });
  });

  it("an access needs the permission in both the window and the submap's page", () => {
    const world = parentWithSubmap();
    run(world, "protect", { map: 1, addr: 4 * P, size: P, prot: VM_PROT_READ });
    expect(run(world, "write_user", { map: 0, addr: 8 * P, data: "01" }).kr).toBe("KERN_INVALID_ADDRESS");
    run(world, "protect", { map: 0, addr: 9 * P, size: P, prot: VM_PROT_READ });
    expect(run(world, "write_user", { map: 0, addr: 9 * P, data: "01" }).kr).toBe("KERN_INVALID_ADDRESS");
    expect(run(world, "write_user", { map: 1, addr: 5 * P, data: "01" }).kr).toBe("KERN_SUCCESS");
  });

  it("fork shares a SHARE window and leaves a NONE window out", () => {
    for (const [inheritance, shared] of [[VM_INHERIT_SHARE, true], [VM_INHERIT_NONE, false]] as const) {
      const world = parentWithSubmap(inheritance);
      const child = run(world, "fork", { map: 0 }).map!;
      expect(pageAt(world, 8 * P, child) !== null).toBe(shared);
    }
  });

  it("inherit COPY over a window is KERN_INVALID_ARGUMENT; protect with VM_PROT_COPY makes it copy-on-write; remap refuses it", () => {
    const world = parentWithSubmap();
    expect(expectUnchanged(world, () => run(world, "inherit", { map: 0, addr: 0, size: 16 * P, inheritance: VM_INHERIT_COPY })).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "protect", { map: 0, addr: 8 * P, size: P, prot: VM_PROT_READ | VM_PROT_COPY }).kr).toBe("KERN_SUCCESS");
    expect(world.maps[0]!.pages.get(8)).toMatchObject({ prot: VM_PROT_READ, submap: { map: 1, page: 4, cow: true } });
    expect(world.maps[0]!.pages.get(9)!.submap!.cow).toBe(false);
    expect(run(world, "remap", { map: 1, addr: 8 * P, size: P, mask: 0, anywhere: false, srcMap: 0, srcAddr: 8 * P, copy: false, inheritance: 0 }).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it("copyin snapshots the submap's bytes; make_memory_entry names the submap's cells", () => {
    const world = parentWithSubmap();
    const copy = run(world, "copyin", { map: 0, addr: 8 * P, size: 2 * P, srcDestroy: false, useMaxprot: false }).copy!;
    const entry = run(world, "make_memory_entry", { map: 0, addr: 8 * P, size: 2 * P, permission: 3 }).entry!;
    run(world, "write_user", { map: 1, addr: 4 * P, data: "11" });
    const out = run(world, "copyout", { map: 0, copy }).addr!;
    expect(read(world, 0, out).data).toBe("aa");
    const mapped = run(world, "map_memory_entry", { map: 0, addr: 0, size: P, mask: 0, anywhere: true, entry, offset: 0, copy: false, cur: 3, max: 3, inheritance: 0 }).addr!;
    expect(read(world, 0, mapped).data).toBe("11");
  });

  it("a map whose handle was dropped lives on as a submap", () => {
    const world = parentWithSubmap();
    run(world, "deallocate", { map: 1 });
    expect(abstractSpec(world).maps[1]).toBeNull();
    expect(read(world, 0, 8 * P).data).toBe("aa");
  });
});

describe("shared regions", () => {
  function withRegion(): SpecWorld {
    const world = newWorld();
    run(world, "create", { min: 0, max: 32 * P });
    const r = run(world, "shared_region_create", { textSize: 2 * P, dataSize: 2 * P, clientBase: 8 * P });
    expect(r).toMatchObject({ kr: "KERN_SUCCESS", region: 0, text: 1, data: 2 });
    run(world, "enter", { map: 1, addr: 0, size: 2 * P });
    run(world, "write_user", { map: 1, addr: 0, data: "7e" });
    run(world, "enter", { map: 2, addr: P, size: P });
    run(world, "write_user", { map: 2, addr: P, data: "da" });
    return world;
  }

  it("maps the text shared (a nested window) and the data as a read-only copy-on-write window onto the data submap", () => {
    const world = withRegion();
    expect(run(world, "shared_region_map", { map: 0, region: 0 }).kr).toBe("KERN_SUCCESS");
    expect(world.maps[0]!.pages.get(8)).toMatchObject({ prot: VM_PROT_READ, maxProt: VM_PROT_READ, inheritance: VM_INHERIT_SHARE, submap: { map: 1, page: 0, nested: true, cow: false } });
    expect(world.maps[0]!.pages.get(10)).toMatchObject({ prot: VM_PROT_READ, maxProt: VM_PROT_READ, inheritance: VM_INHERIT_SHARE, submap: { map: 2, page: 0, nested: false, cow: true } });
    expect(read(world, 0, 10 * P).kr).toBe("KERN_INVALID_ADDRESS"); // the data submap maps nothing there
    run(world, "write_user", { map: 1, addr: 0, data: "7f" });
    run(world, "write_user", { map: 2, addr: P, data: "db" });
    expect([read(world, 0, 8 * P).data, read(world, 0, 11 * P).data]).toEqual(["7f", "db"]);
    // Writable only after protect(VM_PROT_COPY | …); the first write makes the page private.
    expect(run(world, "write_user", { map: 0, addr: 11 * P, data: "01" }).kr).toBe("KERN_INVALID_ADDRESS");
    expect(run(world, "protect", { map: 0, addr: 11 * P, size: P, prot: VM_PROT_READ | VM_PROT_WRITE | VM_PROT_COPY }).kr).toBe("KERN_SUCCESS");
    expect(run(world, "write_user", { map: 0, addr: 11 * P, data: "01" }).kr).toBe("KERN_SUCCESS");
    run(world, "write_user", { map: 2, addr: P, data: "dc" });
    expect([read(world, 0, 11 * P).data, read(world, 2, P).data]).toEqual(["01", "dc"]);
    expect(pageAt(world, 11 * P)).toMatchObject({ inheritance: VM_INHERIT_COPY });
    expect(run(world, "shared_region_map", { map: 0, region: 0 }).kr).toBe("KERN_NO_SPACE");
  });

  it("chains once, taking over the parent's alternate area; the alternate area bumps", () => {
    const world = withRegion();
    run(world, "shared_region_create", { textSize: P, dataSize: P, clientBase: 0 });
    expect(run(world, "shared_region_alternate", { region: 0, size: 1 })).toEqual({ kr: "KERN_SUCCESS", addr: 12 * P });
    expect(run(world, "shared_region_attach", { region: 1, parent: 0 }).kr).toBe("KERN_SUCCESS");
    expect(run(world, "shared_region_attach", { region: 1, parent: 0 }).kr).toBe("KERN_FAILURE");
    expect(run(world, "shared_region_attach", { region: 0, parent: 1 }).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(abstractSpec(world).regions[0]).toMatchObject({ refCount: 2, depth: 1 });
    expect(run(world, "shared_region_alternate", { region: 1, size: P })).toEqual({ kr: "KERN_SUCCESS", addr: 13 * P });
  });

  it("flags a region FULL when its alternate area runs out, and still serves what fits", () => {
    const world = withRegion();
    const top = 2 ** world.scope.addressBits;
    expect(run(world, "shared_region_alternate", { region: 0, size: top - 13 * P }).kr).toBe("KERN_SUCCESS");
    expect(run(world, "shared_region_alternate", { region: 0, size: 2 * P }).kr).toBe("KERN_NO_SPACE");
    expect(abstractSpec(world).regions[0]).toMatchObject({ flags: SHARED_REGION_FULL, alternateNext: top - P });
    expect(run(world, "shared_region_alternate", { region: 0, size: P })).toEqual({ kr: "KERN_SUCCESS", addr: top - P });
    expect(abstractSpec(world).regions[0]!.flags).toBe(SHARED_REGION_FULL);
  });

  it("deallocating a region drops the handle; one chained to lives on until its last chained region goes", () => {
    const world = withRegion();
    run(world, "shared_region_create", { textSize: P, dataSize: P, clientBase: 0 });
    run(world, "shared_region_attach", { region: 1, parent: 0 });
    expect(run(world, "shared_region_deallocate", { region: 0 }).kr).toBe("KERN_SUCCESS");
    expect(run(world, "shared_region_deallocate", { region: 0 }).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "shared_region_alternate", { region: 0, size: P }).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(abstractSpec(world).regions[0]).toMatchObject({ held: false, refCount: 1, depth: 1 });
    expect(run(world, "shared_region_deallocate", { region: 1 }).kr).toBe("KERN_SUCCESS");
    expect(abstractSpec(world).regions.map((r) => [r.held, r.refCount, r.depth, r.chain])).toEqual([[false, 0, 1, -1], [false, 0, 0, 0]]);
    // The region's submaps keep their handles' references: their memory is still there.
    expect(read(world, 1, 0).data).toBe("7e");
  });
});

describe("named entries on submaps (region_object_create)", () => {
  it("map the backing map as a submap: shared windows, or copy-on-write windows", () => {
    const world = newWorld();
    run(world, "create", { min: 0, max: 32 * P });
    const { entry, map } = run(world, "region_object_create", { size: 2 * P + 1 });
    expect(run(world, "region_object_create", { size: 0 }).kr).toBe("KERN_INVALID_ARGUMENT");
    run(world, "enter", { map: map!, addr: P, size: P });
    run(world, "write_user", { map: map!, addr: P, data: "5a" });
    const args = { map: 0, size: 2 * P, mask: 0, anywhere: false, entry: entry!, offset: 0, cur: 3, max: 3, inheritance: VM_INHERIT_SHARE };
    expect(run(world, "map_memory_entry", { ...args, addr: 0, copy: false }).kr).toBe("KERN_SUCCESS");
    expect(run(world, "map_memory_entry", { ...args, addr: 8 * P, copy: true }).kr).toBe("KERN_SUCCESS");
    expect(expectUnchanged(world, () => run(world, "map_memory_entry", { ...args, addr: 16 * P, copy: false, inheritance: VM_INHERIT_COPY })).kr).toBe("KERN_INVALID_ARGUMENT");
    run(world, "write_user", { map: map!, addr: P, data: "5b" });
    expect([read(world, 0, P).data, read(world, 0, 9 * P).data]).toEqual(["5b", "5b"]);
    expect([read(world, 0, 0).kr, read(world, 0, 8 * P).kr]).toEqual(["KERN_INVALID_ADDRESS", "KERN_INVALID_ADDRESS"]);
    expect(world.maps[0]!.pages.get(8)).toMatchObject({ submap: { map: map!, page: 0, cow: true } });
    expect(abstractSpec(world).namedEntries[0]!.cells).toEqual([-1, abstractSpec(world).maps[0]!.pages[1]!.cell, -1]);
  });
});
