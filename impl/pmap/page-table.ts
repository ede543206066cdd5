/**
 * A radix page table over the virtual page numbers of an address width: `levels` directory
 * levels of `2^bits` slots each, leaves holding the PTEs of `2^bits` pages in parallel typed
 * arrays (frame, rights, wired), so a walk is `levels` array reads and never allocates.
 *
 * Nested tables (the mechanism behind nested pmaps of submaps): a directory slot of one table
 * may point at a node owned by another table, so both walk the same PTEs. {@link PageTable.nest}
 * links such a window; the owner of the nested table changes the PTEs and every nesting table
 * sees the change at once (its CPUs must then be shot down too: see Pmap.parents).
 */

/** A leaf: the PTEs of 2^bits consecutive pages. frame -1 = not present. */
export interface Leaf {
  readonly frame: Int32Array;
  readonly rights: Uint8Array;
  readonly wired: Uint8Array;
  /** Present PTEs in this leaf. */
  present: number;
}
type Directory = (Node | null)[];
type Node = Directory | Leaf;

const isLeaf = (n: Node): n is Leaf => !Array.isArray(n);

export class PageTable {
  /** Directory levels above the leaves. */
  readonly levels: number;
  readonly root: Directory;
  private readonly mask: number;
  private readonly fanout: number;

  /** `vpnBits`: bits of a virtual page number; `bits`: bits resolved per level. */
  constructor(readonly vpnBits: number, readonly bits = 9) {
    this.fanout = 2 ** bits;
    this.mask = this.fanout - 1;
    this.levels = Math.max(0, Math.ceil(vpnBits / bits) - 1);
    this.root = new Array(this.fanout).fill(null);
    if (this.levels === 0) this.root[0] = this.newLeaf();
  }

  private newLeaf(): Leaf {
    const frame = new Int32Array(this.fanout).fill(-1);
    return { frame, rights: new Uint8Array(this.fanout), wired: new Uint8Array(this.fanout), present: 0 };
  }

  /** Slot of `vpn` at directory `level` (0 = root). */
  private slot(vpn: number, level: number): number {
    return Math.floor(vpn / 2 ** (this.bits * (this.levels - level))) & this.mask;
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
        next = level === this.levels - 1 ? this.newLeaf() : new Array(this.fanout).fill(null);
        dir[s] = next;
      }
      if (isLeaf(next)) return next;
      dir = next;
    }
  }

  /** Index of `vpn` within its leaf. */
  leafSlot(vpn: number): number {
    return vpn & this.mask;
  }

  /** The frame `vpn` maps, or -1. */
  frame(vpn: number): number {
    const l = this.leaf(vpn);
    return l === null ? -1 : l.frame[vpn & this.mask]!;
  }

  /** Pages one directory slot at `level` spans. */
  span(level: number): number {
    return 2 ** (this.bits * (this.levels - level));
  }

  /**
   * Share the nodes of `nested` covering `[nestedVpn, nestedVpn + pages)` at
   * `[vpn, vpn + pages)` of this table. Both starts and `pages` must be multiples of the span of
   * a last-level directory slot (one leaf), so whole leaves are shared.
   */
  nest(vpn: number, nested: PageTable, nestedVpn: number, pages: number): void {
    const unit = this.span(this.levels - 1);
    if (this.levels === 0 || nested.bits !== this.bits || nested.levels !== this.levels)
      throw new Error("nest: the tables must have the same geometry and at least one directory level");
    if (vpn % unit || nestedVpn % unit || pages % unit || pages === 0) throw new Error(`nest: window must be whole leaves of ${unit} pages`);
    for (let i = 0; i < pages; i += unit) {
      const leaf = nested.leaf(nestedVpn + i, true)!;
      this.leaf(vpn + i, true); // builds the directories down to the last level
      const dir = this.directoryAbove(vpn + i);
      if (dir[this.slot(vpn + i, this.levels - 1)] !== leaf && dir[this.slot(vpn + i, this.levels - 1)] !== null) {
        const own = dir[this.slot(vpn + i, this.levels - 1)] as Leaf;
        if (own.present > 0) throw new Error("nest: the window already has mappings");
      }
      dir[this.slot(vpn + i, this.levels - 1)] = leaf;
    }
  }

  /** Undo {@link nest}: the window gets empty leaves of its own again. */
  unnest(vpn: number, pages: number): void {
    const unit = this.span(this.levels - 1);
    for (let i = 0; i < pages; i += unit) this.directoryAbove(vpn + i)[this.slot(vpn + i, this.levels - 1)] = null;
  }

  private directoryAbove(vpn: number): Directory {
    let dir = this.root;
    for (let level = 0; level < this.levels - 1; level++) dir = dir[this.slot(vpn, level)] as Directory;
    return dir;
  }
}
