import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Lockstep } from "../../model-check/lockstep.ts";
import { MODEL_CHECK_SCOPE } from "../../model-check/campaign.ts";
import { abstractSpec } from "../../spec/index.ts";
import type { KernReturn } from "../../spec/constants.ts";
import type { Op } from "../../spec/vocabulary.ts";

/**
 * Bad input, end to end: every operation, with each of its numeric arguments replaced by a
 * value outside its domain (NaN, negative, fractional, ≥ 2^W, infinite), with wrapping ranges
 * and with unknown flags, gets the reference's code from both spec and implementation, throws
 * nothing, and changes nothing in either world.
 */
const scope = MODEL_CHECK_SCOPE;
const ps = scope.pageSize;
const TOP = 2 ** scope.addressBits;
const BAD_NUMBERS = [Number.NaN, -1, -ps, 0.5, ps + 0.25, TOP, TOP + ps, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

/** One valid command per operation, on a populated world (map 0 at [0x1000, 0x1000 + 32 pages), object 0). */
const VALID: Op[] = [
  { op: "create", min: 0, max: 8 * ps },
  { op: "reference", map: 0 },
  { op: "deallocate", map: 1 },
  { op: "object_create", size: 2 * ps },
  { op: "enter", map: 0, addr: 0x1000 + 20 * ps, size: ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "object", object: 0, offset: 0 } },
  { op: "find_space", map: 0, size: ps, mask: 0 },
  { op: "remove", map: 0, addr: 0x1000, size: ps, flags: 0 },
  { op: "protect", map: 0, addr: 0x1000, size: ps, prot: 1, setMax: false },
  { op: "inherit", map: 0, addr: 0x1000, size: ps, inheritance: 0 },
  { op: "behavior_set", map: 0, addr: 0x1000, size: ps, behavior: 1 },
  { op: "machine_attribute", map: 0, addr: 0x1000, size: ps, attribute: 1, value: 6 },
  { op: "wire", map: 0, addr: 0x1000, size: ps, access: 1, user: true },
  { op: "unwire", map: 0, addr: 0x1000, size: ps, user: true },
  { op: "simplify", map: 0, addr: 0x1000 },
  { op: "lookup", map: 0, addr: 0x1000 },
  { op: "read_user", map: 0, addr: 0x1000, size: 4 },
  { op: "write_user", map: 0, addr: 0x1000, data: "01" },
];

