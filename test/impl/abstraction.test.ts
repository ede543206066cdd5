import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/index.ts";
import { abstractImpl } from "../../model-check/abstraction.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op, OpArgs } from "../../spec/vocabulary.ts";

const SCOPE: Scope = { addressBits: 16, pageSize: 16, maxWireCount: 3, maxObjectPages: 8, kernelBufferThreshold: 4096 };
const P = SCOPE.pageSize;
const ENTER: OpArgs<"enter"> & { op: "enter" } = { op: "enter", map: 0, addr: 0, size: P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } };
const window = (object: number, offset: number) => ({ kind: "object" as const, object, offset });

function kernel(...ops: Op[]): Kernel {
  const k = new Kernel(SCOPE);
  for (const op of ops) expect(k.run(op).kr, JSON.stringify(op)).toBe("KERN_SUCCESS");
  return k;
}
const cellsOf = (k: Kernel, m: number) => abstractImpl(k).maps[m]!.pages.map((p) => p.cell);

describe("abstractImpl", () => {
  it("numbers memory object pages first, then map pages in handle and address order", () => {
    const k = kernel(
      { op: "create", min: 0, max: 64 * P },
      { op: "object_create", size: 2 * P },
      { ...ENTER, addr: 4 * P, size: 2 * P },
      { ...ENTER, addr: 0, size: 2 * P, source: window(0, 0) },
    );
    const w = abstractImpl(k);
    expect(w.objects).toEqual([[0, 1]]);
    expect(w.maps[0]!.pages.map((p) => [p.page, p.cell])).toEqual([[0, 0], [1, 1], [4, 2], [5, 3]]);
    expect(w.cells).toEqual(["", "", "", ""]);
  });

  it("gives pages that share bytes the same cell, across maps", () => {
    const k = kernel(
      { op: "create", min: 0, max: 64 * P },
      { op: "create", min: 0, max: 64 * P },
      { op: "object_create", size: 4 * P },
      { ...ENTER, addr: 0, size: 2 * P, source: window(0, 2 * P) },
      { ...ENTER, map: 1, addr: 8 * P, size: 3 * P, source: window(0, P) },
      { op: "write_user", map: 0, addr: 1, data: "ab" },
    );
    const w = abstractImpl(k);
    expect(w.objects[0]).toEqual([0, 1, 2, 3]);
    expect(cellsOf(k, 0)).toEqual([2, 3]);
    expect(cellsOf(k, 1)).toEqual([1, 2, 3]);
    expect(w.cells[2]).toBe("00ab");
  });

  it("gives every anonymous page its own cell, before and after its object exists, and after clipping", () => {
    const k = kernel(
      { op: "create", min: 0, max: 64 * P },
      { ...ENTER, size: 3 * P },
      { ...ENTER, addr: 3 * P, size: 2 * P, cur: 1 },
      { op: "write_user", map: 0, addr: P, data: "01" },
      { op: "protect", map: 0, addr: 2 * P, size: P, prot: 1, setMax: false },
    );
    const cells = cellsOf(k, 0);
    expect(new Set(cells).size).toBe(5);
    expect(abstractImpl(k).cells[cells[1]!]).toBe("01");
  });

  it("separates a page from the object after VM_PROT_COPY, keeping its bytes", () => {
    const k = kernel(
      { op: "create", min: 0, max: 64 * P },
      { op: "object_create", size: P },
      { ...ENTER, source: window(0, 0) },
      { ...ENTER, addr: 2 * P, source: window(0, 0) },
      { op: "write_user", map: 0, addr: 0, data: "77" },
      { op: "protect", map: 0, addr: 2 * P, size: P, prot: 0x13, setMax: false },
    );
    const w = abstractImpl(k);
    expect(cellsOf(k, 0)).toEqual([0, 1]);
    expect(w.cells).toEqual(["77", "77"]);
  });

  it("reports map bounds, references and page attributes, and null for destroyed maps", () => {
    const k = kernel(
      { op: "create", min: 0, max: 64 * P },
      { op: "create", min: 8 * P, max: 16 * P },
      { op: "reference", map: 1 },
      { ...ENTER, map: 1, addr: 8 * P, alias: 3, cur: 1, max: 5, inheritance: 2 },
      { op: "wire", map: 1, addr: 8 * P, size: P, access: 1, user: true },
      { op: "deallocate", map: 0 },
    );
    const w = abstractImpl(k);
    expect(w.maps[0]).toBeNull();
    expect(w.maps[1]).toEqual({
      min: 8 * P,
      max: 16 * P,
      refCount: 2,
      swappedOut: 0,
      pages: [{ page: 8, cell: 0, prot: 1, maxProt: 5, inheritance: 2, behavior: 0, alias: 3, wiredCount: 1, userWiredCount: 1, submap: -1, nested: false, cow: false }],
    });
    expect(w.cells).toEqual([""]);
  });

  it("gives a page with a pending copy a cell of its own, reading its bytes through the chain", () => {
    const k = kernel(
      { op: "create", min: 0, max: 64 * P },
      { ...ENTER, size: 2 * P },
      { op: "write_user", map: 0, addr: 0, data: "0102" },
      { op: "copyin", map: 0, addr: 0, size: 2 * P, srcDestroy: false, useMaxprot: true },
    );
    const w = abstractImpl(k);
    const copyCells = w.copies[0]!.pages.map((p) => p.cell);
    expect(cellsOf(k, 0)).toEqual([0, 1]);
    expect(copyCells).toEqual([2, 3]);
    expect(w.cells).toEqual(["0102", "", "0102", ""]);
    // After the write the source page lives in a shadow object: still its own cell, new bytes.
    k.run({ op: "write_user", map: 0, addr: 1, data: "ff" });
    expect(abstractImpl(k).cells).toEqual(["01ff", "", "0102", ""]);
  });

  it("aliases the pages of entries that share an object without a pending copy (fork SHARE, named entries)", () => {
    const k = kernel(
      { op: "create", min: 0, max: 64 * P },
      { ...ENTER, size: 2 * P, inheritance: 0 },
      { op: "fork", map: 0 },
      { op: "make_memory_entry", map: 1, addr: P, size: P, permission: 1 },
    );
    const w = abstractImpl(k);
    expect(cellsOf(k, 0)).toEqual([0, 1]);
    expect(cellsOf(k, 1)).toEqual([0, 1]);
    expect(w.namedEntries).toEqual([{ protection: 1, size: P, cells: [1], submap: -1 }]);
  });

  it("reports copies: entry lists page by page, kernel buffers by their bytes, object windows, emptied and consumed ones", () => {
    const k = kernel(
      { op: "create", min: 0, max: 64 * P },
      { op: "object_create", size: 4 * P },
      { ...ENTER, size: 2 * P, alias: 7, cur: 1 },
      { op: "copyin", map: 0, addr: 3, size: P, srcDestroy: false, useMaxprot: true },
      { op: "copyin", map: 0, addr: 0, size: 2, srcDestroy: false, useMaxprot: false },
      { op: "copyin_object", object: 0, offset: P + 1, size: P },
      { op: "copy_copy", copy: 1 },
      { op: "copyin", map: 0, addr: 0, size: 2, srcDestroy: false, useMaxprot: false },
      { op: "copy_discard", copy: 4 },
    );
    const w = abstractImpl(k);
    expect(w.copies).toEqual([
      { kind: "entry_list", offset: 3, size: P, data: "", pages: [6, 7].map((cell) => ({ cell, prot: 1, maxProt: 7, inheritance: 1, behavior: 0, alias: 7 })) },
      { kind: "emptied", offset: 0, size: 0, pages: [], data: "" },
      { kind: "object", offset: P + 1, size: P, data: "", pages: [1, 2].map((cell) => ({ cell, prot: 0, maxProt: 0, inheritance: 0, behavior: 0, alias: 0 })) },
      { kind: "kernel_buffer", offset: 0, size: 2, pages: [], data: "0000" },
      null,
    ]);
  });
});
