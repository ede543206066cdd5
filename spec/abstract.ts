/**
 * The abstract state: what the spec means by "the state of the world", in a canonical form
 * that both the spec and the implementation can be mapped to. Refinement is equality of the
 * two abstractions after every command.
 *
 * Cells (pages of bytes) have no names that spec and impl could share, so they are numbered
 * canonically: in the order they are first met when visiting the memory objects (in handle
 * order, page by page), then the maps (in handle order, page by page), then the copies (in
 * handle order, page by page), then the named entries (in handle order, page by page). Two
 * pages alias the same cell in the spec iff they get the same number from the implementation.
 *
 * "Alias" means: a write through one is seen through the other. In an implementation with
 * deferred copies, two pages can read the same physical page while being logically distinct
 * (a pending copy-on-write); its abstraction must give such pages distinct cells.
 */
import type { PageAttributes } from "./vocabulary.ts";

export interface AbstractPage extends PageAttributes {
  /** Page number (address / page size). */
  readonly page: number;
  /** Canonical cell number (of the submap's page for a submap mapping; {@link NO_CELL} when it has none). */
  readonly cell: number;
  /** The submap handle of a submap mapping, else -1. */
  readonly submap: number;
  /** A submap mapping whose pmap is nested (`use_pmap`). */
  readonly nested: boolean;
  /** A copy-on-write submap mapping (`needs_copy`): the submap's page until the first write through it. */
  readonly cow: boolean;
}

/** The cell of a submap mapping's page that the submap does not map. */
export const NO_CELL = -1;

export interface AbstractMap {
  readonly min: number;
  readonly max: number;
  readonly refCount: number;
  /** How many of those references `swapout` left without residence (an implementation without a swapper may leave it out). */
  readonly swappedOut?: number;
  /** Mapped pages in ascending page order. */
  readonly pages: readonly AbstractPage[];
}

/** One page of an entry-list or object copy. */
export interface AbstractCopyPage {
  readonly cell: number;
  readonly prot: number;
  readonly maxProt: number;
  readonly inheritance: number;
  readonly behavior: number;
  readonly alias: number;
}

/** A copy value (vm_map_copy). */
export interface AbstractCopy {
  /** "emptied": what copy_copy leaves behind (discardable, nothing else). */
  readonly kind: "entry_list" | "kernel_buffer" | "object" | "page_list" | "emptied";
  /** The unrounded source address (entry list), object offset (object), 0 (kernel buffer). */
  readonly offset: number;
  /** The unrounded byte size. */
  readonly size: number;
  /**
   * Entry list: one page per page of `[trunc(offset), round(offset + size))`, ascending, with
   * the attributes it was copied with. Object: the object window's pages. Page list: the pages
   * it holds (at most `pageListMax`). Attributes are 0 for the last two.
   */
  readonly pages: readonly AbstractCopyPage[];
  /** Kernel buffer: the bytes, in hex (all of them, not trimmed). Otherwise "". */
  readonly data: string;
  /** Page list: its continuation ({@link describeContinuation}); absent or "" when it has none. */
  readonly cont?: string;
}

/** A page-list continuation as abstract worlds compare it: "" for none. */
export function describeContinuation(c: {
  readonly map: number; readonly start: number; readonly end: number; readonly options: number;
  readonly destroyStart: number; readonly destroyEnd: number;
} | null): string {
  if (c === null) return "";
  const destroy = c.destroyStart < c.destroyEnd ? `, then remove [${hexAddr(c.destroyStart)}, ${hexAddr(c.destroyEnd)})` : "";
  return `map ${c.map} [${hexAddr(c.start)}, ${hexAddr(c.end)}) options ${hexAddr(c.options)}${destroy}`;
}

/** A named entry (vm_named_entry): the right to map a window of cells. */
export interface AbstractNamedEntry {
  readonly protection: number;
  /** Size in bytes (page multiple). */
  readonly size: number;
  /** Canonical cell of each page of the window. */
  readonly cells: readonly number[];
  /** The handle of the map backing it (region_object_create: mapped as a submap), else -1. */
  readonly submap: number;
}

/** A shared region (shared_region_mapping): its submaps by handle and its descriptor fields. */
export interface AbstractRegion {
  readonly text: number;
  readonly data: number;
  readonly textSize: number;
  readonly dataSize: number;
  readonly clientBase: number;
  readonly alternateBase: number;
  readonly alternateNext: number;
  readonly refCount: number;
  readonly depth: number;
  /** The older region it is chained to, or -1. */
  readonly chain: number;
  /** 0 or SHARED_REGION_FULL. */
  readonly flags: number;
  /** The creator's reference is still held (the handle is usable). */
  readonly held: boolean;
}

