/**
 * A map entry (`struct vm_map_entry`, reference §1.2) and the map header sentinel.
 *
 * Entries are threaded on a circular doubly linked list through the header, as in the 2000
 * kernel (O(1) neighbours; invariant #1), and are at the same time indexed by a B+tree keyed by
 * `start` whose nodes carry the largest free gap below them, so that lookup and first-fit search
 * are O(log n). Both structures are maintained only by `BTreeEntryStore` (btree-store.ts);
 * everything else reads `prev`/`next` and calls the store.
 */
import type { VmObject } from "../object/vm-object.ts";
import type { VmMap } from "./vm-map.ts";

export interface VmMapEntry {
  /** List links. The header's `next` is the first entry, its `prev` the last. */
  prev: VmMapEntry;
  next: VmMapEntry;
  /** Page-aligned range [start, end). For the header: start = min_offset, end = max_offset. */
  start: number;
  end: number;
  /** The VM object (null = zero-fill, object not created yet). */
  object: VmObject | null;
  /** Byte offset into the object (or the submap's address space) corresponding to `start`. */
  offset: number;
  /** `is_sub_map`: the map this entry is a window onto (its object is then null). Holds one map reference. */
  submap: VmMap | null;
  /** `use_pmap`: the submap's physical map is nested into this map's (recorded for the MMU). */
  usePmap: boolean;
  isShared: boolean;
  inTransition: boolean;
  needsWakeup: boolean;
  needsCopy: boolean;
  protection: number;
  maxProtection: number;
  inheritance: number;
  behavior: number;
  alias: number;
  wiredCount: number;
  userWiredCount: number;
}

/** Attributes a new entry is created with (everything but links, tree fields and range). */
export interface EntryAttributes {
  object: VmObject | null;
  offset: number;
  /** A submap entry's map (absent: none); the caller's map reference becomes the entry's. */
  submap?: VmMap | null;
  usePmap?: boolean;
  isShared: boolean;
  needsCopy: boolean;
  protection: number;
  maxProtection: number;
  inheritance: number;
  behavior: number;
  alias: number;
  wiredCount: number;
  userWiredCount: number;
}

/** A detached entry with the given range and attributes, not in transition, no wakeup owed. */
export function newEntry(start: number, end: number, a: EntryAttributes): VmMapEntry {
  // Every field is declared in one literal, so V8 gives all entries one compact shape.
  const e: VmMapEntry = {
    start,
    end,
    prev: null as unknown as VmMapEntry,
    next: null as unknown as VmMapEntry,
    object: a.object,
    offset: a.offset,
    submap: a.submap ?? null,
    usePmap: a.usePmap ?? false,
    isShared: a.isShared,
    inTransition: false,
    needsWakeup: false,
    needsCopy: a.needsCopy,
    protection: a.protection,
    maxProtection: a.maxProtection,
    inheritance: a.inheritance,
    behavior: a.behavior,
    alias: a.alias,
    wiredCount: a.wiredCount,
    userWiredCount: a.userWiredCount,
  };
  e.prev = e;
  e.next = e;
  return e;
}

/** The header sentinel of a map over [min, max): an entry-shaped node linked to itself. */
export function newHeader(min: number, max: number): VmMapEntry {
  return newEntry(min, max, {
    object: null, offset: 0, isShared: false, needsCopy: false, protection: 0, maxProtection: 0,
    inheritance: 0, behavior: 0, alias: 0, wiredCount: 0, userWiredCount: 0,
  });
}
