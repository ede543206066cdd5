import { describe, expect, it } from "vitest";
import { runCampaign, MODEL_CHECK_SCOPE } from "../../model-check/index.ts";
import type { SystemUnderTest } from "../../model-check/lockstep.ts";
import { CellNumbering, type AbstractPage, type AbstractWorld } from "../../spec/abstract.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op, OpName, OpResult, PageAttributes } from "../../spec/vocabulary.ts";

/**
 * Library use: a user checks their own implementation of (part of) the vocabulary through the
 * adapter. This one is small and independent of both spec/ and impl/: each map is a sorted array
 * of regions (runs of pages with the same attributes), split and merged on demand, with the
 * bytes kept per region.
 */
interface Region extends Mutable<PageAttributes> {
  start: number; // page numbers
  end: number;
  bytes: Map<number, Uint8Array>; // by page number
}
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
interface ToyMap { min: number; max: number; regions: Region[] }

const OPS: readonly OpName[] = ["create", "enter", "remove", "protect", "lookup", "read_user", "write_user"];

class RegionVm {
  readonly maps: (ToyMap | null)[] = [];
  constructor(readonly scope: Scope, readonly protectIgnoresMax = false) {}

  private word = (x: number) => Number.isInteger(x) && x >= 0 && x < 2 ** this.scope.addressBits;
  private map = (h: number) => (Number.isInteger(h) ? this.maps[h] ?? null : null);
  private page = (addr: number) => Math.floor(addr / this.scope.pageSize);
  private roundPages = (addr: number) => Math.ceil(addr / this.scope.pageSize);

  /** Split so that a region boundary falls at page `p`; returns the index of the first region at or after it. */
  private split(m: ToyMap, p: number): number {
    let i = m.regions.findIndex((r) => r.end > p);
    if (i < 0) return m.regions.length;
    const r = m.regions[i]!;
    if (r.start < p) {
      const upper: Region = { ...r, start: p, bytes: new Map([...r.bytes].filter(([q]) => q >= p)) };
      r.end = p;
      for (const q of upper.bytes.keys()) r.bytes.delete(q);
      m.regions.splice(++i, 0, upper);
    }
    return i;
  }
  private regionAt(m: ToyMap, p: number): Region | undefined {
    return m.regions.find((r) => r.start <= p && p < r.end);
  }
  /** The regions covering pages [lo, hi) fully and without holes, or the first page that is not mapped. */
  private covering(m: ToyMap, lo: number, hi: number): Region[] | number {
    const out: Region[] = [];
    for (let p = lo; p < hi; ) {
      const r = this.regionAt(m, p);
      if (!r) return p;
      out.push(r);
      p = r.end;
    }
    return out;
  }

