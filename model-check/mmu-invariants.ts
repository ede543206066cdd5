/**
 * Invariants of the simulated MMU (reference §6 #19, #21; the research notes' list: fill
 * soundness, bounded staleness, no amplification, no translation to freed frames, flush
 * coverage). They hold trivially until a CPU first runs a map (the MMU is not in play before).
 * Ghost state the MMU keeps for them: the fills whose value differed from the page table, the
 * frames freed while still reachable, and the (CPU, ASID, page) whose PTE lost rights without a
 * completed invalidation on that CPU.
 */
import { VM_PROT_WRITE } from "../spec/constants.ts";
import { hexAddr } from "../spec/abstract.ts";
import type { Kernel } from "../impl/kernel.ts";
import type { Mmu } from "../impl/mmu/mmu.ts";
import type { Pmap } from "../impl/pmap/pmap.ts";
import type { Tlb } from "../impl/tlb/tlb.ts";
import { currentTranslation, descend, pushPending } from "../impl/fault/fault.ts";
import type { VmMap } from "../impl/map/vm-map.ts";
import type { Invariant } from "./invariants.ts";
import { mmuRefinesSpec } from "./mmu-refinement.ts";
import { nestingForbidden } from "./nestable.ts";
import { pmapWorkWatcher } from "./pmap-work.ts";
import type { AbstractWorld } from "../spec/abstract.ts";

/** One translation the MMU holds: a PTE (cpu null) or a TLB entry. */
interface Translation {
  readonly where: string;
  readonly pmap: Pmap | undefined;
  readonly vpn: number;
  readonly frame: number;
  readonly rights: number;
}

function* ptes(mmu: Mmu): Generator<Translation> {
  for (const p of mmu.pmaps.values())
    for (const vpn of p.mapped) {
      const pte = p.pte(vpn);
      yield { where: `PTE asid ${p.asid} vpn ${hexAddr(vpn)}`, pmap: p, vpn, frame: pte.frame, rights: pte.rights };
    }
}

function* tlbEntries(mmu: Mmu): Generator<Translation> {
  for (const c of mmu.cpus)
    for (const i of c.tlb.valid()) {
      const asid = c.tlb.asid[i]!, vpn = c.tlb.vpn[i]!;
      yield { where: `cpu ${c.id} TLB asid ${asid} vpn ${hexAddr(vpn)}`, pmap: mmu.byAsid.get(asid), vpn, frame: c.tlb.frame[i]!, rights: c.tlb.rights[i]! };
    }
}

/**
 * `t` holds a valid entry for page `vpn` of `asid` granting `access`, read straight from its
 * arrays (not through Tlb.lookup, so a bug there cannot hide itself; nor any LRU update).
 */
export function tlbHolds(t: Tlb, asid: number, vpn: number, access: number): boolean {
  return tlbEntryFor(t, asid, vpn, access) >= 0;
}

/** The TLB entry translating page `vpn` of `asid` with `access`, read from the arrays (not through the TLB's lookup); -1 when none. */
function tlbEntryFor(t: Tlb, asid: number, vpn: number, access: number): number {
  for (let i = 0; i < t.entries; i++) if (t.asid[i] === asid && t.vpn[i] === vpn && (t.rights[i]! & access) === access) return i;
  return -1;
}

/** Run `f` on every translation; the first message wins. */
function each(ts: Iterable<Translation>, f: (t: Translation) => string | undefined): string | undefined {
  for (const t of ts) {
    const m = f(t);
    if (m) return m;
  }
  return undefined;
}

/** The check, only once the MMU is in play. */
const withMmu =
  (f: (mmu: Mmu, k: Kernel, spec?: () => AbstractWorld) => string | undefined) =>
  (k: Kernel, spec?: () => AbstractWorld) =>
    k.mmu?.engaged ? f(k.mmu, k, spec) : undefined;

const mapOf = (mmu: Mmu, p: Pmap | undefined): VmMap | undefined => (p ? mmu.mapOfPmap.get(p) : undefined);

/** A translation grants no more than its map entry, and maps the page the entry resolves to. */
function withinEntry(mmu: Mmu, k: Kernel, t: Translation): string | undefined {
  const map = mapOf(mmu, t.pmap);
  if (!map) return `${t.where}: its address space has no map`;
  const va = t.vpn * k.scope.pageSize;
  const held = descend(map, va);
  if (!held) return `${t.where}: maps ${hexAddr(va)}, which no entry covers`;
  if ((t.rights & ~held.prot) !== 0) return `${t.where}: rights ${t.rights} beyond the entry's protection ${held.prot}`;
  const now = currentTranslation(map, va);
  if (!now || now.object !== mmu.phys.object[t.frame] || now.index !== mmu.phys.index[t.frame])
    return `${t.where}: frame ${t.frame} does not hold the page the entry resolves to`;
  return undefined;
}

