import { describe, expect, it } from "vitest";
import type { Kernel } from "../../impl/index.ts";
import { INVARIANTS } from "../../model-check/invariants.ts";
import { replayCommands } from "../../model-check/lockstep.ts";
import { VM_INHERIT_COPY, VM_INHERIT_SHARE, VM_PROT_COPY, VM_PROT_READ } from "../../spec/constants.ts";
import type { Op } from "../../spec/vocabulary.ts";
import { DEFAULTS, entryAt, healthy, kernel, ok, P, read, releaseEverything, SCOPE, write } from "./helpers.ts";

/**
 * Map 0; named entry 0 backed by map 1 over [0, 4P) with [0, 4P) written "1i"; map 0 maps the
 * whole entry copy-on-write at [8P, 12P).
 */
function withCowWindow(): Kernel {
  const k = kernel();
  const { entry, map } = ok(k, "region_object_create", { size: 4 * P });
  ok(k, "enter", { map: map!, addr: 0, size: 4 * P });
  for (let i = 0; i < 4; i++) write(k, i * P, `1${i}`, map!);
  ok(k, "map_memory_entry", { map: 0, addr: 8 * P, size: 4 * P, anywhere: false, entry: entry!, copy: true, inheritance: VM_INHERIT_SHARE });
  return k;
}

const invariantsHold = (k: Kernel) => {
  for (const inv of INVARIANTS) expect(inv.check(k), inv.name).toBeUndefined();
  healthy(k);
};

describe("copy-on-write submap entries", () => {
  it("are one submap entry with needs_copy, never nested, reading the submap live", () => {
    const k = withCowWindow();
    const e = entryAt(k, 8 * P);
    expect([e.submap, e.needsCopy, e.usePmap, e.end - e.start]).toEqual([k.maps[1], true, false, 4 * P]);
    write(k, P, "21", 1);
    expect(read(k, 9 * P, 1)).toBe("21");
    invariantsHold(k);
  });

  it("a write promotes its page only: clipped, mapping the submap entry's object with needs_copy; the submap entry becomes needs_copy", () => {
    const k = withCowWindow();
    const inner = entryAt(k, P, 1), o = inner.object!;
    write(k, 9 * P + 1, "aa");
    const promoted = entryAt(k, 9 * P);
    expect([promoted.start, promoted.end, promoted.submap, promoted.inheritance]).toEqual([9 * P, 10 * P, null, VM_INHERIT_COPY]);
    // The write resolved the copy: a private object (a shadow of the submap's, maybe collapsed) holds the page.
    expect([promoted.needsCopy, promoted.object === o, promoted.object!.pages.size]).toEqual([false, false, 1]);
    expect([inner.needsCopy, o.shadowed]).toEqual([true, true]);
    expect([entryAt(k, 8 * P).submap, entryAt(k, 10 * P).submap, entryAt(k, 8 * P).needsCopy]).toEqual([k.maps[1], k.maps[1], true]);
    // One map reference per remaining submap entry piece (and the handle's, and the named entry's).
    expect(k.maps[1]!.refCount).toBe(4);
    write(k, P, "31", 1);
    expect([read(k, 9 * P, 2), read(k, P, 2, 1)]).toEqual(["11aa", "3100"]);
    invariantsHold(k);
    releaseEverything(k);
    healthy(k);
  });

  it("protect VM_PROT_COPY un-nests a nested window and makes it copy-on-write", () => {
    const k = kernel();
    ok(k, "create", { min: 0, max: 16 * P });
    ok(k, "enter", { map: 1, addr: 0, size: 4 * P });
    write(k, 0, "aa", 1);
    ok(k, "submap", { map: 0, addr: 0, size: 4 * P, submap: 1, offset: 0, inheritance: VM_INHERIT_SHARE, usePmap: true });
    ok(k, "protect", { map: 0, addr: 0, size: 4 * P, prot: 3 | VM_PROT_COPY });
    expect([entryAt(k, 0).needsCopy, entryAt(k, 0).submap]).toEqual([true, k.maps[1]]);
    write(k, 1, "bb");
    expect([read(k, 0, 2), read(k, 0, 2, 1)]).toEqual(["aabb", "aa00"]);
    invariantsHold(k);
  });
});

/** Commands with the model-check scope's defaults. */
const cmd = (op: Op["op"], args: Record<string, unknown>): Op => ({ op, ...DEFAULTS[op], ...args }) as Op;

