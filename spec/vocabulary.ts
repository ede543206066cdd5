/**
 * The operation vocabulary: every operation is described once, here — its name, its Mach name,
 * its arguments (an Effect Schema, which is also the codec of counterexample files) and its
 * result type. From these descriptions the rest of vmcheck derives the TypeScript types, the
 * fast-check arbitraries, the printers and the dispatch tables of the spec and of the
 * implementation. Every derived layer is a mapped type over {@link OpName}, so adding an
 * operation here fails to compile until every layer handles it.
 *
 * The prose contract of each operation (what it does, its result codes, in which order they are
 * checked) is the TSDoc of its description below; `spec/` implements exactly that.
 *
 * General rules, shared by every operation:
 * - Handles: maps and memory objects are named by handles, the index of their creation in the
 *   world (0, 1, 2, …). Any other value — a handle that never existed, names a destroyed map,
 *   or is not an integer at all — is a NULL map (or an unknown memory object).
 * - Numbers: an address, size, mask, protection, flag or value that is not an integer in
 *   [0, 2^W) (NaN, negative, fractional, ≥ 2^W) gives KERN_INVALID_ARGUMENT. The one exception
 *   is a map's `max`, which may be 2^W itself (a map reaching the top of the address space).
 * - Ranges: `[addr, addr + size)` is widened to whole pages, `[trunc(addr), round(addr + size))`,
 *   as the user wrappers of vm_user.c do (enter, like vm_allocate, instead maps
 *   `[trunc(addr), trunc(addr) + round(size))`). A range "wraps" when its end passes 2^W (an end
 *   of exactly 2^W is fine); a wrapping range gives KERN_INVALID_ARGUMENT (reference §10.2).
 *   Size 0 keeps each operation's reference result; note that size 0 at an unaligned address
 *   widens to one page.
 * - A failing operation changes nothing (intended behaviour where the 2000 code left partial
 *   effects: reference §8).
 */
import { Schema } from "effect";
import type { KernReturn } from "./constants.ts";

const Num = Schema.Number;
const Bool = Schema.Boolean;

/** Where the memory of a new mapping comes from. */
export const MemorySource = Schema.Union([
  /** Anonymous zero-fill memory (object NULL until first touched). */
  Schema.Struct({ kind: Schema.Literal("anonymous") }),
  /** A window of a shared memory object: every mapping of it aliases the same bytes. */
  Schema.Struct({ kind: Schema.Literal("object"), object: Num, offset: Num }),
]);
export type MemorySource = typeof MemorySource.Type;

/** Attributes of one mapped page, as `lookup` reports them. */
export interface PageAttributes {
  readonly prot: number;
  readonly maxProt: number;
  readonly inheritance: number;
  readonly behavior: number;
  readonly alias: number;
  /** `wired_count`: kernel wirings plus one for all user wirings together. */
  readonly wiredCount: number;
  /** `user_wired_count`: nested user wirings. */
  readonly userWiredCount: number;
}

/**
 * What `lookup` finds when the page is a submap mapping: the submap, the address there, whether
 * the submap's physical map is nested (`use_pmap`), whether the mapping is copy-on-write
 * (`needs_copy` on the submap entry), and the page the submap has there (null when the submap
 * does not map it), descending further when that page is a submap mapping too.
 */
export interface SubmapView {
  readonly map: number;
  readonly addr: number;
  readonly nested: boolean;
  readonly cow: boolean;
  readonly page: PageAttributes | null;
  readonly submap?: SubmapView;
}

interface OpDescription<A extends Schema.Top> {
  /** Every result code the operation can return (reference §7); the model check must reach each. */
  readonly codes: readonly KernReturn[];
  /** The Mach function(s) this operation models. */
  readonly mach: string;
  /** One line for printers and docs. */
  readonly summary: string;
  readonly args: A;
}
const op = <A extends Schema.Top>(d: OpDescription<A>): OpDescription<A> => d;

