import { describe, expect, it } from "vitest";
import { abstractImpl, implMatches } from "../../model-check/abstraction.ts";
import { MODEL_CHECK_SCOPE, runCampaign } from "../../model-check/campaign.ts";
import { kernelSystem, Lockstep, realKernel, type KernelFactory } from "../../model-check/lockstep.ts";
import { diffAbstract, type AbstractWorld } from "../../spec/abstract.ts";
import { PLANTED_BUGS } from "../planted/bugs.ts";

type Path = (string | number)[];

/** Paths to every number and string of a view, and to every array (to drop its last element). */
function leaves(x: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (typeof x === "number" || typeof x === "string") out.push(path);
  else if (Array.isArray(x)) {
    out.push([...path, "pop"]);
    x.forEach((y, i) => leaves(y, [...path, i], out));
  } else if (x && typeof x === "object") for (const [k, y] of Object.entries(x)) leaves(y, [...path, k], out);
  return out;
}

/** `view` with the leaf at `path` changed (a number + 1, a string longer, an array shorter). */
function perturbed(view: AbstractWorld, path: Path): AbstractWorld {
  const copy = structuredClone(view) as unknown as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const at = path.slice(0, -1).reduce<Record<string | number, unknown>>((o, k) => o[k] as Record<string | number, unknown>, copy);
  if (last === "pop") (at as unknown as unknown[]).pop();
  else at[last] = typeof at[last] === "number" ? (at[last] as number) + 1 : `${at[last] as string}01`;
  return copy as unknown as AbstractWorld;
}

/**
 * The refinement check's fast path (implMatches: compare while walking, build nothing) must
 * give exactly the verdict of building the implementation's abstract world and diffing it. It
 * is checked after every command of campaigns against the real implementation and every
 * planted bug, and against views with one field changed (every kind of field, in turn), so that
 * both verdicts are exercised everywhere.
 */
describe("refinement fast path", () => {
  const plants: [string, KernelFactory][] = [["real", realKernel], ...Object.entries(PLANTED_BUGS).map(([n, b]): [string, KernelFactory] => [n, b.kernel])];
  it("agrees with diffAbstract after every command, and on views with any one field changed", () => {
    let equal = 0, different = 0, step = 0;
    const disagreements: string[] = [];
    const compare = (name: string, kernel: ReturnType<KernelFactory>, view: AbstractWorld, pageSize: number): boolean => {
      const fast = implMatches(kernel, view);
      const slow = diffAbstract(view, abstractImpl(kernel), pageSize);
      if (fast !== (slow === undefined)) disagreements.push(`${name}: fast ${fast}, diff ${slow ?? "none"}`);
      if (slow === undefined) equal++;
      else different++;
      return fast;
    };
    for (const [name, kernel] of plants) {
      runCampaign({
        seed: 7, runs: name === "real" ? 80 : 20, maxCommands: 30, outDir: null, minimize: false,
        system: (scope) => {
          const k = kernel(scope);
          return {
            ...kernelSystem(k),
            matches: (view) => {
              const paths = leaves(view);
              step++;
              for (let j = 0; j < 3; j++) compare(`${name} changed`, k, perturbed(view, paths[(step * 7 + j * 131) % paths.length]!), scope.pageSize);
              return compare(name, k, view, scope.pageSize);
            },
          };
        },
      });
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(equal).toBeGreaterThan(1000);
    expect(different).toBeGreaterThan(1000);
  });

  it("steps aside (the full diff decides) when the abstract state has a field it does not compare", () => {
    const ls = new Lockstep({ scope: MODEL_CHECK_SCOPE });
    ls.step({ op: "create", min: 0, max: 4 * MODEL_CHECK_SCOPE.pageSize });
    ls.step({ op: "enter", map: 0, addr: 0, size: MODEL_CHECK_SCOPE.pageSize, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } });
    const view = ls.view;
    expect(implMatches(ls.impl!, view)).toBe(true);
    expect(implMatches(ls.impl!, { ...view, tlb: [] } as AbstractWorld)).toBe(false);
    const page = { ...view.maps[0]!.pages[0]!, resident: true };
    expect(implMatches(ls.impl!, { ...view, maps: [{ ...view.maps[0]!, pages: [page] }] })).toBe(false);
  });
});
