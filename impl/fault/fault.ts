/**
 * The fault path (reference §4.13 `vm_map_lookup_locked`, then the page half of vm_fault):
 * what a page access through a map resolves to — which resident page of which object, and the
 * rights the translation may be entered with.
 *
 * 1. The entry holding the address (none: the access fails).
 * 2. The protection check: the access must be within the entry's protection.
 * 3. A write (or a wired entry that may be written): copy-on-write is resolved first — a
 *    `needs_copy` entry gets its shadow, the old contents are pushed into a delayed copy object,
 *    a page found below is copied up — all through {@link VmMap.writablePage}, the one way bytes
 *    change. A read: the first object of the chain holding the page; a page no object holds is
 *    zero-filled in the entry's own object (created first if the entry has none).
 * 4. The rights ({@link allowedRights}): the entry's protection, without WRITE unless the page
 *    may be written in place right now — the entry does not need a copy, the page is the entry's
 *    own object's (not one below it), it is not the shared zero page, no copy object still
 *    waits for its old contents, and no page list holds it busy (the write must fault, so that
 *    the list keeps the old physical page and the object continues with a copy). So
 *    copy-on-write pages and pages lent to a page list are mapped read-only and a write faults.
 *
 * {@link currentTranslation} is the same answer without any side effect: the MMU uses it to
 * re-derive the PTEs an operation may have made stale.
 */
import { VM_PROT_READ, VM_PROT_WRITE } from "../../spec/constants.ts";
import type { VmMap } from "../map/vm-map.ts";
import type { VmMapEntry } from "../map/entry.ts";
import { zeroPage, type VmObject } from "../object/vm-object.ts";

/** A resident page and the rights a translation to it may have. */
export interface ResolvedPage {
  readonly object: VmObject;
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly rights: number;
  readonly wired: boolean;
}

/** The first object of `o`'s chain holding page `index`, with the page's index in it. */
export function locatePage(o: VmObject, index: number): { object: VmObject; index: number; bytes: Uint8Array } | undefined {
  let x: VmObject | null = o;
  let i = index;
  while (x !== null) {
    const bytes = x.pages.get(i);
    if (bytes !== undefined) return { object: x, index: i, bytes };
    i += x.shadowOffset / x.pageSize;
    x = x.shadow;
  }
  return undefined;
}

/** `o` has a delayed copy object that has not received page `index` yet: writing it now would lose the copy's view. */
export function pushPending(o: VmObject, index: number): boolean {
  const c = o.copy;
  return c !== null && index < c.size / o.pageSize && !c.pages.has(index);
}

/**
 * Where page `va` of `map` holds its memory: the entry covering it, or for a submap window the
 * submap's entry at the translated address, level by level (reference §4.13's descent), with the
 * protection met on the way (the AND of every level's, §8 #19 intended), whether any level
 * is wired, and whether a copy-on-write submap entry lies on the way (`cow`: the memory may be
 * read through it, never written). Undefined when nothing maps it.
 */
export interface Held {
  readonly map: VmMap;
  readonly entry: VmMapEntry;
  readonly va: number;
  readonly prot: number;
  readonly wired: boolean;
  readonly cow: boolean;
}
export function descend(map: VmMap, va: number): Held | undefined {
  const r = map.lookupEntry(va);
  if (!r.found) return undefined;
  const top = r.entry;
  if (top.submap === null) return { map, entry: top, va, prot: top.protection, wired: top.wiredCount > 0, cow: false };
  const held = map.reachPage(top, va);
  if (held === undefined) return undefined;
  return { map: held.owner as VmMap, entry: held.entry, va: held.addr, prot: held.prot, wired: top.wiredCount > 0 || held.entry.wiredCount > 0, cow: held.cow };
}

/**
 * Rights a translation of entry `e` (reached with protection `prot`, through a copy-on-write
 * submap entry when `cow`) to `page` (page `index` of `object`) may carry.
 */
export function allowedRights(e: VmMapEntry, object: VmObject, index: number, bytes: Uint8Array, prot = e.protection, cow = false): number {
  const r = prot;
  if ((r & VM_PROT_WRITE) === 0) return r;
  const inPlace = !cow && !e.needsCopy && object === e.object && bytes !== zeroPage(object.pageSize) && !pushPending(object, index) && !object.busy.has(index);
  return inPlace ? r : r & ~VM_PROT_WRITE;
}

/** What the page at `va` (page-aligned) of `map` translates to now, or undefined (no entry, no page). No side effect. */
export function currentTranslation(top: VmMap, topVa: number): ResolvedPage | undefined {
  const held = descend(top, topVa);
  if (held === undefined || held.entry.object === null) return undefined;
  const { map, entry: e, va } = held;
  const page = locatePage(e.object!, map.pageIndex(e, va));
  if (page === undefined) return undefined;
  return { ...page, rights: allowedRights(e, page.object, page.index, page.bytes, held.prot, held.cow), wired: held.wired };
}

/** Rights PMAP_ENTER gives `page` for the page-list `access` (at least READ), within what a fault allows. */
export const pmapEnterRights = (page: ResolvedPage, access: number): number => page.rights & (access | VM_PROT_READ);

/**
 * Resolve a fault at `va` (page-aligned) for `access`; undefined when the access is not allowed
 * (unmapped, or beyond the entry's protection). Changes the map only in ways the spec cannot
 * see: objects created, copy-on-write resolved, pages made resident.
 */
export function resolveFault(outer: VmMap, outerVa: number, access: number): ResolvedPage | undefined {
  let held = descend(outer, outerVa);
  if (held === undefined || (access & ~held.prot) !== 0) return undefined;
  if ((access & VM_PROT_WRITE) !== 0 && held.cow) {
    // A write through a copy-on-write submap: the page is promoted to a private copy first (§4.13 step 2).
    outer.promoteOnTheWay(outer.lookupEntry(outerVa).entry, outerVa);
    held = descend(outer, outerVa)!;
  }
  const { map, entry: e, va, prot, wired, cow } = held;
  const index = () => map.pageIndex(e, va);
  // A wired window's read through a copy-on-write submap stays a read: only a write promotes.
  if ((access & VM_PROT_WRITE) !== 0 || (wired && !cow && (prot & VM_PROT_WRITE) !== 0)) {
    // The lock upgrade of lookup_locked: creating or shadowing the object is a map change.
    if (map.writeNeedsUpgrade(e)) map.lockWrite();
    const bytes = map.writablePage(e, va);
    const object = e.object!;
    return { object, index: index(), bytes, rights: allowedRights(e, object, index(), bytes, prot), wired };
  }
  if (e.object === null) map.lockWrite();
  const top = map.ensureObject(e);
  let page = locatePage(top, index());
  if (page === undefined || (wired && page.object !== top)) {
    // Zero fill (or, for a wired entry, the copy-up its wiring fault made) in the entry's object.
    map.layer.makeResident(top, index());
    page = locatePage(top, index())!;
  }
  return { ...page, rights: allowedRights(e, page.object, page.index, page.bytes, prot, cow), wired };
}
