/**
 * The access path of the MMU: TLB → page table → fault, for a CPU's loads and stores and (with
 * no TLB) the kernel's read_user / write_user.
 */
import { VM_PROT_READ, VM_PROT_WRITE } from "../../spec/constants.ts";
import { resolveFault, type ResolvedPage } from "../fault/fault.ts";
import type { VmMap } from "../map/vm-map.ts";
import type { Pmap } from "../pmap/pmap.ts";
import { MmuCore, type Cpu } from "./mmu-core.ts";

export abstract class MmuAccess extends MmuCore {
  /** The PTE as a walk of the page table reads it. */
  walk(_cpu: Cpu, pmap: Pmap, vpn: number): { frame: number; rights: number } {
    const word = pmap.walkWord(vpn);
    return { frame: (word % 2 ** 32) - 1, rights: Math.floor(word / 2 ** 32) };
  }

  /** Fill the TLB from a walk; the ghost checks the walk matched the page table. */
  fill(cpu: Cpu, pmap: Pmap, vpn: number, w: { frame: number; rights: number }): void {
    // Stryker disable all: the checker's ghost record (the oracle input of tlb-fill-sound), not the implementation; a mutant here only weakens that check, and the check's corruption test in test/model-check/mmu-invariants.test.ts shows it can fail
    if (pmap.walkWord(vpn) !== w.rights * 2 ** 32 + w.frame + 1) {
      const pte = pmap.pte(vpn);
      this.ghost.unsoundFills.push(`cpu ${cpu.id} filled asid ${pmap.asid} vpn ${vpn} with frame ${w.frame} rights ${w.rights}; the PTE holds frame ${pte.frame} rights ${pte.rights}`);
    }
    // Stryker restore all
    cpu.tlb.fill(pmap.asid, vpn, w.frame, w.rights);
  }

  /**
   * Translate the page at `va` of `map` for `access`: through `cpu`'s TLB when given (else the
   * kernel walks the page table directly), then the page table, then the fault path. Returns
   * the page's bytes, or undefined when the access faults for good.
   */
  translate(cpu: Cpu | null, map: VmMap, va: number, access: number): Uint8Array | undefined {
    if (cpu !== null) {
      const bytes = this.tlbHit(cpu, map, va, access);
      if (bytes !== undefined) return bytes;
    }
    return this.translateMiss(cpu, map, va, access);
  }

  /**
   * The hit path of a translation: the page's bytes when `cpu` runs `map` and its TLB holds a
   * translation of `va` granting `access`, else undefined — nothing walked, filled, dropped or
   * faulted. It calls nothing that can fault, so it stays small enough for V8 to inline into its
   * callers; `translate` tries it first, and bench/mmu.ts measures it. It is also what a user
   * load or store does while kernel operations are in flight: no map lock, no page table; an
   * entry whose invalidation the CPU has not yet acknowledged is still used (the old
   * translation).
   */
  tlbHit(cpu: Cpu, map: VmMap, va: number, access: number): Uint8Array | undefined {
    if (cpu.currentMap !== map) return undefined;
    const f = cpu.tlb.hitFrame(cpu.currentAsid, va <= 0x7fffffff ? va >>> this.pageShift : Math.floor(va / this.pageSize), access);
    return f >= 0 ? this.frameBytes[f]! : undefined;
  }

  /** Everything but a TLB hit on the CPU's current map. */
  private translateMiss(cpu: Cpu | null, map: VmMap, va: number, access: number): Uint8Array | undefined {
    if (cpu === null) return this.translateSlow(null, map, this.pmapOf(map), va, access);
    const pmap = this.pmapOf(map);
    const t = cpu.tlb;
    const i = t.lookup(pmap.asid, va <= 0x7fffffff ? va >>> this.pageShift : Math.floor(va / this.pageSize));
    if (i >= 0 && (t.rights[i]! & access) === access) return this.frameBytes[t.frame[i]!]!;
    if (i >= 0) t.drop(i); // a fault invalidates the entry of the faulting address
    return this.translateSlow(cpu, map, pmap, va, access);
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

  /**
   * The bytes `[addr, addr + size)` read through the MMU, or undefined when a page faults for
   * good (nothing read). With `hitsOnly`, through `cpu`'s TLB hits alone: undefined on a miss.
   */
  read(cpu: Cpu | null, map: VmMap, addr: number, size: number, hitsOnly = false): Uint8Array | undefined {
    const pages = this.pagesFor(cpu, map, addr, size, VM_PROT_READ, hitsOnly);
    if (pages === undefined) return undefined;
    this.noteAccess(cpu, map, addr, size, VM_PROT_READ);
    const out = new Uint8Array(size);
    this.eachPiece(addr, size, (p, off, n, at) => out.set(pages[p]!.subarray(off, off + n), at));
    return out;
  }

  /** Write `bytes` at `addr` through the MMU; false (nothing written) when a page faults for good (`hitsOnly`: or misses). */
  write(cpu: Cpu | null, map: VmMap, addr: number, bytes: Uint8Array, hitsOnly = false): boolean {
    // A write over several pages that faults for good on a later one must not have promoted an
    // earlier one out of a copy-on-write submap (that is visible): every page is checked first.
    // Not needed on the lock-free path: a TLB hit never promotes (no translation through a
    // copy-on-write window is writable), and it reads no map.
    const ps = this.pageSize;
    if (!hitsOnly && (addr % ps) + bytes.length > ps && !map.accessible(addr, bytes.length, VM_PROT_WRITE)) return false;
    const pages = this.pagesFor(cpu, map, addr, bytes.length, VM_PROT_WRITE, hitsOnly);
    if (pages === undefined) return false;
    this.noteAccess(cpu, map, addr, bytes.length, VM_PROT_WRITE);
    this.eachPiece(addr, bytes.length, (p, off, n, at) => pages[p]!.set(bytes.subarray(at, at + n), off));
    return true;
  }

  /**
   * The fault half of {@link write}: every page of the range translated for writing — copy-on-write
   * resolved, old pages pushed to a delayed copy, translations entered — and no byte written, so
   * that a thread can wait for the shootdowns this issued before it writes (impl/sched). Nothing
   * is done when the write would fault for good: that write is left to run whole.
   */
  faultForWrite(cpu: Cpu | null, map: VmMap, addr: number, size: number): void {
    if (map.accessible(addr, size, VM_PROT_WRITE)) this.pagesFor(cpu, map, addr, size, VM_PROT_WRITE);
  }

  /** Ghost: the last page a successful access translated through `cpu`'s TLB (tlb-caches-last-access checks it is cached). */
  private noteAccess(cpu: Cpu | null, map: VmMap, addr: number, size: number, access: number): void {
    // Stryker disable all: the checker's ghost record (the oracle input of tlb-caches-last-access), not the implementation; a mutant here only weakens that check, and the check's corruption test in test/model-check/mmu-invariants.test.ts shows it can fail
    if (cpu === null || size === 0) return;
    this.ghost.lastAccess = { cpu: cpu.id, asid: this.pmapOf(map).asid, vpn: Math.floor((addr + size - 1) / this.pageSize), access };
  }

  // Stryker restore all

  /** Translate every page touched by the range first, so a fault on a later page moves no byte. */
  private pagesFor(cpu: Cpu | null, map: VmMap, addr: number, size: number, access: number, hitsOnly = false): Uint8Array[] | undefined {
    const ps = this.pageSize;
    const pages: Uint8Array[] = [];
    for (let va = addr - (addr % ps); va < addr + size; va += ps) {
      const bytes = hitsOnly ? this.tlbHit(cpu!, map, va, access) : this.translate(cpu, map, va, access);
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
}
