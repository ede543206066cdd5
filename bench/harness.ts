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

/** Runs per campaign; each trial runs one campaign on one worker, then the same on two. */
const RUNS = 10000;
/** Trials, alternating one worker and two, so a slow spell of the machine hits both alike; the median ratio is reported. */
const TRIALS = 3;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function harnessBenchmark(seed: number): Promise<void> {
  console.log("vmcheck harness throughput — default profile, every check on (results, refinement, all invariants)");
  const rates1: number[] = [], rates2: number[] = [], inner2s: number[] = [];
  const ratios: number[] = [], innerRatios: number[] = [];
  let commands1 = 0, commands2 = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const one = runCampaign({ seed, runs: RUNS, maxCommands: 40, outDir: null });
    const rate1 = (one.commandsExecuted * 1000) / one.durationMs;
    const started = performance.now();
    const shards = await runInWorkers({ seed, runs: RUNS, maxCommands: 40, outDir: null }, 2);
    const ms2 = performance.now() - started;
    const cmds2 = shards.reduce((a, r) => a + r.commandsExecuted, 0);
    const rate2 = (cmds2 * 1000) / ms2;
    // Without start-up: the slower shard's own campaign time.
    const inner2 = (cmds2 * 1000) / Math.max(...shards.map((r) => r.durationMs));
    rates1.push(rate1), rates2.push(rate2), inner2s.push(inner2);
    ratios.push(rate2 / rate1), innerRatios.push(inner2 / rate1);
    commands1 = one.commandsExecuted, commands2 = cmds2;
  }
  const fmt = (x: number) => Math.round(x).toLocaleString("en");
  const list = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(", ");
  console.log(`  ${TRIALS} trials, each ${RUNS.toLocaleString("en")} runs on one worker (in process, as \`vmcheck check\`) then on two (\`--workers 2\`); medians:`);
  console.log(`  1 worker:  ${fmt(median(rates1))} commands/s (${commands1.toLocaleString("en")} commands per trial)`);
  console.log(`  2 workers: ${fmt(median(rates2))} commands/s (${commands2.toLocaleString("en")} commands, worker start-up included; ${fmt(median(inner2s))} without it)`);
  const speedup = median(ratios);
  console.log(
    `  speedup ${speedup.toFixed(2)}x with start-up (trials: ${list(ratios)}), ${median(innerRatios).toFixed(2)}x without (${list(innerRatios)}); ` +
      `${speedup >= 1.7 ? "PASS" : "MISS"} (target >= 1.7x on 2 cores; needs both cores free)`,
  );

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
      for (const inv of INVARIANTS) inv.check(ls.impl!, () => ls.view);
      part.invariants += performance.now() - t;
      steps++;
    }
  }
  const total = part.spec + part.impl + part.abstraction + part.invariants;
  const share = (x: number) => `${((100 * x) / total).toFixed(0)}%`;
  console.log(`  split of a step (${steps} generated commands, ${((1000 * total) / steps).toFixed(1)} µs each): spec ${share(part.spec)}, impl ${share(part.impl)}, abstraction ${share(part.abstraction)}, invariants ${share(part.invariants)}`);
}
