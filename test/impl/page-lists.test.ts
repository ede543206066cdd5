import { describe, expect, it } from "vitest";
import { Kernel, type PageListCopy } from "../../impl/index.ts";
import {
  VM_MAP_COPYIN_OPT_NO_ZERO_FILL,
  VM_MAP_COPYIN_OPT_SRC_DESTROY,
  VM_MAP_COPYIN_OPT_STEAL_PAGES,
  VM_PROT_READ,
  VM_PROT_WRITE,
} from "../../spec/constants.ts";
import { anonymousLive, bytes, entryAt, healthy, ok, P, read, releaseEverything, run, SCOPE, write } from "./helpers.ts";

/** Page lists of at most two pages. */
const LIST_SCOPE = { ...SCOPE, pageListMax: 2 };
const DESTROY = VM_MAP_COPYIN_OPT_SRC_DESTROY;
const STEAL = VM_MAP_COPYIN_OPT_STEAL_PAGES;

/** Map 0 with anonymous [0, 4P), page i full of byte i + 1. */
function source(): Kernel {
  const k = new Kernel(LIST_SCOPE);
  ok(k, "create");
  ok(k, "enter", { addr: 0, size: 4 * P });
  for (let i = 0; i < 4; i++) write(k, i * P, bytes(i + 1, P));
  return k;
}
const pageList = (k: Kernel, h: number): PageListCopy => {
  const c = k.copies[h];
  if (c?.kind !== "page_list") throw new Error(`copy ${h} is not a page list`);
  return c;
};
const copyin = (k: Kernel, addr: number, size: number, options = VM_PROT_READ): number => ok(k, "copyin_page_list", { addr, size, options }).copy!;

describe("page-list copyin", () => {
  it("holds the source's resident pages busy, with a reference on their object", () => {
    const k = source();
    const o = entryAt(k, 0).object!;
    const refs = o.refCount;
    const c = pageList(k, copyin(k, 0, 4 * P));
    expect(c.pages).toHaveLength(2);
    expect(c.pages.map((p) => p.object)).toEqual([o, o]);
    expect(c.pages[0]!.bytes).toBe(o.pages.get(0));
    expect(o.busy.get(0)).toBe(c.pages[0]);
    expect(o.refCount).toBe(refs + 2);
    expect(k.maps[0]!.refCount).toBe(2);
    healthy(k);
  });

  it("a write to a busy page leaves the copy its old page (now loose) and the object a new one", () => {
    const k = source();
    const o = entryAt(k, 0).object!;
    const c = pageList(k, copyin(k, 0, 2 * P));
    const held = c.pages[0]!.bytes;
    write(k, 0, "ffff");
    expect(c.pages[0]!.object).toBeNull();
    expect(c.pages[0]!.bytes).toBe(held);
    expect(c.pages[0]!.bytes![0]).toBe(1);
    expect(o.pages.get(0)).not.toBe(held);
    expect(o.busy.has(0)).toBe(false);
    healthy(k);
  });

  it("steals the pages of a private object with SRC_DESTROY | STEAL_PAGES and removes the chunk", () => {
    const k = source();
    const o = entryAt(k, 0).object!;
    const page0 = o.pages.get(0);
    const c = pageList(k, copyin(k, 0, 2 * P, VM_PROT_READ | DESTROY | STEAL));
    expect(c.loose).toBe(true);
    expect(c.pages[0]!).toMatchObject({ object: null, bytes: page0 });
    expect(o.pages.has(0)).toBe(false);
    expect(k.maps[0]!.lookupEntry(0).found).toBe(false);
    expect(read(k, 2 * P, 1)).toBe("03");
    healthy(k);
  });

  it("copies instead of stealing when the object is seen elsewhere (a copy of it exists)", () => {
    const k = source();
    ok(k, "copyin", { addr: 0, size: 4 * P });
    const c = pageList(k, copyin(k, 0, 2 * P, VM_PROT_READ | DESTROY | STEAL));
    expect(c.pages.every((p) => p.object === null)).toBe(true);
    expect(c.pages[0]!.bytes![0]).toBe(1);
    ok(k, "copyout", { map: 0, copy: 0 });
    healthy(k);
  });

  it("leaves never-touched pages unmaterialized under NO_ZERO_FILL of an aligned range only", () => {
    const k = new Kernel(LIST_SCOPE);
    ok(k, "create");
    ok(k, "enter", { addr: 0, size: 2 * P });
    const lazy = pageList(k, copyin(k, 0, 2 * P, VM_PROT_READ | VM_MAP_COPYIN_OPT_NO_ZERO_FILL));
    expect(lazy.pages.map((p) => p.bytes)).toEqual([null, null]);
    const filled = pageList(k, copyin(k, 1, P, VM_PROT_READ | VM_MAP_COPYIN_OPT_NO_ZERO_FILL));
    expect(filled.pages.every((p) => p.bytes !== null)).toBe(true);
    healthy(k);
  });

  it("a WRITE request resolves copy-on-write: the held page is private to the source's top object", () => {
    const k = source();
    ok(k, "copyin", { addr: 0, size: 4 * P });
    expect(entryAt(k, 0).needsCopy).toBe(true);
    const c = pageList(k, copyin(k, 0, 2 * P, VM_PROT_READ | VM_PROT_WRITE));
    expect(entryAt(k, 0).needsCopy).toBe(false);
    expect(c.pages[0]!.object).toBe(entryAt(k, 0).object);
    healthy(k);
  });
});