  run(op: Op): OpResult {
    const ps = this.scope.pageSize, top = 2 ** this.scope.addressBits;
    switch (op.op) {
      case "create": {
        const ok = this.word(op.min) && Number.isInteger(op.max) && op.max >= 0 && op.max <= top && op.min % ps === 0 && op.max % ps === 0 && op.min <= op.max;
        if (!ok) return { kr: "KERN_INVALID_ARGUMENT" };
        this.maps.push({ min: op.min, max: op.max, regions: [] });
        return { kr: "KERN_SUCCESS", map: this.maps.length - 1 };
      }
      case "enter": {
        const m = this.map(op.map);
        const nums = [op.addr, op.size, op.mask, op.alias, op.cur, op.max, op.inheritance, ...(op.source.kind === "object" ? [op.source.offset] : [])];
        if (!m || !nums.every(this.word)) return { kr: "KERN_INVALID_ARGUMENT" };
        const align = op.mask + 1;
        if ((align & (align - 1)) !== 0 && !Number.isInteger(Math.log2(align))) return { kr: "KERN_INVALID_ARGUMENT" };
        if (op.cur > 7 || op.max > 7 || (op.cur & ~op.max) !== 0 || op.inheritance > 2 || op.alias > 255 || op.size === 0) return { kr: "KERN_INVALID_ARGUMENT" };
        const start = this.page(op.addr) * ps, len = this.roundPages(op.size) * ps;
        if (!op.anywhere && start + len > top) return { kr: "KERN_INVALID_ARGUMENT" };
        if (op.source.kind === "object") return { kr: "KERN_INVALID_OBJECT" }; // this toy has no memory objects
        let at: number;
        if (op.anywhere) {
          const step = Math.max(align, ps);
          at = Math.ceil(Math.max(start, m.min) / step) * step;
          for (const r of m.regions) if (r.end * ps > at && r.start * ps < at + len) at = Math.ceil((r.end * ps) / step) * step;
          if (at + len > m.max) return { kr: "KERN_NO_SPACE" };
        } else {
          if (start % align !== 0) return { kr: "KERN_NO_SPACE" };
          if (start < m.min || start + len > m.max) return { kr: "KERN_INVALID_ADDRESS" };
          if (m.regions.some((r) => r.end * ps > start && r.start * ps < start + len)) return { kr: "KERN_NO_SPACE" };
          at = start;
        }
        const region: Region = { start: at / ps, end: (at + len) / ps, prot: op.cur, maxProt: op.max, inheritance: op.inheritance, behavior: 0, alias: op.alias, wiredCount: 0, userWiredCount: 0, bytes: new Map() };
        m.regions.push(region);
        m.regions.sort((a, b) => a.start - b.start);
        return { kr: "KERN_SUCCESS", addr: at };
      }
      case "remove": {
        const m = this.map(op.map);
        if (!m || ![op.addr, op.size, op.flags].every(this.word) || op.flags > 7) return { kr: "KERN_INVALID_ARGUMENT" };
        const hi = this.roundPages(op.addr + op.size);
        if (hi * ps > top) return { kr: "KERN_INVALID_ARGUMENT" };
        if (op.size === 0) return { kr: "KERN_SUCCESS" };
        const lo = Math.max(this.page(op.addr), m.min / ps), end = Math.min(hi, m.max / ps);
        if (lo >= end) return { kr: "KERN_SUCCESS" };
        this.split(m, lo);
        this.split(m, end);
        m.regions = m.regions.filter((r) => r.end <= lo || r.start >= end);
        return { kr: "KERN_SUCCESS" };
      }
      case "protect": {
        const m = this.map(op.map);
        if (!m || ![op.addr, op.size, op.prot].every(this.word) || (op.prot & ~0x17) !== 0) return { kr: "KERN_INVALID_ARGUMENT" };
        const lo = this.page(op.addr), hi = this.roundPages(op.addr + op.size);
        if (hi * ps > top) return { kr: "KERN_INVALID_ARGUMENT" };
        const copy = (op.prot & 0x10) !== 0, p = op.prot & 7;
        if (lo === hi) return { kr: this.regionAt(m, lo) ? "KERN_SUCCESS" : "KERN_INVALID_ADDRESS" };
        const regions = this.covering(m, lo, hi);
        const maxOf = (r: Region) => (this.protectIgnoresMax ? 7 : r.maxProt | (copy ? 2 : 0));
        if (typeof regions === "number") {
          // The first failing page decides: a protection failure before the hole wins.
          const before = this.covering(m, lo, regions) as Region[];
          return { kr: before.some((r) => (p & ~maxOf(r)) !== 0) ? "KERN_PROTECTION_FAILURE" : "KERN_INVALID_ADDRESS" };
        }
        if (regions.some((r) => (p & ~maxOf(r)) !== 0)) return { kr: "KERN_PROTECTION_FAILURE" };
        this.split(m, lo);
        this.split(m, hi);
        for (const r of m.regions) {
          if (r.end <= lo || r.start >= hi) continue;
          if (copy) r.maxProt |= 2;
          if (op.setMax) {
            r.maxProt = p;
            r.prot &= p;
          } else r.prot = p;
        }
        return { kr: "KERN_SUCCESS" };
      }
      case "lookup": {
        const m = this.map(op.map);
        if (!m || !this.word(op.addr)) return { kr: "KERN_INVALID_ARGUMENT" };
        const r = this.regionAt(m, this.page(op.addr));
        if (!r) return { kr: "KERN_SUCCESS", page: null };
        const { prot, maxProt, inheritance, behavior, alias, wiredCount, userWiredCount } = r;
        return { kr: "KERN_SUCCESS", page: { prot, maxProt, inheritance, behavior, alias, wiredCount, userWiredCount } };
      }
      case "read_user":
      case "write_user": {
        const m = this.map(op.map);
        const write = op.op === "write_user";
        const size = write ? op.data.length / 2 : op.size;
        if (!m || !this.word(op.addr) || (!write && !this.word(op.size))) return { kr: "KERN_INVALID_ARGUMENT" };
        if (write && (!/^([0-9a-fA-F]{2})*$/.test(op.data))) return { kr: "KERN_INVALID_ARGUMENT" };
        if (op.addr + size > top) return { kr: "KERN_INVALID_ARGUMENT" };
        if (size === 0) return write ? { kr: "KERN_SUCCESS" } : { kr: "KERN_SUCCESS", data: "" };
        const regions = this.covering(m, this.page(op.addr), this.roundPages(op.addr + size));
        const need = write ? 2 : 1;
        if (typeof regions === "number" || regions.some((r) => (r.prot & need) === 0)) return { kr: "KERN_INVALID_ADDRESS" };
        let hex = "";
        for (let i = 0; i < size; i++) {
          const a = op.addr + i, pg = this.page(a), r = this.regionAt(m, pg)!;
          let bytes = r.bytes.get(pg);
          if (write) {
            if (!bytes) r.bytes.set(pg, (bytes = new Uint8Array(ps)));
            bytes[a % ps] = parseInt(op.data.slice(2 * i, 2 * i + 2), 16);
          } else hex += (bytes?.[a % ps] ?? 0).toString(16).padStart(2, "0");
        }
        return write ? { kr: "KERN_SUCCESS" } : { kr: "KERN_SUCCESS", data: hex };
      }
      default:
        throw new Error(`${op.op} is not implemented by this toy`);
    }
  }

