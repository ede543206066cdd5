import { describe, expect, it } from "vitest";
import type { EntryListCopy, Kernel } from "../../impl/index.ts";
import { abstractImpl } from "../../model-check/abstraction.ts";
import { VM_INHERIT_COPY, VM_INHERIT_NONE, VM_PROT_ALL, VM_PROT_DEFAULT, VM_PROT_READ } from "../../spec/constants.ts";
import { anonymousLive, bytes, entries, entryAt, healthy, kernel, ok, P, read, run, window, write } from "./helpers.ts";

/** A map with 4 anonymous pages holding 11.., 22.., 33.., 44.. at their starts. */
function filled(): Kernel {
  const k = kernel();
  ok(k, "enter", { size: 4 * P });
  for (let i = 0; i < 4; i++) write(k, i * P, bytes(0x11 * (i + 1), 2));
  return k;
}
const entryList = (k: Kernel, h: number): EntryListCopy => {
  const c = k.copies[h];
  if (c?.kind !== "entry_list") throw new Error(`copy ${h} is ${c?.kind}`);
  return c;
};

describe("copyin", () => {
  it("makes a kernel buffer of exactly the bytes below the threshold", () => {
    const k = filled();
    expect(ok(k, "copyin", { addr: P - 1, size: 3 }).copy).toBe(0);
    expect(k.copies[0]).toMatchObject({ kind: "kernel_buffer" });
    expect(abstractImpl(k).copies[0]).toEqual({ kind: "kernel_buffer", offset: 0, size: 3, pages: [], data: "002222" });
  });

  it("makes an entry list of whole pages at the threshold or with useMaxprot, keeping attributes but not wiring", () => {
    const k = filled();
    ok(k, "protect", { addr: P, size: P, prot: VM_PROT_READ });
    ok(k, "wire", { addr: 2 * P, size: P });
    const h = ok(k, "copyin", { addr: P + 3, size: 2 * P }).copy!;
    const c = entryList(k, h);
    expect([c.offset, c.size]).toEqual([P + 3, 2 * P]);
    expect(c.entries.map((e) => [e.start / P, e.end / P, e.protection, e.wiredCount])).toEqual([[1, 2, 1, 0], [2, 3, 3, 0], [3, 4, 3, 0]]);
    ok(k, "copyin", { size: 1, useMaxprot: true });
    expect(k.copies[1]!.kind).toBe("entry_list");
    healthy(k);
  });

  it.each([
    ["an unmapped page", { addr: 3 * P, size: 2 * P }, "KERN_INVALID_ADDRESS"],
    ["an unreadable page", { addr: 0, size: 3 * P }, "KERN_PROTECTION_FAILURE"],
  ])("refuses %s and marks nothing copy-on-write", (_, args, kr) => {
    const k = filled();
    ok(k, "protect", { addr: 2 * P, size: P, prot: 0 });
    expect(run(k, "copyin", args).kr).toBe(kr);
    expect(entries(k.maps[0]!).some((e) => e.needsCopy)).toBe(false);
    expect(k.copies).toEqual([]);
  });

  it("with srcDestroy moves private memory into the copy (same object, no copy-on-write)", () => {
    const k = filled();
    const o = entryAt(k, 0).object!;
    const h = ok(k, "copyin", { size: 4 * P, srcDestroy: true }).copy!;
    const c = entryList(k, h);
    expect(c.entries.map((e) => [e.object, e.needsCopy])).toEqual([[o, false]]);
    expect(k.maps[0]!.nentries).toBe(0);
    expect(o.refCount).toBe(1);
    expect(read(k, ok(k, "copyout", { copy: h }).addr! + 3 * P, 2)).toBe("4444");
    healthy(k);
  });

  it("with srcDestroy over a kernel-wired page leaves the source entirely and copies as usual", () => {
    const k = filled();
    ok(k, "wire", { addr: 3 * P, size: P, user: false });
    const h = ok(k, "copyin", { size: 3 * P, srcDestroy: true, addr: P }).copy!;
    expect(k.maps[0]!.size).toBe(4 * P);
    expect(entryAt(k, P).needsCopy).toBe(true); // symmetric copy, not a move
    write(k, P, "00");
    expect(read(k, ok(k, "copyout", { copy: h }).addr!, 2)).toBe("2222");
    healthy(k);
  });

  it("with srcDestroy never hands a shared object to the copy", () => {
    const k = kernel();
    ok(k, "object_create", { size: 2 * P });
    ok(k, "enter", { size: 2 * P, source: window(0) });
    ok(k, "enter", { addr: 8 * P, size: 2 * P, source: window(0) });
    write(k, 0, "01");
    const h = ok(k, "copyin", { size: 2 * P, srcDestroy: true }).copy!;
    expect(entryList(k, h).entries[0]!.object).not.toBe(k.objects[0]);
    write(k, 8 * P, "02");
    expect(read(k, ok(k, "copyout", { copy: h }).addr!, 1)).toBe("01");
    healthy(k);
  });
});

