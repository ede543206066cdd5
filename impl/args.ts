/**
 * Argument validation shared by the kernel's operation handlers (the user wrappers of vm_user.c):
 * domains of numbers, rounding of ranges to pages and the wrap check against 2^W. Everything
 * here is pure: a handler validates first and only then touches a map.
 */
import type { Scope } from "../spec/scope.ts";

/** A number in the domain of addresses, sizes, masks, protections, flags and values: an integer in [0, 2^W). */
export const isWord = (scope: Scope, x: number): boolean =>
  Number.isInteger(x) && x >= 0 && x < 2 ** scope.addressBits;

/** All of `xs` are in the word domain. */
export function areWords(scope: Scope, ...xs: number[]): boolean {
  // A plain loop: every command validates its arguments here, so it is on the hottest path.
  const limit = 2 ** scope.addressBits;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (!Number.isInteger(x) || x < 0 || x >= limit) return false;
  }
  return true;
}

export const trunc = (scope: Scope, x: number): number => x - (x % scope.pageSize);
export const round = (scope: Scope, x: number): number => {
  const r = x % scope.pageSize;
  return r === 0 ? x : x - r + scope.pageSize;
};

/** `bits ⊆ allowed`, without 32-bit bitwise operators (values may exceed 2^31). */
export function bitsWithin(bits: number, allowed: number): boolean {
  // Callers pass small masks (protection bits, flags); a value above the mask cannot be inside it.
  return bits <= allowed && (bits & ~allowed) === 0;
}

/** True when `n` is a power of two (1, 2, 4, …), for numbers up to 2^53. */
export function isPowerOfTwo(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

/** `mask` is "alignment − 1": `mask + 1` must be a power of two. */
export const isAlignmentMask = (mask: number): boolean => isPowerOfTwo(mask + 1);

/** A page-rounded range `[trunc(addr), round(addr + size))`, or undefined when its end passes 2^W. */
export function pageRange(scope: Scope, addr: number, size: number): { start: number; end: number } | undefined {
  const end = round(scope, addr + size);
  if (end > 2 ** scope.addressBits) return undefined;
  return { start: trunc(scope, addr), end };
}

/** `addr + size` (unrounded) passes 2^W. */
export const wraps = (scope: Scope, addr: number, size: number): boolean => addr + size > 2 ** scope.addressBits;

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Bytes of an even-length hex string (either case), or undefined when it is not one. */
export function fromHex(data: string): Uint8Array | undefined {
  if (typeof data !== "string" || data.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(data)) return undefined;
  const out = new Uint8Array(data.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(data.substr(i * 2, 2), 16);
  return out;
}