/** A writable translation only where the page may be written in place now. */
function writableOk(mmu: Mmu, k: Kernel, t: Translation): string | undefined {
  if ((t.rights & VM_PROT_WRITE) === 0) return undefined;
  const map = mapOf(mmu, t.pmap);
  const held = map && descend(map, t.vpn * k.scope.pageSize);
  if (!held) return undefined; // translation-within-entry reports it
  const e = held.entry, o = mmu.phys.object[t.frame];
  if (e.needsCopy) return `${t.where}: writable, but its entry needs a copy`;
  if (o !== e.object) return `${t.where}: writable, but frame ${t.frame} holds a page of an object below the entry's`;
  if (o && pushPending(o, mmu.phys.index[t.frame]!)) return `${t.where}: writable, but the copy object has not received the page yet`;
  if (o && o.busy.has(mmu.phys.index[t.frame]!)) return `${t.where}: writable, but a page list holds the page busy`;
  return undefined;
}

/**
 * The page at `va` of `map` is reached through a copy-on-write submap entry, at any level. Walked
 * here with its own few lines, not through the map's descent, so a planted bug there cannot hide.
 */
function throughCowSubmap(map: VmMap, va: number): boolean {
  for (let m = map, a = va; ; ) {
    const r = m.lookupEntry(a);
    if (!r.found || r.entry.submap === null) return false;
    if (r.entry.needsCopy) return true;
    a = a - r.entry.start + r.entry.offset;
    m = r.entry.submap;
  }
}

/** A writable translation never reaches memory through a copy-on-write submap: a write there must fault and promote. */
function cowWindowReadOnly(mmu: Mmu, k: Kernel, t: Translation): string | undefined {
  if ((t.rights & VM_PROT_WRITE) === 0) return undefined;
  const map = mapOf(mmu, t.pmap);
  return map && throughCowSubmap(map, t.vpn * k.scope.pageSize) ? `${t.where}: writable through a copy-on-write submap` : undefined;
}

/** Every nesting link: the parent's map, the window's first page and the link. */
function* nestLinks(mmu: Mmu): Generator<{ map: VmMap | undefined; p: Pmap; w: Pmap["nests"][number] }> {
  for (const p of mmu.pmaps.values()) for (const w of p.nests) yield { map: mapOf(mmu, p), p, w };
}

/** A nesting link survives only with its window: an exact submap window of a live map, recorded on both sides. */
function linkHasWindow(mmu: Mmu, k: Kernel): string | undefined {
  const ps = k.scope.pageSize;
  for (const p of mmu.pmaps.values())
    for (const w of p.parents)
      if (!w.parent.nests.includes(w)) return `asid ${p.asid} lists a parent (asid ${w.parent.asid} vpn ${hexAddr(w.vpn)}) that does not nest it`;
  for (const { map, p, w } of nestLinks(mmu)) {
    const at = `asid ${p.asid} nests asid ${w.nested.asid} at vpn ${hexAddr(w.vpn)}`;
    if (!map) return `${at}, but its map is gone`;
    if (!w.nested.parents.includes(w)) return `${at}, but the nested pmap does not list it`;
    const r = map.lookupEntry(w.vpn * ps);
    const e = r.found ? r.entry : undefined;
    if (!e || e.submap === null || mmu.pmaps.get(e.submap) !== w.nested) return `${at}, but no window onto that submap is there`;
    if (e.start !== w.vpn * ps || e.end !== (w.vpn + w.pages) * ps || e.offset !== w.nestedVpn * ps)
      return `${at} over ${w.pages} pages, but the window is [${hexAddr(e.start)}, ${hexAddr(e.end)}) at offset ${hexAddr(e.offset)}`;
    if (e.protection !== w.mask) return `${at} with rights ${w.mask}, but the window's protection is ${e.protection}`;
    const why = nestingForbidden(mmu, k, map, e);
    if (why !== undefined) return `${at}, but the window must not be nested: ${why}`;
  }
  return undefined;
}

