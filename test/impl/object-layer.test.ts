import { describe, expect, it } from "vitest";
import { checkKernel, ObjectLayer, objectHolders, objectStats, type VmObject } from "../../impl/index.ts";
import { anonymousLive, bytes, chain, entryAt, healthy, kernel, ok, P, read, releaseEverything, run, window, write } from "./helpers.ts";

/** A map with 4 anonymous pages holding 11.., 22.., 33.., 44.. at their starts. */
function filled() {
  const k = kernel();
  ok(k, "enter", { size: 4 * P });
  for (let i = 0; i < 4; i++) write(k, i * P, bytes(0x11 * (i + 1), 2));
  return k;
}

describe("copy-on-write through needsCopy", () => {
  it("a symmetric copy shares the object and marks both sides copy-on-write", () => {
    const k = filled();
    const o = entryAt(k, 0).object!;
    ok(k, "copyin", { size: 4 * P });
    const src = entryAt(k, 0);
    const copy = k.copies[0]!;
    expect(copy.kind).toBe("entry_list");
    const ce = copy.kind === "entry_list" ? copy.entries[0]! : undefined;
    expect(src.object).toBe(o);
    expect(ce?.object).toBe(o);
    expect([src.needsCopy, ce?.needsCopy]).toEqual([true, true]);
    expect(o.shadowed).toBe(true);
    expect(o.strategy).toBe("symmetric");
    expect(o.refCount).toBe(2);
    healthy(k);
  });

  it("a write through a needsCopy entry shadows the object, then copies only that page up", () => {
    const k = filled();
    const o = entryAt(k, 0).object!;
    ok(k, "copyin", { size: 4 * P });
    write(k, P + 1, "ee");
    const e = entryAt(k, 0);
    expect(e.needsCopy).toBe(false);
    expect(e.object).not.toBe(o);
    expect(e.object!.shadow).toBe(o);
    expect(e.object!.shadowOffset).toBe(0);
    expect([...e.object!.pages.keys()]).toEqual([1]);
    expect(read(k, 0, 2)).toBe("1111"); // falls through to the shadow
    expect(read(k, P, 3)).toBe("22ee00");
    // The copy still holds the old bytes.
    const out = ok(k, "copyout", { copy: 0 }).addr!;
    expect(read(k, out + P, 3)).toBe("222200");
    healthy(k);
  });

  it("a write into the copied-out pages leaves the source alone", () => {
    const k = filled();
    ok(k, "copyin", { size: 4 * P });
    const out = ok(k, "copyout", { copy: 0 }).addr!;
    write(k, out + 2 * P, "99");
    expect(read(k, 2 * P, 2)).toBe("3333");
    expect(read(k, out + 2 * P, 2)).toBe("9933");
    healthy(k);
  });
});

