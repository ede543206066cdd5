import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/index.ts";
import { DEFAULT_SCOPE, scopeProblem, type Scope } from "../../spec/scope.ts";
import type { Op } from "../../spec/vocabulary.ts";

const BASE: Scope = { addressBits: 16, pageSize: 256, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 4096 };

describe("scope validation", () => {
  it("accepts the 2000 kernel and a small scope", () => {
    expect(scopeProblem(DEFAULT_SCOPE)).toBeUndefined();
    expect(scopeProblem({ ...BASE, mapTreeOrder: 4, pageTableLeafBits: 2, cpus: 2, frames: 8, tlbEntries: 4, tlbWays: 2 })).toBeUndefined();
  });

  it.each<[Partial<Scope>, RegExp]>([
    [{ addressBits: 11 }, /addressBits/],
    [{ addressBits: 53 }, /addressBits/],
    [{ pageSize: 48 }, /pageSize/],
    [{ addressBits: 12, pageSize: 2048 }, /fewer than 4 pages/],
    [{ maxWireCount: 0 }, /maxWireCount/],
    [{ maxObjectPages: 1.5 }, /maxObjectPages/],
    [{ kernelBufferThreshold: -1 }, /kernelBufferThreshold/],
    [{ pageListMax: 0 }, /pageListMax/],
    [{ mapTreeOrder: 3 }, /mapTreeOrder/],
    [{ mapTreeOrder: 1025 }, /mapTreeOrder/],
    [{ mapTreeOrder: 4.5 }, /mapTreeOrder/],
    [{ pageTableLeafBits: 0 }, /pageTableLeafBits/],
    [{ cpus: 17 }, /cpus/],
    [{ frames: 0 }, /frames/],
    [{ tlbEntries: 6 }, /tlbEntries/],
    [{ tlbEntries: 4, tlbWays: 8 }, /tlbWays/],
  ])("refuses %o", (bad, message) => {
    expect(scopeProblem({ ...BASE, ...bad })).toMatch(message);
  });
});

describe("mapTreeOrder", () => {
  /** A map of `n` one-page entries that cannot coalesce (alternating protections). */
  function mapOf(scope: Scope, n: number): Kernel {
    const k = new Kernel(scope);
    const ops: Op[] = [{ op: "create", min: 0, max: 2 ** scope.addressBits }];
    for (let i = 0; i < n; i++)
      ops.push({ op: "enter", map: 0, addr: i * scope.pageSize, size: scope.pageSize, mask: 0, anywhere: false, alias: 0, cur: 1 + (i % 2), max: 7, inheritance: 1, source: { kind: "anonymous" } });
    for (const op of ops) expect(k.run(op).kr).toBe("KERN_SUCCESS");
    return k;
  }

  it("sets the order of every map's B+tree: 20 entries are two inner levels deep at order 4, one at the default", () => {
    const small = mapOf({ ...BASE, mapTreeOrder: 4 }, 20).maps[0]!.store;
    const wide = mapOf(BASE, 20).maps[0]!.store;
    expect(small.depth).toBe(2);
    expect(wide.depth).toBe(1);
    expect(small.validate()).toBeUndefined();
    expect(small.nentries).toBe(20);
  });
});
