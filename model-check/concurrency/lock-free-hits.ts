/**
 * A TLB hit takes no lock: the hardware translates a load or store from its TLB without asking
 * the kernel, so a user access whose every page the CPU's TLB holds (with the access) completes
 * at once, even while a kernel operation holds the map lock. That is what lets a store race
 * an in-flight protect or remove through the old translation — the stale-TLB behaviour the
 * checker exists to explore. A model whose hits wait for the map lock is still linearizable
 * (the load just comes later), so no result check notices; this one does.
 *
 * The TLB is read here straight from its arrays (valid entry, ASID, page, rights), not through
 * impl/tlb's lookup, so a bug in the lookup cannot hide itself.
 */
import type { Kernel } from "../../impl/kernel.ts";
import { areWords, fromHex, isWord, wraps } from "../../impl/args.ts";
import { VM_PROT_READ, VM_PROT_WRITE } from "../../spec/constants.ts";
import type { Op } from "../../spec/vocabulary.ts";
import { tlbHolds } from "../mmu-invariants.ts";

export const TLB_HIT_LOCK_FREE = "tlb-hit-lock-free";

/** True when `op` is a well-formed load or store whose every page `k`'s CPU has cached with the access. */
export function servedByTlb(k: Kernel, op: Op): boolean {
  const mmu = k.activeMmu;
  if (mmu === null || (op.op !== "load" && op.op !== "store")) return false;
  const cpu = mmu.cpus[op.cpu];
  const map = cpu === undefined ? null : k.cpuRunning(op.cpu);
  if (cpu === undefined || map === null || cpu.current === null) return false;
  const { scope } = k;
  let size: number, access: number;
  if (op.op === "load") {
    if (op.size === 0 || !areWords(scope, op.addr, op.size) || wraps(scope, op.addr, op.size)) return false;
    size = op.size;
    access = VM_PROT_READ;
  } else {
    const bytes = fromHex(op.data);
    if (bytes === undefined || bytes.length === 0 || !isWord(scope, op.addr) || wraps(scope, op.addr, bytes.length)) return false;
    size = bytes.length;
    access = VM_PROT_WRITE;
  }
  const ps = scope.pageSize;
  for (let vpn = Math.floor(op.addr / ps); vpn * ps < op.addr + size; vpn++) if (!tlbHolds(cpu.tlb, cpu.current.asid, vpn, access)) return false;
  return true;
}

/**
 * Some shootdown in flight still waits for `cpu`'s acknowledgement: a TLB hit on `cpu` now may
 * use a translation the kernel has already taken away (the report's racing hits). Read from the
 * shootdown log's own records, like the TLB above.
 */
export function racesShootdown(k: Kernel, cpu: number): boolean {
  const mmu = k.activeMmu;
  return mmu !== null && mmu.shootdowns.inFlight.some((sd) => sd.targets.some((c, i) => c === cpu && !sd.acked[i]));
}

/** The CPUs whose acknowledgement a shootdown in flight still awaits (none without a machine). */
export function awaitedCpus(k: Kernel | undefined): number[] {
  const mmu = k?.activeMmu ?? null;
  if (mmu === null) return [];
  return [...new Set(mmu.shootdowns.inFlight.flatMap((sd) => sd.targets.filter((_, i) => !sd.acked[i])))];
}