export const VOCABULARY = {
  /**
   * Create an empty map over `[min, max)`.
   * - KERN_INVALID_ARGUMENT: `min` not an address, `max` not an integer in [0, 2^W], either not
   *   page-aligned, or `min > max`. (The 2000 kernel did not check; reference §4.1 asks the
   *   model to.) An empty map (`min == max`) is allowed.
   * - KERN_SUCCESS: a new map with reference count 1; result `map` is its handle.
   */
  create: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_create",
    summary: "create a map over [min, max)",
    args: Schema.Struct({ min: Num, max: Num }),
  }),
  /**
   * Take one more reference on a map. Residence (reference §4.2, TASK_SWAPPER): every
   * reference carries residence (`res_count`) unless its holder gave it up with `swapout`; the
   * new one does. The 2000 vm_map_reference only asserts that the map is resident; the model
   * takes the safe form (vm_map_reference_swap): a swapped-out map is swapped back in.
   * - KERN_INVALID_ARGUMENT: NULL map.  - KERN_SUCCESS otherwise.
   */
  reference: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_reference",
    summary: "add a reference to a map",
    args: Schema.Struct({ map: Num }),
  }),
  /**
   * Drop one reference; the last one destroys the map: every mapping is removed, including
   * its wirings (the owner is gone; reference §4.2 — the 2000 code would sleep forever on
   * kernel wirings of a dying map). The handle is NULL afterwards. Submap mappings hold
   * references of their own, which `refCount` does not count: a map still mapped as a submap
   * somewhere lives on behind its NULL handle, reachable through those mappings. The dropped
   * reference takes its residence with it (vm_map_deallocate's res_deallocate): a resident
   * reference while the handle has one, else one that `swapout` made non-resident — so the
   * handle's swapped-out references never outnumber its references.
   * - KERN_INVALID_ARGUMENT: NULL map.  - KERN_SUCCESS otherwise.
   */
  deallocate: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_deallocate",
    summary: "drop a reference to a map (the last destroys it)",
    args: Schema.Struct({ map: Num }),
  }),
  /**
   * The task swapper gives up the residence of one of the handle's references (task_swapout's
   * vm_map_res_deallocate, reference §4.2; vm_map_swapout itself is internal). The reference
   * stays; when the map's last resident holder is gone (`res_count` 0) the map is swapped out
   * (`sw_state` OUT): each submap it maps loses the residence its entries held (and may be
   * swapped out in turn), and its unwired translations leave its pmap (shot down; wired pages
   * stay, as the pageout daemon leaves them). Decision, in our model: an object's residence is
   * not counted — the object layer's page store doubles as the backing store, so what leaves
   * memory are the frames — and a swapped-out map stays usable: an access faults its pages back
   * in, as after pageout. Nothing else a user can see changes. Regions, named entries and
   * page-list continuations holding the map are kernel holders and stay resident.
   * - KERN_INVALID_ARGUMENT: NULL map.
   * - KERN_FAILURE: every reference of the handle is already swapped out (the 2000 code would
   *   let `res_count` go negative).
   * - KERN_SUCCESS otherwise.
   */
  swapout: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_FAILURE"],
    mach: "vm_map_res_deallocate (task_swapout; vm_map_swapout at res_count 0)",
    summary: "give up the residence of one of a map's references",
    args: Schema.Struct({ map: Num }),
  }),
  /**
   * Give one swapped-out reference of the handle its residence back (task_swapin's
   * vm_map_res_reference, reference §4.2). When the map was swapped out (`res_count` 0) it is
   * swapped in first (vm_map_swapin): its submaps get their entries' residence back (and are
   * swapped in when they were out). Translations come back as the pages are touched.
   * - KERN_INVALID_ARGUMENT: NULL map.
   * - KERN_FAILURE: no reference of the handle is swapped out (`res_count` would pass
   *   `ref_count`, invariant #37).
   * - KERN_SUCCESS otherwise.
   */
  swapin: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_FAILURE"],
    mach: "vm_map_res_reference (task_swapin; vm_map_swapin at res_count 0)",
    summary: "give a swapped-out reference of a map its residence back",
    args: Schema.Struct({ map: Num }),
  }),
  /**
   * Create a shared memory object of `round(size)` bytes, all zero. Memory objects are never
   * destroyed in this vocabulary; they model a pager's memory (a file, a shared segment).
   * - KERN_INVALID_ARGUMENT: size not an address, 0, or more than `maxObjectPages` pages.
   * - KERN_SUCCESS: result `object` is its handle.
   */
  object_create: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "memory_object_create (default pager)",
    summary: "create a shared memory object",
    args: Schema.Struct({ size: Num }),
  }),
  /**
   * Map memory (vm_allocate / vm_map_64 over vm_map_enter, reference §4.3).
   * Checked in this order:
   * 1. KERN_INVALID_ARGUMENT: NULL map; a number outside its domain (the source's `offset`
   *    included); `mask + 1` not a power of
   *    two; `cur` or `max` with bits outside VM_PROT_ALL; `cur ⊄ max` (reference §8 #17);
   *    `inheritance > VM_INHERIT_NONE`; `alias > 255`; `size == 0`; in fixed mode,
   *    `trunc(addr) + round(size) > 2^W`.
   * 2. Object source only: KERN_INVALID_OBJECT if `object` names no memory object;
   *    KERN_INVALID_ARGUMENT if `offset` is not page-aligned or the window
   *    `[offset, offset + round(size))` passes the object's end.
   * 3. Fixed (`anywhere` false), with `start = trunc(addr)`, `end = start + round(size)`:
   *    KERN_NO_SPACE if `start & mask ≠ 0`; KERN_INVALID_ADDRESS if `start < min` or
   *    `end > max`; KERN_NO_SPACE if any page of `[start, end)` is mapped.
   *    Anywhere: first fit — the lowest `a ≥ max(trunc(addr), min)` with `a & mask == 0`,
   *    `[a, a + round(size))` unmapped and `a + round(size) ≤ max`; KERN_NO_SPACE if none.
   * 4. KERN_SUCCESS: every page gets `prot = cur`, `maxProt = max`, the inheritance, behavior
   *    DEFAULT, the alias, no wiring; anonymous pages get fresh zero cells, object pages alias
   *    the object's cells. Result `addr` is the start.
   */
  enter: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_OBJECT", "KERN_NO_SPACE", "KERN_INVALID_ADDRESS"],
    mach: "vm_map_enter (vm_allocate, vm_map_64)",
    summary: "map anonymous memory or an object window, fixed or anywhere",
    args: Schema.Struct({
      map: Num,
      addr: Num,
      size: Num,
      mask: Num,
      anywhere: Bool,
      alias: Num,
      cur: Num,
      max: Num,
      inheritance: Num,
      source: MemorySource,
    }),
  }),
  /**
   * Kernel allocator primitive (reference §4.4): first fit from `min` (no start hint) for
   * `round(size)` bytes aligned by `mask`; the new pages are anonymous, prot DEFAULT (RW),
   * maxProt ALL, inheritance COPY, behavior DEFAULT, alias 0, unwired.
   * - KERN_INVALID_ARGUMENT: NULL map, bad numbers, bad mask, size 0.
   * - KERN_NO_SPACE: no fit.  - KERN_SUCCESS: result `addr`.
   */
  find_space: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_NO_SPACE"],
    mach: "vm_map_find_space",
    summary: "kernel first-fit allocation",
    args: Schema.Struct({ map: Num, size: Num, mask: Num }),
  }),
  /**
   * Remove the mappings in `[trunc(addr), round(addr+size))`, clamped to `[min, max]`
   * (vm_deallocate / vm_map_remove, reference §4.6). Unmapped pages are skipped.
   * Per page: all user wirings are dropped; with KUNWIRE one kernel wiring (if any) is dropped
   * as well (reference §8 #3, intended). If a page would still hold a kernel wiring:
   * - without WAIT_FOR_KWIRE: KERN_FAILURE, nothing changes (the flag is honoured as written;
   *   the 2000 code always added it);
   * - with WAIT_FOR_KWIRE the call waits for the owners; in a sequential run nobody can ever
   *   release them, so such a call is not applicable (see {@link wouldBlock} in spec/).
   * - KERN_INVALID_ARGUMENT: NULL map, bad numbers, flags outside KUNWIRE|INTERRUPTIBLE|
   *   WAIT_FOR_KWIRE, the range wraps.
   * - KERN_SUCCESS otherwise, also for an unmapped range; size 0 removes nothing, even at an
   *   unaligned address (vm_deallocate returns at once).
   */
  remove: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_FAILURE"],
    mach: "vm_map_remove (vm_deallocate)",
    summary: "remove mappings",
    args: Schema.Struct({ map: Num, addr: Num, size: Num, flags: Num }),
  }),
  /**
   * Change protection of `[trunc(addr), round(addr+size))` (vm_protect / vm_map_protect,
   * reference §4.7). No clamping. Let `p = prot & ~VM_PROT_COPY`.
   * - KERN_INVALID_ARGUMENT: NULL map, bad numbers, bits outside ALL|COPY, range wraps.
   * - Walk the pages in address order; the first failing page decides: unmapped →
   *   KERN_INVALID_ADDRESS; `p ⊄ maxProt (+ WRITE when COPY)` → KERN_PROTECTION_FAILURE.
   *   Size 0: KERN_INVALID_ADDRESS unless `trunc(addr)` is mapped. Nothing changes on failure.
   * - KERN_SUCCESS: per page, with COPY: the page gets a private snapshot of its bytes (a fresh
   *   cell, reference §10.10) — a submap window instead becomes a copy-on-write window (the
   *   2000 code sets `needs_copy` on every entry, and on a submap entry that makes a
   *   copy-on-write submap, reference §4.7, §4.22), which goes private page by page as writes
   *   reach it — and `maxProt |= WRITE`; then with `setMax`: `maxProt = p`,
   *   `prot = p & old prot`; without: `prot = p`.
   */
  protect: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE"],
    mach: "vm_map_protect (vm_protect)",
    summary: "change current or maximum protection",
    args: Schema.Struct({ map: Num, addr: Num, size: Num, prot: Num, setMax: Bool }),
  }),
  /**
   * Set inheritance of the mapped pages in the range, clamped to `[min, max]`; holes are
   * ignored (reference §4.8).
   * - KERN_INVALID_ARGUMENT: NULL map, bad numbers, `inheritance > VM_INHERIT_NONE`, range
   *   wraps; COPY while a page of the clamped range is a submap mapping (submaps are shared or
   *   omitted; reference §4.8, invariant #20).  - KERN_SUCCESS otherwise.
   */
  inherit: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_inherit (vm_inherit)",
    summary: "set inheritance",
    args: Schema.Struct({ map: Num, addr: Num, size: Num, inheritance: Num }),
  }),
  /**
   * Set the paging behavior of the range (reference §4.9).
   * - KERN_INVALID_ARGUMENT: NULL map, bad numbers, behavior not in 0..3, range wraps.
   * - KERN_INVALID_ADDRESS: `start < min`, `end > max`, `start` unmapped or a hole in range.
   * - KERN_SUCCESS: every page of the range gets the behavior.
   */
  behavior_set: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS"],
    mach: "vm_map_behavior_set (vm_behavior_set)",
    summary: "set paging behavior",
    args: Schema.Struct({ map: Num, addr: Num, size: Num, behavior: Num }),
  }),
  /**
   * Pass a cache attribute request to the physical map (reference §4.19). Records nothing.
   * - KERN_INVALID_ARGUMENT: NULL map, bad numbers, unknown attribute or value, `addr + size`
   *   wraps.  - KERN_INVALID_ADDRESS: `addr < min` or `addr + size > max` (unrounded).
   * - KERN_SUCCESS otherwise (mappedness is not checked).
   */
  machine_attribute: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS"],
    mach: "vm_map_machine_attribute",
    summary: "machine (cache) attribute request",
    args: Schema.Struct({ map: Num, addr: Num, size: Num, attribute: Num, value: Num }),
  }),
  /**
   * Wire the range (vm_wire / vm_map_wire, reference §4.10), range clamped to `[min, max]`.
   * Counter rule: a user wiring adds 1 to `userWiredCount` and, when that was 0, 1 to
   * `wiredCount`; a kernel wiring adds 1 to `wiredCount`.
   * - KERN_INVALID_TASK: NULL map.  - KERN_INVALID_ARGUMENT: bad numbers, `access` bits
   *   outside ALL, range wraps.
   * - KERN_INVALID_ADDRESS: the clamped range's start is unmapped (an empty range at a mapped
   *   start succeeds and changes nothing, as in the 2000 kernel).
   * - Walk the pages in address order; the first failing page decides (intended behaviour,
   *   reference §8 #6, all entries checked): unmapped (for a submap mapping: also in the
   *   submap) → KERN_INVALID_ADDRESS; `access ⊄ prot` (a submap mapping: its prot AND the
   *   submap page's) → KERN_PROTECTION_FAILURE; a counter that would pass `maxWireCount` →
   *   KERN_FAILURE (user overflow is KERN_FAILURE in the reference; kernel overflow was a
   *   panic, which the model reports as KERN_FAILURE too). All or nothing.
   * - KERN_SUCCESS: every page wired once more. A window's wiring is its own count (the
   *   submap's pages are not wired by it); a copy-on-write window stays one until a write
   *   reaches it (decision: reference §6.4 #15 allows a wired copy-on-write submap; a write
   *   makes the page private, still wired).
   */
  wire: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_TASK", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE", "KERN_FAILURE"],
    mach: "vm_map_wire (vm_wire)",
    summary: "wire pages (user or kernel)",
    args: Schema.Struct({ map: Num, addr: Num, size: Num, access: Num, user: Bool }),
  }),
  /**
   * Unwire the range (vm_map_unwire, reference §4.10), range clamped to `[min, max]`.
   * - KERN_INVALID_TASK: NULL map.  - KERN_INVALID_ARGUMENT: bad numbers, range wraps.
   * - KERN_INVALID_ADDRESS: the clamped range's start is unmapped (an empty range at a mapped
   *   start succeeds and changes nothing).
   * - User: walk from the start up to the first unmapped page (a hole ends the range,
   *   reference §8 #7 intended); each page with `userWiredCount > 0` loses one user wiring
   *   (and `wiredCount` one when it reaches 0); other pages are skipped. KERN_SUCCESS.
   * - Kernel: KERN_FAILURE, nothing changed, if a page of the range is unmapped or holds no
   *   kernel wiring (`wiredCount − [userWiredCount > 0] == 0`) — the 2000 kernel panicked;
   *   otherwise each page loses one kernel wiring, KERN_SUCCESS.
   */
  unwire: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_TASK", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS", "KERN_FAILURE"],
    mach: "vm_map_unwire (vm_wire with VM_PROT_NONE)",
    summary: "unwire pages (user or kernel)",
    args: Schema.Struct({ map: Num, addr: Num, size: Num, user: Bool }),
  }),
  /**
   * Merge neighbouring entries around `addr` (vm_map_simplify, reference §4.15). Has no
   * effect the spec can see: entries do not exist in the spec.
   * - KERN_INVALID_ARGUMENT: NULL map or bad number.  - KERN_SUCCESS otherwise.
   */
  simplify: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_simplify",
    summary: "merge mergeable neighbour entries",
    args: Schema.Struct({ map: Num, addr: Num }),
  }),
  /**
   * What is mapped at `addr` (vm_map_lookup_entry, as a query; vm_region-like).
   * - KERN_INVALID_ARGUMENT: NULL map or bad number.
   * - KERN_SUCCESS: `page` is the page's attributes, or null when unmapped. When the page is a
   *   submap mapping, `submap` descends into it as vm_map_lookup_locked does (the address
   *   translated by the mapping's offset; see {@link SubmapView}).
   */
  lookup: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_lookup_entry",
    summary: "attributes of the page at an address",
    args: Schema.Struct({ map: Num, addr: Num }),
  }),
  /**
   * Read `size` bytes at `addr` as the user (vm_map_read_user, reference §4.18).
   * - KERN_INVALID_ARGUMENT: NULL map, bad numbers, `addr + size` wraps.
   * - KERN_INVALID_ADDRESS: some byte's page is unmapped or lacks READ (no bytes returned).
   * - KERN_SUCCESS: `data` holds the bytes as lower-case hex (size 0: empty).
   */
  read_user: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS"],
    mach: "vm_map_read_user",
    summary: "read bytes through user access",
    args: Schema.Struct({ map: Num, addr: Num, size: Num }),
  }),
  /**
   * Write bytes (hex) at `addr` as the user (vm_map_write_user, reference §4.18).
   * - KERN_INVALID_ARGUMENT: NULL map, bad numbers, `data` not an even-length hex string (either
   *   case),
   *   `addr + length` wraps.
   * - KERN_INVALID_ADDRESS: some byte's page is unmapped or lacks WRITE (nothing written).
   * - KERN_SUCCESS: the bytes are written; every alias of a written cell sees them. A page
   *   reached through a copy-on-write window is made private first (see `submap`).
   */
  write_user: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS"],
    mach: "vm_map_write_user",
    summary: "write bytes through user access",
    args: Schema.Struct({ map: Num, addr: Num, data: Schema.String }),
  }),

  // ------------------------------------------------- CPUs and the MMU (reference §4.13, §4.18)
  //
  // The world has `scope.cpus` CPUs, numbered 0..cpus-1, each running at most one map (none at
  // first). A CPU names its map by handle and holds no reference: once the map is destroyed, the
  // CPU runs a NULL map. Page tables, TLBs, frames and shootdowns are the implementation's; the
  // spec only says what a user access through a CPU returns, which is exactly what read_user
  // and write_user return on the CPU's map.

  /**
   * Make a CPU run a map (pmap_activate on a context switch).
   * - KERN_INVALID_ARGUMENT: `cpu` not an integer in [0, cpus); NULL map.
   * - KERN_SUCCESS: the CPU runs the map.
   */
  switch: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "pmap_activate (context switch)",
    summary: "make a CPU run a map",
    args: Schema.Struct({ cpu: Num, map: Num }),
  }),
  /**
   * Read `size` bytes at `addr` as the user thread on `cpu` (a load through its TLB, the page
   * table and the fault path).
   * - KERN_INVALID_ARGUMENT: `cpu` not a CPU; the CPU runs no map or a destroyed one; otherwise
   *   as read_user on the CPU's map.
   * - Otherwise exactly read_user's result on the CPU's map (KERN_INVALID_ADDRESS for a fault
   *   that cannot be resolved: unmapped, or without READ).
   */
  load: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS"],
    mach: "user load (vm_fault on a TLB miss)",
    summary: "load bytes through a CPU",
    args: Schema.Struct({ cpu: Num, addr: Num, size: Num }),
  }),
  /**
   * Write bytes (hex) at `addr` as the user thread on `cpu` (a store through its TLB, the page
   * table and the fault path; a copy-on-write page is copied on the write fault).
   * - KERN_INVALID_ARGUMENT: `cpu` not a CPU; the CPU runs no map or a destroyed one; otherwise
   *   as write_user on the CPU's map.
   * - Otherwise exactly write_user's result on the CPU's map; nothing is written on a fault.
   */
  store: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS"],
    mach: "user store (vm_fault on a TLB miss or a write to a read-only entry)",
    summary: "store bytes through a CPU",
    args: Schema.Struct({ cpu: Num, addr: Num, data: Schema.String }),
  }),
  /**
   * One pageout step (vm_pageout_scan): starting at physical frame `frame` (modulo the frame
   * count), the first frame holding an unwired page is unmapped everywhere, its page written to
   * the backing store, and the frame freed once every CPU acknowledged the shootdown. A later
   * access faults the page back in. Invisible to the spec: contents, mappings and wirings stay.
   * - KERN_INVALID_ARGUMENT: `frame` not an integer in [0, 2^W).
   * - KERN_SUCCESS otherwise (also when nothing could be paged out).
   */
  evict: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_pageout_scan (one step)",
    summary: "page out one unwired page",
    args: Schema.Struct({ frame: Num }),
  }),

  // ---------------------------------------------------------------- threads (reference §2)
  //
  // Concurrency is driven by the command sequence, so fast-check and the minimizer shrink an
  // interleaving like any other list: `spawn` starts an operation on a simulated kernel thread,
  // `step` lets a thread run to its next suspension point. What a suspension point is (a lock
  // that is not free, a sleep on an in-transition entry, the unlocked phase of wire, overwrite
  // or a fault, a read-to-write upgrade) belongs to the implementation (impl/sched/); the spec
  // only says what a completed operation may have done: the same as the operation run alone, at
  // one instant between its spawn and its completion (linearizability, model-check/concurrency).

  /**
   * Start `body` on kernel thread `thread` (0 ≤ thread < MAX_THREADS). In a sequential world
   * (no scheduler: the map and cow profiles, this spec) the thread runs `body` to completion at
   * once and the result is `body`'s. Under the scheduler the thread runs until its first
   * suspension point and the result is KERN_SUCCESS; `body`'s own result is judged when it
   * completes.
   * 1. KERN_INVALID_ARGUMENT: `thread` is not a thread number, `body` is not a command of the
   *    vocabulary, or it is one of the commands a thread cannot run (see {@link SPAWNABLE}),
   *    or (under the scheduler) the thread is still running an earlier operation.
   */
  spawn: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "thread_create + the operation's system call",
    summary: "start an operation on a kernel thread",
    args: Schema.Struct({ thread: Num, body: Schema.Record(Schema.String, Schema.Unknown) }),
  }),

  /**
   * Let `thread` run through `count` suspension points (1 ≤ count ≤ 16), or fewer if it
   * completes or blocks. In a sequential world nothing is ever in flight and this does nothing.
   * 1. KERN_INVALID_ARGUMENT: `thread` is not a thread number, or `count` is not an integer in
   *    [1, 16].
   * 2. KERN_SUCCESS otherwise (also when the thread is idle or blocked: it simply does not run).
   */
  step: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "(the scheduler dispatching a thread)",
    summary: "run a thread to its next suspension points",
    args: Schema.Struct({ thread: Num, count: Num }),
  }),

  // ---------------------------------------------------------------- copies (reference §4.11)
  //
  // A copy is a value: the world keeps it under a handle (its creation index among copies),
  // later commands use it, and an operation that consumes it (copyout, copy_overwrite,
  // copy_discard on success) makes the handle consumed. Using a consumed or unknown copy handle
  // is KERN_INVALID_ARGUMENT; `copy: null` is Mach's NULL copy. A copy is a detached snapshot:
  // writes to the source after copyin never show in it, and vice versa.

  /**
   * Copy `[addr, addr + size)` of a map into a new copy (vm_map_copyin_common, reference
   * §4.11.2, §4.11.4).
   * 1. KERN_INVALID_ARGUMENT: NULL map, bad numbers, the range wraps.
   * 2. `size == 0`: KERN_SUCCESS with `copy: null`.
   * 3. Kernel buffer, when `size < kernelBufferThreshold` and not `useMaxprot`: every byte's
   *    page must be mapped with READ, else KERN_INVALID_ADDRESS. The copy holds the `size`
   *    bytes.
   * 4. Entry list otherwise: walking the pages of `[trunc(addr), round(addr + size))` in order,
   *    the first failing page decides: unmapped → KERN_INVALID_ADDRESS; `maxProt` lacks READ,
   *    or `prot` lacks READ without `useMaxprot` → KERN_PROTECTION_FAILURE. The copy holds a
   *    snapshot of every page with its prot, maxProt, inheritance, behavior and alias (not its
   *    wiring), and remembers the unrounded `addr` (its offset) and `size`.
   * 5. With `srcDestroy`, the source range is then removed as by `remove` with no flags
   *    (kernel buffer: INTERRUPTIBLE | WAIT_FOR_KWIRE); the removal's own result is ignored,
   *    so kernel-wired pages stay (and with WAIT_FOR_KWIRE the call would wait forever: not
   *    applicable in a sequential run).
   * Result `copy` is the new handle.
   */
  copyin: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE"],
    mach: "vm_map_copyin_common (vm_map_copyin, vm_map_copyin_maxprot)",
    summary: "copy a range of a map into a copy value",
    args: Schema.Struct({ map: Num, addr: Num, size: Num, srcDestroy: Bool, useMaxprot: Bool }),
  }),
  /**
   * Wrap a window of a shared memory object in an object copy (vm_map_copyin_object,
   * reference §4.11.3). The copy refers to the object itself: copying it out maps the object
   * (aliasing its bytes), it is not a snapshot.
   * - KERN_INVALID_OBJECT: `object` names no memory object.
   * - KERN_INVALID_ARGUMENT: bad numbers, `size == 0`, the window
   *   `[trunc(offset), round(offset + size))` passes the object's end.
   * - KERN_SUCCESS: result `copy`.
   */
  copyin_object: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_OBJECT"],
    mach: "vm_map_copyin_object",
    summary: "wrap a memory object window in a copy",
    args: Schema.Struct({ object: Num, offset: Num, size: Num }),
  }),
  /**
   * Map a copy anywhere in a map and consume it (vm_map_copyout, reference §4.11.6).
   * - KERN_INVALID_ARGUMENT: NULL map; unknown or consumed copy.
   * - `copy: null`: KERN_SUCCESS, `addr` 0.
   * - Entry list: first fit from `min` (no alignment) for `round(offset + size) − trunc(offset)`
   *   bytes, else KERN_NO_SPACE (the copy stays with the caller). The pages get the copy's
   *   cells and alias, with prot DEFAULT (RW), maxProt ALL, inheritance COPY, behavior
   *   DEFAULT, unwired (the source's protections are not kept). `addr` = start + the page
   *   offset of the copy's offset.
   * - Kernel buffer: first fit for `round(size)` bytes of fresh zero memory (RW, ALL, COPY,
   *   alias 0) with the bytes written at its start; `addr` = start.
   * - Object: first fit for `round(pageoff + size)` bytes mapping the object window from
   *   `trunc(offset)` (aliasing the object's cells), RW, ALL, COPY; `addr` = start + pageoff.
   */
  copyout: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_NO_SPACE", "KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE"],
    mach: "vm_map_copyout",
    summary: "map a copy anywhere (consumes it)",
    args: Schema.Struct({ map: Num, copy: Schema.NullOr(Num) }),
  }),
  /**
   * Write a copy over existing memory at `addr` and consume it (vm_map_copy_overwrite,
   * reference §4.11.8–§4.11.10). The destination keeps its protections, inheritance, behavior
   * and wiring (reference §8 #13: the wiring is kept); the bytes are written into the
   * destination's cells, so every alias of them sees the new bytes.
   * 1. KERN_INVALID_ARGUMENT: NULL map, bad numbers, unknown or consumed copy, an object or
   *    page-list copy (overwrite takes entry lists and kernel buffers only).
   * 2. `copy: null`: KERN_SUCCESS.
   * 3. Kernel buffer: every byte's page of `[addr, addr + size)` must be mapped with WRITE,
   *    else KERN_INVALID_ADDRESS; the bytes are written.
   * 4. Entry list of size 0: consumed, KERN_SUCCESS. Otherwise the destination is
   *    `[trunc(addr), end)` with `end = addr + size` when `addr`, the copy's offset and size
   *    are all page-aligned, else `round(addr + size)`; it must not wrap (KERN_INVALID_ARGUMENT).
   *    Walking its pages in order, the first failing page decides: unmapped →
   *    KERN_INVALID_ADDRESS; lacking WRITE → KERN_PROTECTION_FAILURE. With `interruptible`,
   *    a destination page of a shared memory object → KERN_FAILURE (not one reached through a
   *    copy-on-write window: the bytes land in a private page). Then the copy's bytes
   *    `[offset, offset + size)` are written at `[addr, addr + size)`, as `write_user` writes
   *    them (a copy-on-write window's page is made private first). Decision: a copy-on-write
   *    window is checked and written like any write through it; the 2000 code skipped the
   *    checks and replaced it by an anonymous entry with prot and maxProt ALL (reference
   *    §4.11.8 step 5), which would grant WRITE the window never had (§8 #19).
   * Nothing changes and the copy stays with the caller on any failure.
   */
  copy_overwrite: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE", "KERN_FAILURE"],
    mach: "vm_map_copy_overwrite",
    summary: "write a copy over existing memory (consumes it)",
    args: Schema.Struct({ map: Num, addr: Num, copy: Schema.NullOr(Num), interruptible: Bool }),
  }),
  /**
   * Release a copy (vm_map_copy_discard, reference §4.11.11). A page list's continuation is
   * aborted (its pending source range removed, its map reference dropped; see copy_abort).
   * vm_map_copy_discard_cont (§4.11.13) is folded in here and is no operation of its own: it is
   * only ever a continuation that in-kernel consumers install when they extend a chain while
   * keeping its earlier page lists (kmem_io_map_copyout, the page-list conversions: a copy whose
   * continuation is "discard that other copy"), and discarding such a copy discards the kept
   * ones in a loop. No operation of this vocabulary builds such a chain — copy_continue
   * consumes the copy it continues, copyout_page_list consumes the whole chain — so no copy a
   * user holds can carry it, and nothing could tell it apart from discarding each copy.
   * - KERN_INVALID_ARGUMENT: unknown or consumed copy.  - KERN_SUCCESS: consumed (`null`: no-op).
   */
  copy_discard: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_copy_discard",
    summary: "release a copy",
    args: Schema.Struct({ copy: Schema.NullOr(Num) }),
  }),
  /**
   * Move a copy's contents to a new copy (vm_map_copy_copy, reference §4.11.12). The old
   * handle becomes an emptied copy: discarding it succeeds, any other use is
   * KERN_INVALID_ARGUMENT. A kernel buffer's bytes are moved too (reference §8 #12: the 2000
   * code freed them through the wrong allocator).
   * - KERN_INVALID_ARGUMENT: unknown, consumed or emptied copy.
   * - KERN_SUCCESS: result `copy` is the new handle (`null` stays `null`).
   */
  copy_copy: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_copy_copy",
    summary: "move a copy's contents to a new copy",
    args: Schema.Struct({ copy: Schema.NullOr(Num) }),
  }),

  // ------------------------------------------------------ page lists (reference §4.11.5, §4.11.7)
  //
  // A page-list copy holds at most `pageListMax` pages (scope; VM_MAP_COPY_PAGE_LIST_MAX = 20)
  // of a source range, each a detached snapshot in a fresh cell, like every copy. A longer range
  // leaves the rest to a continuation, which remembers the source map (holding one reference on
  // it), the remaining page range, the options and a pending source removal; it reads the source
  // only when it runs (copy_continue, copyout_page_list), so later pages are snapshots of that
  // moment and are checked then. Only the first copy of a chain has the caller's unrounded
  // offset and size (the whole range); a continuation's copies have the page-aligned remainder.
  //
  // Options (`options`, vm_map.h:344-348): bits 0-2 (VM_PROT) are the access every source page
  // must grant; SRC_DESTROY (0x8) removes the source; STEAL_PAGES (0x10) takes the pages away
  // from the source instead of holding them; PMAP_ENTER (0x20, acted on by the MMU) and
  // NO_ZERO_FILL (0x40) change nothing the spec can see (see copyin_page_list). Removals are as `remove` with no flags and
  // their own result is ignored (kernel-wired pages stay), as for copyin.
  //
  // Walking a chunk: its pages in address order, the first failing page decides: unmapped →
  // KERN_INVALID_ADDRESS; a submap window → KERN_INVALID_ARGUMENT (page lists through submaps
  // are not modelled); `prot` lacks the VM_PROT bits of the options → KERN_PROTECTION_FAILURE.
  // Running a continuation: its next chunk (the first `pageListMax` pages of its range) is
  // walked and snapshotted; with STEAL_PAGES and SRC_DESTROY that chunk's source is removed at
  // once; the rest of the range goes to a new continuation (the map reference moves with it).
  // Without STEAL_PAGES, SRC_DESTROY removes the whole rounded source range only when the chain
  // ends: its last copy always carries a destroy-only continuation (an empty range), whose
  // running or abort removes the range. A continuation that is used up or aborted drops its map
  // reference (the last one destroys the map, as `deallocate`). That reference is an ordinary
  // one: when `deallocate` drops it too (an over-release) and the map is destroyed, the
  // continuation cannot run (KERN_INVALID_ARGUMENT) and aborting it removes and drops nothing.

  /**
   * Copy `[addr, addr + size)` of a map as a page list (vm_map_copyin_page_list, reference
   * §4.11.5).
   * 1. KERN_INVALID_ARGUMENT: NULL map, bad numbers, option bits outside 0x7f, the range wraps.
   * 2. `size == 0`: KERN_SUCCESS with `copy: null`.
   * 3. The first chunk, the first `pageListMax` pages of `[trunc(addr), round(addr + size))`,
   *    is walked (later pages are checked only when a continuation runs).
   * 4. KERN_SUCCESS: a page-list copy with offset `addr`, size `size` and the chunk's pages; a
   *    continuation for the remaining pages, or a destroy-only one (SRC_DESTROY without
   *    STEAL_PAGES) when none remain. With STEAL_PAGES and SRC_DESTROY the chunk's source is
   *    removed now.
   * - PMAP_ENTER (a kernel-map convenience for device I/O; the model has no kernel map, so any
   *   source map) is acted on by the MMU alone, and changes nothing the spec sees. Decision: with
   *   the MMU in play, each page of each chunk as it is taken (by copyin_page_list, or by a
   *   continuation later) that is still mapped in the source — not removed by SRC_DESTROY with
   *   STEAL_PAGES — is entered into the source map's physical map at its source address
   *   (pmap_enter), with the VM_PROT access of the options (at least READ) cut to what a fault
   *   would allow: a page the list holds busy is entered read-only, so a write still faults and
   *   the list keeps its snapshot. A CPU running the source map then reads those pages without
   *   a fault; loads and stores still see exactly what this contract says (invariant
   *   page-list-pmap-entered checks the entries, refinement what they show). NO_ZERO_FILL, when
   *   `addr` and `size` are page-aligned, lets the implementation leave never-touched pages
   *   unmaterialized; they still read as zero (the model never exposes stale bytes).
   * - KERN_MEMORY_ERROR (reference §4.11.5, §7) cannot arise in this model, here or anywhere:
   *   the 2000 code returns it when a fault (vm_fault_page) reports a memory error, that is,
   *   when a pager says it cannot supply a page (memory_object_data_error, a page flagged in
   *   error) and gives no code of its own. Every memory object here is backed by the default
   *   pager, whose page store is the backing store and never fails; every window lies inside
   *   its object (enter and named entries refuse windows past its end, invariant object-window),
   *   so no fault asks for a page beyond a pager's data; and NO_ZERO_FILL leaves an absent page
   *   unzeroed rather than failing, as vm_fault_page does. So no operation lists the code.
   *   Making it reachable needs pagers that can fail (an operation injecting
   *   memory_object_data_error on a page), which would then decide what each path that faults
   *   returns — the partial chunk that §4.11.5 describes for a continuation, among them.
   * Result `copy` is the new handle.
   */
  copyin_page_list: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE"],
    mach: "vm_map_copyin_page_list",
    summary: "copy a range as page lists of at most pageListMax pages, with continuations",
    args: Schema.Struct({ map: Num, addr: Num, size: Num, options: Num }),
  }),
  /**
   * Run the continuation of a page-list copy (vm_map_copy_invoke_cont): the copy's pages are
   * released, the continuation runs, and the old handle is consumed.
   * 1. KERN_INVALID_ARGUMENT: unknown, consumed or emptied copy, not a page list, no
   *    continuation, or its map was destroyed.
   * 2. Destroy-only continuation: the pending source range is removed; `copy: null`.
   * 3. Otherwise its next chunk is walked; on KERN_INVALID_ADDRESS or KERN_PROTECTION_FAILURE
   *    nothing changes (the caller still owns the copy and may abort or discard it).
   * 4. KERN_SUCCESS: result `copy` is a new page-list copy of the chunk (offset and size: the
   *    continuation's page-aligned remaining range), with the continuation of what is left.
   */
  copy_continue: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE"],
    mach: "vm_map_copy_invoke_cont (vm_map_copyin_page_list_cont)",
    summary: "run a page-list copy's continuation: the next chunk",
    args: Schema.Struct({ copy: Num }),
  }),
  /**
   * Release a page-list copy's pages and abort its continuation (vm_map_copy_abort_cont): the
   * pending source range (if any) is removed, the map reference dropped, the copy consumed.
   * copy_discard does the same to a page list, and accepts one without a continuation.
   * - KERN_INVALID_ARGUMENT: unknown, consumed or emptied copy, not a page list, or no
   *   continuation.  - KERN_SUCCESS otherwise.
   */
  copy_abort: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_copy_abort_cont",
    summary: "release a page list and abort its continuation",
    args: Schema.Struct({ copy: Num }),
  }),
  /**
   * Map a page-list copy and every chunk its continuations produce, and consume it
   * (vm_map_copyout_page_list, reference §4.11.7; `copyout` of a page list does the same).
   * 1. KERN_INVALID_ARGUMENT: NULL map; unknown, consumed or emptied copy; not a page list; its
   *    pages were discarded (page_discard); its continuation's map was destroyed.
   * 2. First fit from `min` for `round(offset + size) − trunc(offset)` bytes, else
   *    KERN_NO_SPACE.
   * 3. Every remaining chunk of the chain is walked (on the state before anything is mapped);
   *    the first failure decides (KERN_INVALID_ADDRESS, KERN_PROTECTION_FAILURE).
   * Nothing changes and the copy stays with the caller on any failure. (The 2000 code places
   *    the later chunks after an unlocked window and, when a continuation fails there, deletes
   *    the new range with the pages already placed: not failure-atomic. This is the intended
   *    contract; the 2000 order is the planted bug copyout-chunks-after-window.)
   * 4. KERN_SUCCESS: the continuations run in order; the copy's pages and then each chunk's
   *    land at the fit with prot DEFAULT (RW), maxProt ALL, inheritance COPY, behavior DEFAULT,
   *    alias 0, unwired. Result `addr` = start + the page offset of the copy's offset.
   */
  copyout_page_list: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_NO_SPACE", "KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE"],
    mach: "vm_map_copyout_page_list",
    summary: "map a page list and its continuations anywhere (consumes it)",
    args: Schema.Struct({ map: Num, copy: Num }),
  }),
  /**
   * Make the copy the owner of its pages (vm_map_copy_steal_pages, reference §4.11.5): every
   * page still held in a source object is replaced by a private copy. The copy is already a
   * snapshot, so nothing observable changes.
   * - KERN_INVALID_ARGUMENT: unknown, consumed or emptied copy, not a page list.
   * - KERN_SUCCESS otherwise.
   */
  steal_pages: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_copy_steal_pages",
    summary: "replace a page list's held pages by private copies",
    args: Schema.Struct({ copy: Num }),
  }),
  /**
   * Release a page list's pages, keeping the copy and its continuation
   * (vm_map_copy_page_discard): the consumer is done with this chunk.
   * - KERN_INVALID_ARGUMENT: unknown, consumed or emptied copy, not a page list.
   * - KERN_SUCCESS: the copy holds no page (copyout then refuses it; continue, abort and
   *   discard still accept it).
   */
  page_discard: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_copy_page_discard",
    summary: "release a page list's pages, keep its continuation",
    args: Schema.Struct({ copy: Num }),
  }),

  // ---------------------------------------------------------------- submaps (§4.16)

  /**
   * Install map `submap` over `[addr, addr + size)` of `map`, the window starting at `offset` in
   * the submap (vm_map_enter of the placeholder `vm_submap_object` followed by vm_map_submap,
   * reference §4.16 — the placeholder is internal, so the range must be free: a mapped range is
   * not one pristine placeholder entry). Every page of the range becomes a *window* onto the
   * submap's page at the same distance from `offset`: it shows whatever the submap maps there,
   * now and later, and has no memory of its own. The pages get prot DEFAULT (RW), maxProt ALL,
   * the inheritance, behavior DEFAULT, alias 0, unwired; `nested` (the submap's pmap nested into
   * the parent's, `use_pmap`) is recorded when `usePmap` and `offset == 0`. `nested` is the
   * request, recorded and never cleared; it changes nothing the spec can see. (In the
   * implementation the MMU shares the submap's page-table leaves with the parent while the
   * window can be nested exactly — whole page-table leaves, offset 0, unwired — and un-nests it
   * before a clip, remove, protect or wire changes it; elsewhere each map has its own PTEs.)
   * - KERN_INVALID_ARGUMENT: NULL map or submap; bad numbers; `addr`, `size` or `offset` not
   *   page-aligned; `size == 0`; `inheritance` not SHARE or NONE (submaps are shared or
   *   omitted, invariant #20); the range wraps or is not inside the map's bounds; the window
   *   `[offset, offset + size)` is not inside the submap's bounds; `map` would reach itself
   *   through submaps (the 2000 kernel would deadlock); any page of the range is mapped.
   * - KERN_SUCCESS otherwise.
   *
   * How the other operations treat a window page: access (read_user, write_user, copyin,
   * copy_overwrite, wire, make_memory_entry) reaches the submap's page and needs the access in
   * both the window's prot and the submap page's (reference §8 #19 intended); an unmapped
   * submap page is KERN_INVALID_ADDRESS. copyin snapshots the submap's pages with the submap
   * pages' attributes; make_memory_entry names the submap's cells (reference §10.9). fork
   * shares a SHARE window and leaves out any other (reference §4.12); remap of a range holding
   * a window is KERN_INVALID_ADDRESS (reference §4.17); inherit COPY over a window is
   * KERN_INVALID_ARGUMENT (reference §4.8); protect with VM_PROT_COPY makes a window a
   * copy-on-write window (below). protect, behavior_set, wire and unwire change the window's
   * own attributes; remove drops the window, never the submap's pages.
   *
   * Copy-on-write windows (a copy-on-write submap: `needs_copy` on the submap entry, reference
   * §4.13 step 2, §4.21, §4.22). `map_memory_entry` with copy of a submap-backed entry,
   * `shared_region_map`'s data and protect with VM_PROT_COPY over a window make them; `lookup`
   * reports them (`cow` in {@link SubmapView}). Such a window reads through to the submap's
   * page like any window — later changes in the submap show through it — until a write reaches
   * the page through it. That write (write_user, store, copy_overwrite, make_memory_entry asking
   * for WRITE) first makes the page private: the page stops being a window and gets a snapshot
   * of the bytes it showed at that moment (its prot, maxProt, behavior, alias and wiring stay;
   * SHARE inheritance becomes COPY, as in the 2000 promotion), then the write lands there;
   * neither side sees the other's later writes. Where a write passes several windows, the
   * first copy-on-write one on the way goes private. Decisions:
   * - per page: the 2000 kernel promoted the whole parent entry clipped to the submap entry
   *   behind it, modern XNU a small chunk around the fault (reference §4.13); entries are not
   *   visible here, so the spec promotes exactly the pages written;
   * - protection: a write through a copy-on-write window needs WRITE in the window's prot
   *   (hence in its maxProt) and in the submap page's prot, as through any window. The 2000
   *   promotion added WRITE to the parent's prot and maxProt, so a read-only mapping (the
   *   shared data region, READ of READ) could be written (reference §4.13 "Protection through
   *   submaps", §8 #19); the spec follows the reference's recommended rule, not that quirk;
   *   protect(VM_PROT_COPY | WRITE) is how a library makes such pages writable;
   * - a wired window keeps its count and stays copy-on-write (its wiring is its own, as for
   *   every window; reference §6.4 #15 allows it); the first write promotes it, wired;
   * - fork shares a SHARE copy-on-write window as a copy-on-write window: parent and child
   *   each go private on their own first write; copyin, read_user and make_memory_entry for
   *   READ only read through it; remove, inherit, protect, behavior_set, unwire change or drop
   *   the window as for any window.
   */
  submap: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_submap (after vm_map_enter of vm_submap_object)",
    summary: "install a submap over a free range",
    args: Schema.Struct({ map: Num, addr: Num, size: Num, submap: Num, offset: Num, inheritance: Num, usePmap: Bool }),
  }),

  /**
   * Make a named entry backed by a brand-new empty map over `[0, round(size))`
   * (vm_region_object_create, reference §4.21): protection ALL, size `round(size)`. The map is
   * handed to the caller too (one reference) so it can be filled with the map operations;
   * the named entry holds a reference of its own. Mapping the entry maps the map as a submap.
   * - KERN_INVALID_ARGUMENT: bad number, `size == 0`, more than `maxObjectPages` pages (the
   *   model's bound on a memory object, as `object_create`).
   * - KERN_SUCCESS: results `entry` and `map`.
   */
  region_object_create: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_region_object_create",
    summary: "make a named entry backed by a new empty submap",
    args: Schema.Struct({ size: Num }),
  }),

  // ------------------------------------------------------- shared regions (§1.7, §4.22)
  //
  // A shared region is the shared-library area of a task: a text submap, mapped into tasks
  // truly shared (a nested-pmap submap), and a data submap, mapped as a private copy. Regions
  // are named by handles (their creation index). A region's reference count is its creator's
  // reference (`held` while the handle has it) plus one per region chained to it; the last one
  // destroys it (shared_region_deallocate). Its descriptor stays visible with reference count 0.
  // `flags` is 0 or SHARED_REGION_FULL (2): our regions are never the system region
  // (SHARED_REGION_SYSTEM), so the switch of later tasks to a fresh system region that the 2000
  // loader does for a full one (mach_loader.c) has nothing to act on; the flag is recorded and
  // reported, as shared_region_mapping_info does, and changes no later result.

  /**
   * Make a shared region (shared_region_mapping_create with its two submap-backed named
   * entries, as vm_region_object_create makes them): two new empty maps, the text submap over
   * `[0, textSize)` and the data submap over `[0, dataSize)`, each handed to the caller with
   * one reference (so the caller loads them with the map operations) while the region holds
   * references of its own; `clientBase` is where tasks map the text (data follows at
   * `clientBase + textSize`). The alternate load area starts right after the data
   * (`alternateBase = alternateNext = clientBase + textSize + dataSize`; the 2000 kernel used a
   * fixed address). Reference count 1 (`held`), depth 0, flags 0, no chain.
   * - KERN_INVALID_ARGUMENT: bad numbers; a size 0 or not page-aligned; `clientBase` not
   *   page-aligned; `clientBase + textSize + dataSize` passes 2^W.
   * - KERN_SUCCESS: results `region`, `text` and `data` (the two map handles).
   */
  shared_region_create: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "shared_region_mapping_create (+ vm_region_object_create ×2)",
    summary: "make a shared region: a text and a data submap",
    args: Schema.Struct({ textSize: Num, dataSize: Num, clientBase: Num }),
  }),
  /**
   * Map a shared region into a task's map as the loader does at exec (mach_loader.c): the text
   * submap at `clientBase`, shared (a window onto it, `nested`), prot and maxProt READ,
   * inheritance SHARE; the data at `clientBase + textSize` mapped with copy, as a copy-on-write
   * window onto the data submap (reference §4.22; see `submap`), not nested, prot and maxProt
   * READ, inheritance SHARE. A library makes its data writable with protect(VM_PROT_COPY |
   * …), as in the 2000 system; its first write to a page makes that page private.
   * - KERN_INVALID_ARGUMENT: NULL map, unknown region; the text or the data submap would reach
   *   `map`.
   * - KERN_INVALID_ADDRESS: `[clientBase, clientBase + textSize + dataSize)` not inside the map.
   * - KERN_NO_SPACE: some page of it is mapped.
   * - KERN_SUCCESS otherwise.
   */
  shared_region_map: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS", "KERN_NO_SPACE"],
    mach: "vm_map_64 of the text and data regions (load_dylinker, mach_loader.c)",
    summary: "map a shared region: text shared as a submap, data copied",
    args: Schema.Struct({ map: Num, region: Num }),
  }),
  /**
   * Chain `region` to the older region `parent` (shared_region_object_chain_attach): files
   * loaded into the parent stay visible through the chain. The chain holds a reference on the
   * parent, the parent's depth grows by one, and `region` takes over the parent's
   * `alternateNext`.
   * - KERN_INVALID_ARGUMENT: an unknown region (or one whose handle was dropped); `parent` is
   *   `region` or chained to it.
   * - KERN_FAILURE: `region` already has a chain.
   * - KERN_SUCCESS otherwise.
   */
  shared_region_attach: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_FAILURE"],
    mach: "shared_region_object_chain_attach",
    summary: "chain a shared region to an older one",
    args: Schema.Struct({ region: Num, parent: Num }),
  }),
  /**
   * Take `round(size)` bytes from the region's alternate load area, a bump allocator: the
   * result is the current `alternateNext`, which then grows by `round(size)`. This is where a
   * library is loaded when it does not fit its preferred place, so it stands for loading one.
   * - KERN_INVALID_ARGUMENT: unknown region (or its handle dropped), bad number, `size == 0`.
   * - KERN_NO_SPACE: the area would pass 2^W. The region is full: flag SHARED_REGION_FULL is
   *   set (sticky), as load_shared_file does when loading fails for space; nothing else
   *   changes. (The one failing result that changes something: the flag records the failure
   *   itself.) A full region still serves smaller requests, as in 2000.
   * - KERN_SUCCESS: result `addr`.
   */
  shared_region_alternate: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_NO_SPACE"],
    mach: "alternate_next of shared_region_mapping (vm_shared_memory_server.c)",
    summary: "allocate from a shared region's alternate load area",
    args: Schema.Struct({ region: Num, size: Num }),
  }),
  /**
   * Drop the creator's reference on a region (shared_region_mapping_dealloc); the handle is
   * unusable afterwards (`held` false). When that was the last reference — no region is chained
   * to it — the region is destroyed: its text and data submaps lose the region's references
   * (a submap that nothing else holds is destroyed with its memory), and the region it is
   * chained to loses the chain's reference, which may destroy that one in turn. A region
   * chained to lives on until its last chained region goes. The depth of a region is not
   * lowered when a region chained to it goes (the 2000 code does not). The loaded-file records
   * and the text submap's client translations the 2000 code also removes are not modelled
   * (translations follow the maps: a destroyed submap's pages leave every pmap).
   * - KERN_INVALID_ARGUMENT: unknown region, or its handle was already dropped.
   * - KERN_SUCCESS otherwise.
   */
  shared_region_deallocate: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "shared_region_mapping_dealloc",
    summary: "drop a shared region's reference (the last destroys it)",
    args: Schema.Struct({ region: Num }),
  }),

  // --------------------------------------------------------- fork and remap (§4.12, §4.17)

  /**
   * Create a child map from a parent by inheritance (vm_map_fork, reference §4.12). The child
   * has the parent's bounds and reference count 1; per mapped page of the parent:
   * SHARE → the child's page aliases the parent's cell; COPY → the child's page is a snapshot
   * (reference §8 #9 intended: a page whose maxProt lacks READ cannot be copied and is left
   * out of the child); NONE → nothing. A submap window is shared (SHARE) or left out; a SHARE
   * copy-on-write window stays one in the child (see `submap`). Child pages keep prot,
   * maxProt, inheritance, behavior and alias, unwired.
   * - KERN_INVALID_ARGUMENT: NULL map.  - KERN_SUCCESS: result `map` is the child's handle.
   */
  fork: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT"],
    mach: "vm_map_fork",
    summary: "create a child map by inheritance",
    args: Schema.Struct({ map: Num }),
  }),
  /**
   * Map `size` bytes of `srcMap` at `srcAddr` into `map` (vm_remap, reference §4.17): shared
   * (`copy` false: the new pages alias the source's cells) or copied (a snapshot).
   * 1. KERN_INVALID_ARGUMENT: NULL target or source map, bad numbers, bad mask,
   *    `inheritance > VM_INHERIT_NONE`, `size == 0`; the source range
   *    `[trunc(srcAddr), trunc(srcAddr) + round(size))` wraps; fixed mode and
   *    `trunc(addr) + round(size)` wraps.
   * 2. KERN_INVALID_ADDRESS: a page of the source range is unmapped.
   * 3. Target space as `enter` (fixed: KERN_NO_SPACE for a misaligned start or an overlap,
   *    KERN_INVALID_ADDRESS outside the map; anywhere: first fit or KERN_NO_SPACE).
   * 4. KERN_SUCCESS: each new page keeps its source page's prot, maxProt, behavior and alias,
   *    gets `inheritance`, unwired. Results: `addr`, and `cur`/`max` = the AND of the source
   *    pages' prot / maxProt.
   */
  remap: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS", "KERN_NO_SPACE"],
    mach: "vm_remap (vm_remap_extract, vm_remap_range_allocate)",
    summary: "map a range of another (or the same) map, shared or copied",
    args: Schema.Struct({
      map: Num, addr: Num, size: Num, mask: Num, anywhere: Bool,
      srcMap: Num, srcAddr: Num, copy: Bool, inheritance: Num,
    }),
  }),

  // ------------------------------------------------------------ named entries (§4.21)

  /**
   * Make a named entry granting the right to map `[trunc(addr), round(addr + size))` of a map
   * with at most `permission` (mach_make_memory_entry, reference §4.21). The entry aliases the
   * range's cells: mapping it shared shows the same bytes as the range. `permission` is masked
   * to VM_PROT_ALL as the 2000 code did. Decision: the range may span several entries (the
   * 2000 code granted at most the rest of the first entry, a boundary the spec does not have).
   * - KERN_INVALID_ARGUMENT: NULL map, bad numbers, `size == 0`, the range wraps.
   * - Walking the pages in order, the first failing page decides: unmapped →
   *   KERN_INVALID_ADDRESS; `prot` lacks `permission` → KERN_PROTECTION_FAILURE.
   * - KERN_SUCCESS: result `entry` (its handle) and `size` (the granted, page-rounded size).
   *   A `permission` with WRITE is a write fault (reference §4.21: vm_map_lookup_locked with
   *   that fault type): pages reached through a copy-on-write window are made private first,
   *   and the entry names the private pages; without WRITE it names the submap's.
   */
  make_memory_entry: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE"],
    mach: "mach_make_memory_entry",
    summary: "make a named entry for a range",
    args: Schema.Struct({ map: Num, addr: Num, size: Num, permission: Num }),
  }),
  /**
   * Map a window `[offset, offset + round(size))` of a named entry (vm_map_64 with a named
   * entry, reference §4.21), shared (aliasing the entry's cells) or as a copy (a snapshot,
   * reference §10.6).
   * 1. KERN_INVALID_ARGUMENT: NULL map, unknown entry, bad numbers, bad mask, `size == 0`,
   *    `cur`/`max` bits outside ALL, `cur ⊄ max`, `inheritance > VM_INHERIT_NONE`, `offset`
   *    not page-aligned, fixed mode and `trunc(addr) + round(size)` wraps; for an entry backed
   *    by a submap (`region_object_create`): inheritance COPY (submaps are shared or omitted,
   *    invariant #20), or a mapping (shared or a copy: both are windows) into a map the
   *    submap reaches.
   * 2. KERN_INVALID_RIGHT: `cur` or `max` not within the entry's protection.
   * 3. KERN_INVALID_ARGUMENT: the window passes the entry's size.
   * 4. Space as `enter`: KERN_NO_SPACE / KERN_INVALID_ADDRESS.
   * 5. KERN_SUCCESS: pages with prot `cur`, maxProt `max`, the inheritance, behavior DEFAULT,
   *    alias 0, unwired; result `addr`. An entry backed by a submap is mapped as a submap
   *    (vm_map_enter of the placeholder + vm_map_submap, not nested): shared, each page is a
   *    window onto the submap's page; as a copy, a copy-on-write window (reference §4.21: the
   *    submap entry gets `needs_copy`; see `submap`), which shows the submap live until the
   *    first write through it makes the page private. Every page is mapped, also those the
   *    submap does not map (an access there is KERN_INVALID_ADDRESS until it does).
   */
  map_memory_entry: op({
    codes: ["KERN_SUCCESS", "KERN_INVALID_ARGUMENT", "KERN_INVALID_RIGHT", "KERN_NO_SPACE", "KERN_INVALID_ADDRESS"],
    mach: "vm_map_64 with a named entry",
    summary: "map a named entry's window, shared or copied",
    args: Schema.Struct({
      map: Num, addr: Num, size: Num, mask: Num, anywhere: Bool,
      entry: Num, offset: Num, copy: Bool, cur: Num, max: Num, inheritance: Num,
    }),
  }),
} as const;

