import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Kernel } from "../../impl/index.ts";
import { checkKernel } from "../../impl/map/map-check.ts";
import { abstractImpl } from "../../model-check/abstraction.ts";
import type { KernReturn } from "../../spec/constants.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op, OpArgs, OpName } from "../../spec/vocabulary.ts";

const SCOPE: Scope = { addressBits: 16, pageSize: 256, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 4096 };
const P = SCOPE.pageSize;
const TOP = 2 ** SCOPE.addressBits;

const ANON = { kind: "anonymous" } as const;

/** A kernel with some state worth protecting: two maps, objects, wired and shared pages, bytes. */
function populated(): Kernel {
  const k = new Kernel(SCOPE);
  const ops: Op[] = [
    { op: "create", min: 0, max: TOP },
    { op: "create", min: 16 * P, max: 64 * P },
    { op: "object_create", size: 4 * P },
    { op: "enter", map: 0, addr: 0, size: 4 * P, mask: 0, anywhere: false, alias: 1, cur: 3, max: 7, inheritance: 1, source: ANON },
    { op: "enter", map: 0, addr: 8 * P, size: 2 * P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 0, source: { kind: "object", object: 0, offset: P } },
    { op: "enter", map: 1, addr: 0, size: 3 * P, mask: 0, anywhere: true, alias: 0, cur: 1, max: 3, inheritance: 2, source: { kind: "object", object: 0, offset: 0 } },
    { op: "write_user", map: 0, addr: 5, data: "deadbeef" },
    { op: "write_user", map: 0, addr: 8 * P + 3, data: "0102" },
    { op: "wire", map: 0, addr: P, size: P, access: 1, user: true },
    { op: "wire", map: 0, addr: 2 * P, size: P, access: 1, user: false },
    { op: "find_space", map: 1, size: P, mask: 0 },
    { op: "copyin", map: 0, addr: 0, size: 2 * P, srcDestroy: false, useMaxprot: true },
    { op: "copyin_object", object: 0, offset: 0, size: P },
    { op: "copyin", map: 0, addr: 3, size: 4, srcDestroy: false, useMaxprot: false },
    { op: "make_memory_entry", map: 0, addr: 0, size: 2 * P, permission: 1 },
  ];
  for (const op of ops) expect(k.run(op).kr).toBe("KERN_SUCCESS");
  return k;
}

// ---- bad numbers ----

const badNumber = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -1, -P, 0.5, TOP, TOP + P, 2 ** 53),
  fc.integer({ min: 0, max: TOP }).map((x) => x + 0.25),
  fc.integer({ min: 1, max: 2 ** 40 }).map((x) => -x),
  fc.integer({ min: TOP, max: 2 ** 50 }),
);
/** `[addr, addr + size)` whose page-rounded end passes 2^W, both numbers valid. */
const wrapping = fc
  .tuple(fc.integer({ min: 1, max: TOP - 1 }), fc.integer({ min: 1, max: 3 * P }))
  .filter(([a, k]) => a > k)
  .map(([a, k]) => ({ addr: a, size: TOP - a + k }));
const badMap = fc.oneof(badNumber, fc.constantFrom(2, 3, 1000));

interface Case {
  readonly op: Op;
  readonly kr: KernReturn;
}

/** One field of `base` replaced by each bad value: every case expects `kr`. */
function withBad<K extends OpName>(name: K, base: OpArgs<K>, fields: readonly (keyof OpArgs<K>)[], kr: KernReturn = "KERN_INVALID_ARGUMENT"): fc.Arbitrary<Case> {
  return fc.tuple(fc.constantFrom(...fields), badNumber).map(([field, value]) => ({ op: { op: name, ...base, [field]: value } as Op, kr }));
}
const with_ = <K extends OpName>(name: K, base: OpArgs<K>, over: fc.Arbitrary<Partial<OpArgs<K>>>, kr: KernReturn = "KERN_INVALID_ARGUMENT"): fc.Arbitrary<Case> =>
  over.map((o) => ({ op: { op: name, ...base, ...o } as Op, kr }));

const ENTER: OpArgs<"enter"> = { map: 0, addr: 16 * P, size: P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: ANON };
const RANGE = { map: 0, addr: 0, size: P };

