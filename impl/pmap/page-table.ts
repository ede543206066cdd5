/**
 * A radix page table over the virtual page numbers of an address width: `levels` directory
 * levels of `2^dirBits` slots each, leaves holding the PTEs of `2^leafBits` pages in parallel
 * typed arrays (frame, rights, wired), so a walk is `levels` array reads and never allocates.
 * The leaf width is the nesting granularity (a scope parameter: small in model checks, so that
 * windows of a few pages can be nested).
 *
 * Nested tables (the mechanism behind nested pmaps of submaps): a directory slot of one table
 * may point at a node owned by another table, so both walk the same PTEs. {@link PageTable.nest}
 * links such a window; the owner of the nested table changes the PTEs and every nesting table
 * sees the change at once (its CPUs must then be shot down too: see Pmap.parents).
 */

/** A leaf: the PTEs of 2^leafBits consecutive pages. frame -1 = not present. */
export interface Leaf {
  readonly frame: Int32Array;
  readonly rights: Uint8Array;
  readonly wired: Uint8Array;
}
type Directory = (Node | null)[];
type Node = Directory | Leaf;

const isLeaf = (n: Node): n is Leaf => !Array.isArray(n);

export class PageTable {
  /** Directory levels above the leaves. */
  readonly levels: number;
  readonly root: Directory;
  /** Pages one leaf maps. */
  readonly leafPages: number;
  private readonly leafMask: number;
  private readonly dirMask: number;
  private readonly dirFanout: number;
  /** Per directory level: the page-number bits below its slot, and 2 to that power. */
  private readonly shifts: Int32Array;
  private readonly divisors: Float64Array;

  /** `vpnBits`: bits of a virtual page number; `leafBits`: bits a leaf resolves; `dirBits`: bits per directory level. */
  constructor(readonly vpnBits: number, readonly leafBits = 9, readonly dirBits = 9) {
    this.leafPages = 2 ** leafBits;
    this.leafMask = this.leafPages - 1;
    this.dirFanout = 2 ** dirBits;
    this.dirMask = this.dirFanout - 1;
    this.levels = Math.max(0, Math.ceil((vpnBits - leafBits) / dirBits));
    this.shifts = Int32Array.from({ length: this.levels }, (_, level) => leafBits + dirBits * (this.levels - 1 - level));
    this.divisors = Float64Array.from(this.shifts, (b) => 2 ** b);
    this.root = new Array(this.dirFanout).fill(null);
    if (this.levels === 0) this.root[0] = this.newLeaf();
  }

  private newLeaf(): Leaf {
    const n = this.leafPages;
    return { frame: new Int32Array(n).fill(-1), rights: new Uint8Array(n), wired: new Uint8Array(n) };
  }

  /**
   * Slot of `vpn` at directory `level` (0 = root): a shift for page numbers below 2^31 (the
   * walk's common case), a division above (exact: page numbers stay below 2^53). A shift of 32
   * or more would wrap in JavaScript, so the division also serves those levels.
   */
  private slot(vpn: number, level: number): number {
    const b = this.shifts[level]!;
    return (vpn <= 0x7fffffff && b < 32 ? vpn >>> b : Math.floor(vpn / this.divisors[level]!)) & this.dirMask;
  }

  /** The leaf covering `vpn`, or null when the walk meets an empty slot (`create` fills them). */
  leaf(vpn: number, create = false): Leaf | null {
    if (this.levels === 0) return this.root[0] as Leaf;
    let dir = this.root;
    for (let level = 0; ; level++) {
      const s = this.slot(vpn, level);
      let next = dir[s] ?? null;
      if (next === null) {
        if (!create) return null;
        next = level === this.levels - 1 ? this.newLeaf() : new Array(this.dirFanout).fill(null);
        dir[s] = next;
      }
      if (isLeaf(next)) return next;
      dir = next;
    }
  }

  /** Index of `vpn` within its leaf. */
  leafSlot(vpn: number): number {
    return vpn & this.leafMask;
  }

  /**
   * Share the nodes of `nested` covering `[nestedVpn, nestedVpn + pages)` at
   * `[vpn, vpn + pages)` of this table. Both starts and `pages` must be multiples of
   * {@link leafPages}, so whole leaves are shared. The window's own leaves are dropped: the
   * caller has removed their PTEs first (Pmap.nest), so nothing they map is lost.
   */
  nest(vpn: number, nested: PageTable, nestedVpn: number, pages: number): void {
    const unit = this.leafPages;
    if (this.levels === 0 || nested.leafBits !== this.leafBits || nested.dirBits !== this.dirBits || nested.levels !== this.levels)
      throw new Error("nest: the tables must have the same geometry and at least one directory level");
    if (vpn % unit || nestedVpn % unit || pages % unit || pages === 0) throw new Error(`nest: window must be whole leaves of ${unit} pages`);
    for (let i = 0; i < pages; i += unit) {
      const leaf = nested.leaf(nestedVpn + i, true)!;
      this.leaf(vpn + i, true); // builds the directories down to the last level
      this.directoryAbove(vpn + i)[this.slot(vpn + i, this.levels - 1)] = leaf;
    }
  }

  /** Undo {@link nest}: the window gets empty leaves of its own again. */
  unnest(vpn: number, pages: number): void {
    const unit = this.leafPages;
    for (let i = 0; i < pages; i += unit) this.directoryAbove(vpn + i)[this.slot(vpn + i, this.levels - 1)] = null;
  }

  private directoryAbove(vpn: number): Directory {
    let dir = this.root;
    for (let level = 0; level < this.levels - 1; level++) dir = dir[this.slot(vpn, level)] as Directory;
    return dir;
  }
}
