import { describe, expect, it } from "vitest";
import { VmMap, type Kernel, type VmMapEntry, type VmObject } from "../../impl/index.ts";
import { abstractImpl } from "../../model-check/abstraction.ts";
import { VM_INHERIT_COPY, VM_INHERIT_NONE, VM_INHERIT_SHARE, VM_PROT_ALL, VM_PROT_READ } from "../../spec/constants.ts";
import { bytes, entries, entryAt, healthy, kernel, ok, P, read, run, window, write } from "./helpers.ts";

/** Map 0 with three 2-page ranges inherited SHARE, COPY and NONE, each holding distinct bytes. */
function parent(): Kernel {
  const k = kernel();
  for (const [i, inheritance] of [VM_INHERIT_SHARE, VM_INHERIT_COPY, VM_INHERIT_NONE].entries()) {
    ok(k, "enter", { addr: 4 * i * P, size: 2 * P, inheritance, alias: i });
    write(k, 4 * i * P, bytes(0x10 + i, 2 * P));
  }
  return k;
}

describe("fork", () => {
  it("shares SHARE ranges, copies COPY ranges, leaves NONE ranges out", () => {
    const k = parent();
    const child = ok(k, "fork").map!;
    expect(entries(k.maps[child]!).map((e) => [e.start / P, e.end / P, e.alias])).toEqual([[0, 2, 0], [4, 6, 1]]);
    write(k, 0, "aa", child);
    write(k, 4 * P, "bb", child);
    expect([read(k, 0, 1), read(k, 4 * P, 1)]).toEqual(["aa", "11"]);
    write(k, 4 * P + 1, "cc");
    expect(read(k, 4 * P, 2, child)).toBe("bb11");
    healthy(k);
  });

  it("SHARE: both entries are shared and the object becomes DELAY", () => {
    const k = parent();
    const child = ok(k, "fork").map!;
    const [p, c] = [entryAt(k, 0), entryAt(k, 0, child)];
    expect([p.isShared, c.isShared, p.needsCopy, c.needsCopy]).toEqual([true, true, false, false]);
    expect(c.object).toBe(p.object);
    expect(p.object!.strategy).toBe("delay");
    healthy(k);
  });

  it("SHARE of a range with a pending copy shadows it first, so the sharers see each other", () => {
    const k = parent();
    const h = ok(k, "copyin", { size: 2 * P }).copy!;
    expect(entryAt(k, 0).needsCopy).toBe(true);
    const child = ok(k, "fork").map!;
    expect(entryAt(k, 0).needsCopy).toBe(false);
    write(k, 1, "77", child);
    expect(read(k, 0, 2)).toBe("1077");
    expect(read(k, ok(k, "copyout", { copy: h }).addr!, 2)).toBe("1010");
    healthy(k);
  });

  it("COPY: a symmetric quick copy marks both sides; a wired range is copied physically", () => {
    const k = parent();
    ok(k, "enter", { addr: 16 * P, size: P });
    write(k, 16 * P, "5a");
    ok(k, "wire", { addr: 16 * P, size: P });
    const child = ok(k, "fork").map!;
    const [p, c] = [entryAt(k, 4 * P), entryAt(k, 4 * P, child)];
    expect([p.needsCopy, c.needsCopy, p.object === c.object]).toEqual([true, true, true]);
    const [wp, wc] = [entryAt(k, 16 * P), entryAt(k, 16 * P, child)];
    expect([wp.needsCopy, wc.needsCopy, wp.object === wc.object, wc.wiredCount]).toEqual([false, false, false, 0]);
    expect(read(k, 16 * P, 1, child)).toBe("5a");
    healthy(k);
  });

  it("COPY of shared memory takes a delayed copy object", () => {
    const k = kernel();
    ok(k, "object_create", { size: 2 * P });
    ok(k, "enter", { size: 2 * P, source: window(0), inheritance: VM_INHERIT_COPY });
    write(k, 0, "01");
    const child = ok(k, "fork").map!;
    expect(entryAt(k, 0, child).object!.shadow).toBe(k.objects[0]);
    write(k, 0, "02");
    expect(read(k, 0, 1, child)).toBe("01");
    healthy(k);
  });

  it("leaves out a COPY range whose max protection lacks READ, and unwires what it inherits", () => {
    const k = parent();
    ok(k, "protect", { addr: 4 * P, size: P, prot: 0, setMax: true });
    ok(k, "wire", { addr: 0, size: P });
    const child = ok(k, "fork").map!;
    expect(entries(k.maps[child]!).map((e) => [e.start / P, e.end / P, e.wiredCount])).toEqual([[0, 1, 0], [1, 2, 0], [5, 6, 0]]);
    healthy(k);
  });
});

