/**
 * Helpers for the implementation's tests of objects, copies and sharing: a small scope, default
 * arguments for every operation, and shorthands that fail loudly on an unexpected result.
 */
import { expect } from "vitest";
import { checkKernel, Kernel, type KernelOptions, type VmMap, type VmMapEntry, type VmObject } from "../../impl/index.ts";
import type { Scope } from "../../spec/scope.ts";
import type { Op, OpArgs, OpName, OpResult } from "../../spec/vocabulary.ts";

export const SCOPE: Scope = { addressBits: 20, pageSize: 16, maxWireCount: 5, maxObjectPages: 64, kernelBufferThreshold: 2 * 16 };
export const P = SCOPE.pageSize;

const ANON = { kind: "anonymous" } as const;
export const window = (object: number, offset = 0) => ({ kind: "object" as const, object, offset });

/** Default arguments of every operation for pages of `P` bytes (tests override what matters). */
export function defaultArgs(P: number): { [K in OpName]: OpArgs<K> } {
  return {
    create: { min: 0, max: 256 * P },
    reference: { map: 0 },
    deallocate: { map: 0 },
    swapout: { map: 0 },
    swapin: { map: 0 },
    object_create: { size: 4 * P },
    enter: { map: 0, addr: 0, size: P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: ANON },
    find_space: { map: 0, size: P, mask: 0 },
    remove: { map: 0, addr: 0, size: P, flags: 0 },
    protect: { map: 0, addr: 0, size: P, prot: 1, setMax: false },
    inherit: { map: 0, addr: 0, size: P, inheritance: 0 },
    behavior_set: { map: 0, addr: 0, size: P, behavior: 1 },
    machine_attribute: { map: 0, addr: 0, size: P, attribute: 1, value: 1 },
    wire: { map: 0, addr: 0, size: P, access: 1, user: true },
    unwire: { map: 0, addr: 0, size: P, user: true },
    simplify: { map: 0, addr: 0 },
    lookup: { map: 0, addr: 0 },
    read_user: { map: 0, addr: 0, size: 1 },
    write_user: { map: 0, addr: 0, data: "ff" },
    switch: { cpu: 0, map: 0 },
    load: { cpu: 0, addr: 0, size: 1 },
    store: { cpu: 0, addr: 0, data: "ff" },
    evict: { frame: 0 },
    spawn: { thread: 0, body: { op: "lookup", map: 0, addr: 0 } },
    step: { thread: 0, count: 1 },
    copyin: { map: 0, addr: 0, size: 4 * P, srcDestroy: false, useMaxprot: false },
    copyin_object: { object: 0, offset: 0, size: P },
    copyout: { map: 0, copy: 0 },
    copy_overwrite: { map: 0, addr: 0, copy: 0, interruptible: false },
    copy_discard: { copy: 0 },
    submap: { map: 0, addr: 0, size: P, submap: 1, offset: 0, inheritance: 0, usePmap: false },
    region_object_create: { size: P },
    shared_region_create: { textSize: P, dataSize: P, clientBase: 0 },
    shared_region_map: { map: 0, region: 0 },
    shared_region_attach: { region: 1, parent: 0 },
    shared_region_alternate: { region: 0, size: P },
    shared_region_deallocate: { region: 0 },
    copy_copy: { copy: 0 },
    copyin_page_list: { map: 0, addr: 0, size: 4 * P, options: 1 },
    copy_continue: { copy: 0 },
    copy_abort: { copy: 0 },
    copyout_page_list: { map: 0, copy: 0 },
    steal_pages: { copy: 0 },
    page_discard: { copy: 0 },
    fork: { map: 0 },
    remap: { map: 0, addr: 0, size: P, mask: 0, anywhere: true, srcMap: 0, srcAddr: 0, copy: false, inheritance: 1 },
    make_memory_entry: { map: 0, addr: 0, size: P, permission: 3 },
    map_memory_entry: { map: 0, addr: 0, size: P, mask: 0, anywhere: true, entry: 0, offset: 0, copy: false, cur: 3, max: 3, inheritance: 1 },
  };
}

export const DEFAULTS = defaultArgs(P);

/** Run `name` with the defaults overridden by `args`. */
export function run<K extends OpName>(k: Kernel, name: K, args: Partial<OpArgs<K>> = {}): OpResult<K> {
  return k.run({ op: name, ...DEFAULTS[name], ...args } as Op) as OpResult<K>;
}

/** Run and expect KERN_SUCCESS; returns the result. */
export function ok<K extends OpName>(k: Kernel, name: K, args: Partial<OpArgs<K>> = {}): OpResult<K> {
  const r = run(k, name, args);
  expect(r.kr, `${name} ${JSON.stringify(args)}`).toBe("KERN_SUCCESS");
  return r;
}

/** A kernel with one map over [0, 256 pages). */
export function kernel(options: KernelOptions = {}): Kernel {
  const k = new Kernel(SCOPE, options);
  ok(k, "create");
  return k;
}

/** Bytes at `addr` as hex, through read_user. */
export function read(k: Kernel, addr: number, size: number, map = 0): string {
  const r = run(k, "read_user", { map, addr, size });
  expect(r.kr).toBe("KERN_SUCCESS");
  return (r as { data: string }).data;
}

export const write = (k: Kernel, addr: number, data: string, map = 0): void => {
  ok(k, "write_user", { map, addr, data });
};

export function entries(m: VmMap): VmMapEntry[] {
  const out: VmMapEntry[] = [];
  for (let e = m.store.header.next; e !== m.store.header; e = e.next) out.push(e);
  return out;
}

/** The entry of map `m` holding `addr`. */
export function entryAt(k: Kernel, addr: number, m = 0): VmMapEntry {
  const r = k.maps[m]!.lookupEntry(addr);
  expect(r.found).toBe(true);
  return r.entry;
}

/** Objects in the shadow chain from `o` down. */
export function chain(o: VmObject | null): VmObject[] {
  const out: VmObject[] = [];
  for (let x = o; x !== null; x = x.shadow) out.push(x);
  return out;
}

/** Every check of the kernel holds (maps, exact reference counts, no leak, sound chains). */
export function healthy(k: Kernel): void {
  expect(checkKernel(k)).toBeUndefined();
}

/** Anonymous objects still alive. */
export const anonymousLive = (k: Kernel): VmObject[] => [...k.objectLayer.live].filter((o) => o.kind === "anonymous");

/** Release every copy and every map: afterwards only the shared memory objects may remain. */
export function releaseEverything(k: Kernel): void {
  for (let h = 0; h < k.copies.length; h++) if (k.copies[h]) ok(k, "copy_discard", { copy: h });
  for (let h = 0; h < k.maps.length; h++) while (k.maps[h]) ok(k, "deallocate", { map: h });
}

/** Hex of `n` repetitions of byte `b`. */
export const bytes = (b: number, n: number): string => b.toString(16).padStart(2, "0").repeat(n);
