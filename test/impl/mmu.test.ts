import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/kernel.ts";
import { Mmu } from "../../impl/mmu/mmu.ts";
import { Scheduler, type ThreadBody } from "../../impl/sched/scheduler.ts";
import { VM_PROT_WRITE } from "../../spec/constants.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op } from "../../spec/vocabulary.ts";

const scope: Scope = { addressBits: 32, pageSize: 64, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 4096, cpus: 3, frames: 6, tlbEntries: 8, tlbWays: 2 };
const ps = scope.pageSize;

function kernel(mmuClass: typeof Mmu = Mmu): Kernel {
  const k = new Kernel(scope, { mmuClass });
  ok(k, { op: "create", min: 0, max: 64 * ps });
  ok(k, { op: "enter", map: 0, addr: 0, size: 8 * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } });
  return k;
}

function ok(k: Kernel, op: Op) {
  const r = k.run(op);
  expect(r.kr, JSON.stringify(op)).toBe("KERN_SUCCESS");
  return r;
}

const cached = (k: Kernel, cpu: number, vpn: number) => k.mmu!.cpus[cpu]!.tlb.lookup(k.mmu!.pmaps.get(k.maps[0]!)!.asid, vpn) >= 0;

describe("the MMU", () => {
  it("is not in play (nothing mapped) until a CPU runs a map", () => {
    const k = kernel();
    ok(k, { op: "write_user", map: 0, addr: 0, data: "01" });
    expect(k.mmu!.engaged).toBe(false);
    expect(k.mmu!.pmaps.size).toBe(0);
    ok(k, { op: "switch", cpu: 0, map: 0 });
    expect(k.mmu!.engaged).toBe(true);
  });

  it("a store through a CPU fills its TLB; protect shoots the page down on every CPU that ran the map", () => {
    const k = kernel();
    ok(k, { op: "switch", cpu: 0, map: 0 });
    ok(k, { op: "switch", cpu: 1, map: 0 });
    ok(k, { op: "store", cpu: 0, addr: 0, data: "0102" });
    ok(k, { op: "load", cpu: 1, addr: 0, size: 2 });
    expect(cached(k, 0, 0) && cached(k, 1, 0)).toBe(true);
    ok(k, { op: "protect", map: 0, addr: 0, size: ps, prot: 1, setMax: false });
    expect(k.mmu!.shootdowns.inFlight).toEqual([]);
    expect(cached(k, 0, 0) || cached(k, 1, 0)).toBe(false);
    expect(k.run({ op: "store", cpu: 0, addr: 0, data: "ff" }).kr).toBe("KERN_INVALID_ADDRESS");
    expect(k.run({ op: "load", cpu: 1, addr: 0, size: 2 })).toEqual({ kr: "KERN_SUCCESS", data: "0102" });
  });

  it("the hit path answers only from the TLB of a CPU running the map, with the rights the entry grants", () => {
    const k = kernel();
    ok(k, { op: "create", min: 0, max: 64 * ps });
    ok(k, { op: "switch", cpu: 0, map: 0 });
    ok(k, { op: "load", cpu: 0, addr: 0, size: 1 }); // a read fault maps the zero-fill page read-only
    const mmu = k.mmu!, cpu = mmu.cpus[0]!;
    expect(mmu.tlbHit(cpu, k.maps[0]!, 0, 1)).toBe(mmu.translate(cpu, k.maps[0]!, 0, 1));
    expect(mmu.tlbHit(cpu, k.maps[0]!, 0, 1)).toBeDefined();
    expect(mmu.tlbHit(cpu, k.maps[0]!, 0, VM_PROT_WRITE)).toBeUndefined(); // needs the fault path
    expect(mmu.tlbHit(cpu, k.maps[0]!, ps, 1)).toBeUndefined(); // not cached
    expect(mmu.tlbHit(cpu, k.maps[1]!, 0, 1)).toBeUndefined(); // the CPU runs another map
    expect(mmu.tlbHit(mmu.cpus[1]!, k.maps[0]!, 0, 1)).toBeUndefined(); // another CPU's TLB
  });

  it("a CPU that moved to another map leaves the target set on the next shootdown", () => {
    const k = kernel();
    ok(k, { op: "create", min: 0, max: 4 * ps });
    ok(k, { op: "switch", cpu: 2, map: 0 });
    ok(k, { op: "load", cpu: 2, addr: 0, size: 1 });
    ok(k, { op: "switch", cpu: 2, map: 1 });
    const asid = k.mmu!.pmaps.get(k.maps[0]!)!.asid;
    expect(k.mmu!.targetsOf(asid)).toEqual([2]);
    ok(k, { op: "remove", map: 0, addr: 0, size: ps, flags: 0 });
    expect(k.mmu!.targetsOf(asid)).toEqual([]);
  });

  it("frees a frame only after every CPU acknowledged its shootdown", () => {
    const inFlightAtFree: number[] = [];
    class Watching extends Mmu {
      override freeFrame(f: number): void {
        inFlightAtFree.push(this.shootdowns.inFlight.length);
        super.freeFrame(f);
      }
    }
    const k = kernel(Watching);
    ok(k, { op: "switch", cpu: 0, map: 0 });
    ok(k, { op: "switch", cpu: 1, map: 0 });
    ok(k, { op: "load", cpu: 0, addr: 0, size: 1 });
    ok(k, { op: "load", cpu: 1, addr: 0, size: 1 });
    ok(k, { op: "evict", frame: 0 });
    expect(inFlightAtFree).toEqual([0]);
    expect(k.mmu!.ghost.earlyFrees).toEqual([]);
    expect(k.mmu!.phys.freeCount).toBe(scope.frames);
  });

  it("another operation's batch leaves a waiting thread's shootdown in flight: the CPU not yet heard from still hits its old entry", () => {
    const k = kernel();
    ok(k, { op: "create", min: 0, max: 64 * ps });
    ok(k, { op: "enter", map: 1, addr: 0, size: 8 * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } });
    ok(k, { op: "switch", cpu: 1, map: 0 });
    ok(k, { op: "store", cpu: 1, addr: 0, data: "0a0b" });
    ok(k, { op: "switch", cpu: 0, map: 1 });
    const remove: Op = { op: "remove", map: 0, addr: 0, size: ps, flags: 0 };
    const s = new Scheduler(k, function* (sch): ThreadBody {
      yield { kind: "write", map: sch.kernel.mapOf(0)! };
      const r = sch.commitLeavingShootdowns(remove);
      yield { kind: "point", why: "waiting for the acknowledgements" };
      return r;
    });
    s.spawn(0, remove);
    const log = k.mmu!.shootdowns;
    expect(log.inFlight.map((sd) => sd.owner)).toEqual([0]);
    // Meanwhile CPU 0 faults a page of map 1 in and map 1 is protected: pmap batches of their
    // own, each completed before its operation returns ...
    ok(k, { op: "store", cpu: 0, addr: 2 * ps, data: "ff" });
    ok(k, { op: "protect", map: 1, addr: 2 * ps, size: ps, prot: 1, setMax: false });
    // ... neither of which delivers the remover's request to CPU 1.
    expect(log.inFlight.map((sd) => sd.owner)).toEqual([0]);
    expect(cached(k, 1, 0)).toBe(true);
    expect(k.run({ op: "load", cpu: 1, addr: 0, size: 2 })).toEqual({ kr: "KERN_SUCCESS", data: "0a0b" });
    const next = log.nextAck(0)!;
    k.mmu!.ack(next.sd, next.i);
    expect(log.nextAck(0)).toBeUndefined();
    expect(cached(k, 1, 0)).toBe(false);
  });

  it("maps a copy-on-write page read-only; a write faults and gets a private copy", () => {
    const k = kernel();
    ok(k, { op: "write_user", map: 0, addr: 0, data: "0a0b" });
    ok(k, { op: "fork", map: 0 });
    ok(k, { op: "switch", cpu: 0, map: 1 });
    ok(k, { op: "load", cpu: 0, addr: 0, size: 2 });
    const child = k.mmu!.pmaps.get(k.maps[1]!)!;
    expect(child.pte(0).rights & VM_PROT_WRITE).toBe(0);
    const shared = child.pte(0).frame;
    ok(k, { op: "store", cpu: 0, addr: 0, data: "ff" });
    expect(child.pte(0).frame).not.toBe(shared);
    expect(child.pte(0).rights & VM_PROT_WRITE).toBe(VM_PROT_WRITE);
    expect(k.run({ op: "read_user", map: 0, addr: 0, size: 2 })).toEqual({ kr: "KERN_SUCCESS", data: "0a0b" });
    expect(k.run({ op: "load", cpu: 0, addr: 0, size: 2 })).toEqual({ kr: "KERN_SUCCESS", data: "ff0b" });
  });

  it("wiring faults pages in and pins them; pageout passes them by; unwiring unpins", () => {
    const k = kernel();
    ok(k, { op: "switch", cpu: 0, map: 0 });
    ok(k, { op: "wire", map: 0, addr: 0, size: 2 * ps, access: 1, user: true });
    const p = k.mmu!.pmaps.get(k.maps[0]!)!;
    const frames = [p.pte(0).frame, p.pte(1).frame];
    expect(frames.every((f) => f >= 0 && k.mmu!.phys.pins[f] === 1)).toBe(true);
    for (let i = 0; i < 4; i++) ok(k, { op: "evict", frame: i });
    expect([p.pte(0).frame, p.pte(1).frame]).toEqual(frames);
    ok(k, { op: "unwire", map: 0, addr: 0, size: 2 * ps, user: true });
    expect(frames.every((f) => k.mmu!.phys.pins[f] === 0)).toBe(true);
  });

  it("with fewer frames than pages, pageout makes room and contents survive", () => {
    const k = kernel();
    ok(k, { op: "enter", map: 0, addr: 8 * ps, size: 8 * ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } });
    ok(k, { op: "switch", cpu: 0, map: 0 });
    let pagedOut = 0;
    for (let i = 0; i < 16; i++) {
      ok(k, { op: "store", cpu: 0, addr: i * ps, data: (i + 16).toString(16) });
      pagedOut += k.mmu!.ghost.pageouts;
    }
    expect(pagedOut).toBeGreaterThan(0);
    for (let i = 0; i < 16; i++) expect(k.run({ op: "load", cpu: 0, addr: i * ps, size: 1 })).toEqual({ kr: "KERN_SUCCESS", data: (i + 16).toString(16) });
    expect(k.mmu!.phys.count).toBe(scope.frames);
  });

  it("PMAP_ENTER enters each page of a page-list chunk in the source pmap, read-only while the list holds it busy", () => {
    const k = kernel();
    ok(k, { op: "switch", cpu: 0, map: 0 });
    ok(k, { op: "store", cpu: 0, addr: 0, data: "0102" });
    const p = k.mmu!.pmaps.get(k.maps[0]!)!;
    expect(p.pte(1).frame).toBe(-1);
    ok(k, { op: "copyin_page_list", map: 0, addr: 0, size: 2 * ps, options: 0x20 | 3 });
    expect([p.pte(0).rights, p.pte(1).rights]).toEqual([1, 1]);
    expect(p.pte(1).frame).toBeGreaterThanOrEqual(0);
    // A store still faults, and the list keeps its snapshot.
    ok(k, { op: "store", cpu: 0, addr: 0, data: "09" });
    expect(ok(k, { op: "copyout_page_list", map: 0, copy: 0 }).kr).toBe("KERN_SUCCESS");
    // Without PMAP_ENTER nothing is entered.
    ok(k, { op: "copyin_page_list", map: 0, addr: 4 * ps, size: ps, options: 1 });
    expect(p.pte(4).frame).toBe(-1);
  });

  it("shoots a nested pmap's change down on the CPUs of the map that nests it", () => {
    const k = kernel();
    ok(k, { op: "create", min: 0, max: 4 * ps });
    ok(k, { op: "switch", cpu: 1, map: 0 });
    const mmu = k.mmu!;
    const parent = mmu.pmapOf(k.maps[0]!), nested = mmu.pmapOf(k.maps[1]!);
    parent.nest(512, nested, 0, 512, 7);
    const o = k.maps[0]!.ensureObject(k.maps[0]!.lookupEntry(0).entry);
    const f = mmu.frameFor({ object: o, index: 0, bytes: k.objectLayer.pageForWrite(o, 0), rights: 1, wired: false });
    nested.enter(3, f, 1, false);
    mmu.fill(mmu.cpus[1]!, parent, 515, { frame: f, rights: 1 });
    nested.remove(3, 4);
    mmu.complete();
    expect(mmu.cpus[1]!.tlb.lookup(parent.asid, 515)).toBe(-1);
    expect(mmu.shootdowns.uncovered.size).toBe(0);
  });
});

