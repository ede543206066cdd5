/**
 * Properties of the whole spec: bad input never throws, returns the contract's code and changes
 * nothing; every result code is one the vocabulary lists; failures change nothing; the state
 * invariants hold after any command sequence; runs are deterministic and clones replay alike.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  abstractSpec,
  cloneSpecWorld,
  dispatch,
  newSpecWorld,
  OP_NAMES,
  SPEC,
  VOCABULARY,
  VM_MAP_COPYIN_OPT_SRC_DESTROY,
  VM_MAP_REMOVE_KUNWIRE,
  VM_PROT_ALL,
  VM_PROT_COPY,
  VM_PROT_DEFAULT,
  VM_PROT_READ,
  wouldBlock,
  type AbstractWorld,
  type KernReturn,
  type Op,
  type OpName,
  type SpecWorld,
} from "../../spec/index.ts";
import { cmd, P, run, SMALL, TOP } from "./helpers.ts";

/**
 * Map 0 over the whole space: anonymous [0, 4P) with a user wiring on page 0 and a kernel
 * wiring on page 1, a window of object 0 at [8P, 10P), some bytes. Map 1 over [4P, 32P).
 * Copy 0: an entry list of [2P, 4P); copy 1: a kernel buffer of 10 bytes at 2P + 3; copy 2:
 * an object copy of object 0's first page; copy 3: a page list of [4P, 6P) of map 1 with
 * SRC_DESTROY (a destroy-only continuation). Named entry 0: [0, 2P) of map 0, RW. Shared regions 0
 * and 1 (text and data maps 2 to 5), client base 40P.
 */
function populated(): SpecWorld {
  const world = newSpecWorld(SMALL);
  run(world, "create", { min: 0, max: TOP });
  run(world, "create", { min: 4 * P, max: 32 * P });
  run(world, "object_create", { size: 4 * P });
  run(world, "enter", { addr: 0, size: 4 * P });
  run(world, "enter", { addr: 8 * P, size: 2 * P, source: { kind: "object", object: 0, offset: P } });
  run(world, "enter", { map: 1, addr: 4 * P, size: 2 * P });
  run(world, "wire", { addr: 0, size: P, user: true });
  run(world, "wire", { addr: P, size: P, user: false });
  run(world, "write_user", { addr: P - 1, data: "0102" });
  run(world, "write_user", { addr: 8 * P, data: "03" });
  run(world, "copyin", { addr: 2 * P, size: 2 * P });
  run(world, "copyin", { addr: 2 * P + 3, size: 10 });
  run(world, "copyin_object", { object: 0, offset: 0, size: P });
  run(world, "make_memory_entry", { addr: 0, size: 2 * P, permission: VM_PROT_DEFAULT });
  run(world, "copyin_page_list", { map: 1, addr: 4 * P, size: 2 * P, options: VM_PROT_READ | VM_MAP_COPYIN_OPT_SRC_DESTROY });
  run(world, "switch", { cpu: 0, map: 0 });
  run(world, "shared_region_create", { textSize: P, dataSize: P, clientBase: 40 * P });
  run(world, "shared_region_create", { textSize: P, dataSize: 2 * P, clientBase: 40 * P });
  run(world, "reference", { map: 0 });
  run(world, "swapout", { map: 0 });
  return world;
}