describe("copy-on-write submaps in lockstep (spec, refinement, invariants, MMU)", () => {
  const scope = { ...SCOPE, cpus: 2, frames: 16, tlbEntries: 4, tlbWays: 2, pageTableLeafBits: 2 };
  const setup = [
    cmd("create", {}),
    cmd("region_object_create", { size: 4 * P }),
    cmd("enter", { map: 1, addr: 0, size: 4 * P }),
    cmd("write_user", { map: 1, addr: 0, data: "01".repeat(4 * P) }),
    cmd("map_memory_entry", { map: 0, addr: 8 * P, size: 4 * P, anywhere: false, entry: 0, copy: true, inheritance: VM_INHERIT_SHARE }),
    cmd("switch", { cpu: 0, map: 0 }),
    cmd("switch", { cpu: 1, map: 1 }),
  ];

  it("loads see the submap's stores until a store through the window; then each side its own", () => {
    const r = replayCommands([
      ...setup,
      cmd("load", { cpu: 0, addr: 9 * P, size: 1 }),
      cmd("store", { cpu: 1, addr: P, data: "02" }),
      cmd("load", { cpu: 0, addr: 9 * P, size: 1 }),
      cmd("store", { cpu: 0, addr: 9 * P + 1, data: "03" }),
      cmd("store", { cpu: 1, addr: P, data: "04" }),
      cmd("load", { cpu: 0, addr: 9 * P, size: 2 }),
      cmd("load", { cpu: 1, addr: P, size: 2 }),
      cmd("fork", { map: 0 }),
      cmd("store", { cpu: 0, addr: 10 * P, data: "05" }),
      cmd("copyin", { map: 0, addr: 8 * P, size: 4 * P }),
      cmd("copy_overwrite", { map: 0, addr: 11 * P, copy: 0 }),
      cmd("make_memory_entry", { map: 0, addr: 8 * P, size: 4 * P, permission: 3 }),
      cmd("store", { cpu: 1, addr: 0, data: "06" }),
      cmd("load", { cpu: 0, addr: 8 * P, size: 1 }),
    ], { scope });
    expect(r.ok, r.ok ? "" : `${r.check} at ${r.step}: ${r.message}`).toBe(true);
    expect(r.history.filter((h) => h.op.op === "load").map((h) => (h.spec as { data?: string }).data)).toEqual(["01", "02", "0203", "0401", "01"]);
  });

  it("shared-region data: read-only until protect(COPY | RW), then privatized page by page", () => {
    const r = replayCommands([
      cmd("create", {}),
      cmd("shared_region_create", { textSize: P, dataSize: 2 * P, clientBase: 8 * P }),
      cmd("enter", { map: 2, addr: 0, size: 2 * P }),
      cmd("switch", { cpu: 0, map: 0 }),
      cmd("shared_region_map", { map: 0, region: 0 }),
      cmd("store", { cpu: 0, addr: 9 * P, data: "aa" }),
      cmd("protect", { map: 0, addr: 9 * P, size: 2 * P, prot: 3 | VM_PROT_COPY }),
      cmd("store", { cpu: 0, addr: 9 * P, data: "aa" }),
      cmd("write_user", { map: 2, addr: 0, data: "bb" }),
      cmd("write_user", { map: 2, addr: P, data: "cc" }),
      cmd("load", { cpu: 0, addr: 9 * P, size: 1 }),
      cmd("load", { cpu: 0, addr: 10 * P, size: 1 }),
      cmd("wire", { map: 0, addr: 10 * P, size: P, access: VM_PROT_READ, user: false }),
      cmd("store", { cpu: 0, addr: 10 * P, data: "dd" }),
      cmd("lookup", { map: 0, addr: 10 * P }),
    ], { scope });
    expect(r.ok, r.ok ? "" : `${r.check} at ${r.step}: ${r.message}`).toBe(true);
    expect(r.history.map((h) => h.spec.kr)).toEqual([
      "KERN_SUCCESS", "KERN_SUCCESS", "KERN_SUCCESS", "KERN_SUCCESS", "KERN_SUCCESS", "KERN_INVALID_ADDRESS", "KERN_SUCCESS", "KERN_SUCCESS",
      "KERN_SUCCESS", "KERN_SUCCESS", "KERN_SUCCESS", "KERN_SUCCESS", "KERN_SUCCESS", "KERN_SUCCESS", "KERN_SUCCESS",
    ]);
    expect(r.history.filter((h) => h.op.op === "load").map((h) => (h.spec as { data?: string }).data)).toEqual(["aa", "cc"]);
  });
});
