/**
 * Which submap windows should be nested, judged by the checker on its own. The MMU decides with
 * `MmuNesting.nestObstacle`; asking that same method in the invariants that judge nesting
 * (`link-has-window`, `nesting-complete`) let any mistake in it pass both, since they compared
 * the MMU's choice with itself. This is the rule restated from the reference (§4.16: `use_pmap`
 * at offset 0) and from vmcheck's exactness conditions (DESIGN: a nested window must read
 * exactly what the parent's entry resolves to), written against the scope's geometry and the
 * pmaps' link records rather than the MMU's own fields.
 */
import { mmuGeometry } from "../spec/scope.ts";
import type { Kernel } from "../impl/kernel.ts";
import type { Mmu } from "../impl/mmu/mmu.ts";
import type { VmMapEntry } from "../impl/map/entry.ts";
import type { VmMap } from "../impl/map/vm-map.ts";

/** Half-open page ranges [a, a + an) and [b, b + bn) share a page. */
const sharePage = (a: number, an: number, b: number, bn: number): boolean => Math.max(a, b) < Math.min(a + an, b + bn);

/**
 * Why window `e` of `map` must not be nested now, or undefined when it must be. The one-level
 * rule is judged against the links as they stand (the first of two chained windows to be nested
 * keeps its link), so it is symmetric: a window is not nestable over pages its own map shows
 * through another map's nested window, nor over pages of its submap that nest a third map.
 */
export function nestingForbidden(mmu: Mmu, k: Kernel, map: VmMap, e: VmMapEntry): string | undefined {
  if (e.submap === null) return "not a submap window";
  if (!e.usePmap) return "the window did not ask for a nested pmap";
  if (e.offset !== 0) return "the window shows its submap from a non-zero offset (§4.16 nests only at offset 0)";
  if (e.wiredCount !== 0) return "the window is wired (a nested PTE's wired bit would be the submap's)";
  if (e.needsCopy) return "the window is copy-on-write (writes must fault and copy)";
  const ps = k.scope.pageSize, g = mmuGeometry(k.scope);
  const pageBits = Math.round(Math.log2(ps));
  if (k.scope.addressBits - pageBits <= g.pageTableLeafBits) return "the page table is a single leaf, with no directory slot to share";
  const leafPages = 2 ** g.pageTableLeafBits;
  const first = e.start / ps, pages = (e.end - e.start) / ps;
  if (!Number.isInteger(first / leafPages) || !Number.isInteger(pages / leafPages)) return `the window is not whole leaves of ${leafPages} pages`;
  const parent = mmu.pmaps.get(map), nested = mmu.pmaps.get(e.submap);
  if (parent?.parents.some((l) => sharePage(l.nestedVpn, l.pages, first, pages))) return "the map shows these pages through another map's nested window";
  if (nested?.nests.some((l) => sharePage(l.vpn, l.pages, 0, pages))) return "the submap nests a third map over these pages";
  return undefined;
}
