/**
 * Generators: fast-check arbitraries of *symbolic* commands, resolved into concrete operations
 * against the current state when they run. A symbolic argument says "the third boundary of
 * the map, one page lower, plus 7 bytes" or "a raw value near 2^W"; resolving it against the
 * spec's abstract state gives an address. So arguments land where bugs live — entry and
 * attribute boundaries, holes, page edges, unaligned offsets, values near 2^W — and few
 * commands are wasted, while fast-check still shrinks the symbolic form.
 *
 * The table {@link GENERATORS} is a mapped type over the vocabulary: an operation without a
 * generator does not compile.
 */
import fc from "fast-check";
import { MAX_STEP_COUNT, MAX_THREADS } from "../spec/ops/threads.ts";
import type { AbstractMap, AbstractPage, AbstractWorld } from "../spec/abstract.ts";
import {
  MATTR_VALUES, VM_INHERIT_NONE, VM_MAP_REMOVE_INTERRUPTIBLE, VM_MAP_REMOVE_KUNWIRE, VM_MAP_REMOVE_WAIT_FOR_KWIRE, VM_PROT_COPY, VM_PROT_WRITE,
} from "../spec/constants.ts";
import { mmuGeometry, pageListMax, type Scope } from "../spec/scope.ts";
import type { Op, OpName, OpOf } from "../spec/vocabulary.ts";

// ---------- symbolic argument forms ----------

/** An address: a point of interest of the map moved by whole pages and bytes, or a raw value. */
export type AddrSel =
  | { readonly k: "point"; readonly i: number; readonly pages: number; readonly bytes: number }
  | { readonly k: "raw"; readonly v: number };
/** A size: whole pages plus bytes, "up to a point of interest", or a raw value. */
export type SizeSel =
  | { readonly k: "pages"; readonly n: number; readonly bytes: number }
  | { readonly k: "upto"; readonly i: number; readonly pages: number }
  | { readonly k: "raw"; readonly v: number };

/** What a resolver sees: the spec's abstract state, the scope and the latest ranges used. */
export interface ResolveContext {
  readonly view: AbstractWorld;
  readonly scope: Scope;
  /** The (map, addr, size) of the last few range commands, newest first: wiring the same range four times reaches MAX_WIRE_COUNT. */
  readonly recent: readonly RecentRange[];
  /** Threads with an operation in flight (spawn prefers an idle thread, step a busy one). */
  readonly busy?: readonly number[];
  /** The (cpu, addr) of the last few loads and stores, newest first: the pages CPUs' TLBs likely hold. */
  readonly accesses?: readonly RecentAccess[];
  /** CPUs whose acknowledgement a shootdown in flight still awaits (a hit there races it). */
  readonly awaited?: readonly number[];
}
export interface RecentAccess {
  readonly cpu: number;
  readonly addr: number;
}
export interface RecentRange {
  readonly op: OpName;
  readonly map: number;
  readonly addr: number;
  readonly size: number;
}

/** A generator: arbitrary of the symbolic form and its resolution to a concrete operation. */
export interface Generator<K extends OpName, S> {
  readonly arb: fc.Arbitrary<S>;
  readonly resolve: (sym: S, ctx: ResolveContext) => OpOf<K>;
  /** Relative frequency in a campaign. */
  readonly weight: number;
}

// ---------- resolution helpers ----------

/** Map handles: mostly live maps; 1 in 64 a destroyed or never-created handle. */
function pickMap(sel: number, view: AbstractWorld): number {
  const live: number[] = [];
  view.maps.forEach((m, h) => m && live.push(h));
  if (live.length === 0 || sel % 64 === 63) {
    const dead = view.maps.findIndex((m) => m === null);
    return sel % 2 === 0 && dead >= 0 ? dead : view.maps.length;
  }
  return live[sel % live.length]!;
}

/**
 * Points of interest of a map: its bounds and every address where mappedness or a page's
 * attributes change (entry and attribute boundaries, hole edges), and the page-table leaf
 * boundaries inside a window that asks for a nested pmap (a clip there leaves pieces of whole
 * leaves, one of them from a non-zero offset: the near misses of the nesting rule).
 */
export function pointsOfInterest(map: AbstractMap | null | undefined, scope: Scope): number[] {
  if (!map) return [0];
  const ps = scope.pageSize, leaf = leafPages(scope);
  const points = [map.min, map.max];
  let prevPage = -2;
  let prevKey = "";
  for (const p of map.pages) {
    const key = `${p.prot}/${p.maxProt}/${p.inheritance}/${p.behavior}/${p.alias}/${p.wiredCount}/${p.userWiredCount}/${p.submap}/${p.cow}`;
    if (p.page !== prevPage + 1) {
      if (prevPage >= 0) points.push((prevPage + 1) * ps);
      points.push(p.page * ps);
    } else if (key !== prevKey || (p.nested && p.submap >= 0 && p.page % leaf === 0)) points.push(p.page * ps);
    prevPage = p.page;
    prevKey = key;
  }
  if (prevPage >= 0) points.push((prevPage + 1) * ps);
  return [...new Set(points)].sort((a, b) => a - b);
}

function resolveAddr(sel: AddrSel, map: AbstractMap | null | undefined, scope: Scope): number {
  if (sel.k === "raw") return sel.v;
  let points = pointsOfInterest(map, scope);
  // Even selectors prefer points where memory is mapped, so range operations mostly find some.
  if (sel.i % 2 === 0 && map) {
    const mapped = new Set(map.pages.map((p) => p.page));
    const inside = points.filter((p) => mapped.has(p / scope.pageSize));
    if (inside.length) points = inside;
  }
  const base = points[(sel.i >> 1) % points.length]!;
  return Math.max(0, base + sel.pages * scope.pageSize + sel.bytes);
}

function resolveSize(sel: SizeSel, addr: number, map: AbstractMap | null | undefined, scope: Scope): number {
  const ps = scope.pageSize;
  switch (sel.k) {
    case "raw":
      return sel.v;
    case "pages":
      return Math.max(0, sel.n * ps + sel.bytes);
    case "upto": {
      const points = pointsOfInterest(map, scope).filter((p) => p > addr);
      const target = points.length ? points[sel.i % points.length]! + sel.pages * ps : addr + ps;
      return target > addr ? target - addr : ps;
    }
  }
}

const mapOf = (ctx: ResolveContext, handle: number) => ctx.view.maps[handle];

/**
 * The mapped page (not a submap window) right below where an enter of `size` bytes at `addr`
 * lands (or a range at `addr` starts): below `addr` for a fixed enter; for an anywhere enter,
 * below the lowest run of unmapped pages at or above `max(addr, min)` long enough to hold it
 * (first fit, alignment ignored), or none when no run fits.
 */
function pageBefore(m: AbstractMap | null | undefined, addr: number, size: number, anywhere: boolean, scope: Scope): AbstractPage | undefined {
  if (!m) return undefined;
  const ps = scope.pageSize;
  let first = Math.floor(Math.max(addr, anywhere ? m.min : 0) / ps);
  if (anywhere) {
    // First fit over the gaps between mapped pages (m.pages is in ascending order).
    const need = Math.max(1, Math.ceil(size / ps));
    for (const q of m.pages) {
      if (q.page < first) continue;
      if (q.page - first >= need) break;
      first = q.page + 1;
    }
    if (first + need > m.max / ps) return undefined;
  }
  const below = m.pages.find((q) => q.page === first - 1);
  return below !== undefined && below.submap === -1 ? below : undefined;
}

/**
 * The `pick`-th (cyclically) run of `pages` consecutive mapped writable pages in any map, as a
 * map handle and first page, other than one starting at `avoidPage`; undefined when there is none.
 */
function writableRun(view: AbstractWorld, pages: number, pick: number, avoidPage: number): { map: number; page: number } | undefined {
  const runs: { map: number; page: number }[] = [];
  view.maps.forEach((m, map) => {
    if (!m) return;
    let first = 0;
    m.pages.forEach((p, i) => {
      const continues = i > 0 && m.pages[i - 1]!.page === p.page - 1 && (m.pages[i - 1]!.prot & 2) !== 0;
      if (!continues) first = i;
      const page = i - first + 1 >= pages ? m.pages[i - pages + 1]!.page : avoidPage;
      if ((p.prot & 2) !== 0 && page !== avoidPage) runs.push({ map, page });
    });
  });
  return runs.length === 0 ? undefined : runs[pick % runs.length];
}

/**
 * The `pick`-th (cyclically) copy-on-write window page of the view (only of map `only` when
 * given) as an address to write: through the window (promoting it), or with `behind` the
 * submap's own page it shows (a write there must stay visible through the window until it is
 * promoted, and invisible after). Undefined when there is none.
 */
function cowTarget(view: AbstractWorld, scope: Scope, pick: number, behind: boolean, only?: number): { map: number; addr: number } | undefined {
  const found: { map: number; addr: number }[] = [];
  view.maps.forEach((m, map) => {
    if (!m || (only !== undefined && map !== only)) return;
    for (const p of m.pages) {
      if (!p.cow || p.cell < 0) continue;
      if (!behind) found.push({ map, addr: p.page * scope.pageSize });
      else {
        const shown = view.maps[p.submap]?.pages.find((q) => q.cell === p.cell);
        if (shown) found.push({ map: p.submap, addr: shown.page * scope.pageSize });
      }
    }
  });
  const t = found[pick % Math.max(1, found.length)];
  return t && { map: t.map, addr: t.addr + (pick >> 3) % scope.pageSize };
}