describe("remap", () => {
  it("share: the new pages alias the source and both sides are marked shared", () => {
    const k = parent();
    const r = ok(k, "remap", { srcAddr: 4 * P, size: 2 * P, addr: 20 * P, anywhere: false, copy: false, inheritance: VM_INHERIT_NONE });
    expect(r).toEqual({ kr: "KERN_SUCCESS", addr: 20 * P, cur: 3, max: 7 });
    write(k, 21 * P, "ab");
    expect(read(k, 5 * P, 1)).toBe("ab");
    expect([entryAt(k, 4 * P).isShared, entryAt(k, 20 * P).isShared, entryAt(k, 20 * P).inheritance]).toEqual([true, true, VM_INHERIT_NONE]);
    healthy(k);
  });

  it("copy: the new pages are a snapshot through a delayed copy object, writes in either direction stay apart", () => {
    const k = parent();
    ok(k, "remap", { srcAddr: 4 * P, size: 2 * P, addr: 20 * P, anywhere: false, copy: true });
    const e = entryAt(k, 20 * P);
    expect(e.needsCopy).toBe(true);
    expect(entryAt(k, 4 * P).object!.copy).toBe(e.object);
    write(k, 4 * P, "01");
    write(k, 20 * P + 1, "02");
    expect([read(k, 4 * P, 2), read(k, 20 * P, 2)]).toEqual(["0111", "1102"]);
    healthy(k);
  });

  it("reports the AND of the source protections and keeps each page's own", () => {
    const k = parent();
    ok(k, "protect", { addr: P, size: P, prot: VM_PROT_READ, setMax: true });
    const r = ok(k, "remap", { srcAddr: 0, size: 2 * P, copy: false });
    expect([r.cur, r.max]).toEqual([VM_PROT_READ, VM_PROT_READ]);
    expect(run(k, "lookup", { addr: r.addr! })).toMatchObject({ page: { prot: 3, maxProt: VM_PROT_ALL } });
  });

  it("refuses an unmapped source page before looking for space, changing nothing", () => {
    const k = parent();
    const before = abstractImpl(k);
    expect(run(k, "remap", { srcAddr: P, size: 2 * P, anywhere: false, addr: 0 }).kr).toBe("KERN_INVALID_ADDRESS");
    expect(run(k, "remap", { srcAddr: 0, size: 2 * P, anywhere: false, addr: P }).kr).toBe("KERN_NO_SPACE");
    expect(abstractImpl(k)).toEqual(before);
  });

  it("remaps within one map", () => {
    const k = parent();
    const r = ok(k, "remap", { srcAddr: 0, size: 2 * P, copy: false });
    write(k, r.addr!, "ee");
    expect(read(k, 0, 1)).toBe("ee");
    healthy(k);
  });
});