/** A valid command per operation, which succeeds on {@link populated}. */
const VALID: { [K in OpName]: Op } = {
  create: cmd("create", { min: 0, max: 4 * P }),
  reference: cmd("reference", { map: 1 }),
  deallocate: cmd("deallocate", { map: 1 }),
  swapout: cmd("swapout", { map: 0 }),
  swapin: cmd("swapin", { map: 0 }),
  object_create: cmd("object_create", { size: P }),
  enter: cmd("enter", { addr: 16 * P, size: P, source: { kind: "object", object: 0, offset: 0 } }),
  find_space: cmd("find_space", { size: P }),
  remove: cmd("remove", { addr: 0, size: 4 * P, flags: VM_MAP_REMOVE_KUNWIRE }),
  protect: cmd("protect", { addr: 0, size: 2 * P, prot: VM_PROT_READ | VM_PROT_COPY }),
  inherit: cmd("inherit", { addr: 0, size: 4 * P, inheritance: 0 }),
  behavior_set: cmd("behavior_set", { addr: 0, size: 4 * P, behavior: 2 }),
  machine_attribute: cmd("machine_attribute", { addr: 0, size: P, attribute: 1, value: 6 }),
  wire: cmd("wire", { addr: 0, size: 4 * P, access: VM_PROT_READ, user: true }),
  unwire: cmd("unwire", { addr: 0, size: P, user: true }),
  simplify: cmd("simplify", { addr: P }),
  lookup: cmd("lookup", { addr: P }),
  read_user: cmd("read_user", { addr: 0, size: 8 }),
  write_user: cmd("write_user", { addr: 0, data: "ff" }),
  switch: cmd("switch", { cpu: 1, map: 1 }),
  load: cmd("load", { cpu: 0, addr: 0, size: 2 }),
  store: cmd("store", { cpu: 0, addr: 0, data: "ff" }),
  evict: cmd("evict", { frame: 3 }),
  spawn: cmd("spawn", { thread: 1, body: { op: "wire", map: 0, addr: 0, size: P, access: 1, user: true } }),
  step: cmd("step", { thread: 1, count: 2 }),
  copyin: cmd("copyin", { addr: P - 1, size: 2 }),
  copyin_object: cmd("copyin_object", { object: 0, offset: 1, size: P }),
  copyout: cmd("copyout", { copy: 0 }),
  copy_overwrite: cmd("copy_overwrite", { addr: 2 * P, copy: 0 }),
  copy_discard: cmd("copy_discard", { copy: 2 }),
  copy_copy: cmd("copy_copy", { copy: 1 }),
  copyin_page_list: cmd("copyin_page_list", { addr: P - 1, size: 2 * P, options: VM_PROT_READ | 0x70 }),
  copy_continue: cmd("copy_continue", { copy: 3 }),
  copy_abort: cmd("copy_abort", { copy: 3 }),
  copyout_page_list: cmd("copyout_page_list", { map: 1, copy: 3 }),
  steal_pages: cmd("steal_pages", { copy: 3 }),
  page_discard: cmd("page_discard", { copy: 3 }),
  region_object_create: cmd("region_object_create", { size: 2 * P }),
  shared_region_create: cmd("shared_region_create", { textSize: P, dataSize: P, clientBase: 0 }),
  shared_region_map: cmd("shared_region_map", { map: 0, region: 0 }),
  shared_region_attach: cmd("shared_region_attach", { region: 1, parent: 0 }),
  shared_region_alternate: cmd("shared_region_alternate", { region: 0, size: P }),
  shared_region_deallocate: cmd("shared_region_deallocate", { region: 1 }),
  submap: cmd("submap", { addr: 20 * P, size: 2 * P, submap: 1, offset: 4 * P, inheritance: 0, usePmap: false }),
  fork: cmd("fork", { map: 0 }),
  remap: cmd("remap", { anywhere: false, addr: 16 * P, size: 2 * P, srcAddr: 0, copy: true }),
  make_memory_entry: cmd("make_memory_entry", { addr: 0, size: 4 * P, permission: VM_PROT_READ }),
  map_memory_entry: cmd("map_memory_entry", { anywhere: false, addr: 16 * P, size: P, offset: P, cur: 1, max: 3 }),
};