/** The `pick`-th (cyclically) page of a plain submap window that shows memory, if any. */
function windowPage(view: AbstractWorld, pick: number): { map: number; page: number } | undefined {
  const found: { map: number; page: number }[] = [];
  view.maps.forEach((m, map) => m?.pages.forEach((p) => p.submap >= 0 && !p.cow && p.cell >= 0 && found.push({ map, page: p.page })));
  return found[pick % Math.max(1, found.length)];
}

/** Copy handles: mostly live copies; 1 in 25 the NULL copy, 1 in 25 a consumed or unknown one. */
function pickCopy(sel: number, view: AbstractWorld): number | null {
  if (sel % 25 === 24) return null;
  const live: number[] = [];
  view.copies.forEach((c, h) => c && live.push(h));
  if (live.length === 0 || sel % 25 === 23) {
    const consumed = view.copies.findIndex((c) => c === null);
    return sel % 2 === 0 && consumed >= 0 ? consumed : view.copies.length;
  }
  return live[sel % live.length]!;
}

/**
 * Page-list handles for the page-list operations: mostly a live page list (one with a
 * continuation when `continued`), else any copy handle as {@link pickCopy} picks it (another
 * kind, consumed, unknown: the clean refusals).
 */
function pickPageList(sel: number, view: AbstractWorld, continued: boolean): number {
  const lists: number[] = [];
  view.copies.forEach((c, h) => c?.kind === "page_list" && (!continued || c.cont) && lists.push(h));
  if (lists.length === 0 || sel % 10 === 9) return pickCopy(sel, view) ?? view.copies.length;
  return lists[sel % lists.length]!;
}

/** Named entry handles: existing ones; 1 in 25 an unknown one. */
const pickEntry = (sel: number, view: AbstractWorld): number =>
  view.namedEntries.length === 0 || sel % 25 === 24 ? view.namedEntries.length : sel % view.namedEntries.length;

/**
 * CPUs: mostly one that runs a live map (so loads and stores land in memory); 1 in 32 a number
 * that is not a CPU; otherwise any CPU (maybe idle, or running a destroyed map).
 */
function pickCpu(sel: number, view: AbstractWorld): number {
  const cpus = view.cpus ?? [];
  if (sel % 32 === 31) return sel % 64 === 63 ? -1 : cpus.length;
  const running: number[] = [];
  cpus.forEach((h, c) => h !== null && view.maps[h] && running.push(c));
  if (running.length > 0 && sel % 16 !== 15) return running[(sel >> 4) % running.length]!;
  return cpus.length === 0 ? 0 : sel % cpus.length;
}

/** The abstract map `cpu` runs, if any. */
function cpuMap(ctx: ResolveContext, cpu: number): AbstractMap | null | undefined {
  const h = ctx.view.cpus?.[cpu];
  return h === undefined || h === null ? undefined : ctx.view.maps[h];
}

/**
 * An address for a user access through a CPU: mostly inside a page of the map that allows the
 * access (so translations get made, cached and shot down), else a point of interest.
 */
function accessAddr(sel: AddrSel, pick: number, map: AbstractMap | null | undefined, access: number, scope: Scope): number {
  const allowed = map?.pages.filter((p) => (p.prot & access) === access) ?? [];
  if (pick % 4 === 3 || allowed.length === 0) return resolveAddr(sel, map, scope);
  // A quarter of the rest through windows asking for a nested pmap, when there are some.
  const nested = allowed.filter((p) => p.nested);
  const from = nested.length > 0 && (pick >> 2) % 4 === 0 ? nested : allowed;
  return from[(pick >> 4) % from.length]!.page * scope.pageSize + (sel.k === "point" ? Math.abs(sel.bytes) % scope.pageSize : 0);
}

// ---------- argument arbitraries ----------

/** Raw numbers: edges of the address space, near 2^W, and (rarely) outside every domain. */
function rawNumber(scope: Scope): fc.Arbitrary<number> {
  const top = 2 ** scope.addressBits;
  const ps = scope.pageSize;
  return fc.oneof(
    // (The largest object size allowed is among them: sizes at the bound are accepted.)
    { weight: 4, arbitrary: fc.constantFrom(0, 1, ps - 1, ps, top - ps, top - 1, top - 2 * ps + 1, top + ps, scope.maxObjectPages * ps) },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 4 * ps }).map((d) => top - 1 - d) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: top - 1 }) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, -1, -ps, 0.5, ps + 0.5, top, top + ps, Number.POSITIVE_INFINITY) },
  );
}

function addrSel(scope: Scope): fc.Arbitrary<AddrSel> {
  const ps = scope.pageSize;
  return fc.oneof(
    {
      weight: 30,
      arbitrary: fc.record({
        k: fc.constant("point" as const),
        i: fc.nat(64),
        pages: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: -2, max: 2 }) }),
        bytes: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, ps - 1, ps >> 1, -1) }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("raw" as const), v: rawNumber(scope) }) },
  );
}

function sizeSel(scope: Scope, maxPages = 6): fc.Arbitrary<SizeSel> {
  const ps = scope.pageSize;
  return fc.oneof(
    {
      weight: 20,
      arbitrary: fc.record({
        k: fc.constant("pages" as const),
        n: fc.oneof({ weight: 50, arbitrary: fc.integer({ min: 1, max: maxPages }) }, { weight: 1, arbitrary: fc.constant(0) }),
        bytes: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, ps - 1, -1) }),
      }),
    },
    { weight: 10, arbitrary: fc.record({ k: fc.constant("upto" as const), i: fc.oneof(fc.nat(2), fc.nat(64)), pages: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 1 }) }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("raw" as const), v: rawNumber(scope) }) },
  );
}

/** remove's valid flag sets: none, KUNWIRE, WAIT_FOR_KWIRE, both, and INTERRUPTIBLE. */
const REMOVE_FLAGS = [0, VM_MAP_REMOVE_KUNWIRE, VM_MAP_REMOVE_WAIT_FOR_KWIRE, VM_MAP_REMOVE_KUNWIRE | VM_MAP_REMOVE_WAIT_FOR_KWIRE, VM_MAP_REMOVE_INTERRUPTIBLE] as const;

/**
 * Protections: mostly valid bits, rarely unknown ones — among them 2^32 + 1 and 2^32 + 7, whose
 * low 32 bits are valid: a word in a 48-bit scope, and refused only by a test of every bit.
 */
const protArb = fc.oneof({ weight: 150, arbitrary: fc.nat(7) }, { weight: 1, arbitrary: fc.constantFrom(8, 0x20, 0xff, 2 ** 32 + 1, 2 ** 32 + 7) });
/** Alignment masks: none, a few pages, rarely malformed or raw. */
function maskArb(scope: Scope): fc.Arbitrary<number> {
  const ps = scope.pageSize;
  return fc.oneof(
    { weight: 24, arbitrary: fc.constant(0) },
    { weight: 12, arbitrary: fc.constantFrom(ps - 1, 2 * ps - 1, 4 * ps - 1, 16 * ps - 1) },
    { weight: 1, arbitrary: fc.constantFrom(3 * ps - 1, 2 ** scope.addressBits - 1, Number.NaN) },
  );
}
const mapSel = fc.nat(1000);

/** A map's bounds: low, middle or at the very top of the address space; rarely malformed. */
export interface CreateSym {
  readonly place: "low" | "mid" | "top" | "raw";
  readonly base: number;
  readonly span: number;
  readonly rawMin: number;
  readonly rawMax: number;
}
export function createSym(scope: Scope, valid = false): fc.Arbitrary<CreateSym> {
  const places = valid ? fc.constantFrom("low" as const, "mid" as const, "top" as const) : fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom("low" as const, "mid" as const, "top" as const) },
    { weight: 1, arbitrary: fc.constant("raw" as const) },
  );
  return fc.record({ place: places, base: fc.nat(8), span: fc.integer({ min: 0, max: 40 }), rawMin: rawNumber(scope), rawMax: rawNumber(scope) });
}
export function resolveCreate(s: CreateSym, scope: Scope): OpOf<"create"> {
  const ps = scope.pageSize;
  const top = 2 ** scope.addressBits;
  switch (s.place) {
    case "low": {
      // Half of them at 0: a submap must start at 0 for a window onto it to ask for a nested pmap.
      const base = s.base % 2 === 0 ? 0 : s.base;
      return { op: "create", min: base * ps, max: (base + s.span) * ps };
    }
    case "mid":
      // (A third of these at 0 too, for submaps whose windows can ask for a nested pmap.)
      if (s.base % 3 === 0) return { op: "create", min: 0, max: (1 + s.span) * ps };
      return { op: "create", min: top / 2 + s.base * ps, max: top / 2 + (s.base + s.span) * ps };
    case "top":
      return { op: "create", min: top - (s.base + s.span) * ps, max: top - s.base * ps };
    case "raw": {
      // Raw bounds test create's validation; a valid map stays small (at most 64 pages) so that
      // a huge enter into it cannot make the page-per-page spec allocate millions of pages. A
      // max past the address space stays as it is: no map can have it.
      const max = s.rawMax - s.rawMin > 64 * ps && !(s.rawMax > top) ? s.rawMin + (s.span + 1) * ps : s.rawMax;
      return { op: "create", min: s.rawMin, max };
    }
  }
}

