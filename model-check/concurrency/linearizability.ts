/**
 * Linearizability (Herlihy & Wing), checked the way QuickCheck's parallel state machines and
 * Jepsen's Knossos do: the operations that completed since the system was last quiescent, each
 * with its spawn and completion time, must have an order that (a) respects real time — an
 * operation that completed before another was spawned comes first —, (b) when the spec runs
 * them alone in that order, gives every operation the result the implementation gave it, and
 * (c) leaves the spec in the state the implementation is in (the caller's `finalState` check).
 *
 * Depth-first over the orders, pruned at the first wrong result; the windows are small (a few
 * threads, a few operations each), and `budget` bounds the search anyway.
 */
import { isDeepStrictEqual } from "node:util";
import { cloneSpecWorld, SPEC, wouldBlock, type SpecWorld } from "../../spec/index.ts";
import { dispatch, type OpResult } from "../../spec/vocabulary.ts";
import type { Completion } from "../../impl/sched/scheduler.ts";
import { formatOp, formatResult } from "../printer.ts";

export type Linearization =
  | { readonly ok: true; readonly world: SpecWorld; readonly order: readonly Completion[]; readonly explored: number }
  | { readonly ok: false; readonly reason: string; readonly explored: number; readonly undecided: boolean };

export function linearize(
  base: SpecWorld,
  window: readonly Completion[],
  finalState: (world: SpecWorld) => string | undefined,
  budget = 20_000,
): Linearization {
  let explored = 0;
  let closest = { depth: -1, reason: "" };
  const note = (depth: number, reason: string): void => {
    if (depth > closest.depth) closest = { depth, reason };
  };
  const search = (world: SpecWorld, left: readonly Completion[], order: Completion[]): { world: SpecWorld; order: Completion[] } | null | "budget" => {
    if (left.length === 0) {
      const diff = finalState(world);
      if (diff === undefined) return { world, order };
      note(order.length, `in the order ${describeOrder(order)} every result matches, but the final state differs: ${diff}`);
      return null;
    }
    for (const c of left) {
      // Real time: c may go next only if nothing left completed before c was spawned.
      if (left.some((d) => d !== c && d.responded < c.invoked)) continue;
      if (++explored > budget) return "budget";
      const w = cloneSpecWorld(world);
      if (wouldBlock(w, c.op)) {
        note(order.length, `after ${describeOrder(order)}, ${formatOp(c.op)} would still be waiting`);
        continue;
      }
      const r = dispatch(SPEC, w, c.op);
      if (!sameResult(r, c.result)) {
        note(order.length, `after ${describeOrder(order)}, ${describe(c)} would return ${formatResult(r)}`);
        continue;
      }
      const found = search(w, left.filter((d) => d !== c), [...order, c]);
      if (found !== null) return found;
    }
    return null;
  };
  const found = search(base, window, []);
  if (found === "budget") return { ok: false, undecided: true, explored, reason: `more than ${budget} orders to try` };
  if (found === null) return { ok: false, undecided: false, explored, reason: `no order of ${window.map(describe).join("; ")} explains it: ${closest.reason}` };
  return { ok: true, world: found.world, order: found.order, explored };
}

export function describe(c: Completion): string {
  return `thread ${c.thread}: ${formatOp(c.op)} → ${formatResult(c.result)}`;
}

function describeOrder(order: readonly Completion[]): string {
  return order.length === 0 ? "nothing" : order.map((c) => `${c.op.op}@${c.thread}`).join(", ");
}

function sameResult(a: OpResult, b: OpResult): boolean {
  return isDeepStrictEqual(a, b);
}