describe("shootdown acknowledgements awaited by a kernel thread", () => {
  /** Map 0 run by CPUs 0 and 1, both caching page 0 (written through CPU 0, read through CPU 1). */
  function twoCpusCaching(): Kernel {
    const k = kernel();
    ok(k, { op: "switch", cpu: 0, map: 0 });
    ok(k, { op: "switch", cpu: 1, map: 0 });
    ok(k, { op: "store", cpu: 0, addr: 0, data: "0102" });
    ok(k, { op: "load", cpu: 1, addr: 0, size: 2 });
    return k;
  }

  it("leaves the requests in flight as the thread's, frees the frame only after the last acknowledgement", () => {
    const k = twoCpusCaching();
    const mmu = k.mmu!, log = mmu.shootdowns;
    const frame = mmu.pmaps.get(k.maps[0]!)!.pte(0).frame;
    log.deferTo = 7;
    // The whole entry: its object dies, and the frame of page 0 with it.
    k.change(() => k.run({ op: "remove", map: 0, addr: 0, size: 8 * ps, flags: 0 }));
    log.deferTo = null;
    // The PTE is gone, the TLBs still hold the page, and the frame is not free.
    expect(mmu.pmaps.get(k.maps[0]!)!.pte(0).frame).toBe(-1);
    expect([cached(k, 0, 0), cached(k, 1, 0)]).toEqual([true, true]);
    expect(mmu.phys.free[frame]).toBe(0);
    expect(log.deferredFrees).toContain(frame);
    // Through CPU 1's stale entry the old bytes are still there (a lock-free hit), nothing faulted.
    expect(mmu.read(mmu.cpus[1]!, k.maps[0]!, 0, 2, true)).toEqual(Uint8Array.of(1, 2));
    const first = log.nextAck(7)!;
    mmu.ack(first.sd, first.i);
    mmu.freeDeferred();
    expect(mmu.phys.free[frame]).toBe(0); // one CPU still to acknowledge
    const second = log.nextAck(7)!;
    expect(second.cpu).not.toBe(first.cpu);
    mmu.ack(second.sd, second.i);
    expect(log.nextAck(7)).toBeUndefined();
    expect([cached(k, 0, 0), cached(k, 1, 0)]).toEqual([false, false]);
    mmu.freeDeferred();
    expect(mmu.phys.free[frame]).toBe(1);
    expect(mmu.ghost.earlyFrees).toEqual([]);
  });

  it("a hit-only access misses (and changes nothing) where the TLB has no entry with the rights asked", () => {
    const k = twoCpusCaching();
    const mmu = k.mmu!;
    // Page 1 was never touched; CPU 2 never ran the map; a range over pages 0 and 1 misses as a whole.
    expect(mmu.read(mmu.cpus[1]!, k.maps[0]!, ps, 1, true)).toBeUndefined();
    expect(mmu.write(mmu.cpus[2]!, k.maps[0]!, 0, Uint8Array.of(9), true)).toBe(false);
    expect(mmu.write(mmu.cpus[0]!, k.maps[0]!, ps - 1, Uint8Array.of(9, 9), true)).toBe(false);
    expect(k.maps[0]!.readUser(0, 2)).toEqual(Uint8Array.of(1, 2));
    expect(k.maps[0]!.readUser(ps - 1, 2)).toEqual(Uint8Array.of(0, 0));
    expect(cached(k, 0, 1)).toBe(false); // nothing was walked or filled
  });

  it("a page faulted back in while its frame waits for acknowledgements keeps the frame", () => {
    const k = twoCpusCaching();
    const mmu = k.mmu!, log = mmu.shootdowns;
    const frame = mmu.pmaps.get(k.maps[0]!)!.pte(0).frame;
    log.deferTo = 3;
    k.change(() => mmu.evictFrame(frame));
    log.deferTo = null;
    expect(log.deferredFrees).toEqual([frame]);
    ok(k, { op: "switch", cpu: 2, map: 0 });
    ok(k, { op: "load", cpu: 2, addr: 0, size: 2 }); // a synchronous fault: every shootdown completes
    expect(log.deferredFrees).toEqual([]);
    expect(mmu.phys.free[frame]).toBe(0);
    expect(mmu.pmaps.get(k.maps[0]!)!.pte(0).frame).toBe(frame);
  });
});