/**
 * Populating a map at the start of a run: an anywhere-enter of 1..4 pages with valid
 * attributes, so that most commands of a run find memory to work on (and shrinking drops the
 * ones a failure does not need). Half of them (those with an even `at`: no new random draw,
 * so every other value of a seed's runs stays what it was) are then, if writable, written
 * whole, each page with different bytes: a later read through a shadow at the wrong offset, or
 * of the wrong page of a chain, then shows other bytes instead of the same zeros.
 */
export interface PopulateSym {
  readonly map: number;
  readonly pages: number;
  readonly at: number;
  readonly cur: number;
  readonly inheritance: number;
}
export function populateSym(): fc.Arbitrary<PopulateSym> {
  return fc.record({ map: fc.nat(3), pages: fc.integer({ min: 1, max: 4 }), at: fc.nat(40), cur: fc.nat(7), inheritance: fc.nat(2) });
}

/** The write that fills a populated range (see {@link PopulateSym}), or undefined. */
export function resolveFill(s: PopulateSym, enter: OpOf<"enter">, entered: { readonly kr: string; readonly addr?: number }): OpOf<"write_user"> | undefined {
  if (s.at % 2 !== 0 || entered.kr !== "KERN_SUCCESS" || entered.addr === undefined || (s.cur & VM_PROT_WRITE) === 0) return undefined;
  return { op: "write_user", map: enter.map, addr: entered.addr, data: patternHex(s.at, enter.size) };
}
export function resolvePopulate(s: PopulateSym, ctx: ResolveContext): OpOf<"enter"> {
  const live = ctx.view.maps.flatMap((m, h) => (m ? [h] : []));
  const map = live.length ? live[s.map % live.length]! : 0;
  const m = ctx.view.maps[map];
  const span = m ? (m.max - m.min) / ctx.scope.pageSize : 1;
  return {
    op: "enter", map, addr: (m?.min ?? 0) + (s.at % Math.max(1, span)) * ctx.scope.pageSize, size: s.pages * ctx.scope.pageSize, mask: 0, anywhere: true,
    alias: 0, cur: s.cur, max: 7, inheritance: s.inheritance, source: { kind: "anonymous" },
  };
}

/**
 * Handles at the start of a run, so that commands taking a copy, a named entry or a memory
 * object find one: a memory object, a writable window of one, a copy of a populated range
 * (entry list, kernel buffer or page list), a named entry for a populated range, or a step
 * towards a copy-on-write submap ({@link resolveCowHandle}).
 */
export interface HandleSym {
  readonly kind: "object" | "window" | "copy" | "entry" | "pagelist" | "region" | "cow";
  readonly which: number;
  readonly small: boolean;
}
/** The operations each kind of start-of-run handle is made with (a profile gets the kinds it has). */
export const HANDLE_KIND_OPS = {
  object: ["object_create"],
  window: ["object_create", "enter"],
  copy: ["copyin"],
  entry: ["make_memory_entry"],
  pagelist: ["copyin_page_list"],
  region: ["shared_region_create"],
  cow: ["region_object_create", "enter", "map_memory_entry"],
} as const satisfies Record<HandleSym["kind"], readonly OpName[]>;

/** Start-of-run handles of `kinds` (at least one), each drawn with weight 1 unless `weights` says otherwise. */
export function handleSym(kinds: readonly HandleSym["kind"][] = Object.keys(HANDLE_KIND_OPS) as HandleSym["kind"][], weights: Partial<Record<HandleSym["kind"], number>> = {}): fc.Arbitrary<HandleSym> {
  const kind = fc.oneof(...kinds.map((k) => ({ weight: weights[k] ?? 1, arbitrary: fc.constant(k) })));
  return fc.record({ kind, which: fc.nat(7), small: fc.boolean() });
}

/**
 * One step towards a copy-on-write submap, as far as the run has got: a submap-backed named
 * entry (region_object_create), then memory in its map, then the entry mapped with copy into
 * another live map (its pages are copy-on-write windows until written).
 */
function resolveCowHandle(s: HandleSym, ctx: ResolveContext): Op {
  const ps = ctx.scope.pageSize;
  const entry = ctx.view.namedEntries.findLastIndex((n) => n.submap >= 0);
  const named = ctx.view.namedEntries[entry];
  const sub = named ? ctx.view.maps[named.submap] : undefined;
  if (!named || !sub) return { op: "region_object_create", size: (2 + (s.which % 3)) * ps };
  if (sub.pages.length === 0)
    return { op: "enter", map: named.submap, addr: sub.min, size: named.size, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } };
  const others = ctx.view.maps.flatMap((m, h) => (m && h !== named.submap ? [h] : []));
  const map = others.length ? others[s.which % others.length]! : 0;
  return { op: "map_memory_entry", map, addr: 0, size: named.size, mask: 0, anywhere: true, entry, offset: 0, copy: true, cur: 3, max: 7, inheritance: s.small ? 2 : 0 };
}
export function resolveHandle(s: HandleSym, ctx: ResolveContext): Op {
  const ps = ctx.scope.pageSize;
  const objects = ctx.view.objects.length;
  if (s.kind === "object" || (s.kind === "window" && objects === 0)) return { op: "object_create", size: (1 + (s.which % 4)) * ps };
  if (s.kind === "cow") return resolveCowHandle(s, ctx);
  // A shared region placed at a free run of a live map (so region operations find one to use).
  if (s.kind === "region") return resolveRegion({ map: s.which, text: 1 + (s.which % 2), data: 1 + (s.which >> 2), at: s.which * 3, odd: 0 }, ctx);
  if (s.kind === "window") {
    // A writable window of a memory object, anywhere in a live map.
    const live = ctx.view.maps.flatMap((m, h) => (m ? [h] : []));
    return {
      op: "enter", map: live.length ? live[s.which % live.length]! : 0, addr: 0, size: ps, mask: 0, anywhere: true, alias: 0,
      cur: 3, max: 7, inheritance: s.small ? 0 : 1, source: { kind: "object", object: s.which % objects, offset: 0 },
    };
  }
  // A populated page of some live map (or page 0 of map 0 when there is none).
  const pages = ctx.view.maps.flatMap((m, h) => (m ? m.pages.map((p) => ({ map: h, addr: p.page * ps })) : []));
  const at = pages.length ? pages[s.which % pages.length]! : { map: 0, addr: 0 };
  if (s.kind === "copy") return { op: "copyin", map: at.map, addr: at.addr, size: s.small ? ps / 2 : ps, srcDestroy: false, useMaxprot: !s.small };
  // A page list of up to 8 pages (mostly longer than a model-check page list: a continuation).
  if (s.kind === "pagelist") return { op: "copyin_page_list", map: at.map, addr: at.addr, size: (1 + s.which) * ps, options: s.small ? 0 : 1 };
  return { op: "make_memory_entry", map: at.map, addr: at.addr, size: ps, permission: s.small ? 1 : 3 };
}

/**
 * A submap installation: a parent and a different live map as the submap (symbolic handles, as
 * everywhere), a free run of the parent's pages (the placeholder's range), and a window of the
 * submap starting at one of its mapped pages, so that the window shows memory. `odd` picks the
 * rejected cases now and then: a mapped range, an unaligned offset, the parent as its own submap,
 * and (odd 9 and 10) each malformed argument.
 */
