/**
 * Self-checks of the object layer (reference §6.6 #22–#26, §6.2 #8): each returns a sentence
 * naming the first violated property, or undefined. They walk everything; tests and the model
 * checker use them, operations never do.
 *
 * - Reference counts are exact: every object's `refCount` equals its holders — map entries,
 *   copy entries, object copies, pages page lists hold busy, named-entry windows, objects shadowing it, and the kernel's own
 *   reference on a shared memory object ({@link objectHolders}).
 * - Nothing leaks: every live object has a holder, and nothing held is dead.
 * - Shadow chains are acyclic; `S.copy == C ⇒ C.shadow == S ∧ C.shadowOffset == 0`, and an object
 *   with a copy object is DELAY.
 * - Entries shared by fork or remap (`isShared`) map non-SYMMETRIC objects.
 * - Entry-list copies: entries contiguous over `[trunc(offset), round(offset + size))`, unwired,
 *   not shared, not in transition.
 */
import type { MapCopy, NamedEntry } from "../copy/map-copy.ts";
import type { VmMap } from "../map/vm-map.ts";
import { mapEntries, reachableMaps } from "../map/map-check.ts";
import type { ObjectLayer } from "./object-layer.ts";
import type { VmObject } from "./vm-object.ts";

/** Everything that holds objects (the Kernel). */
export interface ObjectWorld {
  readonly maps: readonly (VmMap | null)[];
  /** Shared memory objects: the kernel holds one reference on each. */
  readonly objects: readonly VmObject[];
  readonly copies: readonly (MapCopy | null)[];
  readonly namedEntries: readonly NamedEntry[];
  readonly objectLayer: ObjectLayer;
  /** Every live map, also those held only by a region or a named entry (default: the handles' and their submaps). */
  liveMaps?(): readonly VmMap[];
}

/** The maps whose entries hold objects. */
export const liveMapsOf = (w: ObjectWorld): readonly VmMap[] => (w.liveMaps ? w.liveMaps() : reachableMaps(w.maps));

/** The number of holders of every held object: what its reference count must be. */
export function objectHolders(w: ObjectWorld): Map<VmObject, number> {
  const holders = new Map<VmObject, number>();
  const hold = (o: VmObject | null): void => {
    if (o !== null) holders.set(o, (holders.get(o) ?? 0) + 1);
  };
  w.objects.forEach(hold);
  for (const map of liveMapsOf(w)) for (const e of mapEntries(map)) hold(e.object);
  for (const c of w.copies) {
    if (c?.kind === "entry_list") c.entries.forEach((e) => hold(e.object));
    else if (c?.kind === "object") hold(c.object);
    else if (c?.kind === "page_list") c.pages.forEach((p) => hold(p.object));
  }
  for (const n of w.namedEntries) for (const win of n.windows) hold(win.object);
  // Shadow links: each held object holds its shadow, transitively (a chain may be long).
  const visited = new Set<VmObject>();
  const stack = [...holders.keys()];
  while (stack.length > 0) {
    const o = stack.pop()!;
    if (visited.has(o)) continue;
    visited.add(o);
    if (o.shadow !== null) {
      hold(o.shadow);
      stack.push(o.shadow);
    }
  }
  return holders;
}

