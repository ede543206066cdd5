/**
 * Planted concurrency bugs (issue 5): each a subclass of SuspendableOps (impl/sched/suspendable.ts)
 * that gets one re-check wrong after the map lock was dropped and taken back — the class of bug
 * behind most famous Mach VM races. They run in the `concurrency` profile.
 */
import { SuspendableOps, type Range } from "../../impl/sched/suspendable.ts";
import type { Request, Scheduler } from "../../impl/sched/scheduler.ts";
import type { ThreadId } from "../../impl/locks/lockdep.ts";
import type { LockInstance } from "../../impl/locks/lock-classes.ts";
import type { OverwritePlan } from "../../impl/kernel-transfers.ts";
import type { VmMap } from "../../impl/map/vm-map.ts";
import type { VmMapEntry } from "../../impl/map/entry.ts";
import { fromHex, pageRange } from "../../impl/args.ts";
import { ObjectLayer } from "../../impl/object/object-layer.ts";
import type { VmObject } from "../../impl/object/vm-object.ts";
import type { OpOf, OpResult } from "../../spec/vocabulary.ts";
import { Mmu } from "../../impl/mmu/mmu.ts";
import type { ResolvedPage } from "../../impl/fault/fault.ts";
import type { Pmap } from "../../impl/pmap/pmap.ts";
import type { Shootdown } from "../../impl/mmu/shootdown.ts";
import type { HeldPage } from "../../impl/object/vm-object.ts";
import { finishContinuation, stealPages, takeChunk, type PageListContinuation } from "../../impl/copy/page-list.ts";
import { VM_MAP_COPYIN_OPT_VM_PROT, VM_PROT_WRITE } from "../../spec/constants.ts";

/** After waking up, remove deletes at once: it does not look again for an entry in transition. */
export class RemoveSkipsRecheckAfterWakeup extends SuspendableOps {
  override removeBlocker(map: VmMap, range: Range, flags: number, afterWakeup: boolean): VmMapEntry | null {
    return afterWakeup ? null : super.removeBlocker(map, range, flags, afterWakeup);
  }
}

/** After relocking, overwrite checks only that the destination is still mapped, not that it is still writable. */
export class OverwriteSkipsProtectionRecheck extends SuspendableOps {
  override recheckOverwrite(s: Scheduler, op: OpOf<"copy_overwrite">, first: OverwritePlan): OverwritePlan {
    const map = this.kernel.mapOf(op.map)!;
    const copyUsable = op.copy === null || this.kernel.usableCopyOf(op.copy) !== undefined;
    return copyUsable && map.lookupEntry(op.addr).found ? first : super.recheckOverwrite(s, op, first);
  }
}

/** After relocking, overwrite compares against a timestamp it re-read under the new lock: it never sees another writer. */
export class OverwriteTrustsStaleTimestamp extends SuspendableOps {
  override unchangedSince(): boolean {
    return true;
  }
}

/**
 * After its unlocked page-in, the write fault trusts its first lookup although the map changed
 * (a fork made the entry needs_copy meanwhile): it writes into the object it found, shared now.
 */
export class WriteIgnoresNewNeedsCopy extends SuspendableOps {
  override versionStillValid(): boolean {
    return true;
  }
  override writeUnderRead(s: Scheduler, op: OpOf<"write_user" | "store" | "read_user" | "load">): OpResult {
    if (op.op !== "write_user") return super.writeUnderRead(s, op);
    const map = this.kernel.mapOf(op.map)!;
    const bytes = fromHex(op.data);
    if (bytes === undefined || !map.accessible(op.addr, bytes.length, 2)) return super.writeUnderRead(s, op);
    // What the stale lookup believed: an object in place and no copy-on-write pending.
    let changed = false;
    map.forEachPiece(op.addr, bytes.length, (e) => {
      if (e.needsCopy && e.object !== null) changed = true;
    });
    if (!changed) return super.writeUnderRead(s, op);
    const ps = map.pageSize;
    map.forEachPiece(op.addr, bytes.length, (e, a, n, at, owner) => {
      const index = owner.pageIndex(e, a - (a % ps));
      owner.layer.makeResident(e.object!, index);
      e.object!.pageForWrite(index).set(bytes.subarray(at, at + n), a % ps);
    });
    return { kr: "KERN_SUCCESS" };
  }
}