const COPY = { map: 0, copy: 0 };
const REMAP: OpArgs<"remap"> = { map: 1, addr: 0, size: P, mask: 0, anywhere: true, srcMap: 0, srcAddr: 0, copy: false, inheritance: 1 };
const MAPME: OpArgs<"map_memory_entry"> = { map: 1, addr: 0, size: P, mask: 0, anywhere: true, entry: 0, offset: 0, copy: false, cur: 1, max: 1, inheritance: 1 };
const badHandle = fc.oneof(badNumber, fc.constantFrom(4, 5, 99));

const badTransfers: fc.Arbitrary<Case> = fc.oneof(
  // copyin
  withBad("copyin", { ...RANGE, srcDestroy: true, useMaxprot: false }, ["addr", "size"]),
  with_("copyin", { ...RANGE, srcDestroy: true, useMaxprot: true }, badMap.map((map) => ({ map }))),
  with_("copyin", { ...RANGE, srcDestroy: true, useMaxprot: false }, wrapping),
  with_("copyin", { ...RANGE, srcDestroy: true, useMaxprot: true }, wrapping),
  // copyin_object: an unknown object first, then the window
  with_("copyin_object", { object: 0, offset: 0, size: P }, badHandle.map((object) => ({ object, size: NaN })), "KERN_INVALID_OBJECT"),
  withBad("copyin_object", { object: 0, offset: 0, size: P }, ["offset", "size"]),
  with_("copyin_object", { object: 0, offset: 0, size: P }, fc.constantFrom({ size: 0 }, { offset: 3 * P + 1, size: P }, { offset: TOP - 1, size: 2 })),
  // copyout, copy_overwrite, copy_discard, copy_copy
  with_("copyout", COPY, badMap.map((map) => ({ map }))),
  with_("copyout", COPY, badHandle.map((copy) => ({ copy }))),
  with_("copy_overwrite", { ...COPY, addr: 0, interruptible: false }, badMap.map((map) => ({ map }))),
  withBad("copy_overwrite", { ...COPY, addr: 0, interruptible: false }, ["addr"]),
  with_("copy_overwrite", { ...COPY, addr: 0, interruptible: false }, badHandle.map((copy) => ({ copy }))),
  with_("copy_overwrite", { ...COPY, addr: 0, interruptible: false }, fc.constantFrom({ copy: 1 }, { copy: 2, addr: TOP - 2 }, { addr: TOP - P })),
  with_("copy_discard", { copy: 0 }, badHandle.map((copy) => ({ copy }))),
  with_("copy_copy", { copy: 0 }, badHandle.map((copy) => ({ copy }))),
  // fork
  with_("fork", { map: 0 }, badMap.map((map) => ({ map }))),
  // remap
  with_("remap", REMAP, badMap.map((map) => ({ map }))),
  with_("remap", REMAP, badMap.map((srcMap) => ({ srcMap }))),
  withBad("remap", REMAP, ["addr", "size", "mask", "srcAddr", "inheritance"]),
  with_("remap", REMAP, fc.constantFrom<Partial<OpArgs<"remap">>>({ mask: 2 }, { inheritance: 3 }, { size: 0 }, { srcAddr: TOP - P, size: 2 * P }, { anywhere: false, addr: TOP - P, size: 2 * P })),
  // make_memory_entry
  with_("make_memory_entry", { ...RANGE, permission: 1 }, badMap.map((map) => ({ map }))),
  withBad("make_memory_entry", { ...RANGE, permission: 1 }, ["addr", "size", "permission"]),
  with_("make_memory_entry", { ...RANGE, permission: 1 }, fc.constantFrom<Partial<OpArgs<"make_memory_entry">>>({ size: 0 })),
  with_("make_memory_entry", { ...RANGE, permission: 1 }, wrapping),
  // map_memory_entry
  with_("map_memory_entry", MAPME, badMap.map((map) => ({ map }))),
  with_("map_memory_entry", MAPME, badHandle.map((entry) => ({ entry }))),
  withBad("map_memory_entry", MAPME, ["addr", "size", "mask", "offset", "cur", "max", "inheritance"]),
  with_("map_memory_entry", MAPME, fc.constantFrom<Partial<OpArgs<"map_memory_entry">>>(
    { mask: 2 }, { size: 0 }, { cur: 8, max: 8 }, { cur: 1, max: 0 }, { inheritance: 3 }, { offset: 1 }, { offset: 2 * P }, { size: 2 * P + 1 },
    { anywhere: false, addr: TOP - P, size: 2 * P },
  )),
  with_("map_memory_entry", MAPME, fc.constantFrom<Partial<OpArgs<"map_memory_entry">>>({ cur: 3, max: 3 }, { max: 5 }), "KERN_INVALID_RIGHT"),
);

