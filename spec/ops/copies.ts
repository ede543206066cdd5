/**
 * Copies (vm_map_copy): copyin, copyin_object, copyout, copy_overwrite, copy_discard, copy_copy.
 * The full rules, in the order they are checked, are the TSDoc of spec/vocabulary.ts; in short:
 *
 * - copyin snapshots a readable range: a kernel buffer of exactly the bytes (small copies) or an
 *   entry list of its whole pages, each in a fresh cell with its attributes; srcDestroy then
 *   removes the source (a failing removal is ignored). An object copy aliases an object window.
 * - copyout maps the copy at the first fit: an entry list or object copy brings its own cells, a
 *   kernel buffer writes its bytes at the start of fresh zero pages. copy_overwrite writes the
 *   exact bytes into the existing cells at an address. Both consume the copy on success only.
 * - Page lists (copyout, discard) are handled in page-lists.ts.
 * - copy_discard consumes a copy; copy_copy moves it to a new handle, leaving an emptied copy
 *   that only copy_discard accepts.
 */
import { VM_MAP_REMOVE_INTERRUPTIBLE, VM_MAP_REMOVE_WAIT_FOR_KWIRE, VM_PROT_READ, VM_PROT_WRITE } from "../constants.ts";
import type { KernReturn } from "../constants.ts";
import { roundPage } from "../scope.ts";
import type { OpHandlers, OpOf } from "../vocabulary.ts";
import { areNumbers, firstFailure, firstFit, pagesOf, widen } from "../args.ts";
import { copyOf, cowOnTheWay, freshCell, mapOf, objectOf, objectWindow, reach, readByte, snapshotCell } from "../world.ts";
import type { PageState, SpecCopy, SpecWorld } from "../world.ts";
import { accessFailure, readBytes, writeBytes } from "./access.ts";
import { DEFAULT_PAGE, mapPages, MAPPING_HANDLERS, removeWouldBlock } from "./mapping.ts";
import { copyoutPageList, discardPageList } from "./page-lists.ts";

type Handlers = Pick<OpHandlers<SpecWorld>, "copyin" | "copyin_object" | "copyout" | "copy_overwrite" | "copy_discard" | "copy_copy">;

/** Checks a copyin: the code that rejects it, or its source and the kind of copy it makes. */
function planCopyin(world: SpecWorld, { map: handle, addr, size, useMaxprot }: OpOf<"copyin">) {
  const map = mapOf(world, handle);
  const range = areNumbers(world.scope, addr, size) ? widen(world.scope, addr, size) : undefined;
  if (map === null || range === undefined) return "KERN_INVALID_ARGUMENT";
  const kernelBuffer = size > 0 && size < world.scope.kernelBufferThreshold && !useMaxprot;
  if (size === 0) return { map, range, kernelBuffer };
  const unreadable = (page: PageState): KernReturn | undefined => {
    const s = reach(world, page); // a submap window copies the submap's page
    if (s === undefined) return "KERN_INVALID_ADDRESS";
    return (s.maxProt & VM_PROT_READ) === 0 || ((s.prot & VM_PROT_READ) === 0 && !useMaxprot) ? "KERN_PROTECTION_FAILURE" : undefined;
  };
  const failure = kernelBuffer
    ? accessFailure(world, map, addr, size, VM_PROT_READ)
    : firstFailure(map, range, "KERN_INVALID_ADDRESS", unreadable);
  return failure ?? { map, range, kernelBuffer };
}

/** The removal of a copyin with srcDestroy: a kernel buffer's waits for kernel wirings. */
const sourceRemoval = ({ map, addr, size }: OpOf<"copyin">, kernelBuffer: boolean): OpOf<"remove"> =>
  ({ op: "remove", map, addr, size, flags: kernelBuffer ? VM_MAP_REMOVE_INTERRUPTIBLE | VM_MAP_REMOVE_WAIT_FOR_KWIRE : 0 });

/** True for a valid kernel-buffer copyin with srcDestroy whose removal would wait forever for kernel wirings. */
export function copyinWouldBlock(world: SpecWorld, op: OpOf<"copyin">): boolean {
  const plan = planCopyin(world, op);
  return typeof plan !== "string" && op.srcDestroy && plan.kernelBuffer && removeWouldBlock(world, sourceRemoval(op, true));
}

/** The live, not emptied copy named by `handle`, else undefined; `null` (Mach's NULL copy) stays. */
function usableCopy(world: SpecWorld, handle: number | null): Exclude<SpecCopy, { kind: "emptied" }> | null | undefined {
  const copy = handle === null ? null : copyOf(world, handle);
  return copy?.kind === "emptied" ? undefined : copy;
}

/** The bytes `[offset, offset + size)` of an entry-list copy (its pages start at `trunc(offset)`). */
function entryListBytes(world: SpecWorld, copy: Extract<SpecCopy, { kind: "entry_list" }>): Uint8Array {
  const { pageSize } = world.scope;
  const at = (a: number) => readByte(world, copy.pages[Math.floor(a / pageSize)]!.cell, a % pageSize);
  return Uint8Array.from({ length: copy.size }, (_, i) => at((copy.offset % pageSize) + i));
}

