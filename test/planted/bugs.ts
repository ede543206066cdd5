/**
 * Planted bugs: each is a subclass of VmMap, ObjectLayer or Mmu that replaces exactly one mechanism with a broken
 * copy. They live in test/ — production code has no switch for them. The planted-bug test runs
 * a default campaign against each and asserts the checker finds it and shrinks it; the corpus
 * in counterexamples/ keeps one minimized counterexample per plant, replayed by `npm test`.
 */
import { Kernel } from "../../impl/kernel.ts";
import type { SharedRegion } from "../../impl/shared-regions.ts";
import type { VmMapEntry } from "../../impl/map/entry.ts";
import { anonymousAttributes, VmMap } from "../../impl/map/vm-map.ts";
import { ObjectLayer } from "../../impl/object/object-layer.ts";
import type { HeldPage, VmObject } from "../../impl/object/vm-object.ts";
import type { CopiedWindow } from "../../impl/object/object-layer.ts";
import type { NamedEntry } from "../../impl/copy/map-copy.ts";
import { VM_INHERIT_COPY, VM_INHERIT_SHARE, VM_PROT_ALL, VM_PROT_COPY, VM_PROT_READ, VM_PROT_WRITE, type KernReturn } from "../../spec/constants.ts";
import type { KernelFactory } from "../../model-check/lockstep.ts";
import type { ProfileName } from "../../model-check/campaign.ts";
import { pageListMax } from "../../spec/scope.ts";
import { Mmu, type Cpu } from "../../impl/mmu/mmu.ts";
import type { Pmap } from "../../impl/pmap/pmap.ts";
import { Tlb, type Replacement } from "../../impl/tlb/tlb.ts";
import { descend, type ResolvedPage } from "../../impl/fault/fault.ts";
import { zeroPage } from "../../impl/object/vm-object.ts";
import { SuspendableOps } from "../../impl/sched/suspendable.ts";
import { realKernel } from "../../model-check/lockstep.ts";
import {
  FailedUpgradeTakenAsSuccess, OverwriteSkipsProtectionRecheck, OverwriteTrustsStaleTimestamp, RemapLocksSourceFirst,
  RemoveSkipsRecheckAfterWakeup, WakeupForgotten, WriteIgnoresNewNeedsCopy, MapLockedUnderSLock, CopyObjectLockedBlocking,
  FramesFreedBeforeAcks, AckWithoutInvalidation, WriteBeforeShootdownAcks, OverwriteBeforeShootdownAcks, TerminateLocksShadowFirst, PageListIgnoresTransition, TlbHitTakesMapLock,
  TerminateLeavesShadowUnlocked, QuickCopyKeepsLock, PmapEnterTakesPageQueues, CopyoutChunksAfterWindow, CopyoutWritesAfterAllocating,
} from "./concurrency-bugs.ts";

export interface PlantedBug {
  /** What the bug is, in the words of a kernel engineer. */
  readonly description: string;
  readonly kernel: KernelFactory;
  /**
   * The longest counterexample the default campaign may end with: 6 for the map bugs of the
   * foundation, 8 for copy-on-write bugs (they need a copy and a write on top of a mapping).
   */
  readonly maxLength: number;
  /**
   * The profile the plant's campaign runs (model-check/campaign.ts): the subsystem the bug is
   * in, as a user hunting it would choose — a bug in page lists is looked for among page-list
   * operations, not diluted among every operation of the vocabulary.
   */
  readonly profile: ProfileName;
  /** For a concurrency bug: the thread bodies with the bug (the kernel is then the real one). */
  readonly suspendable?: typeof SuspendableOps;
  /**
   * Found by the bounded exhaustive mode (model-check/concurrency/exhaustive.ts) rather than by
   * the random campaign: races that need three or four precise steps of two threads.
   */
  readonly exhaustive?: true;
}

const withMap = (mapClass: typeof VmMap): KernelFactory => (scope) => new Kernel(scope, { mapClass });
const withLayer = (objectLayerClass: typeof ObjectLayer): KernelFactory => (scope) => new Kernel(scope, { objectLayerClass });

/** clip_start splits one page too high: the first page of the range keeps its old attributes. */
class ClipStartOffByOne extends VmMap {
  override clipStart(e: VmMapEntry, a: number): void {
    super.clipStart(e, a + this.pageSize < e.end ? a + this.pageSize : a);
  }
}

/** clip_end gives the new upper entry the lower entry's object offset: it maps the wrong bytes. */
class ClipEndOffsetNotAdvanced extends VmMap {
  override clipEnd(e: VmMapEntry, a: number): void {
    const offset = e.offset;
    super.clipEnd(e, a);
    if (a < e.next.end && e.next.start === a && e.next.object !== null) e.next.offset = offset;
  }
}

