/**
 * A physical map (pmap): one map's page table, tagged with the address-space id its CPUs put
 * in their TLBs. The operations are the machine-independent pmap interface of Mach:
 * enter, remove, protect, change_wiring, and (over all pmaps, through the reverse map)
 * page_protect.
 *
 * A PTE holds a frame, the rights the page may be used with and a wired bit. Every change that
 * takes rights away or changes the frame is reported to the host as an invalidation of the
 * virtual range it covers: the host (the MMU) issues a shootdown to every CPU that may cache
 * this pmap and completes it later. Granting more rights needs no invalidation (a stale entry
 * with fewer rights costs one spurious fault, which refills it).
 *
 * Nested pmaps (`pmap_nest`, reference §4.16): `nest` shares another pmap's leaves over a
 * window, so a PTE the nested pmap enters is seen at once through every pmap nesting it. The
 * nested pmap remembers its parents, so its invalidations reach the CPUs of every map that
 * nests it. The nested pmap owns the PTEs (its `mapped` set and the reverse map name it, never
 * a parent); a parent never enters, removes or protects inside a nested window. A window
 * carries the parent entry's protection as a mask that a walk through the parent applies (like
 * the rights bits of an x86 directory entry): the submap's own PTEs may grant more than the
 * parent's window allows, and the parent must not see it.
 */
import { PageTable } from "./page-table.ts";
import type { PhysicalMemory } from "./physical-memory.ts";

/** The machine's lock classes: each pmap's lock, and the one page-queues lock pageout holds. */
export type MachineLockClass = "pmap" | "page_queues";

/**
 * Where the machine reports the locks it takes, so that a kernel thread's lock-order validator
 * learns their order against the map and object locks the thread holds (impl/sched/). Reported,
 * not enforced, like object locks: the pmap work of an operation runs inside its commit.
 */
export interface MachineLockHooks {
  lock(cls: MachineLockClass, id: number): void;
  unlock(cls: MachineLockClass, id: number): void;
}

/** What a pmap needs from the MMU around it. */
export interface PmapHost {
  readonly phys: PhysicalMemory;
  /** Told of every pmap lock taken and released; null when nobody listens. */
  readonly lockHooks: MachineLockHooks | null;
  /** PTEs of `pmap` in `[startVpn, endVpn)` lost rights or frames: shoot the range down. */
  invalidate(pmap: Pmap, startVpn: number, endVpn: number): void;
  /** Ghost bookkeeping: the PTE of (pmap, vpn) lost rights or its frame. */
  pteReduced(pmap: Pmap, vpn: number): void;
}

/** A window of a nested pmap seen through a parent. */
export interface NestedWindow {
  readonly parent: Pmap;
  readonly nested: Pmap;
  readonly vpn: number;
  readonly nestedVpn: number;
  readonly pages: number;
  /** Rights a walk through the parent keeps (the parent entry's protection). */
  readonly mask: number;
}

export class Pmap {
  readonly table: PageTable;
  /** Present virtual pages (so range operations cost the mappings, not the range). */
  readonly mapped = new Set<number>();
  /** Pmaps that nest this one, with the windows they see it through. */
  readonly parents: NestedWindow[] = [];
  /** The windows this pmap nests (the same records, seen from the parent). */
  readonly nests: NestedWindow[] = [];

  constructor(
    readonly host: PmapHost,
    /** Address-space id: the tag of this pmap's TLB entries. Never reused. */
    readonly asid: number,
    vpnBits: number,
    leafBits = 9,
  ) {
    this.table = new PageTable(vpnBits, leafBits);
  }

  /** The PTE of `vpn` as a walk of this pmap reads it: frame (-1 = none), rights (masked in a nested window), wired. */
  pte(vpn: number): { frame: number; rights: number; wired: boolean } {
    const l = this.table.leaf(vpn);
    if (l === null) return { frame: -1, rights: 0, wired: false };
    const s = this.table.leafSlot(vpn);
    return { frame: l.frame[s]!, rights: l.rights[s]! & this.maskAt(vpn), wired: l.wired[s] === 1 };
  }

