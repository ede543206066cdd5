import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Kernel, VmMap, type EntryAttributes, type VmMapEntry } from "../../impl/index.ts";
import { checkKernel, checkMap } from "../../impl/map/map-check.ts";
import { defaultArgs } from "./helpers.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op, OpArgs, OpName, OpResult } from "../../spec/vocabulary.ts";

const SCOPE: Scope = { addressBits: 16, pageSize: 256, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 4096 };
const P = SCOPE.pageSize;

const DEFAULTS: { [K in OpName]: OpArgs<K> } = {
  ...defaultArgs(P),
  create: { min: 0, max: 64 * P },
  object_create: { size: 8 * P },
  copyin: { map: 0, addr: 0, size: P, srcDestroy: false, useMaxprot: true },
};

/** Run `name` with the defaults overridden by `args`. */
function run<K extends OpName>(k: Kernel, name: K, args: Partial<OpArgs<K>> = {}): OpResult {
  return k.run({ op: name, ...DEFAULTS[name], ...args } as Op);
}

/** A kernel with one map over [0, 64 pages). */
function world(mapClass?: typeof VmMap): { k: Kernel; m: VmMap } {
  const k = mapClass ? new Kernel(SCOPE, { mapClass }) : new Kernel(SCOPE);
  run(k, "create");
  return { k, m: k.maps[0]! };
}

function entries(m: VmMap): VmMapEntry[] {
  const out: VmMapEntry[] = [];
  for (let e = m.store.header.next; e !== m.store.header; e = e.next) out.push(e);
  return out;
}
const ranges = (m: VmMap) => entries(m).map((e) => [e.start / P, e.end / P]);

function healthy(k: Kernel): void {
  expect(checkKernel(k)).toBeUndefined();
}

describe("clipping", () => {
  it("clipStart splits an entry, keeps the map size and adds an object reference", () => {
    const { k, m } = world();
    run(k, "enter", { size: 4 * P });
    run(k, "write_user", { addr: 0, data: "01" });
    const e = entries(m)[0]!;
    const o = e.object!;
    expect(o.refCount).toBe(1);
    m.clipStart(e, 2 * P);
    expect(ranges(m)).toEqual([[0, 2], [2, 4]]);
    expect(m.size).toBe(4 * P);
    expect(o.refCount).toBe(2);
    expect(entries(m).map((x) => x.offset)).toEqual([0, 2 * P]);
    healthy(k);
  });

  it("clipEnd splits an entry at the address, the upper part continuing the object window", () => {
    const { k, m } = world();
    run(k, "enter", { size: 4 * P });
    run(k, "wire", { size: 4 * P });
    const e = entries(m)[0]!;
    m.clipEnd(e, 3 * P);
    expect(ranges(m)).toEqual([[0, 3], [3, 4]]);
    const [a, b] = entries(m);
    expect(b!.object).toBe(a!.object);
    expect(b!.offset).toBe(3 * P);
    expect(b!.wiredCount).toBe(1);
    expect(b!.userWiredCount).toBe(1);
    expect(a!.object!.refCount).toBe(2);
    healthy(k);
  });

  it("clipping at an entry boundary changes nothing", () => {
    const { k, m } = world();
    run(k, "enter", { addr: P, size: 2 * P });
    const e = entries(m)[0]!;
    m.clipStart(e, P);
    m.clipEnd(e, 3 * P);
    expect(m.nentries).toBe(1);
    healthy(k);
  });

  it("clipping a zero-fill entry leaves both halves without an object", () => {
    const { k, m } = world();
    run(k, "enter", { size: 2 * P });
    m.clipEnd(entries(m)[0]!, P);
    expect(entries(m).map((e) => e.object)).toEqual([null, null]);
    expect(entries(m).map((e) => e.offset)).toEqual([0, P]);
    healthy(k);
  });

  it("keeps first_free on the entry before the lowest hole when the clipped entry ended at it", () => {
    const { k, m } = world();
    run(k, "enter", { size: 2 * P });
    const e = entries(m)[0]!;
    expect(m.firstFree).toBe(e);
    m.clipEnd(e, P);
    expect(m.firstFree).toBe(entries(m)[1]);
    healthy(k);
  });
});