/** `p` reaches at `vpn` the very leaf `nested` owns at `nestedVpn` (both walk the same PTEs there). */
function sharesLeaf(p: Pmap, vpn: number, nested: Pmap, nestedVpn: number): boolean {
  const l = p.table.leaf(vpn);
  return l !== null && l === nested.table.leaf(nestedVpn);
}

/**
 * Frame `f` still holds the page it was given: its object is alive and holds that very buffer at
 * that index. Written here rather than asking PhysicalMemory.holdsLivePage, which revalidation
 * uses to decide what to free: a mistake there would otherwise hide itself.
 */
function holdsLivePage(mmu: Mmu, f: number): boolean {
  const o = mmu.phys.object[f], bytes = mmu.phys.bytes[f];
  return o !== null && o !== undefined && o.alive && bytes !== null && bytes !== undefined && o.pages.get(mmu.phys.index[f]!) === bytes;
}

/** Through a nested window the parent walks the submap's very leaves: each PTE is the submap's, masked by the window. */
function nestedPtesShared(mmu: Mmu): string | undefined {
  for (const { p, w } of nestLinks(mmu)) {
    const at = `asid ${p.asid} vpn ${hexAddr(w.vpn)} (nesting asid ${w.nested.asid})`;
    for (let i = 0; i < w.pages; i += mmu.leafPages)
      if (!sharesLeaf(p, w.vpn + i, w.nested, w.nestedVpn + i)) return `${at}: leaf ${i / mmu.leafPages} of the window is not the submap's`;
    for (let i = 0; i < w.pages; i++) {
      const own = w.nested.pte(w.nestedVpn + i), seen = p.pte(w.vpn + i);
      if (seen.frame !== own.frame || seen.rights !== (own.rights & w.mask) || seen.wired !== own.wired)
        return `${at}: page ${i} reads frame ${seen.frame} rights ${seen.rights}, the submap's PTE is frame ${own.frame} rights ${own.rights} (mask ${w.mask})`;
    }
    for (const v of p.mapped) if (v >= w.vpn && v < w.vpn + w.pages) return `${at}: the parent owns a PTE of its own at vpn ${hexAddr(v)} inside the window`;
  }
  return undefined;
}

/**
 * Outside its nested windows a pmap's walk reaches only PTEs it owns: every present PTE of a leaf
 * its table reaches there is a page of its `mapped` set, and every page of that set maps a frame.
 * The table is walked whole (directories of a few slots in use), not through `mapped`, so a
 * submap's leaf left behind by an un-nest, or a PTE the bookkeeping lost, is seen.
 */
function ptesOwned(mmu: Mmu): string | undefined {
  for (const p of mmu.pmaps.values()) {
    for (const v of p.mapped) if (p.pte(v).frame < 0) return `asid ${p.asid} lists vpn ${hexAddr(v)} as mapped, but its PTE maps no frame`;
    const t = p.table, fanout = 2 ** t.dirBits; // the geometry's, not an array's length
    const visit = (node: unknown, level: number, prefix: number): string | undefined => {
      if (level === t.levels) {
        const leaf = node as { frame: Int32Array }, base = prefix * t.leafPages;
        if (p.nestAt(base) !== undefined) return undefined; // nested-ptes-shared answers for it
        for (let i = 0; i < leaf.frame.length; i++)
          if (leaf.frame[i] !== -1 && !p.mapped.has(base + i)) return `asid ${p.asid} walks vpn ${hexAddr(base + i)} to frame ${leaf.frame[i]}, a PTE it does not own (outside its nested windows)`;
        return undefined;
      }
      const dir = node as readonly unknown[];
      for (let s = 0; s < dir.length; s++) {
        if (dir[s] === null || dir[s] === undefined) continue;
        const m = visit(dir[s], level + 1, prefix * fanout + s);
        if (m) return m;
      }
      return undefined;
    };
    const m = t.levels === 0 ? visit(t.root[0], 0, 0) : visit(t.root, 0, 0);
    if (m) return m;
  }
  return undefined;
}

/** Every window of a map with a pmap that asks for a nested pmap and can be nested exactly, is. */
function nestingComplete(mmu: Mmu, k: Kernel): string | undefined {
  for (const [map, p] of mmu.pmaps) {
    const header = map.store.header;
    for (let e = header.next; e !== header; e = e.next) {
      if (nestingForbidden(mmu, k, map, e) !== undefined) continue;
      const link = p.nestAt(e.start / k.scope.pageSize);
      if (link === undefined || mmu.pmaps.get(e.submap!) !== link.nested)
        return `map ${k.handleOf(map)} [${hexAddr(e.start)}, ${hexAddr(e.end)}): asks for a nested pmap, can be nested, and is not`;
    }
  }
  return undefined;
}

