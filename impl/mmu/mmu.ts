/**
 * The simulated MMU: physical frames, one pmap per map, N CPUs each with a TLB, shootdown, the
 * access path (TLB → page table → fault) and pageout.
 *
 * The MMU comes into play when a CPU is first switched to a map ({@link Mmu.engaged}); from then
 * on every user access — `load`/`store` on a CPU, `read_user`/`write_user` by the kernel (a walk
 * without a TLB) — goes through it, and after every operation that may change what a page
 * translates to, {@link Mmu.revalidate} re-derives the affected PTEs (pmap_protect/pmap_remove
 * on what changed, page_protect on frames whose page is gone). Before that nothing is mapped and
 * nothing is paid: map-only campaigns run at full speed.
 *
 * Every mechanism is a method, so a planted bug is a subclass replacing exactly one of them.
 */
import { VM_PROT_READ, VM_PROT_WRITE } from "../../spec/constants.ts";
import { mmuGeometry, type Scope } from "../../spec/scope.ts";
import { currentTranslation, resolveFault, type ResolvedPage } from "../fault/fault.ts";
import type { VmMap } from "../map/vm-map.ts";
import { PhysicalMemory } from "../pmap/physical-memory.ts";
import { Pmap, type PmapHost } from "../pmap/pmap.ts";
import { Tlb } from "../tlb/tlb.ts";
import { ghostKey, ShootdownLog } from "./shootdown.ts";

export interface Cpu {
  readonly id: number;
  readonly tlb: Tlb;
  /** The pmap the CPU runs (its ASID is the current tag), or null. */
  current: Pmap | null;
  /** The map of `current`. */
  currentMap: VmMap | null;
  /** The ASID of `current` (-1 = none), read on every hit. */
  currentAsid: number;
  /** ASIDs the CPU may hold entries of: run since its last flush of them (the shootdown target set). */
  readonly mayCache: Set<number>;
}

/** Ghost records of one operation, checked by the MMU invariants and cleared before the next. */
export interface MmuGhost {
  /** Frames freed while a PTE or TLB entry could still reach them. */
  readonly earlyFrees: string[];
  /** TLB fills whose value differed from the page table at fill time. */
  readonly unsoundFills: string[];
}

export class Mmu implements PmapHost {
  readonly phys: PhysicalMemory;
  /** `phys.bytes`, held directly for the hit path. */
  private readonly frameBytes: (Uint8Array | null)[];
  readonly cpus: Cpu[];
  readonly pmaps = new Map<VmMap, Pmap>();
  readonly byAsid = new Map<number, Pmap>();
  /** The map of each pmap. */
  readonly mapOfPmap = new Map<Pmap, VmMap>();
  readonly shootdowns = new ShootdownLog();
  readonly ghost: MmuGhost = { earlyFrees: [], unsoundFills: [] };
  /** True once a CPU ran a map. */
  engaged = false;
  /** Pages written to the backing store by pageout (the object's page store plays that part). */
  pagedOut = 0;
  private nextAsid = 1;
  private readonly pageSize: number;
  private readonly vpnBits: number;
  /** log2 of the page size. */
  private readonly pageShift: number;
  /** Pageout's clock hand. */
  private hand = 0;

  constructor(scope: Scope) {
    const g = mmuGeometry(scope);
    this.pageSize = scope.pageSize;
    this.pageShift = Math.log2(scope.pageSize);
    this.vpnBits = scope.addressBits - this.pageShift;
    this.phys = new PhysicalMemory(g.frames);
    this.frameBytes = this.phys.bytes;
    this.cpus = Array.from({ length: g.cpus }, (_, id) => ({
      id,
      tlb: new Tlb(g.tlbEntries, g.tlbWays, g.tlbReplacement, id + 1),
      current: null,
      currentMap: null,
      currentAsid: -1,
      mayCache: new Set<number>(),
    }));
  }

  // ---- pmaps and CPUs ----

