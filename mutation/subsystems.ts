/**
 * The subsystems of impl/ that mutation testing scores separately, each small enough for one
 * run to finish well under an hour on two cores. The MMU (pmap, tlb, fault) and the locks are
 * listed so the table has their rows from the start; they have no files until those parts exist.
 *
 * The structural checkers that live beside the code they check (impl/map/map-check.ts,
 * impl/object/object-check.ts) are left out: they are the oracle, not the implementation. A
 * campaign on a correct kernel never reaches their failure branches, so their mutants could only
 * "survive"; what shows they can fail is the corruption test of every invariant
 * (test/model-check/invariants.test.ts).
 */
export interface Subsystem {
  /** Globs of the files whose mutants belong to this subsystem. */
  readonly files: readonly string[];
  readonly note: string;
}

export const SUBSYSTEMS = {
  map: { files: ["impl/map/**/*.ts", "!impl/map/map-check.ts", "impl/kernel.ts", "impl/args.ts"], note: "entries, B+tree, clip/coalesce/simplify, wiring, byte access, fork/remap/named entries, dispatch" },
  object: { files: ["impl/object/**/*.ts", "!impl/object/object-check.ts"], note: "VM objects, shadow chains, copy strategies, collapse" },
  copy: { files: ["impl/copy/**/*.ts", "impl/kernel-transfers.ts"], note: "map copies: copyin, copyout, overwrite" },
  pmap: { files: [], note: "not built yet (issue 4)" },
  tlb: { files: [], note: "not built yet (issue 4)" },
  fault: { files: [], note: "not built yet (issue 4)" },
  locks: { files: [], note: "not built yet (issue 5)" },
} as const satisfies Record<string, Subsystem>;

export type SubsystemName = keyof typeof SUBSYSTEMS;