export type Vocabulary = typeof VOCABULARY;
export type OpName = keyof Vocabulary;
export const OP_NAMES = Object.keys(VOCABULARY) as readonly OpName[];

/** The arguments of operation `K`. */
export type OpArgs<K extends OpName> = Vocabulary[K]["args"]["Type"];

/** One command: an operation name and its arguments. */
export type Op = { [K in OpName]: { readonly op: K } & OpArgs<K> }[OpName];
export type OpOf<K extends OpName> = Extract<Op, { readonly op: K }>;

/** Results: the Mach result code plus what the operation hands back. */
interface Outcomes {
  create: { readonly map?: number };
  reference: {};
  deallocate: {};
  swapout: {};
  swapin: {};
  object_create: { readonly object?: number };
  enter: { readonly addr?: number };
  find_space: { readonly addr?: number };
  remove: {};
  protect: {};
  inherit: {};
  behavior_set: {};
  machine_attribute: {};
  wire: {};
  unwire: {};
  simplify: {};
  lookup: { readonly page?: PageAttributes | null; readonly submap?: SubmapView };
  read_user: { readonly data?: string };
  write_user: {};
  switch: {};
  load: { readonly data?: string };
  store: {};
  evict: {};
  spawn: { readonly [result: string]: unknown };
  step: {};
  copyin: { readonly copy?: number | null };
  copyin_object: { readonly copy?: number };
  copyout: { readonly addr?: number };
  copy_overwrite: {};
  copy_discard: {};
  copy_copy: { readonly copy?: number | null };
  copyin_page_list: { readonly copy?: number | null };
  copy_continue: { readonly copy?: number | null };
  copy_abort: {};
  copyout_page_list: { readonly addr?: number };
  steal_pages: {};
  page_discard: {};
  submap: {};
  region_object_create: { readonly entry?: number; readonly map?: number };
  shared_region_create: { readonly region?: number; readonly text?: number; readonly data?: number };
  shared_region_map: {};
  shared_region_attach: {};
  shared_region_alternate: { readonly addr?: number };
  shared_region_deallocate: {};
  fork: { readonly map?: number };
  remap: { readonly addr?: number; readonly cur?: number; readonly max?: number };
  make_memory_entry: { readonly entry?: number; readonly size?: number };
  map_memory_entry: { readonly addr?: number };
}
// Compile error if an operation has no outcome type.
type _OutcomesCoverVocabulary = { [K in OpName]: Outcomes[K] };
export type OpResult<K extends OpName = OpName> = { readonly kr: KernReturn } & _OutcomesCoverVocabulary[K];

/** A handler per operation: a mapped type, so a missing operation is a compile error. */
export type OpHandlers<State> = { readonly [K in OpName]: (state: State, op: OpOf<K>) => OpResult<K> };

/** Dispatch an operation to its handler. */
export function dispatch<State>(handlers: OpHandlers<State>, state: State, command: Op): OpResult {
  const handler = handlers[command.op] as (s: State, o: Op) => OpResult;
  return handler(state, command);
}

/** Schema of one command, used by counterexample files. */
export const OpSchema = Schema.Union(
  OP_NAMES.map((name) =>
    Schema.Struct({ op: Schema.Literal(name), ...(VOCABULARY[name].args as Schema.Struct<Schema.Struct.Fields>).fields }),
  ) as unknown as readonly [Schema.Top, ...Schema.Top[]],
) as unknown as Schema.Codec<Op, unknown>;