  /** The map's pmap, created on first use with a fresh ASID. */
  pmapOf(map: VmMap): Pmap {
    let p = this.pmaps.get(map);
    if (p === undefined) {
      p = new Pmap(this, this.nextAsid++, this.vpnBits);
      this.pmaps.set(map, p);
      this.byAsid.set(p.asid, p);
      this.mapOfPmap.set(p, map);
    }
    return p;
  }

  /** Make `cpu` run `map` (its TLB keeps other ASIDs' entries: they are tagged). */
  switchTo(cpu: number, map: VmMap, allMaps: readonly (VmMap | null)[]): void {
    const first = !this.engaged;
    this.engaged = true;
    const p = this.pmapOf(map);
    const c = this.cpus[cpu]!;
    c.current = p;
    c.currentMap = map;
    c.currentAsid = p.asid;
    c.mayCache.add(p.asid);
    // Wirings made before the MMU was in play are faulted in now.
    if (first) for (const m of allMaps) if (m) this.syncWiring(m, m.min, m.max);
  }

  /** `pmap_destroy`: the map is gone; its translations go with it, and its ASID is never reused. */
  destroyPmap(map: VmMap): void {
    const p = this.pmaps.get(map);
    if (p === undefined) return;
    p.remove(0, 2 ** this.vpnBits);
    this.complete();
    this.pmaps.delete(map);
    this.byAsid.delete(p.asid);
    this.mapOfPmap.delete(p);
    for (const c of this.cpus)
      if (c.current === p) {
        c.current = null;
        c.currentMap = null;
        c.currentAsid = -1;
      }
  }

  // ---- PmapHost: shootdown ----

  /** CPUs that may cache `asid`. */
  targetsOf(asid: number): number[] {
    return this.cpus.filter((c) => c.mayCache.has(asid)).map((c) => c.id);
  }

  /** Issue a shootdown of the range for the pmap and for every pmap nesting it. */
  invalidate(pmap: Pmap, startVpn: number, endVpn: number): void {
    this.issue(pmap.asid, startVpn, endVpn);
    for (const w of pmap.parents) {
      const s = Math.max(startVpn, w.nestedVpn), e = Math.min(endVpn, w.nestedVpn + w.pages);
      if (s < e) this.invalidate(w.parent, s - w.nestedVpn + w.vpn, e - w.nestedVpn + w.vpn);
    }
  }

  /** Issue one shootdown request to the CPUs that may cache `asid`. */
  issue(asid: number, startVpn: number, endVpn: number): void {
    const targets = this.targetsOf(asid);
    if (targets.length > 0) this.shootdowns.issue(asid, startVpn, endVpn, targets);
  }

  pteReduced(pmap: Pmap, vpn: number): void {
    pmap.ptGen.set(vpn, (pmap.ptGen.get(vpn) ?? 0) + 1);
    for (const c of this.targetsOf(pmap.asid)) this.shootdowns.uncovered.add(ghostKey(c, pmap.asid, vpn));
    for (const w of pmap.parents)
      if (vpn >= w.nestedVpn && vpn < w.nestedVpn + w.pages) this.pteReduced(w.parent, vpn - w.nestedVpn + w.vpn);
  }

  /** Deliver every in-flight request to its CPUs, collect the acknowledgements, then free the deferred frames. */
  complete(): void {
    const log = this.shootdowns;
    while (log.inFlight.length > 0) {
      const sd = log.inFlight.shift()!;
      sd.targets.forEach((cpu, i) => {
        this.processInvalidation(this.cpus[cpu]!, sd.asid, sd.startVpn, sd.endVpn);
        sd.acked[i] = true;
      });
      if (sd.acked.every(Boolean)) log.completed++;
    }
    for (const f of log.deferredFrees.splice(0)) this.freeFrame(f);
  }

  /**
   * The target side: invalidate the range in this CPU's TLB and acknowledge. A CPU that no
   * longer runs the ASID drops all of its entries instead and leaves the target set (lazy
   * address-space tracking).
   */
  processInvalidation(cpu: Cpu, asid: number, startVpn: number, endVpn: number): void {
    if (cpu.current?.asid !== asid) {
      cpu.tlb.invalidateAsid(asid);
      cpu.mayCache.delete(asid);
      this.shootdowns.covered(cpu.id, asid, 0, Infinity);
      return;
    }
    cpu.tlb.invalidateRange(asid, startVpn, endVpn);
    this.shootdowns.covered(cpu.id, asid, startVpn, endVpn);
  }

