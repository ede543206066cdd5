/**
 * The map lock of reference §2.1 as a state machine the scheduler drives: one writer or any
 * number of readers; taking the write lock (or a successful read-to-write upgrade) bumps the
 * map's timestamp; a reader that asks to upgrade while another reader already asked **fails and
 * loses its read hold** (it then holds no lock at all); new readers wait while an upgrade is
 * pending, so the upgrader gets the lock once the other readers are gone.
 *
 * Nothing here blocks: `tryWrite` / `tryRead` answer whether the lock can be granted now, and the
 * scheduler keeps a thread whose request cannot be granted blocked until a release.
 */
import type { VmMap } from "../map/vm-map.ts";
import type { ThreadId } from "../locks/lockdep.ts";

export type UpgradeAnswer = "failed" | "pending";

export class MapLock {
  writer: ThreadId | null = null;
  readonly readers = new Set<ThreadId>();
  /** The reader waiting to become the writer, if any. */
  upgrader: ThreadId | null = null;

  constructor(readonly map: VmMap) {}

  /** Take the write lock if it is free (no writer, no reader); the timestamp goes up by one. */
  tryWrite(t: ThreadId): boolean {
    if (this.writer !== null || this.readers.size > 0 || this.upgrader !== null) return false;
    this.writer = t;
    this.map.timestamp++;
    return true;
  }

  /** Take a read hold if there is no writer and no pending upgrade. */
  tryRead(t: ThreadId): boolean {
    if (this.writer !== null || this.upgrader !== null) return false;
    this.readers.add(t);
    return true;
  }

  /**
   * `vm_map_lock_read_to_write` asked by reader `t`: "failed" (another reader asked first; `t`
   * no longer holds anything) or "pending" (granted by {@link tryCompleteUpgrade} once `t` is
   * the only reader).
   */
  requestUpgrade(t: ThreadId): UpgradeAnswer {
    if (!this.readers.has(t)) throw new Error(`thread ${t} asks to upgrade a map lock it does not read-hold`);
    if (this.upgrader !== null) {
      this.readers.delete(t);
      return "failed";
    }
    this.upgrader = t;
    return "pending";
  }

  /** The pending upgrade of `t` completes when it is the only reader: it becomes the writer (timestamp + 1). */
  tryCompleteUpgrade(t: ThreadId): boolean {
    if (this.upgrader !== t || this.readers.size !== 1) return false;
    this.readers.delete(t);
    this.upgrader = null;
    this.writer = t;
    this.map.timestamp++;
    return true;
  }

  unlockWrite(t: ThreadId): void {
    if (this.writer !== t) throw new Error(`thread ${t} unlocks a map it does not write-hold`);
    this.writer = null;
  }

  unlockRead(t: ThreadId): void {
    if (!this.readers.delete(t)) throw new Error(`thread ${t} read-unlocks a map it does not read-hold`);
  }

  holdsWrite(t: ThreadId): boolean {
    return this.writer === t;
  }
}