describe("named entries", () => {
  it("grant the mapped range's memory: a shared mapping aliases it", () => {
    const k = parent();
    expect(ok(k, "make_memory_entry", { addr: 3, size: P, permission: 3 })).toEqual({ kr: "KERN_SUCCESS", entry: 0, size: 2 * P });
    const addr = ok(k, "map_memory_entry", { size: 2 * P, copy: false }).addr!;
    write(k, addr + P, "99");
    expect(read(k, P, 1)).toBe("99");
    write(k, 0, "88");
    expect(read(k, addr, 1)).toBe("88");
    healthy(k);
  });

  it("resolve pending copy-on-write first, so the entry names the writable top object", () => {
    const k = parent();
    const h = ok(k, "copyin", { size: 2 * P }).copy!;
    ok(k, "make_memory_entry", { size: 2 * P });
    const e = entryAt(k, 0);
    expect(e.needsCopy).toBe(false);
    const named = k.namedEntries[0]!.windows[0]!.object;
    expect(named).toBe(e.object);
    expect([named.trueShare, named.strategy]).toEqual([true, "delay"]);
    write(k, ok(k, "map_memory_entry", { size: 2 * P }).addr!, "42");
    expect(read(k, 0, 1)).toBe("42");
    expect(read(k, ok(k, "copyout", { copy: h }).addr!, 1)).toBe("10");
    healthy(k);
  });

  it("copy mapping is a snapshot", () => {
    const k = parent();
    ok(k, "make_memory_entry", { size: 2 * P });
    const addr = ok(k, "map_memory_entry", { size: 2 * P, copy: true }).addr!;
    expect(entryAt(k, addr).needsCopy).toBe(true);
    write(k, 0, "01");
    write(k, addr + 1, "02");
    expect([read(k, 0, 2), read(k, addr, 2)]).toEqual(["0110", "1002"]);
    healthy(k);
  });

  it("span several map entries, one window each", () => {
    const k = kernel();
    ok(k, "object_create", { size: 2 * P });
    ok(k, "enter", { size: P });
    ok(k, "enter", { addr: P, size: 2 * P, source: window(0) });
    ok(k, "make_memory_entry", { size: 3 * P, permission: 1 });
    expect(k.namedEntries[0]!.windows.map((w) => [w.object === k.objects[0], w.offset, w.size])).toEqual([[false, 0, P], [true, 0, 2 * P]]);
    const addr = ok(k, "map_memory_entry", { offset: P, size: 2 * P, cur: 1, max: 1 }).addr!;
    write(k, 2 * P, "0f");
    expect(read(k, addr + P, 1)).toBe("0f");
    healthy(k);
  });

  it.each([
    ["an unmapped page", { addr: 2 * P, size: 3 * P }, "KERN_INVALID_ADDRESS"],
    ["a page without the permission", { addr: 4 * P, size: 2 * P, permission: 3 }, "KERN_PROTECTION_FAILURE"],
    ["size 0", { size: 0 }, "KERN_INVALID_ARGUMENT"],
  ])("make_memory_entry refuses %s, changing nothing", (_, args, kr) => {
    const k = parent();
    ok(k, "protect", { addr: 4 * P, size: P, prot: VM_PROT_READ });
    const h = ok(k, "copyin", { size: 2 * P }).copy!;
    const before = abstractImpl(k);
    expect(run(k, "make_memory_entry", args).kr).toBe(kr);
    expect(abstractImpl(k)).toEqual(before);
    expect(k.namedEntries).toEqual([]);
    expect(h).toBe(0);
  });

  it("masks the permission to VM_PROT_ALL", () => {
    const k = parent();
    ok(k, "make_memory_entry", { permission: 0x11 });
    expect(k.namedEntries[0]!.protection).toBe(1);
  });

  it.each([
    ["cur beyond the entry's protection", { cur: 3, max: 3 }, "KERN_INVALID_RIGHT"],
    ["max beyond the entry's protection", { cur: 1, max: 7 }, "KERN_INVALID_RIGHT"],
    ["a window past the entry's end", { cur: 1, max: 1, offset: P, size: 2 * P }, "KERN_INVALID_ARGUMENT"],
    ["an unaligned offset", { cur: 1, max: 1, offset: 1 }, "KERN_INVALID_ARGUMENT"],
    ["an unknown entry", { cur: 1, max: 1, entry: 1 }, "KERN_INVALID_ARGUMENT"],
    ["cur not within max", { cur: 1, max: 0 }, "KERN_INVALID_ARGUMENT"],
    ["no space at a fixed address", { cur: 1, max: 1, anywhere: false, addr: 0 }, "KERN_NO_SPACE"],
  ])("map_memory_entry refuses %s", (_, args, kr) => {
    const k = parent();
    ok(k, "make_memory_entry", { size: 2 * P, permission: 1 });
    const before = abstractImpl(k);
    expect(run(k, "map_memory_entry", { size: 2 * P, ...args }).kr).toBe(kr);
    expect(abstractImpl(k)).toEqual(before);
  });
});

describe("planted bugs in the sharing mechanisms are visible", () => {
  it("a fork-share that forgets to resolve a pending copy splits the sharers", () => {
    class ShareWithoutShadow extends VmMap {
      override sharePrepare(e: VmMapEntry): VmObject {
        const o = this.ensureObject(e);
        this.layer.makeShared(o);
        return o;
      }
    }
    const k = kernel({ mapClass: ShareWithoutShadow });
    ok(k, "enter", { size: P, inheritance: VM_INHERIT_SHARE });
    write(k, 0, "01");
    const h = ok(k, "copyin", { size: P, useMaxprot: true }).copy!;
    const child = ok(k, "fork").map!;
    write(k, 0, "02", child);
    expect(read(k, ok(k, "copyout", { copy: h }).addr!, 1)).toBe("02"); // the copy sees a later write: the bug
  });
});
