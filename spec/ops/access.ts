/**
 * User memory access: read_user, write_user (vm_map_read_user / vm_map_write_user).
 *
 * The bytes `[addr, addr + n)` are moved exactly, not widened; but every page they touch must be
 * mapped and allow the access (READ to read, WRITE to write), else KERN_INVALID_ADDRESS and no
 * byte moves. A byte lives in the cell of its page, so a write is seen through every page that
 * aliases that cell (other windows of the same memory object, in any map). Data travels as hex:
 * read returns lower case; write accepts either case, an even number of digits. A submap
 * window's byte is the submap's (spec/world.ts {@link reach}); the access needs both prots. A
 * write through a copy-on-write window first makes that window's page private (a snapshot of
 * the submap's page as it is then), and lands there.
 */
import { VM_PROT_READ, VM_PROT_WRITE, type KernReturn } from "../constants.ts";
import { addressLimit } from "../scope.ts";
import type { OpHandlers } from "../vocabulary.ts";
import { areNumbers, firstFailure, widen } from "../args.ts";
import { mapOf, privatize, reach, readByte, toHex, writeByte, type PageState, type SpecMap, type SpecWorld } from "../world.ts";

type Handlers = Pick<OpHandlers<SpecWorld>, "read_user" | "write_user">;

/** KERN_INVALID_ADDRESS unless every page touched by `[addr, addr + length)` allows `access`. */
export function accessFailure(world: SpecWorld, map: SpecMap, addr: number, length: number, access: number): KernReturn | undefined {
  const range = widen(world.scope, addr, length);
  if (range === undefined) return "KERN_INVALID_ARGUMENT"; // unreachable: callers checked the end
  const denied = (s: PageState) => ((reach(world, s)?.prot ?? 0) & access) === access ? undefined : "KERN_INVALID_ADDRESS";
  return firstFailure(map, range, "KERN_INVALID_ADDRESS", denied);
}

/** The cell and offset in it of the byte at `addr`, which is known to be mapped. */
function locate(world: SpecWorld, map: SpecMap, addr: number): [number, number] {
  const { pageSize } = world.scope;
  return [reach(world, map.pages.get(Math.floor(addr / pageSize))!)!.cell, addr % pageSize];
}

/** The `n` bytes at `addr`, whose pages are known to be mapped. */
export function readBytes(world: SpecWorld, map: SpecMap, addr: number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => readByte(world, ...locate(world, map, addr + i)));
}

/**
 * Writes `bytes` at `addr`, whose pages are known to be mapped, into their cells (aliases see
 * them); a page reached through a copy-on-write window is made private first ({@link privatize}).
 */
export function writeBytes(world: SpecWorld, map: SpecMap, addr: number, bytes: Uint8Array): void {
  const { pageSize } = world.scope;
  for (let p = Math.floor(addr / pageSize); p * pageSize < addr + bytes.length; p++) privatize(world, map.pages.get(p)!);
  bytes.forEach((b, i) => writeByte(world, ...locate(world, map, addr + i), b));
}

export const ACCESS_HANDLERS: Handlers = {
  read_user(world, { map: handle, addr, size }) {
    const map = mapOf(world, handle);
    if (map === null || !areNumbers(world.scope, addr, size) || addr + size > addressLimit(world.scope))
      return { kr: "KERN_INVALID_ARGUMENT" };
    if (size === 0) return { kr: "KERN_SUCCESS", data: "" };
    const failure = accessFailure(world, map, addr, size, VM_PROT_READ);
    if (failure !== undefined) return { kr: failure };
    return { kr: "KERN_SUCCESS", data: toHex(readBytes(world, map, addr, size)) };
  },

  write_user(world, { map: handle, addr, data }) {
    const map = mapOf(world, handle);
    const isHex = typeof data === "string" && data.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(data);
    if (map === null || !areNumbers(world.scope, addr) || !isHex) return { kr: "KERN_INVALID_ARGUMENT" };
    const length = data.length / 2;
    if (addr + length > addressLimit(world.scope)) return { kr: "KERN_INVALID_ARGUMENT" };
    if (length === 0) return { kr: "KERN_SUCCESS" };
    const failure = accessFailure(world, map, addr, length, VM_PROT_WRITE);
    if (failure !== undefined) return { kr: failure };
    writeBytes(world, map, addr, Uint8Array.from({ length }, (_, i) => parseInt(data.slice(2 * i, 2 * i + 2), 16)));
    return { kr: "KERN_SUCCESS" };
  },
};
