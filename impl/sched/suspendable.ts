/**
 * Operations that a kernel thread runs under the scheduler, written as generators that yield
 * where the 2000 kernel could block or drop the map lock (reference §2, §4.6, §4.10, §4.11.8,
 * §4.13). Each one does its checks and its change in a *commit*: the whole sequential operation
 * of impl/ run under the lock it holds — so the checks and effects are exactly those the
 * sequential lockstep verifies — and around the commit it does what the real code does around
 * its critical sections: wait for entries in transition, put entries in transition and drop the
 * lock for the slow part, take the lock back and re-check what another thread may have changed.
 *
 * Model choices (each one keeps every completed operation equivalent to the operation alone):
 * - wire and unwire change the counters of the whole range in one commit, then hold the range
 *   in transition while the pages are faulted in (or unwired) with the map unlocked; the 2000
 *   code does this entry by entry, which makes a failing multi-entry wire visible half done.
 * - unwire, like wire, waits for entries in transition (the 2000 user unwire skips them).
 * - protect, inherit, enter, fork, swapout and swapin are one commit under the write lock,
 *   lookup one under a read hold; copyin looks under a read hold, drops it for the copy, and
 *   commits under the write lock.
 * - two maps (remap) are locked together in increasing handle order (the header's rule, #35).
 * - copyout_page_list with a continuation places every chunk in one commit holding both maps,
 *   then holds the new range in transition through an unlocked window, as the 2000 code does
 *   while the continuation runs; that code places the later chunks (or, on a failure, deletes
 *   the range) after the window: a half-done copyout, visible (the planted copyout-chunks-after-window).
 * - TLB shootdowns (§4.13, research notes §1.6): an operation committed by
 *   {@link SuspendableOps.commitAndAwait} issues its invalidations in its commit and then, still
 *   holding its locks, waits for each target CPU's acknowledgement as a suspension point; the
 *   frames it unmapped are freed only after the last one. Meanwhile other threads run, and a
 *   CPU that has not acknowledged yet may still load and store through its old TLB entry (the
 *   old state: the operation has not returned). Those that issue any (remove, protect, remap,
 *   swapout, evict; wire, which copies a copy-on-write page into the map's own frame; fork and
 *   copyin, which write-protect their source) only take translations away, reduce their rights
 *   or replace a page by a copy of the same bytes, so their commit changes no byte a stale TLB
 *   entry could show, and what they create (fork's child, copyin's copy) no other thread can
 *   reach before they return. The two that write bytes in place (a write fault,
 *   copy_overwrite) split their change instead: a first commit makes the pages they will write
 *   writable (copy-on-write resolved, old pages pushed to a delayed copy: a page replaced by a
 *   copy of the same bytes), they wait for the acknowledgements, and only then a second commit
 *   writes — the kernel writes only once the old translations are gone everywhere. That second
 *   commit is the whole sequential write (its fault half finds the pages ready); the shootdowns
 *   it still issues (the translations of a private destination handed the copy's objects, the
 *   fault of a page evicted meanwhile by pageout, which takes no map lock) complete inside it.
 * - A user load or store on a CPU first tries its TLB alone, taking no lock: on a hit it is
 *   done (loads and stores racing with an in-flight change see the old or the new state); on a
 *   miss it takes the fault path below.
 *
 * Every decision a planted bug might get wrong is a method of its own, so a test can subclass
 * {@link SuspendableOps} and replace exactly one of them.
 */
import { VM_MAP_REMOVE_KUNWIRE, VM_MAP_REMOVE_WAIT_FOR_KWIRE, VM_PROT_READ, VM_PROT_WRITE } from "../../spec/constants.ts";
import type { Op, OpOf, OpResult } from "../../spec/vocabulary.ts";
import { areWords, fromHex, isWord, pageRange, toHex, wraps } from "../args.ts";
import type { Mmu } from "../mmu/mmu.ts";
import type { Shootdown } from "../mmu/shootdown.ts";
import { sourceLive, type PageListContinuation, type PageListCopy } from "../copy/page-list.ts";
import type { Kernel } from "../kernel.ts";
import { overwritePlan, type OverwritePlan } from "../kernel-transfers.ts";
import type { VmMapEntry } from "../map/entry.ts";
import type { VmMap } from "../map/vm-map.ts";
import type { ThreadId } from "../locks/lockdep.ts";
import type { Request, Scheduler, ThreadBody } from "./scheduler.ts";
import type { LockInstance } from "../locks/lock-classes.ts";

