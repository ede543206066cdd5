/** Shared fixtures for the spec tests: a small scope and commands with sensible defaults. */
import {
  abstractSpec,
  newSpecWorld,
  SPEC,
  VM_INHERIT_COPY,
  VM_PROT_ALL,
  VM_PROT_DEFAULT,
  type OpArgs,
  type OpName,
  type OpOf,
  type OpResult,
  type Scope,
  type SpecWorld,
} from "../../spec/index.ts";

/** 16-bit addresses, 256-byte pages, wire counters capped at 3; copyins below 2 pages are kernel buffers. */
export const SMALL: Scope = { addressBits: 16, pageSize: 256, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 512, cpus: 2 };
export const P = SMALL.pageSize;
export const TOP = 2 ** SMALL.addressBits;

const DEFAULTS: { [K in OpName]: OpArgs<K> } = {
  create: { min: 0, max: TOP },
  reference: { map: 0 },
  deallocate: { map: 0 },
  swapout: { map: 0 },
  swapin: { map: 0 },
  object_create: { size: 4 * P },
  enter: {
    map: 0,
    addr: 0,
    size: P,
    mask: 0,
    anywhere: false,
    alias: 0,
    cur: VM_PROT_DEFAULT,
    max: VM_PROT_ALL,
    inheritance: VM_INHERIT_COPY,
    source: { kind: "anonymous" },
  },
  find_space: { map: 0, size: P, mask: 0 },
  remove: { map: 0, addr: 0, size: P, flags: 0 },
  protect: { map: 0, addr: 0, size: P, prot: VM_PROT_DEFAULT, setMax: false },
  inherit: { map: 0, addr: 0, size: P, inheritance: VM_INHERIT_COPY },
  behavior_set: { map: 0, addr: 0, size: P, behavior: 0 },
  machine_attribute: { map: 0, addr: 0, size: P, attribute: 1, value: 0 },
  wire: { map: 0, addr: 0, size: P, access: 0, user: true },
  unwire: { map: 0, addr: 0, size: P, user: true },
  simplify: { map: 0, addr: 0 },
  lookup: { map: 0, addr: 0 },
  read_user: { map: 0, addr: 0, size: 1 },
  write_user: { map: 0, addr: 0, data: "" },
  switch: { cpu: 0, map: 0 },
  load: { cpu: 0, addr: 0, size: 1 },
  store: { cpu: 0, addr: 0, data: "" },
  evict: { frame: 0 },
  spawn: { thread: 0, body: { op: "lookup", map: 0, addr: 0 } },
  step: { thread: 0, count: 1 },
  copyin: { map: 0, addr: 0, size: P, srcDestroy: false, useMaxprot: false },
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
  copyin_page_list: { map: 0, addr: 0, size: P, options: 1 },
  copy_continue: { copy: 0 },
  copy_abort: { copy: 0 },
  copyout_page_list: { map: 0, copy: 0 },
  steal_pages: { copy: 0 },
  page_discard: { copy: 0 },
  fork: { map: 0 },
  remap: { map: 0, addr: 0, size: P, mask: 0, anywhere: true, srcMap: 0, srcAddr: 0, copy: false, inheritance: VM_INHERIT_COPY },
  make_memory_entry: { map: 0, addr: 0, size: P, permission: VM_PROT_DEFAULT },
  map_memory_entry: {
    map: 0,
    addr: 0,
    size: P,
    mask: 0,
    anywhere: true,
    entry: 0,
    offset: 0,
    copy: false,
    cur: VM_PROT_DEFAULT,
    max: VM_PROT_DEFAULT,
    inheritance: VM_INHERIT_COPY,
  },
};

/** A command `name` with the defaults above overridden by `args`. */
export function cmd<K extends OpName>(name: K, args: Partial<OpArgs<K>> = {}): OpOf<K> {
  return { op: name, ...DEFAULTS[name], ...args } as unknown as OpOf<K>;
}

/** Runs a command on the spec. */
export function run<K extends OpName>(world: SpecWorld, name: K, args: Partial<OpArgs<K>> = {}): OpResult<K> {
  return SPEC[name](world, cmd(name, args));
}

/** A world with map 0 over `[min, max)`. */
export function worldWithMap(min = 0, max = TOP, scope: Scope = SMALL): SpecWorld {
  const world = newSpecWorld(scope);
  SPEC.create(world, { op: "create", min, max });
  return world;
}

/** The attributes of the page at `addr` in map `map` (null when unmapped). */
export function pageAt(world: SpecWorld, addr: number, map = 0) {
  const r = run(world, "lookup", { map, addr });
  if (r.kr !== "KERN_SUCCESS") throw new Error(`lookup failed: ${r.kr}`);
  return r.page ?? null;
}

/** Mapped page addresses of map `map`, ascending. */
export function mappedAddresses(world: SpecWorld, map = 0): number[] {
  return abstractSpec(world).maps[map]!.pages.map((p) => p.page * world.scope.pageSize);
}

/** Runs `command` and expects it to leave the abstract world exactly as it was. */
export function expectUnchanged<T>(world: SpecWorld, command: () => T): T {
  const before = JSON.stringify(abstractSpec(world));
  const result = command();
  const after = JSON.stringify(abstractSpec(world));
  if (before !== after) throw new Error(`world changed:\n${before}\n${after}`);
  return result;
}
