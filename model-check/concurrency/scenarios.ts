/**
 * The small scenarios of the bounded exhaustive mode (`vmcheck check --exhaustive`): each sets a
 * world up sequentially, then gives two or three kernel threads a short program. Each one is a
 * race the reference describes (§2, §4.6, §4.10, §4.11.8, §4.13); every schedule of its threads
 * within the preemption bound is run.
 */
import { VM_INHERIT_COPY, VM_INHERIT_SHARE, VM_MAP_COPYIN_OPT_SRC_DESTROY, VM_MAP_COPYIN_OPT_STEAL_PAGES, VM_MAP_REMOVE_WAIT_FOR_KWIRE, VM_PROT_DEFAULT, VM_PROT_READ, VM_PROT_WRITE } from "../../spec/constants.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op } from "../../spec/vocabulary.ts";

export interface Scenario {
  readonly name: string;
  /** The race it is about, for reports. */
  readonly about: string;
  /** Sequential setup (map 0 is the first map created). */
  readonly prelude: readonly Op[];
  /** Each thread's operations, run in order. */
  readonly threads: readonly (readonly Op[])[];
}

const hex = (n: number, byte: number): string => byte.toString(16).padStart(2, "0").repeat(n);

export function scenarios(scope: Scope): Scenario[] {
  const P = scope.pageSize;
  const create = (pages = 16): Op => ({ op: "create", min: 0, max: pages * P });
  const enter = (map: number, addr: number, pages: number, cur = VM_PROT_DEFAULT): Op => ({
    op: "enter", map, addr, size: pages * P, mask: 0, anywhere: false, alias: 0, cur, max: 7, inheritance: VM_INHERIT_COPY, source: { kind: "anonymous" },
  });
  const write = (map: number, addr: number, byte: number): Op => ({ op: "write_user", map, addr, data: hex(4, byte) });
  const read = (map: number, addr: number): Op => ({ op: "read_user", map, addr, size: 4 });
  const load = (cpu: number, addr: number): Op => ({ op: "load", cpu, addr, size: 4 });
  const store = (cpu: number, addr: number, byte: number): Op => ({ op: "store", cpu, addr, data: hex(4, byte) });
  // CPU 1 runs map 0 and has the page at 0 in its TLB (filled by a store: writable).
  const cachedOnCpu1: Op[] = [create(), enter(0, 0, 1), { op: "switch", cpu: 1, map: 0 }, store(1, 0, 0x66)];
  // Map 0 maps two pages of a shared memory object (the first written) and, at 2P, a delayed copy
  // of them (two pages: past the kernel-buffer threshold, a copy object); CPU 1 has read the copy
  // through the original's frame: an overwrite of the original must push, and shoot CPU 1 down.
  const readerOfACopyOnCpu1: Op[] = [
    create(), { op: "object_create", size: 2 * P },
    { op: "enter", map: 0, addr: 0, size: 2 * P, mask: 0, anywhere: false, alias: 0, cur: VM_PROT_DEFAULT, max: 7, inheritance: VM_INHERIT_COPY, source: { kind: "object", object: 0, offset: 0 } },
    write(0, 0, 0x11),
    { op: "copyin", map: 0, addr: 0, size: 2 * P, srcDestroy: false, useMaxprot: false },
    { op: "copyout", map: 0, copy: 0 },
    { op: "switch", cpu: 1, map: 0 }, load(1, 2 * P),
  ];
  return [
    {
      name: "wire-vs-remove",
      about: "remove waits for an entry in transition and must look again after every wakeup (§2.3, §4.6, #28–#30)",
      prelude: [create(), enter(0, 0, 2)],
      threads: [
        [{ op: "wire", map: 0, addr: 0, size: 2 * P, access: VM_PROT_READ, user: true }, { op: "wire", map: 0, addr: 0, size: 2 * P, access: VM_PROT_READ, user: true }],
        [{ op: "remove", map: 0, addr: 0, size: 2 * P, flags: 0 }],
      ],
    },
    {
      name: "wire-unwire-remove",
      about: "three threads on one range: a wiring, an unwiring that must wait for it, a remove that must wait for both (§2.3, §4.10, #28–#31)",
      prelude: [create(), enter(0, 0, 2), { op: "wire", map: 0, addr: 0, size: P, access: VM_PROT_READ, user: true }],
      threads: [
        [{ op: "wire", map: 0, addr: 0, size: 2 * P, access: VM_PROT_READ, user: true }],
        [{ op: "unwire", map: 0, addr: 0, size: 2 * P, user: true }],
        [{ op: "remove", map: 0, addr: P, size: P, flags: 0 }],
      ],
    },
    {
      name: "overwrite-vs-protect",
      about: "copy_overwrite drops the destination's lock while it copies and must re-check it after relocking (§4.11.8, #33)",
      prelude: [create(), enter(0, 0, 1), write(0, 0, 0xab), { op: "copyin", map: 0, addr: 0, size: P, srcDestroy: false, useMaxprot: false }, enter(0, 4 * P, 1)],
      threads: [
        [{ op: "copy_overwrite", map: 0, addr: 4 * P, copy: 0, interruptible: false }],
        [{ op: "protect", map: 0, addr: 4 * P, size: P, prot: VM_PROT_READ, setMax: false }, read(0, 4 * P)],
      ],
    },
    {
      name: "write-vs-fork",
      about: "a write fault pages in with the map unlocked and must verify its lookup (needs_copy may have appeared) before writing (§4.13, #34)",
      prelude: [create(), enter(0, 0, 1), write(0, 0, 0x11)],
      threads: [
        [write(0, 0, 0x22)],
        [{ op: "fork", map: 0 }, read(1, 0)],
      ],
    },
    {
      name: "write-vs-copy-object",
      about: "a write into a shared memory object pushes the old page into its delayed copy object, which sits above it on the chain: a try-lock only (§2.4, §5.4, #35)",
      prelude: [
        create(), { op: "object_create", size: 2 * P },
        { op: "enter", map: 0, addr: 0, size: 2 * P, mask: 0, anywhere: false, alias: 0, cur: VM_PROT_DEFAULT, max: 7, inheritance: VM_INHERIT_COPY, source: { kind: "object", object: 0, offset: 0 } },
        // Two pages: past the kernel-buffer threshold, so the copy is a delayed copy object.
        { op: "copyin", map: 0, addr: 0, size: 2 * P, srcDestroy: false, useMaxprot: false },
      ],
      threads: [[write(0, 0, 0x55)], [read(0, 0)]],
    },
    {
      name: "child-remove-vs-parent-write",
      about: "removing the child's copy terminates its shadow object, locking it before the original below it, while the parent's write walks the same chain top-down (§2.4, §5.7, #35)",
      // Two pages, both written by the parent, one by the child: the child's shadow stays on the
      // chain (it neither holds its whole window nor covers every page of the original).
      prelude: [create(), enter(0, 0, 2), write(0, 0, 0x11), write(0, P, 0x12), { op: "fork", map: 0 }, write(1, 0, 0x22)],
      threads: [[{ op: "remove", map: 1, addr: 0, size: 2 * P, flags: 0 }], [write(0, 0, 0x33)]],
    },
    {
      name: "two-upgrades",
      about: "two faults upgrade the same read lock: the second upgrade fails and leaves its thread holding nothing (§2.1)",
      prelude: [create(), enter(0, 0, 1)],
      threads: [[write(0, 0, 0x33)], [write(0, 0, 0x44)]],
    },
    {
      name: "remap-both-ways",
      about: "remap holds two maps: they must be locked in increasing address order (vm_map.h, #35)",
      prelude: [create(), create(), enter(0, 0, 1), enter(1, 0, 1)],
      threads: [
        [{ op: "remap", map: 0, addr: 4 * P, size: P, mask: 0, anywhere: false, srcMap: 1, srcAddr: 0, copy: false, inheritance: VM_INHERIT_COPY }],
        [{ op: "remap", map: 1, addr: 4 * P, size: P, mask: 0, anywhere: false, srcMap: 0, srcAddr: 0, copy: false, inheritance: VM_INHERIT_COPY }],
      ],
    },
    {
      name: "swapout-vs-swapin",
      about: "residence counts change under the s_lock, a leaf; crossing zero swaps the map under its write lock, taken after the s_lock is dropped (§2.2, §4.2, #37)",
      prelude: [create(), enter(0, 0, 1), { op: "reference", map: 0 }, { op: "swapout", map: 0 }],
      threads: [[{ op: "swapout", map: 0 }], [{ op: "swapin", map: 0 }, { op: "swapin", map: 0 }]],
    },
    {
      name: "remaps-across-a-submap",
      about: "map 1 maps map 0 as a submap: two remaps between them, one each way, both lock the parent first, though its handle is the higher one (§2.4, #35)",
      prelude: [
        create(), enter(0, 0, 1), create(), enter(1, 0, 1),
        { op: "submap", map: 1, addr: 8 * P, size: 2 * P, submap: 0, offset: 0, inheritance: VM_INHERIT_SHARE, usePmap: false },
      ],
      threads: [
        [{ op: "remap", map: 0, addr: 4 * P, size: P, mask: 0, anywhere: false, srcMap: 1, srcAddr: 0, copy: false, inheritance: VM_INHERIT_COPY }],
        [{ op: "remap", map: 1, addr: 4 * P, size: P, mask: 0, anywhere: false, srcMap: 0, srcAddr: 0, copy: false, inheritance: VM_INHERIT_COPY }],
      ],
    },
    {
      name: "fault-vs-residence-count",
      about: "a residence count that does not cross zero changes under the s_lock alone: the map lock is not taken, so a fault paging in with the map unlocked finds its lookup version still valid (§2.2, §4.2, #34)",
      // A second reference: the residence count may go from 1 to 2 and back.
      prelude: [create(), enter(0, 0, 1), write(0, 0, 0x11), { op: "reference", map: 0 }],
      threads: [[write(0, 0, 0x22)], [{ op: "swapin", map: 0 }, { op: "swapout", map: 0 }]],
    },
    {
      name: "remove-vs-stale-loads",
      about: "remove waits for CPUs 1 and 2 to acknowledge its shootdown, one at a time; a CPU that has not acknowledged may load through its old TLB entry, one that has faults and waits for the map, and the frame is freed only after the last acknowledgement (§4.13, research §1.6)",
      prelude: [...cachedOnCpu1, { op: "switch", cpu: 2, map: 0 }, load(2, 0)],
      threads: [[{ op: "remove", map: 0, addr: 0, size: P, flags: 0 }], [load(1, 0)], [load(2, 0)]],
    },
    {
      name: "protect-vs-stale-store",
      about: "a store on CPU 1 takes no lock on a TLB hit: racing with protect it may still write through the old writable entry, and after protect returns it must fault (§4.13, #21)",
      prelude: cachedOnCpu1,
      threads: [[{ op: "protect", map: 0, addr: 0, size: P, prot: VM_PROT_READ, setMax: false }], [store(1, 0, 0x77)]],
    },
    {
      name: "fork-vs-stale-store",
      about: "fork write-protects the parent's page and waits for CPU 1's acknowledgement; a store through CPU 1's old writable entry meanwhile lands in the page the child now shares, which is right only because fork has not returned: the store comes first (§4.2, §4.13, research §1.6)",
      prelude: cachedOnCpu1,
      threads: [[{ op: "fork", map: 0 }, read(1, 0)], [store(1, 0, 0x77)]],
    },
    {
      name: "copyin-vs-stale-store",
      about: "copyin of two pages (past the kernel buffer) makes the source copy-on-write and waits for CPU 1 to acknowledge the write-protection; a store through the old writable entry before that is in the copy, one after it faults and copies the page (§4.11.2, §4.13)",
      prelude: [create(), enter(0, 0, 2), { op: "switch", cpu: 1, map: 0 }, store(1, 0, 0x66)],
      threads: [[{ op: "copyin", map: 0, addr: 0, size: 2 * P, srcDestroy: false, useMaxprot: false }], [store(1, 0, 0x77)]],
    },
    {
      name: "remap-copy-vs-stale-store",
      about: "a copying remap of CPU 1's page write-protects it under both map locks and waits for the acknowledgement; CPU 1's store may use its old entry until then (§4.12, §4.13)",
      prelude: [...cachedOnCpu1, create()],
      threads: [
        [{ op: "remap", map: 1, addr: 4 * P, size: P, mask: 0, anywhere: false, srcMap: 0, srcAddr: 0, copy: true, inheritance: VM_INHERIT_COPY }, read(1, 4 * P)],
        [store(1, 0, 0x77)],
      ],
    },
    {
      name: "wire-cow-vs-stale-load",
      about: "wiring a copy-on-write page for writing copies it into the parent's own frame and takes the old translation away: the wire waits for CPU 1's acknowledgement, and a load before it reads the shared frame, which holds the same bytes (§4.10, §4.13)",
      prelude: [create(), enter(0, 0, 1), write(0, 0, 0x11), { op: "fork", map: 0 }, { op: "switch", cpu: 1, map: 0 }, load(1, 0)],
      threads: [[{ op: "wire", map: 0, addr: 0, size: P, access: VM_PROT_DEFAULT, user: true }], [load(1, 0)]],
    },
    {
      name: "store-cow-vs-stale-load",
      about: "a store on CPU 2 into a page shared copy-on-write with the child copies it into a frame of its own and takes the old translation away: it waits for CPU 1's acknowledgement before it writes a byte, so a load through CPU 1's stale entry and one through CPU 2's new entry both read the bytes as they were (§4.13, research §1.6)",
      prelude: [
        create(), enter(0, 0, 1), write(0, 0, 0x11), { op: "fork", map: 0 },
        { op: "switch", cpu: 1, map: 0 }, load(1, 0), { op: "switch", cpu: 2, map: 0 },
      ],
      threads: [[store(2, 0, 0x22)], [load(1, 0)], [load(2, 0)]],
    },
    {
      name: "kernel-write-cow-vs-stale-load",
      about: "a write_user (the kernel's access, through no CPU) into a page shared copy-on-write with the child copies it for the parent and takes the old translation away: it waits for CPU 1's acknowledgement before it writes, so CPU 1's stale entry reads the bytes as they were until then (§4.13, research §1.6)",
      prelude: [create(), enter(0, 0, 1), write(0, 0, 0x11), { op: "fork", map: 0 }, { op: "switch", cpu: 1, map: 0 }, load(1, 0)],
      threads: [[write(0, 0, 0x22)], [load(1, 0)]],
    },
    {
      name: "overwrite-push-vs-stale-load",
      about: "an overwrite of shared memory writes in place: it first pushes the old page into the delayed copy object another mapping reads, takes that mapping's translation of the original away, and waits for CPU 1's acknowledgement before it writes — CPU 1's stale entry reads the original frame until then (§4.11.9, §5.4, §4.13)",
      prelude: [
        ...readerOfACopyOnCpu1,
        // One page of zeros, a kernel buffer, to write over the first.
        { op: "copyin", map: 0, addr: P, size: P, srcDestroy: false, useMaxprot: false },
      ],
      threads: [[{ op: "copy_overwrite", map: 0, addr: 0, copy: 1, interruptible: false }], [load(1, 2 * P)]],
    },
    {
      name: "remove-acks-outlive-an-overwrite-elsewhere",
      about: "remove waits for CPUs 1 and 2 one at a time; meanwhile an overwrite of map 1 hands its private destination the copy's objects, and its write commit shoots CPU 0's old translations down and completes that itself: its own requests only, so the remover still waits for both CPUs (research §1.6, §4.11.9)",
      prelude: [
        ...cachedOnCpu1, { op: "switch", cpu: 2, map: 0 }, load(2, 0),
        // Map 1: two private pages at 0 (CPU 0 maps both), and an entry-list copy of two others.
        create(), enter(1, 0, 2), enter(1, 4 * P, 2), write(1, 0, 0x11), write(1, 4 * P, 0x44),
        { op: "copyin", map: 1, addr: 4 * P, size: 2 * P, srcDestroy: false, useMaxprot: false },
        { op: "switch", cpu: 0, map: 1 }, load(0, 0), load(0, P),
      ],
      threads: [[{ op: "remove", map: 0, addr: 0, size: P, flags: 0 }], [{ op: "copy_overwrite", map: 1, addr: 0, copy: 0, interruptible: false }]],
    },
    {
      name: "overwrite-list-push-vs-stale-load",
      about: "the same with an entry-list copy of two pages (past the kernel buffer), written page by page into the shared memory object it overwrites (aligned, in place: memory others see, §4.11.9): the push, the wait for CPU 1, then the bytes (§5.4, §4.13)",
      prelude: [
        ...readerOfACopyOnCpu1,
        // Two pages of zeros, an entry list.
        enter(0, 8 * P, 2), { op: "copyin", map: 0, addr: 8 * P, size: 2 * P, srcDestroy: false, useMaxprot: false },
      ],
      threads: [[{ op: "copy_overwrite", map: 0, addr: 0, copy: 1, interruptible: false }], [load(1, 2 * P)]],
    },
    {
      name: "overwrite-unaligned-push-vs-stale-load",
      about: "the same with an entry-list copy that starts inside a page: the unaligned overwrite writes every destination page in place (§4.11.10), pushing first and waiting for CPU 1 (§5.4, §4.13)",
      prelude: [
        ...readerOfACopyOnCpu1,
        // Two pages of zeros from 4 bytes into a page: an entry list, unaligned.
        enter(0, 8 * P, 3), { op: "copyin", map: 0, addr: 8 * P + 4, size: 2 * P, srcDestroy: false, useMaxprot: false },
      ],
      threads: [[{ op: "copy_overwrite", map: 0, addr: 0, copy: 1, interruptible: false }], [load(1, 2 * P)]],
    },
    {
      name: "overwrite-moves-and-pushes-vs-stale-loads",
      about: "one aligned overwrite over a private copy-on-write page, handed the copy's object (no push, no wait of its own: its translation goes in the commit that moves), and two pages of shared memory written in place (pushed into the delayed copy CPU 1 reads, then the wait for CPU 1): only the pages written in place are made writable before the wait (§4.11.9, §4.13)",
      prelude: [
        create(), { op: "object_create", size: 2 * P }, enter(0, 0, 1), write(0, 0, 0x22),
        { op: "enter", map: 0, addr: P, size: 2 * P, mask: 0, anywhere: false, alias: 0, cur: VM_PROT_DEFAULT, max: 7, inheritance: VM_INHERIT_SHARE, source: { kind: "object", object: 0, offset: 0 } },
        write(0, P, 0x11),
        { op: "copyin", map: 0, addr: P, size: 2 * P, srcDestroy: false, useMaxprot: false },
        { op: "copyout", map: 0, copy: 0 },
        { op: "fork", map: 0 },
        { op: "switch", cpu: 1, map: 0 }, load(1, 0), load(1, 3 * P),
        enter(0, 8 * P, 3), { op: "copyin", map: 0, addr: 8 * P, size: 3 * P, srcDestroy: false, useMaxprot: false },
      ],
      threads: [[{ op: "copy_overwrite", map: 0, addr: 0, copy: 1, interruptible: false }], [load(1, 3 * P)]],
    },
    {
      name: "wire-mapped-page-vs-load",
      about: "wiring a page CPU 1 already maps with every right the wiring needs re-enters the same frame, wired, and takes nothing away: no shootdown, so the wire never waits for CPU 1 and CPU 1's load hits its entry whenever it runs (pmap_enter of the page it maps; §4.10, research §1.6)",
      prelude: cachedOnCpu1,
      threads: [[{ op: "wire", map: 0, addr: 0, size: P, access: VM_PROT_DEFAULT, user: true }], [load(1, 0)]],
    },
    {
      name: "swapout-vs-stale-load",
      about: "swapping a map out takes its translations away from every CPU and waits for the acknowledgements, holding the map's write lock; CPU 1 may load through its old entry until it acknowledges, then faults and waits for the map (§4.2, §4.13)",
      prelude: cachedOnCpu1,
      threads: [[{ op: "swapout", map: 0 }], [load(1, 0)]],
    },
    {
      name: "pageout-vs-fault-back",
      about: "pageout unmaps frame 0 and waits for CPU 1's acknowledgement; meanwhile CPU 0 faults a new page in (a free frame, not the one waiting) and then the paged-out page, which it finds still in its frame and maps again, so that frame must not be freed after the acknowledgement (research §1.6)",
      prelude: [...cachedOnCpu1, enter(0, P, 1), { op: "switch", cpu: 0, map: 0 }],
      threads: [[{ op: "evict", frame: 0 }], [store(0, P, 0x12), load(0, 0)]],
    },
    {
      name: "two-pageouts",
      about: "two pageouts wait for CPUs 1 and 2 at once; the one whose acknowledgements are all in must not free the other's frame, which a CPU may still reach through its TLB (research §1.6)",
      prelude: [create(), enter(0, 0, 2), { op: "switch", cpu: 1, map: 0 }, store(1, 0, 0x11), { op: "switch", cpu: 2, map: 0 }, store(2, P, 0x22)],
      threads: [[{ op: "evict", frame: 0 }], [{ op: "evict", frame: 1 }]],
    },
    {
      name: "fault-waits-for-deferred-frames",
      about: "with fourteen of the sixteen frames wired and two waiting for CPU 1 to acknowledge a remove's shootdown (the remover holds map 0 meanwhile), a store's fault in map 1 finds no free frame and nothing pageout may take: it waits for the acknowledgements and takes a freed frame, not one beyond the configured memory (research §1.6)",
      prelude: [
        create(32), enter(0, 0, 14), { op: "wire", map: 0, addr: 0, size: 14 * P, access: VM_PROT_DEFAULT, user: true },
        enter(0, 16 * P, 2), { op: "switch", cpu: 1, map: 0 }, store(1, 16 * P, 0x11), store(1, 17 * P, 0x22),
        create(), enter(1, 0, 1), { op: "switch", cpu: 0, map: 1 },
      ],
      threads: [[{ op: "remove", map: 0, addr: 16 * P, size: 2 * P, flags: 0 }], [store(0, 0, 0x55)]],
    },
    {
      name: "page-list-vs-remove",
      about: "a page-list copy drops its source's lock around the page faults and its continuation takes it again later: a remove of the pending source in between must make the continuation fail, not copy freed pages (§4.11.5)",
      // Four pages: a chunk of three (the scope's page-list size) and a continuation for the fourth.
      prelude: [create(), enter(0, 0, 4), write(0, 0, 0x11), write(0, 3 * P, 0x44)],
      threads: [
        [{ op: "copyin_page_list", map: 0, addr: 0, size: 4 * P, options: VM_PROT_READ }, { op: "copy_continue", copy: 0 }],
        [{ op: "remove", map: 0, addr: 3 * P, size: P, flags: 0 }],
      ],
    },
    {
      name: "page-list-copyout-vs-remove",
      about: "copyout of a page-list chain whose continuation destroys the rest of its source takes the source map too, with the destination, in address order; a remove of the pending source must wait for it or make the continuation fail (§4.11.5, §4.11.7, #35)",
      prelude: [create(), enter(0, 0, 4), write(0, 0, 0x11), write(0, 3 * P, 0x44), create(), { op: "copyin_page_list", map: 0, addr: 0, size: 4 * P, options: VM_PROT_READ | VM_MAP_COPYIN_OPT_SRC_DESTROY }],
      threads: [[{ op: "copyout_page_list", map: 1, copy: 0 }], [{ op: "remove", map: 0, addr: 3 * P, size: P, flags: 0 }]],
    },
    {
      name: "lookup-waits-for-remove",
      about: "a lookup takes a read hold, so it waits while remove holds the write lock for its shootdown acknowledgements, and then finds the entry gone (§2.1, §3.1, §4.13)",
      prelude: cachedOnCpu1,
      threads: [[{ op: "remove", map: 0, addr: 0, size: P, flags: 0 }], [{ op: "lookup", map: 0, addr: 0 }]],
    },
    {
      name: "wire-vs-page-list-steal",
      about: "a page-list copy that steals and destroys its source must wait while a wiring holds the source in transition, and look again after relocking (§2.3, §4.11.5, #28)",
      prelude: [create(), enter(0, 0, 2), write(0, 0, 0x11)],
      threads: [
        [{ op: "wire", map: 0, addr: 0, size: 2 * P, access: VM_PROT_READ, user: true }],
        [{ op: "copyin_page_list", map: 0, addr: 0, size: 2 * P, options: VM_PROT_READ | VM_MAP_COPYIN_OPT_SRC_DESTROY | VM_MAP_COPYIN_OPT_STEAL_PAGES }],
      ],
    },
    {
      name: "kernel-buffer-copyin-destroy-vs-wire",
      about: "copyin of one page (into a kernel buffer) with srcDestroy removes its source as remove with WAIT_FOR_KWIRE does: it must wait while a wiring holds the page in transition, and look again after relocking (§2.3, §4.11.2, #28)",
      prelude: [create(), enter(0, 0, 2), write(0, 0, 0x11)],
      threads: [
        [{ op: "wire", map: 0, addr: 0, size: P, access: VM_PROT_READ, user: true }],
        [{ op: "copyin", map: 0, addr: 0, size: P, srcDestroy: true, useMaxprot: false }],
      ],
    },
    {
      name: "copyin-destroy-vs-wire",
      about: "copyin of two pages (past the kernel buffer) with srcDestroy, racing a wiring of its first page that drops the map lock (§2.3, §4.11.2, #28)",
      prelude: [create(), enter(0, 0, 2), write(0, 0, 0x11)],
      threads: [
        [{ op: "wire", map: 0, addr: 0, size: P, access: VM_PROT_READ, user: true }],
        [{ op: "copyin", map: 0, addr: 0, size: 2 * P, srcDestroy: true, useMaxprot: false }],
      ],
    },
    {
      name: "remove-waits-for-kernel-unwire",
      about: "remove with WAIT_FOR_KWIRE sleeps until the kernel wiring is dropped; the unwire must wake it (§4.6, #30)",
      prelude: [create(), enter(0, 0, 1), { op: "wire", map: 0, addr: 0, size: P, access: VM_PROT_READ, user: false }],
      threads: [
        [{ op: "remove", map: 0, addr: 0, size: P, flags: VM_MAP_REMOVE_WAIT_FOR_KWIRE }],
        [{ op: "unwire", map: 0, addr: 0, size: P, user: false }],
      ],
    },
    {
      name: "remove-beside-a-wiring",
      about: "a remove of the page just below one a wiring holds in transition does not wait for it: only entries of the range count (§2.3, #28)",
      prelude: [create(), enter(0, 0, 2), write(0, 0, 0x11)],
      threads: [
        [{ op: "wire", map: 0, addr: P, size: P, access: VM_PROT_READ, user: true }],
        [{ op: "remove", map: 0, addr: 0, size: P, flags: 0 }],
      ],
    },
    {
      name: "overwrite-waits-for-wire",
      about: "copy_overwrite waits while a wiring holds its destination in transition, then overwrites the wired page (§2.3, §4.11.8, #28)",
      prelude: [create(), enter(0, 0, 2), write(0, 0, 0x11), enter(0, 4 * P, 1), write(0, 4 * P, 0x44), { op: "copyin", map: 0, addr: 4 * P, size: P, srcDestroy: false, useMaxprot: false }],
      threads: [
        [{ op: "wire", map: 0, addr: 0, size: P, access: VM_PROT_READ | VM_PROT_WRITE, user: true }],
        [{ op: "copy_overwrite", map: 0, addr: 0, copy: 0, interruptible: false }],
      ],
    },
    {
      name: "continuation-waits-for-wire",
      about: "a page-list copy's continuation takes its source map again and waits while a wiring holds the pending chunk in transition (§2.3, §4.11.5, #28)",
      prelude: [create(), enter(0, 0, 4), write(0, 0, 0x11), write(0, 3 * P, 0x44), { op: "copyin_page_list", map: 0, addr: 0, size: 4 * P, options: VM_PROT_READ }],
      threads: [
        [{ op: "wire", map: 0, addr: 3 * P, size: P, access: VM_PROT_READ, user: true }],
        [{ op: "copy_continue", copy: 0 }],
      ],
    },
    {
      name: "destroying-continuation-waits-for-wire",
      about: "the continuation of a page-list copy with SRC_DESTROY removes the source pages already copied; it waits while a wiring holds one in transition (§2.3, §4.11.5, #28)",
      prelude: [create(), enter(0, 0, 4), write(0, 0, 0x11), write(0, 3 * P, 0x44), { op: "copyin_page_list", map: 0, addr: 0, size: 4 * P, options: VM_PROT_READ | VM_MAP_COPYIN_OPT_SRC_DESTROY }],
      threads: [
        [{ op: "wire", map: 0, addr: 0, size: P, access: VM_PROT_READ, user: true }],
        [{ op: "copy_abort", copy: 0 }],
      ],
    },
    {
      name: "write-and-read-share-the-map",
      about: "a write into a page whose object exists, ending at its entry's end, needs no upgrade: it pages in under a read hold, beside a read's (§2.1, §4.13)",
      prelude: [create(), enter(0, 0, 1), write(0, 0, 0x11)],
      threads: [[write(0, P - 4, 0x22)], [read(0, 0)]],
    },
    {
      name: "page-list-copies-outside-the-map",
      about: "page-list copies of ranges below a map's lowest address (one ending right at it) fail under the write lock, with no unlocked phase: their range, clamped to the map, is empty (§4.11.5)",
      prelude: [{ op: "create", min: 4 * P, max: 16 * P }, enter(0, 4 * P, 1)],
      threads: [
        [{ op: "copyin_page_list", map: 0, addr: 0, size: P, options: VM_PROT_READ }],
        [{ op: "copyin_page_list", map: 0, addr: 3 * P, size: P, options: VM_PROT_READ }],
      ],
    },
    {
      name: "copyout-with-a-dead-continuation",
      about: "copyout of a page-list chain whose continuation's source map is gone (its references all dropped, the continuation's too) locks only its destination: there is no source left to lock (§4.11.7)",
      prelude: [create(), enter(0, 0, 4), write(0, 0, 0x11), create(), { op: "copyin_page_list", map: 0, addr: 0, size: 4 * P, options: VM_PROT_READ }, { op: "deallocate", map: 0 }, { op: "deallocate", map: 0 }],
      threads: [[{ op: "copyout_page_list", map: 1, copy: 0 }], [read(1, 0)]],
    },
    {
      name: "copyout-of-a-kernel-buffer-vs-read",
      about: "copyout of a kernel buffer maps fresh memory and writes the bytes in one commit under the write lock: a read of the new range sees it unmapped or holding the bytes, never the zero-fill between allocating and writing (§4.11.4)",
      // Four bytes: under the scope's kernel-buffer threshold, so the copy is a kernel buffer.
      prelude: [create(), enter(0, 0, 1), write(0, 0, 0x11), create(), { op: "copyin", map: 0, addr: 0, size: 4, srcDestroy: false, useMaxprot: false }],
      threads: [[{ op: "copyout", map: 1, copy: 0 }], [read(1, 0)]],
    },
    {
      name: "remove-waits-for-copyout-continuation",
      about: "copyout of a page-list chain with a continuation unlocks its destination while the continuation runs, its new range in transition: a remove of that range must wait, be woken when the transition clears, and then remove the pages copied out (§2.3, §4.11.7, #28–#30)",
      prelude: [create(), enter(0, 0, 4), write(0, 0, 0x11), write(0, 3 * P, 0x44), create(), { op: "copyin_page_list", map: 0, addr: 0, size: 4 * P, options: VM_PROT_READ }],
      threads: [[{ op: "copyout_page_list", map: 1, copy: 0 }], [{ op: "remove", map: 1, addr: 0, size: 4 * P, flags: 0 }, read(1, 3 * P)]],
    },
    {
      name: "copyout-window-from-an-unaligned-source",
      about: "copyout of a chain copied from an unaligned source not at 0 holds in transition exactly the pages it placed (from the page of the address it returns): a remove of its first page waits for the window, and a remove asleep on the kernel wiring just past them is not woken when it closes (§4.11.7, #28–#30)",
      prelude: [create(), enter(0, 2 * P, 4), write(0, 2 * P + 8, 0x11), write(0, 5 * P, 0x44), create(), enter(1, 0, 1), enter(1, 5 * P, 1), { op: "wire", map: 1, addr: 5 * P, size: P, access: VM_PROT_READ, user: false }, { op: "copyin_page_list", map: 0, addr: 2 * P + 8, size: 4 * P - 8, options: VM_PROT_READ }],
      threads: [[{ op: "copyout_page_list", map: 1, copy: 0 }], [{ op: "remove", map: 1, addr: P, size: P, flags: 0 }, { op: "remove", map: 1, addr: 5 * P, size: P, flags: VM_MAP_REMOVE_WAIT_FOR_KWIRE }]],
    },
    {
      name: "failed-copyout-of-a-chain",
      about: "a copyout of a chain with a continuation that finds no space fails with nothing left in transition: the same thread's next wiring of the destination goes ahead (§4.11.7)",
      prelude: [create(), enter(0, 0, 4), write(0, 0, 0x11), create(2), enter(1, 0, 1), { op: "copyin_page_list", map: 0, addr: 0, size: 4 * P, options: VM_PROT_READ }],
      threads: [[{ op: "copyout_page_list", map: 1, copy: 0 }, { op: "wire", map: 1, addr: 0, size: P, access: VM_PROT_READ, user: true }], [read(1, 0)]],
    },
    {
      name: "remove-asleep-while-a-wire-elsewhere-ends",
      about: "a remove asleep on a kernel wiring nobody drops stays asleep when another range's wiring ends: that range asked for no wakeup (§4.6, #30); given up at the end of the run",
      prelude: [create(), enter(0, 0, 2), { op: "wire", map: 0, addr: 0, size: P, access: VM_PROT_READ, user: false }],
      threads: [
        [{ op: "remove", map: 0, addr: 0, size: P, flags: VM_MAP_REMOVE_WAIT_FOR_KWIRE }],
        [{ op: "wire", map: 0, addr: P, size: P, access: VM_PROT_READ, user: true }],
      ],
    },
  ];
}
