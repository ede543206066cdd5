/**
 * The kernel's handlers for memory in transit (reference §4.11, §4.12, §4.17, §4.21): copies,
 * fork, remap and named entries. As in kernel.ts, each handler validates its arguments in the
 * contract's order (spec/vocabulary.ts) and changes nothing when it refuses, then calls the map.
 *
 * Copies are values under handles: an operation that consumes a copy (copyout, copy_overwrite,
 * copy_discard) does so only on success, after which the handle is consumed; copy_copy moves a
 * copy to a new handle and leaves an emptied copy that only copy_discard accepts.
 */
import {
  VM_INHERIT_COPY,
  VM_INHERIT_NONE,
  VM_MAP_REMOVE_INTERRUPTIBLE,
  VM_MAP_REMOVE_WAIT_FOR_KWIRE,
  VM_PROT_ALL,
  VM_PROT_WRITE,
} from "../spec/constants.ts";
import type { OpHandlers, OpOf, OpResult } from "../spec/vocabulary.ts";
import { areWords, bitsWithin, isAlignmentMask, isWord, pageRange, round, trunc } from "./args.ts";
import type { Kernel } from "./kernel.ts";
import { copyoutPageList } from "./kernel-page-lists.ts";

type Handlers = Pick<
  OpHandlers<Kernel>,
  "copyin" | "copyin_object" | "copyout" | "copy_overwrite" | "copy_discard" | "copy_copy" | "fork" | "remap" | "make_memory_entry" | "map_memory_entry" | "region_object_create"
>;

/** 2^W. */
const limit = (k: Kernel): number => 2 ** k.scope.addressBits;

/** Mask, size and fixed-mode wrap rules shared by every placing operation (as enter). */
const badPlacement = (k: Kernel, addr: number, size: number, mask: number, anywhere: boolean): boolean =>
  !isAlignmentMask(mask) || size === 0 || (!anywhere && trunc(k.scope, addr) + round(k.scope, size) > limit(k));

