/**
 * The object layer (reference §5): how VM objects relate to each other — shadow chains, the
 * copy strategies (symmetric and delayed; NONE is not modelled, see vm-object.ts), the delayed copy object and its pushes, collapse and bypass, and
 * termination. Every mechanism is a method of {@link ObjectLayer}, called through `this`, and the
 * kernel takes the class as an option (`new Kernel(scope, { objectLayerClass: Buggy })`), so a
 * test can plant a bug in exactly one of them.
 *
 * The layer also keeps the set of live objects, so that a checker can prove nothing leaks:
 * every live object must be held by a map entry, a copy, a named entry, a shadowing object or the
 * kernel, and its reference count must equal the number of those holders (object-check.ts).
 *
 * Rules the layer maintains (reference §6.6):
 * - `S.copy == C ⇒ C.shadow == S ∧ C.shadowOffset == 0`; an object with a copy object is DELAY.
 * - Only DELAY/NONE objects are written in place by several holders; a SYMMETRIC object is
 *   written in place only through windows no `needsCopy` holder or shadowing object can see.
 * - Before a page of an object with a copy object changes, the copy object receives the page's
 *   old contents unless it has its own (the "push", vm_fault.c:1600ff).
 */
import { clonePage, VmObject, zeroPage, type HeldPage, type ObjectKind, type ObjectOwner } from "./vm-object.ts";

/** Where a copy of a window lives: an object window, and whether its holder must copy on write. */
export interface CopiedWindow {
  readonly object: VmObject | null;
  readonly offset: number;
  readonly needsCopy: boolean;
}

/** Where the object layer reports the object locks it takes (see {@link ObjectLayer.lockHooks}). */
export interface ObjectLockHooks {
  lock(o: VmObject, tryLock?: boolean): void;
  unlock(o: VmObject): void;
  /** The layer is about to change `what` of `o`, which `o`'s lock guards: the lock must be held. */
  assertHeld(o: VmObject, what: string): void;
}

export class ObjectLayer implements ObjectOwner {
  /** Every object that has not been terminated. */
  readonly live = new Set<VmObject>();
  /** Next object id (creation order over every object, anonymous or shared). */
  nextId = 0;
  /**
   * Longest shadow chain {@link limitChain} lets a new shadow or a displaced copy object keep.
   * Collapse and bypass cannot shorten a chain whose every level is still held by someone and
   * holds pages the top lacks (e.g. generations of fork-then-write that all stay alive); past this
   * length the top object takes a physical copy of what it sees and leaves the chain.
   */
  maxChainLength = 8;
  /**
   * Told of the object locks the 2000 kernel takes on the paths below (set by a scheduler while
   * kernel threads run, for the lock-order validator; null otherwise). Our objects need no
   * locking — a thread's commit runs without interruption — so this only reports the order.
   */
  lockHooks: ObjectLockHooks | null = null;

  constructor(readonly pageSize: number) {}

  // ---- life cycle ----

  /** `vm_object_allocate`: a new object with one reference, owned by the caller. */
  allocate(kind: ObjectKind, size: number): VmObject {
    const o = new VmObject(this.nextId++, kind, size, this.pageSize, this);
    this.live.add(o);
    return o;
  }

  /**
   * The last reference went: free the pages and release the shadow, iteratively down the chain
   * (a long chain must not overflow the stack). A dying copy object detaches from its original.
   */
  terminate(o: VmObject): void {
    let x = o;
    for (;;) {
      const s = x.shadow;
      // vm_object_terminate: the dying object is locked, then its shadow — below it, so top-down
      // (§2.4) — while the copy link and the reference on the shadow are dropped.
      const held = this.terminateLocks(x, s);
      for (const l of held) this.lockHooks?.lock(l);
      this.assertHeld(x, "the shadow link");
      if (s !== null) this.assertHeld(s, "the copy link and reference count");
      if (s !== null && s.copy === x) s.copy = null;
      x.shadow = null;
      if (s !== null) s.refCount--;
      this.retire(x);
      for (const l of held.reverse()) this.lockHooks?.unlock(l);
      if (s === null || s.refCount > 0) return;
      x = s;
    }
  }

  /** The locks {@link terminate} takes on a dying object and its shadow, in order: the object first. */
  terminateLocks(x: VmObject, shadow: VmObject | null): VmObject[] {
    return shadow === null ? [x] : [x, shadow];
  }