export interface SubmapSym {
  readonly map: number;
  readonly submap: number;
  readonly at: number;
  readonly pages: number;
  readonly offset: number;
  readonly inheritance: number;
  readonly usePmap: boolean;
  readonly odd: number;
}
export function resolveSubmap(s: SubmapSym, ctx: ResolveContext): OpOf<"submap"> {
  const ps = ctx.scope.pageSize;
  const map = pickMap(s.map, ctx.view);
  const live = ctx.view.maps.flatMap((m, h) => (m && h !== map ? [h] : []));
  const submap = s.odd === 1 || live.length === 0 ? map : live[s.submap % live.length]!;
  const parent = ctx.view.maps[map], inner = ctx.view.maps[submap];
  const base = { op: "submap" as const, map, submap, inheritance: s.inheritance, usePmap: s.usePmap };
  if (!parent || !inner) return { ...base, addr: 0, size: s.pages * ps, offset: 0 };
  if (s.odd === 9 || s.odd === 10) return malformedSubmap(s, ctx, base, parent, inner);
  // Most requests for a nested pmap make a window the MMU can nest: offset 0 of a submap
  // starting at 0, whole page-table leaves at a leaf boundary of a parent some CPU runs. Some
  // odd values aim at the nesting rule's edges, so that a rule too lax or too strict shows:
  // odd 4, a window of two leaves (a later clip between them leaves a window from a non-zero
  // offset; §4.16 records `use_pmap` only at offset 0, so that is the only way to ask for a
  // nested pmap there); odd 5, one page off the leaf boundary; odd 6, onto a submap that has a
  // window of its own at its start; odd 7, in a map that is itself shown through a window; odd
  // 8, in a map without a pmap (its windows are nested when it gets one).
  const leaf = leafPages(ctx.scope);
  if (s.usePmap && s.odd >= 4) {
    const maps = ctx.view.maps;
    const running = (ctx.view.cpus ?? []).filter((h): h is number => h !== null && maps[h] !== null);
    const nestedSubmaps = new Set(maps.flatMap((m) => (m ? m.pages.filter((p) => p.nested && p.submap >= 0).map((p) => p.submap) : [])));
    // (odd 8: a map no CPU runs and no window shows, at its start: its windows are nested only
    // when it gets a pmap, and a window onto it then finds its own nesting first.)
    const idle = s.odd === 8 ? maps.flatMap((m, h) => (m && m.min === 0 && !running.includes(h) && !nestedSubmaps.has(h) ? [h] : [])) : [];
    const parents = s.odd === 7 ? [...nestedSubmaps].filter((h) => maps[h]?.min === 0) : idle;
    const top = parents.length > 0 ? parents[s.map % parents.length]! : running.length > 0 ? running[s.map % running.length]! : map;
    const atZero = maps.flatMap((m, h) => (m && h !== top && m.min === 0 && m.max >= leaf * ps ? [h] : []));
    // (One that maps something in the window, when there is one: loads through it then hit memory.)
    const showing = atZero.filter((h) => maps[h]!.pages.some((p) => (s.odd === 6 ? p.nested && p.submap >= 0 && p.page < 2 * leaf : p.page < leaf)));
    const wide = s.odd === 4 ? atZero.filter((h) => maps[h]!.max >= 2 * leaf * ps) : [];
    const subs = wide.length > 0 ? wide : showing.length > 0 ? showing : atZero;
    if (subs.length > 0) {
      const sub = subs[s.submap % subs.length]!, leaves = Math.floor(maps[sub]!.max / ps / leaf);
      const pages = leaf * Math.max(1, Math.min(s.odd === 4 || s.odd === 6 ? 2 : 1 + (s.pages % 2), leaves));
      const skew = s.odd === 5 ? 1 : 0;
      const addr = (freeRun(maps[top]!, pages + skew, s.odd === 7 || s.odd === 8 ? 0 : s.at, ps, leaf) + skew) * ps;
      return { ...base, map: top, submap: sub, addr, size: pages * ps, offset: 0 };
    }
  }
  // The window: from a mapped page of the submap (or its start), kept inside its bounds.
  const mapped = inner.pages.map((p) => p.page * ps);
  let offset = mapped.length ? mapped[s.offset % mapped.length]! : inner.min;
  const pages = Math.max(1, Math.min(s.pages, (inner.max - offset) / ps));
  if (offset + pages * ps > inner.max) offset = inner.min;
  if (s.odd === 2) offset += 1;
  // The range: a free run of the parent (a mapped page now and then).
  const start = s.odd === 3 ? parent.min / ps + (s.at % Math.max(1, (parent.max - parent.min) / ps)) : freeRun(parent, pages, s.at, ps);
  return { ...base, addr: start * ps, size: pages * ps, offset };
}

/**
 * Odd 9 and 10: a request each of vm_map_submap's argument checks refuses on its own, the rest of it
 * well formed (a window of one page at the submap's start, in a free page of the parent), chosen
 * by `at`: an unaligned address, an unaligned size, no size, a range that passes 2^W, an offset
 * below the submap's start (from a submap that does not start at 0, when there is one), a
 * submap handle that names no map.
 */
function malformedSubmap(s: SubmapSym, ctx: ResolveContext, base: Omit<OpOf<"submap">, "addr" | "size" | "offset">, parent: AbstractMap, inner: AbstractMap): OpOf<"submap"> {
  const ps = ctx.scope.pageSize, top = 2 ** ctx.scope.addressBits;
  const addr = freeRun(parent, 1, s.at, ps) * ps, offset = inner.min;
  switch (s.at % 6) {
    case 0: return { ...base, addr: addr + 1, size: ps, offset };
    case 1: return { ...base, addr, size: ps + 1, offset };
    case 2: return { ...base, addr, size: 0, offset };
    case 3: return { ...base, addr: top - ps, size: 2 * ps, offset };
    case 4: {
      const high = ctx.view.maps.flatMap((m, h) => (m && m.min >= ps && h !== base.map ? [h] : []));
      if (high.length === 0) return { ...base, addr, size: ps, offset: offset - ps };
      const submap = high[s.submap % high.length]!;
      return { ...base, submap, addr, size: ps, offset: ctx.view.maps[submap]!.min - ps };
    }
    default: return { ...base, submap: ctx.view.maps.length, addr, size: ps, offset };
  }
}

/**
 * The tail of a run of mapped pages of `map`, from a written page that is not the run's first
 * (the first such at or after `addr`, wrapping): its address and size, or undefined.
 */
function writtenTail(view: AbstractWorld, map: number, addr: number, scope: Scope): { addr: number; size: number } | undefined {
  const pages = view.maps[map]?.pages ?? [];
  const ps = scope.pageSize;
  const written = (i: number): boolean => pages[i - 1]?.page === pages[i]!.page - 1 && pages[i]!.submap === -1 && (view.cells[pages[i]!.cell] ?? "") !== "";
  const candidates = pages.flatMap((_, i) => (written(i) ? [i] : []));
  if (candidates.length === 0) return undefined;
  const from = candidates.find((i) => pages[i]!.page * ps >= addr) ?? candidates[0]!;
  let to = from;
  while (pages[to + 1]?.page === pages[to]!.page + 1) to++;
  return { addr: pages[from]!.page * ps, size: (pages[to]!.page - pages[from]!.page + 1) * ps };
}

/** Pages of one page-table leaf: a window of whole leaves at a leaf boundary can be nested. */
export const leafPages = (scope: Scope): number => 2 ** mmuGeometry(scope).pageTableLeafBits;

/**
 * The first page of a run of `pages` unmapped pages of `map` starting at a multiple of `align`,
 * searching from the `at`-th page (wrapping); some page if none.
 */
function freeRun(map: AbstractMap, pages: number, at: number, ps: number, align = 1): number {
  const used = new Set(map.pages.map((p) => p.page));
  const first = map.min / ps, last = map.max / ps;
  const span = Math.max(1, last - first);
  let start = first + (at % span);
  for (let tries = 0; tries < span; tries++, start = first + ((start - first + 1) % span)) {
    let free = start + pages <= last && start % align === 0;
    for (let p = start; free && p < start + pages; p++) free = !used.has(p);
    if (free) break;
  }
  return start;
}

/** Mostly a region whose handle is held (usable); now and then one dropped or never made. */
const pickRegion = (sel: number, view: AbstractWorld): number => {
  const held = view.regions.flatMap((r, i) => (r.held ? [i] : []));
  if (sel % 25 === 24 || (held.length === 0 && view.regions.length > 0)) return sel % 2 === 0 || view.regions.length === 0 ? view.regions.length : sel % view.regions.length;
  return held.length === 0 ? view.regions.length : held[sel % held.length]!;
};

/**
 * A shared region whose client base is a free run of some live map (so mapping it there, or
 * into a similar map, mostly succeeds); `odd` now and then makes a size unaligned or zero.
 */
export interface RegionSym {
  readonly map: number;
  readonly text: number;
  readonly data: number;
  readonly at: number;
  readonly odd: number;
}
export function resolveRegion(s: RegionSym, ctx: ResolveContext): OpOf<"shared_region_create"> {
  const ps = ctx.scope.pageSize;
  const m = ctx.view.maps[pickMap(s.map, ctx.view)];
  // Now and then a text of whole page-table leaves at a leaf boundary: the MMU can nest it.
  const leaf = leafPages(ctx.scope);
  const nestable = s.odd >= 10;
  const text = nestable ? leaf : s.text;
  const clientBase = m ? freeRun(m, text + s.data, s.at, ps, nestable ? leaf : 1) * ps : s.at * ps;
  const textSize = s.odd === 1 ? s.text * ps + 1 : s.odd === 2 ? 0 : text * ps;
  return { op: "shared_region_create", textSize, dataSize: s.data * ps, clientBase };
}

/** Bytes to write: a deterministic pattern from a seed, so shrinking keeps them readable. */

/** Bytes to write: a deterministic pattern from a seed, so shrinking keeps them readable. */
export function patternHex(seed: number, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += (((seed * 37 + i * 11 + 1) & 0xff) || 1).toString(16).padStart(2, "0");
  return s;
}

// ---------- the table ----------

type Generators = { readonly [K in OpName]: Generator<K, any> };

function gen<K extends OpName, S>(g: Generator<K, S>): Generator<K, S> {
  return g;
}

/** Range-taking operations share the address/size selection. */
function ranged<K extends OpName, E>(
  op: K,
  scope: Scope,
  extra: fc.Arbitrary<E>,
  weight: number,
  build: (map: number, addr: number, size: number, extra: E, ctx: ResolveContext) => OpOf<K>,
  maxPages = 6,
  reusePercent = 30,
): Generator<K, { map: number; addr: AddrSel; size: SizeSel; extra: E; reuse: number }> {
  return gen({
    weight,
    arb: fc.record({ map: mapSel, addr: addrSel(scope), size: sizeSel(scope, maxPages), extra, reuse: fc.nat(99) }),
    resolve: (s, ctx) => {
      // Sometimes work on a range a recent command used: mostly the last one of the same
      // operation (so repeated wirings reach MAX_WIRE_COUNT), else the last one of any.
      const sameOp = ctx.recent.find((r) => r.op === op);
      const again = s.reuse < reusePercent ? (s.reuse % 3 !== 0 && sameOp ? sameOp : ctx.recent[0]) : undefined;
      if (again && ctx.view.maps[again.map]) return build(again.map, again.addr, again.size, s.extra, ctx);
      const map = pickMap(s.map, ctx.view);
      const m = mapOf(ctx, map);
      const addr = resolveAddr(s.addr, m, ctx.scope);
      return build(map, addr, resolveSize(s.size, addr, m, ctx.scope), s.extra, ctx);
    },
  });
}

