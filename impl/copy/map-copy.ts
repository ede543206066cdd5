/**
 * Map copies (`struct vm_map_copy`, reference §1.5, §4.11) and named entries (`struct
 * vm_named_entry`, §1.6, §4.21): memory in transit between maps, and the right to map a window
 * of memory. Both hold object references; the kernel keeps them under handles.
 *
 * - Entry list: detached entries (copy entries) covering `[trunc(offset), round(offset + size))`
 *   of the source address space, each holding one object reference (or none for zero-fill) and
 *   usually `needsCopy` — the copy is deferred, yet behaves as if every byte had been copied.
 * - Kernel buffer: the bytes themselves (small copies).
 * - Object: one reference on a shared memory object and the window `[trunc(offset),
 *   round(offset + size))` of it; copying it out maps the object itself.
 * - Page list: at most `pageListMax` physical pages, held busy in their objects or loose, and
 *   maybe a continuation (page-list.ts).
 * - Emptied: what copy_copy leaves behind; only discard accepts it.
 */
import type { VmMap } from "../map/vm-map.ts";
import type { VmMapEntry } from "../map/entry.ts";
import type { VmObject } from "../object/vm-object.ts";
import type { PageListCopy } from "./page-list.ts";

export interface EntryListCopy {
  readonly kind: "entry_list";
  /** The unrounded source address. */
  readonly offset: number;
  /** The unrounded byte size. */
  readonly size: number;
  /** Copy entries, ascending and contiguous from `trunc(offset)`; emptied when copied out. */
  entries: VmMapEntry[];
}

export interface KernelBufferCopy {
  readonly kind: "kernel_buffer";
  readonly data: Uint8Array;
}

export interface ObjectCopy {
  readonly kind: "object";
  /** Holds one reference. */
  readonly object: VmObject;
  /** The unrounded object offset. */
  readonly offset: number;
  readonly size: number;
}

export interface EmptiedCopy {
  readonly kind: "emptied";
}

export type MapCopy = EntryListCopy | KernelBufferCopy | ObjectCopy | PageListCopy | EmptiedCopy;
/** A copy an operation other than discard accepts. */
export type UsableCopy = Exclude<MapCopy, EmptiedCopy>;

/** A window of an object held by a named entry (one reference). */
export interface ObjectWindow {
  readonly object: VmObject;
  /** Byte offset in the object (page-aligned). */
  readonly offset: number;
  /** Bytes (page multiple). */
  readonly size: number;
}

/**
 * A named entry: the right to map its windows, in order, with at most `protection`. A range made
 * into a named entry may span several map entries, so the entry holds one window per piece.
 */
export interface NamedEntry {
  readonly protection: number;
  /** Bytes (page multiple): the sum of the windows' sizes, or the submap's size. */
  readonly size: number;
  readonly windows: readonly ObjectWindow[];
  /** `is_sub_map` (vm_region_object_create): the entry names this whole map (no windows); it holds a map reference. */
  readonly submap?: VmMap;
}

/**
 * `vm_map_copy_discard`: drop every object reference the copy holds. A page list's pages and
 * continuation need the kernel (a continuation may destroy a map): see discardPageList.
 */
export function releaseCopy(copy: MapCopy): void {
  switch (copy.kind) {
    case "entry_list":
      for (const e of copy.entries) {
        const o = e.object;
        e.object = null;
        o?.release();
      }
      copy.entries = [];
      return;
    case "object":
      copy.object.release();
      return;
    case "kernel_buffer":
    case "page_list":
    case "emptied":
      return;
  }
}

/** The copy entry holding source address `a` (the entries cover it). */
export function copyEntryAt(copy: EntryListCopy, a: number): VmMapEntry {
  const entries = copy.entries;
  let lo = 0;
  let hi = entries.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (entries[mid]!.start <= a) lo = mid;
    else hi = mid - 1;
  }
  return entries[lo]!;
}