  /** Forget an object whose references are all gone (or were handed on). */
  retire(o: VmObject): void {
    this.live.delete(o);
    o.pages.clear();
    o.refCount = 0;
    o.alive = false;
  }

  // ---- reading through the chain ----

  /** The bytes visible at page `index` of `o`: the first object of the chain holding it, else undefined (zero). */
  lookupPage(o: VmObject, index: number): Uint8Array | undefined {
    return this.walkChain(o, index, null);
  }

  /**
   * Visit every page visible through `o` in `[first, first + count)` that some object of the
   * chain holds, once each, as `f(i, bytes)` with `i` relative to `first`. Costs the resident
   * pages of the chain (or the window, when smaller), never the whole window of an empty chain.
   */
  forEachVisiblePage(o: VmObject, first: number, count: number, f: (i: number, bytes: Uint8Array) => void): void {
    const ps = this.pageSize;
    const seen = new Set<number>();
    let x: VmObject | null = o;
    let lo = first;
    while (x !== null) {
      const level: VmObject = x;
      const visit = (j: number, p: Uint8Array): void => {
        const i = j - lo;
        if (i >= 0 && i < count && !seen.has(i)) {
          seen.add(i);
          f(i, p);
        }
      };
      if (count <= level.pages.size) {
        for (let j = lo; j < lo + count; j++) {
          const p = level.pages.get(j);
          if (p !== undefined) visit(j, p);
        }
      } else {
        for (const [j, p] of level.pages) visit(j, p);
      }
      lo += level.shadowOffset / ps;
      x = level.shadow;
    }
  }

  // ---- writing ----

  /**
   * The bytes of page `index` of `o`, about to be modified by the caller: the old contents are
   * first pushed into `o`'s copy object, then a page absent from `o` is copied up from the chain
   * (COW copy-up, vm_fault.c:1479ff) and the chain is shortened if it can be.
   */
  pageForWrite(o: VmObject, index: number): Uint8Array {
    const hooks = this.lockHooks;
    hooks?.lock(o);
    let p: Uint8Array;
    try {
      // Every path below changes `o`'s pages: un-busying, writing in place, copying up.
      this.assertHeld(o, "the pages");
      this.unbusy(o, index);
      this.push(o, index);
      const own = o.pages.get(index);
      if (own !== undefined) return o.pageForWrite(index);
      const below = o.shadow === null ? undefined : this.lockedLookup(o.shadow, index + o.shadowOffset / this.pageSize);
      p = below === undefined ? new Uint8Array(this.pageSize) : below.slice();
      o.pages.set(index, p);
    } finally {
      hooks?.unlock(o);
    }
    // Collapse takes (and may drop and retake) `o`'s lock itself.
    if (o.shadow !== null) this.collapse(o);
    return p;
  }

  /**
   * {@link lookupPage} the way vm_fault_page walks a chain: each object locked before its shadow
   * and released once the shadow is held (top-down, hand over hand).
   */
  lockedLookup(o: VmObject, index: number): Uint8Array | undefined {
    return this.walkChain(o, index, this.lockHooks);
  }

  /**
   * The walk down `o`'s chain to the first object holding page `index` (translated by each
   * shadow offset), telling `hooks` of each lock taken hand over hand when given. One walk for
   * both, so every sequential read exercises the same code a kernel thread's fault runs.
   */
  private walkChain(o: VmObject, index: number, hooks: ObjectLockHooks | null): Uint8Array | undefined {
    const ps = this.pageSize;
    let x: VmObject = o;
    let i = index;
    hooks?.lock(x);
    for (;;) {
      const p = x.pages.get(i);
      const next: VmObject | null = x.shadow;
      if (p !== undefined || next === null) {
        hooks?.unlock(x);
        return p;
      }
      i += x.shadowOffset / ps;
      hooks?.lock(next);
      hooks?.unlock(x);
      x = next;
    }
  }

  /**
   * Give `o`'s copy object the current contents of page `index` unless it has its own page
   * there: `o` is about to change that page, and the copy must keep seeing the old bytes.
   */
  push(o: VmObject, index: number): void {
    const c = o.copy;
    if (c === null || index >= c.size / this.pageSize) return;
    // The copy object sits above `o` on the chain: with `o` locked it can only be try-locked (§2.4).
    this.lockCopyObject(c);
    try {
      if (c.pages.has(index)) return;
      const old = this.lookupPage(o, index);
      this.assertHeld(c, "the pages");
      c.pages.set(index, old === undefined ? zeroPage(this.pageSize) : clonePage(old, this.pageSize));
    } finally {
      this.lockHooks?.unlock(c);
    }
  }