/** Enter-time coalescing forgets to compare protections: new pages inherit the neighbour's. */
class CoalesceIgnoresProtection extends VmMap {
  override canCoalesce(prev: VmMapEntry, start: number, attrs: Parameters<VmMap["canCoalesce"]>[2]): boolean {
    return super.canCoalesce(prev, start, { ...attrs, protection: prev.protection, maxProtection: prev.maxProtection });
  }
}

/** Entry deletion does not re-derive first_free. */
class FirstFreeNotUpdatedOnRemove extends VmMap {
  override entryDelete(e: VmMapEntry): void {
    this.store.unlink(e);
    this.size -= e.end - e.start;
    this.disposed(e);
    this.releaseObjectOf(e);
  }
}

/** Disposal resets first_free but leaves the hint on the deleted entry. */
class HintLeftOnDeletedEntry extends VmMap {
  override disposed(e: VmMapEntry): void {
    if (this.firstFree === e) this.firstFree = this.store.header;
  }
}

/** The user wire counter is never checked against MAX_WIRE_COUNT. */
class UserWireOverflowUnchecked extends VmMap {
  override wireWouldOverflow(e: VmMapEntry, user: boolean): boolean {
    return user ? false : super.wireWouldOverflow(e, user);
  }
}

/** protect's validation pass checks only that the range is mapped, not max_protection. */
class ProtectBeyondMax extends VmMap {
  override protect(start: number, end: number, prot: number, setMax: boolean): KernReturn {
    this.lockWrite();
    const copy = (prot & VM_PROT_COPY) !== 0;
    const p = prot & VM_PROT_ALL;
    const r = this.lookupEntry(start);
    if (!r.found) return "KERN_INVALID_ADDRESS";
    const failure = this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", () => undefined);
    if (failure !== undefined) return failure;
    this.forEachClipped(r.entry, start, end, (x) => {
      if (copy) {
        this.privateCopy(x);
        x.maxProtection |= VM_PROT_WRITE;
      }
      if (setMax) {
        x.maxProtection = p;
        x.protection &= p;
      } else x.protection = p;
    });
    return "KERN_SUCCESS";
  }
}

/** Remove deletes the last entry whole instead of clipping it at the end of the range. */
class RemoveIgnoresRangeEnd extends VmMap {
  override deleteRange(first: VmMapEntry, end: number): void {
    const header = this.store.header;
    let x = first;
    while (x !== header && x.start < end) {
      const next = x.next;
      this.unwireForRemove(x);
      this.entryDelete(x);
      x = next;
    }
  }
}

/** Anywhere-allocation starts its search one page above the hint, missing a fit right at it. */
class AnywhereMissesLowestFit extends VmMap {
  constructor(...args: ConstructorParameters<typeof VmMap>) {
    super(...args);
    const store = this.store;
    const honest = store.firstFit.bind(store);
    store.firstFit = (lower, size, mask) => honest(lower + this.pageSize, size, mask);
  }
}

/** simplify merges neighbours without checking they map the same object. */
class SimplifyMergesDifferentObjects extends VmMap {
  override mergeable(a: VmMapEntry, b: VmMapEntry): boolean {
    const saved = b.object;
    const savedOffset = b.offset;
    b.object = a.object;
    b.offset = a.offset + (a.end - a.start);
    const verdict = super.mergeable(a, b);
    b.object = saved;
    b.offset = savedOffset;
    return verdict;
  }
}

/** remove with KUNWIRE forgets to drop the kernel wiring it was asked to drop. */
class KunwireIgnored extends VmMap {
  override wiringsLeftByRemove(e: VmMapEntry): number {
    return super.wiringsLeftByRemove(e, false);
  }
}


// ---------------------------------------------------------------- copy-on-write (issue 3)

/** A copy leaves its source without needs_copy: the source keeps writing into the shared object. */
class SourceLeftWithoutNeedsCopy extends VmMap {
  override copyWindow(e: VmMapEntry, offset: number, size: number): CopiedWindow {
    const before = e.needsCopy;
    const w = super.copyWindow(e, offset, size);
    e.needsCopy = before;
    return w;
  }
}

/** The push of a page into the delayed copy object is skipped before the source page is written. */
class PushSkipped extends ObjectLayer {
  override push(_o: VmObject, _index: number): void {}
}

/** A write through a needs_copy entry lands in the shared symmetric object instead of a shadow. */
class SymmetricWrittenInPlace extends VmMap {
  override resolveCow(e: VmMapEntry): VmObject {
    return e.object === null ? this.ensureObject(e) : e.object;
  }
}

