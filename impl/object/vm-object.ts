/**
 * VM objects (`struct vm_object`, reference §5): a store of resident pages, a reference count,
 * and the links of the copy-on-write machinery — the shadow chain and the delayed copy object.
 * This file holds the data and the page primitives of one object; the mechanisms that relate
 * objects to each other (shadow, the copy strategies, pushes, collapse, termination) live in
 * {@link ObjectLayer} (object-layer.ts), so a test can replace any one of them.
 *
 * Residency and zero pages: a page index absent from `pages` is not resident in this object; a
 * read falls through to the shadow (index + shadowOffset / pageSize), and reads as zero at the
 * bottom of the chain. A resident page that has never been written holds the shared, read-only
 * {@link zeroPage} of its size, so that wiring a large range costs a map slot per page rather than
 * a page of bytes. Nobody may write into a page obtained from `pages` directly: writers go through
 * {@link VmObject.pageForWrite}, which replaces the shared zero page by a private one first.
 */
export type ObjectKind =
  /** Anonymous memory: internal and temporary (lazily created zero-fill, shadows, copy objects). */
  | "anonymous"
  /** A shared memory object named by a handle (pager-backed, permanent; the kernel holds a reference). */
  | "shared";

/**
 * The copy strategy (`copy_strategy`, reference §5.1): SYMMETRIC objects are copied by giving
 * both holders `needsCopy`; DELAY objects (genuinely shared, written in place by several
 * mappings) get a delayed copy object that receives the old contents of every page before it is
 * modified. NONE (copied physically at once) is not modelled: only pagers the vocabulary does
 * not have (devices) create such objects, and a physical copy shows the same bytes as a delayed
 * one, so the branch could never be told apart. Physical copies are still made, by strategy-free
 * paths: copy_slowly of a wired window, page-list copies.
 */
export type CopyStrategy = "symmetric" | "delay";

/** Who is told when an object's last reference goes (the object layer). */
export interface ObjectOwner {
  terminate(o: VmObject): void;
}

/**
 * A page a page-list copy holds (reference §4.11.5): tabled in `object` and marked busy there
 * (the copy holds one reference on the object), or loose — stolen or copied, owned by the copy.
 */
export interface HeldPage {
  /** The object the page is tabled in, busy; null once the page is loose. */
  object: VmObject | null;
  /** Its index in `object` (where it was taken from, once loose). */
  readonly index: number;
  /** The physical page; null = never materialized (NO_ZERO_FILL), reads as zero. */
  bytes: Uint8Array | null;
}

const ZERO_PAGES = new Map<number, Uint8Array>();

/** The shared all-zero page of `pageSize` bytes. Never write into it. */
export function zeroPage(pageSize: number): Uint8Array {
  let z = ZERO_PAGES.get(pageSize);
  if (z === undefined) {
    z = new Uint8Array(pageSize);
    ZERO_PAGES.set(pageSize, z);
  }
  return z;
}

export class VmObject {
  /** Resident pages by page index within the object. */
  readonly pages = new Map<number, Uint8Array>();
  /**
   * References: map entries, copy entries, object copies and named-entry windows that hold it,
   * objects whose `shadow` it is, and the kernel's own reference on a shared memory object.
   */
  refCount = 1;
  /** The object this one shadows (reads of absent pages fall through to it), or null. */
  shadow: VmObject | null = null;
  /** Byte offset of this object's page 0 within `shadow`. */
  shadowOffset = 0;
  /**
   * The delayed copy object (`copy`): it shadows this object at offset 0 and receives the old
   * contents of a page before this object modifies it. Not a reference (the copy object holds one
   * on this object through its `shadow`).
   */
  copy: VmObject | null = null;
  strategy: CopyStrategy;
  /** Someone holds a symmetric copy of (part of) this object, or it has a delayed copy object. */
  shadowed = false;
  /** Mapped in several places on purpose (named entries): never coalesced, never marked COW. */
  trueShare = false;
  /** False once terminated. */
  alive = true;
  /** Resident pages a page-list copy holds busy, by index (each holds one reference on this object). */
  readonly busy = new Map<number, HeldPage>();

  constructor(
    /** Unique within a kernel: creation order. */
    readonly id: number,
    readonly kind: ObjectKind,
    /** Size in bytes (page multiple); anonymous objects grow when enter coalesces. */
    public size: number,
    /** Bytes per page (the scope's page size). */
    readonly pageSize: number,
    /** Told when the last reference goes (the object layer, which terminates it). */
    readonly owner: ObjectOwner,
  ) {
    // Anonymous memory starts SYMMETRIC (reference §5); a shared memory object is written in
    // place through every mapping, so copies of it must be delayed (reference §5.1).
    this.strategy = kind === "anonymous" ? "symmetric" : "delay";
  }

  /** Internal (anonymous, temporary) rather than pager-backed. */
  get internal(): boolean {
    return this.kind === "anonymous";
  }

  /** `vm_object_reference`. */
  reference(): void {
    this.refCount++;
  }

  /**
   * `vm_object_deallocate`: drop one reference; the last one terminates the object (its pages
   * are freed and its shadow loses a reference).
   */
  release(): void {
    this.refCount--;
    if (this.refCount > 0) return;
    this.owner.terminate(this);
  }

  /** The bytes of resident page `index` for writing: the shared zero page is first replaced by a private page. */
  pageForWrite(index: number): Uint8Array {
    const p = this.pages.get(index)!;
    if (p !== zeroPage(this.pageSize)) return p;
    const own = new Uint8Array(this.pageSize);
    this.pages.set(index, own);
    return own;
  }

  /**
   * Free the resident pages with index in `[from, to)`: stale pages left in a range that is about
   * to be reused as fresh zero-fill memory (reference §5.6).
   */
  discardPages(from: number, to: number): void {
    if (to - from <= this.pages.size) {
      for (let i = from; i < to; i++) this.pages.delete(i);
    } else {
      for (const i of [...this.pages.keys()]) if (i >= from && i < to) this.pages.delete(i);
    }
  }
}

/** A private copy of a page for another object (the zero page stays shared). */
export function clonePage(bytes: Uint8Array, pageSize: number): Uint8Array {
  return bytes === zeroPage(pageSize) ? bytes : bytes.slice();
}
