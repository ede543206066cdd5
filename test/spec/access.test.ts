import { describe, expect, it } from "vitest";
import { abstractSpec, DEFAULT_SCOPE, VM_PROT_ALL, VM_PROT_READ, VM_PROT_WRITE } from "../../spec/index.ts";
import { expectUnchanged, P, run, TOP, worldWithMap } from "./helpers.ts";

const R = VM_PROT_READ, W = VM_PROT_WRITE;

describe("read_user and write_user", () => {
  it("reads zeros from fresh memory", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    expect(run(world, "read_user", { addr: 3, size: 4 })).toEqual({ kr: "KERN_SUCCESS", data: "00000000" });
  });

  it("writes and reads unaligned bytes across a page boundary", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 2 * P });
    expect(run(world, "write_user", { addr: P - 2, data: "DEADbeef" }).kr).toBe("KERN_SUCCESS");
    expect(run(world, "read_user", { addr: P - 3, size: 6 }).data).toBe("00deadbeef00");
    expect(abstractSpec(world).cells).toEqual([`${"00".repeat(P - 2)}dead`, "beef"]);
  });

  it("sees writes through every window of the same memory object", () => {
    const world = worldWithMap();
    run(world, "create", { min: 0, max: TOP });
    run(world, "object_create", { size: 4 * P });
    run(world, "enter", { map: 0, addr: 0, size: 2 * P, source: { kind: "object", object: 0, offset: P } });
    run(world, "enter", { map: 1, addr: 8 * P, size: 4 * P, source: { kind: "object", object: 0, offset: 0 } });
    run(world, "enter", { map: 1, addr: 16 * P, size: P, source: { kind: "object", object: 0, offset: 2 * P } });
    run(world, "write_user", { map: 0, addr: P + 1, data: "77" }); // object page 2, byte 1
    expect(run(world, "read_user", { map: 1, addr: 10 * P, size: 2 }).data).toBe("0077");
    expect(run(world, "read_user", { map: 1, addr: 16 * P, size: 2 }).data).toBe("0077");
    run(world, "write_user", { map: 1, addr: 9 * P, data: "11" }); // object page 1
    expect(run(world, "read_user", { map: 0, addr: 0, size: 1 }).data).toBe("11");
  });

  it("does not share anonymous memory between mappings", () => {
    const world = worldWithMap();
    run(world, "enter", { size: 2 * P });
    run(world, "write_user", { addr: 0, data: "01" });
    expect(run(world, "read_user", { addr: P, size: 1 }).data).toBe("00");
  });

  it("succeeds for size 0, even on unmapped memory", () => {
    const world = worldWithMap();
    expect(run(world, "read_user", { addr: 5 * P, size: 0 })).toEqual({ kr: "KERN_SUCCESS", data: "" });
    expect(expectUnchanged(world, () => run(world, "write_user", { addr: 5 * P, data: "" })).kr).toBe("KERN_SUCCESS");
  });

  it("rejects reading unmapped memory or memory without READ with KERN_INVALID_ADDRESS", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P, cur: R });
    run(world, "enter", { addr: P, size: P, cur: W, max: VM_PROT_ALL });
    expect(run(world, "read_user", { addr: P - 1, size: 2 })).toEqual({ kr: "KERN_INVALID_ADDRESS" });
    expect(run(world, "read_user", { addr: 2 * P, size: 1 })).toEqual({ kr: "KERN_INVALID_ADDRESS" });
    expect(run(world, "read_user", { addr: P - 1, size: 1 }).kr).toBe("KERN_SUCCESS");
  });

  it("rejects writing unmapped memory or memory without WRITE with KERN_INVALID_ADDRESS, writing nothing", () => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    run(world, "enter", { addr: P, size: P, cur: R });
    expect(expectUnchanged(world, () => run(world, "write_user", { addr: P - 1, data: "0102" })).kr).toBe("KERN_INVALID_ADDRESS");
    expect(expectUnchanged(world, () => run(world, "write_user", { addr: 3 * P - 1, data: "01" })).kr).toBe("KERN_INVALID_ADDRESS");
    run(world, "remove", { addr: P, size: P });
    expect(expectUnchanged(world, () => run(world, "write_user", { addr: P - 1, data: "0102" })).kr).toBe("KERN_INVALID_ADDRESS");
  });

  it.each([
    ["a NULL map", { map: 1 }],
    ["a wrapping range", { addr: TOP - 1, size: 2 }],
    ["a NaN size", { size: NaN }],
    ["a fractional address", { addr: 0.5 }],
  ])("read rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    expect(run(world, "read_user", args)).toEqual({ kr: "KERN_INVALID_ARGUMENT" });
  });

  it.each([
    ["a NULL map", { map: 1, data: "00" }],
    ["odd-length data", { data: "abc" }],
    ["non-hex data", { data: "zz" }],
    ["data with a sign", { data: "+1" }],
    ["a wrapping range", { addr: TOP - 1, data: "0000" }],
    ["an address of 2^W", { addr: TOP, data: "" }],
  ])("write rejects %s with KERN_INVALID_ARGUMENT", (_, args) => {
    const world = worldWithMap();
    run(world, "enter", { size: P });
    expect(expectUnchanged(world, () => run(world, "write_user", args)).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("writes the last byte below 2^W", () => {
    const world = worldWithMap();
    run(world, "enter", { addr: TOP - P, size: P });
    expect(run(world, "write_user", { addr: TOP - 1, data: "ab" }).kr).toBe("KERN_SUCCESS");
    expect(run(world, "read_user", { addr: TOP - 1, size: 1 }).data).toBe("ab");
  });

  it("is fast for a huge read over a small map", () => {
    const scope = { ...DEFAULT_SCOPE, addressBits: 52 };
    const world = worldWithMap(0, 2 ** 52, scope);
    run(world, "enter", { size: 4 * scope.pageSize });
    expect(run(world, "read_user", { addr: 0, size: 2 ** 52 - 1 }).kr).toBe("KERN_INVALID_ADDRESS");
  });
});
