import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/kernel.ts";
import { newEntry, type VmMapEntry } from "../../impl/map/entry.ts";
import { VmMap } from "../../impl/map/vm-map.ts";
import type { EntryAttributes } from "../../impl/map/entry.ts";
import { INVARIANTS as ALL_INVARIANTS, collapseWatcher } from "../../model-check/invariants.ts";
import { entryShapeWatcher } from "../../model-check/entry-shape.ts";
import { ObjectLayer } from "../../impl/object/object-layer.ts";
import type { VmObject } from "../../impl/object/vm-object.ts";
import { kernelSystem } from "../../model-check/lockstep.ts";
import { MMU_INVARIANTS } from "../../model-check/mmu-invariants.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op } from "../../spec/vocabulary.ts";

/** The MMU's invariants have their own corruption tests (mmu-invariants.test.ts). */
const INVARIANTS = ALL_INVARIANTS.filter((i) => !MMU_INVARIANTS.includes(i));

const scope: Scope = { addressBits: 32, pageSize: 64, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 4096 };
const ps = scope.pageSize;
const MIN = 0x1000;

/** A healthy kernel: one map with three entries at min (rw, r, object window), one wired, one hole. */
function healthy(): { k: Kernel; map: VmMap; entries: VmMapEntry[] } {
  const k = new Kernel(scope);
  const ops: Op[] = [
    { op: "create", min: MIN, max: MIN + 32 * ps },
    { op: "object_create", size: 4 * ps },
    { op: "enter", map: 0, addr: MIN, size: 2 * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
    { op: "enter", map: 0, addr: MIN + 2 * ps, size: 2 * ps, mask: 0, anywhere: false, alias: 0, cur: 1, max: 7, inheritance: 1, source: { kind: "anonymous" } },
    { op: "enter", map: 0, addr: MIN + 8 * ps, size: 2 * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 3, inheritance: 0, source: { kind: "object", object: 0, offset: ps } },
    { op: "wire", map: 0, addr: MIN, size: 2 * ps, access: 1, user: true },
    { op: "write_user", map: 0, addr: MIN + 8 * ps + 3, data: "abcdef" },
    // Copy-on-write state: a copied anonymous range written afterwards (a shadow chain), an
    // entry-list copy still held, and a named entry on the object window.
    { op: "enter", map: 0, addr: MIN + 12 * ps, size: 2 * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
    { op: "write_user", map: 0, addr: MIN + 12 * ps, data: "0102" },
    { op: "write_user", map: 0, addr: MIN + 13 * ps, data: "0102" },
    { op: "copyin", map: 0, addr: MIN + 12 * ps, size: 2 * ps, srcDestroy: false, useMaxprot: true },
    { op: "write_user", map: 0, addr: MIN + 12 * ps, data: "0304" },
    { op: "make_memory_entry", map: 0, addr: MIN + 8 * ps, size: ps, permission: 1 },
    // A page list holding both pages of the written range busy (copy 1).
    { op: "copyin_page_list", map: 0, addr: MIN + 12 * ps, size: 2 * ps, options: 1 },
    // A submap: map 2 maps two pages of map 1 (whose handle is then dropped: it lives on as a submap).
    { op: "create", min: MIN, max: MIN + 8 * ps },
    { op: "enter", map: 1, addr: MIN, size: 2 * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
    { op: "create", min: MIN, max: MIN + 8 * ps },
    { op: "submap", map: 2, addr: MIN + 2 * ps, size: 2 * ps, submap: 1, offset: MIN, inheritance: 0, usePmap: true },
    { op: "write_user", map: 2, addr: MIN + 2 * ps, data: "0506" },
    { op: "deallocate", map: 1 },
    // Two shared regions (maps 3 to 6), the second chained to the first, mapped into map 2.
    { op: "shared_region_create", textSize: ps, dataSize: ps, clientBase: MIN + 5 * ps },
    { op: "shared_region_create", textSize: ps, dataSize: ps, clientBase: MIN + 5 * ps },
    { op: "shared_region_attach", region: 1, parent: 0 },
    { op: "shared_region_map", map: 2, region: 1 },
  ];
  for (const op of ops) expect(k.run(op).kr).toBe("KERN_SUCCESS");
  const map = k.maps[0]!;
  const entries: VmMapEntry[] = [];
  for (let e = map.store.header.next; e !== map.store.header; e = e.next) entries.push(e);
  expect(entries.length).toBe(4);
  return { k, map, entries };
}

/** For every invariant: a corruption of a healthy state that it must report. */
const CORRUPTIONS: Record<string, (h: ReturnType<typeof healthy>) => void> = {
  "list-structure": ({ entries }) => { entries[1]!.prev = entries[1]!; },
  "header-bounds": ({ map }) => { map.store.header.start = map.store.header.end + ps; },
  "entry-aligned": ({ entries }) => { entries[2]!.end += 1; },
  "entries-ordered": ({ entries }) => { entries[0]!.end = entries[1]!.start + ps; },
  "entries-in-bounds": ({ entries }) => { entries[0]!.start = MIN - ps; },
  "nentries-count": ({ map }) => { map.store.nentries += 1; },
  "size-accounting": ({ map }) => { map.size += ps; },
  // An entry moved behind the index's back: the tree still files it under its old start.
  "search-tree": ({ entries }) => { entries[2]!.start += ps; },
  "hint-valid": ({ map }) => { map.hint = newEntry(MIN, MIN + ps, { ...map.store.header.next }); },
  "first-free-valid": ({ map }) => { map.firstFree = map.store.header; },
  "hint-independence": ({ map }) => {
    // A lookup that trusts the hint without checking that the address is inside it.
    const honest = map.lookupEntry.bind(map);
    map.lookupEntry = (addr: number) => (map.hint !== map.store.header ? { found: true, entry: map.hint } : honest(addr));
  },
  "wire-count-bounds": ({ entries }) => { entries[0]!.wiredCount = scope.maxWireCount + 1; },
  "user-wire-implies-wired": ({ entries }) => { entries[0]!.wiredCount = 0; },
  "wired-resident": ({ entries }) => { entries[0]!.object!.pages.delete(entries[0]!.offset / ps + 1); },
  "wired-no-needs-copy": ({ entries }) => { entries[0]!.needsCopy = true; },
  "prot-within-max": ({ entries }) => { entries[2]!.protection = 7; },
  "object-refcounts": ({ k }) => { k.objects[0]!.refCount += 1; },
  "no-leaks": ({ k }) => { k.objectLayer.allocate("anonymous", ps); },
  "shadow-chains-bounded": ({ k, entries }) => {
    // Shadow the entry's object again and again, past the bound, with no collapse in between.
    let o = entries[3]!.object!;
    for (let i = 0; i <= k.objectLayer.maxChainLength; i++) o = k.objectLayer.shadow(o, 0, o.size);
    entries[3]!.object = o;
  },
  // A collapse that returned with the entry's object still the only holder of its shadow.
  "collapse-complete": ({ k, entries }) => {
    const e = entries[0]!;
    const below = e.object!;
    expect(below.refCount).toBe(1);
    e.object = k.objectLayer.shadow(below, 0, below.size);
    k.objectLayer.collapseStep = () => false;
    collapseWatcher(k.objectLayer);
    k.objectLayer.collapse(e.object);
  },
  "enter-coalescing": ({ k, map }) => {
    map.canCoalesce = () => false; // the read-only entry [2, 4) pages in could grow over [4, 6)
    entryShapeWatcher(k);
    expect(k.run({ op: "enter", map: 0, addr: MIN + 4 * ps, size: 2 * ps, mask: 0, anywhere: false, alias: 0, cur: 1, max: 7, inheritance: 1, source: { kind: "anonymous" } }).kr).toBe("KERN_SUCCESS");
  },
  "range-frame": ({ k, map, entries }) => {
    // A protect of [2, 4) that also changes the inheritance of the entry at [8, 10).
    const honest = map.protect.bind(map);
    map.protect = (start, end, prot, setMax) => {
      entries[2]!.inheritance = 2;
      return honest(start, end, prot, setMax);
    };
    entryShapeWatcher(k);
    expect(k.run({ op: "protect", map: 0, addr: MIN + 2 * ps, size: 2 * ps, prot: 1, setMax: false }).kr).toBe("KERN_SUCCESS");
  },
  "simplify-merging": ({ k, map }) => {
    map.mergeable = () => true; // the wired read-write entry is merged with the read-only one after it
    entryShapeWatcher(k);
    expect(k.run({ op: "simplify", map: 0, addr: MIN }).kr).toBe("KERN_SUCCESS");
  },
  "shadow-chains-acyclic": ({ entries }) => {
    const top = entries[3]!.object!;
    expect(top.shadow).not.toBeNull();
    top.shadow!.shadow = top;
  },
  "copy-object-shape": ({ k, entries }) => { k.objects[0]!.copy = entries[3]!.object; },
  "shared-not-symmetric": ({ entries }) => {
    expect(entries[3]!.object!.strategy).toBe("symmetric");
    entries[3]!.isShared = true;
  },
  "symmetric-one-writer": ({ k, entries }) => {
    // The copy entry of the copied range still reads the object the map entry's shadow hides;
    // without needs_copy it would write there in place, under the map's shadow.
    const copy = k.copies[0]!;
    expect(copy.kind).toBe("entry_list");
    expect(entries[3]!.object!.shadow!.strategy).toBe("symmetric");
    if (copy.kind === "entry_list") copy.entries[0]!.needsCopy = false;
  },
  "copy-entries-clean": ({ k }) => {
    const copy = k.copies[0]!;
    expect(copy.kind).toBe("entry_list");
    if (copy.kind === "entry_list") copy.entries[0]!.wiredCount = 1;
  },
  "page-list-shape": ({ k }) => {
    const copy = k.copies[1]!;
    expect(copy.kind).toBe("page_list");
    // The object forgets the page is busy: a write would change the copy's snapshot in place.
    if (copy.kind === "page_list") copy.pages[0]!.object!.busy.delete(copy.pages[0]!.index);
  },
  "object-window": ({ entries }) => { entries[2]!.offset = 3 * ps; },
  // A page put one past the object's last page (an absorb or flatten that missed its window's end).
  "pages-within-object": ({ entries }) => { const o = entries[0]!.object!; o.pages.set(o.size / ps, new Uint8Array(ps)); },
  // A collapse that subtracted the backing object's offset: the window starts below the shadow.
  "shadow-window": ({ k }) => {
    const o = [...k.objectLayer.live].find((x) => x.shadow !== null)!;
    o.shadowOffset = -ps;
  },
  // A physical copy made as a pager-backed object (DELAY from birth, never absorbed).
  "object-kinds": ({ k }) => { k.objectLayer.allocate("shared", ps); },
  "quiescent-entries": ({ entries }) => { entries[1]!.inTransition = true; },
  "map-references": ({ map }) => { map.refCount = 0; },
  // A release through a handle that is already NULL (a continuation's reference dropped after deallocate over-released the map).
  "handle-counts": ({ k }) => { k.maps.push(null); k.names.push(-1); k.swapped.push(-1); },
  "submap-references": ({ k }) => { k.maps[2]!.store.header.next.submap!.refCount += 1; },
  "submap-inheritance": ({ k }) => { k.maps[2]!.store.header.next.inheritance = 1; },
  "region-references": ({ k }) => { k.regions[0]!.refCount = 1; },
  // A promotion of map 2's copy-on-write data window that set the object but kept the submap.
  "cow-promoted-detached": ({ k }) => {
    const m = k.maps[2]!;
    let e = m.store.header.next;
    while (e !== m.store.header && !(e.submap && e.needsCopy)) e = e.next;
    expect(e.submap).not.toBeNull();
    e.object = k.objects[0]!;
  },
  // Map 1 lives only as map 2's submap: a swapout of map 2 that left it resident.
  "map-residence": ({ k }) => {
    expect(k.run({ op: "swapout", map: 2 }).kr).toBe("KERN_SUCCESS");
    k.maps[2]!.store.header.next.submap!.resCount += 1;
  },
};

describe("invariant registry", () => {
  it("holds on a healthy state", () => {
    const h = healthy();
    for (const inv of INVARIANTS) expect(inv.check(h.k), inv.name).toBeUndefined();
  });

  it("has a corruption test for every invariant", () => {
    expect(Object.keys(CORRUPTIONS).sort()).toEqual(INVARIANTS.map((i) => i.name).sort());
  });

  for (const inv of INVARIANTS) {
    it(`reports ${inv.name} (${inv.ref}) when it is broken`, () => {
      const h = healthy();
      CORRUPTIONS[inv.name]!(h);
      expect(inv.check(h.k)).toMatch(/\S/);
    });
  }
});

describe("collapse-complete", () => {
  /** A layer whose collapse stops before absorbing a backing object that only its shadow holds. */
  class NoAbsorb extends ObjectLayer {
    override collapseStep(o: VmObject, b: VmObject): boolean {
      return b.refCount === 1 ? false : super.collapseStep(o, b);
    }
  }

  /** A layer whose write copies a page up and never collapses (collapse itself is correct). */
  class WriteSkipsCollapse extends ObjectLayer {
    override pageForWrite(o: VmObject, index: number): Uint8Array {
      const collapse = this.collapse;
      this.collapse = () => {};
      try {
        return super.pageForWrite(o, index);
      } finally {
        this.collapse = collapse;
      }
    }
  }

  it("is judged at each collapse and after each copy-up, by the wrappers the checker installs", () => {
    const run = (layer: typeof ObjectLayer, ops: readonly Op[]): string | undefined => {
      const k = new Kernel(scope, { objectLayerClass: layer });
      const sut = kernelSystem(k);
      for (const op of ops) expect(k.run(op).kr).toBe("KERN_SUCCESS");
      return sut.invariants!.find((i) => i.name === "collapse-complete")!.check(() => { throw new Error("unused"); });
    };
    const enter: Op = { op: "enter", map: 0, addr: MIN, size: 2 * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } };
    const copyin: Op = { op: "copyin", map: 0, addr: MIN, size: 2 * ps, srcDestroy: false, useMaxprot: true };
    const absorbed: Op[] = [
      { op: "create", min: MIN, max: MIN + 32 * ps },
      enter,
      { op: "write_user", map: 0, addr: MIN, data: "01" },
      // A copy shares the object (symmetric); the copy goes, and the next write shadows an
      // object held by nobody else: the write's collapse must absorb it.
      copyin,
      { op: "copy_discard", copy: 0 },
      { op: "write_user", map: 0, addr: MIN + ps, data: "02" },
    ];
    expect(run(ObjectLayer, absorbed)).toBeUndefined();
    expect(run(NoAbsorb, absorbed)).toMatch(/only holder of internal object \d+ but did not absorb it/);
    // The shadow is made while the copy still holds the object below; once the copy goes, the
    // copy-up of the last page gives the shadow its whole window, and its chain must go.
    const completed: Op[] = [
      { op: "create", min: MIN, max: MIN + 32 * ps },
      enter,
      { op: "write_user", map: 0, addr: MIN, data: "01".repeat(2 * ps) },
      copyin,
      { op: "write_user", map: 0, addr: MIN, data: "02" },
      { op: "copy_discard", copy: 0 },
      { op: "write_user", map: 0, addr: MIN + ps, data: "03" },
    ];
    expect(run(ObjectLayer, completed)).toBeUndefined();
    expect(run(WriteSkipsCollapse, completed)).toMatch(/holds every page of its window but still shadows object \d+/);
  });
});

describe("enter-coalescing and simplify-merging", () => {
  /** Maps that never grow an entry at enter / never merge at simplify (optimisations off). */
  class NeverCoalesce extends VmMap {
    override canCoalesce(): boolean {
      return false;
    }
  }
  class NeverMerge extends VmMap {
    override mergeable(): boolean {
      return false;
    }
  }
  /** A map whose simplify at an unmapped address merges around the entry before it. */
  class MergesBesideHole extends VmMap {
    override simplifyAt(addr: number): void {
      const r = this.lookupEntry(addr);
      super.simplifyAt(r.found || r.entry === this.store.header ? addr : r.entry.start);
    }
  }
  /** Maps that coalesce / merge regardless of the alias (a real bug: the entries differ in one attribute). */
  class CoalesceIgnoresAlias extends VmMap {
    override canCoalesce(prev: VmMapEntry, start: number, attrs: EntryAttributes): boolean {
      return super.canCoalesce(prev, start, prev === this.store.header ? attrs : { ...attrs, alias: prev.alias });
    }
  }
  class MergeIgnoresAlias extends VmMap {
    override mergeable(a: VmMapEntry, b: VmMapEntry): boolean {
      const alias = b.alias;
      b.alias = a.alias;
      try {
        return super.mergeable(a, b);
      } finally {
        b.alias = alias;
      }
    }
  }
  const findings = (mapClass: typeof VmMap, ops: readonly Op[]): (string | undefined)[] => {
    const k = new Kernel(scope, { mapClass });
    const sut = kernelSystem(k);
    const checks = ["enter-coalescing", "simplify-merging"].map((n) => sut.invariants!.find((i) => i.name === n)!);
    const seen: (string | undefined)[] = [undefined, undefined];
    for (const op of ops) {
      expect(sut.run(op).kr).toBe("KERN_SUCCESS");
      checks.forEach((c, i) => (seen[i] ??= c.check(() => { throw new Error("unused"); })));
    }
    return seen;
  };
  const enter = (addr: number, alias: number, source: Op & { op: "enter" } extends { source: infer S } ? S : never = { kind: "anonymous" }): Op =>
    ({ op: "enter", map: 0, addr, size: 2 * ps, mask: 0, anywhere: false, alias, cur: 3, max: 7, inheritance: 1, source });

  it("coalescing: a neighbour of equal attributes grows; one of another alias does not", () => {
    const equal: Op[] = [{ op: "create", min: MIN, max: MIN + 32 * ps }, enter(MIN, 0), enter(MIN + 2 * ps, 0)];
    const otherAlias: Op[] = [{ op: "create", min: MIN, max: MIN + 32 * ps }, enter(MIN, 0), enter(MIN + 2 * ps, 1)];
    expect(findings(VmMap, equal)).toEqual([undefined, undefined]);
    expect(findings(VmMap, otherAlias)).toEqual([undefined, undefined]);
    expect(findings(NeverCoalesce, equal)[0]).toMatch(/made a new entry, but the reference grows the entry \[0x1000, 0x1080\)/);
    expect(findings(CoalesceIgnoresAlias, otherAlias)[0]).toMatch(/grew the entry before it to \[0x1000, 0x1100\).*its alias differs/);
  });

  it("coalescing: the copyout of a kernel buffer allocates as enter does, next to an entry of default attributes", () => {
    const ops: Op[] = [
      { op: "create", min: MIN, max: MIN + 32 * ps },
      enter(MIN, 0),
      { op: "write_user", map: 0, addr: MIN, data: "0102" },
      { op: "copyin", map: 0, addr: MIN, size: 2, srcDestroy: false, useMaxprot: false },
      { op: "copyout", map: 0, copy: 0 },
    ];
    expect(findings(VmMap, ops)).toEqual([undefined, undefined]);
    expect(findings(NeverCoalesce, ops)[0]).toMatch(/copyout of a kernel buffer of \[0x1080, 0x10c0\) made a new entry, but the reference grows the entry \[0x1000, 0x1080\)/);
  });

  it("merging: a protection restored joins the three entries; windows of one object under two aliases stay apart", () => {
    const restored: Op[] = [
      { op: "create", min: MIN, max: MIN + 32 * ps },
      { ...enter(MIN, 0), size: 4 * ps } as Op,
      { op: "protect", map: 0, addr: MIN + ps, size: ps, prot: 1, setMax: false },
      { op: "protect", map: 0, addr: MIN + ps, size: ps, prot: 3, setMax: false },
      { op: "simplify", map: 0, addr: MIN + ps },
    ];
    const twoAliases: Op[] = [
      { op: "create", min: MIN, max: MIN + 32 * ps },
      { op: "object_create", size: 4 * ps },
      enter(MIN, 1, { kind: "object", object: 0, offset: 0 }),
      enter(MIN + 2 * ps, 2, { kind: "object", object: 0, offset: 2 * ps }),
      { op: "simplify", map: 0, addr: MIN },
    ];
    expect(findings(VmMap, restored)).toEqual([undefined, undefined]);
    expect(findings(VmMap, twoAliases)).toEqual([undefined, undefined]);
    const besideHole = [...restored.slice(0, -1), { op: "simplify", map: 0, addr: MIN + 6 * ps } as Op];
    expect(findings(VmMap, besideHole)).toEqual([undefined, undefined]);
    expect(findings(MergesBesideHole, besideHole)[1]).toMatch(/simplify at 0x1180, which no entry maps, changed the map's entry count from 3 to 2/);
    expect(findings(NeverMerge, restored)[1]).toMatch(/simplify at 0x1040 \(in \[0x1040, 0x1080\)\) left the entry \[0x1040, 0x1080\) there; the reference's merges give \[0x1000, 0x1100\)/);
    expect(findings(MergeIgnoresAlias, twoAliases)[1]).toMatch(/left the entry \[0x1000, 0x1100\) there; the reference's merges give \[0x1000, 0x1080\)/);
  });
});

describe("map-references (#36)", () => {
  it("reports a map that still has references but that nothing reaches (a leak)", () => {
    const { k } = healthy();
    expect(k.run({ op: "deallocate", map: 0 }).kr).toBe("KERN_SUCCESS");
    k.everyMap.get(0)!.refCount = 1; // as if a holder forgot to release it
    expect(INVARIANTS.find((i) => i.name === "map-references")!.check(k)).toMatch(/map 0: leaked/);
  });
});

describe("map-residence (#37)", () => {
  const residence = INVARIANTS.find((i) => i.name === "map-residence")!;

  it("swapping a map out swaps out the submap only it holds, and swapping in brings both back", () => {
    const { k } = healthy();
    const sub = k.maps[2]!.store.header.next.submap!;
    expect(k.run({ op: "swapout", map: 2 }).kr).toBe("KERN_SUCCESS");
    expect([k.maps[2]!.swState, k.maps[2]!.resCount, sub.swState, sub.resCount]).toEqual(["out", 0, "out", 0]);
    expect(k.run({ op: "swapout", map: 2 }).kr).toBe("KERN_FAILURE");
    expect(residence.check(k)).toBeUndefined();
    expect(k.run({ op: "swapin", map: 2 }).kr).toBe("KERN_SUCCESS");
    expect([k.maps[2]!.swState, sub.swState, sub.resCount]).toEqual(["in", "in", 1]);
    expect(k.run({ op: "swapin", map: 2 }).kr).toBe("KERN_FAILURE");
    expect(residence.check(k)).toBeUndefined();
  });

  it("counts the submap entries a swapped-out map makes and drops as non-resident", () => {
    const { k } = healthy();
    expect(k.run({ op: "swapout", map: 2 }).kr).toBe("KERN_SUCCESS");
    const ops: Op[] = [
      { op: "create", min: MIN, max: MIN + 8 * ps },
      { op: "submap", map: 2, addr: MIN, size: 2 * ps, submap: 7, offset: MIN, inheritance: 0, usePmap: false },
      { op: "remove", map: 2, addr: MIN + ps, size: ps, flags: 0 },
    ];
    for (const op of ops) expect(k.run(op).kr).toBe("KERN_SUCCESS");
    expect([k.maps[7]!.refCount, k.maps[7]!.resCount]).toEqual([2, 1]);
    expect(residence.check(k)).toBeUndefined();
    expect(k.run({ op: "deallocate", map: 2 }).kr).toBe("KERN_SUCCESS"); // the last reference, swapped out: destroyed
    expect([k.maps[7]!.refCount, k.maps[7]!.resCount]).toEqual([1, 1]);
    expect(residence.check(k)).toBeUndefined();
  });

  it("reports a swapped-out map whose sw_state says IN", () => {
    const { k } = healthy();
    expect(k.run({ op: "swapout", map: 0 }).kr).toBe("KERN_SUCCESS");
    k.maps[0]!.swState = "in";
    expect(residence.check(k)).toMatch(/sw_state in with res_count 0/);
  });
});

describe("page lists in the holder invariants", () => {
  it("no-leaks reports a page left busy after its page list is gone", () => {
    const h = healthy();
    const copy = h.k.copies[1]!;
    if (copy.kind !== "page_list") throw new Error("copy 1 is a page list");
    const page = copy.pages[0]!;
    copy.pages = copy.pages.slice(1);
    page.object!.refCount--; // the reference went, the busy mark stayed
    expect(INVARIANTS.find((i) => i.name === "no-leaks")!.check(h.k)).toMatch(/busy/);
  });

  it("object-refcounts counts the references held pages take", () => {
    const h = healthy();
    const copy = h.k.copies[1]!;
    if (copy.kind !== "page_list") throw new Error("copy 1 is a page list");
    copy.pages[0]!.object!.refCount--;
    expect(INVARIANTS.find((i) => i.name === "object-refcounts")!.check(h.k)).toMatch(/refCount/);
  });
});

describe("page-list-shape", () => {
  const shape = INVARIANTS.find((i) => i.name === "page-list-shape")!;
  /** The healthy kernel's page list (copy 1) with a continuation: one more page than a two-page list holds. */
  function withContinuation() {
    const k = new Kernel({ ...scope, pageListMax: 1 });
    for (const op of [
      { op: "create", min: MIN, max: MIN + 32 * ps },
      { op: "enter", map: 0, addr: MIN, size: 3 * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
      { op: "write_user", map: 0, addr: MIN, data: "010203" },
      { op: "copyin_page_list", map: 0, addr: MIN, size: 3 * ps, options: 1 },
    ] as Op[]) expect(k.run(op).kr).toBe("KERN_SUCCESS");
    const copy = k.copies[0]!;
    if (copy.kind !== "page_list") throw new Error("copy 0 is a page list");
    expect(shape.check(k)).toBeUndefined();
    return { k, copy };
  }

  it("reports a page list holding more than pageListMax pages", () => {
    const { k, copy } = withContinuation();
    copy.pages.push({ ...copy.pages[0]!, object: null });
    expect(shape.check(k)).toMatch(/holds 2 pages/);
  });

  it("reports a loose page list that still holds a page in an object", () => {
    const { k, copy } = withContinuation();
    copy.loose = true;
    expect(shape.check(k)).toMatch(/loose/);
  });

  it("reports a held page that is no longer the page its object holds", () => {
    const { k, copy } = withContinuation();
    copy.pages[0]!.bytes = new Uint8Array(ps);
    expect(shape.check(k)).toMatch(/not the page it holds/);
  });

  it("reports a continuation that does not start where the copy's pages end", () => {
    const { k, copy } = withContinuation();
    copy.cont = { ...copy.cont!, start: copy.cont!.start + ps };
    expect(shape.check(k)).toMatch(/continuation starts/);
  });

  it("reports unknown continuation options", () => {
    const { k, copy } = withContinuation();
    copy.cont = { ...copy.cont!, options: 0x80 };
    expect(shape.check(k)).toMatch(/options/);
  });
});
