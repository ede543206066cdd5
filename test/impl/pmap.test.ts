import { describe, expect, it } from "vitest";
import { PageTable } from "../../impl/pmap/page-table.ts";
import { PhysicalMemory } from "../../impl/pmap/physical-memory.ts";
import { Pmap, type PmapHost } from "../../impl/pmap/pmap.ts";
import { VmObject } from "../../impl/object/vm-object.ts";

/** A host that records invalidations instead of shooting anything down. */
function host(frames = 8): PmapHost & { invalidations: [number, number, number][]; reduced: string[] } {
  const invalidations: [number, number, number][] = [];
  const reduced: string[] = [];
  return {
    phys: new PhysicalMemory(frames),
    lockHooks: null,
    invalidations,
    reduced,
    invalidate: (p, s, e) => void invalidations.push([p.asid, s, e]),
    pteReduced: (p, v) => void reduced.push(`${p.asid}:${v}`),
  };
}

/** These objects are never released: nobody needs to be told. */
const NO_OWNER = { terminate: () => {} };

function frameFor(h: PmapHost, index: number): number {
  const o = new VmObject(index, "anonymous", 64 * 16, 64, NO_OWNER);
  const page = new Uint8Array(64);
  o.pages.set(index, page);
  return h.phys.allocate(o, index, page);
}

describe("physical memory", () => {
  it("hands out every frame once, then -1, and reuses the last freed first", () => {
    const h = host(3);
    const fs = [frameFor(h, 0), frameFor(h, 1), frameFor(h, 2)];
    expect(fs).toEqual([0, 1, 2]);
    expect(frameFor(h, 3)).toBe(-1);
    h.phys.release(1);
    expect(h.phys.freeCount).toBe(1);
    expect(frameFor(h, 4)).toBe(1);
  });

  it("knows a frame whose page was replaced in its object is stale", () => {
    const h = host();
    const o = new VmObject(1, "anonymous", 64 * 4, 64, NO_OWNER);
    const page = new Uint8Array(64);
    o.pages.set(0, page);
    const f = h.phys.allocate(o, 0, page);
    expect(h.phys.holdsLivePage(f)).toBe(true);
    o.pages.set(0, new Uint8Array(64));
    expect(h.phys.holdsLivePage(f)).toBe(false);
  });
});

/** The frame `vpn` maps in `t`, or -1 (a walk, as the MMU's readers do it). */
function frameAt(t: PageTable, vpn: number): number {
  const l = t.leaf(vpn);
  return l === null ? -1 : l.frame[t.leafSlot(vpn)]!;
}

describe("page table", () => {
  it("walks a 3-level radix tree and creates leaves on demand", () => {
    const t = new PageTable(26, 9);
    expect(t.levels).toBe(2);
    expect(t.leaf(12345)).toBeNull();
    const l = t.leaf(12345, true)!;
    l.frame[t.leafSlot(12345)] = 7;
    expect(frameAt(t, 12345)).toBe(7);
    expect(frameAt(t, 12346)).toBe(-1);
    expect(frameAt(t, 2 ** 26 - 1)).toBe(-1);
  });

  it("keeps page numbers apart across the whole width of 64-bit addresses (levels whose slot lies 32 bits up or more)", () => {
    const t = new PageTable(52, 9); // 64-bit addresses, 4 KiB pages: 5 directory levels, the root's slot at bits 45–51
    expect(t.levels).toBe(5);
    // 2^13 and 2^45 + 2^13 share a path if a small page number is shifted by 45 mod 32 at the root.
    const vpns = [0, 1, 2 ** 13, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40 + 5, 2 ** 45, 2 ** 45 + 2 ** 13, 2 ** 52 - 1];
    vpns.forEach((v, i) => (t.leaf(v, true)!.frame[t.leafSlot(v)] = i));
    vpns.forEach((v, i) => expect(frameAt(t, v), `vpn ${v}`).toBe(i));
    expect(frameAt(t, 2 ** 45 + 1)).toBe(-1);
  });

  it("shares nested leaves: a PTE set in the nested table is seen through the parent", () => {
    const parent = new PageTable(26, 9), nested = new PageTable(26, 9);
    parent.nest(1024, nested, 512, 512);
    nested.leaf(512 + 3, true)!.frame[3] = 9;
    expect(frameAt(parent, 1024 + 3)).toBe(9);
    parent.unnest(1024, 512);
    expect(frameAt(parent, 1024 + 3)).toBe(-1);
  });

  it("refuses a nested window that is not whole leaves", () => {
    const parent = new PageTable(26, 9), nested = new PageTable(26, 9);
    expect(() => parent.nest(1, nested, 0, 512)).toThrow(/whole leaves/);
  });
});