  /** Take the lock of a copy object while its original is held: a try-lock (a blocking one would invert the chain order). */
  lockCopyObject(c: VmObject): void {
    this.lockHooks?.lock(c, true);
  }

  /** Make page `index` resident in `o` itself (as a wiring fault does), copying it up from the chain; no content changes. */
  makeResident(o: VmObject, index: number): void {
    if (o.pages.has(index)) return;
    const below = o.shadow === null ? undefined : this.lookupPage(o.shadow, index + o.shadowOffset / this.pageSize);
    o.pages.set(index, below === undefined ? zeroPage(this.pageSize) : clonePage(below, this.pageSize));
  }

  // ---- pages held by page lists (§4.11.5) ----

  /** Hold resident page `index` of `o` busy for a page-list copy; the copy takes one reference on `o`. */
  hold(o: VmObject, index: number): HeldPage {
    const page: HeldPage = { object: o, index, bytes: o.pages.get(index)! };
    o.busy.set(index, page);
    o.reference();
    return page;
  }

  /** A held page leaves its object (un-busied, the reference dropped); the copy keeps the physical page, now loose. */
  letGo(page: HeldPage): void {
    const o = page.object;
    if (o === null) return;
    o.busy.delete(page.index);
    page.object = null;
    o.release();
  }

  /** `vm_map_copy_steal_pages` for one page: a held page is replaced by a private copy the page list owns. */
  stealHeld(page: HeldPage): void {
    if (page.object === null) return;
    page.bytes = clonePage(page.bytes!, this.pageSize);
    this.letGo(page);
  }

  /** `vm_page_remove` for a steal: page `index` leaves `o` (untabled) and belongs to the caller. */
  steal(o: VmObject, index: number): Uint8Array {
    const p = o.pages.get(index)!;
    o.pages.delete(index);
    return p;
  }

  /**
   * Page `index` of `o` is about to change. A page list holding it busy would make the 2000
   * writer sleep until the consumer releases it; a sequential model cannot sleep, so the copy
   * keeps the physical page (now loose, with the old bytes) and `o` continues with its own copy.
   */
  unbusy(o: VmObject, index: number): void {
    const held = o.busy.get(index);
    if (held === undefined) return;
    o.pages.set(index, clonePage(held.bytes!, this.pageSize));
    this.letGo(held);
  }

  // ---- copy strategies (§5.2–§5.5) ----

  /**
   * `vm_object_shadow`: a new object of `size` bytes whose shadow is `o` at byte `offset`. The
   * caller's reference on `o` moves to the new object; the caller holds the new one.
   */
  shadow(o: VmObject, offset: number, size: number): VmObject {
    // No object lock here, in the 2000 kernel either: vm_object_shadow only allocates the new
    // object and links it; the caller's write lock on the map keeps the entry, and the entry's
    // reference on `o` simply moves to the new object (no count changes).
    const n = this.allocate("anonymous", size);
    n.shadow = o;
    n.shadowOffset = offset;
    return n;
  }

  /**
   * `vm_object_copy_quickly`: a SYMMETRIC object is shared by the copy (one more reference, and
   * `shadowed`); both holders must then copy on write. False for any other strategy.
   */
  copyQuickly(o: VmObject): boolean {
    if (o.strategy !== "symmetric") return false;
    // The reference and `shadowed` change under the object's lock (taken below the map's).
    this.lockHooks?.lock(o);
    this.assertHeld(o, "the reference count");
    o.reference();
    o.shadowed = true;
    this.lockHooks?.unlock(o);
    return true;
  }

  /**
   * `vm_object_copy_delayed`: a copy object for `[offset, offset + size)` of `src`, with a
   * reference for the caller, who maps it with `needsCopy`. An existing copy object that never
   * received a page still describes `src` as it is now, so it is reused (grown if needed);
   * otherwise a new one is put between `src` and the old one, which then receives no more pushes.
   */
  copyDelayed(src: VmObject, offset: number, size: number): VmObject {
    // vm_object_copy_delayed locks the source, and its current copy object only with a try-lock
    // (that object sits above the source on the chain).
    const hooks = this.lockHooks;
    hooks?.lock(src);
    if (src.copy !== null) this.lockCopyObject(src.copy);
    const held = src.copy;
    try {
      return this.copyDelayedLocked(src, offset, size);
    } finally {
      if (held !== null) hooks?.unlock(held);
      hooks?.unlock(src);
    }
  }

