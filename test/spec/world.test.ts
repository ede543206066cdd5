import { describe, expect, it } from "vitest";
import { abstractSpec, cloneSpecWorld, VM_PROT_COPY, VM_PROT_DEFAULT } from "../../spec/index.ts";
import { P, run, worldWithMap } from "./helpers.ts";

describe("abstractSpec", () => {
  it("numbers cells: objects first in handle order, then maps in handle order, pages ascending", () => {
    const world = worldWithMap();
    run(world, "enter", { addr: 4 * P, size: P }); // anonymous cell, created before the object
    run(world, "object_create", { size: 2 * P });
    run(world, "enter", { addr: 0, size: P, source: { kind: "object", object: 0, offset: P } });
    run(world, "write_user", { addr: 4 * P, data: "0a0b" });
    const a = abstractSpec(world);
    expect(a.objects).toEqual([[0, 1]]);
    expect(a.maps[0]!.pages.map((p) => [p.page, p.cell])).toEqual([[0, 1], [4, 2]]);
    expect(a.cells).toEqual(["", "", "0a0b"]);
  });

  it("gives aliasing pages the same number", () => {
    const world = worldWithMap();
    run(world, "object_create", { size: P });
    run(world, "enter", { addr: 0, source: { kind: "object", object: 0, offset: 0 } });
    run(world, "enter", { addr: 2 * P, source: { kind: "object", object: 0, offset: 0 } });
    const a = abstractSpec(world);
    expect(a.maps[0]!.pages.map((p) => p.cell)).toEqual([0, 0]);
    run(world, "protect", { addr: 2 * P, prot: VM_PROT_DEFAULT | VM_PROT_COPY });
    expect(abstractSpec(world).maps[0]!.pages.map((p) => p.cell)).toEqual([0, 1]);
  });

  it("is independent of the order pages were mapped in", () => {
    const a = worldWithMap(), b = worldWithMap();
    run(a, "enter", { addr: 0 }); run(a, "enter", { addr: P });
    run(b, "enter", { addr: P }); run(b, "enter", { addr: 0 });
    expect(abstractSpec(a)).toEqual(abstractSpec(b));
  });
});

describe("cloneSpecWorld", () => {
  it("copies deeply: the clone and the original evolve independently", () => {
    const world = worldWithMap();
    run(world, "object_create", { size: P });
    run(world, "enter", { size: P, source: { kind: "object", object: 0, offset: 0 } });
    run(world, "write_user", { data: "01" });
    const clone = cloneSpecWorld(world);
    expect(abstractSpec(clone)).toEqual(abstractSpec(world));
    const before = abstractSpec(world);
    run(clone, "write_user", { data: "02" });
    run(clone, "wire", { user: true });
    run(clone, "enter", { addr: P });
    run(clone, "reference", {});
    run(clone, "create", { min: 0, max: P });
    run(clone, "object_create", { size: P });
    expect(abstractSpec(world)).toEqual(before);
    // Fresh cells of the clone and the original do not collide.
    run(world, "enter", { addr: P });
    expect(run(world, "read_user", { addr: P, size: 1 }).data).toBe("00");
  });

  it("drops the bytes of cells nothing refers to any more", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    run(world, "write_user", { data: "ff" });
    run(world, "remove", {});
    expect(cloneSpecWorld(world).cells.size).toBe(0);
  });
});

