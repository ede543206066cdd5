/**
 * VM objects, minimal form (issue 2): a byte store of resident pages with a reference count.
 * Shadow chains and copy strategies come with the copy-on-write work.
 */
export type ObjectKind =
  /** Anonymous memory created lazily for a zero-fill entry (internal, temporary). */
  | "anonymous"
  /** A shared memory object named by a handle (pager-backed; permanent). */
  | "shared";

export class VmObject {
  /** Resident pages by page index within the object; absent pages read as zero. */
  readonly pages = new Map<number, Uint8Array>();
  refCount = 1;

  constructor(
    /** Unique within a kernel: creation order. */
    readonly id: number,
    readonly kind: ObjectKind,
    /** Size in bytes (page multiple); anonymous objects grow when enter coalesces. */
    public size: number,
  ) {}
}
