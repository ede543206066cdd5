/**
 * File descriptor generations for the strace importer: each open of an fd starts a generation,
 * which gets one memory object when it is first mapped. fd tables are shared by CLONE_FILES and
 * copied by fork; a generation no slot of any table names any more is retired (its owner may
 * reuse the object).
 */
/** A file descriptor's memory object: one per generation of the fd. */
export interface FileGeneration {
  object: number | undefined;
  pages: number;
  /** The log showed the open: only open/close/dup change the generation then. */
  readonly opened: boolean;
  /** Some mapping of it was MAP_SHARED (its pages alias the object's cells). */
  shared: boolean;
  /** fd-table slots naming it. */
  slots: number;
}

export const generation = (pages: number, opened: boolean): FileGeneration => ({ object: undefined, pages, opened, shared: false, slots: 0 });

/**
 * An fd table (fd → generation): shared by CLONE_FILES, copied by fork. When no slot names a
 * generation any more it is retired.
 */
export class FdTable {
  private readonly slots = new Map<number, FileGeneration>();
  /** Processes using this table. */
  users = 1;
  constructor(private readonly retire: (g: FileGeneration) => void) {}

  get(fd: number): FileGeneration | undefined {
    return this.slots.get(fd);
  }
  set(fd: number, g: FileGeneration): void {
    g.slots++;
    const old = this.slots.get(fd);
    this.slots.set(fd, g);
    if (old) this.drop(old);
  }
  delete(fd: number): void {
    const old = this.slots.get(fd);
    this.slots.delete(fd);
    if (old) this.drop(old);
  }
  copy(): FdTable {
    const t = new FdTable(this.retire);
    for (const [fd, g] of this.slots) t.set(fd, g);
    return t;
  }
  /** A process stops using the table. */
  release(): void {
    if (--this.users > 0) return;
    for (const g of this.slots.values()) this.drop(g);
    this.slots.clear();
  }
  private drop(g: FileGeneration): void {
    if (--g.slots === 0) this.retire(g);
  }
}
