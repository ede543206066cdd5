import { describe, expect, it } from "vitest";
import type { Kernel } from "../../impl/index.ts";
import { abstractImpl } from "../../model-check/abstraction.ts";
import { INVARIANTS } from "../../model-check/invariants.ts";
import { VM_INHERIT_NONE, VM_INHERIT_SHARE, VM_PROT_READ } from "../../spec/constants.ts";
import { anonymousLive, entries, entryAt, healthy, kernel, ok, P, read, run, write } from "./helpers.ts";

/** Map 0; map 1 over [0, 16P) with [0, 4P) written; [8P, 12P) of map 0 maps [0, 4P) of map 1 (nested). */
function withSubmap(inheritance = VM_INHERIT_SHARE): Kernel {
  const k = kernel();
  ok(k, "create", { min: 0, max: 16 * P });
  ok(k, "enter", { map: 1, addr: 0, size: 4 * P });
  for (let i = 0; i < 4; i++) write(k, i * P, `1${i}`, 1);
  ok(k, "submap", { map: 0, addr: 8 * P, size: 4 * P, submap: 1, offset: 0, inheritance, usePmap: true });
  return k;
}

const invariantsHold = (k: Kernel) => {
  for (const inv of INVARIANTS) expect(inv.check(k), inv.name).toBeUndefined();
  healthy(k);
};

describe("submap entries", () => {
  it("record the submap, its offset and use_pmap, and hold one map reference", () => {
    const k = withSubmap();
    const e = entryAt(k, 8 * P);
    expect([e.submap, e.object, e.offset, e.usePmap]).toEqual([k.maps[1], null, 0, true]);
    expect(k.maps[1]!.refCount).toBe(2);
    invariantsHold(k);
  });

  it("clipping adds a reference per piece, removal drops them", () => {
    const k = withSubmap();
    ok(k, "protect", { map: 0, addr: 9 * P, size: P, prot: VM_PROT_READ });
    expect(entries(k.maps[0]!).filter((e) => e.submap).length).toBe(3);
    expect(k.maps[1]!.refCount).toBe(4);
    ok(k, "remove", { map: 0, addr: 8 * P, size: 4 * P, flags: 0 });
    expect(k.maps[1]!.refCount).toBe(1);
    invariantsHold(k);
  });

  it("reads and writes reach the submap's objects; a write never gives the submap entry an object", () => {
    const k = withSubmap();
    expect(read(k, 9 * P, 1)).toBe("11");
    write(k, 10 * P, "aa");
    expect(read(k, 2 * P, 1, 1)).toBe("aa");
    expect(entryAt(k, 10 * P).object).toBeNull();
    invariantsHold(k);
  });

  it("wiring counts on the submap entry only and needs the submap's pages", () => {
    const k = withSubmap();
    ok(k, "wire", { map: 0, addr: 8 * P, size: 4 * P, access: VM_PROT_READ, user: false });
    expect(entryAt(k, 8 * P).wiredCount).toBe(1);
    expect(entryAt(k, 0, 1).wiredCount).toBe(0);
    ok(k, "remove", { map: 1, addr: 3 * P, size: P, flags: 0 });
    expect(run(k, "wire", { map: 0, addr: 11 * P, size: P, access: VM_PROT_READ, user: true }).kr).toBe("KERN_INVALID_ADDRESS");
    invariantsHold(k);
  });

  it("fork shares SHARE submap entries with a reference, leaves NONE ones out", () => {
    for (const [inheritance, refs] of [[VM_INHERIT_SHARE, 3], [VM_INHERIT_NONE, 2]] as const) {
      const k = withSubmap(inheritance);
      const child = ok(k, "fork", { map: 0 }).map!;
      expect(k.maps[1]!.refCount).toBe(refs);
      expect(entries(k.maps[child]!).length).toBe(refs - 2);
      invariantsHold(k);
    }
  });

  it("copyin copies the submap's entries, re-based to the parent's addresses", () => {
    const k = withSubmap();
    const copy = ok(k, "copyin", { map: 0, addr: 9 * P, size: 2 * P, srcDestroy: true, useMaxprot: true }).copy!;
    const c = k.copies[copy]!;
    expect(c.kind === "entry_list" && c.entries.map((e) => [e.start / P, e.end / P, e.submap])).toEqual([[9, 11, null]]);
    expect(read(k, P, 2, 1)).toBe("1100");
    invariantsHold(k);
  });

  it("a map whose handle was dropped lives on behind its parents; releasing them destroys it and frees its objects", () => {
    const k = withSubmap();
    ok(k, "deallocate", { map: 1 });
    expect(k.maps[1]).toBeNull();
    expect(abstractImpl(k).maps[1]).toBeNull();
    expect(read(k, 8 * P, 1)).toBe("10");
    invariantsHold(k);
    ok(k, "deallocate", { map: 0 });
    expect(k.everyMap.get(1)!.refCount).toBe(0);
    expect(anonymousLive(k)).toEqual([]);
    invariantsHold(k);
  });

  it("lookup reports the descent with the submap handle and address", () => {
    const k = withSubmap();
    const r = run(k, "lookup", { map: 0, addr: 9 * P + 3 });
    expect(r.submap).toMatchObject({ map: 1, addr: P + 3, nested: true, page: { prot: 3 } });
  });
});

