import { describe, expect, it } from "vitest";
import {
  abstractSpec,
  DEFAULT_SCOPE,
  MATTR_CACHE,
  MATTR_VAL_CACHE_FLUSH,
  VM_BEHAVIOR_RANDOM,
  VM_BEHAVIOR_RSEQNTL,
  VM_INHERIT_NONE,
  VM_INHERIT_SHARE,
  VM_PROT_ALL,
  VM_PROT_COPY,
  VM_PROT_DEFAULT,
  VM_PROT_EXECUTE,
  VM_PROT_NONE,
  VM_PROT_READ,
  VM_PROT_WRITE,
} from "../../spec/index.ts";
import { expectUnchanged, P, pageAt, run, TOP, worldWithMap } from "./helpers.ts";

const R = VM_PROT_READ, W = VM_PROT_WRITE, X = VM_PROT_EXECUTE;

describe("protect", () => {
  it("sets the current protection of every page of the widened range", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 4 * P });
    expect(run(world, "protect", { addr: P + 1, size: P, prot: R }).kr).toBe("KERN_SUCCESS"); // [P, 3P)
    expect([0, 1, 2, 3].map((i) => pageAt(world, i * P)!.prot)).toEqual([R | W, R, R, R | W]);
    expect(run(world, "protect", { size: P, prot: R | X }).kr).toBe("KERN_SUCCESS");
    expect(pageAt(world, 0)).toMatchObject({ prot: R | X, maxProt: VM_PROT_ALL });
  });

  it("rejects protect beyond max with KERN_PROTECTION_FAILURE", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 2 * P, cur: R, max: R });
    expect(expectUnchanged(world, () => run(world, "protect", { size: 2 * P, prot: R | W })).kr).toBe("KERN_PROTECTION_FAILURE");
  });

  it("rejects an unmapped page with KERN_INVALID_ADDRESS", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    run(world, "enter", { addr: 2 * P, size: P });
    expect(expectUnchanged(world, () => run(world, "protect", { size: 3 * P, prot: R })).kr).toBe("KERN_INVALID_ADDRESS");
    expect(run(world, "protect", { addr: 5 * P, size: P, prot: R }).kr).toBe("KERN_INVALID_ADDRESS");
    expect(run(world, "protect", { addr: 2 * P, size: 2 * P, prot: R }).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it("lets the first failing page in address order decide, and changes nothing", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P }); // page 0: max ALL
    run(world, "enter", { addr: P, size: P, cur: R, max: R }); // page 1: max R
    run(world, "enter", { addr: 3 * P, size: P, cur: R, max: R }); // page 3 after a hole
    expect(expectUnchanged(world, () => run(world, "protect", { size: 4 * P, prot: W })).kr).toBe("KERN_PROTECTION_FAILURE");
    expect(expectUnchanged(world, () => run(world, "protect", { addr: 2 * P, size: 2 * P, prot: W })).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it("with setMax sets maxProt and keeps only prot & p", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P, cur: R | W, max: VM_PROT_ALL });
    expect(run(world, "protect", { prot: R | X, setMax: true }).kr).toBe("KERN_SUCCESS");
    expect(pageAt(world, 0)).toMatchObject({ prot: R, maxProt: R | X });
    expect(run(world, "protect", { prot: R | W, setMax: true }).kr).toBe("KERN_PROTECTION_FAILURE");
    expect(run(world, "protect", { prot: VM_PROT_NONE, setMax: true }).kr).toBe("KERN_SUCCESS");
    expect(pageAt(world, 0)).toMatchObject({ prot: 0, maxProt: 0 });
  });

  it("with size 0 succeeds iff trunc(addr) is mapped, and an unaligned size 0 covers its page", () => {
    const world = worldWithMap();
    run(world, "enter", { addr: P, size: P });
    expect(expectUnchanged(world, () => run(world, "protect", { addr: P, size: 0, prot: R })).kr).toBe("KERN_SUCCESS");
    expect(run(world, "protect", { addr: 0, size: 0, prot: R }).kr).toBe("KERN_INVALID_ADDRESS");
    expect(run(world, "protect", { addr: P + 3, size: 0, prot: R }).kr).toBe("KERN_SUCCESS");
    expect(pageAt(world, P)!.prot).toBe(R);
  });

  it("does not clamp: a range past max is KERN_INVALID_ADDRESS", () => {
    const world = worldWithMap(0, 2 * P);
    run(world, "enter", { size: 2 * P });
    expect(run(world, "protect", { size: 3 * P, prot: R }).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it.each([
    ["a NULL map", { map: 2 }],
    ["bits outside ALL|COPY", { prot: 8 }],
    ["a high unknown bit", { prot: 0x20 | R }],
    ["a wrapping range", { addr: TOP - P, size: 2 * P }],
    ["a NaN protection", { prot: NaN }],
    ["a size of 2^W", { size: TOP }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    expect(expectUnchanged(world, () => run(world, "protect", args)).kr).toBe("KERN_INVALID_ARGUMENT");
  });
});

describe("protect with VM_PROT_COPY", () => {
  /** Map 0 and map 1 both map page 0 of object 0 at address 0, read-only at most. */
  function sharedObject() {
    const world = worldWithMap();
    run(world, "create", { min: 0, max: TOP });
    run(world, "object_create", { size: P });
    for (const map of [0, 1]) run(world, "enter", { map, size: P, cur: R, max: R, source: { kind: "object", object: 0, offset: 0 } });
    return world;
  }

  it("allows WRITE beyond max and adds WRITE to maxProt", () => {
    const world = sharedObject();
    expect(run(world, "protect", { prot: R | W }).kr).toBe("KERN_PROTECTION_FAILURE");
    expect(run(world, "protect", { prot: R | W | VM_PROT_COPY }).kr).toBe("KERN_SUCCESS");
    expect(pageAt(world, 0)).toMatchObject({ prot: R | W, maxProt: R | W });
    expect(run(world, "protect", { prot: R | X | VM_PROT_COPY }).kr).toBe("KERN_PROTECTION_FAILURE");
  });

  it("takes a private snapshot: writes through another mapping of the object are no longer visible", () => {
    const world = sharedObject();
    expect(run(world, "protect", { map: 1, prot: R | VM_PROT_COPY }).kr).toBe("KERN_SUCCESS");
    // A third, writable mapping of the same object page writes into the shared cell.
    run(world, "create", { min: 0, max: TOP });
    run(world, "enter", { map: 2, size: P, cur: R | W, max: R | W, source: { kind: "object", object: 0, offset: 0 } });
    expect(run(world, "write_user", { map: 2, addr: 0, data: "aa" }).kr).toBe("KERN_SUCCESS");
    expect(run(world, "read_user", { map: 0, addr: 0, size: 1 }).data).toBe("aa"); // still shared
    expect(run(world, "read_user", { map: 1, addr: 0, size: 1 }).data).toBe("00"); // private snapshot
  });

  it("keeps the bytes present at the snapshot and keeps its own writes private", () => {
    const world = worldWithMap();
    run(world, "create", { min: 0, max: TOP });
    run(world, "object_create", { size: P });
    for (const map of [0, 1]) run(world, "enter", { map, size: P, source: { kind: "object", object: 0, offset: 0 } });
    run(world, "write_user", { map: 0, addr: 0, data: "0102" });
    run(world, "protect", { map: 1, prot: R | W | VM_PROT_COPY });
    expect(run(world, "read_user", { map: 1, addr: 0, size: 2 }).data).toBe("0102");
    run(world, "write_user", { map: 1, addr: 0, data: "ff" });
    run(world, "write_user", { map: 0, addr: 1, data: "ee" });
    expect(run(world, "read_user", { map: 0, addr: 0, size: 2 }).data).toBe("01ee");
    expect(run(world, "read_user", { map: 1, addr: 0, size: 2 }).data).toBe("ff02");
    const a = abstractSpec(world);
    expect(a.maps[0]!.pages[0]!.cell).toBe(a.objects[0]![0]);
    expect(a.maps[1]!.pages[0]!.cell).not.toBe(a.objects[0]![0]);
  });

  it("with setMax sets maxProt to p (the COPY WRITE bonus is overwritten)", () => {
    const world = sharedObject();
    expect(run(world, "protect", { prot: R | W | VM_PROT_COPY, setMax: true }).kr).toBe("KERN_SUCCESS");
    expect(pageAt(world, 0)).toMatchObject({ prot: R, maxProt: R | W });
    expect(run(world, "protect", { prot: R | VM_PROT_COPY, setMax: true }).kr).toBe("KERN_SUCCESS");
    expect(pageAt(world, 0)).toMatchObject({ prot: R, maxProt: R });
  });

  it("snapshots nothing when it fails", () => {
    const world = sharedObject();
    run(world, "enter", { addr: P, size: P, cur: R, max: R });
    expect(expectUnchanged(world, () => run(world, "protect", { size: 3 * P, prot: R | VM_PROT_COPY })).kr).toBe("KERN_INVALID_ADDRESS");
  });
});

describe("inherit", () => {
  it("sets inheritance of the mapped pages, ignoring holes and clamping to the map", () => {
    const world = worldWithMap(P, 8 * P);
    run(world, "enter", { addr: P, size: P });
    run(world, "enter", { addr: 3 * P, size: P });
    expect(run(world, "inherit", { addr: 0, size: TOP - 1, inheritance: VM_INHERIT_SHARE }).kr).toBe("KERN_SUCCESS");
    expect(pageAt(world, P)!.inheritance).toBe(VM_INHERIT_SHARE);
    expect(pageAt(world, 3 * P)!.inheritance).toBe(VM_INHERIT_SHARE);
    expect(run(world, "inherit", { addr: 5 * P, size: P, inheritance: VM_INHERIT_NONE }).kr).toBe("KERN_SUCCESS");
  });

  it.each([
    ["a NULL map", { map: 1 }],
    ["inheritance above NONE", { inheritance: 3 }],
    ["a wrapping range", { addr: TOP - 1, size: 2 }],
    ["a fractional size", { size: 0.5 }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    expect(expectUnchanged(world, () => run(world, "inherit", args)).kr).toBe("KERN_INVALID_ARGUMENT");
  });
});

describe("behavior_set", () => {
  it("sets the behavior of every page of a fully mapped range", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 3 * P });
    expect(run(world, "behavior_set", { addr: P, size: 2 * P, behavior: VM_BEHAVIOR_RSEQNTL }).kr).toBe("KERN_SUCCESS");
    expect([0, 1, 2].map((i) => pageAt(world, i * P)!.behavior)).toEqual([0, VM_BEHAVIOR_RSEQNTL, VM_BEHAVIOR_RSEQNTL]);
  });

  it.each([
    ["its start is below min", 0, 3 * P],
    ["its end is past max", 2 * P, 4 * P],
    ["its start is unmapped", 4 * P, P],
    ["it has a hole", P, 3 * P],
    ["it is empty at an unmapped start", 4 * P, 0],
  ])("rejects a range where %s with KERN_INVALID_ADDRESS", (_, addr, size) => {
    const world = worldWithMap(P, 5 * P);
    run(world, "enter", { addr: P, size: 2 * P });
    expect(expectUnchanged(world, () => run(world, "behavior_set", { addr, size, behavior: VM_BEHAVIOR_RANDOM })).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it("accepts an empty range at a mapped start", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    expect(expectUnchanged(world, () => run(world, "behavior_set", { size: 0, behavior: 1 })).kr).toBe("KERN_SUCCESS");
  });

  it.each([
    ["a NULL map", { map: 1 }],
    ["behavior 4", { behavior: 4 }],
    ["a wrapping range", { addr: TOP - P, size: 2 * P }],
    ["a negative behavior", { behavior: -1 }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    expect(expectUnchanged(world, () => run(world, "behavior_set", args)).kr).toBe("KERN_INVALID_ARGUMENT");
  });
});

describe("machine_attribute", () => {
  it("succeeds inside the bounds whether mapped or not, recording nothing", () => {
    const world = worldWithMap(P, 4 * P);
    const op = { addr: P, size: 3 * P, attribute: MATTR_CACHE, value: MATTR_VAL_CACHE_FLUSH };
    expect(expectUnchanged(world, () => run(world, "machine_attribute", op)).kr).toBe("KERN_SUCCESS");
    expect(run(world, "machine_attribute", { addr: 4 * P - 1, size: 1 }).kr).toBe("KERN_SUCCESS");
  });

  it.each([
    ["starts below min", P - 1, 1],
    ["ends past max (unrounded)", 4 * P - 1, 2],
  ])("rejects a range that %s with KERN_INVALID_ADDRESS", (_, addr, size) => {
    const world = worldWithMap(P, 4 * P);
    expect(run(world, "machine_attribute", { addr, size }).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it.each([
    ["a NULL map", { map: 1 }],
    ["an unknown attribute", { attribute: 3 }],
    ["an unknown value", { value: 3 }],
    ["a wrapping range", { addr: TOP - 1, size: 2 }],
    ["a NaN value", { value: NaN }],
  ])("rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = worldWithMap();
    expect(run(world, "machine_attribute", args).kr).toBe("KERN_INVALID_ARGUMENT");
  });
});

describe("simplify", () => {
  it("succeeds and changes nothing the spec can see", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 2 * P });
    expect(expectUnchanged(world, () => run(world, "simplify", { addr: P })).kr).toBe("KERN_SUCCESS");
    expect(run(world, "simplify", { addr: 9 * P + 1 }).kr).toBe("KERN_SUCCESS");
  });

  it.each([["a NULL map", { map: 1 }], ["a NaN address", { addr: NaN }], ["an address of 2^W", { addr: TOP }]])(
    "rejects %s with KERN_INVALID_ARGUMENT",
    (_, args) => {
      expect(run(worldWithMap(), "simplify", args).kr).toBe("KERN_INVALID_ARGUMENT");
    },
  );
});

describe("lookup", () => {
  it("reports the attributes of the page holding the address, or null", () => {
    const world = worldWithMap();
    run(world, "enter", { addr: P, size: P, cur: R, max: R | W, alias: 7 });
    expect(run(world, "lookup", { addr: 2 * P - 1 })).toEqual({
      kr: "KERN_SUCCESS",
      page: { prot: R, maxProt: R | W, inheritance: 1, behavior: 0, alias: 7, wiredCount: 0, userWiredCount: 0 },
    });
    expect(run(world, "lookup", { addr: 2 * P })).toEqual({ kr: "KERN_SUCCESS", page: null });
    expect(run(world, "lookup", { addr: TOP - 1 })).toEqual({ kr: "KERN_SUCCESS", page: null });
  });

  it("looks up addresses high in a 2^52 space", () => {
    const scope = { ...DEFAULT_SCOPE, addressBits: 52 };
    const world = worldWithMap(0, 2 ** 52, scope);
    run(world, "enter", { addr: 2 ** 52 - scope.pageSize, size: scope.pageSize, cur: VM_PROT_DEFAULT });
    expect(run(world, "lookup", { addr: 2 ** 52 - 1 }).page).toMatchObject({ prot: VM_PROT_DEFAULT });
  });

  it.each([["a NULL map", { map: 1 }], ["a NaN address", { addr: NaN }], ["a negative address", { addr: -1 }], ["an address of 2^W", { addr: TOP }]])(
    "rejects %s with KERN_INVALID_ARGUMENT",
    (_, args) => {
      expect(run(worldWithMap(), "lookup", args)).toEqual({ kr: "KERN_INVALID_ARGUMENT" });
    },
  );
});