export function makeGenerators(scope: Scope): Generators {
  const sequential = sequentialGenerators(scope);
  return { ...sequential, ...threadGenerators(sequential) };
}

/**
 * What spawned threads run, with weights: the operations whose races the reference describes
 * (wiring against delete, overwrite against protect, user writes against fork and each other,
 * two maps locked together, shootdowns against the CPUs' loads and stores, page-list copies
 * and their continuations against the changes of their source) and the reads that observe them.
 */
const SPAWN_BODIES = [
  ["wire", 5], ["unwire", 3], ["remove", 4], ["protect", 3], ["write_user", 4], ["store", 3], ["copy_overwrite", 3],
  ["fork", 2], ["read_user", 3], ["load", 2], ["lookup", 2], ["enter", 1], ["inherit", 1], ["remap", 2], ["copyin", 2],
  ["swapout", 1], ["swapin", 1], ["evict", 1],
  ["copyin_page_list", 2], ["copy_continue", 1], ["copy_abort", 1], ["copyout_page_list", 1], ["steal_pages", 1], ["page_discard", 1],
  ["copyout", 1],
] as const satisfies readonly (readonly [OpName, number])[];

/** spawn and step: a thread (mostly 0–2) and a body drawn from the other generators. */
function threadGenerators(g: Omit<Generators, "spawn" | "step">): Pick<Generators, "spawn" | "step"> {
  const thread = fc.oneof({ weight: 40, arbitrary: fc.nat(2) }, { weight: 1, arbitrary: fc.constantFrom(MAX_THREADS, -1, 0.5) });
  const body = fc.oneof(
    ...SPAWN_BODIES.map(([name, weight]) => ({ weight, arbitrary: (g[name].arb as fc.Arbitrary<unknown>).map((sym) => ({ name, sym })) })),
  );
  return {
    spawn: gen({
      weight: 2,
      arb: fc.record({ thread, body, hit: fc.nat(7) }),
      resolve: (s, ctx) => {
        const resolved = (g[s.body.name] as Generator<OpName, unknown>).resolve(s.body.sym, ctx);
        // While a shootdown awaits a CPU (rare at a spawn: any sequential command drains the
        // threads first), mostly race it; otherwise now and then.
        const racing = (ctx.awaited?.length ?? 0) > 0;
        const again = s.hit < (racing ? 6 : 2) ? towardTlbHit(resolved, ctx, s.hit === 0 || racing) : resolved;
        return { op: "spawn", thread: idleThread(s.thread, ctx.busy ?? []), body: { ...again } };
      },
    }),
    step: gen({
      weight: 2,
      arb: fc.record({
        thread,
        count: fc.oneof({ weight: 12, arbitrary: fc.constant(1) }, { weight: 4, arbitrary: fc.integer({ min: 2, max: 4 }) }, { weight: 2, arbitrary: fc.constant(MAX_STEP_COUNT) }, { weight: 1, arbitrary: fc.constantFrom(0, MAX_STEP_COUNT + 1, 1.5) }),
      }),
      resolve: (s, ctx) => ({ op: "step", thread: busyThread(s.thread, ctx.busy ?? []), count: s.count }),
    }),
  };
}

/**
 * Now and then a spawned load or store goes where a recent load or store went, on its CPU: the
 * page its TLB most likely still holds, so the access can complete without a lock (a lock-free
 * hit); with `any`, a spawn of another operation becomes such a load. Preferred among them: a
 * page a recent range command (perhaps still in flight, waiting for acknowledgements) works on
 * in that CPU's map, on a CPU whose acknowledgement a shootdown in flight awaits, so the hit
 * races the change. The access stays within its page.
 */
function towardTlbHit(op: Op, ctx: ResolveContext, any: boolean): Op {
  if (!ctx.accesses || ctx.accesses.length === 0) return op;
  if (op.op !== "load" && op.op !== "store") {
    if (!any) return op;
    op = { op: "load", cpu: 0, addr: 0, size: 4 };
  }
  const ps = ctx.scope.pageSize;
  const changing = (a: RecentAccess) =>
    ctx.recent.some((r) => r.map === ctx.view.cpus?.[a.cpu] && a.addr >= r.addr - (r.addr % ps) && a.addr < r.addr + r.size);
  const awaited = (a: RecentAccess) => ctx.awaited?.includes(a.cpu) === true;
  const a = ctx.accesses.find((x) => awaited(x) && changing(x)) ?? ctx.accesses.find(awaited) ?? ctx.accesses.find(changing) ?? ctx.accesses[0]!;
  const room = ps - (a.addr % ps);
  if (op.op === "load") return { ...op, cpu: a.cpu, addr: a.addr, size: Math.max(1, Math.min(Number.isInteger(op.size) ? op.size : 1, room)) };
  return { ...op, cpu: a.cpu, addr: a.addr, data: op.data.slice(0, 2 * room) };
}

/** A busy thread number stands for the next idle one (a spawn on a busy thread would be refused); others stay. */
function idleThread(t: number, busy: readonly number[]): number {
  if (!busy.includes(t)) return t;
  for (let i = 1; i < MAX_THREADS; i++) if (!busy.includes((t + i) % MAX_THREADS)) return (t + i) % MAX_THREADS;
  return t;
}

/** An idle thread number stands for a busy one when there is one (a step of an idle thread does nothing). */
function busyThread(t: number, busy: readonly number[]): number {
  if (busy.length === 0 || busy.includes(t) || !Number.isInteger(t) || t < 0 || t >= MAX_THREADS) return t;
  return busy[t % busy.length]!;
}