type UserAccess = OpOf<"write_user" | "store" | "read_user" | "load">;

/** Page range `[start, end)` of an operation, clamped to the map. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

export class SuspendableOps {
  constructor(readonly kernel: Kernel) {}

  /** The generator that runs `op` on `thread`. */
  body(s: Scheduler, t: ThreadId, op: Op): ThreadBody {
    switch (op.op) {
      case "wire":
      case "unwire":
        return this.wiring(s, t, op);
      case "remove":
        return this.remove(s, t, op);
      case "copy_overwrite":
        return this.overwrite(s, t, op);
      case "write_user":
      case "store":
      case "read_user":
      case "load":
        return this.access(s, t, op);
      case "remap":
        return this.twoMaps(s, t, op, op.srcMap, op.map);
      case "lookup":
        return this.readLocked(s, t, op);
      case "copyin":
        return this.copyin(s, t, op);
      case "swapin":
      case "swapout":
        return this.residence(s, t, op);
      case "evict":
        return this.pageout(s, t, op);
      case "copyin_page_list":
        return this.pageListCopyin(s, t, op);
      case "copy_continue":
      case "copy_abort":
        return this.continuation(s, t, op);
      case "copyout_page_list":
      case "copyout":
        return this.copyout(s, t, op);
      case "enter":
      case "protect":
      case "inherit":
      case "fork":
        return this.writeLocked(s, t, op, this.kernel.mapOf(op.map));
      default:
        // steal_pages and page_discard work on a page-list copy, under no map lock; no other
        // operation reaches here (SPAWNABLE keeps them off threads).
        return this.writeLocked(s, t, op, null);
    }
  }

  // ---- one commit under one lock ----

  *writeLocked(s: Scheduler, t: ThreadId, op: Op, map: VmMap | null): ThreadBody {
    if (map === null) return s.commit(op); // bad arguments: the commit returns their code, changing nothing
    yield { kind: "write", map };
    const result = yield* this.commitAndAwait(s, t, op);
    s.unlockWrite(t, map);
    return result;
  }

  /** Pageout (`evict`) takes no map lock: it unmaps the frame everywhere and waits for the acknowledgements. */
  *pageout(s: Scheduler, t: ThreadId, op: OpOf<"evict">): ThreadBody {
    return yield* this.commitAndAwait(s, t, op);
  }

  // ---- TLB shootdown waits (§4.13) ----

  /** Commit `op`, then wait (holding whatever the caller holds) for the shootdowns it issued. */
  *commitAndAwait(s: Scheduler, t: ThreadId, op: Op): Generator<Request, OpResult, boolean> {
    const result = s.commitLeavingShootdowns(op);
    yield* this.awaitShootdowns(s, t);
    return result;
  }

  /**
   * Wait for every CPU the thread's shootdowns target: one acknowledgement per step (the CPU
   * invalidates, then acknowledges); then the frames they protect may be freed.
   */
  *awaitShootdowns(s: Scheduler, t: ThreadId): Generator<Request, void, boolean> {
    const mmu = this.kernel.mmu;
    if (mmu === null) return;
    for (let next = mmu.shootdowns.nextAck(t); next !== undefined; next = mmu.shootdowns.nextAck(t)) {
      s.acksAwaited++;
      yield { kind: "point", why: `shootdown: waiting for cpu ${next.cpu} to acknowledge` };
      this.acknowledge(mmu, next.sd, next.i);
    }
    this.freeAfterAcks(mmu);
  }

  /** Target `i` of the shootdown invalidates its TLB and acknowledges. */
  acknowledge(mmu: Mmu, sd: Shootdown, i: number): void {
    mmu.ack(sd, i);
  }

  /** Every acknowledgement is in: the frames the shootdowns protected are freed (once nobody else's is in flight). */
  freeAfterAcks(mmu: Mmu): void {
    mmu.freeDeferred();
  }

  *readLocked(s: Scheduler, t: ThreadId, op: OpOf<"lookup">): ThreadBody {
    const map = this.kernel.mapOf(op.map);
    if (map === null) return s.commit(op); // a handle that names no map: the commit returns its code
    yield { kind: "read", map };
    const result = s.commit(op);
    s.unlockRead(t, map);
    return result;
  }

  /** Two maps: both locks, taken in {@link lockOrder}, then one commit. */
  *twoMaps(s: Scheduler, t: ThreadId, op: Op, src: number, dst: number): ThreadBody {
    return yield* this.bothLocked(s, t, op, this.kernel.mapOf(src), this.kernel.mapOf(dst));
  }

  /** {@link twoMaps} for maps given directly (one may have no handle left: a continuation's source). */
  *bothLocked(s: Scheduler, t: ThreadId, op: Op, a: VmMap | null, b: VmMap | null): ThreadBody {
    if (a === null || b === null) return s.commit(op);
    const order = this.mapsToLock(a, b);
    const result = yield* this.lockedInOrder(s, t, op, order);
    this.unlockAll(s, t, order);
    return result;
  }

  /** The maps to write-lock for an operation on `a` and `b`, in {@link lockOrder} (one when they are the same map). */
  mapsToLock(a: VmMap, b: VmMap): VmMap[] {
    return a === b ? [a] : this.lockOrder(a, b);
  }

  /** Unlock what {@link lockedInOrder} locked, the last first. */
  unlockAll(s: Scheduler, t: ThreadId, order: readonly VmMap[]): void {
    for (let i = order.length - 1; i >= 0; i--) s.unlockWrite(t, order[i]!);
  }

  /** Write-lock one or two maps in the order given, then commit; the caller unlocks them. */
  *lockedInOrder(s: Scheduler, t: ThreadId, op: Op, order: readonly VmMap[]): Generator<Request, OpResult, boolean> {
    yield { kind: "write", map: order[0]! };
    // The first map is looked up before the second is locked: another thread may run here.
    if (order.length > 1) {
      yield { kind: "point", why: `${op.op}: holding map ${this.kernel.handleOf(order[0]!)}, about to lock map ${this.kernel.handleOf(order[1]!)}` };
      yield { kind: "write", map: order[1]! };
    }
    return yield* this.commitAndAwait(s, t, op);
  }

  /**
   * A parent map before its submap (§2.4); unrelated maps in increasing handle order (vm_map.h's
   * rule; handles stand for addresses).
   */
  lockOrder(src: VmMap, dst: VmMap): VmMap[] {
    if (src.reaches(dst)) return [src, dst];
    if (dst.reaches(src)) return [dst, src];
    return this.kernel.handleOf(src) < this.kernel.handleOf(dst) ? [src, dst] : [dst, src];
  }

  /**
   * copyin (§4.11.2): the source is looked at under the lock, which is dropped while pages are
   * copied (vm_object_copy_slowly / _strategically), then taken back; the commit does every
   * check again, as the 2000 code restarts its lookup when the timestamp moved.
   */
  *copyin(s: Scheduler, t: ThreadId, op: OpOf<"copyin">): ThreadBody {
    const map = this.kernel.mapOf(op.map);
    if (map === null) return s.commit(op);
    yield { kind: "read", map };
    s.unlockRead(t, map);
    yield { kind: "point", why: "copyin: copying the source's pages, map unlocked" };
    // A kernel-buffer copy that destroys its source removes it as remove with WAIT_FOR_KWIRE does.
    yield* this.lockWhenClear(s, t, map, () => this.copyinBlocker(map, op), "copyin: destroying a source with a kernel wiring or in transition");
    const result = yield* this.commitAndAwait(s, t, op);
    s.unlockWrite(t, map);
    return result;
  }

  /**
   * What a copyin with srcDestroy waits for before its commit removes the source: an entry of
   * the range in transition, as every removal does (another thread is wiring or unwiring it,
   * #28); and, for a kernel-buffer copy that will succeed, an entry keeping a kernel wiring, as
   * remove with WAIT_FOR_KWIRE does (one that fails removes nothing, so it must not wait for
   * wirings nobody may ever drop).
   */
  copyinBlocker(map: VmMap, op: OpOf<"copyin">): VmMapEntry | null {
    const range = op.srcDestroy ? this.rangeOf(map, op.addr, op.size) : undefined;
    if (range === undefined) return null;
    const kernelBuffer = op.size < this.kernel.scope.kernelBufferThreshold && !op.useMaxprot;
    const waitsForKernelWirings = kernelBuffer && map.accessible(op.addr, op.size, VM_PROT_READ);
    return this.removeBlocker(map, range, waitsForKernelWirings ? VM_MAP_REMOVE_WAIT_FOR_KWIRE : 0, false);
  }

  // ---- page-list copies (§4.11.5, §4.11.7) ----

  /**
   * copyin_page_list: the source is walked under its write lock, which is dropped around the
   * page faults and taken back; the commit then does every check again (the 2000 code re-looks
   * the range up after relocking: KERN_INVALID_ADDRESS if it vanished). The walk steals, unwires
   * and (SRC_DESTROY) deletes source entries, so like remove it first waits until no entry of
   * the range is in transition.
   */
  *pageListCopyin(s: Scheduler, t: ThreadId, op: OpOf<"copyin_page_list">): ThreadBody {
    const map = this.kernel.mapOf(op.map);
    const range = map === null ? undefined : this.rangeOf(map, op.addr, op.size);
    if (map === null || range === undefined) return yield* this.writeLocked(s, t, op, map);
    const why = "copyin_page_list: an entry of the source is in transition";
    const blocker = () => this.pageListBlocker(map, range);
    yield* this.lockWhenClear(s, t, map, blocker, why);
    s.unlockWrite(t, map);
    yield { kind: "point", why: "copyin_page_list: faulting the source pages in, map unlocked" };
    yield* this.lockWhenClear(s, t, map, blocker, why);
    const result = s.commit(op);
    s.unlockWrite(t, map);
    return result;
  }

  /**
   * What a page-list copyin waits for before its walk: an entry of the source in transition
   * (another thread is wiring or unwiring it; stealing would unwire it and SRC_DESTROY delete
   * it, #28). Asked again after relocking: a wiring may have started while the map was unlocked.
   */
  pageListBlocker(map: VmMap, range: Range): VmMapEntry | null {
    return this.inTransitionIn(map, range);
  }

  /**
   * copy_continue and copy_abort run the page list's continuation
   * (`vm_map_copyin_page_list_cont`): it takes the continuation's source map like
   * copyin_page_list (the next chunk, or the pending SRC_DESTROY removal), waiting for entries
   * in transition in both ranges. One commit; the copy is looked at again in it.
   */
  *continuation(s: Scheduler, t: ThreadId, op: OpOf<"copy_continue" | "copy_abort">): ThreadBody {
    const cont = this.continuationOf(op.copy);
    if (cont === null) return s.commit(op); // no continuation: the commit returns the code, changing nothing
    const { map } = cont;
    const busy = (): VmMapEntry | null =>
      this.inTransitionIn(map, { start: cont.start, end: cont.end }) ?? this.inTransitionIn(map, { start: cont.destroyStart, end: cont.destroyEnd });
    yield* this.lockWhenClear(s, t, map, busy, `${op.op}: an entry of the continuation's source is in transition`);
    const result = s.commit(op);
    s.unlockWrite(t, map);
    return result;
  }

  /** The continuation of page list `copy`, if it is one with a live source map. */
  continuationOf(copy: number | null): PageListContinuation | null {
    const c = this.kernel.copyOf(copy);
    const cont = c?.kind === "page_list" ? c.cont : null;
    return cont !== null && sourceLive(this.kernel, cont) ? cont : null;
  }

  /**
   * copyout and copyout_page_list (§4.11.6, §4.11.7): one commit under the destination's write
   * lock. A page-list chain with a continuation also takes the continuation's source map, both
   * in {@link lockOrder}, for one commit that places every chunk. Then, as the 2000 code does
   * while a continuation runs, the destination is unlocked with its new range in transition
   * (which blocks removes, wirings and copies of it meanwhile), locked again, and the transition
   * cleared with a wakeup. What is done otherwise: the 2000 code places the later chunks after
   * that window, and a continuation that fails in it deletes the new range; here the commit has
   * already placed them (so the operation stays one atomic step, as the spec describes it; the
   * 2000 order is a planted bug). An entry list or an object is mapped under the write lock in
   * the 2000 code too (it would sleep only for wait_for_space, not modelled); a kernel buffer
   * there is allocated, the map unlocked, and the bytes written as a user access, so a read in
   * between finds zero-fill: here the commit writes them (the planted
   * copyout-writes-after-allocating has the 2000 order).
   */
  *copyout(s: Scheduler, t: ThreadId, op: OpOf<"copyout_page_list" | "copyout">): ThreadBody {
    const dst = this.kernel.mapOf(op.map);
    const cont = this.continuationOf(op.copy);
    if (cont === null || dst === null) return yield* this.writeLocked(s, t, op, dst);
    const chain = this.kernel.copyOf(op.copy) as PageListCopy;
    const order = this.mapsToLock(cont.map, dst);
    const result = yield* this.lockedInOrder(s, t, op, order);
    if (result.kr === "KERN_SUCCESS") {
      // The new range: the chain's pages, placed from the page of the address returned.
      const span = pageRange(this.kernel.scope, chain.offset, chain.size)!;
      const start = (result as OpResult<"copyout_page_list"> & { addr: number }).addr - (chain.offset - span.start);
      s.markTransition(t, dst, start, start + span.end - span.start);
    }
    this.unlockAll(s, t, order);
    if (result.kr !== "KERN_SUCCESS") return result;
    yield* this.closeWindow(s, t, dst, "copyout_page_list: the continuation runs, the destination unlocked with its new range in transition");
    return result;
  }

  // ---- residence (§2.2, §4.2) ----

  /**
   * `vm_map_res_reference` / `_res_deallocate`: the counts are changed under the map's s_lock, a
   * leaf lock. When the count crosses zero the map must be swapped in or out under its write
   * lock, so the s_lock is dropped first, then the map locked (the count is looked at again in
   * the commit: another thread may have crossed zero meanwhile).
   */
  *residence(s: Scheduler, t: ThreadId, op: OpOf<"swapin" | "swapout">): ThreadBody {
    const map = this.kernel.mapOf(op.map);
    if (map === null) return s.commit(op);
    const sLock: LockInstance = { cls: "s_lock", id: this.kernel.handleOf(map) };
    yield { kind: "mutex", lock: sLock };
    const crosses = op.op === "swapin" ? map.resCount === 0 : map.resCount === 1;
    if (!crosses) {
      const result = s.commit(op);
      s.unlockMutex(t, sLock);
      return result;
    }
    yield* this.fromSLockToMapLock(s, t, sLock, map);
    const result = yield* this.commitAndAwait(s, t, op);
    s.unlockWrite(t, map);
    return result;
  }

  /** The s_lock is a leaf: it is released before the map lock is taken (§2.2). */
  *fromSLockToMapLock(s: Scheduler, t: ThreadId, sLock: LockInstance, map: VmMap): Generator<Request, void, boolean> {
    s.unlockMutex(t, sLock);
    yield { kind: "write", map };
  }

  // ---- waiting for entries in transition (§2.3) ----

  /**
   * The operation's page range clamped to the map, or undefined (bad arguments, nothing asked
   * for, empty after clamping — a size of 0 at an unaligned address still rounds to a page): the
   * caller then leaves every check to its commit, under the lock, and waits for nothing.
   */
  rangeOf(map: VmMap, addr: number, size: number): Range | undefined {
    if (size === 0 || !areWords(this.kernel.scope, addr, size)) return undefined;
    const r = pageRange(this.kernel.scope, addr, size);
    if (r === undefined) return undefined;
    const start = Math.max(r.start, map.min), end = Math.min(r.end, map.max);
    return start < end ? { start, end } : undefined;
  }

  /** The first entry meeting `[start, end)` that is in transition. */
  inTransitionIn(map: VmMap, range: Range): VmMapEntry | null {
    const r = map.lookupEntry(range.start);
    const header = map.store.header;
    for (let x = r.found ? r.entry : r.entry.next; x !== header && x.start < range.end; x = x.next) if (x.inTransition) return x;
    return null;
  }

  /**
   * Take the write lock with no entry of `range` in transition: while one is, ask for a
   * wakeup on it, release the lock and sleep; after the wakeup, take the lock and look again.
   */
  *lockOutOfTransition(s: Scheduler, t: ThreadId, map: VmMap, range: Range, why: string): Generator<Request, void, boolean> {
    yield* this.lockWhenClear(s, t, map, () => this.inTransitionIn(map, range), why);
  }

  /**
   * Take the write lock at a moment `blocker` finds nothing to wait for. While it finds an
   * entry: ask for a wakeup on it, release the lock, sleep (the reason holds while `blocker`
   * still finds one), take the lock again and ask again — `blocker` is told it runs after a
   * wakeup, since the entry may have been put back in transition meanwhile.
   */
  *lockWhenClear(s: Scheduler, t: ThreadId, map: VmMap, blocker: (afterWakeup: boolean) => VmMapEntry | null, why: string): Generator<Request, void, boolean> {
    let woken = false;
    for (;;) {
      yield { kind: "write", map };
      const busy = blocker(woken);
      if (busy === null) return;
      busy.needsWakeup = true;
      s.unlockWrite(t, map);
      yield { kind: "sleep", map, why, reason: () => blocker(false) !== null };
      woken = true;
    }
  }


  // ---- wire and unwire (§4.10) ----

  *wiring(s: Scheduler, t: ThreadId, op: OpOf<"wire" | "unwire">): ThreadBody {
    const map = this.kernel.mapOf(op.map);
    if (map === null) return s.commit(op);
    const range = this.rangeOf(map, op.addr, op.size);
    if (range === undefined) return yield* this.writeLocked(s, t, op, map); // bad or empty range: checked under the lock
    yield* this.lockOutOfTransition(s, t, map, range, `${op.op}: an entry of the range is in transition`);
    const result = yield* this.commitAndAwait(s, t, op);
    if (result.kr !== "KERN_SUCCESS") {
      s.unlockWrite(t, map);
      return result;
    }
    s.markTransition(t, map, range.start, range.end);
    s.unlockWrite(t, map);
    yield* this.closeWindow(s, t, map, op.op === "wire" ? "wire: pages faulted in, map unlocked" : "unwire: pages unwired, map unlocked");
    return result;
  }

  /**
   * The end of an unlocked window (the caller has put a range of `map` in transition and
   * dropped its locks): suspended at `why`, then `map` locked again, the transition cleared and
   * its waiters woken after the unlock.
   */
  *closeWindow(s: Scheduler, t: ThreadId, map: VmMap, why: string): Generator<Request, void, boolean> {
    yield { kind: "point", why };
    yield { kind: "write", map };
    const owed = s.clearTransition(t);
    s.unlockWrite(t, map);
    if (owed) this.wakeWaiters(s, map);
  }

  /** `vm_map_entry_wakeup` after clearing a transition someone waits on (#30). */
  wakeWaiters(s: Scheduler, map: VmMap): void {
    s.wakeup(map);
  }

  // ---- remove (§4.6) ----

  *remove(s: Scheduler, t: ThreadId, op: OpOf<"remove">): ThreadBody {
    const map = this.kernel.mapOf(op.map);
    if (map === null) return s.commit(op);
    const range = this.rangeOf(map, op.addr, op.size);
    if (range === undefined) return yield* this.writeLocked(s, t, op, map);
    yield* this.lockWhenClear(s, t, map, (afterWakeup) => this.removeBlocker(map, range, op.flags, afterWakeup), "remove: waiting for an entry in transition or a kernel wiring");
    const result = yield* this.commitAndAwait(s, t, op);
    s.unlockWrite(t, map);
    return result;
  }

  /**
   * What a remove must wait for before deleting: an entry in transition, or (WAIT_FOR_KWIRE) an
   * entry that would keep a kernel wiring. Asked again after every wakeup: the entry may have
   * been put in transition again by someone else meanwhile.
   */
  removeBlocker(map: VmMap, range: Range, flags: number, _afterWakeup: boolean): VmMapEntry | null {
    const busy = this.inTransitionIn(map, range);
    if (busy !== null || (flags & VM_MAP_REMOVE_WAIT_FOR_KWIRE) === 0) return busy;
    const kunwire = (flags & VM_MAP_REMOVE_KUNWIRE) !== 0;
    const r = map.lookupEntry(range.start);
    const header = map.store.header;
    for (let x = r.found ? r.entry : r.entry.next; x !== header && x.start < range.end; x = x.next)
      if (map.wiringsLeftByRemove(x, kunwire) > 0) return x;
    return null;
  }

  // ---- copy_overwrite (§4.11.8) ----

  *overwrite(s: Scheduler, t: ThreadId, op: OpOf<"copy_overwrite">): ThreadBody {
    const map = this.kernel.mapOf(op.map);
    if (map === null) return s.commit(op);
    const range = this.rangeOf(map, op.addr, 1) ?? { start: op.addr, end: op.addr };
    yield* this.lockOutOfTransition(s, t, map, range, "copy_overwrite: the destination is in transition");
    let plan = s.inCommit(() => overwritePlan(this.kernel, op));
    if (plan.apply === undefined) {
      s.unlockWrite(t, map);
      return plan.result;
    }
    const stamp = map.timestamp;
    s.unlockWrite(t, map);
    yield { kind: "point", why: "copy_overwrite: source pages copied, destination unlocked" };
    yield { kind: "write", map };
    // (The copy, which is not under the map lock, is looked at by applyOverwrite, after its wait.)
    if (!this.unchangedSince(map, stamp)) plan = this.recheckOverwrite(s, op, plan);
    const result = yield* this.applyOverwrite(s, t, op, plan);
    s.unlockWrite(t, map);
    return result;
  }

  /**
   * The change of a checked overwrite, holding the write lock: the pages it writes in place are
   * made writable in a commit of their own, the shootdowns that took old translations away are
   * waited for — a CPU not yet acknowledged may still read an old frame, which is right only
   * while no byte was written — and then the bytes land. The copy is not under the map lock:
   * another thread may have consumed it while this one was unlocked or waiting (in Mach a copy
   * belongs to one caller; here a handle is shared), so it is looked at after the wait, whatever
   * the timestamp. (Making the destination writable first, with a copy consumed meanwhile, only
   * resolved copy-on-write early: the same bytes.)
   */
  *applyOverwrite(s: Scheduler, t: ThreadId, op: OpOf<"copy_overwrite">, checked: OverwritePlan): Generator<Request, OpResult, boolean> {
    if (checked.apply === undefined) return checked.result;
    s.inCommitLeavingShootdowns(checked.prepare);
    yield* this.awaitShootdowns(s, t);
    const copyGone = op.copy !== null && this.kernel.usableCopyOf(op.copy) === undefined;
    const plan = copyGone ? this.recheckOverwrite(s, op, checked) : checked;
    return plan.apply === undefined ? plan.result : s.inCommit(plan.apply);
  }

  /** After relocking: nobody else took the write lock iff the timestamp moved by exactly our own acquisition (#33). */
  unchangedSince(map: VmMap, stamp: number): boolean {
    return map.timestamp === stamp + 1;
  }

  /** Someone wrote meanwhile: every check of the destination again (mapped, writable, not permanent). */
  recheckOverwrite(s: Scheduler, op: OpOf<"copy_overwrite">, _first: OverwritePlan): OverwritePlan {
    return s.inCommit(() => overwritePlan(this.kernel, op));
  }

  // ---- user access: the fault path's read lock and upgrade (§2.1, §4.13) ----

  *access(s: Scheduler, t: ThreadId, op: UserAccess): ThreadBody {
    const map = op.op === "store" || op.op === "load" ? this.kernel.cpuRunning(op.cpu) : this.kernel.mapOf(op.map);
    if (map === null) return s.commit(op);
    const hit = this.tlbHit(map, op);
    if (hit !== undefined) return hit;
    for (;;) {
      yield { kind: "read", map };
      if (!this.needsUpgrade(map, op)) {
        // The fault finds everything in place: it pages in with the map unlocked, then verifies
        // its lookup version (vm_map_verify, #34) before it writes.
        const version = map.timestamp;
        s.unlockRead(t, map);
        yield { kind: "point", why: `${op.op}: paging in, map unlocked` };
        yield { kind: "read", map };
        if (!this.versionStillValid(map, version, op)) {
          s.unlockRead(t, map);
          continue; // the map changed: look up again
        }
        const result = yield* this.faultThenWrite(s, t, map, op, () => this.writeUnderRead(s, op));
        s.unlockRead(t, map);
        return result;
      }
      // A new object or a shadow is needed: the read hold must become the write lock.
      yield { kind: "point", why: `${op.op}: about to upgrade the map lock` };
      const upgraded: boolean = yield { kind: "upgrade", map };
      if (!upgraded && this.retryAfterFailedUpgrade()) continue; // the read hold is gone: start over
      const result = yield* this.faultThenWrite(s, t, map, op, () => s.commit(op));
      s.unlockWrite(t, map);
      return result;
    }
  }

  /**
   * A CPU's load or store that hits its TLB on every page: done without any lock (the MMU does
   * not ask the map). Undefined for anything else — a miss, a kernel access, bad arguments.
   */
  tlbHit(map: VmMap, op: UserAccess): OpResult | undefined {
    const mmu = this.kernel.activeMmu;
    if (mmu === null || (op.op !== "load" && op.op !== "store")) return undefined;
    const { scope } = this.kernel;
    const cpu = mmu.cpus[op.cpu]!;
    if (op.op === "load") {
      if (!areWords(scope, op.addr, op.size) || op.size === 0 || wraps(scope, op.addr, op.size)) return undefined;
      const bytes = mmu.read(cpu, map, op.addr, op.size, true);
      return bytes === undefined ? undefined : { kr: "KERN_SUCCESS", data: toHex(bytes) };
    }
    const bytes = fromHex(op.data);
    if (bytes === undefined || bytes.length === 0 || !isWord(scope, op.addr) || wraps(scope, op.addr, bytes.length)) return undefined;
    return mmu.write(cpu, map, op.addr, bytes, true) ? { kr: "KERN_SUCCESS" } : undefined;
  }

  /**
   * The fault changes the map when a write must create an object or resolve copy-on-write, or
   * (through the MMU) a read must create the zero-fill object it maps.
   */
  needsUpgrade(map: VmMap, op: UserAccess): boolean {
    const write = op.op === "store" || op.op === "write_user";
    const size = write ? op.data.length / 2 : op.size;
    if (!Number.isInteger(size) || size <= 0 || !Number.isInteger(op.addr)) return false;
    // A failing access may still have faulted in its first pages (objects created): take the write lock.
    if (!map.accessible(op.addr, size, write ? VM_PROT_WRITE : VM_PROT_READ)) return true;
    // A write through a copy-on-write submap promotes the page: the parent is changed (§4.13 step 2).
    if (write && map.writePromotes(op.addr, size)) return true;
    const throughMmu = this.kernel.activeMmu !== null;
    let upgrade = false;
    map.forEachPiece(op.addr, size, (e, _a, _n, _at, owner) => {
      if (write ? owner.writeNeedsUpgrade(e) : throughMmu && e.object === null) upgrade = true;
    });
    return upgrade;
  }

  /**
   * The end of a fault, holding the map lock: a write's pages are first faulted in for writing in
   * a commit of its own ({@link faultForWrite}), and the shootdowns that took old translations
   * away are waited for before `finish` writes a byte — a CPU not yet acknowledged may still read
   * the old frame through its stale entry, which is right only while nothing was written. A
   * read, and a write that faults for good, just commit `finish`.
   */
  *faultThenWrite(s: Scheduler, t: ThreadId, map: VmMap, op: UserAccess, finish: () => OpResult): Generator<Request, OpResult, boolean> {
    this.faultForWrite(s, map, op);
    yield* this.awaitShootdowns(s, t);
    return finish();
  }

  /**
   * A write's fault half (copy-on-write resolved, pushes done, translations entered, no byte
   * written), its shootdowns left in flight for this thread to wait for. Nothing for a read,
   * without the MMU, or for arguments the write refuses before it faults: no bytes, an address
   * that is not a word. (A range past 2^W is refused by the MMU's accessibility test: no map
   * reaches there.)
   */
  faultForWrite(s: Scheduler, map: VmMap, op: UserAccess): void {
    const mmu = this.kernel.activeMmu;
    if (mmu === null || (op.op !== "store" && op.op !== "write_user")) return;
    const bytes = fromHex(op.data);
    if (bytes === undefined || bytes.length === 0 || !isWord(this.kernel.scope, op.addr)) return;
    const cpu = op.op === "store" ? mmu.cpus[op.cpu]! : null;
    s.inCommitLeavingShootdowns(() => mmu.faultForWrite(cpu, map, op.addr, bytes.length));
  }

  /** The lookup version is valid iff no write lock was taken since (#34). */
  versionStillValid(map: VmMap, version: number, _op: UserAccess): boolean {
    return map.timestamp === version;
  }

  /** The write the fault does under the read hold (nothing in the map changes). */
  writeUnderRead(s: Scheduler, op: UserAccess): OpResult {
    return s.commit(op);
  }

  /** A failed upgrade left the thread with no lock: it must take the read lock again and restart. */
  retryAfterFailedUpgrade(): boolean {
    return true;
  }
}