describe("shared regions", () => {
  it("hold their submaps, map text as a nested submap entry and data as a copy-on-write submap entry", () => {
    const k = kernel();
    const { text, data } = ok(k, "shared_region_create", { textSize: 2 * P, dataSize: 2 * P, clientBase: 4 * P });
    ok(k, "enter", { map: data!, addr: 0, size: 2 * P });
    write(k, 0, "da", data!);
    ok(k, "shared_region_map", { map: 0, region: 0 });
    const t = entryAt(k, 4 * P), d = entryAt(k, 6 * P);
    expect([t.submap, t.usePmap, t.protection, t.maxProtection]).toEqual([k.maps[text!], true, VM_PROT_READ, VM_PROT_READ]);
    expect([d.submap, d.needsCopy, d.usePmap, d.protection]).toEqual([k.maps[data!], true, false, VM_PROT_READ]);
    expect([k.maps[text!]!.refCount, k.maps[data!]!.refCount]).toEqual([3, 3]);
    write(k, 0, "db", data!);
    expect(read(k, 6 * P, 1)).toBe("db"); // live until a write through it
    invariantsHold(k);
  });

  it("when destroyed, release their submaps (a dropped data map goes with its memory) and their chain", () => {
    const k = kernel();
    const { text, data } = ok(k, "shared_region_create", { textSize: 2 * P, dataSize: 2 * P, clientBase: 4 * P });
    ok(k, "shared_region_create", { textSize: P, dataSize: P, clientBase: 0 });
    ok(k, "shared_region_attach", { region: 1, parent: 0 });
    ok(k, "enter", { map: data!, addr: 0, size: 2 * P });
    write(k, 0, "da", data!);
    ok(k, "shared_region_map", { map: 0, region: 0 });
    ok(k, "deallocate", { map: data! });
    ok(k, "shared_region_deallocate", { region: 0 }); // region 1 still holds it
    expect([k.regions[0]!.refCount, k.maps[data!] === null, k.everyMap.get(data!)!.refCount]).toEqual([1, true, 2]);
    invariantsHold(k);
    ok(k, "shared_region_deallocate", { region: 1 });
    expect(k.regions.map((r) => r.refCount)).toEqual([0, 0]);
    // The task's copy-on-write data mapping still holds the data map; removing it lets it go.
    expect([k.everyMap.get(data!)!.refCount, k.maps[text!]!.refCount]).toEqual([1, 2]);
    ok(k, "remove", { map: 0, addr: 6 * P, size: 2 * P, flags: 0 });
    expect([k.everyMap.get(data!)!.refCount, k.everyMap.get(data!)!.nentries]).toEqual([0, 0]);
    invariantsHold(k);
  });
});

describe("named entries on submaps", () => {
  it("hold a map reference; a shared mapping is one submap entry, a copy one copy-on-write submap entry", () => {
    const k = kernel();
    const { entry, map } = ok(k, "region_object_create", { size: 2 * P });
    ok(k, "enter", { map: map!, addr: 0, size: 2 * P });
    write(k, P, "5a", map!);
    const args = { map: 0, size: 2 * P, mask: 0, anywhere: false, entry: entry!, offset: 0, cur: 3, max: 3, inheritance: VM_INHERIT_SHARE };
    ok(k, "map_memory_entry", { ...args, addr: 0, copy: false });
    ok(k, "map_memory_entry", { ...args, addr: 8 * P, copy: true });
    expect([entryAt(k, 0).submap, entryAt(k, 8 * P).submap, entryAt(k, 0).needsCopy, entryAt(k, 8 * P).needsCopy]).toEqual([k.maps[map!], k.maps[map!], false, true]);
    expect(k.maps[map!]!.refCount).toBe(4);
    write(k, P, "5b", map!);
    expect([read(k, P, 1), read(k, 9 * P, 1)]).toEqual(["5b", "5b"]);
    write(k, 9 * P, "5c"); // the copy's first write: its page goes private
    write(k, P, "5d", map!);
    expect([read(k, P, 1), read(k, 9 * P, 1)]).toEqual(["5d", "5c"]);
    ok(k, "deallocate", { map: map! });
    expect([read(k, P, 1), read(k, 9 * P, 1)]).toEqual(["5d", "5c"]);
    invariantsHold(k);
  });
});