/**
 * PMAP_ENTER did its work: every page it owed in the last operation (a page of a chunk taken with
 * it, mapped in the source, with the rights the access asked as far as a fault allowed) is mapped
 * in the source pmap to the frame holding it with those rights — unless the operation changed
 * that page afterwards (then the re-derivation answers for its PTE) or a pageout of the same
 * operation took its frame again.
 */
function pmapEntered(mmu: Mmu, k: Kernel): string | undefined {
  const ps = k.scope.pageSize;
  for (const { map, va, page } of mmu.ghost.pmapEnterPages) {
    // Swapped out since (the copy's map reference was its last resident one): a swapped-out map
    // keeps no unwired translation (§4.2), PMAP_ENTER's included.
    if (map.swState === "out") continue;
    const now = currentTranslation(map, va);
    if (now === undefined || now.object !== page.object || now.index !== page.index || now.bytes !== page.bytes) continue;
    const want = page.rights & now.rights;
    // Paged out since it was entered: pageout takes any unpinned frame, PMAP_ENTER's included
    // (with frames scarce, the chunk's next page takes it), and a page faulted back in since
    // (by another map's wiring, say) is not owed the source's translation again.
    if (want === 0 || mmu.ghost.pagedOut.has(page.bytes)) continue;
    const f = mmu.phys.frameOf(now.object, now.index);
    const frame = f >= 0 && mmu.phys.bytes[f] === now.bytes ? f : -1;
    const pte = mmu.pmaps.get(map)?.pte(va / ps);
    const at = `map ${k.handleOf(map)} ${hexAddr(va)}`;
    if (!pte || frame < 0 || pte.frame !== frame) return `${at}: PMAP_ENTER took the page, but the source pmap does not map its frame`;
    if ((pte.rights & want) !== want) return `${at}: PMAP_ENTER entered rights ${pte.rights}, the access asked allows ${want}`;
  }
  return undefined;
}

