import { describe, expect, it } from "vitest";
import {
  abstractSpec,
  VM_MAP_COPYIN_OPT_NO_ZERO_FILL,
  VM_MAP_COPYIN_OPT_PMAP_ENTER,
  VM_MAP_COPYIN_OPT_SRC_DESTROY,
  VM_MAP_COPYIN_OPT_STEAL_PAGES,
  VM_PROT_READ,
  type Scope,
  type SpecWorld,
} from "../../spec/index.ts";
import { expectUnchanged, mappedAddresses, P, run, SMALL, TOP, worldWithMap } from "./helpers.ts";

/** Page lists of at most two pages, so that a few pages need continuations. */
const SCOPE: Scope = { ...SMALL, pageListMax: 2 };
const DESTROY = VM_MAP_COPYIN_OPT_SRC_DESTROY;
const STEAL = VM_MAP_COPYIN_OPT_STEAL_PAGES;

const write = (world: SpecWorld, addr: number, data: string, map = 0) =>
  expect(run(world, "write_user", { map, addr, data }).kr).toBe("KERN_SUCCESS");
const read = (world: SpecWorld, addr: number, size: number, map = 0) => run(world, "read_user", { map, addr, size }).data;

/** Map 0 over [0, 2^W) with anonymous [0, 5P), page i starting with bytes i+1, i+1. Map 1 for copyouts. */
function sourceWorld(): SpecWorld {
  const world = worldWithMap(0, TOP, SCOPE);
  run(world, "create", { min: 0, max: 64 * P });
  run(world, "enter", { addr: 0, size: 5 * P });
  for (let i = 0; i < 5; i++) write(world, i * P, `0${i + 1}0${i + 1}`);
  return world;
}
const pageList = (world: SpecWorld, h: number) => abstractSpec(world).copies[h];
const copyin = (world: SpecWorld, addr: number, size: number, options = VM_PROT_READ) => {
  const r = run(world, "copyin_page_list", { addr, size, options });
  expect(r.kr).toBe("KERN_SUCCESS");
  return r.copy!;
};
const refCount = (world: SpecWorld, map = 0) => world.maps[map]?.refCount;

