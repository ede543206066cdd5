/**
 * Lock classes and the fixed ordering rules the lock-order validator (lockdep.ts) enforces.
 *
 * A class groups every lock instance that plays the same role (all map locks, all object
 * locks, …), as Linux lockdep does: an order learned from one instance is assumed for all of
 * them, which is what lets one single-threaded run prove that a deadlock is possible.
 *
 * The fixed rules come from reference §2.4 and §6.8 #35. Where the reference says nothing about
 * a class (pmap, named entry, shared region) the class gets no rank and no sleep restriction:
 * its order is only learned from the runs, and a cycle through it is still reported.
 */

/** What a thread may be blocked on. Each class says which of these it may be held across. */
export type SleepKind =
  /** `vm_map_entry_wait`: blocked on an in_transition entry of some map (reference §2.3). */
  | "entry_wait"
  /** A page fault, which may page in and block. */
  | "fault"
  /** Pager I/O. */
  | "pager_io";

export const SLEEP_KINDS: readonly SleepKind[] = ["entry_wait", "fault", "pager_io"];

export type LockClassName =
  | "map"
  | "s_lock"
  | "object"
  | "object_cache"
  | "page_queues"
  | "pmap"
  | "named_entry"
  | "shared_region";

export interface LockClass {
  readonly name: LockClassName;
  /**
   * Position in the fixed class order (lower first): holding a class of rank r and then taking
   * one of rank < r is an immediate violation. Absent when the reference gives no order.
   */
  readonly rank?: number;
  /** A leaf may be held only by itself: nothing else is acquired while it is held. */
  readonly leaf: boolean;
  /** Sleeps this class must never be held across. */
  readonly forbidsSleep: readonly SleepKind[];
  /** Why the class has these properties (shown in reports). */
  readonly why: string;
}

/** Simple locks spin: a thread holding one must not block at all. */
const NO_SLEEP: readonly SleepKind[] = SLEEP_KINDS;

export const LOCK_CLASSES: Readonly<Record<LockClassName, LockClass>> = {
  map: {
    name: "map", rank: 0, leaf: false, forbidsSleep: ["fault", "pager_io"],
    why: "map before object before page queues (§2.4); a map lock is never held across a fault or pager I/O (§2.4); entry_wait releases the waited map itself",
  },
  object: {
    name: "object", rank: 1, leaf: false, forbidsSleep: NO_SLEEP,
    why: "below maps, above page queues (§2.4); never sleep on an entry while holding an object lock (#35)",
  },
  page_queues: {
    name: "page_queues", rank: 2, leaf: false, forbidsSleep: NO_SLEEP,
    why: "below object locks (§2.4)",
  },
  s_lock: {
    name: "s_lock", leaf: true, forbidsSleep: NO_SLEEP,
    why: "a leaf below the map lock: code holding it drops it before taking the map lock (§2.2, #35)",
  },
  object_cache: {
    name: "object_cache", leaf: false, forbidsSleep: NO_SLEEP,
    why: "only try-locked under object locks (§2.4); a blocking acquisition under them is learned as an edge",
  },
  pmap: { name: "pmap", leaf: false, forbidsSleep: [], why: "no order in the reference; learned" },
  named_entry: { name: "named_entry", leaf: false, forbidsSleep: [], why: "no order in the reference; learned" },
  shared_region: { name: "shared_region", leaf: false, forbidsSleep: [], why: "no order in the reference; learned" },
};

/** Dense ids so the class-order graph can be adjacency sets of small integers. */
export const CLASS_NAMES: readonly LockClassName[] = Object.keys(LOCK_CLASSES) as LockClassName[];
export const classId = (name: LockClassName): number => CLASS_NAMES.indexOf(name);

/**
 * One lock: its class and an identity within the class. `id` is the map or object handle; it
 * also orders unrelated maps (the header's "increasing address" rule, #35: handles stand in
 * for addresses in the model).
 */
export interface LockInstance {
  readonly cls: LockClassName;
  readonly id: number;
}

export const lockKey = (lock: LockInstance): string => `${lock.cls}:${lock.id}`;
export const describeLock = (lock: LockInstance): string => `${lock.cls} ${lock.id}`;

/**
 * The kernel's current shape, asked at acquisition time for the rules between two locks of the
 * same class. A live view (not a snapshot), because submaps and shadow chains change in a run.
 */
export interface LockTopology {
  /** True if map `sub` is reachable as a submap (at any depth) from map `parent`. */
  isSubmapOf(sub: number, parent: number): boolean;
  /** True if object `lower` is on the shadow chain below object `upper`. */
  isShadowBelow(lower: number, upper: number): boolean;
}

/** No relations: every pair of maps or objects is unrelated. */
export const FLAT_TOPOLOGY: LockTopology = { isSubmapOf: () => false, isShadowBelow: () => false };

/** The fixed rules, named as reports name them. */
export type OrderRule =
  /** A class taken while a class of higher rank is held (map after object, …). */
  | "class-order"
  /** Something taken while a leaf (s_lock) is held. */
  | "leaf"
  /** A parent map taken while one of its submaps is held. */
  | "submap-before-parent"
  /** Two unrelated maps taken in decreasing handle order. */
  | "maps-out-of-order"
  /** An object taken while an object below it on its shadow chain is held (needs a try-lock). */
  | "shadow-bottom-up"
  /**
   * Two unrelated objects taken in decreasing handle order. The reference gives no rule for
   * unrelated objects; we apply the header's map rule to them, so any two threads agree.
   */
  | "objects-out-of-order"
  /** A lock taken again by the thread that holds it: it would wait for itself. */
  | "recursive";

/**
 * Which fixed rule (if any) taking `wanted` breaks while `held` is held by the same thread.
 * Try-locks never wait, so they are exempt from everything except the leaf and recursion rules.
 */
export function brokenRule(held: LockInstance, wanted: LockInstance, isTry: boolean, topology: LockTopology): OrderRule | null {
  if (held.cls === wanted.cls && held.id === wanted.id) return "recursive";
  const h = LOCK_CLASSES[held.cls];
  if (h.leaf) return "leaf";
  if (isTry) return null;
  const w = LOCK_CLASSES[wanted.cls];
  if (h.rank !== undefined && w.rank !== undefined && w.rank < h.rank) return "class-order";
  if (held.cls !== wanted.cls) return null;
  if (held.cls === "map") {
    if (topology.isSubmapOf(wanted.id, held.id)) return null;
    if (topology.isSubmapOf(held.id, wanted.id)) return "submap-before-parent";
    return wanted.id < held.id ? "maps-out-of-order" : null;
  }
  if (held.cls === "object") {
    if (topology.isShadowBelow(wanted.id, held.id)) return null;
    if (topology.isShadowBelow(held.id, wanted.id)) return "shadow-bottom-up";
    return wanted.id < held.id ? "objects-out-of-order" : null;
  }
  return null;
}