/** The numeric arguments of each operation ("source.x" = a field of the memory source). */
const NUMERIC: { [K in OpName]: readonly string[] } = {
  create: ["min", "max"],
  reference: ["map"],
  deallocate: ["map"],
  swapout: ["map"],
  swapin: ["map"],
  object_create: ["size"],
  enter: ["map", "addr", "size", "mask", "alias", "cur", "max", "inheritance", "source.offset", "source.object"],
  find_space: ["map", "size", "mask"],
  remove: ["map", "addr", "size", "flags"],
  protect: ["map", "addr", "size", "prot"],
  inherit: ["map", "addr", "size", "inheritance"],
  behavior_set: ["map", "addr", "size", "behavior"],
  machine_attribute: ["map", "addr", "size", "attribute", "value"],
  wire: ["map", "addr", "size", "access"],
  unwire: ["map", "addr", "size"],
  simplify: ["map", "addr"],
  lookup: ["map", "addr"],
  read_user: ["map", "addr", "size"],
  write_user: ["map", "addr"],
  switch: ["cpu", "map"],
  load: ["cpu", "addr", "size"],
  store: ["cpu", "addr"],
  evict: ["frame"],
  spawn: ["thread"],
  step: ["thread", "count"],
  copyin: ["map", "addr", "size"],
  copyin_object: ["object", "offset", "size"],
  copyout: ["map", "copy"],
  copy_overwrite: ["map", "addr", "copy"],
  copy_discard: ["copy"],
  copy_copy: ["copy"],
  copyin_page_list: ["map", "addr", "size", "options"],
  copy_continue: ["copy"],
  copy_abort: ["copy"],
  copyout_page_list: ["map", "copy"],
  steal_pages: ["copy"],
  page_discard: ["copy"],
  submap: ["map", "addr", "size", "submap", "offset", "inheritance"],
  region_object_create: ["size"],
  shared_region_create: ["textSize", "dataSize", "clientBase"],
  shared_region_map: ["map", "region"],
  shared_region_attach: ["region", "parent"],
  shared_region_alternate: ["region", "size"],
  shared_region_deallocate: ["region"],
  fork: ["map"],
  remap: ["map", "addr", "size", "mask", "srcMap", "srcAddr", "inheritance"],
  make_memory_entry: ["map", "addr", "size", "permission"],
  map_memory_entry: ["map", "addr", "size", "mask", "entry", "offset", "cur", "max", "inheritance"],
};

const BAD_NUMBERS = [NaN, -1, -P, 0.5, P + 0.25, TOP, TOP + P, 2 ** 60, Infinity, -Infinity];

function corrupt(op: Op, fields: readonly string[], value: (field: string) => number): Op {
  const copy = structuredClone(op) as Record<string, unknown> & { source?: Record<string, unknown> };
  for (const field of fields) {
    if (field.startsWith("source.")) copy.source![field.slice(7)] = value(field);
    else copy[field] = value(field);
  }
  return copy as unknown as Op;
}

/** The code the contract gives when exactly `fields` hold bad numbers. */
function expectedCode(name: OpName, fields: readonly string[]): KernReturn {
  if (fields.includes("map") && (name === "wire" || name === "unwire")) return "KERN_INVALID_TASK";
  // copyin_object checks its object first; enter checks its source's object after the numbers.
  if (name === "copyin_object" ? fields.includes("object") : fields.every((f) => f === "source.object")) return "KERN_INVALID_OBJECT";
  return "KERN_INVALID_ARGUMENT";
}

/** Runs `op`; asserts it does not throw, returns `code` and leaves the abstract world as it was. */
function expectRejected(world: SpecWorld, op: Op, code: KernReturn): void {
  const before = abstractSpec(world);
  let kr: KernReturn | undefined;
  expect(() => (kr = dispatch(SPEC, world, op).kr), JSON.stringify(op)).not.toThrow();
  expect(kr, JSON.stringify(op)).toBe(code);
  expect(abstractSpec(world), JSON.stringify(op)).toEqual(before);
  expect(wouldBlock(world, op)).toBe(false);
}