describe("delayed copy objects", () => {
  function sharedSource() {
    const k = kernel();
    ok(k, "object_create", { size: 4 * P });
    ok(k, "enter", { size: 4 * P, source: window(0) });
    for (let i = 0; i < 4; i++) write(k, i * P, bytes(0x11 * (i + 1), 2));
    return k;
  }

  it("a shared source is not marked copy-on-write: the copy gets a copy object shadowing it at offset 0", () => {
    const k = sharedSource();
    const s = k.objects[0]!;
    ok(k, "copyin", { size: 4 * P });
    const src = entryAt(k, 0);
    expect(src.object).toBe(s);
    expect(src.needsCopy).toBe(false);
    const copy = k.copies[0]!;
    const ce = copy.kind === "entry_list" ? copy.entries[0]! : undefined;
    const c = ce!.object!;
    expect(ce!.needsCopy).toBe(true);
    expect(s.copy).toBe(c);
    expect(c.shadow).toBe(s);
    expect(c.shadowOffset).toBe(0);
    expect(s.strategy).toBe("delay");
    healthy(k);
  });

  it("pushes the old page into the copy object before the original changes, once", () => {
    const k = sharedSource();
    const s = k.objects[0]!;
    ok(k, "copyin", { size: 4 * P });
    const c = s.copy!;
    write(k, 2 * P, "ab");
    expect([...c.pages.keys()]).toEqual([2]);
    expect(Buffer.from(c.pages.get(2)!.subarray(0, 2)).toString("hex")).toBe("3333");
    write(k, 2 * P + 1, "cd");
    expect(Buffer.from(c.pages.get(2)!.subarray(0, 2)).toString("hex")).toBe("3333");
    const out = ok(k, "copyout", { copy: 0 }).addr!;
    expect(read(k, out, 4 * P).match(/.{32}/g)!.map((p) => p.slice(0, 4))).toEqual(["1111", "2222", "3333", "4444"]);
    expect(read(k, 2 * P, 2)).toBe("abcd");
    healthy(k);
  });

  it("reuses a copy object that never received a page, and stacks a new one in front of a used one", () => {
    const k = sharedSource();
    const s = k.objects[0]!;
    ok(k, "copyin", { size: 2 * P });
    ok(k, "copyin", { size: 4 * P });
    const c1 = s.copy!;
    expect(c1.refCount).toBe(3); // copy 0's entry, copy 1's two entries (the first copyin clipped the source)
    expect(c1.size).toBe(4 * P);
    write(k, 0, "77");
    ok(k, "copyin", { size: 4 * P });
    const c2 = s.copy!;
    expect(c2).not.toBe(c1);
    expect(c1.shadow).toBe(c2);
    expect(c2.shadow).toBe(s);
    write(k, 0, "88");
    write(k, P, "99");
    const [a, b, c] = [0, 1, 2].map((h) => ok(k, "copyout", { copy: h }).addr!);
    expect([read(k, a!, 2), read(k, a! + P, 2)]).toEqual(["1111", "2222"]);
    expect([read(k, b!, 2), read(k, b! + P, 2)]).toEqual(["1111", "2222"]);
    expect([read(k, c!, 2), read(k, c! + P, 2)]).toEqual(["7711", "2222"]);
    healthy(k);
  });
});

describe("collapse and bypass keep contents and shorten chains", () => {
  it("absorbs a backing object once the shadow is its only holder", () => {
    const k = filled();
    ok(k, "copyin", { size: 4 * P });
    write(k, 0, "aa");
    const top = entryAt(k, 0).object!;
    expect(chain(top)).toHaveLength(2);
    ok(k, "copy_discard", { copy: 0 });
    write(k, 3 * P, "bb");
    expect(chain(top)).toHaveLength(1);
    expect([0, 1, 2, 3].map((i) => read(k, i * P, 2))).toEqual(["aa11", "2222", "3333", "bb44"]);
    healthy(k);
  });

  it("bypasses a backing object whose pages the shadow already holds", () => {
    const k = kernel();
    ok(k, "enter", { size: 2 * P });
    write(k, 0, "01");
    const child = ok(k, "fork").map!;
    write(k, 0, "02", child);
    const top = entryAt(k, 0, child).object!;
    expect(chain(top)).toHaveLength(1);
    expect([read(k, 0, 1), read(k, 0, 1, child), read(k, P, 1, child)]).toEqual(["01", "02", "00"]);
    healthy(k);
  });

  it("drops the chain of an object holding every page of its window", () => {
    const k = filled();
    ok(k, "copyin", { size: 4 * P });
    for (let i = 0; i < 4; i++) write(k, i * P + 3, "ff");
    expect(chain(entryAt(k, 0).object)).toHaveLength(1);
    healthy(k);
  });

  it("never absorbs or skips a copy object that receives pushes", () => {
    const k = kernel();
    ok(k, "object_create", { size: 2 * P });
    ok(k, "enter", { size: 2 * P, source: window(0) });
    write(k, 0, "01");
    ok(k, "copyin", { size: 2 * P });
    const out = ok(k, "copyout", { copy: 0 }).addr!;
    write(k, out + P, "02"); // shadows the copied-out entry: N → C → S, C held by N only
    const c = k.objects[0]!.copy!;
    expect(c.refCount).toBe(1);
    expect(chain(entryAt(k, out).object)).toEqual([entryAt(k, out).object, c, k.objects[0]]);
    write(k, 0, "03");
    expect(read(k, out, 1)).toBe("01");
    healthy(k);
  });

  it.each([
    ["released", true, false],
    ["kept, writing one page", false, true],
    ["kept, writing a different page each time", false, false],
  ])("100 generations of fork-then-write stay bounded (parents %s)", (_, release, samePage) => {
    const k = kernel();
    ok(k, "enter", { size: 64 * P });
    write(k, 0, bytes(1, 64 * P));
    let cur = 0;
    for (let g = 0; g < 100; g++) {
      const child = ok(k, "fork", { map: cur }).map!;
      write(k, (samePage ? 0 : g % 64) * P, bytes(g + 2, 1), child);
      if (release) ok(k, "deallocate", { map: cur });
      cur = child;
    }
    const { longestChain } = objectStats(k.objectLayer);
    expect(longestChain).toBeLessThanOrEqual(k.objectLayer.maxChainLength + 1);
    if (release || samePage) expect(longestChain).toBeLessThanOrEqual(3);
    // Every surviving generation still sees its own bytes.
    expect(read(k, (samePage ? 0 : 99 % 64) * P, 2, cur)).toBe(bytes(101, 1) + "01");
    if (!release) expect(read(k, (samePage ? 0 : 40) * P, 2, 41)).toBe(bytes(42, 1) + "01");
    healthy(k);
    releaseEverything(k);
    expect(anonymousLive(k)).toEqual([]);
  });
});

