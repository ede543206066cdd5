import { describe, expect, it } from "vitest";
import { abstractSpec, newSpecWorld, VM_PROT_ALL } from "../../spec/index.ts";
import { expectUnchanged, P, run, SMALL, TOP, worldWithMap } from "./helpers.ts";

describe("create", () => {
  it("creates empty maps with one reference, handles in creation order", () => {
    const world = newSpecWorld(SMALL);
    expect(run(world, "create", { min: 0, max: 4 * P })).toEqual({ kr: "KERN_SUCCESS", map: 0 });
    expect(run(world, "create", { min: P, max: P })).toEqual({ kr: "KERN_SUCCESS", map: 1 });
    expect(abstractSpec(world).maps).toEqual([
      { min: 0, max: 4 * P, refCount: 1, swappedOut: 0, pages: [] },
      { min: P, max: P, refCount: 1, swappedOut: 0, pages: [] },
    ]);
  });

  it("accepts a map ending at 2^W", () => {
    expect(run(newSpecWorld(SMALL), "create", { min: 0, max: TOP }).kr).toBe("KERN_SUCCESS");
  });

  it.each([
    ["unaligned min", 1, 4 * P],
    ["unaligned max", 0, 4 * P + 1],
    ["min > max", 2 * P, P],
    ["max > 2^W", 0, TOP + P],
    ["min = 2^W", TOP, TOP],
    ["NaN", NaN, P],
    ["negative", -P, P],
    ["fractional", 0, 0.5],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, min, max) => {
    const world = newSpecWorld(SMALL);
    expect(expectUnchanged(world, () => run(world, "create", { min, max }))).toEqual({ kr: "KERN_INVALID_ARGUMENT" });
  });
});

describe("reference and deallocate", () => {
  it("counts references; the last deallocate destroys the map", () => {
    const world = worldWithMap();
    expect(run(world, "reference", { map: 0 }).kr).toBe("KERN_SUCCESS");
    expect(abstractSpec(world).maps[0]!.refCount).toBe(2);
    expect(run(world, "deallocate", { map: 0 }).kr).toBe("KERN_SUCCESS");
    expect(abstractSpec(world).maps[0]!.refCount).toBe(1);
    expect(run(world, "deallocate", { map: 0 }).kr).toBe("KERN_SUCCESS");
    expect(abstractSpec(world).maps).toEqual([null]);
  });

  it("destroys a map holding kernel and user wirings", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 2 * P });
    run(world, "wire", { size: 2 * P, user: false });
    run(world, "wire", { size: 2 * P, user: true });
    expect(run(world, "deallocate", { map: 0 }).kr).toBe("KERN_SUCCESS");
    expect(abstractSpec(world).maps).toEqual([null]);
  });

  it("keeps the handles of other maps and never reuses a destroyed handle", () => {
    const world = worldWithMap();
    run(world, "create", { min: 0, max: P });
    run(world, "deallocate", { map: 0 });
    expect(run(world, "create", { min: 0, max: 2 * P })).toEqual({ kr: "KERN_SUCCESS", map: 2 });
    expect(abstractSpec(world).maps.map((m) => m?.max ?? null)).toEqual([null, P, 2 * P]);
  });

  it.each([
    ["a destroyed map", 0],
    ["a handle that never existed", 5],
    ["NaN", NaN],
    ["-1", -1],
    ["0.5", 0.5],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, handle) => {
    const world = worldWithMap();
    run(world, "create", { min: 0, max: P });
    run(world, "deallocate", { map: 0 });
    expectUnchanged(world, () => {
      expect(run(world, "reference", { map: handle }).kr).toBe("KERN_INVALID_ARGUMENT");
      expect(run(world, "deallocate", { map: handle }).kr).toBe("KERN_INVALID_ARGUMENT");
    });
  });

  it("makes every operation on the destroyed handle see a NULL map", () => {
    const world = worldWithMap();
    run(world, "deallocate", { map: 0 });
    expect(run(world, "lookup", { map: 0 }).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "wire", { map: 0 }).kr).toBe("KERN_INVALID_TASK");
  });
});

describe("object_create", () => {
  it("creates zero objects of round(size) bytes, handles in creation order", () => {
    const world = newSpecWorld(SMALL);
    expect(run(world, "object_create", { size: P + 1 })).toEqual({ kr: "KERN_SUCCESS", object: 0 });
    expect(run(world, "object_create", { size: 16 * P })).toEqual({ kr: "KERN_SUCCESS", object: 1 });
    const a = abstractSpec(world);
    expect(a.objects.map((o) => o.length)).toEqual([2, 16]);
    expect(new Set(a.objects.flat()).size).toBe(18); // every page its own cell
    expect(a.cells.every((c) => c === "")).toBe(true);
  });

  it.each([
    ["size 0", 0],
    ["more than maxObjectPages pages", 16 * P + 1],
    ["NaN", NaN],
    ["-1", -1],
    ["2^W", TOP],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, size) => {
    const world = newSpecWorld(SMALL);
    expect(expectUnchanged(world, () => run(world, "object_create", { size }))).toEqual({ kr: "KERN_INVALID_ARGUMENT" });
  });

  it("maps object windows with the object's cells", () => {
    const world = worldWithMap();
    run(world, "object_create", { size: 4 * P });
    run(world, "enter", { addr: 0, size: 2 * P, max: VM_PROT_ALL, source: { kind: "object", object: 0, offset: 2 * P } });
    const a = abstractSpec(world);
    expect(a.maps[0]!.pages.map((p) => p.cell)).toEqual([a.objects[0]![2], a.objects[0]![3]]);
  });
});