describe("copyout", () => {
  it("splices the copy's own entries in, with protections reset and the page offset kept", () => {
    const k = filled();
    ok(k, "protect", { size: 4 * P, prot: VM_PROT_READ, setMax: true });
    ok(k, "inherit", { size: 4 * P, inheritance: VM_INHERIT_NONE });
    const h = ok(k, "copyin", { addr: 5, size: 4 * P - 5 }).copy!;
    const moved = [...entryList(k, h).entries];
    const objects = anonymousLive(k).length;
    const r = ok(k, "copyout", { copy: h });
    expect(r.addr).toBe(4 * P + 5);
    expect(entries(k.maps[0]!).slice(-moved.length)).toEqual(moved);
    expect(anonymousLive(k)).toHaveLength(objects);
    expect(run(k, "lookup", { addr: 5 * P })).toMatchObject({ page: { prot: VM_PROT_DEFAULT, maxProt: VM_PROT_ALL, inheritance: VM_INHERIT_COPY } });
    expect(k.copies).toEqual([null]);
    healthy(k);
  });

  it("writes a kernel buffer at the start of fresh zero pages", () => {
    const k = filled();
    ok(k, "copyin", { addr: P - 1, size: 3 });
    expect(ok(k, "copyout").addr).toBe(4 * P);
    expect(read(k, 4 * P, 4)).toBe("00222200");
    healthy(k);
  });

  it("maps an object copy's object itself (aliasing it)", () => {
    const k = kernel();
    ok(k, "object_create", { size: 4 * P });
    ok(k, "copyin_object", { offset: P + 2, size: P });
    expect(k.objects[0]!.refCount).toBe(2);
    const addr = ok(k, "copyout").addr!;
    expect(addr).toBe(2);
    expect(entryAt(k, 0).object).toBe(k.objects[0]);
    expect(k.objects[0]!.refCount).toBe(2); // the copy's reference moved into the map
    write(k, addr, "77");
    expect(Buffer.from(k.objects[0]!.pages.get(1)!.subarray(2, 3)).toString("hex")).toBe("77");
    healthy(k);
  });

  it("KERN_NO_SPACE leaves the copy with the caller", () => {
    const k = filled();
    ok(k, "copyin", { size: 4 * P });
    const small = ok(k, "create", { min: 0, max: 2 * P }).map!;
    expect(run(k, "copyout", { map: small }).kr).toBe("KERN_NO_SPACE");
    expect(entryList(k, 0).entries).toHaveLength(1);
    ok(k, "copyout");
    healthy(k);
  });
});