  /** Return a frame to the free list; the ghost notes a frame some PTE or TLB entry can still reach. */
  freeFrame(f: number): void {
    const reach = this.reachers(f);
    if (reach.length > 0) this.ghost.earlyFrees.push(`frame ${f} freed while ${reach.join(", ")} still reach it`);
    this.phys.release(f);
  }

  /** What still reaches frame `f`: PTEs and TLB entries. */
  reachers(f: number): string[] {
    const out = this.phys.mappings[f]!.map((m) => `PTE asid ${m.pmap.asid} vpn ${m.vpn}`);
    for (const c of this.cpus) for (const i of c.tlb.valid()) if (c.tlb.frame[i] === f) out.push(`cpu ${c.id} TLB entry vpn ${c.tlb.vpn[i]}`);
    return out;
  }

  /** `pmap_page_protect`: every mapping of frame `f` keeps only `rights` (none: unmapped). */
  pageProtect(f: number, rights: number): void {
    for (const m of [...this.phys.mappings[f]!]) {
      if (rights === 0) m.pmap.remove(m.vpn, m.vpn + 1);
      else m.pmap.protect(m.vpn, m.vpn + 1, rights);
    }
  }

  // ---- frames ----

  /** The frame holding the resolved page: the one it already has, or a new one (reclaiming one if none is free). */
  frameFor(page: ResolvedPage): number {
    let f = this.phys.frameOf(page.object, page.index);
    if (f >= 0 && this.phys.bytes[f] === page.bytes) return f;
    if (f >= 0) this.retireFrame(f); // its page was replaced: the old frame goes
    f = this.phys.allocate(page.object, page.index, page.bytes);
    if (f < 0 && this.pageoutStep(this.hand) >= 0) f = this.phys.allocate(page.object, page.index, page.bytes);
    return f >= 0 ? f : this.phys.allocateReserve(page.object, page.index, page.bytes);
  }

  /** Unmap a frame everywhere and free it once the shootdown completed. */
  retireFrame(f: number): void {
    this.pageProtect(f, 0);
    this.shootdowns.deferredFrees.push(f);
    this.complete();
  }

  /** A frame pageout may take: in use and not pinned by a wiring. */
  evictable(f: number): boolean {
    return this.phys.free[f] === 0 && this.phys.pins[f] === 0;
  }

  /**
   * One pageout step: from frame `hint` on (mod the frame count), the first frame pageout may
   * take is unmapped everywhere, its page written to the backing store, and the frame freed
   * after the shootdown completes. Returns the frame, or -1 when every frame is free or pinned.
   */
  pageoutStep(hint: number): number {
    const n = this.phys.count;
    for (let k = 0; k < n; k++) {
      const f = (hint + k) % n;
      if (!this.evictable(f)) continue;
      this.hand = f + 1;
      this.evictFrame(f);
      return f;
    }
    return -1;
  }

  /** Page a frame out: unmap (shootdown), write back, free after every acknowledgement. */
  evictFrame(f: number): void {
    this.pagedOut++;
    this.retireFrame(f);
  }

  // ---- the access path ----

  /** The PTE as a walk of the page table reads it. */
  walk(_cpu: Cpu, pmap: Pmap, vpn: number): { frame: number; rights: number } {
    const word = pmap.walkWord(vpn);
    return { frame: (word % 2 ** 32) - 1, rights: Math.floor(word / 2 ** 32) };
  }

  /** Fill the TLB from a walk; the ghost checks the walk matched the page table. */
  fill(cpu: Cpu, pmap: Pmap, vpn: number, w: { frame: number; rights: number }): void {
    if (pmap.walkWord(vpn) !== w.rights * 2 ** 32 + w.frame + 1) {
      const pte = pmap.pte(vpn);
      this.ghost.unsoundFills.push(`cpu ${cpu.id} filled asid ${pmap.asid} vpn ${vpn} with frame ${w.frame} rights ${w.rights}; the PTE holds frame ${pte.frame} rights ${pte.rights}`);
    }
    cpu.tlb.fill(pmap.asid, vpn, w.frame, w.rights, pmap.ptGen.get(vpn) ?? 0);
  }