  /** The frame `vpn` maps (-1 = none) and its rights, as `rights * 2^32 + frame + 1` (no allocation on the walk path). */
  walkWord(vpn: number): number {
    const l = this.table.leaf(vpn);
    if (l === null) return 0;
    const s = this.table.leafSlot(vpn);
    return (l.rights[s]! & this.maskAt(vpn)) * 2 ** 32 + l.frame[s]! + 1;
  }

  /** The nested window holding `vpn`, or undefined. */
  nestAt(vpn: number): NestedWindow | undefined {
    for (const w of this.nests) if (vpn >= w.vpn && vpn < w.vpn + w.pages) return w;
    return undefined;
  }

  /** Rights a walk at `vpn` may keep: the window's mask inside a nested window, else all. */
  private maskAt(vpn: number): number {
    return this.nests.length === 0 ? 0xff : (this.nestAt(vpn)?.mask ?? 0xff);
  }

  /** `pmap_enter`: map `vpn` to `frame` with `rights`, wired or not, replacing what was there. */
  enter(vpn: number, frame: number, rights: number, wired: boolean): void {
    this.lock();
    this.enterLocked(vpn, frame, rights, wired);
    this.unlock();
  }

  private enterLocked(vpn: number, frame: number, rights: number, wired: boolean): void {
    if (this.nests.length > 0 && this.nestAt(vpn)) throw new Error(`pmap_enter at vpn ${vpn} inside a nested window: the nested pmap owns it`);
    const l = this.table.leaf(vpn, true)!;
    const s = this.table.leafSlot(vpn);
    const old = l.frame[s]!;
    const phys = this.host.phys;
    if (old !== -1 && old !== frame) {
      this.unlink(old, vpn, l.wired[s] === 1);
      l.frame[s] = -1;
      this.reduced(vpn, vpn + 1);
    } else if (old === frame && (l.rights[s]! & ~rights) !== 0) {
      this.reduced(vpn, vpn + 1);
    }
    if (old !== frame) {
      phys.mappings[frame]!.push({ pmap: this, vpn });
      this.mapped.add(vpn);
    } else if (l.wired[s] === 1) phys.pins[frame]!--;
    l.frame[s] = frame;
    l.rights[s] = rights;
    l.wired[s] = wired ? 1 : 0;
    if (wired) phys.pins[frame]!++;
  }

  /** `pmap_remove`: unmap every page of `[startVpn, endVpn)`, then one invalidation of the range. */
  remove(startVpn: number, endVpn: number): void {
    this.lock();
    this.removeLocked(startVpn, endVpn);
    this.unlock();
  }

  private removeLocked(startVpn: number, endVpn: number): void {
    let any = false;
    for (const vpn of this.present(startVpn, endVpn)) {
      const l = this.table.leaf(vpn)!;
      const s = this.table.leafSlot(vpn);
      this.unlink(l.frame[s]!, vpn, l.wired[s] === 1);
      l.frame[s] = -1;
      l.rights[s] = 0;
      l.wired[s] = 0;
      this.host.pteReduced(this, vpn);
      any = true;
    }
    if (any) this.host.invalidate(this, startVpn, endVpn);
  }

  /**
   * `pmap_protect`: PTEs of the range keep only `rights`; one invalidation. With no rights left
   * an unwired PTE is removed, a wired one stays (the page stays resident and mapped) with none.
   */
  protect(startVpn: number, endVpn: number, rights: number): void {
    this.lock();
    this.protectLocked(startVpn, endVpn, rights);
    this.unlock();
  }

  private protectLocked(startVpn: number, endVpn: number, rights: number): void {
    let any = false;
    for (const vpn of this.present(startVpn, endVpn)) {
      const l = this.table.leaf(vpn)!;
      const s = this.table.leafSlot(vpn);
      const r = l.rights[s]!;
      if ((r & ~rights) === 0) continue;
      if (rights === 0 && l.wired[s] === 0) {
        this.unlink(l.frame[s]!, vpn, false);
        l.frame[s] = -1;
      }
      l.rights[s] = r & rights;
      this.host.pteReduced(this, vpn);
      any = true;
    }
    if (any) this.host.invalidate(this, startVpn, endVpn);
  }

