/**
 * Harness throughput: commands per second of the default campaign with every check on, on one
 * worker and on two worker threads (`vmcheck check --workers 2`), measured in one run. Also the
 * split of a lockstep step's time between spec, implementation, abstraction and invariants.
 */
import { performance } from "node:perf_hooks";
import { implMatches } from "../model-check/abstraction.ts";
import { MODEL_CHECK_SCOPE, runCampaign } from "../model-check/campaign.ts";
import { INVARIANTS } from "../model-check/invariants.ts";
import { Lockstep } from "../model-check/lockstep.ts";
import { runInWorkers } from "../model-check/workers.ts";
import { makeGenerators, type Generator } from "../model-check/generators.ts";
import { abstractSpec, dispatch, SPEC, type OpName } from "../spec/index.ts";
import fc from "fast-check";

const RUNS = 20000;

export async function harnessBenchmark(seed: number): Promise<void> {
  console.log("vmcheck harness throughput — default profile, every check on (results, refinement, all invariants)");
  const one = runCampaign({ seed, runs: RUNS, maxCommands: 40, outDir: null });
  const rate1 = (one.commandsExecuted * 1000) / one.durationMs;
  const started = performance.now();
  const shards = await runInWorkers({ seed, runs: RUNS, maxCommands: 40, outDir: null }, 2);
  const ms2 = performance.now() - started;
  const cmds2 = shards.reduce((a, r) => a + r.commandsExecuted, 0);
  const rate2 = (cmds2 * 1000) / ms2;
  // Without start-up: the slower shard's own campaign time.
  const inner2 = (cmds2 * 1000) / Math.max(...shards.map((r) => r.durationMs));
  console.log(`  1 worker:  ${Math.round(rate1).toLocaleString("en")} commands/s (${one.commandsExecuted.toLocaleString("en")} commands, ${RUNS} runs)`);
  console.log(`  2 workers: ${Math.round(rate2).toLocaleString("en")} commands/s (${cmds2.toLocaleString("en")} commands, worker start-up included; ${Math.round(inner2).toLocaleString("en")} without it)`);
  console.log(`  speedup ${(rate2 / rate1).toFixed(2)}x with start-up, ${(inner2 / rate1).toFixed(2)}x without (target >= 1.7x on 2 cores; needs both cores free)`);

  // Where a step's time goes: drive spec and implementation with generated commands (resolved
  // against the state, as a campaign does), timing each part of the step separately.
  const scope = MODEL_CHECK_SCOPE;
  const gens = makeGenerators(scope);
  const names = Object.keys(gens) as OpName[];
  const part = { spec: 0, impl: 0, abstraction: 0, invariants: 0 };
  let steps = 0;
  for (let run = 0; run < 200; run++) {
    const ls = new Lockstep({ scope });
    ls.step({ op: "create", min: 0, max: 40 * scope.pageSize });
    const syms = fc.sample(fc.tuple(fc.constantFrom(...names), fc.nat()), { seed: seed + run, numRuns: 30 });
    for (const [name, pick] of syms) {
      const g = gens[name] as Generator<OpName, unknown>;
      const sym = fc.sample(g.arb, { seed: pick, numRuns: 1 })[0];
      const op = g.resolve(sym, { view: ls.view, scope, recent: ls.recentRanges() });
      if (ls.blocks(op)) continue;
      let t = performance.now();
      dispatch(SPEC, ls.spec, op);
      part.spec += performance.now() - t;
      t = performance.now();
      ls.impl!.run(op);
      part.impl += performance.now() - t;
      t = performance.now();
      ls.view = abstractSpec(ls.spec);
      implMatches(ls.impl!, ls.view);
      part.abstraction += performance.now() - t;
      t = performance.now();
      for (const inv of INVARIANTS) inv.check(ls.impl!);
      part.invariants += performance.now() - t;
      steps++;
    }
  }
  const total = part.spec + part.impl + part.abstraction + part.invariants;
  const share = (x: number) => `${((100 * x) / total).toFixed(0)}%`;
  console.log(`  split of a step (${steps} generated commands, ${((1000 * total) / steps).toFixed(1)} µs each): spec ${share(part.spec)}, impl ${share(part.impl)}, abstraction ${share(part.abstraction)}, invariants ${share(part.invariants)}`);
}