export const MMU_INVARIANTS: readonly Invariant[] = [
  {
    name: "tlb-fill-sound",
    ref: "§6 #21; Syeda & Klein",
    description: "Every TLB fill of the last operation cached exactly what the page table held at that moment.",
    check: withMmu((mmu) => mmu.ghost.unsoundFills[0]),
  },
  {
    name: "tlb-within-pte",
    ref: "§6 #21 (no amplification after completion)",
    description: "At quiescence every TLB entry names the frame of its PTE and grants no more rights.",
    check: withMmu((mmu) =>
      each(tlbEntries(mmu), (t) => {
        if (!t.pmap) return `${t.where}: its address space is gone`;
        const pte = t.pmap.pte(t.vpn);
        if (pte.frame !== t.frame) return `${t.where}: frame ${t.frame}, the PTE holds frame ${pte.frame}`;
        return (t.rights & ~pte.rights) !== 0 ? `${t.where}: rights ${t.rights} beyond the PTE's ${pte.rights}` : undefined;
      }),
    ),
  },
  {
    name: "tlb-set-placement",
    ref: "vmcheck (research §1: set-associative TLB)",
    description: "Every TLB entry sits in the set its page maps to (entry index ÷ ways = page mod sets), and no TLB caches one page of one address space twice.",
    check: withMmu((mmu) => {
      for (const c of mmu.cpus) {
        const t = c.tlb, seen = new Set<string>();
        for (let i = 0; i < t.entries; i++) {
          if (t.asid[i] === -1) continue;
          const vpn = t.vpn[i]!, key = `${t.asid[i]} ${vpn}`;
          if (Math.floor(i / t.ways) !== vpn % t.sets) return `cpu ${c.id} TLB entry ${i} caches page ${hexAddr(vpn)} of asid ${t.asid[i]}, which belongs in set ${vpn % t.sets}`;
          if (seen.has(key)) return `cpu ${c.id} TLB caches page ${hexAddr(vpn)} of asid ${t.asid[i]} twice`;
          seen.add(key);
        }
      }
      return undefined;
    }),
  },
  {
    name: "tlb-caches-last-access",
    ref: "vmcheck (research §1: a TLB caches what it translated)",
    description: "After a load or store through a CPU's TLB (and no invalidation on that CPU since), that TLB holds a translation of the last page it touched granting the access, as the most recently used entry of its set: a TLB that silently drops its fills can no longer show a stale translation, so the checker would lose the bugs it exists to find.",
    check: withMmu((mmu) => {
      const a = mmu.ghost.lastAccess;
      if (a === undefined) return undefined;
      const t = mmu.cpus[a.cpu]!.tlb, i = tlbEntryFor(t, a.asid, a.vpn, a.access);
      if (i < 0) return `cpu ${a.cpu} translated page ${hexAddr(a.vpn)} of asid ${a.asid} for access ${a.access}, but its TLB holds no such translation`;
      // …as the most recently used entry of its set: replacement evicts that one last.
      const set = i - (i % t.ways);
      for (let j = set; j < set + t.ways; j++)
        if (j !== i && t.asid[j] !== -1 && t.stamp[j]! >= t.stamp[i]!) return `cpu ${a.cpu} just used page ${hexAddr(a.vpn)} of asid ${a.asid}, but its TLB entry ${i} is not the most recently used of its set (entry ${j} is as recent or more)`;
      return undefined;
    }),
  },
  {
    name: "translation-within-entry",
    ref: "§6 #19",
    description: "No PTE or TLB entry grants more than the map entry at its address, or maps another page than the entry resolves to.",
    check: withMmu((mmu, k) => each(ptes(mmu), (t) => withinEntry(mmu, k, t)) ?? each(tlbEntries(mmu), (t) => withinEntry(mmu, k, t))),
  },
  {
    name: "no-writable-cow",
    ref: "§5, §6 #21",
    description: "No writable PTE or TLB entry for an entry that needs a copy, a page below the entry's object, a page its copy object has not received yet, or a page a page list holds busy.",
    check: withMmu((mmu, k) => each(ptes(mmu), (t) => writableOk(mmu, k, t)) ?? each(tlbEntries(mmu), (t) => writableOk(mmu, k, t))),
  },
  {
    name: "cow-window-read-only",
    ref: "§4.13 step 2 (COW submap), §6 #21",
    description: "No writable PTE or TLB entry reaches memory through a copy-on-write submap entry (at any level): a write there must fault, so the fault path promotes the page to a private copy instead of writing the submap's memory in place.",
    check: withMmu((mmu, k) => each(ptes(mmu), (t) => cowWindowReadOnly(mmu, k, t)) ?? each(tlbEntries(mmu), (t) => cowWindowReadOnly(mmu, k, t))),
  },
  {
    name: "no-freed-frame-reachable",
    ref: "research §0 item 4",
    description: "No PTE, TLB entry or wiring reaches a free frame, and no frame was freed while one still could.",
    check: withMmu((mmu) => {
      if (mmu.ghost.earlyFrees[0]) return mmu.ghost.earlyFrees[0];
      const free = (t: Translation) => (mmu.phys.free[t.frame] === 1 ? `${t.where}: reaches free frame ${t.frame}` : undefined);
      const m = each(ptes(mmu), free) ?? each(tlbEntries(mmu), free);
      if (m) return m;
      for (const f of mmu.phys.freeFrames()) if (mmu.phys.pins[f] !== 0) return `free frame ${f} is pinned ${mmu.phys.pins[f]} times`;
      return undefined;
    }),
  },
  {
    name: "wired-resident-mapped",
    ref: "§6 #15",
    description: "Every page of a wired entry is resident in the entry's own object (wiring resolved copy-on-write and zero fill) and mapped by a wired PTE, and a PTE is wired exactly when a wired entry or window covers it; a frame's pins count its wired PTEs.",
    check: withMmu((mmu, k) => {
      const ps = k.scope.pageSize;
      for (let h = 0; h < k.maps.length; h++) {
        const map = k.maps[h];
        if (!map) continue;
        const header = map.store.header;
        for (let e = header.next; e !== header; e = e.next) {
          if (e.wiredCount === 0) continue;
          // A submap window is left out: wiring through it counts on the window only and wires
          // the pages the submap maps at that moment (reference §4.10); what the submap maps
          // later (or stops mapping) was never wired, and #15 exempts submap entries likewise.
          if (e.submap !== null) continue;
          for (let va = e.start; va < e.end; va += ps) {
            const pte = mmu.pmaps.get(map)?.pte(va / ps);
            if (!pte || pte.frame < 0 || !pte.wired) return `map ${h} ${hexAddr(va)}: wired but without a wired PTE`;
            const now = currentTranslation(map, va);
            if (!now || now.object !== mmu.phys.object[pte.frame] || now.index !== mmu.phys.index[pte.frame] || !holdsLivePage(mmu, pte.frame))
              return `map ${h} ${hexAddr(va)}: wired, but its PTE's frame ${pte.frame} does not hold its page`;
            // #15: wiring resolves copy-on-write and zero fill first, so the page is the entry's own object's, not one below it.
            if (mmu.phys.object[pte.frame] !== e.object)
              return `map ${h} ${hexAddr(va)}: wired, but its page is object ${mmu.phys.object[pte.frame]?.id}'s, not the entry's own object ${e.object?.id ?? "(none)"}'s`;
          }
        }
      }
      const pins = new Map<number, number>();
      for (const t of ptes(mmu)) {
        // A PTE is wired exactly when a wired entry (or window) covers its page: a wired PTE
        // elsewhere leaves a frame pinned for good; an unwired one under a wired window lets
        // pageout take a page its wiring promised to keep.
        const wired = t.pmap!.pte(t.vpn).wired;
        const map = mapOf(mmu, t.pmap);
        const covered = map !== undefined && descend(map, t.vpn * ps)?.wired === true;
        if (wired && !covered) return `${t.where}: a wired PTE, but no wired entry covers it`;
        if (!wired && covered) return `${t.where}: under a wired entry, but its PTE is not wired`;
        if (wired) pins.set(t.frame, (pins.get(t.frame) ?? 0) + 1);
      }
      for (const f of mmu.phys.used()) if (mmu.phys.pins[f] !== (pins.get(f) ?? 0)) return `frame ${f}: ${mmu.phys.pins[f]} pins, ${pins.get(f) ?? 0} wired PTEs`;
      return undefined;
    }),
  },
  {
    name: "cpu-runs-its-map",
    ref: "vmcheck (switch: the MMU runs what the kernel scheduled)",
    description: "Each CPU's MMU state names the map the kernel has it run: its current pmap is that map's pmap, tagged with that pmap's ASID, which the CPU may cache (never switched: no pmap, ASID -1; a map whose handle is gone may run on until it is destroyed); and once a CPU runs a map the MMU is in play. Without it an MMU that stopped running maps would pass every other MMU check vacuously, user accesses taking the direct path.",
    // Not withMmu: an MMU that never comes into play is what this check is for.
    check: (k) => {
      const mmu = k.mmu;
      if (mmu === null) return undefined;
      for (const cpu of mmu.cpus) {
        const map = k.cpuRunning(cpu.id);
        if (map !== null && !mmu.engaged) return `cpu ${cpu.id} runs map ${k.cpuMap[cpu.id]}, but the MMU is not in play`;
        if (cpu.current !== null && mmu.mapOfPmap.get(cpu.current) !== cpu.currentMap) return `cpu ${cpu.id} runs asid ${cpu.current.asid}, a pmap that is not its current map's`;
        if (cpu.currentAsid !== (cpu.current?.asid ?? -1)) return `cpu ${cpu.id} tags its TLB lookups with asid ${cpu.currentAsid}, but runs ${cpu.current === null ? "no pmap (-1)" : `asid ${cpu.current.asid}`}`;
        if (cpu.current !== null && !cpu.mayCache.has(cpu.current.asid)) return `cpu ${cpu.id} runs asid ${cpu.current.asid}, which is not in its shootdown target set`;
        // A map whose handle was released may still run until it is destroyed (the CPU's reference).
        if (map === null && k.cpuMap[cpu.id] !== null) continue;
        const want = map === null ? null : (mmu.pmaps.get(map) ?? null);
        if (cpu.currentMap !== map || cpu.current !== want)
          return `cpu ${cpu.id} should run ${map === null ? "no map" : `map ${k.cpuMap[cpu.id]} (asid ${want?.asid ?? "none"})`}, but its MMU state runs ${cpu.current === null ? "no pmap" : `asid ${cpu.current.asid}`}`;
      }
      return undefined;
    },
  },
  {
    name: "pmaps-of-live-maps",
    ref: "§4.2 (vm_map_destroy: pmap_destroy)",
    description: "Every pmap belongs to a map that is still referenced: the last reference to a map destroys its pmap, so its translations, its frames' mappings and its ASID go with it.",
    check: withMmu((mmu) => {
      for (const [map, p] of mmu.pmaps) if (map.refCount === 0) return `asid ${p.asid} outlives its map, whose last reference is gone (${p.mapped.size} PTEs left)`;
      return undefined;
    }),
  },
  {
    name: "reserve-only-when-pinned",
    ref: "vmcheck (the reserve stands in for waiting for memory)",
    description: "A frame beyond the configured count is taken only when every frame is pinned: never while a frame is free, while pageout could take one, or while frames only await a shootdown's acknowledgements (an allocation waits for those).",
    check: withMmu((mmu) => mmu.ghost.needlessReserves[0]),
  },
  {
    name: "swapout-drops-translations",
    ref: "§4.2 (vm_map_swapout)",
    description: "A map swapped out by the last operation (and still out) keeps no unwired PTE: its unwired translations left its pmap (a CPU that still runs it faults them back in later operations).",
    check: withMmu((mmu, k) => {
      for (const map of mmu.ghost.swappedOut) {
        const p = mmu.pmaps.get(map);
        if (map.swState !== "out" || p === undefined) continue;
        for (const v of p.mapped) if (!p.pte(v).wired) return `map ${k.handleOf(map)} was swapped out, but its pmap still maps vpn ${hexAddr(v)} unwired`;
      }
      return undefined;
    }),
  },
  {
    name: "wire-faults-for-write",
    ref: "§4.13 (a wired fault ends with prot|WRITE), §6 #15",
    description: "Right after a successful wire, every page of the wired range in an entry (not a submap window) that is wired and writable has a writable wired PTE: the wiring fault resolved copy-on-write with write intent, so a store to wired memory does not fault. (Only then: a later protect may take WRITE away from the PTE and give it back to the entry alone.)",
    check: withMmu((mmu, k) => {
      const w = mmu.ghost.wired;
      if (w === undefined || k.handleOf(w.map) < 0) return undefined;
      const ps = k.scope.pageSize, p = mmu.pmaps.get(w.map), header = w.map.store.header;
      // Entry by entry (a wired range may span a huge submap window, which is skipped whole).
      const r = w.map.lookupEntry(w.start);
      for (let e = r.found ? r.entry : r.entry.next; e !== header && e.start < w.end; e = e.next) {
        if (e.submap !== null || e.wiredCount === 0 || (e.protection & VM_PROT_WRITE) === 0) continue;
        for (let va = Math.max(e.start, w.start); va < Math.min(e.end, w.end); va += ps) {
          const pte = p?.pte(va / ps);
          if (pte === undefined || pte.frame < 0 || !pte.wired || (pte.rights & VM_PROT_WRITE) === 0)
            return `map ${k.handleOf(w.map)} ${hexAddr(va)}: just wired, writable, but its PTE ${pte === undefined || pte.frame < 0 ? "is missing" : `has rights ${pte.rights}${pte.wired ? "" : ", unwired"}`}`;
        }
      }
      return undefined;
    }),
  },
  {
    name: "frame-accounting",
    ref: "vmcheck",
    description: "Every frame is either on the free list (once) or holds a live resident page — and not one a pageout took: at quiescence its shootdown is complete, so it is free unless its page was faulted back in meanwhile; the reverse map lists exactly the PTEs of each frame.",
    check: withMmu((mmu) => {
      const phys = mmu.phys;
      if (phys.count !== phys.configured + phys.reserveTaken) return `${phys.count} frames, ${phys.configured} configured and ${phys.reserveTaken} reserve taken`;
      const onList = new Set<number>();
      for (const f of phys.freeFrames()) {
        if (onList.has(f)) return `frame ${f} is on the free list twice`;
        if (phys.free[f] !== 1) return `frame ${f} is on the free list but marked in use`;
        onList.add(f);
      }
      const refs = new Map<number, number>();
      for (const t of ptes(mmu)) refs.set(t.frame, (refs.get(t.frame) ?? 0) + 1);
      for (let f = 0; f < phys.count; f++) {
        if (phys.free[f] === 1) {
          if (!onList.has(f)) return `frame ${f} is marked free but not on the free list`;
          continue;
        }
        if (!holdsLivePage(mmu, f)) return `frame ${f} is in use but its page is gone`;
        if (mmu.pageoutOwed.has(f)) return `frame ${f} was paged out and its shootdown is complete, yet it is neither free nor faulted back in`;
        if (phys.frameOf(phys.object[f]!, phys.index[f]!) !== f) return `frame ${f} is not the frame of the page it holds`;
        if (phys.mappings[f]!.length !== (refs.get(f) ?? 0)) return `frame ${f}: reverse map lists ${phys.mappings[f]!.length} mappings, ${refs.get(f) ?? 0} PTEs map it`;
        for (const m of phys.mappings[f]!) if (m.pmap.pte(m.vpn).frame !== f) return `frame ${f}: reverse map lists asid ${m.pmap.asid} vpn ${hexAddr(m.vpn)}, which maps another frame`;
      }
      return undefined;
    }),
  },
  {
    name: "shootdown-coverage",
    ref: "research §0 item 5",
    description: "At quiescence every PTE that lost rights or its frame is covered by a completed invalidation on every CPU that may cache it; nothing is in flight.",
    check: withMmu((mmu) => {
      const log = mmu.shootdowns;
      if (log.inFlight.length > 0) return `${log.inFlight.length} shootdowns still in flight`;
      if (log.deferredFrees.length > 0) return `frames ${log.deferredFrees.join(", ")} still wait to be freed`;
      for (const key of log.uncovered) {
        const [cpu, asid, vpn] = key.split(":").map(Number) as [number, number, number];
        return `cpu ${cpu}: the PTE of asid ${asid} vpn ${hexAddr(vpn)} changed and no completed invalidation covered it there`;
      }
      return undefined;
    }),
  },
  {
    name: "op-does-its-pmap-work",
    ref: "§4.6 step 2d, §4.7 step 4 and its quirk, §4.10",
    description: "When a successful remove, protect or unwire has done its own work — before the MMU's coherence pass could repair anything — no PTE or TLB entry of the range translates a removed page, none grants more than its entry's new protection, no PTE under an entry it unwired is wired, and no shootdown is left unacknowledged (pages of a submap window still nested aside). And the frame condition, for wire too: outside the range every PTE of the map's pmap is as it was (unless a fault replaced its page), and inside it protect takes away exactly the rights its entry no longer grants, unwire changes only wired bits, and neither enters a translation; nor does a page-list copyin not asked to PMAP_ENTER.",
    check: withMmu((_, k) => {
      const w = pmapWorkWatcher(k);
      const finding = w.finding;
      w.finding = undefined;
      return finding;
    }),
  },
  {
    name: "page-list-pmap-entered",
    ref: "§4.11.5 (PMAP_ENTER)",
    description: "After a page-list copyin or continuation with PMAP_ENTER, every page of the chunk still mapped in the source is mapped in the source pmap to its frame with the access asked, as far as a fault allows it (unless the source was swapped out since).",
    check: withMmu(pmapEntered),
  },
  {
    name: "nest-link-has-window",
    ref: "§4.16, §3.5 (un-nest on clip), §4.7 step 4",
    description: "No nesting link survives its window: each nested pmap window is an exact submap window of a live map (same range, offset 0, the submap's pmap, the window's protection as its mask), recorded by both pmaps, and one the checker's own nesting rule allows (model-check/nestable.ts: asked for, unwired, not copy-on-write, whole page-table leaves, one level deep).",
    check: withMmu(linkHasWindow),
  },
  {
    name: "nested-ptes-shared",
    ref: "§4.16, §4.13 (pmap_map)",
    description: "Through a nested window a parent walks the submap's own page-table leaves: every PTE it reads is the submap's, masked by the window's protection, and it owns none there.",
    check: withMmu(nestedPtesShared),
  },
  {
    name: "ptes-owned",
    ref: "§4.16 (pmap_unnest), vmcheck",
    description: "Outside its nested windows every present PTE a pmap's walk reaches is one it owns (in its mapped set), and every page of that set maps a frame: an un-nested window leaves no leaf of the submap behind.",
    check: withMmu(ptesOwned),
  },
  {
    name: "nesting-complete",
    ref: "§4.16, §4.22",
    description: "Every submap window (of a map with a pmap) that asks for a nested pmap and can be nested exactly is nested, onto its submap's pmap. Which windows can be is the checker's own rule (model-check/nestable.ts), never the MMU's.",
    check: withMmu(nestingComplete),
  },
  {
    name: "mmu-refines-spec",
    ref: "vmcheck (an oracle independent of impl/fault)",
    description: "Every PTE maps a page the spec maps there, within the spec's protection (never writable through a copy-on-write window), to a frame holding exactly the spec's bytes, wired exactly when the spec's page is (through a submap window that is not nested: when the window or the submap's page is); every page the spec wires has a PTE; no writable PTE shares its frame with a PTE of a page the spec says is distinct. Judged from the spec's abstract state, not the fault path's.",
    check: withMmu((_mmu, k, spec) => (spec ? mmuRefinesSpec(k, spec()) : undefined)),
  },
];