  private copyDelayedLocked(src: VmObject, offset: number, size: number): VmObject {
    const old = src.copy;
    const need = offset + size;
    if (old !== null && old.pages.size === 0) {
      this.assertHeld(old, "the reference count");
      old.reference();
      if (old.size < need) old.size = need;
      return old;
    }
    const c = this.allocate("anonymous", Math.max(need, old?.size ?? 0));
    c.shadow = src;
    c.shadowOffset = 0;
    this.assertHeld(src, "the copy link and reference count");
    src.reference();
    src.copy = c;
    src.shadowed = true;
    this.makeShared(src);
    if (old !== null) {
      // The old copy now reads through the new one; its reference on src moves to it.
      this.assertHeld(old, "the shadow link");
      old.shadow = c;
      c.reference();
      src.refCount--;
      this.limitChain(old);
    }
    return c;
  }

  /** `vm_object_copy_slowly`: a new object holding a physical copy of the bytes visible in the window, at offset 0. */
  copySlowly(src: VmObject, offset: number, size: number): VmObject {
    const ps = this.pageSize;
    const hooks = this.lockHooks;
    // vm_object_copy_slowly locks the source only to start paging on it; each page is then
    // faulted from the source and put in the new object under the new object's lock — the two
    // are never held together, so neither order between unrelated objects is taken.
    hooks?.lock(src);
    hooks?.unlock(src);
    const n = this.allocate("anonymous", size);
    this.forEachVisiblePage(src, offset / ps, size / ps, (i, bytes) => {
      hooks?.lock(n);
      this.assertHeld(n, "the pages");
      n.pages.set(i, clonePage(bytes, ps));
      hooks?.unlock(n);
    });
    return n;
  }

  /** A shared object must use the asymmetric strategy (reference §5.1): SYMMETRIC becomes DELAY. */
  makeShared(o: VmObject): void {
    if (o.strategy === "symmetric") o.strategy = "delay";
  }

  // ---- collapse and bypass (§5.7) ----

  /** `b` is its shadow's current copy object: it receives pushes, so nobody may absorb or skip it. */
  receivesPushes(b: VmObject): boolean {
    return b.shadow !== null && b.shadow.copy === b;
  }

  /**
   * `vm_object_collapse` on `o`: while `o`'s backing object can go, make it go — absorb it when
   * `o` is its only holder, skip it when `o` already holds every page of it that `o` can see,
   * drop the whole chain when `o` holds every page of its own window. What `o` shows never
   * changes.
   */
  collapse(o: VmObject): void {
    const hooks = this.lockHooks;
    if (o.shadow === null) return;
    hooks?.lock(o);
    try {
      for (;;) {
        const b = o.shadow;
        if (b === null) return;
        // The backing object is locked below `o` (top-down, as vm_object_collapse does).
        hooks?.lock(b);
        const drops: VmObject[] = (this.dropping = []);
        let more = false;
        try {
          more = this.collapseStep(o, b);
        } finally {
          hooks?.unlock(b);
        }
        if (drops.length > 0) {
          // vm_object_do_bypass drops both locks before deallocating the backing object (which
          // may terminate it: its lock and its shadow's are taken then), and relocks `o`.
          hooks?.unlock(o);
          for (const x of drops) x.release();
          hooks?.lock(o);
        }
        if (!more) return;
      }
    } finally {
      hooks?.unlock(o);
    }
  }

  /** In the current step of {@link collapse}: the backing objects to deallocate once its locks are dropped. */
  private dropping: VmObject[] = [];

  /** `vm_object_deallocate` of a backing object, from a step of {@link collapse}: done once its locks are dropped. */
  deallocateBacking(b: VmObject): void {
    this.dropping.push(b);
  }