/** Collapse absorbs the backing object but loses one of its pages. */
class CollapseLosesPage extends ObjectLayer {
  override absorb(o: VmObject, b: VmObject): void {
    const first = [...b.pages.keys()].sort((x, y) => x - y)[0];
    if (first !== undefined) b.pages.delete(first);
    super.absorb(o, b);
  }
}

/** Fork treats SHARE inheritance as COPY: the child gets a copy where it should share. */
class ForkShareAsCopy extends VmMap {
  override forkEntry(x: VmMapEntry): VmMapEntry | undefined {
    if (x.inheritance !== VM_INHERIT_SHARE) return super.forkEntry(x);
    x.inheritance = VM_INHERIT_COPY;
    const e = super.forkEntry(x);
    x.inheritance = VM_INHERIT_SHARE;
    if (e) e.inheritance = VM_INHERIT_SHARE;
    return e;
  }
}

/** remap with share hands out a private copy instead of the source's memory. */
class RemapShareCopies extends VmMap {
  override extractWindow(x: VmMapEntry, at: number, size: number, _copy: boolean): CopiedWindow {
    return super.extractWindow(x, at, size, true);
  }
}

/** A named entry ignores the permission it was made with: it grants every right. */
class NamedEntryIgnoresProtection extends VmMap {
  override makeMemoryEntry(start: number, end: number, permission: number): KernReturn | NamedEntry {
    const made = super.makeMemoryEntry(start, end, permission);
    return typeof made === "string" ? made : { ...made, protection: VM_PROT_ALL };
  }
}

/** copy_overwrite ignores the destination's missing write permission. */
class OverwriteIgnoresWritePermission extends VmMap {
  override overwriteFailure(addr: number, copy: Parameters<VmMap["overwriteFailure"]>[1], interruptible: boolean): KernReturn | undefined {
    const saved: [VmMapEntry, number][] = [];
    for (let e = this.store.header.next; e !== this.store.header; e = e.next) saved.push([e, e.protection]);
    for (const [e] of saved) e.protection |= VM_PROT_WRITE;
    const failure = super.overwriteFailure(addr, copy, interruptible);
    for (const [e, p] of saved) e.protection = p; // the checks clip nothing
    return failure;
  }
}

// ------------------------------------------------------------------- page lists (issue 3)

/** A continuation's source address is not advanced: it takes the previous chunk's pages again. */
class ContinuationRepeatsChunk extends VmMap {
  override holdChunk(start: number, end: number, options: number, noZeroFill: boolean, isCont: boolean): HeldPage[] {
    const back = isCont ? pageListMax(this.host.scope) * this.pageSize : 0;
    return super.holdChunk(start - back, end - back, options, noZeroFill, isCont);
  }
}

/** SRC_DESTROY never removes the source: it stays mapped after the page list took it. */
class SrcDestroyLeavesSource extends VmMap {
  override removeCopiedSource(_start: number, _end: number): void {}
}

/** steal_pages un-busies a held page but does not copy it: the copy and the source share the physical page. */
class StealLeavesPageShared extends ObjectLayer {
  override stealHeld(page: HeldPage): void {
    this.letGo(page);
  }
}

// ------------------------------------------------------------------- the MMU (issue 4)

const withMmu = (mmuClass: typeof Mmu): KernelFactory => (scope) => new Kernel(scope, { mmuClass });

/** vm_protect lowers the PTEs' rights but never shoots the TLBs down: CPUs keep writing. */
class NoShootdownOnProtect extends Mmu {
  private protecting = false;
  override protectRange(map: VmMap, start: number, end: number): void {
    this.protecting = true;
    try {
      super.protectRange(map, start, end);
    } finally {
      this.protecting = false;
    }
  }
  override issue(asid: number, startVpn: number, endVpn: number): void {
    if (!this.protecting) super.issue(asid, startVpn, endVpn);
  }
}

/**
 * vm_deallocate unmaps the range from the map but never calls pmap_remove: on a kernel its
 * translations outlive the memory (a use-after-free); here the MMU's coherence pass would
 * quietly drop them at the end of the operation, so only `op-does-its-pmap-work` sees it.
 */
class RemoveLeavesTranslations extends Mmu {
  override removeRange(): void {}
}

/** vm_deallocate clears the PTEs of the whole range but flushes one page less (Project Zero 2035's shape). */
class FlushNarrowerThanCleared extends Mmu {
  private removing = false;
  override removeRange(map: VmMap, start: number, end: number): void {
    this.removing = true;
    try {
      super.removeRange(map, start, end);
    } finally {
      this.removing = false;
    }
  }
  override invalidate(pmap: Pmap, startVpn: number, endVpn: number): void {
    super.invalidate(pmap, startVpn, this.removing && endVpn - startVpn > 1 ? endVpn - 1 : endVpn);
  }
}