/** remap locks its source map, then the destination, whatever their order (the header says: increasing address). */
export class RemapLocksSourceFirst extends SuspendableOps {
  override lockOrder(src: VmMap, dst: VmMap): VmMap[] {
    return [src, dst];
  }
}

/** Clearing in_transition after wiring or unwiring, the thread forgets the wakeup a waiter asked for. */
export class WakeupForgotten extends SuspendableOps {
  override wakeWaiters(): void {}
}

/**
 * A user load or store never translates from the TLB alone: it always takes the map's read lock
 * first, so it waits behind a kernel operation holding the map, and can never see the old
 * translation while a shootdown is in flight. Every result is still linearizable.
 */
export class TlbHitTakesMapLock extends SuspendableOps {
  override tlbHit(): OpResult | undefined {
    return undefined;
  }
}

/** A failed read-to-write upgrade is taken for success: the thread goes on as if it held the write lock. */
export class FailedUpgradeTakenAsSuccess extends SuspendableOps {
  override retryAfterFailedUpgrade(): boolean {
    return false;
  }
}

/** Swapping a map in or out, the thread takes the map lock while still holding the map's s_lock (a leaf). */
export class MapLockedUnderSLock extends SuspendableOps {
  override *fromSLockToMapLock(s: Scheduler, t: ThreadId, sLock: LockInstance, map: VmMap): Generator<Request, void, boolean> {
    yield { kind: "write", map };
    s.unlockMutex(t, sLock);
  }
}

/** A write's push into the delayed copy object takes that object's lock blocking, though it sits above the held original. */
export class CopyObjectLockedBlocking extends ObjectLayer {
  override lockCopyObject(c: VmObject): void {
    this.lockHooks?.lock(c, false);
  }
}

/** Waiting for the shootdown's acknowledgements, the thread frees the frames it unmapped before the first one arrives. */
export class FramesFreedBeforeAcks extends SuspendableOps {
  override *awaitShootdowns(s: Scheduler, t: ThreadId): Generator<Request, void, boolean> {
    const mmu = this.kernel.mmu;
    if (mmu !== null) for (const f of mmu.shootdowns.deferredFrees.splice(0)) mmu.freeFrame(f);
    yield* super.awaitShootdowns(s, t);
  }
}

/**
 * A write fault commits like the operations that only take translations away — fault and write
 * in one commit, then the wait for the acknowledgements of the shootdown that took the old
 * translation away: a CPU not yet acknowledged reads the old frame after another has read the
 * new bytes.
 */
export class WriteBeforeShootdownAcks extends SuspendableOps {
  override *faultThenWrite(s: Scheduler, t: ThreadId, _map: VmMap, op: OpOf<"write_user" | "store" | "read_user" | "load">): Generator<Request, OpResult, boolean> {
    const result = s.commitLeavingShootdowns(op);
    yield* this.awaitShootdowns(s, t);
    return result;
  }
}

/**
 * An overwrite that writes in place commits like the operations that only take translations
 * away — pushes and bytes in one commit, then the wait for the acknowledgements: a CPU not yet
 * acknowledged reads the new bytes through its stale entry of a mapping that must keep the old.
 */
export class OverwriteBeforeShootdownAcks extends SuspendableOps {
  override *applyOverwrite(s: Scheduler, t: ThreadId, _op: OpOf<"copy_overwrite">, plan: OverwritePlan): Generator<Request, OpResult, boolean> {
    if (plan.apply === undefined) return plan.result;
    const result = s.inCommitLeavingShootdowns(() => (plan.prepare(), plan.apply()));
    yield* this.awaitShootdowns(s, t);
    return result;
  }
}