describe("enter coalescing", () => {
  const enterAt = (k: Kernel, page: number, args: Partial<OpArgs<"enter">> = {}) =>
    run(k, "enter", { addr: page * P, ...args });

  it("extends the predecessor for an adjacent anonymous range with identical attributes", () => {
    const { k, m } = world();
    enterAt(k, 0, { size: 2 * P });
    enterAt(k, 2);
    expect(ranges(m)).toEqual([[0, 3]]);
    expect(m.size).toBe(3 * P);
    healthy(k);
  });

  it("coalesces anywhere allocations too", () => {
    const { k, m } = world();
    run(k, "enter", { anywhere: true });
    run(k, "enter", { anywhere: true });
    expect(ranges(m)).toEqual([[0, 2]]);
  });

  it.each<[string, Partial<OpArgs<"enter">>]>([
    ["protection", { cur: 1 }],
    ["max protection", { max: 3 }],
    ["inheritance", { inheritance: 0 }],
    ["alias", { alias: 9 }],
  ])("does not coalesce when the %s differs", (_, args) => {
    const { k, m } = world();
    enterAt(k, 0);
    enterAt(k, 1, args);
    expect(m.nentries).toBe(2);
    healthy(k);
  });

  it("does not coalesce across a gap", () => {
    const { k, m } = world();
    enterAt(k, 0);
    enterAt(k, 2);
    expect(m.nentries).toBe(2);
  });

  it("does not coalesce with a wired predecessor", () => {
    const { k, m } = world();
    enterAt(k, 0);
    run(k, "wire", { addr: 0 });
    enterAt(k, 1);
    expect(m.nentries).toBe(2);
    healthy(k);
  });

  it("does not coalesce with a predecessor whose behavior is not DEFAULT", () => {
    const { k, m } = world();
    enterAt(k, 0);
    run(k, "behavior_set", { addr: 0, behavior: 2 });
    enterAt(k, 1);
    expect(m.nentries).toBe(2);
  });

  it("does not coalesce an object window, nor onto one", () => {
    const { k, m } = world();
    run(k, "object_create");
    enterAt(k, 0, { source: { kind: "object", object: 0, offset: 0 } });
    enterAt(k, 1);
    enterAt(k, 2, { source: { kind: "object", object: 0, offset: P } });
    expect(m.nentries).toBe(3);
    healthy(k);
  });

  it("does not coalesce when the predecessor's object has another user", () => {
    const { k, m } = world();
    enterAt(k, 0, { size: 2 * P });
    run(k, "write_user", { addr: 0, data: "01" }); // creates the object
    m.clipEnd(entries(m)[0]!, P);
    run(k, "remove", { addr: 2 * P, size: P }); // nothing there; entries still share the object
    const [, upper] = entries(m);
    expect(upper!.object!.refCount).toBe(2);
    enterAt(k, 2);
    expect(m.nentries).toBe(3);
    healthy(k);
  });

  it("grows the predecessor's object and discards its stale pages in the new range", () => {
    const { k, m } = world();
    enterAt(k, 0, { size: 3 * P });
    run(k, "write_user", { addr: 0, data: "aa".repeat(3 * P) });
    run(k, "remove", { addr: P, size: 2 * P }); // pages 1, 2 stay behind in the object
    expect(entries(m)[0]!.object!.refCount).toBe(1);
    enterAt(k, 1, { size: 2 * P });
    expect(ranges(m)).toEqual([[0, 3]]);
    expect(run(k, "read_user", { addr: P, size: 4 })).toEqual({ kr: "KERN_SUCCESS", data: "00000000" });
    expect(run(k, "read_user", { addr: 0, size: 2 })).toEqual({ kr: "KERN_SUCCESS", data: "aaaa" });
    healthy(k);
  });

  it("asks canCoalesce through the map object (a subclass can forbid it)", () => {
    class NoCoalesce extends VmMap {
      override canCoalesce(): boolean {
        return false;
      }
    }
    const { k, m } = world(NoCoalesce);
    enterAt(k, 0);
    enterAt(k, 1);
    expect(m.nentries).toBe(2);
  });
});