function sequentialGenerators(scope: Scope): Omit<Generators, "spawn" | "step"> {
  const ps = scope.pageSize;
  return {
    create: gen({ weight: 2, arb: createSym(scope), resolve: (s, ctx) => resolveCreate(s, ctx.scope) }),
    reference: gen({ weight: 1, arb: mapSel, resolve: (s, ctx) => ({ op: "reference", map: pickMap(s, ctx.view) }) }),
    deallocate: gen({ weight: 1, arb: mapSel, resolve: (s, ctx) => ({ op: "deallocate", map: pickMap(s, ctx.view) }) }),
    swapout: gen({ weight: 1, arb: mapSel, resolve: (s, ctx) => ({ op: "swapout", map: pickMap(s, ctx.view) }) }),
    swapin: gen({
      weight: 1,
      arb: mapSel,
      resolve: (s, ctx) => {
        // Mostly a map with a swapped-out reference (else swapin can only fail).
        const out = ctx.view.maps.flatMap((m, h) => (m && (m.swappedOut ?? 0) > 0 ? [h] : []));
        return { op: "swapin", map: out.length > 0 && s % 4 !== 3 ? out[s % out.length]! : pickMap(s, ctx.view) };
      },
    }),
    object_create: gen({
      weight: 3,
      arb: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 8 }).map((n) => n * ps) }, { weight: 1, arbitrary: rawNumber(scope) }),
      resolve: (size) => ({ op: "object_create", size }),
    }),
    enter: gen({
      weight: 14,
      arb: fc.record({
        map: mapSel,
        anywhere: fc.boolean(),
        addr: addrSel(scope),
        size: sizeSel(scope, 4),
        mask: maskArb(scope),
        alias: fc.oneof({ weight: 100, arbitrary: fc.constantFrom(0, 0, 0, 1, 255) }, { weight: 1, arbitrary: fc.constant(256) }),
        max: protArb,
        curDrop: fc.nat(7),
        curExceeds: fc.nat(100),
        inheritance: fc.oneof({ weight: 100, arbitrary: fc.nat(VM_INHERIT_NONE) }, { weight: 1, arbitrary: fc.constant(3) }),
        object: fc.oneof(
          { weight: 4, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.record({ sel: fc.nat(100), pages: fc.nat(3), bytes: fc.constantFrom(0, 0, 0, 0, 0, 1) }) },
        ),
      }),
      resolve: (s, ctx) => {
        const map = pickMap(s.map, ctx.view);
        const m = mapOf(ctx, map);
        const addr = resolveAddr(s.addr, m, ctx.scope);
        const nObjects = ctx.view.objects.length;
        // Without memory objects, an object source is mostly turned into anonymous memory.
        const source = s.object === null || (nObjects === 0 && s.object.sel % 8 !== 7)
          ? { kind: "anonymous" as const }
          : {
              kind: "object" as const,
              // 1 in 20: a handle that names no object.
              object: nObjects === 0 || s.object.sel % 32 === 31 ? nObjects : s.object.sel % nObjects,
              offset: s.object.pages * ps + s.object.bytes,
            };
        let size = resolveSize(s.size, addr, m, ctx.scope);
        // Object windows mostly fit their object, so that most object mappings succeed.
        if (source.kind === "object" && s.object !== null && s.object.sel % 16 !== 5) {
          const objectBytes = (ctx.view.objects[source.object]?.length ?? 0) * ps;
          if (source.offset < objectBytes) size = Math.max(1, Math.min(size, objectBytes - source.offset));
        }
        const cur = s.curExceeds === 13 ? (s.max ^ 7) | 1 : s.max & ~s.curDrop;
        // Alignment matters most for anywhere-allocation; fixed requests are mostly unaligned-mask.
        const mask = s.anywhere || s.curDrop === 5 ? s.mask : 0;
        // 3 in 10: the attributes of the page the new range will follow, so that coalescing
        // (§4.3) and later merges (§4.15) meet neighbours that agree in all but one thing.
        const like = s.curExceeds >= 70 ? pageBefore(m, addr, size, s.anywhere, ctx.scope) : undefined;
        const attrs = like
          ? { alias: like.alias, cur: like.prot, max: like.maxProt, inheritance: like.inheritance }
          : { alias: s.alias, cur, max: s.max, inheritance: s.inheritance };
        // 1 in 20, after a remove: the heap grows back where it shrank, anonymous and like the
        // page it follows, so the entry before it is extended over its object's old pages.
        const shrunk = s.curExceeds >= 96 ? ctx.recent.find((r) => r.op === "remove") : undefined;
        const regrow = shrunk && shrunk.size > 0 ? pageBefore(ctx.view.maps[shrunk.map], shrunk.addr, shrunk.size, false, ctx.scope) : undefined;
        if (shrunk && regrow) {
          return { op: "enter", map: shrunk.map, addr: shrunk.addr, size: shrunk.size, mask: 0, anywhere: false, alias: regrow.alias, cur: regrow.prot, max: regrow.maxProt, inheritance: regrow.inheritance, source: { kind: "anonymous" } };
        }
        return { op: "enter", map, addr, size, mask, anywhere: s.anywhere, ...attrs, source };
      },
    }),
    find_space: gen({
      weight: 3,
      arb: fc.record({ map: mapSel, size: sizeSel(scope, 4), mask: maskArb(scope) }),
      resolve: (s, ctx) => {
        const map = pickMap(s.map, ctx.view);
        const m = mapOf(ctx, map);
        return { op: "find_space", map, size: resolveSize(s.size, m?.min ?? 0, m, ctx.scope), mask: s.mask };
      },
    }),
    remove: ranged(
      "remove",
      scope,
      // The trim choice rides on the flags' draw (a branch of the same weights), not a draw of
      // its own: adding one would shift every later value of every seed's stream.
      fc.oneof(
        { weight: 26, arbitrary: fc.constantFrom(...REMOVE_FLAGS).map((flags) => ({ flags, trim: false })) },
        { weight: 4, arbitrary: fc.constantFrom(...REMOVE_FLAGS).map((flags) => ({ flags, trim: true })) },
        { weight: 1, arbitrary: fc.constantFrom(8, 0x100).map((flags) => ({ flags, trim: false })) },
      ),
      5,
      (map, addr, size, { flags, trim }, ctx) => {
        // 4 in 31: a heap shrinking (brk, realloc): the tail of a run of pages, from a written
        // page. The object behind keeps that page; an enter that grows the run back must not show it.
        const tail = trim ? writtenTail(ctx.view, map, addr, scope) : undefined;
        return { op: "remove", map, addr: tail?.addr ?? addr, size: tail?.size ?? size, flags };
      },
    ),
    protect: ranged(
      "protect",
      scope,
      fc.record({ prot: protArb, copy: fc.nat(6), setMax: fc.boolean(), pick: fc.nat(999) }),
      6,
      (map, addr, size, x, ctx) => {
        // VM_PROT_COPY mostly over a submap window that shows memory: it becomes copy-on-write.
        const w = x.copy === 3 && x.pick % 4 !== 0 ? windowPage(ctx.view, x.pick) : undefined;
        // (Now and then the page-table leaf around that page, whole: a window that was nested
        // stays whole leaves, and only its copy-on-write keeps the MMU from nesting it again.)
        const leaf = leafPages(ctx.scope), ps = ctx.scope.pageSize;
        const at = !w ? { map, addr, size }
          : x.pick % 7 === 0 ? { map: w.map, addr: Math.floor(w.page / leaf) * leaf * ps, size: leaf * ps }
          : { map: w.map, addr: w.page * ps, size: ps * (1 + (x.pick % 3)) };
        // 1 in 5 plain protects: the protection of the page below, which puts back what an
        // earlier protect of part of an entry changed, leaving neighbours simplify can merge.
        const restore = !w && x.copy !== 3 && !x.setMax && x.pick % 5 === 1 ? pageBefore(ctx.view.maps[map], addr, 0, false, ctx.scope) : undefined;
        if (restore !== undefined) return { op: "protect", ...at, prot: restore.prot, setMax: false };
        return { op: "protect", ...at, prot: x.copy === 3 ? x.prot | VM_PROT_COPY : x.prot, setMax: x.setMax };
      },
    ),
    inherit: ranged(
      "inherit",
      scope,
      fc.oneof({ weight: 10, arbitrary: fc.nat(VM_INHERIT_NONE) }, { weight: 1, arbitrary: fc.constantFrom(3, 7) }),
      3,
      (map, addr, size, inheritance) => ({ op: "inherit", map, addr, size, inheritance }),
    ),
    behavior_set: ranged(
      "behavior_set",
      scope,
      fc.oneof({ weight: 10, arbitrary: fc.nat(3) }, { weight: 1, arbitrary: fc.constantFrom(4, 9) }),
      3,
      (map, addr, size, behavior) => ({ op: "behavior_set", map, addr, size, behavior }),
    ),
    machine_attribute: ranged(
      "machine_attribute",
      scope,
      fc.record({ attribute: fc.constantFrom(1, 2, 4, 1, 3), value: fc.constantFrom(...MATTR_VALUES, 5) }),
      1,
      (map, addr, size, x) => ({ op: "machine_attribute", map, addr, size, attribute: x.attribute, value: x.value }),
    ),
    wire: ranged(
      "wire",
      scope,
      fc.record({ access: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: protArb }), user: fc.boolean() }),
      6,
      (map, addr, size, x) => ({ op: "wire", map, addr, size, access: x.access, user: x.user }),
      6,
      70,
    ),
    unwire: ranged("unwire", scope, fc.boolean(), 5, (map, addr, size, user) => ({ op: "unwire", map, addr, size, user }), 6, 60),
    simplify: gen({
      weight: 3,
      arb: fc.record({ map: mapSel, addr: addrSel(scope) }),
      resolve: (s, ctx) => {
        const map = pickMap(s.map, ctx.view);
        return { op: "simplify", map, addr: resolveAddr(s.addr, mapOf(ctx, map), ctx.scope) };
      },
    }),
    lookup: gen({
      weight: 3,
      arb: fc.record({ map: mapSel, addr: addrSel(scope) }),
      resolve: (s, ctx) => {
        const map = pickMap(s.map, ctx.view);
        return { op: "lookup", map, addr: resolveAddr(s.addr, mapOf(ctx, map), ctx.scope) };
      },
    }),
    read_user: ranged("read_user", scope, fc.constant(null), 4, (map, addr, size) => ({ op: "read_user", map, addr, size }), 2),
    write_user: gen({
      weight: 5,
      arb: fc.record({ map: mapSel, addr: addrSel(scope), length: fc.integer({ min: 0, max: 2 * ps }), seed: fc.nat(255), bad: fc.nat(40) }),
      resolve: (s, ctx) => {
        // Bad data now and then: not hex, odd-length hex, even-length with a non-hex digit.
        const data = s.bad === 17 ? "xyz" : s.bad === 18 ? "abc" : s.bad === 19 ? "0z" : patternHex(s.seed, s.length);
        // Often write into the range the last copy or share came from: writing to the source
        // after a deferred copy (or while a page list holds its pages) is how copy-on-write goes wrong.
        const source = s.bad % 4 === 1 ? ctx.recent.find((r) => r.op === "copyin" || r.op === "remap" || r.op === "copyin_page_list") : undefined;
        if (source && ctx.view.maps[source.map]) return { op: "write_user", map: source.map, addr: source.addr + (s.seed % Math.max(1, source.size)), data };
        // Often, where copy-on-write windows are: through one (it goes private), or behind one
        // in its submap (seen through the window until then, never after).
        const cow = s.bad % 4 !== 1 ? cowTarget(ctx.view, ctx.scope, s.seed, s.bad % 4 === 3) : undefined;
        if (cow) return { op: "write_user", ...cow, data };
        const map = pickMap(s.map, ctx.view);
        return { op: "write_user", map, addr: resolveAddr(s.addr, mapOf(ctx, map), ctx.scope), data };
      },
    }),
    switch: gen({
      weight: 2,
      arb: fc.record({ cpu: fc.nat(1000), map: mapSel }),
      resolve: (s, ctx) => {
        // Prefer any CPU here (idle ones too): the point is to give CPUs maps. One in 40 is no
        // CPU: one past the last, or (one in 160) negative, fractional or NaN.
        const n = ctx.view.cpus?.length ?? 0;
        const cpu = s.cpu % 40 === 39 ? [n, -1, 0.5, Number.NaN][Math.floor(s.cpu / 40) % 4]! : n === 0 ? 0 : s.cpu % n;
        return { op: "switch", cpu, map: pickMap(s.map, ctx.view) };
      },
    }),
    load: gen({
      weight: 4,
      arb: fc.record({ cpu: fc.nat(1000), addr: addrSel(scope), size: sizeSel(scope, 2), pick: fc.nat(1000) }),
      resolve: (s, ctx) => {
        const cpu = pickCpu(s.cpu, ctx.view);
        const m = cpuMap(ctx, cpu);
        const addr = accessAddr(s.addr, s.pick, m, 1, ctx.scope);
        const size = resolveSize(s.size, addr, m, ctx.scope);
        // Mostly stay within the page (its neighbour may be unmapped); sometimes cross it.
        return { op: "load", cpu, addr, size: s.pick % 8 < 6 ? Math.min(size, ps - (addr % ps)) : size };
      },
    }),
    store: gen({
      weight: 4,
      arb: fc.record({ cpu: fc.nat(1000), addr: addrSel(scope), length: fc.integer({ min: 0, max: 2 * ps }), seed: fc.nat(255), bad: fc.nat(40), pick: fc.nat(1000) }),
      resolve: (s, ctx) => {
        const cpu = pickCpu(s.cpu, ctx.view);
        // Now and then through a copy-on-write window of the CPU's map: the store faults and promotes.
        const h = ctx.view.cpus?.[cpu];
        const cow = s.bad % 4 === 2 && h !== undefined && h !== null ? cowTarget(ctx.view, ctx.scope, s.pick, false, h) : undefined;
        const addr = cow?.addr ?? accessAddr(s.addr, s.pick, cpuMap(ctx, cpu), 2, ctx.scope);
        const length = s.pick % 8 < 6 ? Math.min(s.length, ps - (addr % ps)) : s.length;
        const data = s.bad === 17 ? "xyz" : patternHex(s.seed, length);
        return { op: "store", cpu, addr, data };
      },
    }),
    evict: gen({
      weight: 2,
      arb: fc.oneof({ weight: 30, arbitrary: fc.nat(64) }, { weight: 1, arbitrary: rawNumber(scope) }),
      resolve: (frame) => ({ op: "evict", frame }),
    }),
    copyin: ranged(
      "copyin",
      scope,
      fc.record({ srcDestroy: fc.nat(7), useMaxprot: fc.nat(5) }),
      12,
      (map, addr, size, x) => {
        // 1 in 6, of a range of whole pages: a page fewer, from its second byte — an entry list
        // whose offset is inside a page and whose size is whole pages (an overwrite with it at a
        // page boundary must take the byte path).
        const skew = x.useMaxprot === 4 && size % scope.pageSize === 0 && size - scope.pageSize >= scope.kernelBufferThreshold;
        return { op: "copyin", map, addr: skew ? addr + 1 : addr, size: skew ? size - scope.pageSize : size, srcDestroy: x.srcDestroy === 3, useMaxprot: x.useMaxprot === 2 };
      },
      4,
    ),
    copyin_object: gen({
      weight: 2,
      arb: fc.record({ object: fc.nat(100), pages: fc.nat(3), bytes: fc.constantFrom(0, 0, 0, 1, ps - 1), size: sizeSel(scope, 3) }),
      resolve: (s, ctx) => {
        const n = ctx.view.objects.length;
        const object = n === 0 || s.object % 32 === 31 ? n : s.object % n;
        const offset = s.pages * ps + s.bytes;
        return { op: "copyin_object", object, offset, size: resolveSize(s.size, offset, undefined, ctx.scope) };
      },
    }),
    copyout: gen({
      weight: 5,
      arb: fc.record({ map: mapSel, copy: fc.nat(1000) }),
      // 1 in 3 a page list with a continuation, whose chain copyout runs (and may fail).
      resolve: (s, ctx) => ({
        op: "copyout", map: pickMap(s.map, ctx.view),
        copy: s.copy % 3 === 2 ? pickPageList(Math.floor(s.copy / 3), ctx.view, true) : pickCopy(s.copy, ctx.view),
      }),
    }),
    copy_overwrite: gen({
      weight: 4,
      arb: fc.record({ map: mapSel, addr: addrSel(scope), copy: fc.nat(1000), interruptible: fc.nat(2), reuse: fc.nat(4) }),
      resolve: (s, ctx) => {
        if (s.reuse === 3) {
          // Over other memory that can take it: a run of writable pages as long as the copy's,
          // not at its source address — so the overwrite succeeds and really changes bytes
          // (overwriting the copy's own source with itself hides a destination never written).
          // One in eight: a copy starting inside a page, of whole pages, written at a page
          // boundary (below): it must take the byte path, not hand its entries over.
          const skewed = s.copy % 8 === 7 ? ctx.view.copies.findIndex((c) => c?.kind === "entry_list" && c.offset % ps !== 0 && c.size % ps === 0) : -1;
          const copy = skewed >= 0 ? skewed : pickCopy(s.copy, ctx.view);
          const c = copy === null ? undefined : ctx.view.copies[copy];
          const dest = c ? writableRun(ctx.view, Math.max(1, Math.ceil(((c.offset % ps) + c.size) / ps)), s.copy >> 5, Math.floor(c.offset / ps)) : undefined;
          if (dest) return { op: "copy_overwrite", map: dest.map, addr: dest.page * ps + (s.copy % 8 === 7 ? 0 : c!.offset % ps), copy, interruptible: s.interruptible === 1 };
        }
        // Half the time, overwrite where a recent copyin came from (a destination that exists).
        const from = ctx.recent.find((r) => r.op === "copyin");
        if (s.reuse === 2) {
          // Over a page of a shared memory object (permanent memory: interruptible fails).
          const objectCells = new Set(ctx.view.objects.flat());
          const target = ctx.view.maps.flatMap((m, h) => (m ? m.pages.filter((p) => objectCells.has(p.cell) && p.prot & 2 && !p.cow).map((p) => ({ h, p })) : []))[0];
          // The smallest entry list, placed as its offset says, so it fits the object's window.
          const lists = ctx.view.copies.flatMap((c, i) => (c?.kind === "entry_list" ? [{ i, c }] : [])).sort((x, y) => x.c.size - y.c.size);
          const list = lists[0];
          if (target)
            return { op: "copy_overwrite", map: target.h, addr: target.p.page * ps + (list ? list.c.offset % ps : 0), copy: list ? list.i : pickCopy(s.copy, ctx.view), interruptible: s.interruptible !== 0 };
        }
        if (s.reuse < 2 && from && ctx.view.maps[from.map])
          return { op: "copy_overwrite", map: from.map, addr: from.addr, copy: pickCopy(s.copy, ctx.view), interruptible: s.interruptible === 1 };
        const map = pickMap(s.map, ctx.view);
        return { op: "copy_overwrite", map, addr: resolveAddr(s.addr, mapOf(ctx, map), ctx.scope), copy: pickCopy(s.copy, ctx.view), interruptible: s.interruptible === 1 };
      },
    }),
    copy_discard: gen({ weight: 1, arb: fc.nat(1000), resolve: (s, ctx) => ({ op: "copy_discard", copy: pickCopy(s, ctx.view) }) }),
    copy_copy: gen({ weight: 1, arb: fc.nat(1000), resolve: (s, ctx) => ({ op: "copy_copy", copy: pickCopy(s, ctx.view) }) }),
    copyin_page_list: gen({
      weight: 5,
      arb: fc.record({
        map: mapSel, at: fc.nat(1000), pages: fc.integer({ min: 1, max: 12 }), bytes: fc.constantFrom(0, 0, 0, 0, 1, ps - 1),
        unaligned: fc.constantFrom(0, 0, 0, 0, 1), anywhere: fc.nat(7), addr: addrSel(scope), size: sizeSel(scope, 10),
        prot: fc.constantFrom(0, 1, 3, 7, 7, 4),
        // SRC_DESTROY, STEAL_PAGES, PMAP_ENTER, NO_ZERO_FILL, each now and then, and PMAP_ENTER
        // with each of the others (pages stolen, removed or never touched are not entered);
        // rarely unknown bits.
        flags: fc.oneof({ weight: 40, arbitrary: fc.constantFrom(0, 0, 0x8, 0x10, 0x18, 0x18, 0x20, 0x40, 0x48, 0x58, 0x28, 0x38, 0x60) }, { weight: 1, arbitrary: fc.constantFrom(0x80, 0x100) }),
      }),
      resolve: (s, ctx) => {
        const options = s.prot | s.flags;
        // Mostly from a mapped page, so that the first chunk is there and the continuations
        // (up to 10 pages, past the model check's 4-page lists) meet holes and other protections.
        const mapped = ctx.view.maps.flatMap((m, h) => (m ? m.pages.map((p) => ({ map: h, addr: p.page * ps })) : []));
        if (s.anywhere === 0 || mapped.length === 0) {
          const map = pickMap(s.map, ctx.view);
          const m = mapOf(ctx, map);
          const addr = resolveAddr(s.addr, m, ctx.scope);
          return { op: "copyin_page_list", map, addr, size: resolveSize(s.size, addr, m, ctx.scope), options };
        }
        // A run of mapped pages, from one of its pages to its end: mostly all of it (a chain
        // that continues cleanly when longer than a page list), sometimes past it (a
        // continuation meets the hole), sometimes `pages` pages.
        const at = mapped[s.at % mapped.length]!;
        const m = ctx.view.maps[at.map]!;
        const first = m.pages.findIndex((p) => p.page * ps === at.addr);
        let run = 1;
        while (m.pages[first + run]?.page === m.pages[first]!.page + run) run++;
        const pages = s.pages <= 5 ? run : s.pages <= 7 ? run + s.pages - 5 : s.pages;
        // The access asked for: mostly within the first page's protection, often all that the
        // first chunk grants (so that later pages granting less fail when a continuation runs).
        const chunk = m.pages.slice(first, first + Math.min(run, pageListMax(ctx.scope)));
        const prot = s.prot === 4 ? options & 7 : s.prot === 7 ? chunk.reduce((p, q) => p & q.prot, 7) : m.pages[first]!.prot & s.prot;
        return { op: "copyin_page_list", map: at.map, addr: at.addr + s.unaligned, size: pages * ps + s.bytes, options: (options & ~7) | prot };
      },
    }),
    copy_continue: gen({ weight: 3, arb: fc.nat(1000), resolve: (s, ctx) => ({ op: "copy_continue", copy: pickPageList(s, ctx.view, true) }) }),
    copy_abort: gen({ weight: 1, arb: fc.nat(1000), resolve: (s, ctx) => ({ op: "copy_abort", copy: pickPageList(s, ctx.view, true) }) }),
    copyout_page_list: gen({
      weight: 2,
      arb: fc.record({ map: mapSel, copy: fc.nat(1000) }),
      resolve: (s, ctx) => ({ op: "copyout_page_list", map: pickMap(s.map, ctx.view), copy: pickPageList(s.copy, ctx.view, false) }),
    }),
    steal_pages: gen({ weight: 1, arb: fc.nat(1000), resolve: (s, ctx) => ({ op: "steal_pages", copy: pickPageList(s, ctx.view, false) }) }),
    page_discard: gen({ weight: 1, arb: fc.nat(1000), resolve: (s, ctx) => ({ op: "page_discard", copy: pickPageList(s, ctx.view, false) }) }),
    fork: gen({ weight: 3, arb: mapSel, resolve: (s, ctx) => ({ op: "fork", map: pickMap(s, ctx.view) }) }),
    remap: gen({
      weight: 4,
      arb: fc.record({
        map: mapSel, srcMap: mapSel, anywhere: fc.nat(3), addr: addrSel(scope), srcAddr: addrSel(scope),
        size: sizeSel(scope, 4), mask: maskArb(scope), copy: fc.boolean(),
        inheritance: fc.oneof({ weight: 100, arbitrary: fc.nat(VM_INHERIT_NONE) }, { weight: 1, arbitrary: fc.constant(3) }),
      }),
      resolve: (s, ctx) => {
        const srcMap = pickMap(s.srcMap, ctx.view);
        const src = mapOf(ctx, srcMap);
        const srcAddr = resolveAddr(s.srcAddr, src, ctx.scope);
        const map = pickMap(s.map, ctx.view);
        const anywhere = s.anywhere !== 0;
        return {
          op: "remap", map, addr: resolveAddr(s.addr, mapOf(ctx, map), ctx.scope), size: resolveSize(s.size, srcAddr, src, ctx.scope),
          mask: anywhere ? s.mask : 0, anywhere, srcMap, srcAddr, copy: s.copy, inheritance: s.inheritance,
        };
      },
    }),
    make_memory_entry: ranged(
      "make_memory_entry",
      scope,
      fc.tuple(fc.oneof({ weight: 20, arbitrary: fc.constantFrom(1, 3, 1, 0) }, { weight: 4, arbitrary: fc.nat(7) }, { weight: 1, arbitrary: fc.constant(0x13) }), fc.nat(999)),
      6,
      (map, addr, size, [permission, pick], ctx) => {
        // Asking for WRITE over a copy-on-write window now and then: the pages go private first.
        const cow = (permission & 2) !== 0 && pick % 3 === 0 ? cowTarget(ctx.view, ctx.scope, pick, false) : undefined;
        const at = cow ? { map: cow.map, addr: cow.addr - (cow.addr % ctx.scope.pageSize), size: ctx.scope.pageSize } : { map, addr, size };
        return { op: "make_memory_entry", ...at, permission };
      },
      4,
    ),
    map_memory_entry: gen({
      weight: 3,
      arb: fc.record({
        map: mapSel, entry: fc.nat(1000), anywhere: fc.nat(3), addr: addrSel(scope), offsetPages: fc.nat(3), bytes: fc.constantFrom(0, 0, 0, 0, 1),
        pages: fc.integer({ min: 0, max: 4 }), mask: maskArb(scope), copy: fc.boolean(), max: protArb, curDrop: fc.nat(7),
        inheritance: fc.oneof({ weight: 100, arbitrary: fc.nat(VM_INHERIT_NONE) }, { weight: 1, arbitrary: fc.constant(3) }),
      }),
      resolve: (s, ctx) => {
        const map = pickMap(s.map, ctx.view);
        const entry = pickEntry(s.entry, ctx.view);
        const named = ctx.view.namedEntries[entry];
        // Mostly a window that fits the entry and protections within it; sometimes not.
        const fits = s.curDrop !== 6;
        const entryPages = named ? named.size / ps : 1;
        const offsetPages = fits ? s.offsetPages % Math.max(1, entryPages) : s.offsetPages;
        const pages = fits ? Math.max(1, Math.min(s.pages, entryPages - offsetPages)) : s.pages;
        const max = fits && named ? s.max & named.protection : s.max;
        const anywhere = s.anywhere !== 0;
        // A submap-backed entry: mostly into a map its submap is not, with SHARE or NONE (submaps are never copied).
        const sub = named?.submap ?? -1;
        const into = fits && sub >= 0 && map === sub ? ctx.view.maps.findIndex((m, h) => m !== null && h !== sub) : map;
        // (One in eight of those keeps COPY: a submap-backed entry mapped with it is refused.)
        const inheritance = fits && sub >= 0 && s.inheritance === 1 && s.curDrop !== 5 ? 2 * (s.offsetPages % 2) : s.inheritance;
        // Of the requests that do not fit, a quarter give max an unknown bit (cur stays valid) and a
        // quarter ask for a cur beyond max: each is refused by its own test of the protections.
        const cur = max & ~s.curDrop;
        const [curArg, maxArg] = fits ? [cur, max] : s.offsetPages === 1 ? [cur & 7, max | 8] : s.offsetPages === 2 ? [(max & 7) ^ 7 || 1, max] : [cur, max];
        return {
          op: "map_memory_entry", map: into < 0 ? map : into, addr: resolveAddr(s.addr, mapOf(ctx, map), ctx.scope), size: pages * ps, mask: anywhere ? s.mask : 0,
          anywhere, entry, offset: offsetPages * ps + s.bytes, copy: s.copy, cur: curArg, max: maxArg, inheritance,
        };
      },
    }),
    submap: gen({
      weight: 3,
      arb: fc.record({
        map: mapSel, submap: mapSel, at: fc.nat(64), pages: fc.integer({ min: 1, max: 4 }), offset: fc.nat(64),
        inheritance: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.constant(2) }, { weight: 1, arbitrary: fc.constantFrom(1, 3) }),
        usePmap: fc.boolean(), odd: fc.nat(15),
      }),
      resolve: (s, ctx) => resolveSubmap(s, ctx),
    }),
    region_object_create: gen({
      weight: 2,
      arb: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => n * ps) }, { weight: 1, arbitrary: rawNumber(scope) }),
      resolve: (size) => ({ op: "region_object_create", size }),
    }),
    shared_region_create: gen({
      weight: 3,
      arb: fc.record({ map: mapSel, text: fc.integer({ min: 1, max: 3 }), data: fc.integer({ min: 1, max: 3 }), at: fc.nat(64), odd: fc.nat(15) }),
      resolve: (s, ctx) => resolveRegion(s, ctx),
    }),
    shared_region_map: gen({
      weight: 2,
      arb: fc.record({ map: mapSel, region: fc.nat(1000) }),
      resolve: (s, ctx) => ({ op: "shared_region_map", map: pickMap(s.map, ctx.view), region: pickRegion(s.region, ctx.view) }),
    }),
    shared_region_attach: gen({
      weight: 2,
      arb: fc.record({ region: fc.nat(1000), parent: fc.nat(1000) }),
      resolve: (s, ctx) => {
        // A third of the time, a region that is already chained (attaching it again fails).
        const chained = ctx.view.regions.findIndex((r) => r.chain !== -1 && r.held);
        const region = s.region % 3 === 0 && chained >= 0 ? chained : pickRegion(s.region, ctx.view);
        // Mostly another usable region as the parent.
        const others = ctx.view.regions.flatMap((r, i) => (r.held && i !== region ? [i] : []));
        const parent = others.length > 0 && s.parent % 8 !== 0 ? others[s.parent % others.length]! : pickRegion(s.parent, ctx.view);
        return { op: "shared_region_attach", region, parent };
      },
    }),
    shared_region_deallocate: gen({
      weight: 1,
      arb: fc.nat(1000),
      resolve: (s, ctx) => ({ op: "shared_region_deallocate", region: pickRegion(s, ctx.view) }),
    }),
    shared_region_alternate: gen({
      weight: 1,
      arb: fc.record({ region: fc.nat(1000), size: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 3 * ps }) }, { weight: 1, arbitrary: rawNumber(scope) }) }),
      resolve: (s, ctx) => ({ op: "shared_region_alternate", region: pickRegion(s.region, ctx.view), size: s.size }),
    }),
  };
}