  /** One step of {@link collapse} with `b` = `o.shadow`: true when `b` went and the next backing object may go too. */
  collapseStep(o: VmObject, b: VmObject): boolean {
    this.assertHeld(o, "the shadow link and pages");
    this.assertHeld(b, "the pages and reference count");
    if (b.copy !== o && this.complete(o)) {
      o.shadow = null;
      o.shadowOffset = 0;
      this.deallocateBacking(b);
      return false;
    }
    if (this.receivesPushes(b)) return false;
    if (b.refCount === 1 && b.internal) this.absorb(o, b);
    else if (b.copy !== o && this.covers(o, b)) this.bypass(o, b);
    else return false;
    return true;
  }

  /**
   * Keep `o`'s chain at most {@link maxChainLength} long: past it, `o` copies every page it sees
   * through the chain and lacks, and drops its shadow. Never for an object receiving pushes (it
   * must keep shadowing its original).
   */
  limitChain(o: VmObject): void {
    if (o.shadow === null || this.receivesPushes(o) || this.chainLength(o) <= this.maxChainLength) return;
    this.flatten(o);
  }

  /** `o` takes a physical copy of every page visible through its shadow that it lacks, then drops the shadow. */
  flatten(o: VmObject): void {
    const b = o.shadow!; // limitChain calls it only on an object that has a shadow
    const ps = this.pageSize;
    this.forEachVisiblePage(b, o.shadowOffset / ps, o.size / ps, (i, bytes) => {
      if (!o.pages.has(i)) o.pages.set(i, clonePage(bytes, ps));
    });
    o.shadow = null;
    o.shadowOffset = 0;
    b.release();
  }

  /** Collapse every object of the chain from `o` down (after a new shadow was put on top). */
  collapseChain(o: VmObject): void {
    for (let x: VmObject | null = o; x !== null; x = x.shadow) this.collapse(x);
  }

  /** `o` holds every page of its window: it never reads its shadow. */
  complete(o: VmObject): boolean {
    // Every page an object holds lies inside it (invariant pages-within-object), so holding as
    // many pages as the window has is holding each of them.
    return o.pages.size >= o.size / this.pageSize;
  }

  /** Every page `b` holds inside `o`'s window is shadowed by a page of `o`. */
  covers(o: VmObject, b: VmObject): boolean {
    const ps = this.pageSize;
    const off = o.shadowOffset / ps;
    const n = o.size / ps;
    // Cheap refusal when the window holds all of b (refusing is always safe).
    if (off === 0 && n * ps >= b.size && o.pages.size < b.pages.size) return false;
    if (n < b.pages.size) {
      for (let i = 0; i < n; i++) if (!o.pages.has(i) && b.pages.has(i + off)) return false;
      return true;
    }
    for (const j of b.pages.keys()) {
      const i = j - off;
      if (i >= 0 && i < n && !o.pages.has(i)) return false;
    }
    return true;
  }

  /** `o` is the only holder of `b`: move b's pages that `o` can see and lacks into `o`, and take b's place. */
  absorb(o: VmObject, b: VmObject): void {
    const ps = this.pageSize;
    const off = o.shadowOffset / ps;
    const n = o.size / ps;
    for (const [j, p] of b.pages) {
      const i = j - off;
      if (i >= 0 && i < n && !o.pages.has(i)) o.pages.set(i, p);
    }
    o.shadow = b.shadow;
    o.shadowOffset += b.shadowOffset;
    // b's reference on its shadow passes to o. (Its copy link, if o was its copy object, dies
    // with it: nothing reads a retired object.)
    b.shadow = null;
    this.retire(b);
  }

  /** Skip `b`: `o` already shadows everything of it that `o` can see. */
  bypass(o: VmObject, b: VmObject): void {
    o.shadow = b.shadow;
    o.shadowOffset += b.shadowOffset;
    o.shadow?.reference();
    this.deallocateBacking(b);
  }

  /**
   * Tell the lock-order validator that `o`'s lock must be held here (lockdep_assert_held). Our
   * objects need no lock, so only this makes a lock the 2000 kernel takes around a change, and
   * that this layer forgets to report, visible.
   */
  private assertHeld(o: VmObject, what: string): void {
    // Stryker disable next-line all: the checker's assertion (the oracle), not the implementation
    this.lockHooks?.assertHeld(o, what);
  }

  // ---- statistics ----

  /** Objects in the chain from `o` down (1 = no shadow). */
  chainLength(o: VmObject): number {
    let n = 0;
    for (let x: VmObject | null = o; x !== null; x = x.shadow) n++;
    return n;
  }
}