describe("reference counts and leaks", () => {
  /** A world using every kind of holder: maps, forks, copies of each kind, named entries, remaps. */
  function busy() {
    const k = filled();
    ok(k, "object_create", { size: 4 * P });
    ok(k, "enter", { addr: 8 * P, size: 4 * P, source: window(0), inheritance: 0 });
    write(k, 8 * P + 5, "5555");
    ok(k, "inherit", { addr: 0, size: 2 * P, inheritance: 0 });
    const child = ok(k, "fork").map!;
    write(k, 2 * P, "c0", child);
    write(k, 8 * P, "c1", child);
    ok(k, "copyin", { addr: P, size: 2 * P });
    ok(k, "copyin", { addr: 8 * P, size: 3 * P, useMaxprot: true });
    ok(k, "copyin", { addr: 3, size: 5 });
    ok(k, "copyin_object", { object: 0, offset: P, size: P });
    ok(k, "remap", { srcAddr: 2 * P, size: 2 * P, copy: true, addr: 20 * P });
    ok(k, "remap", { srcAddr: 9 * P, size: 2 * P, copy: false, addr: 20 * P });
    ok(k, "protect", { addr: 8 * P, size: P, prot: 0x13 });
    write(k, 9 * P, "d0");
    ok(k, "wire", { addr: 0, size: 3 * P });
    return k;
  }

  it("counts every holder exactly", () => {
    const k = busy();
    healthy(k);
    const holders = objectHolders(k);
    for (const o of k.objectLayer.live) expect(o.refCount, `object ${o.id}`).toBe(holders.get(o));
  });

  it("leaves only the shared memory objects once every map and copy is released", () => {
    const k = busy();
    releaseEverything(k);
    expect(anonymousLive(k)).toEqual([]);
    expect([...k.objectLayer.live]).toEqual(k.objects);
    expect(k.objects.map((o) => [o.refCount, o.copy])).toEqual([[1, null]]);
    expect(objectStats(k.objectLayer).residentPages).toBe(k.objects[0]!.pages.size);
  });

  it("keeps what named entries hold alive, and only that", () => {
    const k = filled();
    write(k, 0, "42");
    ok(k, "make_memory_entry", { size: 2 * P });
    releaseEverything(k);
    const named = k.namedEntries[0]!.windows[0]!.object;
    expect(anonymousLive(k)).toEqual([named]);
    healthy(k);
    const again = ok(k, "create").map!;
    expect(read(k, ok(k, "map_memory_entry", { map: again, size: 2 * P }).addr!, 1, again)).toBe("42");
  });

  it("terminates a very long chain without recursion", () => {
    const k = kernel();
    k.objectLayer.maxChainLength = Infinity;
    ok(k, "deallocate");
    ok(k, "create", { max: 4096 * P });
    const first = k.maps.length - 1;
    ok(k, "enter", { map: first, size: 4096 * P });
    let cur = first;
    for (let g = 0; g < 1500; g++) {
      const child = ok(k, "fork", { map: cur }).map!;
      write(k, g * P, "01", child);
      cur = child;
    }
    expect(objectStats(k.objectLayer).longestChain).toBeGreaterThan(1000);
    releaseEverything(k);
    expect(k.objectLayer.live.size).toBe(0);
  });

  it("checkKernel reports a layer that forgets to release a dead object's shadow", () => {
    class Leaky extends ObjectLayer {
      override terminate(o: VmObject): void {
        this.retire(o); // the shadow keeps its reference forever
      }
    }
    const k = kernel({ objectLayerClass: Leaky });
    ok(k, "enter", { size: 2 * P });
    write(k, 0, bytes(1, 2 * P));
    ok(k, "copyin", { size: 2 * P });
    write(k, 0, "02");
    ok(k, "copy_discard", { copy: 0 });
    ok(k, "remove", { size: 2 * P });
    expect(checkKernel(k)).toMatch(/leaks|refCount/);
  });

  it("a layer that skips pushes is caught by the bytes", () => {
    class NoPush extends ObjectLayer {
      override push(): void {}
    }
    const k = kernel({ objectLayerClass: NoPush });
    ok(k, "object_create", { size: P });
    ok(k, "enter", { source: window(0) });
    write(k, 0, "01");
    ok(k, "copyin", { size: P, useMaxprot: true });
    write(k, 0, "02");
    expect(read(k, ok(k, "copyout").addr!, 1)).toBe("02"); // wrong: the copy should hold 01
  });
});

