import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/kernel.ts";
import type { Mmu } from "../../impl/mmu/mmu.ts";
import type { VmMap } from "../../impl/map/vm-map.ts";
import { INVARIANTS } from "../../model-check/invariants.ts";
import { MMU_INVARIANTS } from "../../model-check/mmu-invariants.ts";
import { pmapWorkWatcher } from "../../model-check/pmap-work.ts";
import { VM_PROT_WRITE } from "../../spec/constants.ts";
import type { Scope } from "../../spec/scope.ts";
import { dispatch, type Op } from "../../spec/vocabulary.ts";
import { abstractSpec, newSpecWorld, SPEC } from "../../spec/index.ts";
import type { AbstractWorld } from "../../spec/abstract.ts";

const scope: Scope = { addressBits: 32, pageSize: 64, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 4096, cpus: 2, frames: 12, tlbEntries: 8, tlbWays: 2, pageTableLeafBits: 2 };
const ps = scope.pageSize;
const anon = (addr: number, pages: number, cur = 3) =>
  ({ op: "enter", map: 0, addr, size: pages * ps, mask: 0, anywhere: false, alias: 0, cur, max: 7, inheritance: 1, source: { kind: "anonymous" } }) as const;

interface Healthy {
  readonly k: Kernel;
  readonly mmu: Mmu;
  /** The spec's abstract state after the same commands. */
  readonly spec: () => AbstractWorld;
  /** Run one more command on both. */
  readonly run: (op: Op) => void;
  /** Frames paged out while the commands ran. */
  readonly pagedOut: number;
}

/**
 * A healthy MMU state: two CPUs on a map with written, read-only, wired and copy-on-write
 * pages cached in their TLBs, a forked child, and a submap (map 2) nested into map 0's page
 * table over a window of one leaf, read through it.
 */
function healthy(): Healthy {
  const k = new Kernel(scope);
  const ops: Op[] = [
    { op: "create", min: 0, max: 32 * ps },
    anon(0, 4),
    anon(8 * ps, 2),
    { op: "switch", cpu: 0, map: 0 },
    { op: "switch", cpu: 1, map: 0 },
    { op: "store", cpu: 0, addr: 0, data: "0102" },
    { op: "store", cpu: 1, addr: ps, data: "0304" },
    { op: "load", cpu: 1, addr: 0, size: 2 * ps },
    { op: "load", cpu: 0, addr: 2 * ps, size: 2 },
    { op: "wire", map: 0, addr: 8 * ps, size: ps, access: 3, user: true },
    { op: "fork", map: 0 },
    { op: "load", cpu: 0, addr: 0, size: 2 * ps },
    { op: "evict", frame: 0 },
    { op: "load", cpu: 1, addr: ps, size: 1 },
    { op: "create", min: 0, max: 8 * ps },
    { ...anon(0, 4), map: 2 },
    { op: "write_user", map: 2, addr: ps, data: "0506" },
    { op: "submap", map: 0, addr: 16 * ps, size: 4 * ps, submap: 2, offset: 0, inheritance: 0, usePmap: true },
    { op: "load", cpu: 0, addr: 16 * ps, size: 2 * ps },
    // A copy-on-write submap (map 3 behind named entry 0) over [24, 26) of map 0, read through.
    { op: "region_object_create", size: 2 * ps },
    { ...anon(0, 2), map: 3 },
    { op: "write_user", map: 3, addr: 0, data: "0708" },
    { op: "map_memory_entry", map: 0, addr: 24 * ps, size: 2 * ps, mask: 0, anywhere: false, entry: 0, offset: 0, copy: true, cur: 3, max: 3, inheritance: 0 },
    { op: "load", cpu: 0, addr: 24 * ps, size: 2 },
  ];
  // The spec runs the same commands: mmu-refines-spec judges the MMU by the spec's pages.
  const world = newSpecWorld(scope);
  let pagedOut = 0;
  const run = (op: Op) => {
    expect(k.run(op).kr, JSON.stringify(op)).toBe("KERN_SUCCESS");
    pagedOut += k.mmu!.ghost.pageouts;
    expect(dispatch(SPEC, world, op).kr, JSON.stringify(op)).toBe("KERN_SUCCESS");
  };
  for (const op of ops) run(op);
  return { k, mmu: k.mmu!, spec: () => abstractSpec(world), run, pagedOut };
}

