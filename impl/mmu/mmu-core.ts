/**
 * The MMU's machine: physical frames, one pmap per map (with its ASID), the CPUs and their TLBs,
 * shootdown as issue-then-complete, and pageout. The access path is in access.ts, the coherence
 * with the maps in mmu.ts.
 */
import { mmuGeometry, type Scope } from "../../spec/scope.ts";
import type { ResolvedPage } from "../fault/fault.ts";
import type { VmMap } from "../map/vm-map.ts";
import { PhysicalMemory } from "../pmap/physical-memory.ts";
import { Pmap, type MachineLockHooks, type PmapHost } from "../pmap/pmap.ts";
import { Tlb } from "../tlb/tlb.ts";
import { ghostKey, ShootdownLog, type Shootdown } from "./shootdown.ts";

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
  /** Pages PMAP_ENTER had to enter in this operation (recorded by the page-list code, whatever the MMU then does). */
  readonly pmapEnterPages: PmapEnterPage[];
  /** Maps swapped out during the operation: their unwired translations must be gone at its end. */
  readonly swappedOut: VmMap[];
  /** Frames taken beyond the configured count while pageout could still have taken one. */
  readonly needlessReserves: string[];
  /** Frames paged out during the operation. */
  pageouts: number;
  /**
   * The page buffers those pageouts took: a page PMAP_ENTER entered may have lost its frame
   * again (to the next page of its own chunk, when frames are scarce), and may even be resident
   * once more, faulted back in by another map's wiring, without the source's translation.
   */
  readonly pagedOut: Set<Uint8Array>;
  /** The last page a load or store of the operation translated through a CPU's TLB, and the access. */
  lastAccess: TlbAccess | undefined;
  /** The range a successful `wire` of the operation wired (the wire handler notes it, whatever the MMU then does). */
  wired: { readonly map: VmMap; readonly start: number; readonly end: number } | undefined;
}

/** A page translated through `cpu`'s TLB for `access`, in the address space `asid`. */
export interface TlbAccess {
  readonly cpu: number;
  readonly asid: number;
  readonly vpn: number;
  readonly access: number;
}

/** A page PMAP_ENTER enters: at `va` of `map`, the page a fault resolved there when the chunk was taken, with `rights`. */
export interface PmapEnterPage {
  readonly map: VmMap;
  readonly va: number;
  readonly page: ResolvedPage;
}

export abstract class MmuCore implements PmapHost {
  readonly phys: PhysicalMemory;
  /** `phys.bytes`, held directly for the hit path. */
  protected readonly frameBytes: (Uint8Array | null)[];
  readonly cpus: Cpu[];
  readonly pmaps = new Map<VmMap, Pmap>();
  readonly byAsid = new Map<number, Pmap>();
  /** The map of each pmap. */
  readonly mapOfPmap = new Map<Pmap, VmMap>();
  readonly shootdowns = new ShootdownLog();
  readonly ghost: MmuGhost = { earlyFrees: [], unsoundFills: [], needlessReserves: [], swappedOut: [], pmapEnterPages: [], pageouts: 0, pagedOut: new Set(), lastAccess: undefined, wired: undefined };
  /**
   * Ghost: frames a pageout took whose free is still owed — each leaves the set when it is
   * freed, or when its page is faulted back in while it waits (the page keeps the frame). Kept
   * across operations, unlike `ghost`: the acknowledgements a pageout waits for may come later.
   * At quiescence no frame in use may be in it (frame-accounting).
   */
  readonly pageoutOwed = new Set<number>();
  /** Told of the pmap and page-queues locks the machine takes (the scheduler's validator listens); null: nobody. */
  lockHooks: MachineLockHooks | null = null;
  /** True once a CPU ran a map. */
  engaged = false;
  private nextAsid = 1;
  protected readonly pageSize: number;
  protected readonly vpnBits: number;
  /** log2 of the page size. */
  protected readonly pageShift: number;
  /** log2 of the pages of a page-table leaf, and the pages themselves (the nesting unit). */
  protected readonly leafBits: number;
  readonly leafPages: number;
  /** Pageout's clock hand. */
  protected hand = 0;