describe("simplify", () => {
  it("merges the pieces a clip made back into one entry", () => {
    const { k, m } = world();
    run(k, "enter", { size: 3 * P });
    run(k, "write_user", { addr: 0, data: "01" });
    run(k, "protect", { addr: P, prot: 1 });
    run(k, "protect", { addr: P, prot: 3 });
    expect(m.nentries).toBe(3);
    const o = entries(m)[0]!.object!;
    expect(o.refCount).toBe(3);
    run(k, "simplify", { addr: P });
    expect(ranges(m)).toEqual([[0, 3]]);
    expect(o.refCount).toBe(1);
    expect(m.size).toBe(3 * P);
    healthy(k);
  });

  it("merges contiguous windows of the same memory object", () => {
    const { k, m } = world();
    run(k, "object_create");
    run(k, "enter", { addr: 0, source: { kind: "object", object: 0, offset: 0 } });
    run(k, "enter", { addr: P, source: { kind: "object", object: 0, offset: P } });
    run(k, "simplify", { addr: 0 });
    expect(ranges(m)).toEqual([[0, 2]]);
    expect(k.objects[0]!.refCount).toBe(2);
    healthy(k);
  });

  it.each<[string, (k: Kernel) => void]>([
    ["different protections", (k) => run(k, "protect", { addr: P, prot: 1 })],
    ["different wirings", (k) => run(k, "wire", { addr: P })],
    ["different behaviors", (k) => run(k, "behavior_set", { addr: P, behavior: 3 })],
    ["different inheritance", (k) => run(k, "inherit", { addr: P, inheritance: 2 })],
  ])("does not merge neighbours with %s", (_, change) => {
    const { k, m } = world();
    run(k, "enter", { size: 3 * P });
    change(k);
    expect(m.nentries).toBe(3);
    for (const a of [0, P, 2 * P]) run(k, "simplify", { addr: a });
    expect(m.nentries).toBe(3);
    healthy(k);
  });

  it("does not merge non-contiguous windows or different objects", () => {
    const { k, m } = world();
    run(k, "object_create");
    run(k, "object_create");
    run(k, "enter", { addr: 0, source: { kind: "object", object: 0, offset: 0 } });
    run(k, "enter", { addr: P, source: { kind: "object", object: 0, offset: 2 * P } });
    run(k, "enter", { addr: 2 * P, source: { kind: "object", object: 1, offset: 3 * P } });
    for (const a of [0, P, 2 * P]) run(k, "simplify", { addr: a });
    expect(m.nentries).toBe(3);
  });

  it("does nothing at an unmapped address", () => {
    const { k, m } = world();
    run(k, "enter", { size: 2 * P });
    m.clipEnd(entries(m)[0]!, P);
    run(k, "simplify", { addr: 5 * P });
    expect(m.nentries).toBe(2);
  });
});