  /**
   * Translate the page at `va` of `map` for `access`: through `cpu`'s TLB when given (else the
   * kernel walks the page table directly), then the page table, then the fault path. Returns
   * the page's bytes, or undefined when the access faults for good.
   */
  translate(cpu: Cpu | null, map: VmMap, va: number, access: number): Uint8Array | undefined {
    if (cpu === null) return this.translateSlow(null, map, this.pmapOf(map), va, access);
    // The hit path: kept small so it inlines (bench/mmu.ts measures it).
    const asid = cpu.currentMap === map ? cpu.currentAsid : this.pmapOf(map).asid;
    const t = cpu.tlb;
    const i = t.lookup(asid, va <= 0x7fffffff ? va >>> this.pageShift : Math.floor(va / this.pageSize));
    if (i >= 0 && (t.rights[i]! & access) === access) return this.frameBytes[t.frame[i]!]!;
    if (i >= 0) t.drop(i); // a fault invalidates the entry of the faulting address
    return this.translateSlow(cpu, map, this.pmapOf(map), va, access);
  }

  /** A TLB miss (or no TLB): walk the page table, fault if the PTE does not allow the access, fill the TLB. */
  private translateSlow(cpu: Cpu | null, map: VmMap, pmap: Pmap, va: number, access: number): Uint8Array | undefined {
    const vpn = Math.floor(va / this.pageSize);
    if (cpu !== null) {
      const w = this.walk(cpu, pmap, vpn);
      if (w.frame >= 0 && (w.rights & access) === access) {
        this.fill(cpu, pmap, vpn, w);
        return this.phys.bytes[w.frame]!;
      }
    } else {
      const pte = pmap.pte(vpn);
      if (pte.frame >= 0 && (pte.rights & access) === access) return this.phys.bytes[pte.frame]!;
    }
    const page = resolveFault(map, va - (va % this.pageSize), access);
    if (page === undefined) return undefined;
    this.enter(pmap, vpn, page);
    if (cpu !== null) this.fill(cpu, pmap, vpn, this.walk(cpu, pmap, vpn));
    return page.bytes;
  }

  /** `pmap_enter` of a resolved page, with its frame. */
  enter(pmap: Pmap, vpn: number, page: ResolvedPage): void {
    pmap.enter(vpn, this.frameFor(page), page.rights, page.wired);
    this.complete();
  }

  /** The bytes `[addr, addr + size)` read through the MMU, or undefined when a page faults for good (nothing read). */
  read(cpu: Cpu | null, map: VmMap, addr: number, size: number): Uint8Array | undefined {
    const pages = this.pagesFor(cpu, map, addr, size, VM_PROT_READ);
    if (pages === undefined) return undefined;
    const out = new Uint8Array(size);
    this.eachPiece(addr, size, (p, off, n, at) => out.set(pages[p]!.subarray(off, off + n), at));
    return out;
  }

  /** Write `bytes` at `addr` through the MMU; false (nothing written) when a page faults for good. */
  write(cpu: Cpu | null, map: VmMap, addr: number, bytes: Uint8Array): boolean {
    const pages = this.pagesFor(cpu, map, addr, bytes.length, VM_PROT_WRITE);
    if (pages === undefined) return false;
    this.eachPiece(addr, bytes.length, (p, off, n, at) => pages[p]!.set(bytes.subarray(at, at + n), off));
    return true;
  }

  /** Translate every page touched by the range first, so a fault on a later page moves no byte. */
  private pagesFor(cpu: Cpu | null, map: VmMap, addr: number, size: number, access: number): Uint8Array[] | undefined {
    const ps = this.pageSize;
    const pages: Uint8Array[] = [];
    for (let va = addr - (addr % ps); va < addr + size; va += ps) {
      const bytes = this.translate(cpu, map, va, access);
      if (bytes === undefined) return undefined;
      pages.push(bytes);
    }
    return pages;
  }

