/**
 * The simulated MMU's state as lines of text, for `vmcheck explain` (text and HTML): which map
 * each CPU runs and what its TLB caches, each map's PTEs, and the frames in use. Nothing until a
 * CPU has run a map.
 */
import type { Kernel } from "../impl/kernel.ts";
import { hexAddr } from "../spec/abstract.ts";

const RIGHTS = (r: number): string => (r & 1 ? "r" : "-") + (r & 2 ? "w" : "-") + (r & 4 ? "x" : "-");

export function describeMmu(k: Kernel | undefined): string[] {
  const mmu = k?.mmu;
  if (!k || !mmu?.engaged) return [];
  const ps = k.scope.pageSize;
  const handleOf = new Map(k.maps.map((m, h) => [m, h] as const));
  const out: string[] = [];
  for (const c of mmu.cpus) {
    const entries = [...c.tlb.valid()].map((i) => `asid ${c.tlb.asid[i]} ${hexAddr(c.tlb.vpn[i]! * ps)}→f${c.tlb.frame[i]} ${RIGHTS(c.tlb.rights[i]!)}`);
    const runs = c.currentMap ? `map ${handleOf.get(c.currentMap)} (asid ${c.current!.asid})` : "nothing";
    out.push(`cpu ${c.id} runs ${runs}; TLB: ${entries.join(", ") || "empty"}`);
  }
  for (const [map, p] of mmu.pmaps) {
    const ptes = p.present(0, Infinity).map((v) => {
      const pte = p.pte(v);
      return `${hexAddr(v * ps)}→f${pte.frame} ${RIGHTS(pte.rights)}${pte.wired ? " wired" : ""}`;
    });
    out.push(`map ${handleOf.get(map) ?? "?"} (asid ${p.asid}) PTEs: ${ptes.join(", ") || "none"}`);
  }
  const used = [...mmu.phys.used()].map((f) => `f${f}=obj ${mmu.phys.object[f]!.id} page ${mmu.phys.index[f]}${mmu.phys.pins[f] ? " pinned" : ""}`);
  out.push(`frames in use ${used.length}/${mmu.phys.count}: ${used.join(", ") || "none"}; paged out by the last command ${mmu.ghost.pageouts}`);
  return out;
}
