/**
 * One CPU's TLB: set-associative, ASID-tagged, in parallel typed arrays (a lookup reads a few
 * numbers and allocates nothing). `sets × ways` entries; the set of a page is `vpn mod sets`.
 *
 * Replacement: LRU (a use stamp per entry), or `random` with a seeded generator — the hardware
 * may drop any entry at any time, and random eviction lets a campaign explore that freedom
 * deterministically. Invalidation by page, range, ASID and all.
 *
 * A hit first tries the entry a way predictor names for the page (as L1 TLBs predict the way),
 * and probes the whole set only when that entry does not hold the page.
 */
export type Replacement = "lru" | "random";

export class Tlb {
  readonly sets: number;
  /** sets - 1 (sets is a power of two). */
  private readonly setMask: number;
  /** ASID of each entry; -1 = empty. */
  readonly asid: Int32Array;
  readonly vpn: Float64Array;
  readonly frame: Int32Array;
  readonly rights: Uint8Array;
  /** LRU stamp of each entry: the larger, the more recently used (the checker reads it too). */
  readonly stamp: Float64Array;
  /**
   * Way prediction: for each value of a page number's low bits, the entry that last served or
   * cached such a page. Only a hint: a hit checks the entry's tag and ASID before trusting it
   * (a dropped or refilled entry fails that check), so it never changes what a lookup finds —
   * it lets the common hit read one entry instead of probing its set.
   */
  private readonly predicted: Int32Array;
  private readonly predictMask: number;
  private clock = 0;
  private rng: number;

  constructor(
    readonly entries: number,
    readonly ways: number,
    readonly replacement: Replacement = "lru",
    seed = 1,
  ) {
    this.sets = entries / ways;
    this.setMask = this.sets - 1;
    this.asid = new Int32Array(entries).fill(-1);
    this.vpn = new Float64Array(entries);
    this.frame = new Int32Array(entries);
    this.rights = new Uint8Array(entries);
    this.stamp = new Float64Array(entries);
    this.predicted = new Int32Array(entries);
    this.predictMask = entries - 1;
    this.rng = seed >>> 0 || 1;
  }

  /** Entry index caching (asid, vpn), or -1. A hit refreshes its LRU stamp. */
  lookup(asid: number, vpn: number): number {
    const ways = this.ways;
    const base = (vpn & this.setMask) * ways;
    const tags = this.vpn, asids = this.asid;
    for (let i = base, end = base + ways; i < end; i++) {
      if (tags[i] === vpn && asids[i] === asid) {
        this.stamp[i] = ++this.clock;
        this.predicted[vpn & this.predictMask] = i;
        return i;
      }
    }
    return -1;
  }

  /**
   * The frame a hit on (asid, vpn) grants `access` to, or -1 (a miss, or an entry without the
   * rights). A hit refreshes its LRU stamp.
   */
  hitFrame(asid: number, vpn: number, access: number): number {
    let i = this.predicted[vpn & this.predictMask]!;
    if (this.vpn[i] === vpn && this.asid[i] === asid) this.stamp[i] = ++this.clock;
    else if ((i = this.lookup(asid, vpn)) < 0) return -1;
    return (this.rights[i]! & access) === access ? this.frame[i]! : -1;
  }

  /** Cache (asid, vpn) → (frame, rights), replacing the entry for the same page or a victim of its set. */
  fill(asid: number, vpn: number, frame: number, rights: number): number {
    const ways = this.ways;
    const base = this.setOf(vpn) * ways;
    let victim = -1;
    for (let i = base; i < base + ways; i++) {
      if (this.asid[i] === asid && this.vpn[i] === vpn) {
        victim = i;
        break;
      }
      if (this.asid[i] === -1 && victim === -1) victim = i;
    }
    if (victim === -1) victim = this.replacement === "lru" ? this.oldest(base) : base + (this.next() % ways);
    this.asid[victim] = asid;
    this.vpn[victim] = vpn;
    this.frame[victim] = frame;
    this.rights[victim] = rights;
    this.stamp[victim] = ++this.clock;
    this.predicted[vpn & this.predictMask] = victim;
    return victim;
  }

  /**
   * The set of a page: its low bits (sets is a power of two). `&` first reduces a page number
   * modulo 2^32, a multiple of `sets`, so it is exact for every page number below 2^53.
   */
  private setOf(vpn: number): number {
    return vpn & this.setMask;
  }

  private oldest(base: number): number {
    let v = base;
    for (let i = base + 1; i < base + this.ways; i++) if (this.stamp[i]! < this.stamp[v]!) v = i;
    return v;
  }

  /** xorshift32: deterministic, seeded. */
  private next(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  /** Drop one entry. */
  drop(i: number): void {
    this.asid[i] = -1;
  }

  invalidatePage(asid: number, vpn: number): void {
    const i = this.lookup(asid, vpn);
    if (i >= 0) this.drop(i);
  }

  /** Every entry of `asid` with `startVpn ≤ vpn < endVpn`. */
  invalidateRange(asid: number, startVpn: number, endVpn: number): void {
    if (endVpn - startVpn <= this.sets) {
      for (let v = startVpn; v < endVpn; v++) this.invalidatePage(asid, v);
      return;
    }
    for (let i = 0; i < this.entries; i++)
      if (this.asid[i] === asid && this.vpn[i]! >= startVpn && this.vpn[i]! < endVpn) this.drop(i);
  }

  invalidateAsid(asid: number): void {
    for (let i = 0; i < this.entries; i++) if (this.asid[i] === asid) this.drop(i);
  }

  invalidateAll(): void {
    this.asid.fill(-1);
  }

  /** Valid entries, as indices. */
  *valid(): Generator<number> {
    for (let i = 0; i < this.entries; i++) if (this.asid[i] !== -1) yield i;
  }
}