describe("pmap", () => {
  it("enter maps, records the reverse mapping and pins wired frames", () => {
    const h = host();
    const p = new Pmap(h, 1, 26);
    const f = frameFor(h, 0);
    p.enter(5, f, 3, true);
    expect(p.pte(5)).toEqual({ frame: f, rights: 3, wired: true });
    expect(h.phys.mappings[f]).toEqual([{ pmap: p, vpn: 5 }]);
    expect(h.phys.pins[f]).toBe(1);
    p.changeWiring(5, false);
    expect(h.phys.pins[f]).toBe(0);
    expect(h.invalidations).toEqual([]);
  });

  it("upgrading rights needs no invalidation; reducing them or changing the frame does", () => {
    const h = host();
    const p = new Pmap(h, 1, 26);
    const [f, g] = [frameFor(h, 0), frameFor(h, 1)];
    p.enter(5, f, 1, false);
    p.enter(5, f, 3, false);
    expect(h.invalidations).toEqual([]);
    p.enter(5, f, 1, false);
    expect(h.invalidations).toEqual([[1, 5, 6]]);
    p.enter(5, g, 1, false);
    expect(h.invalidations).toEqual([[1, 5, 6], [1, 5, 6]]);
    expect(h.phys.mappings[f]).toEqual([]);
  });

  it("remove and protect clear the range and invalidate it once", () => {
    const h = host();
    const p = new Pmap(h, 2, 26);
    for (let v = 10; v < 14; v++) p.enter(v, frameFor(h, v), 3, v === 11);
    p.protect(10, 12, 1);
    expect([p.pte(10).rights, p.pte(11).rights, p.pte(12).rights]).toEqual([1, 1, 3]);
    p.remove(11, 13);
    expect([p.pte(11).frame, p.pte(12).frame]).toEqual([-1, -1]);
    expect(h.phys.pins.every((n) => n === 0)).toBe(true);
    expect(h.invalidations).toEqual([[2, 10, 12], [2, 11, 13]]);
    expect([...p.mapped].sort()).toEqual([10, 13]);
  });

  it("protect to no rights removes unwired PTEs and keeps wired ones without rights; granting more changes nothing", () => {
    const h = host();
    const p = new Pmap(h, 3, 26);
    p.enter(1, frameFor(h, 1), 1, false);
    const w = frameFor(h, 2);
    p.enter(2, w, 3, true);
    p.protect(0, 4, 7);
    expect(h.invalidations).toEqual([]);
    p.protect(0, 4, 0);
    expect(p.pte(1).frame).toBe(-1);
    expect(p.pte(2)).toEqual({ frame: w, rights: 0, wired: true });
    expect(h.invalidations).toEqual([[3, 0, 4]]);
  });

  it("a nested pmap's PTEs are visible through the parent, which it remembers", () => {
    const h = host();
    const parent = new Pmap(h, 1, 26), nested = new Pmap(h, 2, 26);
    parent.nest(512, nested, 0, 512, 5);
    nested.enter(3, frameFor(h, 0), 3, false);
    expect(parent.pte(515)).toEqual({ frame: 0, rights: 1, wired: false });
    expect(nested.pte(3).rights).toBe(3);
    expect(nested.parents).toEqual([{ parent, nested, vpn: 512, nestedVpn: 0, pages: 512, mask: 5 }]);
    expect(parent.nests).toEqual(nested.parents);
    expect(() => parent.enter(515, frameFor(h, 1), 1, false)).toThrow(/nested window/);
    parent.unnest(512);
    expect(parent.pte(515).frame).toBe(-1);
    expect(nested.parents).toEqual([]);
    expect(parent.nests).toEqual([]);
    expect(h.invalidations).toEqual([[1, 512, 1024]]);
    expect(h.reduced).toEqual(["1:515"]);
  });
});