export const COPY_HANDLERS: Handlers = {
  copyin(world, op) {
    const plan = planCopyin(world, op);
    if (typeof plan === "string") return { kr: plan };
    if (op.size === 0) return { kr: "KERN_SUCCESS", copy: null };
    const { map, range, kernelBuffer } = plan;
    const pages = () => pagesOf(map, range).map((s) => {
      const { cell, page: { prot, maxProt, inheritance, behavior, alias } } = reach(world, s)!;
      return { cell: snapshotCell(world, cell), prot, maxProt, inheritance, behavior, alias };
    });
    world.copies.push(kernelBuffer
      ? { kind: "kernel_buffer", bytes: readBytes(world, map, op.addr, op.size) }
      : { kind: "entry_list", offset: op.addr, size: op.size, pages: pages() });
    // Kernel-wired pages make the removal fail (or wait: see wouldBlock); the copyin succeeds anyway.
    if (op.srcDestroy) MAPPING_HANDLERS.remove(world, sourceRemoval(op, kernelBuffer));
    return { kr: "KERN_SUCCESS", copy: world.copies.length - 1 };
  },

  copyin_object(world, { object, offset, size }) {
    const cells = objectOf(world, object);
    if (cells === undefined) return { kr: "KERN_INVALID_OBJECT" };
    const range = areNumbers(world.scope, offset, size) ? widen(world.scope, offset, size) : undefined;
    if (range === undefined || size === 0 || range.hi > cells.length) return { kr: "KERN_INVALID_ARGUMENT" };
    world.copies.push({ kind: "object", object, offset, size });
    return { kr: "KERN_SUCCESS", copy: world.copies.length - 1 };
  },

  copyout(world, { map: handle, copy: h }) {
    const { scope } = world;
    const map = mapOf(world, handle);
    const copy = usableCopy(world, h);
    if (map === null || copy === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    if (copy === null || h === null) return { kr: "KERN_SUCCESS", addr: 0 };
    if (copy.kind === "page_list") return copyoutPageList(world, handle, h, copy);
    const bytes = copy.kind === "kernel_buffer" ? copy.bytes : undefined;
    const cells = copy.kind === "entry_list" ? copy.pages.map((p) => p.cell) : copy.kind === "object" ? objectWindow(world, copy) : [];
    const count = bytes ? roundPage(scope, bytes.length) / scope.pageSize : cells.length;
    const first = firstFit(scope, map, map.min / scope.pageSize, count, 1);
    if (first === undefined) return { kr: "KERN_NO_SPACE" };
    const alias = (i: number) => (copy.kind === "entry_list" ? copy.pages[i]!.alias : 0);
    mapPages(map, first, count, (i) => ({ ...DEFAULT_PAGE, cell: cells[i] ?? freshCell(world), alias: alias(i) }));
    const start = first * scope.pageSize;
    if (bytes) writeBytes(world, map, start, bytes);
    world.copies[h] = null;
    return { kr: "KERN_SUCCESS", addr: start + (copy.kind === "kernel_buffer" ? 0 : copy.offset % scope.pageSize) };
  },

  copy_overwrite(world, { map: handle, addr, copy: h, interruptible }) {
    const { scope } = world;
    const map = mapOf(world, handle);
    const copy = usableCopy(world, h);
    if (map === null || !areNumbers(scope, addr) || copy === undefined || copy?.kind === "object" || copy?.kind === "page_list")
      return { kr: "KERN_INVALID_ARGUMENT" };
    if (copy === null || h === null) return { kr: "KERN_SUCCESS" };
    const bytes = copy.kind === "kernel_buffer" ? copy.bytes : entryListBytes(world, copy);
    const range = widen(scope, addr, bytes.length);
    if (range === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    if (bytes.length > 0) {
      // A kernel buffer is written as the user writes; an entry list checks each destination page.
      const denied = copy.kind === "kernel_buffer" ? "KERN_INVALID_ADDRESS" : "KERN_PROTECTION_FAILURE";
      let failure = firstFailure(map, range, "KERN_INVALID_ADDRESS", (page) => {
        const s = reach(world, page); // a submap window is written in the submap's page
        if (s === undefined) return "KERN_INVALID_ADDRESS";
        return (s.prot & VM_PROT_WRITE) === 0 ? denied : undefined;
      });
      if (failure === undefined && interruptible && copy.kind === "entry_list") {
        const shared = new Set(world.objects.flat());
        // A page written through a copy-on-write window lands in a private page, not in the object.
        if (pagesOf(map, range).some((s) => cowOnTheWay(world, s) === undefined && shared.has(reach(world, s)!.cell))) failure = "KERN_FAILURE";
      }
      if (failure !== undefined) return { kr: failure };
      writeBytes(world, map, addr, bytes);
    }
    world.copies[h] = null;
    return { kr: "KERN_SUCCESS" };
  },

  copy_discard(world, { copy: h }) {
    if (h === null) return { kr: "KERN_SUCCESS" };
    const copy = copyOf(world, h);
    if (copy === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    if (copy.kind === "page_list") discardPageList(world, h, copy);
    world.copies[h] = null;
    return { kr: "KERN_SUCCESS" };
  },

  copy_copy(world, { copy: h }) {
    const copy = usableCopy(world, h);
    if (copy === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    if (copy === null || h === null) return { kr: "KERN_SUCCESS", copy: null };
    world.copies[h] = { kind: "emptied" };
    world.copies.push(copy);
    return { kr: "KERN_SUCCESS", copy: world.copies.length - 1 };
  },
};