describe("releasing page lists", () => {
  it("page_discard un-busies the pages and drops their references; the continuation stays", () => {
    const k = source();
    const o = entryAt(k, 0).object!;
    const refs = o.refCount;
    const h = copyin(k, 0, 4 * P);
    ok(k, "page_discard", { copy: h });
    expect(o.busy.size).toBe(0);
    expect(o.refCount).toBe(refs);
    expect(pageList(k, h).cont).not.toBeNull();
    healthy(k);
  });

  it("steal_pages makes every page the copy's own", () => {
    const k = source();
    const o = entryAt(k, 0).object!;
    const c = pageList(k, copyin(k, 0, 2 * P));
    ok(k, "steal_pages", { copy: 0 });
    expect(c.loose).toBe(true);
    expect(c.pages.every((p) => p.object === null && p.bytes !== o.pages.get(p.index))).toBe(true);
    expect(o.busy.size).toBe(0);
    healthy(k);
  });

  it("a continuation's chunks, copied out, land in one entry; nothing leaks after release", () => {
    const k = source();
    ok(k, "create");
    const h = copyin(k, 0, 4 * P, VM_PROT_READ | DESTROY);
    const r = ok(k, "copyout_page_list", { map: 1, copy: h });
    expect(read(k, r.addr! + 3 * P, 2, 1)).toBe("0404");
    expect(k.maps[0]!.lookupEntry(0).found).toBe(false);
    expect(k.maps[0]!.refCount).toBe(1);
    healthy(k);
    releaseEverything(k);
    expect(anonymousLive(k)).toEqual([]);
  });

  it("dropping the last reference through a continuation destroys the map", () => {
    const k = source();
    const h = copyin(k, 0, 4 * P);
    ok(k, "deallocate", { map: 0 });
    expect(k.maps[0]).not.toBeNull();
    ok(k, "copy_abort", { copy: h });
    expect(k.maps[0]).toBeNull();
    expect(anonymousLive(k)).toEqual([]);
    healthy(k);
  });

  it("refuses the page-list operations on other copies and consumed handles", () => {
    const k = source();
    ok(k, "copyin", { addr: 0, size: 4 * P });
    for (const op of ["copy_continue", "copy_abort", "steal_pages", "page_discard"] as const) {
      expect(run(k, op, { copy: 0 }).kr).toBe("KERN_INVALID_ARGUMENT");
      expect(run(k, op, { copy: 5 }).kr).toBe("KERN_INVALID_ARGUMENT");
    }
    healthy(k);
  });
});
