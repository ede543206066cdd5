/**
 * Self-checks of a map and of a whole kernel (like the kernel's debug-only `first_free_is_valid`):
 * each returns a sentence naming the first violated property, or undefined. They walk everything
 * (O(n)); tests and debugging use them, operations never do.
 *
 * Properties (reference §6): the header holds the bounds; the entry store is consistent (list, tree, gap annotations); entries
 * are page-aligned, ordered and inside the bounds; `size` is the sum of the entry sizes; `hint` is
 * the header or a live entry; `firstFree` is the last entry of the gap-free run from `min` (or the
 * header); `protection ⊆ maxProtection`; wire counters within MAX_WIRE_COUNT with
 * `userWiredCount > 0 ⇒ wiredCount ≥ 1`; **wired ⇒ object present and every page resident**; an
 * entry's window lies inside its object; wired ⇒ no pending copy-on-write; nothing is left in
 * transition. For a kernel, also the object layer's checks (object-check.ts): exact reference
 * counts over every holder, no leak, sound shadow chains and copy objects.
 */
import { checkObjects, liveMapsOf, type ObjectWorld } from "../object/object-check.ts";
import type { VmMapEntry } from "./entry.ts";
import type { VmMap } from "./vm-map.ts";

const hex = (x: number): string => "0x" + x.toString(16);
const name = (e: VmMapEntry): string => `[${hex(e.start)}, ${hex(e.end)})`;

export function checkMap(map: VmMap): string | undefined {
  const storeProblem = map.store.validate();
  if (storeProblem !== undefined) return `store: ${storeProblem}`;
  const header = map.store.header;
  if (header.start !== map.min || header.end !== map.max)
    return `header [${hex(header.start)}, ${hex(header.end)}) differs from the bounds [${hex(map.min)}, ${hex(map.max)})`;
  const ps = map.pageSize;
  const maxWire = map.host.scope.maxWireCount;
  let size = 0;
  let hintLive = map.hint === header;
  let firstFree = header;
  let reach = map.min;
  let contiguous = true;
  for (let e = header.next; e !== header; e = e.next) {
    const where = `entry ${name(e)}`;
    if (e.start % ps !== 0 || e.end % ps !== 0) return `${where} is not page-aligned`;
    if (e.start < map.min || e.end > map.max) return `${where} lies outside [${hex(map.min)}, ${hex(map.max)})`;
    size += e.end - e.start;
    if (e === map.hint) hintLive = true;
    if (contiguous && e.start === reach) {
      firstFree = e;
      reach = e.end;
    } else contiguous = false;
    if ((e.protection & ~e.maxProtection) !== 0) return `${where}: protection ${e.protection} ⊄ max ${e.maxProtection}`;
    if (e.inTransition || e.needsWakeup) return `${where} is left in transition`;
    const ok = (x: number) => Number.isInteger(x) && x >= 0 && x <= maxWire;
    if (!ok(e.wiredCount) || !ok(e.userWiredCount)) return `${where}: wire counts ${e.wiredCount}/${e.userWiredCount} out of range`;
    if (e.userWiredCount > 0 && e.wiredCount < 1) return `${where}: user-wired but wiredCount ${e.wiredCount}`;
    const o = e.object;
    if (o !== null) {
      if (o.refCount < 1) return `${where} maps dead object ${o.id}`;
      if (e.offset % ps !== 0 || e.offset < 0 || e.offset + (e.end - e.start) > o.size)
        return `${where}: window at ${hex(e.offset)} does not fit object ${o.id} of size ${hex(o.size)}`;
    }
    if (e.wiredCount > 0 && e.submap === null) {
      if (o === null) return `${where} is wired without an object`;
      if (e.needsCopy) return `${where} is wired with a pending copy-on-write`;
      for (let a = e.start; a < e.end; a += ps)
        if (!o.pages.has((e.offset + (a - e.start)) / ps)) return `${where} is wired but page ${hex(a)} is not resident`;
    }
  }
  if (size !== map.size) return `size is ${hex(map.size)}, entries sum to ${hex(size)}`;
  if (!hintLive) return `hint ${name(map.hint)} is not a live entry`;
  if (map.firstFree !== firstFree)
    return `firstFree is ${map.firstFree === header ? "the header" : name(map.firstFree)}, should be ${firstFree === header ? "the header" : name(firstFree)}`;
  return undefined;
}

/** Maps, shared memory objects, copies, named entries and the object layer (the Kernel). */
/** Entries of a map in list order, header excluded; stops after nentries + 1, so a broken list cannot loop a check. */
export function* mapEntries(map: VmMap): Generator<VmMapEntry> {
  const header = map.store.header;
  let e = header.next;
  for (let i = 0; e !== header && i <= map.store.nentries; i++, e = e.next) yield e;
}

export type MapWorld = ObjectWorld;

export function checkKernel(kernel: MapWorld): string | undefined {
  for (const [i, map] of liveMapsOf(kernel).entries()) {
    const h = kernel.maps.indexOf(map);
    const name = h >= 0 ? `map ${h}` : `submap #${i}`;
    if (map.refCount < 1) return `${name}: live with refCount ${map.refCount}`;
    const problem = checkMap(map);
    if (problem !== undefined) return `${name}: ${problem}`;
  }
  return checkObjects(kernel);
}

/**
 * The maps `maps` hold, and every map reachable from them through submap entries, each once, in
 * that order (an unnamed submap lives on as long as a parent maps it; reference §6.9 #38).
 */
export function reachableMaps(maps: readonly (VmMap | null)[]): VmMap[] {
  const seen = new Set<VmMap>();
  const visit = (m: VmMap): void => {
    if (seen.has(m)) return;
    seen.add(m);
    const header = m.store.header;
    let e = header.next;
    for (let i = 0; e !== header && i <= m.store.nentries; i++, e = e.next) if (e.submap !== null) visit(e.submap);
  };
  for (const m of maps) if (m) visit(m);
  return [...seen];
}
