/**
 * The scope: every limit of the model is a parameter, with the value of the 2000 kernel as
 * default. Small scopes lower the limits so that a few commands reach them ("small scope
 * hypothesis"). The spec and the implementation read the same scope; counterexample files
 * record it.
 */
export interface Scope {
  /** Address width W: addresses and sizes are unsigned integers below 2^W (12..52). */
  readonly addressBits: number;
  /** Page size in bytes, a power of two (16..65536). */
  readonly pageSize: number;
  /** MAX_WIRE_COUNT: bound of both wire counters (vm_map.h:213-221). */
  readonly maxWireCount: number;
  /** Largest shared memory object `object_create` accepts, in pages. */
  readonly maxObjectPages: number;
  /**
   * `msg_ool_size_small`: a copyin shorter than this many bytes (and not asking for max
   * protection) is a kernel-buffer copy of the bytes; longer ones are entry lists.
   */
  readonly kernelBufferThreshold: number;
  /**
   * `VM_MAP_COPY_PAGE_LIST_MAX`: pages one page-list copy holds (1..1024); a longer copyin
   * leaves the rest to a continuation. Absent = 20, the 2000 value.
   */
  readonly pageListMax?: number;
  /**
   * Simulated CPUs that `switch`, `load` and `store` name (0..16). Absent means 0: no CPU, so
   * the MMU operations only ever fail (counterexample files written before the MMU).
   */
  readonly cpus?: number;
  /** Physical frames of the simulated MMU (1..2^20); a small count makes pageout run. */
  readonly frames?: number;
  /** Entries of each CPU's TLB (a power of two, 1..4096). */
  readonly tlbEntries?: number;
  /** Ways of each TLB set (a power of two dividing `tlbEntries`). */
  readonly tlbWays?: number;
  /**
   * TLB replacement: LRU (default), or random from a generator seeded per CPU — the hardware
   * may drop any entry at any time, and random eviction explores that freedom deterministically.
   */
  readonly tlbReplacement?: "lru" | "random";
  /**
   * log2 of the pages one page-table leaf maps (1..16; absent = 9, 512 PTEs a leaf). A leaf is
   * the unit of pmap nesting: a submap window is nested only when it covers whole leaves, so
   * model checks use small leaves to make nestable windows a few pages long.
   */
  readonly pageTableLeafBits?: number;
  /**
   * Slots per node of the B+tree that indexes a map's entries, leaves and inner nodes alike
   * (4..1024; absent = 8 a leaf, 32 an inner node). The spec has no index and ignores it; the
   * smallest order makes a tree three levels deep from a dozen or two entries, so a short
   * campaign splits, merges and rebalances inner nodes.
   */
  readonly mapTreeOrder?: number;
}

/** The page-list length of a scope (20 unless the scope says otherwise). */
export const pageListMax = (scope: Scope): number => scope.pageListMax ?? 20;

/** The MMU geometry of a scope, with the defaults for absent fields. */
export interface MmuGeometry {
  readonly cpus: number;
  readonly frames: number;
  readonly tlbEntries: number;
  readonly tlbWays: number;
  readonly tlbReplacement: "lru" | "random";
  readonly pageTableLeafBits: number;
}
export const mmuGeometry = (scope: Scope): MmuGeometry => ({
  cpus: scope.cpus ?? 0,
  frames: scope.frames ?? 1024,
  tlbEntries: scope.tlbEntries ?? 64,
  tlbWays: scope.tlbWays ?? 4,
  tlbReplacement: scope.tlbReplacement ?? "lru",
  pageTableLeafBits: scope.pageTableLeafBits ?? 9,
});

/** The 2000 kernel: 32-bit addresses, 4 KiB pages, 16-bit wire counters. */
export const DEFAULT_SCOPE: Scope = {
  addressBits: 32,
  pageSize: 4096,
  maxWireCount: 65535,
  maxObjectPages: 1024,
  kernelBufferThreshold: 4096,
  cpus: 1,
  frames: 1024,
  tlbEntries: 64,
  tlbWays: 4,
};