describe("bad input", () => {
  it("the valid commands succeed on the fixture (so a rejection below is due to the bad input)", () => {
    for (const name of OP_NAMES) expect(dispatch(SPEC, populated(), VALID[name]).kr, name).toBe("KERN_SUCCESS");
  });

  it("bad numbers in any arguments return the contract code, never throw and change nothing", () => {
    const world = populated();
    const arbitrary = fc
      .constantFrom(...OP_NAMES)
      .chain((name) =>
        fc.record({
          name: fc.constant(name),
          fields: fc.subarray([...NUMERIC[name]], { minLength: 1 }),
          values: fc.func(fc.constantFrom(...BAD_NUMBERS)),
        }),
      );
    fc.assert(
      fc.property(arbitrary, ({ name, fields, values }) => {
        // max = 2^W is a valid map bound, the only number in [0, 2^W] that an address is not.
        const value = (f: string) => (name === "create" && f === "max" && values(f) === TOP ? NaN : values(f));
        expectRejected(world, corrupt(VALID[name], fields, value), expectedCode(name, fields));
      }),
      { numRuns: 1000 },
    );
  });

  it("ranges whose end passes 2^W are KERN_INVALID_ARGUMENT for every operation taking a range", () => {
    const world = populated();
    const ranged = [
      "remove", "protect", "inherit", "behavior_set", "machine_attribute", "wire", "unwire", "read_user", "enter",
      "copyin", "copyin_page_list", "make_memory_entry", "remap", "map_memory_entry",
    ] as const;
    // Aligned starts, so that enter's `trunc(addr) + round(size)` wraps exactly when the end does.
    const wrapping = fc
      .integer({ min: 1, max: TOP / P - 1 })
      .chain((page) => fc.record({ addr: fc.constant(page * P), size: fc.integer({ min: TOP - page * P + 1, max: TOP - 1 }) }))
      .filter(({ addr, size }) => addr + size > TOP);
    fc.assert(
      fc.property(fc.constantFrom(...ranged), wrapping, (name, range) => {
        expectRejected(world, { ...VALID[name], ...range } as Op, "KERN_INVALID_ARGUMENT");
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), (back, length) => {
        fc.pre(length > back);
        expectRejected(world, cmd("write_user", { addr: TOP - back, data: "00".repeat(length) }), "KERN_INVALID_ARGUMENT");
      }),
    );
    // A remap source, an object window, or an overwrite of copy 0 (2P bytes) or copy 1 (10 bytes).
    fc.assert(
      fc.property(wrapping, ({ addr, size }) => {
        expectRejected(world, { ...VALID.remap, anywhere: true, srcAddr: addr, size } as Op, "KERN_INVALID_ARGUMENT");
        expectRejected(world, cmd("copyin_object", { offset: addr, size }), "KERN_INVALID_ARGUMENT");
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 * P - 1 }), fc.boolean(), (back, buffer) => {
        fc.pre(!buffer || back < 10);
        expectRejected(world, cmd("copy_overwrite", { addr: TOP - back, copy: buffer ? 1 : 0 }), "KERN_INVALID_ARGUMENT");
      }),
    );
  });

  it.each<[string, Op, KernReturn]>([
    ["create with unaligned min", cmd("create", { min: P / 2, max: 4 * P }), "KERN_INVALID_ARGUMENT"],
    ["create with unaligned max", cmd("create", { min: 0, max: 4 * P - 1 }), "KERN_INVALID_ARGUMENT"],
    ["create with reversed bounds", cmd("create", { min: 4 * P, max: 2 * P }), "KERN_INVALID_ARGUMENT"],
    ["object_create with size 0", cmd("object_create", { size: 0 }), "KERN_INVALID_ARGUMENT"],
    ["object_create over maxObjectPages", cmd("object_create", { size: 17 * P }), "KERN_INVALID_ARGUMENT"],
    ["enter with mask 2", cmd("enter", { addr: 16 * P, mask: 2 }), "KERN_INVALID_ARGUMENT"],
    ["enter with mask P", cmd("enter", { addr: 16 * P, mask: P }), "KERN_INVALID_ARGUMENT"],
    ["enter with cur 8", cmd("enter", { addr: 16 * P, cur: 8 }), "KERN_INVALID_ARGUMENT"],
    ["enter with max 0x17", cmd("enter", { addr: 16 * P, max: VM_PROT_ALL | VM_PROT_COPY }), "KERN_INVALID_ARGUMENT"],
    ["enter with cur ⊄ max", cmd("enter", { addr: 16 * P, cur: 4, max: 3 }), "KERN_INVALID_ARGUMENT"],
    ["enter with inheritance 3", cmd("enter", { addr: 16 * P, inheritance: 3 }), "KERN_INVALID_ARGUMENT"],
    ["enter with alias 256", cmd("enter", { addr: 16 * P, alias: 256 }), "KERN_INVALID_ARGUMENT"],
    ["enter with size 0", cmd("enter", { addr: 16 * P, size: 0 }), "KERN_INVALID_ARGUMENT"],
    ["enter with an unaligned offset", cmd("enter", { addr: 16 * P, source: { kind: "object", object: 0, offset: 1 } }), "KERN_INVALID_ARGUMENT"],
    ["enter past the object", cmd("enter", { addr: 16 * P, size: 2 * P, source: { kind: "object", object: 0, offset: 3 * P } }), "KERN_INVALID_ARGUMENT"],
    ["enter of an unknown object", cmd("enter", { addr: 16 * P, source: { kind: "object", object: 1, offset: 0 } }), "KERN_INVALID_OBJECT"],
    ["find_space with mask 6", cmd("find_space", { mask: 6 }), "KERN_INVALID_ARGUMENT"],
    ["find_space with size 0", cmd("find_space", { size: 0 }), "KERN_INVALID_ARGUMENT"],
    ["remove with flag 8", cmd("remove", { flags: 8 }), "KERN_INVALID_ARGUMENT"],
    ["remove with flags 0x11", cmd("remove", { flags: 0x11 }), "KERN_INVALID_ARGUMENT"],
    ["protect with bit 8", cmd("protect", { prot: 8 }), "KERN_INVALID_ARGUMENT"],
    ["protect with bit 0x20", cmd("protect", { prot: 0x21 }), "KERN_INVALID_ARGUMENT"],
    ["inherit with 3", cmd("inherit", { inheritance: 3 }), "KERN_INVALID_ARGUMENT"],
    ["behavior_set with 4", cmd("behavior_set", { behavior: 4 }), "KERN_INVALID_ARGUMENT"],
    ["machine_attribute with attribute 0", cmd("machine_attribute", { attribute: 0 }), "KERN_INVALID_ARGUMENT"],
    ["machine_attribute with value 5", cmd("machine_attribute", { value: 5 }), "KERN_INVALID_ARGUMENT"],
    ["wire with access 8", cmd("wire", { access: 8 }), "KERN_INVALID_ARGUMENT"],
    ["wire of a NULL map with bad numbers", cmd("wire", { map: 7, access: 8, addr: NaN }), "KERN_INVALID_TASK"],
    ["write_user with odd data", cmd("write_user", { data: "123" }), "KERN_INVALID_ARGUMENT"],
    ["write_user with non-hex data", cmd("write_user", { data: "0x" }), "KERN_INVALID_ARGUMENT"],
    ["write_user with spaces", cmd("write_user", { data: "00 1" }), "KERN_INVALID_ARGUMENT"],
    ["copyin_object with size 0", cmd("copyin_object", { size: 0 }), "KERN_INVALID_ARGUMENT"],
    ["copyin_object past the object", cmd("copyin_object", { offset: 3 * P + 1, size: P }), "KERN_INVALID_ARGUMENT"],
    ["copyin_object of an unknown object", cmd("copyin_object", { object: 1, size: 0 }), "KERN_INVALID_OBJECT"],
    ["copyout of an unknown copy", cmd("copyout", { copy: 4 }), "KERN_INVALID_ARGUMENT"],
    ["copy_overwrite with an object copy", cmd("copy_overwrite", { addr: 2 * P, copy: 2 }), "KERN_INVALID_ARGUMENT"],
    ["copy_copy of an unknown copy", cmd("copy_copy", { copy: 4 }), "KERN_INVALID_ARGUMENT"],
    ["copy_discard of an unknown copy", cmd("copy_discard", { copy: 4 }), "KERN_INVALID_ARGUMENT"],
    ["copy_overwrite with a page list", cmd("copy_overwrite", { addr: 2 * P, copy: 3 }), "KERN_INVALID_ARGUMENT"],
    ["copyin_page_list with an unknown option bit", cmd("copyin_page_list", { size: P, options: 0x80 }), "KERN_INVALID_ARGUMENT"],
    ["copyin_page_list of a hole", cmd("copyin_page_list", { addr: 4 * P, size: P }), "KERN_INVALID_ADDRESS"],
    ["copyin_page_list asking more than the page grants", cmd("copyin_page_list", { addr: 8 * P, size: P, options: 7 }), "KERN_PROTECTION_FAILURE"],
    ["copy_continue of a copy without continuation", cmd("copy_continue", { copy: 0 }), "KERN_INVALID_ARGUMENT"],
    ["copy_continue of an unknown copy", cmd("copy_continue", { copy: 4 }), "KERN_INVALID_ARGUMENT"],
    ["copy_abort of an entry list", cmd("copy_abort", { copy: 0 }), "KERN_INVALID_ARGUMENT"],
    ["copyout_page_list of a kernel buffer", cmd("copyout_page_list", { copy: 1 }), "KERN_INVALID_ARGUMENT"],
    ["copyout_page_list into a NULL map", cmd("copyout_page_list", { map: 9, copy: 3 }), "KERN_INVALID_ARGUMENT"],
    ["steal_pages of an object copy", cmd("steal_pages", { copy: 2 }), "KERN_INVALID_ARGUMENT"],
    ["page_discard of an unknown copy", cmd("page_discard", { copy: 4 }), "KERN_INVALID_ARGUMENT"],
    ["remap with mask 2", ({ ...VALID.remap, mask: 2 } as Op), "KERN_INVALID_ARGUMENT"],
    ["remap with inheritance 3", ({ ...VALID.remap, inheritance: 3 } as Op), "KERN_INVALID_ARGUMENT"],
    ["remap with size 0", ({ ...VALID.remap, size: 0 } as Op), "KERN_INVALID_ARGUMENT"],
    ["make_memory_entry with size 0", cmd("make_memory_entry", { size: 0 }), "KERN_INVALID_ARGUMENT"],
    ["map_memory_entry with mask 2", ({ ...VALID.map_memory_entry, mask: 2 } as Op), "KERN_INVALID_ARGUMENT"],
    ["map_memory_entry with cur 8", ({ ...VALID.map_memory_entry, cur: 8 } as Op), "KERN_INVALID_ARGUMENT"],
    ["map_memory_entry with max 0x13", ({ ...VALID.map_memory_entry, max: 0x13 } as Op), "KERN_INVALID_ARGUMENT"],
    ["map_memory_entry with cur ⊄ max", ({ ...VALID.map_memory_entry, cur: 2, max: 1 } as Op), "KERN_INVALID_ARGUMENT"],
    ["map_memory_entry with inheritance 3", ({ ...VALID.map_memory_entry, inheritance: 3 } as Op), "KERN_INVALID_ARGUMENT"],
    ["map_memory_entry with an unaligned offset", ({ ...VALID.map_memory_entry, offset: 1 } as Op), "KERN_INVALID_ARGUMENT"],
    ["map_memory_entry of an unknown entry", ({ ...VALID.map_memory_entry, entry: 1 } as Op), "KERN_INVALID_ARGUMENT"],
    ["map_memory_entry with cur beyond the entry", ({ ...VALID.map_memory_entry, cur: 7, max: 7 } as Op), "KERN_INVALID_RIGHT"],
  ])("%s is rejected with the contract code and changes nothing", (_, op, code) => {
    expectRejected(populated(), op, code);
  });
});