export const TRANSFER_HANDLERS: Handlers = {
  copyin(k, { map: handle, addr, size, srcDestroy, useMaxprot }) {
    const { scope } = k;
    const map = k.mapOf(handle);
    const range = areWords(scope, addr, size) ? pageRange(scope, addr, size) : undefined;
    if (map === null || range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    if (size === 0) return { kr: "KERN_SUCCESS", copy: null };
    if (size < scope.kernelBufferThreshold && !useMaxprot) {
      const data = map.readUser(addr, size);
      if (data === undefined) return { kr: "KERN_INVALID_ADDRESS" };
      // Its result is ignored: kernel-wired pages stay (the 2000 kernel would wait for them).
      if (srcDestroy) map.remove(range.start, range.end, VM_MAP_REMOVE_INTERRUPTIBLE | VM_MAP_REMOVE_WAIT_FOR_KWIRE);
      return { kr: "KERN_SUCCESS", copy: k.addCopy({ kind: "kernel_buffer", data }) };
    }
    const r = map.copyin(range.start, range.end, addr, size, srcDestroy, useMaxprot);
    return typeof r === "string" ? { kr: r } : { kr: "KERN_SUCCESS", copy: k.addCopy(r) };
  },

  copyin_object(k, { object: handle, offset, size }) {
    const { scope } = k;
    const object = k.objectOf(handle);
    if (object === undefined) return { kr: "KERN_INVALID_OBJECT" };
    const range = areWords(scope, offset, size) ? pageRange(scope, offset, size) : undefined;
    if (range === undefined || size === 0 || range.end > object.size) return { kr: "KERN_INVALID_ARGUMENT" };
    object.reference();
    return { kr: "KERN_SUCCESS", copy: k.addCopy({ kind: "object", object, offset, size }) };
  },

  copyout(k, { map: handle, copy: h }) {
    const map = k.mapOf(handle);
    const copy = h === null ? null : k.usableCopyOf(h);
    if (map === null || copy === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    if (copy === null || h === null) return { kr: "KERN_SUCCESS", addr: 0 };
    if (copy.kind === "page_list") return copyoutPageList(k, map, h, copy);
    const r = map.copyout(copy);
    if (r.addr === undefined) return { kr: r.kr };
    k.consumeCopy(h);
    return { kr: r.kr, addr: r.addr };
  },

  copy_overwrite(k, op) {
    const plan = overwritePlan(k, op);
    if (plan.apply === undefined) return plan.result;
    plan.prepare();
    return plan.apply();
  },

  copy_discard(k, { copy: h }) {
    if (h === null) return { kr: "KERN_SUCCESS" };
    if (k.copyOf(h) === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    k.consumeCopy(h);
    return { kr: "KERN_SUCCESS" };
  },

  copy_copy(k, { copy: h }) {
    const copy = h === null ? null : k.usableCopyOf(h);
    if (copy === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    if (copy === null || h === null) return { kr: "KERN_SUCCESS", copy: null };
    // The references move with the contents; the old handle keeps an emptied copy.
    k.copies[h] = { kind: "emptied" };
    return { kr: "KERN_SUCCESS", copy: k.addCopy(copy) };
  },

  fork(k, { map: handle }) {
    const map = k.mapOf(handle);
    if (map === null) return { kr: "KERN_INVALID_ARGUMENT" };
    return { kr: "KERN_SUCCESS", map: k.addMap(map.fork()) };
  },

  remap(k, { map: handle, addr, size, mask, anywhere, srcMap, srcAddr, copy, inheritance }) {
    const { scope } = k;
    const map = k.mapOf(handle);
    const source = k.mapOf(srcMap);
    if (map === null || source === null || !areWords(scope, addr, size, mask, srcAddr, inheritance)) return { kr: "KERN_INVALID_ARGUMENT" };
    const bytes = round(scope, size);
    const from = trunc(scope, srcAddr);
    if (inheritance > VM_INHERIT_NONE || badPlacement(k, addr, size, mask, anywhere) || from + bytes > limit(k)) return { kr: "KERN_INVALID_ARGUMENT" };
    const r = map.remap(trunc(scope, addr), bytes, mask, anywhere, source, from, copy, inheritance);
    return r.addr === undefined ? { kr: r.kr } : { kr: r.kr, addr: r.addr, cur: r.cur!, max: r.max! };
  },

  make_memory_entry(k, { map: handle, addr, size, permission }) {
    const { scope } = k;
    const map = k.mapOf(handle);
    const range = areWords(scope, addr, size, permission) ? pageRange(scope, addr, size) : undefined;
    if (map === null || range === undefined || size === 0) return { kr: "KERN_INVALID_ARGUMENT" };
    // Masked to VM_PROT_ALL as the 2000 code did (permission may exceed 2^32: no bitwise and).
    const r = map.makeMemoryEntry(range.start, range.end, permission % (VM_PROT_ALL + 1));
    if (typeof r === "string") return { kr: r };
    k.namedEntries.push(r);
    return { kr: "KERN_SUCCESS", entry: k.namedEntries.length - 1, size: r.size };
  },

  region_object_create(k, { size }) {
    if (!isWord(k.scope, size) || size === 0 || round(k.scope, size) / k.scope.pageSize > k.scope.maxObjectPages) return { kr: "KERN_INVALID_ARGUMENT" };
    const bytes = round(k.scope, size);
    const submap = k.createMap(0, bytes);
    const map = k.addMap(submap);
    submap.reference(); // the named entry's own
    k.namedEntries.push({ protection: VM_PROT_ALL, size: bytes, windows: [], submap });
    return { kr: "KERN_SUCCESS", entry: k.namedEntries.length - 1, map };
  },

  map_memory_entry(k, { map: handle, addr, size, mask, anywhere, entry: e, offset, copy, cur, max, inheritance }) {
    const { scope } = k;
    const map = k.mapOf(handle);
    const named = k.namedEntryOf(e);
    if (map === null || named === undefined || !areWords(scope, addr, size, mask, offset, cur, max, inheritance))
      return { kr: "KERN_INVALID_ARGUMENT" };
    if (!bitsWithin(cur, VM_PROT_ALL) || !bitsWithin(max, VM_PROT_ALL) || !bitsWithin(cur, max) || inheritance > VM_INHERIT_NONE)
      return { kr: "KERN_INVALID_ARGUMENT" };
    if (offset % scope.pageSize !== 0 || badPlacement(k, addr, size, mask, anywhere)) return { kr: "KERN_INVALID_ARGUMENT" };
    const sub = named.submap; // a submap is shared or omitted (#20), and must not reach its parent
    if (sub !== undefined && (inheritance === VM_INHERIT_COPY || sub.reaches(map))) return { kr: "KERN_INVALID_ARGUMENT" };
    if (!bitsWithin(cur, named.protection) || !bitsWithin(max, named.protection)) return { kr: "KERN_INVALID_RIGHT" };
    const bytes = round(scope, size);
    if (offset + bytes > named.size) return { kr: "KERN_INVALID_ARGUMENT" };
    const r = map.mapNamedEntry(trunc(scope, addr), bytes, mask, anywhere, named, offset, copy, cur, max, inheritance);
    return r.addr === undefined ? { kr: r.kr } : { kr: r.kr, addr: r.addr };
  },
};

/**
 * copy_overwrite in two halves, so a scheduler thread can check, drop the lock, and apply later
 * (impl/sched/suspendable.ts): `result` when a check fails (nothing changed), else `apply`,
 * which writes the destination and consumes the copy. Sequentially they run back to back.
 * `prepare`, optional before `apply`, is apply's fault half: the pages it will write in place
 * made writable (copy-on-write resolved, pushes done), no byte written, so that a thread can
 * wait for the shootdowns this issues before the bytes land.
 */
export type OverwritePlan =
  | { readonly result: OpResult; readonly apply?: undefined; readonly prepare?: undefined }
  | { readonly result?: undefined; readonly apply: () => OpResult; readonly prepare: () => void };

export function overwritePlan(k: Kernel, { map: handle, addr, copy: h, interruptible }: OpOf<"copy_overwrite">): OverwritePlan {
  const { scope } = k;
  const map = k.mapOf(handle);
  const copy = h === null ? null : k.usableCopyOf(h);
  if (map === null || !isWord(scope, addr) || copy === undefined || copy?.kind === "object" || copy?.kind === "page_list") return { result: { kr: "KERN_INVALID_ARGUMENT" } };
  if (copy === null || h === null) return { result: { kr: "KERN_SUCCESS" } };
  const size = copy.kind === "kernel_buffer" ? copy.data.length : copy.size;
  if (pageRange(scope, addr, size) === undefined) return { result: { kr: "KERN_INVALID_ARGUMENT" } };
  const done = (): OpResult => {
    k.consumeCopy(h);
    return { kr: "KERN_SUCCESS" };
  };
  // No copy is empty here: copyin of 0 bytes gives the null copy (handled above).
  if (copy.kind === "kernel_buffer") {
    if (!map.accessible(addr, copy.data.length, VM_PROT_WRITE)) return { result: { kr: "KERN_INVALID_ADDRESS" } };
    const pages = pageRange(scope, addr, copy.data.length)!; // checked above
    return {
      prepare: () => {
        map.lockWrite(); // the write may create or shadow objects
        map.privatizeForWrite(pages.start, pages.end);
        map.makeWritable(pages.start, pages.end);
      },
      apply: () => {
        map.lockWrite();
        map.writeBytes(addr, copy.data);
        return done();
      },
    };
  }
  const failure = map.overwriteFailure(addr, copy, interruptible);
  if (failure !== undefined) return { result: { kr: failure } };
  return { prepare: () => map.overwritePrepare(addr, copy), apply: () => (map.overwriteApply(addr, copy), done()) };
}