/** Map 0's pmap, which nests map 2's. */
const parentPmap = ({ k, mmu }: { k: Kernel; mmu: Mmu }) => mmu.pmaps.get(k.maps[0]!)!;

/** The first valid TLB entry on `cpu` with some rights. */
function tlbEntry(mmu: Mmu, cpu = 0): number {
  const t = mmu.cpus[cpu]!.tlb;
  for (const i of t.valid()) if (t.rights[i]! > 0) return i;
  throw new Error("no TLB entry");
}

/** Copy CPU 0's TLB entry `i` into slot `j`. */
function copyTlbEntry(mmu: Mmu, i: number, j: number): void {
  const t = mmu.cpus[0]!.tlb;
  t.asid[j] = t.asid[i]!;
  t.vpn[j] = t.vpn[i]!;
  t.frame[j] = t.frame[i]!;
  t.rights[j] = t.rights[i]!;
}

/** Each MMU invariant broken the way a buggy MMU would break it. */
const CORRUPTIONS: Record<string, (h: Healthy) => void> = {
  "tlb-fill-sound": ({ mmu }) => {
    // A fill from a stale walk: the value differs from the PTE at fill time.
    const p = [...mmu.pmaps.values()][0]!;
    mmu.fill(mmu.cpus[0]!, p, 0, { frame: p.pte(0).frame, rights: 7 });
  },
  "tlb-within-pte": ({ mmu }) => {
    const t = mmu.cpus[0]!.tlb;
    t.rights[tlbEntry(mmu)] = 7;
  },
  "tlb-set-placement": ({ mmu }) => {
    // An entry filled into the next set: a lookup of its page never finds it there.
    const t = mmu.cpus[0]!.tlb, i = tlbEntry(mmu), j = (i + t.ways) % t.entries;
    copyTlbEntry(mmu, i, j);
    t.drop(i);
  },
  "tlb-caches-last-access": ({ mmu }) => {
    // The fill of the last load dropped: a TLB that caches nothing still gives the right bytes.
    const a = mmu.ghost.lastAccess!, t = mmu.cpus[a.cpu]!.tlb;
    for (const i of t.valid()) if (t.asid[i] === a.asid && t.vpn[i] === a.vpn) t.drop(i);
  },
  "mmu-refines-spec": ({ k, mmu }) => {
    // The written page's PTE marked wired: the fault path's own view could be wrong the same way; the spec's is not.
    const p = mmu.pmaps.get(k.maps[0]!)!;
    const vpn = [...p.mapped].find((v) => p.pte(v).frame >= 0 && !p.pte(v).wired)!, pte = p.pte(vpn);
    p.enter(vpn, pte.frame, pte.rights, true);
  },
  "translation-within-entry": ({ k, mmu }) => {
    // The wired entry became read-only, its PTE still grants write.
    const map = k.maps[0]!;
    expect(mmu.pmaps.get(map)!.pte(8).rights & VM_PROT_WRITE).toBeTruthy();
    map.lookupEntry(8 * ps).entry.protection = 1;
  },
  "no-writable-cow": ({ k, mmu }) => {
    // The parent's PTE made writable over a page the fork left copy-on-write.
    const p = mmu.pmaps.get(k.maps[0]!)!;
    expect(k.maps[0]!.lookupEntry(ps).entry.needsCopy).toBe(true);
    p.enter(1, p.pte(1).frame, 3, false);
  },
  "cow-window-read-only": ({ k, mmu }) => {
    // The PTE read through the copy-on-write window made writable: a store would write the submap in place.
    const p = mmu.pmaps.get(k.maps[0]!)!;
    expect(k.maps[0]!.lookupEntry(24 * ps).entry.needsCopy).toBe(true);
    expect(p.pte(24).frame).toBeGreaterThanOrEqual(0);
    p.enter(24, p.pte(24).frame, 3, false);
  },
  "no-freed-frame-reachable": ({ mmu }) => {
    const t = mmu.cpus[0]!.tlb;
    const f = t.frame[tlbEntry(mmu)]!;
    mmu.phys.release(f);
  },
  "wired-resident-mapped": ({ k, mmu }) => {
    mmu.pmaps.get(k.maps[0]!)!.changeWiring(8, false);
  },
  "reserve-only-when-pinned": ({ k, mmu }) => {
    // A pageout that finds nothing to take: with the free list drained, a fault-in goes to the
    // reserve although unpinned frames are in use.
    Object.assign(mmu, { pageoutStep: () => -1 });
    const o = k.maps[0]!.lookupEntry(0).entry.object!;
    while (mmu.phys.freeFrames().length > 0) mmu.phys.allocate(o, 100 + mmu.phys.freeFrames().length, new Uint8Array(ps));
    mmu.frameFor({ object: o, index: 200, bytes: new Uint8Array(ps), rights: 1, wired: false });
  },
  "swapout-drops-translations": ({ k, mmu }) => {
    // A swapout whose pmap_remove of the unwired translations went missing.
    const p = mmu.pmaps.get(k.maps[0]!)!;
    Object.assign(p, { remove: () => {} });
    expect(k.run({ op: "swapout", map: 0 }).kr).toBe("KERN_SUCCESS");
  },
  "wire-faults-for-write": ({ k, mmu }) => {
    // A kernel wiring of the writable page 9 whose fault left its PTE read-only.
    expect(k.run({ op: "wire", map: 0, addr: 9 * ps, size: ps, access: 1, user: false }).kr).toBe("KERN_SUCCESS");
    const p = mmu.pmaps.get(k.maps[0]!)!;
    expect(p.pte(9).rights & VM_PROT_WRITE).toBeTruthy();
    p.protect(9, 10, 1);
    mmu.complete();
  },
  "frame-accounting": ({ mmu }) => {
    const f = [...mmu.phys.used()][0]!;
    mmu.phys.free[f] = 1;
  },
  "shootdown-coverage": ({ k, mmu }) => {
    // A PTE cleared on its own, with no invalidation issued.
    const p = mmu.pmaps.get(k.maps[0]!)!;
    const host = { ...mmu, invalidate: () => {}, pteReduced: mmu.pteReduced.bind(mmu), phys: mmu.phys };
    Object.assign(p, { host });
    expect(p.pte(1).frame).toBeGreaterThanOrEqual(0);
    p.remove(1, 2);
  },
  "op-does-its-pmap-work": ({ k, mmu }) => {
    // vm_protect that leaves pmap_protect to the MMU's coherence pass: the wired page 8 keeps a
    // writable PTE until the pass, which repairs it before any other check could look.
    pmapWorkWatcher(k);
    Object.assign(mmu, { protectRange: () => {} });
    expect(mmu.pmaps.get(k.maps[0]!)!.pte(8).rights & VM_PROT_WRITE).toBeTruthy();
    expect(k.run({ op: "protect", map: 0, addr: 8 * ps, size: ps, prot: 1, setMax: false }).kr).toBe("KERN_SUCCESS");
    expect(mmu.pmaps.get(k.maps[0]!)!.pte(8).rights & VM_PROT_WRITE).toBe(0);
  },
  "page-list-pmap-entered": ({ k, mmu }) => {
    // A page-list copyin with PMAP_ENTER of a page no CPU touched; then its PTE is dropped.
    expect(k.run({ op: "copyin_page_list", map: 0, addr: 3 * ps, size: ps, options: 0x21 }).kr).toBe("KERN_SUCCESS");
    const p = mmu.pmaps.get(k.maps[0]!)!;
    expect(p.pte(3).frame).toBeGreaterThanOrEqual(0);
    p.remove(3, 4);
    mmu.complete();
  },
  "cpu-runs-its-map": ({ mmu }) => {
    // A switch that forgot to retag: CPU 0's TLB lookups still carry no address space.
    mmu.cpus[0]!.currentAsid = -1;
  },
  "pmaps-of-live-maps": ({ k, mmu }) => {
    // Map 0's last reference gone, and pmap_destroy never called.
    expect(mmu.pmaps.has(k.maps[0]!)).toBe(true);
    k.maps[0]!.refCount = 0;
  },
  "nest-link-has-window": ({ k }) => {
    // The window's protection lowered without un-nesting it first.
    k.maps[0]!.lookupEntry(16 * ps).entry.protection = 1;
  },
  "nested-ptes-shared": (h) => {
    // The parent's directory no longer points at the submap's leaf (the link is still recorded).
    parentPmap(h).table.unnest(16, 4);
  },
  "ptes-owned": (h) => {
    // An un-nest that drops the link but leaves the submap's leaf in the parent's directory:
    // the parent still walks the submap's PTE of page 1 (written) at vpn 17.
    const p = parentPmap(h), w = p.nests[0]!;
    p.nests.splice(0, 1);
    w.nested.parents.splice(w.nested.parents.indexOf(w), 1);
  },
  "nesting-complete": (h) => {
    parentPmap(h).unnest(16);
    h.mmu.complete();
  },
};