/** A frame goes back to the free list as soon as its PTEs are cleared, before the shootdown completes. */
class FrameFreedBeforeShootdown extends Mmu {
  override retireFrame(f: number): void {
    this.pageProtect(f);
    this.freeFrame(f);
    this.complete();
  }
}

/** The fault enters the entry's protection as is: copy-on-write pages get mapped writable. */
class CowMappedWritable extends Mmu {
  override enter(pmap: Pmap, vpn: number, page: ResolvedPage): void {
    const map = this.mapOfPmap.get(pmap)!;
    const e = map.lookupEntry(vpn * map.pageSize).entry;
    // (The shared zero page stays read-only: writing it would corrupt every zero page of the process.)
    super.enter(pmap, vpn, page.bytes === zeroPage(map.pageSize) ? page : { ...page, rights: e.protection });
  }
}

/** Pageout ignores wirings: a wired page loses its frame and its mappings. */
class WiredPageEvicted extends Mmu {
  override evictable(f: number): boolean {
    return this.phys.free[f] === 0;
  }
}

/** Each CPU caches its page-table walks and never invalidates that cache: TLB fills come from stale walks. */
class TlbFilledFromStaleWalk extends Mmu {
  private readonly walks = new Map<string, { frame: number; rights: number }>();
  override walk(cpu: Cpu, pmap: Pmap, vpn: number): { frame: number; rights: number } {
    const key = `${cpu.id}:${pmap.asid}:${vpn}`;
    const cached = this.walks.get(key);
    if (cached && cached.frame >= 0) return cached;
    const w = super.walk(cpu, pmap, vpn);
    this.walks.set(key, w);
    return w;
  }
}

/**
 * The TLB places a fill in the set of the page's byte address instead of its page number, while
 * lookups use the page number: most fills land where no lookup looks, and the TLB silently
 * caches almost nothing — every access still returns the right bytes.
 */
class TlbSetFromAddress extends Tlb {
  constructor(entries: number, ways: number, replacement: Replacement, seed: number, private readonly pageSize: number) {
    super(entries, ways, replacement, seed);
  }
  override fill(asid: number, vpn: number, frame: number, rights: number): number {
    const i = super.fill(asid, vpn, frame, rights);
    const j = (((vpn * this.pageSize) % 2 ** 32 & (this.sets - 1)) * this.ways) + (i % this.ways);
    if (j === i) return i;
    this.asid[j] = asid;
    this.vpn[j] = vpn;
    this.frame[j] = frame;
    this.rights[j] = rights;
    this.drop(i);
    return j;
  }
}
class TlbSetFromAddressMmu extends Mmu {
  constructor(...args: ConstructorParameters<typeof Mmu>) {
    super(...args);
    for (const c of this.cpus) {
      const t = c.tlb;
      (c as { tlb: Tlb }).tlb = new TlbSetFromAddress(t.entries, t.ways, t.replacement, c.id + 1, this.pageSize);
    }
  }
}

/**
 * A shootdown of a nested pmap's PTE reaches only the CPUs of the pmap that owns it: the CPUs
 * running another map that nests the same submap keep their stale entries.
 */
class NestedShootdownMissesParents extends Mmu {
  override invalidate(pmap: Pmap, startVpn: number, endVpn: number): void {
    this.issue(pmap.asid, startVpn, endVpn);
  }
}

/** The map changes a nested submap window (clip, delete, protect, wire) without un-nesting it first. */
class WindowChangedWithoutUnnest extends VmMap {
  override windowChanging(): void {}
}

/** PMAP_ENTER is recorded on the page list and otherwise ignored: the source pmap gets nothing. */
class PmapEnterIgnored extends Mmu {
  override pmapEnterChunk(): void {}
}

// ------------------------------------------------------------------- submaps and shared regions (issue 3)

/** remap reaches through a submap entry and shares the submap's object instead of refusing the submap. */
class RemapShareIntoSubmap extends VmMap {
  override fullyMapped(start: number, end: number): boolean {
    const r = this.lookupEntry(start);
    return r.found && this.firstFailure(r.entry, start, end, "KERN_INVALID_ADDRESS", () => undefined) === undefined;
  }
  override extractWindow(x: VmMapEntry, at: number, size: number, copy: boolean): CopiedWindow {
    if (x.submap === null) return super.extractWindow(x, at, size, copy);
    const held = this.reachPage(x, x.start + at);
    if (held === undefined) return { object: null, offset: 0, needsCopy: false };
    const o = held.owner.sharePrepare(held.entry);
    o.reference();
    return { object: o, offset: held.entry.offset + (held.addr - held.entry.start), needsCopy: false };
  }
}