const badCases: fc.Arbitrary<Case> = fc.oneof(
  { weight: 30, arbitrary: badTransfers },
  // create
  withBad("create", { min: 0, max: TOP }, ["min"]),
  // A map's max may be 2^W itself.
  with_("create", { min: 0, max: TOP }, badNumber.filter((max) => max !== TOP).map((max) => ({ max }))),
  with_("create", { min: 0, max: TOP }, fc.constantFrom({ min: 3 }, { max: P + 1 }, { min: 2 * P, max: P }, { max: TOP + P })),
  // reference, deallocate
  with_("reference", { map: 0 }, badMap.map((map) => ({ map }))),
  with_("deallocate", { map: 0 }, badMap.map((map) => ({ map }))),
  // object_create
  withBad("object_create", { size: P }, ["size"]),
  with_("object_create", { size: P }, fc.constantFrom({ size: 0 }, { size: 16 * P + 1 })),
  // enter: step 1
  withBad("enter", ENTER, ["addr", "size", "mask", "alias", "cur", "max", "inheritance"]),
  with_("enter", ENTER, badMap.map((map) => ({ map }))),
  with_("enter", ENTER, badNumber.map((offset) => ({ source: { kind: "object" as const, object: 0, offset } }))),
  with_("enter", ENTER, fc.constantFrom<Partial<OpArgs<"enter">>>(
    { mask: 2 }, { mask: 5 }, { mask: P + 1 }, { cur: 8 }, { max: 9 }, { cur: 7, max: 3 }, { cur: 2, max: 1 },
    { inheritance: 3 }, { alias: 256 }, { size: 0 }, { size: 0, anywhere: true },
  )),
  // Fixed enter places round(size) bytes at trunc(addr) (vm_allocate), so that is what must not wrap.
  with_("enter", ENTER, wrapping.filter(({ addr, size }) => addr - (addr % P) + Math.ceil(size / P) * P > TOP)),
  // enter: step 2
  with_("enter", ENTER, fc.constantFrom(1, 5, -1, NaN, 0.5).map((object) => ({ source: { kind: "object" as const, object, offset: 0 } })), "KERN_INVALID_OBJECT"),
  with_("enter", ENTER, fc.constantFrom(1, P + 1, 4 * P, 3 * P + P).map((offset) => ({ size: P, source: { kind: "object" as const, object: 0, offset } }))),
  // find_space
  withBad("find_space", { map: 0, size: P, mask: 0 }, ["size", "mask"]),
  with_("find_space", { map: 0, size: P, mask: 0 }, fc.constantFrom({ size: 0 }, { mask: 6 }, { map: 9 })),
  // remove
  withBad("remove", { ...RANGE, flags: 0 }, ["addr", "size", "flags"]),
  with_("remove", { ...RANGE, flags: 0 }, fc.constantFrom({ flags: 8 }, { flags: 16 }, { flags: 9 }, { map: 7 })),
  with_("remove", { ...RANGE, flags: 0 }, wrapping),
  // protect
  withBad("protect", { ...RANGE, prot: 1, setMax: false }, ["addr", "size", "prot"]),
  with_("protect", { ...RANGE, prot: 1, setMax: false }, fc.constantFrom({ prot: 8 }, { prot: 0x20 }, { prot: 0x18 }, { map: NaN })),
  with_("protect", { ...RANGE, prot: 1, setMax: false }, wrapping),
  // inherit
  withBad("inherit", { ...RANGE, inheritance: 0 }, ["addr", "size", "inheritance"]),
  with_("inherit", { ...RANGE, inheritance: 0 }, fc.constantFrom({ inheritance: 3 }, { inheritance: 4 }, { map: -1 })),
  with_("inherit", { ...RANGE, inheritance: 0 }, wrapping),
  // behavior_set
  withBad("behavior_set", { ...RANGE, behavior: 0 }, ["addr", "size", "behavior"]),
  with_("behavior_set", { ...RANGE, behavior: 0 }, fc.constantFrom({ behavior: 4 }, { behavior: 255 }, { map: 5 })),
  with_("behavior_set", { ...RANGE, behavior: 0 }, wrapping),
  // machine_attribute
  withBad("machine_attribute", { ...RANGE, attribute: 1, value: 1 }, ["addr", "size", "attribute", "value"]),
  with_("machine_attribute", { ...RANGE, attribute: 1, value: 1 }, fc.constantFrom({ attribute: 0 }, { attribute: 3 }, { value: 3 }, { value: 11 }, { map: 5 })),
  with_("machine_attribute", { ...RANGE, attribute: 1, value: 1 }, wrapping),
  // wire, unwire
  with_("wire", { ...RANGE, access: 1, user: true }, badMap.map((map) => ({ map })), "KERN_INVALID_TASK"),
  withBad("wire", { ...RANGE, access: 1, user: true }, ["addr", "size", "access"]),
  with_("wire", { ...RANGE, access: 1, user: true }, fc.constantFrom({ access: 8 }, { access: 0x10 })),
  with_("wire", { ...RANGE, access: 1, user: false }, wrapping),
  with_("unwire", { ...RANGE, user: true }, badMap.map((map) => ({ map })), "KERN_INVALID_TASK"),
  withBad("unwire", { ...RANGE, user: false }, ["addr", "size"]),
  with_("unwire", { ...RANGE, user: true }, wrapping),
  // simplify, lookup
  withBad("simplify", { map: 0, addr: 0 }, ["addr"]),
  with_("simplify", { map: 0, addr: 0 }, badMap.map((map) => ({ map }))),
  withBad("lookup", { map: 0, addr: 0 }, ["addr"]),
  with_("lookup", { map: 0, addr: 0 }, badMap.map((map) => ({ map }))),
  // read_user, write_user
  withBad("read_user", RANGE, ["addr", "size"]),
  with_("read_user", RANGE, wrapping),
  with_("read_user", RANGE, badMap.map((map) => ({ map }))),
  withBad("write_user", { map: 0, addr: 0, data: "00" }, ["addr"]),
  with_("write_user", { map: 0, addr: 0, data: "00" }, fc.constantFrom("0", "abc", "zz", "0x00", " 00", "0g").map((data) => ({ data }))),
  with_("write_user", { map: 0, addr: 0, data: "00" }, fc.integer({ min: 1, max: 8 }).map((k) => ({ addr: TOP - k + 1, data: "00".repeat(k) }))),
);

