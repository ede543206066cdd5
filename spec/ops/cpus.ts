/**
 * CPUs: switch, load, store, evict. A CPU runs a map named by handle (no reference held); a
 * user access through a CPU means exactly read_user / write_user on that map. Everything that
 * makes an access fast or slow — TLBs, page tables, frames, shootdowns, pageout — is below
 * what the spec can see, so evict changes nothing here.
 */
import type { OpHandlers } from "../vocabulary.ts";
import { areNumbers } from "../args.ts";
import { mapOf, type SpecWorld } from "../world.ts";
import { ACCESS_HANDLERS } from "./access.ts";

type Handlers = Pick<OpHandlers<SpecWorld>, "switch" | "load" | "store" | "evict">;

/** The map handle `cpu` runs, or undefined when `cpu` is not a CPU or runs no live map. */
function runningMap(world: SpecWorld, cpu: number): number | undefined {
  const handle = Number.isInteger(cpu) ? world.cpus[cpu] : undefined;
  return handle === undefined || handle === null || mapOf(world, handle) === null ? undefined : handle;
}

export const CPU_HANDLERS: Handlers = {
  switch(world, { cpu, map }) {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= world.cpus.length || mapOf(world, map) === null) return { kr: "KERN_INVALID_ARGUMENT" };
    world.cpus[cpu] = map;
    return { kr: "KERN_SUCCESS" };
  },

  load(world, { cpu, addr, size }) {
    const map = runningMap(world, cpu);
    if (map === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    return ACCESS_HANDLERS.read_user(world, { op: "read_user", map, addr, size });
  },

  store(world, { cpu, addr, data }) {
    const map = runningMap(world, cpu);
    if (map === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
    return ACCESS_HANDLERS.write_user(world, { op: "write_user", map, addr, data });
  },

  evict(world, { frame }) {
    return { kr: areNumbers(world.scope, frame) ? "KERN_SUCCESS" : "KERN_INVALID_ARGUMENT" };
  },
};