/** The descent into a submap looks the parent's address up in the submap (the entry's offset ignored). */
class SubmapDescentIgnoresOffset extends VmMap {
  override reachPage(x: VmMapEntry, a: number): ReturnType<VmMap["reachPage"]> {
    if (x.submap === null) return super.reachPage(x, a);
    const r = x.submap.lookupEntry(a);
    if (!r.found) return undefined;
    const inner = x.submap.reachPage(r.entry, a);
    return inner && { ...inner, prot: inner.prot & x.protection, maxProt: inner.maxProt & x.maxProtection };
  }
}

/** fork shares a submap entry whatever its inheritance (NONE included). */
class ForkSharesEverySubmap extends VmMap {
  override forkEntry(x: VmMapEntry): VmMapEntry | undefined {
    return x.submap !== null ? this.forkSubmap(x) : super.forkEntry(x);
  }
}

/** inherit lets a submap entry take COPY inheritance (invariant #20). */
class InheritCopyOnSubmap extends VmMap {
  override anySubmapFrom(): boolean {
    return false;
  }
}

/** Clipping a submap entry does not take a reference on the submap (invariant #38). */
class SubmapClipWithoutReference extends VmMap {
  override clipEnd(e: VmMapEntry, a: number): void {
    const splits = e.submap !== null && a < e.end;
    super.clipEnd(e, a);
    if (splits) e.next.submap!.refCount--;
  }
}

/** The loader maps the shared region's data submap shared (a plain submap) instead of copy-on-write. */
class SharedDataNotCopied extends VmMap {
  override mapSharedData(data: VmMap, start: number, end: number): void {
    this.holdSubmap(data);
    const attrs = anonymousAttributes(VM_PROT_READ, VM_PROT_READ, VM_INHERIT_SHARE, 0);
    this.entryInsert(this.lookupEntry(start).entry, start, end, { ...attrs, submap: data });
  }
}

/**
 * The write fault through a copy-on-write submap promotes the page to a direct mapping of the
 * submap entry's object, but marks neither the submap entry nor the promoted entry `needs_copy`:
 * the "private" page still is the submap's memory, so writes through it land in the submap and
 * the submap's later writes leak into it.
 */
class CowPromotionSharesSubmapMemory extends VmMap {
  override promoteCowPage(x: VmMapEntry, a: number): VmMapEntry {
    const held = this.reachPage(x, a)!;
    const inner = held.entry, o = held.owner.ensureObject(inner);
    o.reference();
    this.clipStart(x, a);
    this.clipEnd(x, a + this.pageSize);
    this.releaseObjectOf(x);
    Object.assign(x, { object: o, offset: inner.offset + (held.addr - inner.start), needsCopy: false, usePmap: false, isShared: false });
    if (x.inheritance === VM_INHERIT_SHARE) x.inheritance = VM_INHERIT_COPY;
    return x;
  }
}

/** A write through a copy-on-write submap is not promoted: it writes the submap's page in place. */
class CowWindowWrittenInPlace extends VmMap {
  override promoteOnTheWay(): void {}
}

/** The MMU forgets that a copy-on-write submap withholds WRITE: a read fault through one maps the submap's page writable. */
class CowWindowMappedWritable extends Mmu {
  override enter(pmap: Pmap, vpn: number, page: ResolvedPage): void {
    const map = this.mapOfPmap.get(pmap)!;
    const held = descend(map, vpn * map.pageSize);
    const inPlace = held !== undefined && held.cow && !held.entry.needsCopy && held.entry.object === page.object;
    super.enter(pmap, vpn, inPlace ? { ...page, rights: page.rights | (held.prot & VM_PROT_WRITE) } : page);
  }
}

/** vm_map_swapout forgets the submaps: they keep the residence the swapped-out map's entries gave them (#37). */
class SwapoutKeepsSubmapsResident extends VmMap {
  override swapOut(): void {
    this.lockWrite();
    this.swState = "out";
    this.host.mapSwappedOut(this);
  }
}

/** Destroying a shared region releases its text submap but not its data submap: the data map leaks. */
class RegionDestroyKeepsDataSubmap extends Kernel {
  override releaseRegion(region: SharedRegion): void {
    for (let x: SharedRegion | null = region; x !== null && --x.refCount === 0; x = x.chain) x.text.release();
  }
}