describe("bad input", () => {
  it("every handler returns the contract's code, throws nothing and changes nothing", () => {
    fc.assert(
      fc.property(badCases, ({ op, kr }) => {
        const k = populated();
        const before = abstractImpl(k);
        const stamps = k.maps.map((m) => m?.timestamp);
        expect(k.run(op)).toEqual({ kr });
        expect(abstractImpl(k)).toEqual(before);
        expect(k.maps.map((m) => m?.timestamp)).toEqual(stamps);
        expect(checkKernel(k)).toBeUndefined();
      }),
      { numRuns: 600 },
    );
  });

  it("accepts a map ending at 2^W and the last page of the address space", () => {
    const k = new Kernel(SCOPE);
    expect(k.run({ op: "create", min: TOP - 4 * P, max: TOP })).toEqual({ kr: "KERN_SUCCESS", map: 0 });
    expect(k.run({ ...ENTER, op: "enter", addr: TOP - P, size: P })).toEqual({ kr: "KERN_SUCCESS", addr: TOP - P });
    expect(k.run({ op: "write_user", map: 0, addr: TOP - 1, data: "7f" }).kr).toBe("KERN_SUCCESS");
    expect(k.run({ op: "read_user", map: 0, addr: TOP - 2, size: 2 })).toEqual({ kr: "KERN_SUCCESS", data: "007f" });
    expect(k.run({ op: "remove", map: 0, addr: TOP - P, size: P, flags: 0 }).kr).toBe("KERN_SUCCESS");
  });
});

// ---- random commands: failing operations change nothing; the structure stays sound ----

