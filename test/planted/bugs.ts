/**
 * Planted bugs: each is a subclass of VmMap that replaces exactly one mechanism with a broken
 * copy. They live in test/ — production code has no switch for them. The planted-bug test runs
 * a default campaign against each and asserts the checker finds it and shrinks it; the corpus
 * in counterexamples/ keeps one minimized counterexample per plant, replayed by `npm test`.
 */
import { Kernel } from "../../impl/kernel.ts";
import type { VmMapEntry } from "../../impl/map/entry.ts";
import { VmMap } from "../../impl/map/vm-map.ts";
import { VM_PROT_ALL, VM_PROT_COPY, VM_PROT_WRITE, type KernReturn } from "../../spec/constants.ts";
import type { KernelFactory } from "../../model-check/lockstep.ts";

export interface PlantedBug {
  /** What the bug is, in the words of a kernel engineer. */
  readonly description: string;
  readonly kernel: KernelFactory;
}

const withMap = (mapClass: typeof VmMap): KernelFactory => (scope) => new Kernel(scope, { mapClass });

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

export const PLANTED_BUGS: Record<string, PlantedBug> = {
  "clip-start-off-by-one": { description: "clip_start splits one page too high", kernel: withMap(ClipStartOffByOne) },
  "clip-end-offset-not-advanced": { description: "clip_end leaves the upper part at the old object offset", kernel: withMap(ClipEndOffsetNotAdvanced) },
  "coalesce-ignores-protection": { description: "enter coalesces with a neighbour whose protections differ", kernel: withMap(CoalesceIgnoresProtection) },
  "first-free-stale-on-remove": { description: "first_free not updated when an entry is deleted", kernel: withMap(FirstFreeNotUpdatedOnRemove) },
  "hint-left-on-deleted-entry": { description: "the hint is left on a deleted entry", kernel: withMap(HintLeftOnDeletedEntry) },
  "user-wire-overflow-unchecked": { description: "user wire count overflow not checked", kernel: withMap(UserWireOverflowUnchecked) },
  "protect-beyond-max": { description: "protect allows a protection beyond max_protection", kernel: withMap(ProtectBeyondMax) },
  "remove-ignores-range-end": { description: "remove deletes the whole last entry instead of clipping it", kernel: withMap(RemoveIgnoresRangeEnd) },
  "anywhere-misses-lowest-fit": { description: "anywhere-allocation misses the lowest fit", kernel: withMap(AnywhereMissesLowestFit) },
  "simplify-merges-different-objects": { description: "simplify merges entries of different objects", kernel: withMap(SimplifyMergesDifferentObjects) },
  "kunwire-ignored": { description: "remove with KUNWIRE keeps the kernel wiring", kernel: withMap(KunwireIgnored) },
};