export const PLANTED_BUGS: Record<string, PlantedBug> = {
  "clip-start-off-by-one": { description: "clip_start splits one page too high", kernel: withMap(ClipStartOffByOne), maxLength: 6, profile: "map" },
  "clip-end-offset-not-advanced": { description: "clip_end leaves the upper part at the old object offset", kernel: withMap(ClipEndOffsetNotAdvanced), maxLength: 6, profile: "map" },
  "coalesce-ignores-protection": { description: "enter coalesces with a neighbour whose protections differ", kernel: withMap(CoalesceIgnoresProtection), maxLength: 6, profile: "map" },
  "first-free-stale-on-remove": { description: "first_free not updated when an entry is deleted", kernel: withMap(FirstFreeNotUpdatedOnRemove), maxLength: 6, profile: "map" },
  "hint-left-on-deleted-entry": { description: "the hint is left on a deleted entry", kernel: withMap(HintLeftOnDeletedEntry), maxLength: 6, profile: "map" },
  "user-wire-overflow-unchecked": { description: "user wire count overflow not checked", kernel: withMap(UserWireOverflowUnchecked), maxLength: 6, profile: "map" },
  "protect-beyond-max": { description: "protect allows a protection beyond max_protection", kernel: withMap(ProtectBeyondMax), maxLength: 6, profile: "map" },
  "remove-ignores-range-end": { description: "remove deletes the whole last entry instead of clipping it", kernel: withMap(RemoveIgnoresRangeEnd), maxLength: 6, profile: "map" },
  "anywhere-misses-lowest-fit": { description: "anywhere-allocation misses the lowest fit", kernel: withMap(AnywhereMissesLowestFit), maxLength: 6, profile: "map" },
  "simplify-merges-different-objects": { description: "simplify merges entries of different objects", kernel: withMap(SimplifyMergesDifferentObjects), maxLength: 8, profile: "map" },
  "kunwire-ignored": { description: "remove with KUNWIRE keeps the kernel wiring", kernel: withMap(KunwireIgnored), maxLength: 6, profile: "map" },
  "copy-source-left-without-needs-copy": { description: "the source of a copy is left without needs_copy", kernel: withMap(SourceLeftWithoutNeedsCopy), maxLength: 8, profile: "all" },
  "copy-object-push-skipped": { description: "the copy-object push is skipped before a source page is written", kernel: withLayer(PushSkipped), maxLength: 8, profile: "cow" },
  "symmetric-written-in-place": { description: "a shadowed symmetric object is written in place", kernel: withMap(SymmetricWrittenInPlace), maxLength: 8, profile: "cow" },
  "collapse-loses-page": { description: "collapse loses a page of the backing object", kernel: withLayer(CollapseLosesPage), maxLength: 8, profile: "cow" },
  "fork-share-as-copy": { description: "fork treats SHARE inheritance as COPY", kernel: withMap(ForkShareAsCopy), maxLength: 8, profile: "cow" },
  "remap-share-copies": { description: "remap with share makes a private copy", kernel: withMap(RemapShareCopies), maxLength: 8, profile: "cow" },
  "named-entry-ignores-protection": { description: "a named entry ignores the permission it was made with", kernel: withMap(NamedEntryIgnoresProtection), maxLength: 8, profile: "cow" },
  "remap-share-into-submap": { description: "remap share reaches into a submap's object instead of refusing the submap", kernel: withMap(RemapShareIntoSubmap), maxLength: 8, profile: "submap" },
  "submap-descent-ignores-offset": { description: "lookup descends into a submap at the parent's address, ignoring the entry's offset", kernel: withMap(SubmapDescentIgnoresOffset), maxLength: 8, profile: "submap" },
  "fork-shares-every-submap": { description: "fork shares a submap entry against its inheritance (NONE)", kernel: withMap(ForkSharesEverySubmap), maxLength: 8, profile: "submap" },
  "inherit-copy-on-submap": { description: "inherit sets COPY on a submap entry", kernel: withMap(InheritCopyOnSubmap), maxLength: 8, profile: "submap" },
  "submap-clip-without-reference": { description: "clipping a submap entry takes no reference on the submap", kernel: withMap(SubmapClipWithoutReference), maxLength: 8, profile: "submap" },
  "shared-data-not-copied": { description: "the shared region's data is mapped as a plain submap instead of copy-on-write", kernel: withMap(SharedDataNotCopied), maxLength: 8, profile: "submap" },
  "cow-promotion-shares-submap-memory": { description: "a copy-on-write submap's promotion marks neither the submap entry nor the promoted page needs_copy: the page still is the submap's memory", kernel: withMap(CowPromotionSharesSubmapMemory), maxLength: 8, profile: "submap" },
  "cow-window-written-in-place": { description: "a write through a copy-on-write submap writes the submap's page in place instead of promoting it", kernel: withMap(CowWindowWrittenInPlace), maxLength: 8, profile: "submap" },
  "cow-window-mapped-writable": { description: "a read fault through a copy-on-write submap maps the submap's page writable", kernel: withMmu(CowWindowMappedWritable), maxLength: 8, profile: "mmu" },
  "swapout-keeps-submaps-resident": { description: "swapping a map out leaves the submaps it maps resident", kernel: withMap(SwapoutKeepsSubmapsResident), maxLength: 8, profile: "submap" },
  "region-destroy-keeps-data-submap": { description: "destroying a shared region leaves its data submap referenced (it leaks)", kernel: (scope) => new RegionDestroyKeepsDataSubmap(scope), maxLength: 8, profile: "submap" },
  "overwrite-ignores-write-permission": { description: "copy_overwrite ignores the destination's missing write permission", kernel: withMap(OverwriteIgnoresWritePermission), maxLength: 8, profile: "cow" },
  "continuation-repeats-chunk": { description: "a page-list continuation takes the previous chunk's pages again", kernel: withMap(ContinuationRepeatsChunk), maxLength: 8, profile: "pagelist" },
  "src-destroy-leaves-source": { description: "a page-list copyin with SRC_DESTROY leaves the source mapped", kernel: withMap(SrcDestroyLeavesSource), maxLength: 8, profile: "pagelist" },
  "steal-leaves-page-shared": { description: "steal_pages leaves the page shared with the source", kernel: withLayer(StealLeavesPageShared), maxLength: 8, profile: "pagelist" },
  "no-shootdown-on-protect": { description: "protect lowers PTE rights without shooting down the TLBs", kernel: withMmu(NoShootdownOnProtect), maxLength: 8, profile: "mmu" },
  "remove-leaves-translations": { description: "remove unmaps the range but leaves pmap_remove to the MMU's coherence pass", kernel: withMmu(RemoveLeavesTranslations), maxLength: 8, profile: "mmu" },
  "flush-narrower-than-cleared": { description: "remove flushes a narrower range than the PTEs it cleared", kernel: withMmu(FlushNarrowerThanCleared), maxLength: 8, profile: "mmu" },
  "frame-freed-before-shootdown": { description: "a frame is freed before its shootdown completes", kernel: withMmu(FrameFreedBeforeShootdown), maxLength: 8, profile: "mmu" },
  "cow-mapped-writable": { description: "a copy-on-write page is mapped writable", kernel: withMmu(CowMappedWritable), maxLength: 8, profile: "mmu" },
  "wired-page-evicted": { description: "pageout takes a wired page", kernel: withMmu(WiredPageEvicted), maxLength: 8, profile: "mmu" },
  "tlb-filled-from-stale-walk": { description: "the TLB is filled from a stale page-table walk", kernel: withMmu(TlbFilledFromStaleWalk), maxLength: 8, profile: "mmu" },
  "tlb-set-from-address": { description: "the TLB fills the set of a page's byte address, not of its page number, so lookups miss", kernel: withMmu(TlbSetFromAddressMmu), maxLength: 8, profile: "mmu" },
  "pmap-enter-ignored": { description: "PMAP_ENTER of a page-list copyin enters nothing in the source pmap", kernel: withMmu(PmapEnterIgnored), maxLength: 8, profile: "all" },
  "window-changed-without-unnest": { description: "a nested submap window is clipped, removed, protected or wired without un-nesting it", kernel: withMap(WindowChangedWithoutUnnest), maxLength: 8, profile: "mmu" },
  "nested-shootdown-misses-parents": { description: "a nested pmap's shootdown forgets the CPUs of the maps nesting it", kernel: withMmu(NestedShootdownMissesParents), maxLength: 8, profile: "mmu" },
  // Concurrency (issue 5): the real kernel, with thread bodies that get one re-check wrong.
  "failed-upgrade-taken-as-success": { description: "a failed read-to-write upgrade is taken for success", kernel: realKernel, suspendable: FailedUpgradeTakenAsSuccess, maxLength: 10, profile: "concurrency" },
  "remap-locks-source-first": { description: "remap locks its two maps source first, not in increasing address order", kernel: realKernel, suspendable: RemapLocksSourceFirst, maxLength: 10, profile: "concurrency" },
  "wakeup-forgotten": { description: "clearing in_transition, the thread forgets the wakeup a waiter asked for", kernel: realKernel, suspendable: WakeupForgotten, maxLength: 10, profile: "concurrency", exhaustive: true },
  "remove-skips-recheck-after-wakeup": { description: "after relocking, remove does not re-check in_transition", kernel: realKernel, suspendable: RemoveSkipsRecheckAfterWakeup, maxLength: 10, profile: "concurrency", exhaustive: true },
  "overwrite-skips-protection-recheck": { description: "after relocking, copy_overwrite does not re-check the destination's protection", kernel: realKernel, suspendable: OverwriteSkipsProtectionRecheck, maxLength: 10, profile: "concurrency", exhaustive: true },
  "overwrite-trusts-stale-timestamp": { description: "copy_overwrite trusts a timestamp read after relocking, so it never re-validates", kernel: realKernel, suspendable: OverwriteTrustsStaleTimestamp, maxLength: 10, profile: "concurrency", exhaustive: true },
  "map-locked-under-s-lock": { description: "swapping a map in or out takes the map lock while holding its s_lock", kernel: realKernel, suspendable: MapLockedUnderSLock, maxLength: 10, profile: "concurrency", exhaustive: true },
  "copy-object-locked-blocking": { description: "a push locks the delayed copy object (above the held original) with a blocking lock, not a try-lock", kernel: withLayer(CopyObjectLockedBlocking), suspendable: SuspendableOps, maxLength: 10, profile: "concurrency", exhaustive: true },
  "write-ignores-new-needs-copy": { description: "after its unlocked page-in, a write fault does not re-check needs_copy", kernel: realKernel, suspendable: WriteIgnoresNewNeedsCopy, maxLength: 10, profile: "concurrency", exhaustive: true },
  "terminate-locks-shadow-first": { description: "terminating an object locks its shadow before the object (bottom-up along the chain)", kernel: withLayer(TerminateLocksShadowFirst), suspendable: SuspendableOps, maxLength: 10, profile: "concurrency" },
  "terminate-leaves-shadow-unlocked": { description: "terminating an object changes its shadow's copy link and reference count without locking the shadow", kernel: withLayer(TerminateLeavesShadowUnlocked), suspendable: SuspendableOps, maxLength: 10, profile: "concurrency" },
  "quick-copy-keeps-lock": { description: "a quick (symmetric) copy returns still holding the object's lock", kernel: withLayer(QuickCopyKeepsLock), suspendable: SuspendableOps, maxLength: 10, profile: "concurrency" },
  "tlb-hit-takes-map-lock": { description: "a user load or store takes the map lock even when its CPU's TLB holds the translation", kernel: realKernel, suspendable: TlbHitTakesMapLock, maxLength: 10, profile: "concurrency", exhaustive: true },
  "page-list-ignores-transition": { description: "a page-list copyin steals and destroys its source without waiting for entries another thread holds in transition", kernel: realKernel, suspendable: PageListIgnoresTransition, maxLength: 10, profile: "concurrency", exhaustive: true },
  "frames-freed-before-acks": { description: "a thread waiting for its shootdown's acknowledgements frees the unmapped frames before they arrive", kernel: realKernel, suspendable: FramesFreedBeforeAcks, maxLength: 10, profile: "concurrency", exhaustive: true },
  "write-before-shootdown-acks": { description: "a write fault writes its bytes before the shootdown of the old translation is acknowledged", kernel: realKernel, suspendable: WriteBeforeShootdownAcks, maxLength: 12, profile: "concurrency", exhaustive: true },
  "overwrite-before-shootdown-acks": { description: "an overwrite writes in place before the shootdown of the old translations is acknowledged", kernel: realKernel, suspendable: OverwriteBeforeShootdownAcks, maxLength: 12, profile: "concurrency", exhaustive: true },
  "pmap-enter-takes-page-queues": { description: "pmap_enter takes the page-queues lock under its pmap lock, where pageout takes pmap locks under the page-queues lock", kernel: withMmu(PmapEnterTakesPageQueues), suspendable: SuspendableOps, maxLength: 10, profile: "concurrency" },
  "copyout-chunks-after-window": { description: "copyout_page_list places a continuation's chunks only after its unlocked window, as the 2000 code does: a continuation failing there takes back the new range with the pages already placed, and a read in the window finds zero-fill", kernel: realKernel, suspendable: CopyoutChunksAfterWindow, maxLength: 10, profile: "concurrency" },
  "copyout-writes-after-allocating": { description: "copyout of a kernel buffer allocates its memory, unlocks the map and only then writes the bytes, as the 2000 code does: a read in between finds zero-fill", kernel: realKernel, suspendable: CopyoutWritesAfterAllocating, maxLength: 10, profile: "concurrency", exhaustive: true },
  "ack-without-invalidation": { description: "a shootdown counts a CPU as acknowledged without its TLB being invalidated", kernel: realKernel, suspendable: AckWithoutInvalidation, maxLength: 10, profile: "concurrency", exhaustive: true },
};