/** The finding of the MMU invariant `name` on `h`'s state. */
const check = (name: string, h: Healthy) => MMU_INVARIANTS.find((i) => i.name === name)!.check(h.k);

describe("MMU invariants", () => {
  it("hold on a healthy state, which has TLB entries on both CPUs, a wired page and a paged-out frame", () => {
    const h = healthy();
    for (const inv of INVARIANTS) expect(inv.check(h.k, h.spec), inv.name).toBeUndefined();
    expect([...h.mmu.cpus[0]!.tlb.valid()].length).toBeGreaterThan(0);
    expect([...h.mmu.cpus[1]!.tlb.valid()].length).toBeGreaterThan(0);
    expect(h.pagedOut).toBe(1);
    const p = parentPmap(h);
    expect(p.nests.map((w) => [w.vpn, w.pages, w.nestedVpn, w.mask])).toEqual([[16, 4, 0, 3]]);
    expect(p.pte(17).frame).toBe(p.nests[0]!.nested.pte(1).frame);
    expect(p.pte(17).frame).toBeGreaterThanOrEqual(0);
  });

  it("have a corruption test each", () => {
    expect(Object.keys(CORRUPTIONS).sort()).toEqual(MMU_INVARIANTS.map((i) => i.name).sort());
  });

  for (const inv of MMU_INVARIANTS) {
    it(`reports ${inv.name} (${inv.ref}) when it is broken`, () => {
      const h = healthy();
      CORRUPTIONS[inv.name]!(h);
      expect(inv.check(h.k, h.spec)).toMatch(/\S/);
    });
  }

  it("reports a CPU whose MMU state is not the map the kernel has it run, and an MMU never put in play (cpu-runs-its-map)", () => {
    const inv = MMU_INVARIANTS.find((i) => i.name === "cpu-runs-its-map")!;
    const h = healthy();
    // CPU 1 retagged to another map's pmap, consistently, as a switch on the wrong CPU would.
    const c = h.mmu.cpus[1]!, [map, other] = [...h.mmu.pmaps].find(([, p]) => p !== c.current)!;
    Object.assign(c, { currentMap: map, current: other, currentAsid: other.asid });
    c.mayCache.add(other.asid);
    expect(inv.check(h.k)).toMatch(/should run map/);
    const idle = healthy();
    idle.mmu.engaged = false;
    expect(inv.check(idle.k)).toMatch(/the MMU is not in play/);
  });

  it("reports a reserve frame taken while a frame is free, or while frames only await acknowledgements (reserve-only-when-pinned)", () => {
    const reserveFor = (h: Healthy, index: number) => {
      const o = h.k.maps[0]!.lookupEntry(0).entry.object!;
      h.mmu.frameFor({ object: o, index, bytes: new Uint8Array(ps), rights: 1, wired: false });
    };
    // Every frame in use pinned, and the allocation fails although a frame is free.
    const h = healthy();
    expect(h.mmu.phys.freeFrames().length).toBeGreaterThan(0);
    for (const f of h.mmu.phys.used()) h.mmu.phys.pins[f]! += 1;
    Object.assign(h.mmu.phys, { allocate: () => -1 });
    reserveFor(h, 200);
    expect(check("reserve-only-when-pinned", h)).toMatch(/while frame \d+ is free/);
    // No frame is free, every frame in use is pinned, and the allocation does not wait for the
    // acknowledgements that would free the frame waiting for them.
    const w = healthy();
    Object.assign(w.mmu, { settleDeferred: () => false });
    const o = w.k.maps[0]!.lookupEntry(0).entry.object!;
    while (w.mmu.phys.freeFrames().length > 0) w.mmu.phys.allocate(o, 100 + w.mmu.phys.freeFrames().length, new Uint8Array(ps));
    for (const f of w.mmu.phys.used()) w.mmu.phys.pins[f]! += 1;
    const waiting = [...w.mmu.phys.used()][0]!;
    w.mmu.shootdowns.deferFree(waiting);
    reserveFor(w, 200);
    expect(check("reserve-only-when-pinned", w)).toMatch(new RegExp(`while frames ${waiting} only await acknowledgements`));
  });

  it("reports a wired PTE under an unwired entry (wired-resident-mapped, the converse half)", () => {
    const h = healthy();
    const inv = MMU_INVARIANTS.find((i) => i.name === "wired-resident-mapped")!;
    const p = h.mmu.pmaps.get(h.k.maps[0]!)!;
    const vpn = [...p.mapped].find((v) => !p.pte(v).wired && !h.k.maps[0]!.lookupEntry(v * ps).entry.wiredCount)!;
    expect(vpn).toBeDefined();
    p.changeWiring(vpn, true); // pins the frame too, so only the converse can notice
    expect(inv.check(h.k)).toMatch(/wired PTE, but no wired entry covers it/);
  });

  it("reports a last access whose entry is not the most recently used of its set (tlb-caches-last-access, the LRU half)", () => {
    const h = healthy();
    const inv = MMU_INVARIANTS.find((i) => i.name === "tlb-caches-last-access")!;
    const a = h.mmu.ghost.lastAccess!, t = h.mmu.cpus[a.cpu]!.tlb;
    expect(inv.check(h.k)).toBeUndefined();
    const i = [...t.valid()].find((j) => t.asid[j] === a.asid && t.vpn[j] === a.vpn)!;
    const other = i % t.ways === 0 ? i + 1 : i - 1; // another way of the same set
    t.asid[other] = a.asid;
    t.vpn[other] = a.vpn + t.sets; // a page of the same set
    t.stamp[other] = t.stamp[i]! + 1;
    expect(inv.check(h.k)).toMatch(/not the most recently used of its set/);
  });

  it("reports a wired page left below its entry's own object (wired-resident-mapped, §6 #15)", () => {
    // The wired entry's object gets an empty shadow: the translation still finds the same page, one object down.
    const h = healthy();
    const e = h.k.maps[0]!.lookupEntry(8 * ps).entry;
    const inv = MMU_INVARIANTS.find((i) => i.name === "wired-resident-mapped")!;
    expect(inv.check(h.k)).toBeUndefined();
    e.object = h.k.objectLayer.shadow(e.object!, e.offset, e.end - e.start);
    e.offset = 0;
    expect(inv.check(h.k)).toMatch(/wired, but its page is object \d+'s, not the entry's own object \d+'s/);
  });

  it("reports a frame whose page was replaced (frame-accounting), whatever PhysicalMemory.holdsLivePage says", () => {
    const h = healthy();
    const f = [...h.mmu.phys.used()][0]!;
    Object.assign(h.mmu.phys, { holdsLivePage: () => true }); // the MMU's own test, broken
    h.mmu.phys.object[f]!.pages.set(h.mmu.phys.index[f]!, new Uint8Array(ps)); // a new buffer; the frame holds the old one
    expect(MMU_INVARIANTS.find((i) => i.name === "frame-accounting")!.check(h.k)).toMatch(/in use but its page is gone/);
  });

  it("reports a frame a pageout took and never freed, its page not faulted back in (frame-accounting, the pageout half)", () => {
    const h = healthy();
    const inv = MMU_INVARIANTS.find((i) => i.name === "frame-accounting")!;
    expect(h.mmu.pageoutOwed.size).toBe(0); // the healthy state's pageout freed its frame
    // A pageout that unmaps its frame and forgets to free it: the page stays resident, live, and
    // every other half of the check (and shootdown-coverage: nothing waits) is satisfied.
    Object.assign(h.mmu, { retireFrame: (f: number) => { h.mmu.pageProtect(f); h.mmu.complete(); } });
    const f = [...h.mmu.phys.used()].find((g) => h.mmu.evictable(g))!;
    expect(h.k.run({ op: "evict", frame: f }).kr).toBe("KERN_SUCCESS");
    expect(h.mmu.phys.free[f]).toBe(0);
    expect(h.mmu.shootdowns.deferredFrees).toEqual([]);
    expect(inv.check(h.k)).toBe(`frame ${f} was paged out and its shootdown is complete, yet it is neither free nor faulted back in`);
    // Faulted back in, the page keeps its frame: nothing is owed any more.
    const p = h.mmu.pmaps.get(h.k.maps[0]!)!;
    const vpn = p.present(0, 1 << 20).find((v) => p.pte(v).frame === f);
    expect(vpn).toBeUndefined(); // unmapped by the pageout
    h.mmu.frameFor({ object: h.mmu.phys.object[f]!, index: h.mmu.phys.index[f]!, bytes: h.mmu.phys.bytes[f]!, rights: 1, wired: false });
    expect(inv.check(h.k)).toBeUndefined();
  });

  describe("nest-link-has-window and nesting-complete judge by their own rule, whatever MmuNesting.nestObstacle says", () => {
    it("reports a nested window the rule forbids (a wired one) when the MMU's rule allows everything", () => {
      const h = healthy();
      Object.assign(h.mmu, { nestObstacle: () => undefined });
      expect(check("nest-link-has-window", h)).toBeUndefined();
      h.k.maps[0]!.lookupEntry(16 * ps).entry.wiredCount = 1;
      expect(check("nest-link-has-window", h)).toMatch(/must not be nested: the window is wired/);
    });
    it("reports a nestable window left un-nested when the MMU's rule refuses everything", () => {
      const h = healthy();
      Object.assign(h.mmu, { nestObstacle: () => "refused" });
      parentPmap(h).unnest(16);
      h.mmu.complete();
      expect(check("nesting-complete", h)).toMatch(/can be nested, and is not/);
    });
  });

  describe("op-does-its-pmap-work, the frame condition: an operation's pmap work stays within its range and takes no more than it owes", () => {
    type RangeWork = (map: VmMap, start: number, end: number) => void;
    /** The finding after `op` on a healthy state whose MMU method `name` is replaced by `broken(original, h)`. */
    const finding = (name: "protectRange" | "syncWiring", broken: (original: RangeWork, h: Healthy) => RangeWork, op: Op) => {
      const h = healthy();
      pmapWorkWatcher(h.k);
      Object.assign(h.mmu, { [name]: broken((h.mmu[name] as RangeWork).bind(h.mmu), h) });
      expect(h.k.run(op).kr).toBe("KERN_SUCCESS");
      return MMU_INVARIANTS.find((i) => i.name === "op-does-its-pmap-work")!.check(h.k);
    };
    const protect = (page: number, prot: number): Op => ({ op: "protect", map: 0, addr: page * ps, size: ps, prot, setMax: false });
    const wire: Op = { op: "wire", map: 0, addr: 2 * ps, size: ps, access: 1, user: true };
    it("holds for the healthy MMU's protect and wire", () => {
      expect(finding("protectRange", (f) => f, protect(0, 0))).toBeUndefined();
      expect(finding("syncWiring", (f) => f, wire)).toBeUndefined();
    });
    it("reports a protect that also protects the page after its range (with its own entry's protection)", () => {
      // Page 1 is mapped readable, and its entry still grants that.
      const over = (f: RangeWork, h: Healthy): RangeWork => (m, s, e) => {
        f(m, s, e);
        h.mmu.pmaps.get(m)!.protect(e / ps, e / ps + 1, 0);
        h.mmu.complete();
      };
      expect(finding("protectRange", over, protect(0, 0))).toMatch(/protect of map 0 \[0x0, 0x40\) changed vpn 0x1 from frame \d+ rights 1 to no PTE, outside its range/);
    });
    it("reports a protect that takes away more than the entry's new protection does", () => {
      // Page 2 is mapped readable; protecting it r-x keeps that PTE, and this protect drops it.
      const drop = (_f: RangeWork, h: Healthy): RangeWork => (m, s, e) => {
        h.mmu.pmaps.get(m)!.remove(s / ps, e / ps);
        h.mmu.complete();
      };
      expect(finding("protectRange", drop, protect(2, 5))).toMatch(/changed vpn 0x2 from frame \d+ rights 1 to no PTE: pmap_protect to 5 leaves frame/);
    });
    it("reports a wire that also faults in the page after its range", () => {
      const over = (f: RangeWork, h: Healthy): RangeWork => (m, s, e) => {
        f(m, s, e);
        h.mmu.wirePage(m, e);
      };
      expect(finding("syncWiring", over, wire)).toMatch(/wire of map 0 \[0x80, 0xc0\) changed vpn 0x3 from no PTE to frame \d+ rights \d+, outside its range/);
    });
    it("reports a page-list copyin that enters its pages without being asked to (no PMAP_ENTER)", () => {
      const run = (enterAnyway: boolean) => {
        const h = healthy();
        pmapWorkWatcher(h.k);
        const map = h.k.maps[0]!, hold = map.holdChunk.bind(map);
        // Pages 2 and 3: page 3 has no PTE yet.
        if (enterAnyway) map.holdChunk = (start, end, options, noZeroFill, isCont) => {
          const pages = hold(start, end, options, noZeroFill, isCont);
          h.mmu.pmapEnterChunk(map, start, end, 1);
          return pages;
        };
        expect(h.k.run({ op: "copyin_page_list", map: 0, addr: 2 * ps, size: 2 * ps, options: 1 }).kr).toBe("KERN_SUCCESS");
        return MMU_INVARIANTS.find((i) => i.name === "op-does-its-pmap-work")!.check(h.k);
      };
      expect(run(false)).toBeUndefined();
      expect(run(true)).toMatch(/copyin_page_list of map 0 \[0x80, 0x100\) changed vpn 0x3 from no PTE to frame \d+ rights 1: it enters no translation/);
    });
  });

  it("reports a page cached twice in one TLB (tlb-set-placement, the uniqueness half)", () => {
    const h = healthy();
    const t = h.mmu.cpus[0]!.tlb, i = tlbEntry(h.mmu), set = Math.floor(i / t.ways);
    const j = set * t.ways + ((i % t.ways) + 1) % t.ways;
    copyTlbEntry(h.mmu, i, j);
    expect(MMU_INVARIANTS.find((v) => v.name === "tlb-set-placement")!.check(h.k)).toMatch(/twice/);
  });

  describe("mmu-refines-spec, each half", () => {
    const refines = MMU_INVARIANTS.find((v) => v.name === "mmu-refines-spec")!;
    const somePte = (h: Healthy, map = 0) => {
      const p = h.mmu.pmaps.get(h.k.maps[map]!)!;
      const vpn = [...p.mapped].find((v) => p.pte(v).frame >= 0)!;
      return { p, vpn, pte: p.pte(vpn) };
    };
    it("holds vacuously without the spec's state, and on the healthy state with it", () => {
      const h = healthy();
      somePte(h).p.enter(somePte(h).vpn, somePte(h).pte.frame, 7, somePte(h).pte.wired);
      expect(refines.check(h.k)).toBeUndefined();
      expect(refines.check(healthy().k, healthy().spec)).toBeUndefined();
    });
    it("reports rights beyond the spec's protection", () => {
      const h = healthy(), { p, vpn, pte } = somePte(h);
      p.enter(vpn, pte.frame, 7, pte.wired);
      expect(refines.check(h.k, h.spec)).toMatch(/beyond the spec's protection 3/);
    });
    it("reports a frame whose bytes are not the spec's", () => {
      const h = healthy(), { pte } = somePte(h);
      h.mmu.phys.bytes[pte.frame]![5]! ^= 0xff;
      expect(refines.check(h.k, h.spec)).toMatch(/holds .*the spec's page holds/);
    });
    it("reports a PTE where the spec maps nothing, and a wired page without a PTE", () => {
      const h = healthy(), { p, pte } = somePte(h);
      p.enter(30, pte.frame, 1, false);
      expect(refines.check(h.k, h.spec)).toMatch(/spec maps nothing there/);
      const w = healthy(), wp = w.mmu.pmaps.get(w.k.maps[0]!)!;
      wp.remove(8, 9);
      expect(refines.check(w.k, w.spec)).toMatch(/wired in the spec, but no PTE maps it/);
    });
    it("judges the wiring of a PTE through a window that is not nested by the window's and the submap page's", () => {
      // Map 2's pages also seen through a window of map 0 at [28, 30) with its own PTEs (no nesting).
      const h = healthy();
      h.run({ op: "submap", map: 0, addr: 28 * ps, size: 2 * ps, submap: 2, offset: 0, inheritance: 0, usePmap: false });
      h.run({ op: "load", cpu: 0, addr: 28 * ps, size: 1 });
      const p = h.mmu.pmaps.get(h.k.maps[0]!)!, pte = () => p.pte(28);
      expect(pte().frame).toBeGreaterThanOrEqual(0);
      expect(pte().wired).toBe(false);
      expect(refines.check(h.k, h.spec)).toBeUndefined();
      p.enter(28, pte().frame, pte().rights, true);
      expect(refines.check(h.k, h.spec)).toMatch(/wired PTE through a submap window, but neither/);
      // Wiring the submap's page wires the translation through the window too.
      const w = healthy(), wp = w.mmu.pmaps.get(w.k.maps[0]!)!;
      w.run({ op: "submap", map: 0, addr: 28 * ps, size: 2 * ps, submap: 2, offset: 0, inheritance: 0, usePmap: false });
      w.run({ op: "load", cpu: 0, addr: 28 * ps, size: 1 });
      w.run({ op: "wire", map: 2, addr: 0, size: ps, access: 1, user: false });
      w.run({ op: "load", cpu: 0, addr: 28 * ps, size: 1 }); // the wiring fault moved the page: read it again
      expect(wp.pte(28).wired).toBe(true);
      expect(refines.check(w.k, w.spec)).toBeUndefined();
      wp.changeWiring(28, false);
      expect(refines.check(w.k, w.spec)).toMatch(/spec wires the submap's page, the PTE through the window is not wired/);
    });

    it("reports a writable PTE sharing its frame with a page the spec says is distinct", () => {
      // The forked child reads page 1 (copy-on-write: the parent's frame), then the parent's PTE is made writable.
      const h = healthy();
      h.run({ op: "switch", cpu: 1, map: 1 });
      h.run({ op: "load", cpu: 1, addr: ps, size: 1 });
      const parent = h.mmu.pmaps.get(h.k.maps[0]!)!, child = h.mmu.pmaps.get(h.k.maps[1]!)!;
      expect(child.pte(1).frame).toBe(parent.pte(1).frame);
      expect(refines.check(h.k, h.spec)).toBeUndefined();
      parent.enter(1, parent.pte(1).frame, 3, false);
      expect(refines.check(h.k, h.spec)).toMatch(/may write it, but map 1 PTE 0x40 maps it too/);
    });
  });

  it("reports a writable translation of a page a page list holds busy (no-writable-cow)", () => {
    const k = new Kernel(scope);
    for (const op of [{ op: "create", min: 0, max: 8 * ps }, anon(0, 1), { op: "switch", cpu: 0, map: 0 }, { op: "store", cpu: 0, addr: 0, data: "01" }] as Op[])
      expect(k.run(op).kr).toBe("KERN_SUCCESS");
    const inv = MMU_INVARIANTS.find((i) => i.name === "no-writable-cow")!;
    expect(inv.check(k)).toBeUndefined();
    const o = k.maps[0]!.lookupEntry(0).entry.object!;
    expect(k.mmu!.pmaps.get(k.maps[0]!)!.pte(0).rights & VM_PROT_WRITE).toBe(VM_PROT_WRITE);
    o.busy.set(0, { object: o, index: 0, bytes: o.pages.get(0)! }); // lent to a page list, still writable
    expect(inv.check(k)).toMatch(/page list holds the page busy/);
  });

  it("hold trivially before a CPU runs a map", () => {
    const k = new Kernel(scope);
    k.run({ op: "create", min: 0, max: 4 * ps });
    for (const inv of MMU_INVARIANTS) expect(inv.check(k)).toBeUndefined();
  });
});
