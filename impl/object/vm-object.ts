/**
 * VM objects (`struct vm_object`, reference §5), minimal form: a store of resident pages with a
 * reference count. Shadow chains and copy strategies come with the copy-on-write work.
 *
 * Residency and zero pages: a page index absent from `pages` is not resident and reads as zero.
 * A resident page that has never been written holds the shared, read-only {@link zeroPage} of its
 * size, so that wiring a large range costs a map slot per page rather than a page of bytes.
 * Nobody may write into a page obtained from `pages` directly: writers go through
 * {@link VmObject.pageForWrite}, which replaces the shared zero page by a private one first.
 */
export type ObjectKind =
  /** Anonymous memory created lazily for a zero-fill entry (internal, temporary). */
  | "anonymous"
  /** A shared memory object named by a handle (pager-backed; permanent). */
  | "shared";

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
  /** Resident pages by page index within the object; absent pages read as zero. */
  readonly pages = new Map<number, Uint8Array>();
  /** References: one per mapping entry, plus the kernel's own for a shared memory object. */
  refCount = 1;

  constructor(
    /** Unique within a kernel: creation order. */
    readonly id: number,
    readonly kind: ObjectKind,
    /** Size in bytes (page multiple); anonymous objects grow when enter coalesces. */
    public size: number,
    /** Bytes per page (the scope's page size). */
    readonly pageSize: number,
  ) {}

  /** `vm_object_reference`. */
  reference(): void {
    this.refCount++;
  }

  /**
   * `vm_object_deallocate`: drop one reference; the last one terminates the object (its pages
   * are freed). Returns true when the object died.
   */
  release(): boolean {
    this.refCount--;
    if (this.refCount > 0) return false;
    this.pages.clear();
    return true;
  }

  /** True when the page at `index` is resident. */
  isResident(index: number): boolean {
    return this.pages.has(index);
  }

  /** The bytes of page `index` for reading (undefined = zero, not resident). */
  pageForRead(index: number): Uint8Array | undefined {
    return this.pages.get(index);
  }

  /** Make page `index` resident (zero-filled if it was absent), as a wiring fault does. */
  makeResident(index: number): void {
    if (!this.pages.has(index)) this.pages.set(index, zeroPage(this.pageSize));
  }

  /** The bytes of page `index` for writing: resident and private to this object. */
  pageForWrite(index: number): Uint8Array {
    let p = this.pages.get(index);
    if (p === undefined || p === zeroPage(this.pageSize)) {
      p = new Uint8Array(this.pageSize);
      this.pages.set(index, p);
    }
    return p;
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

/**
 * Copy the resident pages of `src` with index in `[srcIndex, srcIndex + count)` into `dst` at
 * `dstIndex`, byte for byte (a physical snapshot: later writes to either side are not seen by the
 * other). Non-resident source pages are left absent in `dst` (they read as zero either way).
 */
export function copyPages(src: VmObject, srcIndex: number, count: number, dst: VmObject, dstIndex: number): void {
  const zero = zeroPage(src.pageSize);
  const visit = (i: number, bytes: Uint8Array): void => {
    dst.pages.set(dstIndex + (i - srcIndex), bytes === zero ? zero : bytes.slice());
  };
  if (count <= src.pages.size) {
    for (let i = srcIndex; i < srcIndex + count; i++) {
      const p = src.pages.get(i);
      if (p !== undefined) visit(i, p);
    }
  } else {
    for (const [i, p] of src.pages) if (i >= srcIndex && i < srcIndex + count) visit(i, p);
  }
}