  /** `pmap_change_wiring`: set or clear the wired bit of a present PTE (pinning its frame). */
  changeWiring(vpn: number, wired: boolean): void {
    this.lock();
    this.changeWiringLocked(vpn, wired);
    this.unlock();
  }

  private changeWiringLocked(vpn: number, wired: boolean): void {
    const l = this.table.leaf(vpn);
    const s = this.table.leafSlot(vpn);
    if (l === null || l.frame[s] === -1 || (l.wired[s] === 1) === wired) return;
    l.wired[s] = wired ? 1 : 0;
    this.host.phys.pins[l.frame[s]!]! += wired ? 1 : -1;
  }

  /**
   * `pmap_nest`: `nested`'s `[nestedVpn, +pages)` at `[vpn, +pages)` of this pmap (whole
   * leaves), walked through this pmap with rights `mask`. This pmap's own PTEs there go first.
   */
  nest(vpn: number, nested: Pmap, nestedVpn: number, pages: number, mask: number): void {
    this.lock();
    this.nestLocked(vpn, nested, nestedVpn, pages, mask);
    this.unlock();
  }

  private nestLocked(vpn: number, nested: Pmap, nestedVpn: number, pages: number, mask: number): void {
    this.removeLocked(vpn, vpn + pages);
    this.table.nest(vpn, nested.table, nestedVpn, pages);
    const w: NestedWindow = { parent: this, nested, vpn, nestedVpn, pages, mask };
    nested.parents.push(w);
    this.nests.push(w);
  }

  /**
   * `pmap_unnest` of the window at `vpn`: this pmap stops seeing the nested PTEs there, each
   * one it saw counts as lost, and this pmap's CPUs are shot down over the window.
   */
  unnest(vpn: number): void {
    this.lock();
    this.unnestLocked(vpn);
    this.unlock();
  }

  private unnestLocked(vpn: number): void {
    const i = this.nests.findIndex((w) => w.vpn === vpn);
    if (i < 0) return;
    const w = this.nests[i]!;
    this.nests.splice(i, 1);
    w.nested.parents.splice(w.nested.parents.indexOf(w), 1);
    for (const v of w.nested.present(w.nestedVpn, w.nestedVpn + w.pages)) this.host.pteReduced(this, v - w.nestedVpn + w.vpn);
    this.table.unnest(vpn, w.pages);
    this.host.invalidate(this, vpn, vpn + w.pages);
  }

  // Stryker disable all: the lock-order validator's input (oracle code, like the object layer's lock reports); a mutant here only hides the pmap's edges from the class-order graph, and test/impl/machine-locks.test.ts shows they are reported
  /** `PMAP_LOCK`, reported to whoever listens. */
  private lock(): void {
    this.host.lockHooks?.lock("pmap", this.asid);
  }

  private unlock(): void {
    this.host.lockHooks?.unlock("pmap", this.asid);
  }
  // Stryker restore all

  /** The present pages of `[startVpn, endVpn)`, ascending, as a list (safe to change the table while using it). */
  present(startVpn: number, endVpn: number): number[] {
    const out: number[] = [];
    if (endVpn - startVpn <= this.mapped.size) {
      for (let v = startVpn; v < endVpn; v++) if (this.mapped.has(v)) out.push(v);
    } else {
      for (const v of this.mapped) if (v >= startVpn && v < endVpn) out.push(v);
      out.sort((a, b) => a - b);
    }
    return out;
  }

  private reduced(startVpn: number, endVpn: number): void {
    for (let v = startVpn; v < endVpn; v++) this.host.pteReduced(this, v);
    this.host.invalidate(this, startVpn, endVpn);
  }

  private unlink(frame: number, vpn: number, wired: boolean): void {
    const phys = this.host.phys;
    const list = phys.mappings[frame]!;
    const i = list.findIndex((m) => m.pmap === this && m.vpn === vpn);
    if (i >= 0) list.splice(i, 1);
    if (wired) phys.pins[frame]!--;
    this.mapped.delete(vpn);
  }
}