  abstract(): AbstractWorld {
    const cells = new CellNumbering();
    const maps = this.maps.map((m) => {
      if (!m) return null;
      const pages: AbstractPage[] = [];
      for (const r of m.regions)
        for (let p = r.start; p < r.end; p++) {
          const { prot, maxProt, inheritance, behavior, alias, wiredCount, userWiredCount } = r;
          pages.push({ page: p, submap: -1, nested: false, cow: false, prot, maxProt, inheritance, behavior, alias, wiredCount, userWiredCount, cell: cells.number(`${this.maps.indexOf(m)}:${p}`, () => r.bytes.get(p)) });
        }
      return { min: m.min, max: m.max, refCount: 1, pages };
    });
    return { maps, objects: [], copies: [], namedEntries: [], cells: cells.cells, regions: [] };
  }
}

const adapter = (vm: RegionVm): SystemUnderTest => ({ run: (op) => vm.run(op), abstract: () => vm.abstract() });

describe("checking your own implementation through the adapter", () => {
  it("passes a campaign restricted to the operations it implements", () => {
    const report = runCampaign({ seed: 3, runs: 1500, maxCommands: 30, outDir: null, ops: OPS, system: (s) => adapter(new RegionVm(s)) });
    expect(report.ok, report.counterexample?.message).toBe(true);
    expect(Object.keys(report.coverage.ops).sort()).toEqual([...OPS].sort());
    expect(report.resultsByOp["protect"]?.["KERN_PROTECTION_FAILURE"]).toBeGreaterThan(0);
  });

  it("finds and shrinks a bug in it", () => {
    const report = runCampaign({ seed: 3, runs: 1500, maxCommands: 30, outDir: null, ops: OPS, system: (s) => adapter(new RegionVm(s, true)) });
    expect(report.ok).toBe(false);
    expect(report.counterexample!.check).toBe("results");
    expect(report.counterexample!.length).toBeLessThanOrEqual(4);
  });

  it("uses the scope it is given", () => {
    expect(new RegionVm(MODEL_CHECK_SCOPE).run({ op: "create", min: 0, max: 64 })).toEqual({ kr: "KERN_SUCCESS", map: 0 });
  });
});