describe("wiring and VM_PROT_COPY", () => {
  it("wiring resolves copy-on-write and copies every page up from the chain, not zeros", () => {
    const k = filled();
    ok(k, "copyin", { size: 4 * P });
    write(k, 3 * P, "99"); // a shadow now holds page 3 only
    ok(k, "wire", { size: 4 * P });
    const e = entryAt(k, 0);
    expect(e.needsCopy).toBe(false);
    for (let i = 0; i < 4; i++) expect(e.object!.pages.has(e.offset / P + i)).toBe(true);
    expect(chain(e.object)).toHaveLength(1);
    expect([0, 1, 2, 3].map((i) => read(k, i * P, 2))).toEqual(["1111", "2222", "3333", "9944"]);
    const out = ok(k, "copyout", { copy: 0 }).addr!;
    expect(read(k, out + 3 * P, 2)).toBe("4444");
    healthy(k);
  });

  it("a copy of a wired range is physical: the source stays without needsCopy", () => {
    const k = filled();
    ok(k, "wire", { size: 4 * P });
    const o = entryAt(k, 0).object!;
    ok(k, "copyin", { size: 4 * P });
    expect(entryAt(k, 0).needsCopy).toBe(false);
    const copy = k.copies[0]!;
    const ce = copy.kind === "entry_list" ? copy.entries[0]! : undefined;
    expect(ce!.object).not.toBe(o);
    expect(ce!.needsCopy).toBe(false);
    write(k, 0, "00");
    expect(read(k, ok(k, "copyout").addr!, 2)).toBe("1111");
    healthy(k);
  });

  it("VM_PROT_COPY of private memory only marks it copy-on-write", () => {
    const k = filled();
    const o = entryAt(k, 0).object!;
    ok(k, "protect", { size: 4 * P, prot: 0x13 });
    expect(entryAt(k, 0).object).toBe(o);
    expect(entryAt(k, 0).needsCopy).toBe(true);
    healthy(k);
  });

  it("VM_PROT_COPY of shared memory is an exact snapshot through a delayed copy object", () => {
    const k = kernel();
    ok(k, "object_create", { size: 2 * P });
    ok(k, "enter", { size: 2 * P, source: window(0) });
    ok(k, "enter", { addr: 4 * P, size: 2 * P, source: window(0) });
    write(k, 0, "1234");
    ok(k, "protect", { addr: 4 * P, size: 2 * P, prot: 0x13 });
    const e = entryAt(k, 4 * P);
    expect(e.needsCopy).toBe(true);
    expect(e.object!.shadow).toBe(k.objects[0]);
    expect(e.object!.pages.size).toBe(0); // deferred: nothing copied yet
    write(k, 0, "5678"); // through the other mapping: pushed, not shown
    expect(read(k, 4 * P, 2)).toBe("1234");
    write(k, 4 * P + 1, "99");
    expect([read(k, 0, 2), read(k, 4 * P, 2)]).toEqual(["5678", "1299"]);
    healthy(k);
  });

  it("VM_PROT_COPY of a wired shared mapping resolves at once and keeps every page resident", () => {
    const k = kernel();
    ok(k, "object_create", { size: 2 * P });
    ok(k, "enter", { size: 2 * P, source: window(0) });
    write(k, P, "0a");
    ok(k, "wire", { size: 2 * P });
    ok(k, "protect", { size: 2 * P, prot: 0x13 });
    const e = entryAt(k, 0);
    expect(e.needsCopy).toBe(false);
    expect(e.object).not.toBe(k.objects[0]);
    expect([0, 1].every((i) => e.object!.pages.has(e.offset / P + i))).toBe(true);
    expect(k.objects[0]!.refCount).toBe(1);
    expect(read(k, P, 1)).toBe("0a");
    healthy(k);
  });

  it("rejects nothing new: a failing protect changes nothing", () => {
    const k = filled();
    expect(run(k, "protect", { size: 8 * P, prot: 0x13 }).kr).toBe("KERN_INVALID_ADDRESS");
    expect(entryAt(k, 0).needsCopy).toBe(false);
  });
});

