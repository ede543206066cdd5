/**
 * The simulated MMU: physical frames, one pmap per map, N CPUs each with a TLB, shootdown, the
 * access path (TLB → page table → fault) and pageout.
 *
 * The MMU comes into play when a CPU is first switched to a map ({@link Mmu.engaged}); from then
 * on every user access — `load`/`store` on a CPU, `read_user`/`write_user` by the kernel (a walk
 * without a TLB) — goes through it, and after every operation that may change what a page
 * translates to, {@link Mmu.revalidate} re-derives the affected PTEs (pmap_protect/pmap_remove
 * on what changed, page_protect on frames whose page is gone) and nests the submap windows that
 * can be nested. Before that nothing is mapped and
 * nothing is paid: map-only campaigns run at full speed.
 *
 * Every mechanism is a method, so a planted bug is a subclass replacing exactly one of them.
 */
import { currentTranslation, pmapEnterRights, resolveFault } from "../fault/fault.ts";
import type { VmMap } from "../map/vm-map.ts";
import { MmuNesting } from "./nesting.ts";

export type { Cpu, MmuGhost } from "./mmu-core.ts";

/** The MMU: the machine (mmu-core.ts), the access path (access.ts), nested pmaps (nesting.ts), and the coherence with the maps below. */
export class Mmu extends MmuNesting {
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

  /**
   * PMAP_ENTER of a page-list chunk (reference §4.11.5): each page of `[start, end)` still
   * mapped in `map` is entered in its pmap as a fault for `access` (at least READ) would enter
   * it, with no more rights than that access — so the consumer's device I/O through the source
   * addresses needs no fault. A PTE that already maps the page with those rights stays.
   */
  pmapEnterChunk(map: VmMap, start: number, end: number, access: number): void {
    const ps = this.pageSize;
    for (let va = start; va < end; va += ps) {
      const now = currentTranslation(map, va);
      const rights = now === undefined ? 0 : pmapEnterRights(now, access);
      if (now === undefined || rights === 0) continue;
      const p = this.pmapOf(map), pte = p.pte(va / ps);
      const holds = pte.frame >= 0 && this.phys.bytes[pte.frame] === now.bytes && this.phys.frameOf(now.object, now.index) === pte.frame;
      if (holds && (pte.rights & rights) === rights) continue;
      this.enter(p, va / ps, { ...now, rights });
    }
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
    const rewire: [VmMap, number][] = this.pendingRewire.splice(0);
    const retiring = new Set(this.shootdowns.deferredFrees);
    for (const f of [...phys.used()]) {
      if (retiring.has(f)) continue; // unmapped already, freed once its shootdowns are acknowledged
      if (!phys.holdsLivePage(f)) {
        for (const m of phys.mappings[f]!) {
          const map = this.mapOfPmap.get(m.pmap);
          if (map && m.pmap.pte(m.vpn).wired) rewire.push([map, m.vpn * ps]);
        }
        this.pageProtect(f);
        this.shootdowns.deferFree(f);
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
    this.syncNesting();
    // A rewiring fault copies up with write intent, and that can collapse a shadow chain: pages
    // die after the scan above, so their frames are settled by another pass. (The second pass
    // rewires nothing the first has just made current, so it ends.)
    if (rewire.length > 0) this.revalidate();
  }
}