export interface AbstractWorld {
  /** Index = map handle; null for a destroyed map. */
  readonly maps: readonly (AbstractMap | null)[];
  /** Index = memory object handle; canonical cell number of each of its pages. */
  readonly objects: readonly (readonly number[])[];
  /** Index = copy handle; null once consumed. */
  readonly copies: readonly (AbstractCopy | null)[];
  /** Index = named entry handle. */
  readonly namedEntries: readonly AbstractNamedEntry[];
  /**
   * Index = CPU; the handle of the map it runs, or null. An implementation without CPUs may
   * leave it out (then it is not compared).
   */
  readonly cpus?: readonly (number | null)[];
  /** Index = canonical cell number; bytes as hex with trailing zero bytes dropped. */
  readonly cells: readonly string[];
  /** Index = shared region handle. */
  readonly regions: readonly AbstractRegion[];
}

/** Numbers cells canonically while an abstraction is being built. */
export class CellNumbering {
  private readonly index = new Map<unknown, number>();
  readonly cells: string[] = [];

  /** The number `identity` already has, if any (lets a caller skip making the `bytes` callback). */
  known(identity: unknown): number | undefined {
    return this.index.get(identity);
  }

  /**
   * The canonical number of the cell named `identity` (any value unique to the cell in its
   * own world); `bytes` gives its contents the first time (undefined = all zero).
   */
  number(identity: unknown, bytes: () => Uint8Array | undefined): number {
    let n = this.index.get(identity);
    if (n === undefined) {
      n = this.cells.length;
      this.index.set(identity, n);
      this.cells.push(hexTrimmed(bytes()));
    }
    return n;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Hex of `bytes` without its trailing zero bytes ("" for a zero page). */
export function hexTrimmed(bytes: Uint8Array | undefined): string {
  if (bytes === undefined) return "";
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  let s = "";
  for (let i = 0; i < end; i++) s += HEX[bytes[i]!];
  return s;
}

const ATTRIBUTE_KEYS = ["prot", "maxProt", "inheritance", "behavior", "alias", "wiredCount", "userWiredCount", "submap", "nested", "cow", "cell"] as const;
const COPY_PAGE_KEYS = ["prot", "maxProt", "inheritance", "behavior", "alias"] as const;

/**
 * The first difference between two abstract worlds, as a sentence naming where it is, or
 * undefined when they are equal. `a` is the spec's side, `b` the implementation's.
 */
export function diffAbstract(a: AbstractWorld, b: AbstractWorld, pageSize: number): string | undefined {
  if (a.objects.length !== b.objects.length)
    return `memory object count: spec ${a.objects.length}, impl ${b.objects.length}`;
  for (let o = 0; o < a.objects.length; o++) {
    const x = a.objects[o]!, y = b.objects[o]!;
    if (x.length !== y.length) return `object ${o} page count: spec ${x.length}, impl ${y.length}`;
    for (let p = 0; p < x.length; p++)
      if (!sameCell(a, b, x[p]!, y[p]!)) return diffCell(a, b, x[p]!, y[p]!, `object ${o} page ${p}`);
  }
  if (a.maps.length !== b.maps.length) return `map count: spec ${a.maps.length}, impl ${b.maps.length}`;
  for (let m = 0; m < a.maps.length; m++) {
    const x = a.maps[m], y = b.maps[m];
    if (!x || !y) {
      if (x !== y) return `map ${m}: spec ${x ? "live" : "destroyed"}, impl ${y ? "live" : "destroyed"}`;
      continue;
    }
    for (const k of ["min", "max", "refCount"] as const)
      if (x[k] !== y[k]) return `map ${m} ${k}: spec ${x[k]}, impl ${y[k]}`;
    if (x.swappedOut !== undefined && y.swappedOut !== undefined && x.swappedOut !== y.swappedOut)
      return `map ${m} swapped-out references: spec ${x.swappedOut}, impl ${y.swappedOut}`;
    const n = Math.max(x.pages.length, y.pages.length);
    for (let i = 0; i < n; i++) {
      const p = x.pages[i], q = y.pages[i];
      if (!p || !q || p.page !== q.page) {
        const addr = (pg: AbstractPage | undefined) => (pg ? hexAddr(pg.page * pageSize) : "none");
        const first = Math.min(p?.page ?? Infinity, q?.page ?? Infinity);
        return `map ${m} page ${hexAddr(first * pageSize)}: mapped in ${p?.page === first ? "spec" : "impl"} only (next spec page ${addr(p)}, next impl page ${addr(q)})`;
      }
      if (samePage(a, b, p, q)) continue;
      for (const k of ATTRIBUTE_KEYS) {
        if (k === "cell") {
          const d = diffCell(a, b, p.cell, q.cell, `map ${m} page ${hexAddr(p.page * pageSize)}`);
          if (d) return d;
        } else if (p[k] !== q[k]) return `map ${m} page ${hexAddr(p.page * pageSize)} ${k}: spec ${p[k]}, impl ${q[k]}`;
      }
    }
  }
  if (a.copies.length !== b.copies.length) return `copy count: spec ${a.copies.length}, impl ${b.copies.length}`;
  for (let c = 0; c < a.copies.length; c++) {
    const x = a.copies[c], y = b.copies[c];
    if (!x || !y) {
      if (x !== y) return `copy ${c}: spec ${x ? "live" : "consumed"}, impl ${y ? "live" : "consumed"}`;
      continue;
    }
    for (const k of ["kind", "offset", "size", "data"] as const)
      if (x[k] !== y[k]) return `copy ${c} ${k}: spec ${JSON.stringify(x[k])}, impl ${JSON.stringify(y[k])}`;
    if ((x.cont ?? "") !== (y.cont ?? "")) return `copy ${c} continuation: spec ${JSON.stringify(x.cont ?? "")}, impl ${JSON.stringify(y.cont ?? "")}`;
    if (x.pages.length !== y.pages.length) return `copy ${c} page count: spec ${x.pages.length}, impl ${y.pages.length}`;
    for (let i = 0; i < x.pages.length; i++) {
      const p = x.pages[i]!, q = y.pages[i]!;
      if (sameCopyPage(a, b, p, q)) continue;
      for (const k of COPY_PAGE_KEYS)
        if (p[k] !== q[k]) return `copy ${c} page ${i} ${k}: spec ${p[k]}, impl ${q[k]}`;
      const d = diffCell(a, b, p.cell, q.cell, `copy ${c} page ${i}`);
      if (d) return d;
    }
  }
  if (a.namedEntries.length !== b.namedEntries.length)
    return `named entry count: spec ${a.namedEntries.length}, impl ${b.namedEntries.length}`;
  for (let n = 0; n < a.namedEntries.length; n++) {
    const x = a.namedEntries[n]!, y = b.namedEntries[n]!;
    if (x.protection !== y.protection || x.size !== y.size || x.cells.length !== y.cells.length || x.submap !== y.submap)
      return `named entry ${n}: spec protection ${x.protection} size ${hexAddr(x.size)} submap ${x.submap}, impl protection ${y.protection} size ${hexAddr(y.size)} submap ${y.submap}`;
    for (let i = 0; i < x.cells.length; i++)
      if (!sameCell(a, b, x.cells[i]!, y.cells[i]!)) return diffCell(a, b, x.cells[i]!, y.cells[i]!, `named entry ${n} page ${i}`);
  }
  if (a.cpus && b.cpus) {
    for (let c = 0; c < Math.max(a.cpus.length, b.cpus.length); c++)
      if (a.cpus[c] !== b.cpus[c]) return `cpu ${c} runs map: spec ${a.cpus[c]}, impl ${b.cpus[c]}`;
  }
  if (a.regions.length !== b.regions.length) return `shared region count: spec ${a.regions.length}, impl ${b.regions.length}`;
  for (let r = 0; r < a.regions.length; r++)
    for (const k of Object.keys(a.regions[r]!) as (keyof AbstractRegion)[])
      if (a.regions[r]![k] !== b.regions[r]![k]) return `shared region ${r} ${k}: spec ${a.regions[r]![k]}, impl ${b.regions[r]![k]}`;
  return undefined;
}

// Equality first, with plain field reads: the sentence naming a difference is built only when
// there is one (diffAbstract runs after every command of a campaign).
const sameCell = (a: AbstractWorld, b: AbstractWorld, x: number, y: number): boolean => x === y && a.cells[x] === b.cells[y];
const sameCopyPage = (a: AbstractWorld, b: AbstractWorld, p: AbstractCopyPage, q: AbstractCopyPage): boolean =>
  COPY_PAGE_KEYS.every((k) => p[k] === q[k]) && sameCell(a, b, p.cell, q.cell);
const samePage = (a: AbstractWorld, b: AbstractWorld, p: AbstractPage, q: AbstractPage): boolean =>
  ATTRIBUTE_KEYS.every((k) => (k === "cell" ? sameCell(a, b, p.cell, q.cell) : p[k] === q[k]));

function diffCell(a: AbstractWorld, b: AbstractWorld, x: number, y: number, where: string): string | undefined {
  if (x === NO_CELL || y === NO_CELL) return x === y ? undefined : `${where}: ${x === NO_CELL ? "spec" : "impl"} has no memory there (a submap page that is not mapped)`;
  if (x !== y) return `${where}: aliasing differs (spec cell #${x}, impl cell #${y}: the pages sharing memory are not the same)`;
  if (a.cells[x] !== b.cells[y]) return `${where}: bytes differ (spec ${a.cells[x] || "zero"}, impl ${b.cells[y] || "zero"})`;
  return undefined;
}

export const hexAddr = (x: number): string => "0x" + x.toString(16);