// ---------------------------------------------------------------------------------------------
// Random command sequences.

/** Mostly `good`, sometimes a bad number or an edge value. */
const mostly = (good: fc.Arbitrary<number>) =>
  fc.oneof(
    { weight: 60, arbitrary: good },
    { weight: 1, arbitrary: fc.constantFrom(NaN, -1, 0.5, TOP, TOP - 1, TOP - P, 2 ** 60) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: TOP - 1 }) },
  );
const address = mostly(
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 8 }).map((i) => i * P) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 40 }).map((i) => i * P) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 * P }) },
  ),
);
const size = mostly(
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }).map((i) => i * P) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 * P }) },
  ),
);
const upTo = (max: number) => mostly(fc.integer({ min: 0, max }));
const handle = mostly(fc.constantFrom(0, 0, 0, 1, 1, 2, 3));
const mask = mostly(fc.constantFrom(0, 1, P - 1, 2 * P - 1, 4 * P - 1));
const range = { map: handle, addr: address, size };
const copyHandle = fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: mostly(fc.integer({ min: 0, max: 5 })) });
const prot = mostly(fc.constantFrom(0, 1, 3, 3, 5, 7));

const arbitraryOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("create"), min: address, max: fc.oneof(address, fc.constant(TOP)) }),
  fc.record({ op: fc.constant("reference"), map: handle }),
  fc.record({ op: fc.constant("deallocate"), map: handle }),
  fc.record({ op: fc.constant("swapout"), map: handle }),
  fc.record({ op: fc.constant("swapin"), map: handle }),
  fc.record({ op: fc.constant("object_create"), size }),
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("enter"),
      ...range,
      mask,
      anywhere: fc.boolean(),
      alias: upTo(256),
      cur: mostly(fc.constantFrom(0, 1, 3, 3, 5, 7)),
      max: mostly(fc.constantFrom(VM_PROT_ALL, VM_PROT_ALL, VM_PROT_ALL, 3, 1)),
      inheritance: mostly(fc.constantFrom(0, 1, 2)),
      source: fc.oneof(
        fc.constant({ kind: "anonymous" as const }),
        fc.record({ kind: fc.constant("object" as const), object: handle, offset: size }),
      ),
    }),
  },
  fc.record({ op: fc.constant("find_space"), map: handle, size, mask }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant("remove"), ...range, flags: mostly(fc.constantFrom(0, 1, 2, 4, 5, 6, 7, 8)) }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("protect"), ...range, prot: mostly(fc.constantFrom(0, 1, 3, 5, 7, 0x11, 0x13, 0x17, 8)), setMax: fc.boolean() }),
  },
  fc.record({ op: fc.constant("inherit"), ...range, inheritance: upTo(3) }),
  fc.record({ op: fc.constant("behavior_set"), ...range, behavior: upTo(4) }),
  fc.record({ op: fc.constant("machine_attribute"), ...range, attribute: mostly(fc.constantFrom(1, 2, 4, 3)), value: upTo(11) }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant("wire"), ...range, access: mostly(fc.constantFrom(0, 0, 1, 3, 7)), user: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("unwire"), ...range, user: fc.boolean() }) },
  fc.record({ op: fc.constant("simplify"), map: handle, addr: address }),
  fc.record({ op: fc.constant("lookup"), map: handle, addr: address }),
  fc.record({ op: fc.constant("read_user"), ...range }),
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("write_user"),
      map: handle,
      addr: address,
      data: fc.oneof(fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), maxLength: 8 }), fc.string({ maxLength: 3 })),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("copyin"), ...range, srcDestroy: fc.boolean(), useMaxprot: fc.boolean() }) },
  fc.record({ op: fc.constant("copyin_object"), object: handle, offset: size, size }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant("copyout"), map: handle, copy: copyHandle }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("copy_overwrite"), map: handle, addr: address, copy: copyHandle, interruptible: fc.boolean() }),
  },
  fc.record({ op: fc.constant("copy_discard"), copy: copyHandle }),
  fc.record({ op: fc.constant("copy_copy"), copy: copyHandle }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant("copyin_page_list"), ...range, options: mostly(fc.constantFrom(0, 1, 3, 0x9, 0x19, 0x11, 0x21, 0x41, 0x80)) }) },
  fc.record({ op: fc.constant("copy_continue"), copy: mostly(fc.integer({ min: 0, max: 5 })) }),
  fc.record({ op: fc.constant("copy_abort"), copy: mostly(fc.integer({ min: 0, max: 5 })) }),
  fc.record({ op: fc.constant("copyout_page_list"), map: handle, copy: mostly(fc.integer({ min: 0, max: 5 })) }),
  fc.record({ op: fc.constant("steal_pages"), copy: mostly(fc.integer({ min: 0, max: 5 })) }),
  fc.record({ op: fc.constant("page_discard"), copy: mostly(fc.integer({ min: 0, max: 5 })) }),
  fc.record({ op: fc.constant("fork"), map: handle }),
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("remap"), ...range, mask, anywhere: fc.boolean(), srcMap: handle, srcAddr: address, copy: fc.boolean(), inheritance: upTo(3),
    }),
  },
  fc.record({ op: fc.constant("make_memory_entry"), ...range, permission: mostly(fc.constantFrom(0, 1, 3, 7, 0x13)) }),
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("map_memory_entry"), ...range, mask, anywhere: fc.boolean(), entry: handle, offset: mostly(fc.constantFrom(0, 0, P, 2 * P, 1)), copy: fc.boolean(),
      cur: prot, max: mostly(fc.constantFrom(1, 3, 3, 7)), inheritance: upTo(3),
    }),
  },
) as fc.Arbitrary<Op>;