  private eachPiece(addr: number, size: number, f: (page: number, offset: number, n: number, at: number) => void): void {
    const ps = this.pageSize;
    const first = Math.floor(addr / ps);
    for (let a = addr; a < addr + size; ) {
      const off = a % ps;
      const n = Math.min(ps - off, addr + size - a);
      f(Math.floor(a / ps) - first, off, n, a - addr);
      a += n;
    }
  }

  // ---- keeping the page tables coherent with the maps ----

  /** `pmap_remove` of a removed range. */
  removeRange(map: VmMap, start: number, end: number): void {
    const p = this.pmaps.get(map);
    if (p === undefined) return;
    p.remove(Math.floor(start / this.pageSize), Math.ceil(end / this.pageSize));
    this.complete();
  }

  /** `pmap_protect` of each entry of a range whose protection changed, to the entry's new protection. */
  protectRange(map: VmMap, start: number, end: number): void {
    const p = this.pmaps.get(map);
    if (p === undefined) return;
    const ps = this.pageSize;
    const r = map.lookupEntry(start);
    for (let e = r.found ? r.entry : r.entry.next; e !== map.store.header && e.start < end; e = e.next)
      p.protect(Math.max(e.start, start) / ps, Math.min(e.end, end) / ps, e.protection);
    this.complete();
  }

  /** Wired pages of `[start, end)` faulted in and pinned (`vm_fault_wire`); unwired ones unpinned. */
  syncWiring(map: VmMap, start: number, end: number): void {
    const ps = this.pageSize;
    const header = map.store.header;
    const r = map.lookupEntry(start);
    for (let e = r.found ? r.entry : r.entry.next; e !== header && e.start < end; e = e.next) {
      const from = Math.max(e.start, start), to = Math.min(e.end, end);
      if (e.wiredCount > 0) {
        for (let va = from; va < to; va += ps) this.wirePage(map, va);
      } else {
        const p = this.pmaps.get(map);
        if (p) for (const vpn of p.present(from / ps, to / ps)) p.changeWiring(vpn, false);
      }
    }
  }

  /** Fault the page at `va` of a wired entry in and enter it wired. */
  wirePage(map: VmMap, va: number): void {
    const page = resolveFault(map, va, 0);
    if (page === undefined) return;
    this.enter(this.pmapOf(map), va / this.pageSize, page);
  }

  /**
   * After an operation: every frame whose page is gone is unmapped and freed; every PTE is
   * checked against what its page translates to now — a different page is removed (a wired one
   * re-entered with the new page), extra rights are taken away — and the wiring bits follow the
   * entries. All changes are shot down before this returns.
   */
  revalidate(): void {
    const ps = this.pageSize;
    const phys = this.phys;
    const rewire: [VmMap, number][] = [];
    for (const f of [...phys.used()]) {
      if (!phys.holdsLivePage(f)) {
        for (const m of phys.mappings[f]!) {
          const map = this.mapOfPmap.get(m.pmap);
          if (map && m.pmap.pte(m.vpn).wired) rewire.push([map, m.vpn * ps]);
        }
        this.pageProtect(f, 0);
        this.shootdowns.deferredFrees.push(f);
        continue;
      }
      for (const m of [...phys.mappings[f]!]) {
        const pmap = m.pmap;
        const map = this.mapOfPmap.get(pmap);
        const pte = pmap.pte(m.vpn);
        const now = map && currentTranslation(map, m.vpn * ps);
        if (!now || now.object !== phys.object[f] || now.index !== phys.index[f]) {
          if (map && pte.wired) rewire.push([map, m.vpn * ps]);
          pmap.remove(m.vpn, m.vpn + 1);
          continue;
        }
        if ((pte.rights & ~now.rights) !== 0) pmap.protect(m.vpn, m.vpn + 1, now.rights);
        if (pte.wired !== now.wired) pmap.changeWiring(m.vpn, now.wired);
      }
    }
    this.complete();
    for (const [map, va] of rewire) if (map.lookupEntry(va).found && map.lookupEntry(va).entry.wiredCount > 0) this.wirePage(map, va);
  }
}