const page = fc.integer({ min: 0, max: 24 }).map((p) => p * P);
const addr = fc.oneof({ weight: 4, arbitrary: page }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 24 * P }) });
const size = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 6 }).map((p) => p * P) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 * P }) });
const map = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) });
const source = fc.oneof(
  { weight: 3, arbitrary: fc.constant(ANON) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("object" as const), object: fc.nat(1), offset: fc.nat(3).map((x) => x * P) }) },
);
const command: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("enter" as const), map, addr, size: fc.integer({ min: 1, max: 4 * P }), mask: fc.constantFrom(0, 2 * P - 1), anywhere: fc.boolean(), alias: fc.constantFrom(0, 1), cur: fc.constantFrom(1, 3), max: fc.constantFrom(3, 7), inheritance: fc.constantFrom(0, 1), source }),
  fc.record({ op: fc.constant("find_space" as const), map, size: fc.integer({ min: 1, max: 3 * P }), mask: fc.constant(0) }),
  fc.record({ op: fc.constant("remove" as const), map, addr, size, flags: fc.constantFrom(0, 1) }),
  fc.record({ op: fc.constant("protect" as const), map, addr, size, prot: fc.constantFrom(0, 1, 3, 7, 0x13), setMax: fc.boolean() }),
  fc.record({ op: fc.constant("inherit" as const), map, addr, size, inheritance: fc.constantFrom(0, 2) }),
  fc.record({ op: fc.constant("behavior_set" as const), map, addr, size, behavior: fc.constantFrom(0, 2) }),
  fc.record({ op: fc.constant("wire" as const), map, addr, size, access: fc.constantFrom(0, 1, 3), user: fc.boolean() }),
  fc.record({ op: fc.constant("unwire" as const), map, addr, size, user: fc.boolean() }),
  fc.record({ op: fc.constant("simplify" as const), map, addr }),
  fc.record({ op: fc.constant("write_user" as const), map, addr, data: fc.constantFrom("", "01", "a5a5a5", "ff".repeat(P + 2)) }),
  fc.record({ op: fc.constant("read_user" as const), map, addr, size: fc.integer({ min: 0, max: 2 * P }) }),
  fc.record({ op: fc.constant("reference" as const), map: fc.constant(1) }),
  fc.record({ op: fc.constant("deallocate" as const), map: fc.constant(1) }),
);

describe("random command sequences", () => {
  it("a failing operation changes nothing observable, and every check of the map holds after each command", () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 5, maxLength: 40 }), (cmds) => {
        const k = new Kernel(SCOPE);
        k.run({ op: "create", min: 0, max: 20 * P });
        k.run({ op: "create", min: 4 * P, max: 24 * P });
        k.run({ op: "object_create", size: 4 * P });
        k.run({ op: "object_create", size: 4 * P });
        for (const op of cmds) {
          const before = abstractImpl(k);
          const r = k.run(op);
          if (r.kr !== "KERN_SUCCESS") expect(abstractImpl(k), `${JSON.stringify(op)} -> ${r.kr}`).toEqual(before);
          const problem = checkKernel(k);
          if (problem) throw new Error(`after ${JSON.stringify(op)}: ${problem}`);
        }
      }),
      { numRuns: 250 },
    );
  });

  it("reads back what was written, through every alias of a memory object", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 * P - 1 }), fc.uint8Array({ minLength: 1, maxLength: 40 }), (at, bytes) => {
        const k = new Kernel(SCOPE);
        k.run({ op: "create", min: 0, max: 64 * P });
        k.run({ op: "create", min: 0, max: 64 * P });
        k.run({ op: "object_create", size: 8 * P });
        k.run({ ...ENTER, op: "enter", map: 0, addr: 0, size: 5 * P, source: { kind: "object", object: 0, offset: 0 } });
        k.run({ ...ENTER, op: "enter", map: 1, addr: 10 * P, size: 5 * P, source: { kind: "object", object: 0, offset: 0 } });
        const hex = Buffer.from(bytes).toString("hex");
        expect(k.run({ op: "write_user", map: 0, addr: at, data: hex }).kr).toBe("KERN_SUCCESS");
        expect(k.run({ op: "read_user", map: 1, addr: 10 * P + at, size: bytes.length })).toEqual({ kr: "KERN_SUCCESS", data: hex });
      }),
      { numRuns: 100 },
    );
  });
});