/** The state invariants every reachable world satisfies. */
function checkInvariants(a: AbstractWorld): void {
  const { pageSize, maxWireCount } = SMALL;
  // Entry-list copies are detached: their cells belong to nothing else. They cover whole pages.
  const elsewhere = new Set([...a.objects.flat(), ...a.maps.flatMap((m) => m?.pages.map((p) => p.cell) ?? [])]);
  for (const c of a.copies) {
    if (c?.kind !== "entry_list") continue;
    expect(c.pages).toHaveLength((Math.ceil((c.offset + c.size) / pageSize) - Math.floor(c.offset / pageSize)));
    for (const p of c.pages) expect(elsewhere.has(p.cell)).toBe(false);
  }
  for (const e of a.namedEntries) expect(e.cells.length * pageSize).toBe(e.size);
  for (const map of a.maps) {
    if (map === null) continue;
    expect(map.refCount).toBeGreaterThanOrEqual(1);
    for (const p of map.pages) {
      expect(p.page * pageSize).toBeGreaterThanOrEqual(map.min);
      expect((p.page + 1) * pageSize).toBeLessThanOrEqual(map.max);
      expect(p.prot & ~p.maxProt).toBe(0);
      expect(p.maxProt & ~VM_PROT_ALL).toBe(0);
      expect(p.inheritance).toBeLessThanOrEqual(2);
      expect(p.behavior).toBeLessThanOrEqual(3);
      expect(p.alias).toBeLessThanOrEqual(255);
      expect(p.userWiredCount).toBeGreaterThanOrEqual(0);
      expect(p.userWiredCount).toBeLessThanOrEqual(maxWireCount);
      expect(p.wiredCount).toBeLessThanOrEqual(maxWireCount);
      expect(p.wiredCount).toBeGreaterThanOrEqual(p.userWiredCount > 0 ? 1 : 0);
    }
  }
}