describe("hint and first_free", () => {
  it("lookupEntry finds the entry or its predecessor and leaves it as the hint", () => {
    const { k, m } = world();
    run(k, "enter", { addr: 2 * P, size: 2 * P });
    run(k, "enter", { addr: 6 * P, cur: 1 });
    const [a, b] = entries(m);
    expect(m.lookupEntry(3 * P)).toEqual({ found: true, entry: a });
    expect(m.hint).toBe(a);
    expect(m.lookupEntry(5 * P)).toEqual({ found: false, entry: a });
    expect(m.lookupEntry(6 * P + 3)).toEqual({ found: true, entry: b });
    expect(m.lookupEntry(0)).toEqual({ found: false, entry: m.store.header });
    expect(m.lookupEntry(60 * P)).toEqual({ found: false, entry: b });
  });

  it("first_free is the header while min is unmapped, else the entry before the lowest hole", () => {
    const { k, m } = world();
    run(k, "enter", { addr: P });
    expect(m.firstFree).toBe(m.store.header);
    run(k, "enter", { addr: 0, cur: 1 });
    run(k, "enter", { addr: 2 * P, inheritance: 2 });
    expect(m.firstFree).toBe(entries(m)[2]);
    run(k, "remove", { addr: P });
    expect(m.firstFree).toBe(entries(m)[0]);
    run(k, "remove", { addr: 0 });
    expect(m.firstFree).toBe(m.store.header);
    healthy(k);
  });

  it("resets a hint that pointed at a deleted entry", () => {
    const { k, m } = world();
    run(k, "enter", { addr: 4 * P });
    run(k, "lookup", { addr: 4 * P });
    const e = entries(m)[0]!;
    expect(m.hint).toBe(e);
    run(k, "remove", { addr: 4 * P });
    expect(m.hint).toBe(m.store.header);
    healthy(k);
  });

  it("keeps hint, first_free, size and the store valid through random enter/remove/protect", () => {
    const cmd = fc.oneof(
      fc.record({ op: fc.constant("enter" as const), page: fc.nat(40), pages: fc.integer({ min: 1, max: 6 }), anywhere: fc.boolean(), cur: fc.constantFrom(1, 3) }),
      fc.record({ op: fc.constant("remove" as const), page: fc.nat(40), pages: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ op: fc.constant("protect" as const), page: fc.nat(40), pages: fc.integer({ min: 1, max: 4 }), cur: fc.constantFrom(1, 3) }),
      fc.record({ op: fc.constant("lookup" as const), page: fc.nat(64) }),
      fc.record({ op: fc.constant("simplify" as const), page: fc.nat(64) }),
    );
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 40 }), (cmds) => {
        const { k, m } = world();
        for (const c of cmds) {
          if (c.op === "enter") run(k, "enter", { addr: c.page * P, size: c.pages * P, anywhere: c.anywhere, cur: c.cur });
          else if (c.op === "remove") run(k, "remove", { addr: c.page * P, size: c.pages * P });
          else if (c.op === "protect") run(k, "protect", { addr: c.page * P, size: c.pages * P, prot: c.cur });
          else run(k, c.op, { addr: c.page * P });
          const problem = checkMap(m);
          if (problem) throw new Error(`${JSON.stringify(c)}: ${problem}`);
          // Hint independence: any hint gives the same answer.
          const saved = m.hint;
          for (const probe of [0, 7 * P, 20 * P + 5, 63 * P]) {
            m.hint = m.store.header;
            const want = m.lookupEntry(probe);
            for (const h of [m.store.header.next, m.store.header.prev, saved]) {
              m.hint = h;
              expect(m.lookupEntry(probe)).toEqual(want);
            }
          }
          m.hint = saved;
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("timestamps", () => {
  const stamp = (m: VmMap, f: () => void): number => {
    const before = m.timestamp;
    f();
    return m.timestamp - before;
  };

  it("bump once for every operation that takes the write lock, failing or not", () => {
    const { k, m } = world();
    expect(stamp(m, () => run(k, "enter", { size: 2 * P }))).toBe(1);
    expect(stamp(m, () => run(k, "enter", { size: 2 * P }))).toBe(1); // KERN_NO_SPACE
    expect(stamp(m, () => run(k, "find_space"))).toBe(1);
    expect(stamp(m, () => run(k, "protect", { prot: 1 }))).toBe(1);
    expect(stamp(m, () => run(k, "protect", { addr: 40 * P }))).toBe(1); // KERN_INVALID_ADDRESS
    expect(stamp(m, () => run(k, "inherit"))).toBe(1);
    expect(stamp(m, () => run(k, "behavior_set"))).toBe(1);
    expect(stamp(m, () => run(k, "machine_attribute"))).toBe(1);
    expect(stamp(m, () => run(k, "wire"))).toBe(1);
    expect(stamp(m, () => run(k, "unwire"))).toBe(1);
    expect(stamp(m, () => run(k, "simplify"))).toBe(1);
    expect(stamp(m, () => run(k, "remove"))).toBe(1);
  });

  it("do not move for queries, reads, bad arguments or checks made before locking", () => {
    const { k, m } = world();
    run(k, "enter", { size: 2 * P });
    expect(stamp(m, () => run(k, "lookup"))).toBe(0);
    expect(stamp(m, () => run(k, "read_user"))).toBe(0);
    expect(stamp(m, () => run(k, "enter", { size: NaN }))).toBe(0);
    expect(stamp(m, () => run(k, "protect", { prot: 8 }))).toBe(0);
    expect(stamp(m, () => run(k, "enter", { source: { kind: "object", object: 7, offset: 0 } }))).toBe(0);
    expect(stamp(m, () => run(k, "machine_attribute", { addr: 64 * P }))).toBe(0);
    expect(stamp(m, () => run(k, "remove", { size: 0 }))).toBe(0);
  });

  it("move once when a user write must create an object (the fault's lock upgrade)", () => {
    const { k, m } = world();
    run(k, "enter", { size: 2 * P });
    expect(stamp(m, () => run(k, "write_user", { data: "01".repeat(2 * P) }))).toBe(1);
    expect(stamp(m, () => run(k, "write_user"))).toBe(0);
  });
});

describe("wiring", () => {
  const page = (k: Kernel, addr = 0) => (run(k, "lookup", { addr }) as { page: { wiredCount: number; userWiredCount: number } }).page;

  it("counts nested user wirings as one wiring and kernel wirings one each", () => {
    const { k } = world();
    run(k, "enter", { size: 2 * P });
    expect(run(k, "wire").kr).toBe("KERN_SUCCESS");
    expect(run(k, "wire").kr).toBe("KERN_SUCCESS");
    expect(page(k)).toMatchObject({ wiredCount: 1, userWiredCount: 2 });
    expect(run(k, "wire", { user: false }).kr).toBe("KERN_SUCCESS");
    expect(page(k)).toMatchObject({ wiredCount: 2, userWiredCount: 2 });
    run(k, "unwire");
    expect(page(k)).toMatchObject({ wiredCount: 2, userWiredCount: 1 });
    run(k, "unwire");
    expect(page(k)).toMatchObject({ wiredCount: 1, userWiredCount: 0 });
    expect(run(k, "unwire", { user: false }).kr).toBe("KERN_SUCCESS");
    expect(page(k)).toMatchObject({ wiredCount: 0, userWiredCount: 0 });
    expect(page(k, P)).toMatchObject({ wiredCount: 0, userWiredCount: 0 });
    healthy(k);
  });

  it("wired ⇒ the entry has an object and every page is resident", () => {
    const { k, m } = world();
    run(k, "enter", { size: 4 * P });
    run(k, "wire", { addr: P, size: 2 * P });
    const wired = entries(m).filter((e) => e.wiredCount > 0);
    expect(wired).toHaveLength(1);
    const e = wired[0]!;
    expect(e.object).not.toBeNull();
    for (let i = 0; i < 2; i++) expect(e.object!.pages.has(e.offset / P + i)).toBe(true);
    healthy(k);
  });

  it("refuses to pass MAX_WIRE_COUNT and changes nothing", () => {
    const { k } = world();
    run(k, "enter", { size: 2 * P });
    run(k, "wire", { addr: P, user: false });
    run(k, "wire", { addr: P, user: false });
    run(k, "wire", { addr: P, user: false });
    expect(run(k, "wire", { size: 2 * P, user: false }).kr).toBe("KERN_FAILURE");
    expect(page(k)).toMatchObject({ wiredCount: 0 });
    // A user wiring of a page with 3 kernel wirings would push wiredCount to 4.
    expect(run(k, "wire", { addr: P }).kr).toBe("KERN_FAILURE");
    healthy(k);
  });

  it("kernel unwire fails without change when a page has no kernel wiring", () => {
    const { k } = world();
    run(k, "enter", { size: 2 * P });
    run(k, "wire", { size: 2 * P });
    run(k, "wire", { addr: P, user: false });
    expect(run(k, "unwire", { size: 2 * P, user: false }).kr).toBe("KERN_FAILURE");
    expect(page(k, P)).toMatchObject({ wiredCount: 2, userWiredCount: 1 });
  });

  it("user unwire stops at the first hole", () => {
    const { k } = world();
    run(k, "enter", { size: P });
    run(k, "enter", { addr: 2 * P, cur: 1 });
    run(k, "wire", { size: P });
    run(k, "wire", { addr: 2 * P });
    expect(run(k, "unwire", { size: 3 * P }).kr).toBe("KERN_SUCCESS");
    expect(page(k)).toMatchObject({ userWiredCount: 0 });
    expect(page(k, 2 * P)).toMatchObject({ userWiredCount: 1 });
  });

  it("remove drops user wirings, refuses kernel wirings unless KUNWIRE takes the last one", () => {
    const { k, m } = world();
    run(k, "enter", { size: 2 * P });
    run(k, "wire", { size: 2 * P });
    run(k, "wire", { addr: P, user: false });
    expect(run(k, "remove", { size: 2 * P }).kr).toBe("KERN_FAILURE");
    expect(m.nentries).toBe(2);
    expect(run(k, "remove", { size: 2 * P, flags: 1 }).kr).toBe("KERN_SUCCESS");
    expect(m.nentries).toBe(0);
    healthy(k);
  });

  it("a private copy of a wired entry is resident too", () => {
    const { k, m } = world();
    run(k, "object_create");
    run(k, "enter", { size: 2 * P, source: { kind: "object", object: 0, offset: 0 } });
    run(k, "wire", { size: 2 * P });
    expect(run(k, "protect", { size: 2 * P, prot: 0x13 }).kr).toBe("KERN_SUCCESS");
    const e = entries(m)[0]!;
    expect(e.object).not.toBe(k.objects[0]);
    expect(k.objects[0]!.refCount).toBe(1);
    healthy(k);
  });
});

describe("objects", () => {
  it("VM_PROT_COPY gives the range a private snapshot of the object's bytes", () => {
    const { k } = world();
    run(k, "object_create");
    run(k, "enter", { addr: 0, size: 2 * P, source: { kind: "object", object: 0, offset: 0 } });
    run(k, "enter", { addr: 4 * P, size: 2 * P, max: 5, cur: 1, source: { kind: "object", object: 0, offset: 0 } });
    run(k, "write_user", { addr: 0, data: "1234" });
    expect(run(k, "read_user", { addr: 4 * P, size: 2 })).toEqual({ kr: "KERN_SUCCESS", data: "1234" });
    expect(run(k, "protect", { addr: 4 * P, size: 2 * P, prot: 0x13 }).kr).toBe("KERN_SUCCESS");
    expect(run(k, "lookup", { addr: 4 * P })).toMatchObject({ page: { prot: 3, maxProt: 7 } });
    run(k, "write_user", { addr: 0, data: "5678" });
    expect(run(k, "read_user", { addr: 4 * P, size: 2 })).toEqual({ kr: "KERN_SUCCESS", data: "1234" });
    run(k, "write_user", { addr: 4 * P, data: "9999" });
    expect(run(k, "read_user", { addr: 0, size: 2 })).toEqual({ kr: "KERN_SUCCESS", data: "5678" });
    healthy(k);
  });

  it("deallocating the last map reference deletes every entry and drops object references", () => {
    const { k, m } = world();
    run(k, "object_create");
    run(k, "enter", { size: 2 * P, source: { kind: "object", object: 0, offset: 0 } });
    run(k, "enter", { addr: 4 * P });
    run(k, "wire", { addr: 4 * P, user: false });
    run(k, "reference");
    expect(k.objects[0]!.refCount).toBe(2);
    run(k, "deallocate");
    expect(k.maps[0]).toBe(m);
    run(k, "deallocate");
    expect(k.maps[0]).toBeNull();
    expect(m.nentries).toBe(0);
    expect(k.objects[0]!.refCount).toBe(1);
    expect(run(k, "lookup").kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("creates an anonymous object only when a write or a wiring needs it", () => {
    const { k, m } = world();
    run(k, "enter", { size: 2 * P });
    run(k, "read_user", { size: 2 * P });
    run(k, "protect", { prot: 0x13 });
    expect(entries(m).every((e) => e.object === null)).toBe(true);
    run(k, "write_user", { addr: P });
    expect(entries(m).some((e) => e.object !== null)).toBe(true);
  });
});

describe("planted bugs", () => {
  it("mechanisms are called through the instance, so a subclass can break one", () => {
    class LeakyDelete extends VmMap {
      override entryDelete(e: VmMapEntry): void {
        e.object?.reference(); // leaks a reference
        super.entryDelete(e);
      }
    }
    const { k } = world(LeakyDelete);
    run(k, "object_create");
    run(k, "enter", { source: { kind: "object", object: 0, offset: 0 } });
    run(k, "remove");
    expect(checkKernel(k)).toMatch(/refCount/);
  });

  it("entryInsert receives the attributes of the new mapping", () => {
    const seen: EntryAttributes[] = [];
    class Spy extends VmMap {
      override entryInsert(after: VmMapEntry, start: number, end: number, attrs: EntryAttributes): VmMapEntry {
        seen.push(attrs);
        return super.entryInsert(after, start, end, attrs);
      }
    }
    const { k } = world(Spy);
    run(k, "enter", { alias: 5, cur: 1 });
    expect(seen).toMatchObject([{ alias: 5, protection: 1, maxProtection: 7 }]);
  });
});
