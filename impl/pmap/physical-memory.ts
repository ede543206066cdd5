/**
 * Physical memory of the simulated MMU: `count` frames with a free list (a stack, so the most
 * recently freed frame is reused first — the reuse that makes a premature free visible).
 *
 * A frame holds one resident page of a VM object. The object's page store stays the one source
 * of truth for contents (copies, collapse and the abstraction read it), so a frame does not own a
 * second copy of the bytes: it records which page it holds (`object`, `index`) and shares that
 * page's buffer. A frame is "stale" once its object no longer holds that very buffer at that index
 * (the page was freed, replaced or moved by a collapse): the MMU then unmaps and frees it.
 *
 * `pins` counts the wired mappings of a frame (pageout never takes a pinned frame); the reverse
 * map (`mappings`) lists every (page table, virtual page) that maps it, for page_protect.
 */
import type { VmObject } from "../object/vm-object.ts";
import type { Pmap } from "./pmap.ts";

/** One mapping of a frame: the pmap and the virtual page number. */
export interface FrameMapping {
  readonly pmap: Pmap;
  readonly vpn: number;
}

export class PhysicalMemory {
  /** Frames in total: the configured count plus any reserve taken when everything was pinned. */
  count: number;
  /** Frames taken beyond the configured count because every frame was pinned. */
  reserveTaken = 0;
  readonly object: (VmObject | null)[] = [];
  readonly index: number[] = [];
  readonly bytes: (Uint8Array | null)[] = [];
  readonly pins: number[] = [];
  readonly mappings: FrameMapping[][] = [];
  /** 1 while the frame is on the free list. */
  readonly free: number[] = [];
  private readonly freeList: number[] = [];
  /** Frame holding each resident page: object → page index → frame. */
  private readonly byPage = new Map<VmObject, Map<number, number>>();

  constructor(readonly configured: number) {
    this.count = 0;
    for (let f = 0; f < configured; f++) this.addFrame();
    // Lowest frame first off the stack.
    this.freeList.reverse();
  }

  private addFrame(): number {
    const f = this.count++;
    this.object.push(null);
    this.index.push(0);
    this.bytes.push(null);
    this.pins.push(0);
    this.mappings.push([]);
    this.free.push(1);
    this.freeList.push(f);
    return f;
  }

  get freeCount(): number {
    return this.freeList.length;
  }

  /** The frame holding page `index` of `object`, or -1. */
  frameOf(object: VmObject, index: number): number {
    return this.byPage.get(object)?.get(index) ?? -1;
  }

  /** Take a free frame for the page, or -1 when none is free. */
  allocate(object: VmObject, index: number, bytes: Uint8Array): number {
    const f = this.freeList.pop();
    if (f === undefined) return -1;
    this.assign(f, object, index, bytes);
    return f;
  }

  /** Take a frame beyond the configured count (every frame pinned: the 2000 kernel would wait for memory forever). */
  allocateReserve(object: VmObject, index: number, bytes: Uint8Array): number {
    this.reserveTaken++;
    this.addFrame();
    return this.allocate(object, index, bytes);
  }

  private assign(f: number, object: VmObject, index: number, bytes: Uint8Array): void {
    this.free[f] = 0;
    this.object[f] = object;
    this.index[f] = index;
    this.bytes[f] = bytes;
    let pages = this.byPage.get(object);
    if (pages === undefined) this.byPage.set(object, (pages = new Map()));
    pages.set(index, f);
  }

  /** Return a frame to the free list. The caller has removed its mappings and completed their shootdown. */
  release(f: number): void {
    const object = this.object[f];
    if (object) {
      const pages = this.byPage.get(object);
      // A frame retired while its page got a new frame (its free deferred until a shootdown
      // completed) no longer owns the page's slot: leave the new frame's.
      if (pages?.get(this.index[f]!) === f) pages.delete(this.index[f]!);
      if (pages?.size === 0) this.byPage.delete(object);
    }
    this.object[f] = null;
    this.bytes[f] = null;
    this.pins[f] = 0;
    this.free[f] = 1;
    this.freeList.push(f);
  }

  /** The frame still holds the page it was given: its object is alive and holds that very buffer there. */
  holdsLivePage(f: number): boolean {
    const o = this.object[f];
    return o !== null && o !== undefined && o.alive && o.pages.get(this.index[f]!) === this.bytes[f];
  }

  /** Frames in use, in frame order. */
  *used(): Generator<number> {
    for (let f = 0; f < this.count; f++) if (this.free[f] === 0) yield f;
  }

  /** The free list as it stands (for invariants). */
  freeFrames(): readonly number[] {
    return this.freeList;
  }
}