  constructor(scope: Scope) {
    const g = mmuGeometry(scope);
    this.pageSize = scope.pageSize;
    this.pageShift = Math.log2(scope.pageSize) | 0; // a small integer field, not a boxed double: the hit path shifts by it
    this.vpnBits = scope.addressBits - this.pageShift;
    this.leafBits = g.pageTableLeafBits;
    this.leafPages = 2 ** g.pageTableLeafBits;
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
      p = new Pmap(this, this.nextAsid++, this.vpnBits, this.leafBits);
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
    this.completeAll(); // its ASID goes: nothing of it may stay in flight
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
    // Stryker disable all: the checker's ghost record (the oracle input of shootdown-coverage), not the implementation; a mutant here only weakens that check, and the check's corruption test in test/model-check/mmu-invariants.test.ts shows it can fail
    for (const c of this.targetsOf(pmap.asid)) this.shootdowns.uncovered.add(ghostKey(c, pmap.asid, vpn));
    for (const w of pmap.parents)
      if (vpn >= w.nestedVpn && vpn < w.nestedVpn + w.pages) this.pteReduced(w.parent, vpn - w.nestedVpn + w.vpn);
  }

  // Stryker restore all

  /**
   * The end of a batch of pmap changes: deliver the batch's requests to their CPUs, collect the
   * acknowledgements, then free the deferred frames if nothing else is in flight — unless a
   * kernel thread's commit is running that waits for its acknowledgements itself, step by step
   * ({@link ack}). Requests another thread waits for are not this batch's: they stay in flight.
   */
  complete(): void {
    if (this.shootdowns.deferTo !== null) return;
    const log = this.shootdowns;
    // Only the shootdowns nobody waits for. Until 2026-11-29 this delivered every request in
    // flight, so any other commit or fault finished a waiting thread's shootdown for it and
    // hid the schedules where a CPU it had not heard from loads through its old entry later.
    for (let sd = log.inFlight.find((s) => s.owner === null); sd !== undefined; sd = log.inFlight.find((s) => s.owner === null))
      sd.targets.forEach((_, i) => this.ack(sd!, i));
    this.freeDeferred();
  }

  /** Deliver every in-flight request (whoever waits for it), then free the deferred frames. */
  completeAll(): void {
    const log = this.shootdowns;
    while (log.inFlight.length > 0) {
      // Its last acknowledgement removes it (`issue` records no shootdown without a target).
      const sd = log.inFlight[0]!;
      sd.targets.forEach((_, i) => this.ack(sd, i));
    }
    this.freeDeferred();
  }

  /** Target `i` of `sd` processes the invalidation and acknowledges; the last acknowledgement completes `sd`. */
  ack(sd: Shootdown, i: number): void {
    const log = this.shootdowns;
    if (sd.acked[i]) return;
    this.processInvalidation(this.cpus[sd.targets[i]!]!, sd.asid, sd.startVpn, sd.endVpn);
    sd.acked[i] = true;
    if (!sd.acked.every(Boolean)) return;
    log.inFlight.splice(log.inFlight.indexOf(sd), 1);
  }

  /** Free the deferred frames once no shootdown is in flight (no TLB can still hold them). */
  freeDeferred(): void {
    const log = this.shootdowns;
    if (log.inFlight.length > 0) return;
    for (const f of log.deferredFrees.splice(0)) this.freeFrame(f);
  }

  /**
   * A frame is needed and none is free while frames wait for acknowledgements: the allocating
   * thread waits for every shootdown in flight (a blocking allocation; no other thread runs in
   * the model meanwhile). True if that freed something.
   */
  private settleDeferred(): boolean {
    const log = this.shootdowns;
    if (log.deferredFrees.length === 0) return false;
    this.completeAll();
    return true;
  }