/** A target CPU is counted as acknowledged without having invalidated its TLB (its interrupt was never sent). */
export class AckWithoutInvalidation extends SuspendableOps {
  override acknowledge(mmu: Mmu, sd: Shootdown, i: number): void {
    sd.acked[i] = true;
    if (!sd.acked.every(Boolean)) return;
    mmu.shootdowns.inFlight.splice(mmu.shootdowns.inFlight.indexOf(sd), 1);
  }
}

/** Terminating an object, the layer locks its shadow (below it) before the object itself: bottom-up along the chain. */
export class TerminateLocksShadowFirst extends ObjectLayer {
  override terminateLocks(x: VmObject, shadow: VmObject | null): VmObject[] {
    return shadow === null ? [x] : [shadow, x];
  }
}

/** Terminating an object, the layer locks only the dying object, not the shadow whose copy link and reference count it changes. */
export class TerminateLeavesShadowUnlocked extends ObjectLayer {
  override terminateLocks(x: VmObject): VmObject[] {
    return [x];
  }
}

/** A quick (symmetric) copy takes the object's lock for the new reference and never releases it. */
export class QuickCopyKeepsLock extends ObjectLayer {
  override copyQuickly(o: VmObject): boolean {
    if (o.strategy !== "symmetric") return false;
    this.lockHooks?.lock(o);
    o.reference();
    o.shadowed = true;
    return true;
  }
}

/** A page-list copyin walks (steals, destroys) its source without waiting for entries another thread holds in transition. */
export class PageListIgnoresTransition extends SuspendableOps {
  override pageListBlocker(): VmMapEntry | null {
    return null;
  }
}

/**
 * pmap_enter puts the page it maps on the active queue while it holds its pmap lock: the
 * page-queues lock under a pmap lock, where pageout takes pmap locks under the page-queues
 * lock (an ABBA deadlock between a faulting thread and pageout). The reference gives the pmap
 * lock no rank, so no fixed rule forbids either order: only the class-order graph, learning
 * both, can see it.
 */
export class PmapEnterTakesPageQueues extends Mmu {
  override enter(pmap: Pmap, vpn: number, page: ResolvedPage): void {
    this.lockHooks?.lock("pmap", pmap.asid);
    this.lockHooks?.lock("page_queues", 0);
    this.lockHooks?.unlock("page_queues", 0);
    this.lockHooks?.unlock("pmap", pmap.asid);
    super.enter(pmap, vpn, page);
  }
}

/**
 * copyout_page_list in the 2000 code's order (§4.11.7): the whole new range is mapped and the
 * first page list placed; then, the destination unlocked and the range in transition, the
 * continuation runs, and only after relocking are its chunks placed — or, when it fails, the
 * new range deleted. A read of a later page in that window finds zero-fill, and a failing
 * continuation takes back a range others saw mapped: neither is the atomic copyout of the spec
 * (and of impl/sched/suspendable.ts, which places every chunk in its first commit).
 */