/** Returns a reason why the scope is unusable, or undefined when it is valid. */
export function scopeProblem(scope: Scope): string | undefined {
  const { addressBits, pageSize, maxWireCount, maxObjectPages, kernelBufferThreshold } = scope;
  const listMax = pageListMax(scope);
  if (!Number.isInteger(addressBits) || addressBits < 12 || addressBits > 52)
    return `addressBits must be an integer in 12..52, got ${addressBits}`;
  if (!Number.isInteger(pageSize) || pageSize < 16 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    return `pageSize must be a power of two in 16..65536, got ${pageSize}`;
  if (2 ** addressBits < pageSize * 4) return `addressBits ${addressBits} leaves fewer than 4 pages`;
  if (!Number.isInteger(maxWireCount) || maxWireCount < 1 || maxWireCount > 65535)
    return `maxWireCount must be an integer in 1..65535, got ${maxWireCount}`;
  if (!Number.isInteger(maxObjectPages) || maxObjectPages < 1 || maxObjectPages > 1 << 20)
    return `maxObjectPages must be an integer in 1..2^20, got ${maxObjectPages}`;
  if (!Number.isInteger(kernelBufferThreshold) || kernelBufferThreshold < 0 || kernelBufferThreshold > 1 << 20)
    return `kernelBufferThreshold must be an integer in 0..2^20, got ${kernelBufferThreshold}`;
  if (!Number.isInteger(listMax) || listMax < 1 || listMax > 1024)
    return `pageListMax must be an integer in 1..1024, got ${listMax}`;
  const order = scope.mapTreeOrder;
  if (order !== undefined && (!Number.isInteger(order) || order < 4 || order > 1024))
    return `mapTreeOrder must be an integer in 4..1024, got ${order}`;
  return mmuProblem(mmuGeometry(scope));
}

const isPowerOfTwo = (x: number): boolean => Number.isInteger(x) && x >= 1 && (x & (x - 1)) === 0;

function mmuProblem({ cpus, frames, tlbEntries, tlbWays, tlbReplacement, pageTableLeafBits }: MmuGeometry): string | undefined {
  if (!Number.isInteger(pageTableLeafBits) || pageTableLeafBits < 1 || pageTableLeafBits > 16)
    return `pageTableLeafBits must be an integer in 1..16, got ${pageTableLeafBits}`;
  if (tlbReplacement !== "lru" && tlbReplacement !== "random") return `tlbReplacement must be "lru" or "random", got ${String(tlbReplacement)}`;
  if (!Number.isInteger(cpus) || cpus < 0 || cpus > 16) return `cpus must be an integer in 0..16, got ${cpus}`;
  if (!Number.isInteger(frames) || frames < 1 || frames > 1 << 20) return `frames must be an integer in 1..2^20, got ${frames}`;
  if (!isPowerOfTwo(tlbEntries) || tlbEntries > 4096) return `tlbEntries must be a power of two in 1..4096, got ${tlbEntries}`;
  if (!isPowerOfTwo(tlbWays) || tlbWays > tlbEntries) return `tlbWays must be a power of two dividing tlbEntries, got ${tlbWays}`;
  return undefined;
}

/** 2^W: one past the highest address. */
export const addressLimit = (scope: Scope): number => 2 ** scope.addressBits;

/** True for a number that is a valid address or size: an integer in [0, 2^W). */
export const isAddress = (scope: Scope, x: number): boolean =>
  Number.isInteger(x) && x >= 0 && x < 2 ** scope.addressBits;

export const truncPage = (scope: Scope, x: number): number => x - (x % scope.pageSize);
export const roundPage = (scope: Scope, x: number): number =>
  x % scope.pageSize === 0 ? x : x - (x % scope.pageSize) + scope.pageSize;
export const isPageAligned = (scope: Scope, x: number): boolean => x % scope.pageSize === 0;