  /**
   * The target side: invalidate the range in this CPU's TLB and acknowledge. A CPU that no
   * longer runs the ASID drops all of its entries instead and leaves the target set (lazy
   * address-space tracking).
   */
  processInvalidation(cpu: Cpu, asid: number, startVpn: number, endVpn: number): void {
    // Ghost: the CPU's last access may lose its entry now, legitimately (tlb-caches-last-access).
    // Stryker disable next-line all: the checker's ghost record (the oracle input of tlb-caches-last-access), not the implementation; a mutant here only weakens that check, and the check's corruption test in test/model-check/mmu-invariants.test.ts shows it can fail
    if (this.ghost.lastAccess?.cpu === cpu.id) this.ghost.lastAccess = undefined;
    if (cpu.current?.asid !== asid) {
      cpu.tlb.invalidateAsid(asid);
      cpu.mayCache.delete(asid);
      // Stryker disable next-line all: the checker's ghost record (the oracle input of shootdown-coverage), not the implementation; a mutant here only weakens that check, and the check's corruption test in test/model-check/mmu-invariants.test.ts shows it can fail
      this.shootdowns.covered(cpu.id, asid, 0, Infinity);
      return;
    }
    cpu.tlb.invalidateRange(asid, startVpn, endVpn);
    // Stryker disable next-line all: the checker's ghost record (the oracle input of shootdown-coverage), not the implementation; a mutant here only weakens that check, and the check's corruption test in test/model-check/mmu-invariants.test.ts shows it can fail
    this.shootdowns.covered(cpu.id, asid, startVpn, endVpn);
  }

  /** Return a frame to the free list; the ghost notes a frame some PTE or TLB entry can still reach. */
  freeFrame(f: number): void {
    // Stryker disable all: the checker's ghost records (the oracle inputs of no-freed-frame-reachable and of frame-accounting's pageout half), not the implementation; a mutant here only weakens those checks, and their tests in test/model-check/mmu-invariants.test.ts show they can fail
    const reach = this.reachers(f);
    if (reach.length > 0) this.ghost.earlyFrees.push(`frame ${f} freed while ${reach.join(", ")} still reach it`);
    this.pageoutOwed.delete(f);
    // Stryker restore all
    this.phys.release(f);
  }

  /** What still reaches frame `f`: PTEs and TLB entries. */
  reachers(f: number): string[] {
    // Stryker disable all: the checker's ghost record (the oracle input of no-freed-frame-reachable), not the implementation; a mutant here only weakens that check, and the check's corruption test in test/model-check/mmu-invariants.test.ts shows it can fail
    const out = this.phys.mappings[f]!.map((m) => `PTE asid ${m.pmap.asid} vpn ${m.vpn}`);
    for (const c of this.cpus) for (const i of c.tlb.valid()) if (c.tlb.frame[i] === f) out.push(`cpu ${c.id} TLB entry vpn ${c.tlb.vpn[i]}`);
    return out;
  }

  // Stryker restore all

  /**
   * `pmap_page_protect(VM_PROT_NONE)`: every mapping of frame `f` goes. (Copy-on-write lowers
   * rights by range, through `Pmap.protect`; nothing here lowers one frame's rights everywhere.)
   */
  pageProtect(f: number): void {
    for (const m of [...this.phys.mappings[f]!]) m.pmap.remove(m.vpn, m.vpn + 1);
  }

  // ---- frames ----