describe("copy_overwrite", () => {
  it("aligned: hands the copy's objects to private destination entries, clipped at copy-entry boundaries", () => {
    const k = filled();
    ok(k, "protect", { addr: P, size: P, prot: VM_PROT_READ }); // two copy entries
    const h = ok(k, "copyin", { size: 2 * P }).copy!;
    const copyObject = entryList(k, h).entries[0]!.object;
    ok(k, "enter", { addr: 8 * P, size: 3 * P, inheritance: 0 });
    write(k, 8 * P, bytes(0xaa, 3 * P));
    ok(k, "copy_overwrite", { addr: 8 * P, copy: h });
    const dest = entries(k.maps[0]!).filter((e) => e.start >= 8 * P);
    expect(dest.map((e) => [e.start / P, e.end / P, e.object === copyObject, e.needsCopy, e.inheritance])).toEqual([
      [8, 9, true, true, 0],
      [9, 10, true, true, 0],
      [10, 11, false, false, 0],
    ]);
    expect([read(k, 8 * P, 2), read(k, 9 * P, 2), read(k, 10 * P, 2)]).toEqual(["1111", "2222", "aaaa"]);
    expect(k.copies).toEqual([null]);
    healthy(k);
  });

  it("aligned: writes the bytes into shared memory, so every alias sees them", () => {
    const k = filled();
    ok(k, "object_create", { size: 2 * P });
    ok(k, "enter", { addr: 8 * P, size: 2 * P, source: window(0) });
    ok(k, "enter", { addr: 12 * P, size: 2 * P, source: window(0) });
    ok(k, "copy_overwrite", { addr: 8 * P, copy: ok(k, "copyin", { size: 2 * P }).copy! });
    expect(entryAt(k, 8 * P).object).toBe(k.objects[0]);
    expect(read(k, 13 * P, 2)).toBe("2222");
    healthy(k);
  });

  it("aligned: a wired destination keeps its wiring and its resident pages", () => {
    const k = filled();
    ok(k, "enter", { addr: 8 * P, size: 2 * P });
    ok(k, "wire", { addr: 8 * P, size: 2 * P });
    ok(k, "copy_overwrite", { addr: 8 * P, copy: ok(k, "copyin", { size: 2 * P }).copy! });
    expect(run(k, "lookup", { addr: 9 * P })).toMatchObject({ page: { wiredCount: 1, userWiredCount: 1 } });
    expect(read(k, 9 * P, 2)).toBe("2222");
    healthy(k);
  });

  it("unaligned: writes exactly the bytes [offset, offset + size) at [addr, addr + size)", () => {
    const k = filled();
    const h = ok(k, "copyin", { addr: P - 1, size: P + 2 }).copy!;
    ok(k, "enter", { addr: 8 * P, size: 3 * P });
    write(k, 8 * P, bytes(0xaa, 3 * P));
    ok(k, "copy_overwrite", { addr: 8 * P + 4, copy: h });
    expect(read(k, 8 * P, 8)).toBe("aaaaaaaa002222" + "00");
    expect(read(k, 9 * P, 8)).toBe("000000000033aaaa");
    healthy(k);
  });

  it.each([
    ["an unmapped destination page", 6 * P, false, "KERN_INVALID_ADDRESS"],
    ["a read-only destination page", 0, false, "KERN_PROTECTION_FAILURE"],
    ["interruptible over a shared memory object", 4 * P, true, "KERN_FAILURE"],
  ])("refuses %s, changing nothing and keeping the copy", (_, addr, interruptible, kr) => {
    const k = filled();
    ok(k, "protect", { addr: P, size: P, prot: VM_PROT_READ });
    ok(k, "object_create", { size: 2 * P });
    ok(k, "enter", { addr: 4 * P, size: 2 * P, source: window(0) });
    const h = ok(k, "copyin", { addr: 0, size: 2 * P }).copy!;
    const before = abstractImpl(k);
    expect(run(k, "copy_overwrite", { addr, copy: h, interruptible }).kr).toBe(kr);
    expect(abstractImpl(k)).toEqual(before);
    ok(k, "copy_overwrite", { addr: 2 * P, copy: h, interruptible: true });
    healthy(k);
  });

  it("overwriting a range with a copy of itself changes nothing", () => {
    const k = filled();
    ok(k, "copy_overwrite", { copy: ok(k, "copyin", { addr: 3, size: 3 * P }).copy!, addr: 3 });
    expect([0, 1, 2, 3].map((i) => read(k, i * P, 2))).toEqual(["1111", "2222", "3333", "4444"]);
    healthy(k);
  });
});

describe("copy handles", () => {
  it("a consumed copy is refused by every operation, never crashes", () => {
    const k = filled();
    const h = ok(k, "copyin", { size: 2 * P }).copy!;
    ok(k, "copyout", { copy: h });
    for (const op of ["copyout", "copy_overwrite", "copy_discard", "copy_copy"] as const)
      expect(run(k, op, { copy: h }).kr, op).toBe("KERN_INVALID_ARGUMENT");
    for (const bad of [7, -1, 0.5, NaN]) expect(run(k, "copy_discard", { copy: bad }).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("copy_copy moves the contents; the emptied copy is accepted by discard only", () => {
    const k = filled();
    ok(k, "copyin", { size: 2 * P });
    const moved = k.copies[0];
    expect(ok(k, "copy_copy").copy).toBe(1);
    expect(k.copies[1]).toBe(moved);
    expect(k.copies[0]).toEqual({ kind: "emptied" });
    expect(abstractImpl(k).copies[0]).toEqual({ kind: "emptied", offset: 0, size: 0, pages: [], data: "" });
    for (const op of ["copyout", "copy_overwrite", "copy_copy"] as const) expect(run(k, op, { copy: 0 }).kr, op).toBe("KERN_INVALID_ARGUMENT");
    ok(k, "copy_discard", { copy: 0 });
    expect(read(k, ok(k, "copyout", { copy: 1 }).addr!, 2)).toBe("1111");
    expect(ok(k, "copy_copy", { copy: null }).copy).toBeNull();
    healthy(k);
  });

  it("discard drops every reference the copy holds", () => {
    const k = filled();
    const o = entryAt(k, 0).object!;
    ok(k, "copyin", { size: 4 * P });
    expect(o.refCount).toBe(2);
    ok(k, "copy_discard");
    expect(o.refCount).toBe(1);
    ok(k, "object_create", { size: P });
    ok(k, "copyin_object", { object: 0, size: P });
    ok(k, "copy_discard", { copy: 1 });
    expect(k.objects[0]!.refCount).toBe(1);
    healthy(k);
  });
});