function populated(): Lockstep {
  const ls = new Lockstep({ scope });
  const setup: Op[] = [
    { op: "create", min: 0x1000, max: 0x1000 + 32 * ps },
    { op: "create", min: 0, max: 8 * ps },
    { op: "object_create", size: 4 * ps },
    { op: "enter", map: 0, addr: 0x1000, size: 4 * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
    { op: "wire", map: 0, addr: 0x1000 + ps, size: ps, access: 1, user: false },
  ];
  for (const op of setup) expect(ls.step(op).spec.kr).toBe("KERN_SUCCESS");
  return ls;
}

/** The code a bad value in `field` of `op` must give. */
function expected(op: Op, field: string): KernReturn {
  if (field === "map") return op.op === "wire" || op.op === "unwire" ? "KERN_INVALID_TASK" : "KERN_INVALID_ARGUMENT";
  if (field === "object") return "KERN_INVALID_OBJECT";
  return "KERN_INVALID_ARGUMENT";
}

/** Every numeric field path of a command: top-level numbers and the source's. */
function numericFields(op: Op): string[] {
  const fields = Object.entries(op).filter(([, v]) => typeof v === "number").map(([k]) => k);
  if (op.op === "enter" && op.source.kind === "object") fields.push("object", "offset");
  return fields;
}

function withField(op: Op, field: string, value: number): Op {
  if (op.op === "enter" && (field === "object" || field === "offset") && op.source.kind === "object")
    return { ...op, source: { ...op.source, [field]: value } };
  return { ...op, [field]: value } as Op;
}

/** Run `op` on a fresh populated world; both sides must agree and nothing may change. */
function runBad(op: Op): KernReturn {
  const ls = populated();
  const before = JSON.stringify([abstractSpec(ls.spec), ls.sut.abstract()]);
  const record = ls.step(op); // throws on any disagreement, exception or broken invariant
  expect(JSON.stringify([abstractSpec(ls.spec), ls.sut.abstract()])).toBe(before);
  return record.spec.kr;
}

describe("bad input", () => {
  it("every valid template succeeds (so the bad variants below test validation, not state)", () => {
    for (const op of VALID) {
      const ls = populated();
      expect(ls.step(op).spec.kr, op.op).toBe("KERN_SUCCESS");
    }
  });

  it("numbers outside their domain get the reference's code, on both sides, changing nothing", () => {
    const cases = VALID.flatMap((op) => numericFields(op).map((field) => ({ op, field })));
    fc.assert(
      fc.property(fc.constantFrom(...cases), fc.constantFrom(...BAD_NUMBERS), ({ op, field }, bad) => {
        // A map may end at the very top of the address space: create's max = 2^W is valid.
        if (op.op === "create" && field === "max" && bad === TOP) return;
        expect(runBad(withField(op, field, bad)), `${op.op}.${field} = ${bad}`).toBe(expected(op, field));
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  it("ranges that wrap past 2^W are rejected with KERN_INVALID_ARGUMENT", () => {
    for (const op of VALID) {
      if (!("size" in op) || !("addr" in op)) continue;
      for (const [addr, size] of [[TOP - ps, 2 * ps], [TOP - 1, 2], [ps, TOP - 1]] as const) {
        // enter widens like vm_allocate: [trunc(addr), trunc(addr) + round(size)), which fits here.
        if (op.op === "enter" && addr === TOP - 1) continue;
        expect(runBad({ ...op, addr, size } as Op), `${op.op} [${addr}, +${size})`).toBe("KERN_INVALID_ARGUMENT");
      }
    }
    expect(runBad({ op: "write_user", map: 0, addr: TOP - 1, data: "0102" })).toBe("KERN_INVALID_ARGUMENT");
  });

  it("unknown flags, bits and values are rejected with KERN_INVALID_ARGUMENT", () => {
    const unknown: Op[] = [
      { op: "remove", map: 0, addr: 0x1000, size: ps, flags: 8 },
      { op: "protect", map: 0, addr: 0x1000, size: ps, prot: 0x20, setMax: false },
      { op: "protect", map: 0, addr: 0x1000, size: ps, prot: 8, setMax: true },
      { op: "inherit", map: 0, addr: 0x1000, size: ps, inheritance: 3 },
      { op: "behavior_set", map: 0, addr: 0x1000, size: ps, behavior: 4 },
      { op: "machine_attribute", map: 0, addr: 0x1000, size: ps, attribute: 3, value: 6 },
      { op: "machine_attribute", map: 0, addr: 0x1000, size: ps, attribute: 1, value: 5 },
      { op: "wire", map: 0, addr: 0x1000, size: ps, access: 8, user: true },
      { op: "write_user", map: 0, addr: 0x1000, data: "0g" },
      { op: "write_user", map: 0, addr: 0x1000, data: "012" },
      { op: "object_create", size: 17 * ps },
      { op: "create", min: ps + 1, max: 4 * ps },
      { op: "create", min: 4 * ps, max: ps },
    ];
    const enter = VALID[4] as Op & { op: "enter" };
    unknown.push(
      { ...enter, cur: 8 },
      { ...enter, max: 0x10 },
      { ...enter, cur: 7, max: 3 },
      { ...enter, alias: 256 },
      { ...enter, inheritance: 3 },
      { ...enter, mask: 3 * ps - 1 },
      { ...enter, size: 0 },
      { ...enter, source: { kind: "object", object: 0, offset: 1 } },
      { ...enter, source: { kind: "object", object: 0, offset: 4 * ps } },
    );
    for (const op of unknown) expect(runBad(op), JSON.stringify(op)).toBe("KERN_INVALID_ARGUMENT");
  });
});