  /** The frame holding the resolved page: the one it already has, or a new one (reclaiming one if none is free). */
  frameFor(page: ResolvedPage): number {
    let f = this.phys.frameOf(page.object, page.index);
    if (f >= 0 && this.phys.bytes[f] === page.bytes) {
      // Still holding its page while a shootdown's acknowledgements are awaited (pageout took
      // it): faulted back in, the page keeps its frame, which is no longer to be freed.
      this.shootdowns.keep(f);
      // Stryker disable next-line all: the checker's ghost record (the oracle input of frame-accounting's pageout half: the free is no longer owed), not the implementation; the check's test in test/model-check/mmu-invariants.test.ts shows it can fail
      this.pageoutOwed.delete(f);
      return f;
    }
    if (f >= 0) {
      // Its page was replaced: the old frame goes, and its wired translations follow the page.
      for (const m of this.phys.mappings[f]!) {
        const map = this.mapOfPmap.get(m.pmap);
        if (map && m.pmap.pte(m.vpn).wired) this.pendingRewire.push([map, m.vpn * this.pageSize]);
      }
      this.retireFrame(f);
    }
    f = this.phys.allocate(page.object, page.index, page.bytes);
    if (f < 0 && this.settleDeferred()) f = this.phys.allocate(page.object, page.index, page.bytes);
    if (f < 0 && this.pageoutStep(this.hand) >= 0) {
      this.settleDeferred();
      f = this.phys.allocate(page.object, page.index, page.bytes);
    }
    if (f >= 0) return f;
    // Ghost: the reserve is for when every frame is pinned; note one taken while a frame is free,
    // pageout could still free one, or frames only await acknowledgements (waiting frees them).
    // Stryker disable all: the checker's ghost record (the oracle input of reserve-only-when-pinned), not the implementation; a mutant here only weakens that check, and the check's corruption test in test/model-check/mmu-invariants.test.ts shows it can fail
    // Judged here, not by `evictable` (the ghost must not share the code it judges).
    const could = [...this.phys.used()].find((g) => this.phys.free[g] === 0 && this.phys.pins[g] === 0 && !this.shootdowns.deferredFrees.includes(g));
    const free = this.phys.free.indexOf(1), waiting = this.shootdowns.deferredFrees;
    const beyond = `frame ${this.phys.count} taken beyond the ${this.phys.configured} configured`;
    if (could !== undefined) this.ghost.needlessReserves.push(`${beyond} while pageout could take frame ${could}`);
    else if (free >= 0) this.ghost.needlessReserves.push(`${beyond} while frame ${free} is free`);
    else if (waiting.length > 0) this.ghost.needlessReserves.push(`${beyond} while frames ${waiting.join(", ")} only await acknowledgements`);
    // Stryker restore all
    return this.phys.allocateReserve(page.object, page.index, page.bytes);
  }

  /**
   * Wired translations unmapped because their frame's page was replaced (a write made the
   * object's own page where a read had mapped the zero page, say): the page is wired, so it is
   * mapped again, to the new frame, when the operation ends ({@link Mmu.revalidate}).
   */
  readonly pendingRewire: [VmMap, number][] = [];

  /** Unmap a frame everywhere and free it once the shootdown completed. */
  retireFrame(f: number): void {
    this.pageProtect(f);
    this.shootdowns.deferFree(f);
    this.complete();
  }

  /** A frame pageout may take: in use, not pinned by a wiring, and not already waiting to be freed. */
  evictable(f: number): boolean {
    return this.phys.free[f] === 0 && this.phys.pins[f] === 0 && !this.shootdowns.deferredFrees.includes(f);
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
    // Stryker disable next-line all: the checker's ghost record (the oracle input of op-does-its-pmap-work and page-list-pmap-entered, which excuse a page paged out again), not the implementation; a mutant here only weakens that check, and the check's corruption test in test/model-check/mmu-invariants.test.ts shows it can fail
    this.ghost.pageouts++;
    // Stryker disable next-line all: the same ghost record, as above
    if (this.phys.bytes[f]) this.ghost.pagedOut.add(this.phys.bytes[f]!);
    // Stryker disable next-line all: the checker's ghost record (the oracle input of frame-accounting's pageout half: the frame's free is owed), not the implementation; the check's test in test/model-check/mmu-invariants.test.ts shows it can fail
    this.pageoutOwed.add(f);
    // Pageout works under the page-queues lock (§2.4: below the object locks); the pmap locks
    // of the unmapping are taken under it.
    // Stryker disable next-line all: the lock-order validator's input (oracle code), as in pmap.ts
    this.lockHooks?.lock("page_queues", 0);
    this.retireFrame(f);
    // Stryker disable next-line all: the same
    this.lockHooks?.unlock("page_queues", 0);
  }

  /** Wired pages of `[start, end)` faulted in and pinned; unwired ones unpinned (mmu.ts). */
  abstract syncWiring(map: VmMap, start: number, end: number): void;
}