describe("copyin_page_list", () => {
  it("rejects unknown option bits, NULL maps and wrapping ranges, changing nothing", () => {
    const world = sourceWorld();
    for (const args of [{ options: 0x80 }, { options: 0x101 }, { map: 7 }, { addr: TOP - P, size: 2 * P }, { size: -1 }])
      expect(expectUnchanged(world, () => run(world, "copyin_page_list", { size: P, ...args })).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("returns a NULL copy for size 0", () => {
    const world = sourceWorld();
    expect(expectUnchanged(world, () => run(world, "copyin_page_list", { addr: 9 * P, size: 0 }))).toEqual({ kr: "KERN_SUCCESS", copy: null });
  });

  it("checks the VM_PROT access of the first chunk only, the first failing page deciding", () => {
    const world = sourceWorld();
    run(world, "protect", { addr: 3 * P, size: P, prot: 0 });
    expect(expectUnchanged(world, () => run(world, "copyin_page_list", { addr: 5 * P, size: P })).kr).toBe("KERN_INVALID_ADDRESS");
    expect(expectUnchanged(world, () => run(world, "copyin_page_list", { addr: 2 * P, size: 2 * P, options: 1 })).kr).toBe("KERN_PROTECTION_FAILURE");
    // Pages 3 (no access) and 5 (a hole) lie beyond the first two-page chunk: not checked yet.
    expect(run(world, "copyin_page_list", { addr: 0, size: 6 * P, options: 1 }).kr).toBe("KERN_SUCCESS");
  });

  it("snapshots at most pageListMax pages and keeps the caller's offset and size", () => {
    const world = sourceWorld();
    const h = copyin(world, 3, P);
    write(world, 0, "ffff");
    const copy = pageList(world, h)!;
    expect(copy).toMatchObject({ kind: "page_list", offset: 3, size: P, cont: "" });
    expect(copy.pages.map((p) => abstractSpec(world).cells[p.cell])).toEqual(["0101", "0202"]);
  });

  it("leaves the rest of a longer range to a continuation holding a reference on the map", () => {
    const world = sourceWorld();
    const h = copyin(world, 0, 5 * P);
    expect(pageList(world, h)!.pages.length).toBe(2);
    expect(pageList(world, h)!.cont).toBe(`map 0 [0x${(2 * P).toString(16)}, 0x${(5 * P).toString(16)}) options 0x1`);
    expect(refCount(world)).toBe(2);
  });

  it("records PMAP_ENTER and NO_ZERO_FILL without any visible change", () => {
    const plain = sourceWorld();
    const flagged = sourceWorld();
    copyin(plain, 0, 2 * P);
    copyin(flagged, 0, 2 * P, VM_PROT_READ | VM_MAP_COPYIN_OPT_PMAP_ENTER | VM_MAP_COPYIN_OPT_NO_ZERO_FILL);
    const strip = (w: SpecWorld) => JSON.stringify(abstractSpec(w));
    expect(strip(flagged)).toBe(strip(plain));
  });
});

describe("continuations", () => {
  it("copy_continue reads the source when it runs: later chunks see writes made since", () => {
    const world = sourceWorld();
    const first = copyin(world, 0, 5 * P);
    write(world, 0, "aaaa");
    write(world, 2 * P, "bbbb");
    const r = run(world, "copy_continue", { copy: first });
    expect(r.kr).toBe("KERN_SUCCESS");
    const second = pageList(world, r.copy!)!;
    expect(pageList(world, first)).toBeNull();
    expect(second).toMatchObject({ offset: 2 * P, size: 3 * P });
    expect(abstractSpec(world).cells[second.pages[0]!.cell]).toBe("bbbb");
    const last = run(world, "copy_continue", { copy: r.copy! });
    expect(pageList(world, last.copy!)).toMatchObject({ offset: 4 * P, size: P, cont: "" });
    expect(refCount(world)).toBe(1);
  });

  it("a continuation meeting a hole or a missing access fails and changes nothing; abort then ends it", () => {
    const world = sourceWorld();
    const h = copyin(world, 0, 5 * P);
    run(world, "remove", { addr: 3 * P, size: P });
    expect(expectUnchanged(world, () => run(world, "copy_continue", { copy: h })).kr).toBe("KERN_INVALID_ADDRESS");
    run(world, "enter", { addr: 3 * P, size: P, cur: 0 });
    expect(expectUnchanged(world, () => run(world, "copy_continue", { copy: h })).kr).toBe("KERN_PROTECTION_FAILURE");
    expect(run(world, "copy_abort", { copy: h }).kr).toBe("KERN_SUCCESS");
    expect(refCount(world)).toBe(1);
    expect(run(world, "copy_continue", { copy: h }).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "copy_abort", { copy: h }).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("copy_continue and copy_abort refuse copies without a continuation", () => {
    const world = sourceWorld();
    const h = copyin(world, 0, P);
    run(world, "copyin", { addr: 0, size: 3 * P });
    for (const copy of [h, h + 1, 9])
      for (const op of ["copy_continue", "copy_abort"] as const)
        expect(expectUnchanged(world, () => run(world, op, { copy })).kr).toBe("KERN_INVALID_ARGUMENT");
  });

  it("SRC_DESTROY without STEAL_PAGES removes the whole source when the chain ends", () => {
    const world = sourceWorld();
    let h = copyin(world, 0, 3 * P, VM_PROT_READ | DESTROY);
    h = run(world, "copy_continue", { copy: h }).copy!;
    expect(mappedAddresses(world)).toHaveLength(5);
    expect(pageList(world, h)!.cont).toMatch(/^map 0 \[0x300, 0x300\) options 0x9, then remove \[0x0, 0x300\)$/);
    expect(run(world, "copy_continue", { copy: h })).toEqual({ kr: "KERN_SUCCESS", copy: null });
    expect(mappedAddresses(world)).toEqual([3 * P, 4 * P]);
    expect(refCount(world)).toBe(1);
  });

  it("SRC_DESTROY with STEAL_PAGES removes each chunk as it is taken", () => {
    const world = sourceWorld();
    const h = copyin(world, 0, 3 * P, VM_PROT_READ | DESTROY | STEAL);
    expect(mappedAddresses(world)).toEqual([2 * P, 3 * P, 4 * P]);
    run(world, "copy_continue", { copy: h });
    expect(mappedAddresses(world)).toEqual([3 * P, 4 * P]);
  });

  it("copy_discard aborts the continuation: the pending removal happens", () => {
    const world = sourceWorld();
    const h = copyin(world, P, P, DESTROY);
    expect(run(world, "copy_discard", { copy: h }).kr).toBe("KERN_SUCCESS");
    expect(mappedAddresses(world)).toEqual([0, 2 * P, 3 * P, 4 * P]);
  });

  it("a map over-released under a continuation: the continuation cannot run, its abort drops nothing", () => {
    const world = worldWithMap(0, TOP, SCOPE);
    run(world, "enter", { addr: 0, size: 4 * P });
    const h = copyin(world, 0, 4 * P, VM_PROT_READ | DESTROY);
    run(world, "deallocate", { map: 0 });
    run(world, "deallocate", { map: 0 });
    expect(world.maps[0]).toBeNull();
    expect(expectUnchanged(world, () => run(world, "copy_continue", { copy: h })).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "copy_abort", { copy: h }).kr).toBe("KERN_SUCCESS");
  });
});

describe("copyout_page_list", () => {
  it("maps every chunk of the chain at one first fit, RW, at the copy's page offset", () => {
    const world = sourceWorld();
    const h = copyin(world, 3, 4 * P);
    write(world, 4 * P, "cccc");
    const r = run(world, "copyout_page_list", { map: 1, copy: h });
    expect(r).toEqual({ kr: "KERN_SUCCESS", addr: 3 });
    expect(read(world, 0, 2, 1)).toBe("0101");
    expect(read(world, 4 * P, 2, 1)).toBe("cccc");
    expect(mappedAddresses(world, 1)).toHaveLength(5);
    expect(refCount(world)).toBe(1);
    expect(pageList(world, h)).toBeNull();
    // The copy is detached from the source.
    write(world, 0, "eeee");
    expect(read(world, 0, 2, 1)).toBe("0101");
  });

  it("checks the whole chain first: a failing continuation or no space changes nothing", () => {
    const world = sourceWorld();
    const h = copyin(world, 0, 5 * P);
    run(world, "protect", { addr: 4 * P, size: P, prot: 0 });
    expect(expectUnchanged(world, () => run(world, "copyout_page_list", { map: 1, copy: h })).kr).toBe("KERN_PROTECTION_FAILURE");
    expect(expectUnchanged(world, () => run(world, "copyout", { map: 1, copy: h })).kr).toBe("KERN_PROTECTION_FAILURE");
    run(world, "create", { min: 0, max: 4 * P });
    expect(expectUnchanged(world, () => run(world, "copyout_page_list", { map: 2, copy: h })).kr).toBe("KERN_NO_SPACE");
  });

  it("refuses other kinds of copy, and a page list whose pages were discarded", () => {
    const world = sourceWorld();
    const h = copyin(world, 0, 3 * P);
    run(world, "copyin", { addr: 0, size: 3 * P });
    expect(expectUnchanged(world, () => run(world, "copyout_page_list", { map: 1, copy: h + 1 })).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "page_discard", { copy: h }).kr).toBe("KERN_SUCCESS");
    expect(pageList(world, h)!.pages).toEqual([]);
    expect(expectUnchanged(world, () => run(world, "copyout_page_list", { map: 1, copy: h })).kr).toBe("KERN_INVALID_ARGUMENT");
    expect(run(world, "copy_continue", { copy: h }).kr).toBe("KERN_SUCCESS");
  });

  it("steal_pages changes nothing visible; copy_overwrite refuses page lists", () => {
    const world = sourceWorld();
    const h = copyin(world, 0, 3 * P);
    expect(expectUnchanged(world, () => run(world, "steal_pages", { copy: h })).kr).toBe("KERN_SUCCESS");
    expect(expectUnchanged(world, () => run(world, "copy_overwrite", { addr: 0, copy: h })).kr).toBe("KERN_INVALID_ARGUMENT");
  });
});