export function checkObjects(w: ObjectWorld): string | undefined {
  const holders = objectHolders(w);
  const live = w.objectLayer.live;
  for (const [o, n] of holders) {
    if (!o.alive || !live.has(o)) return `object ${o.id} is held ${n} times but was terminated`;
    if (o.refCount !== n) return `object ${o.id}: refCount ${o.refCount}, held ${n} times`;
  }
  for (const o of live) {
    if (!holders.has(o)) return `object ${o.id} leaks: live with refCount ${o.refCount} but held by nothing`;
    let steps = 0;
    for (let x: VmObject | null = o.shadow; x !== null; x = x.shadow)
      if (x === o || ++steps > live.size) return `object ${o.id}: its shadow chain has a cycle`;
    if (o.shadowOffset < 0 || o.shadowOffset % o.pageSize !== 0) return `object ${o.id}: shadow offset ${o.shadowOffset} not page-aligned`;
    const c = o.copy;
    if (c !== null) {
      if (!live.has(c)) return `object ${o.id}: its copy object ${c.id} is dead`;
      if (c.shadow !== o || c.shadowOffset !== 0) return `object ${o.id}: copy object ${c.id} does not shadow it at offset 0`;
      if (o.strategy !== "delay") return `object ${o.id} has copy object ${c.id} but strategy ${o.strategy}`;
    }
  }
  for (let h = 0; h < w.maps.length; h++) {
    const map = w.maps[h];
    if (!map) continue;
    for (const e of mapEntries(map))
      if (e.isShared && e.object !== null && e.object.strategy === "symmetric")
        return `map ${h} entry at 0x${e.start.toString(16)} is shared but its object ${e.object.id} is SYMMETRIC`;
  }
  for (let h = 0; h < w.copies.length; h++) {
    const c = w.copies[h];
    if (c?.kind !== "entry_list") continue;
    const ps = w.objectLayer.pageSize;
    let pos = c.offset - (c.offset % ps);
    const end = Math.ceil((c.offset + c.size) / ps) * ps;
    for (const e of c.entries) {
      if (e.start !== pos) return `copy ${h}: entries not contiguous at 0x${pos.toString(16)}`;
      if (e.wiredCount !== 0 || e.userWiredCount !== 0 || e.inTransition || e.isShared) return `copy ${h}: entry at 0x${e.start.toString(16)} is wired, shared or in transition`;
      if (e.object !== null && e.offset + (e.end - e.start) > e.object.size) return `copy ${h}: entry at 0x${e.start.toString(16)} passes its object's end`;
      pos = e.end;
    }
    if (pos !== end) return `copy ${h}: entries end at 0x${pos.toString(16)}, not 0x${end.toString(16)}`;
  }
  return undefined;
}

/** Counts for tests and benchmarks (a measurement, like the checks above; no operation reads it). */
export interface ObjectStats {
  readonly objects: number;
  readonly residentPages: number;
  /** Objects in the longest shadow chain (1 = no shadow). */
  readonly longestChain: number;
}

/** The live objects of `layer`, their resident pages and the longest shadow chain. */
export function objectStats(layer: ObjectLayer): ObjectStats {
  let residentPages = 0;
  let longestChain = 0;
  for (const o of layer.live) {
    residentPages += o.pages.size;
    longestChain = Math.max(longestChain, layer.chainLength(o));
  }
  return { objects: layer.live.size, residentPages, longestChain };
}

/**
 * Why `collapse(o)` should not have stopped where it did, or undefined: the post-condition of
 * collapse (reference §5.7), judged afresh from the pages rather than by the layer's own
 * tests. When it returns, `o` shadows nothing, or its backing object `b` must stay: `b` is its
 * original's copy object (it receives pushes), or `b` is held by others (or is not internal)
 * and `o` lacks a page of `b` that it can see. And `o` never keeps a shadow it cannot read
 * through: it does not hold every page of its own window (unless `o` receives pushes from `b`).
 */
export function collapseObstacle(o: VmObject, pageSize: number): string | undefined {
  const b = o.shadow;
  if (b === null || !o.alive) return undefined;
  const n = o.size / pageSize;
  const off = o.shadowOffset / pageSize;
  let holdsWindow = true;
  for (let i = 0; i < n && holdsWindow; i++) holdsWindow = o.pages.has(i);
  if (holdsWindow && b.copy !== o) return `object ${o.id} holds every page of its window but still shadows object ${b.id}`;
  if (b.shadow !== null && b.shadow.copy === b) return undefined;
  if (b.refCount === 1 && b.kind === "anonymous") return `object ${o.id} is the only holder of internal object ${b.id} but did not absorb it`;
  if (b.copy === o) return undefined;
  for (const j of b.pages.keys()) if (j >= off && j < off + n && !o.pages.has(j - off)) return undefined;
  return `object ${o.id} shadows every page of object ${b.id} that it can see but did not bypass it`;
}