describe("object locks reported to the lock-order validator", () => {
  /** A layer whose lock reports are recorded as "+id" (lock), "?id" (try-lock), "-id" (unlock). */
  function recording(): { layer: ObjectLayer; log: string[] } {
    const layer = new ObjectLayer(P);
    const log: string[] = [];
    layer.lockHooks = { lock: (o, tryLock) => log.push(`${tryLock ? "?" : "+"}${o.id}`), unlock: (o) => log.push(`-${o.id}`), assertHeld: () => {} };
    return { layer, log };
  }

  it("terminate locks each dying object before its shadow (top-down) and goes down the chain while references run out", () => {
    const { layer, log } = recording();
    const bottom = layer.allocate("anonymous", P);
    const top = layer.shadow(bottom, 0, P);
    expect(log).toEqual([]); // shadow creation takes no object lock (vm_object_shadow only links)
    top.release();
    expect(log).toEqual(["+1", "+0", "-0", "-1", "+0", "-0"]);
    expect(layer.live.size).toBe(0);
  });

  it("terminate stops at a shadow someone else still holds, after locking it below the dying object", () => {
    const { layer, log } = recording();
    const bottom = layer.allocate("anonymous", P);
    bottom.reference();
    layer.shadow(bottom, 0, P).release();
    expect(log).toEqual(["+1", "+0", "-0", "-1"]);
    expect(bottom.refCount).toBe(1);
  });

  it("a quick (symmetric) copy takes the reference under the object's lock; a slow copy never holds the source and the new object together", () => {
    const { layer, log } = recording();
    const src = layer.allocate("anonymous", 2 * P);
    src.pages.set(0, new Uint8Array(P).fill(7));
    src.pages.set(1, new Uint8Array(P).fill(8));
    expect(layer.copyQuickly(src)).toBe(true);
    expect(log.splice(0)).toEqual(["+0", "-0"]);
    const n = layer.copySlowly(src, 0, 2 * P);
    expect(log).toEqual(["+0", "-0", `+${n.id}`, `-${n.id}`, `+${n.id}`, `-${n.id}`]);
  });
});