describe("random command sequences", () => {
  it("never throw, return listed codes, change nothing on failure and keep the invariants", () => {
    fc.assert(
      fc.property(fc.array(arbitraryOp, { maxLength: 30 }), (ops) => {
        const world = populated();
        for (const op of ops) {
          if (wouldBlock(world, op)) {
            expect(["remove", "copyin"]).toContain(op.op);
            continue;
          }
          const before = abstractSpec(world);
          const result = dispatch(SPEC, world, op);
          expect(VOCABULARY[op.op].codes, JSON.stringify([op, result])).toContain(result.kr);
          const after = abstractSpec(world);
          const query = op.op === "lookup" || op.op === "read_user" || op.op === "simplify";
          if (result.kr !== "KERN_SUCCESS" || query || (op.op === "copy_discard" && op.copy === null))
            expect(after, JSON.stringify(op)).toEqual(before);
          checkInvariants(after);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("are deterministic, and a clone replays the rest of a run exactly", () => {
    fc.assert(
      fc.property(fc.array(arbitraryOp, { maxLength: 30 }), fc.nat(30), (ops, cut) => {
        const applicable = (w: SpecWorld, op: Op) => !wouldBlock(w, op);
        const a = populated(), b = populated();
        const resultsA = ops.map((op) => (applicable(a, op) ? dispatch(SPEC, a, op) : null));
        const resultsB: unknown[] = [];
        let c: SpecWorld | undefined;
        ops.forEach((op, i) => {
          if (i === cut) c = cloneSpecWorld(b);
          resultsB.push(applicable(b, op) ? dispatch(SPEC, b, op) : null);
        });
        expect(resultsB).toEqual(resultsA);
        expect(abstractSpec(b)).toEqual(abstractSpec(a));
        if (c !== undefined) {
          for (const op of ops.slice(cut)) if (applicable(c, op)) dispatch(SPEC, c, op);
          expect(abstractSpec(c)).toEqual(abstractSpec(a));
        }
      }),
      { numRuns: 200 },
    );
  });
});