export class CopyoutChunksAfterWindow extends SuspendableOps {
  override *copyout(s: Scheduler, t: ThreadId, op: OpOf<"copyout_page_list" | "copyout">): Generator<Request, OpResult, boolean> {
    const k = this.kernel;
    const dst = k.mapOf(op.map);
    const cont = this.continuationOf(op.copy);
    const copy = k.copyOf(op.copy);
    if (dst === null || cont === null || copy?.kind !== "page_list" || copy.pages.length === 0) return yield* super.copyout(s, t, op);
    const ps = k.scope.pageSize;
    const span = pageRange(k.scope, copy.offset, copy.size)!;
    const size = span.end - span.start;
    yield { kind: "write", map: dst };
    const start = dst.store.firstFit(dst.min, size, 0);
    if (start === undefined) {
      const refused = s.commit(op);
      s.unlockWrite(t, dst);
      return refused;
    }
    // The range mapped whole, only the first page list's pages in its object.
    const placed = s.inCommit(() => {
      stealPages(k, copy);
      const pages = copy.pages;
      copy.pages = [];
      const blanks = Array.from({ length: size / ps - pages.length }, (_, i): HeldPage => ({ object: null, index: pages.length + i, bytes: null }));
      dst.copyoutPages(start, [...pages, ...blanks]);
      return pages.length;
    });
    s.markTransition(t, dst, start, start + size);
    s.unlockWrite(t, dst);
    yield { kind: "point", why: "copyout_page_list: the continuation runs, the destination unlocked with its new range in transition" };
    const order = this.mapsToLock(cont.map, dst);
    for (const m of order) yield { kind: "write", map: m };
    let owed = false;
    const result = s.inCommit((): OpResult => {
      const c0 = cont;
      const failure = c0.start < c0.end ? c0.map.pageListWalkFailure(c0.start, c0.end, c0.options & VM_MAP_COPYIN_OPT_VM_PROT) : undefined;
      if (failure !== undefined) {
        owed = s.clearTransition(t);
        dst.remove(start, start + size, 0);
        return { kr: failure };
      }
      const object = dst.lookupEntry(start).entry.object!;
      let index = placed;
      copy.cont = null;
      for (let c: PageListContinuation | null = c0; c !== null; ) {
        if (c.start === c.end) {
          finishContinuation(c);
          break;
        }
        const next = takeChunk(k, c.map, c.start, c.end, c.options, c.noZeroFill, [c.destroyStart, c.destroyEnd], c.start, c.end - c.start, true);
        stealPages(k, next);
        for (const p of next.pages) {
          if (p.bytes !== null) object.pages.set(index, p.bytes);
          index++;
        }
        c = next.cont;
      }
      k.consumeCopy(op.copy!);
      k.dropMapReference(c0.map);
      return { kr: "KERN_SUCCESS", addr: start + (copy.offset % ps) };
    });
    if (result.kr === "KERN_SUCCESS") owed = s.clearTransition(t);
    this.unlockAll(s, t, order);
    if (owed) this.wakeWaiters(s, dst);
    return result;
  }
}

/**
 * copyout of a kernel buffer in the 2000 code's order (§4.11.4): fresh zero memory allocated
 * under the write lock, the map unlocked, then the bytes written as a user access (and the
 * buffer freed even when that write faults). A read of the new range in between finds
 * zero-fill, which neither the unmapped range of before nor the written bytes of after explain.
 */
export class CopyoutWritesAfterAllocating extends SuspendableOps {
  override *copyout(s: Scheduler, t: ThreadId, op: OpOf<"copyout_page_list" | "copyout">): Generator<Request, OpResult, boolean> {
    const k = this.kernel;
    const map = k.mapOf(op.map);
    const copy = k.copyOf(op.copy);
    if (op.op !== "copyout" || map === null || copy?.kind !== "kernel_buffer") return yield* super.copyout(s, t, op);
    yield { kind: "write", map };
    const allocated = s.inCommit(() => map.copyout({ kind: "kernel_buffer", data: new Uint8Array(copy.data.length) }));
    s.unlockWrite(t, map);
    const start = allocated.addr;
    if (start === undefined) return { kr: allocated.kr };
    yield { kind: "point", why: "copyout: the buffer's memory allocated, the map unlocked before the bytes are written" };
    yield { kind: "write", map };
    const result = s.inCommit((): OpResult => {
      k.consumeCopy(op.copy!);
      if (!map.accessible(start, copy.data.length, VM_PROT_WRITE)) return { kr: "KERN_INVALID_ADDRESS" };
      map.writeBytes(start, copy.data);
      return { kr: "KERN_SUCCESS", addr: start };
    });
    s.unlockWrite(t, map);
    return result;
  }
}
