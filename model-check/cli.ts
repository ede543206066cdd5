/**
 * The `vmcheck` command line.
 *
 *   vmcheck check  [--runs N] [--seed S|random] [--time SECONDS] [--max-commands N]
 *                  [--page-size B] [--address-bits W] [--max-wire-count N] [--page-list-max N] [--cpus N] [--frames N] [--tlb lru|random] [--pt-leaf-bits N] [--tree-order N] [--out DIR]
 *                  [--profile map|tree|cow|pagelist|submap|mmu|nesting|concurrency|all] [--swarm] [--shard I/N] [--json] [--junit FILE]
 *   vmcheck replay FILE [--json]
 *   vmcheck minimize FILE [--json]
 *   vmcheck explain FILE [--html OUT]
 *   vmcheck merge REPORT.json… [--json] [--junit FILE]
 *   vmcheck trace FILE [--json] [--impl-only] [--compare-every N] [--out DIR]
 *
 * Exit codes: 0 every check passed, 1 a counterexample was found (or a replayed one still
 * fails), 2 bad usage or bad input (including a malformed counterexample file).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { pageListMax, scopeProblem, type Scope } from "../spec/scope.ts";
import { VOCABULARY, OP_NAMES, type OpName } from "../spec/vocabulary.ts";
import { MODEL_CHECK_SCOPE, PROFILE_WEIGHTS, PROFILES, runCampaign, type CampaignProgress, type CampaignReport, type ProfileName } from "./campaign.ts";
import { CounterexampleFormatError, CURRENT_VERSION, encodeCounterexample, FORMAT, readCounterexample, type Counterexample } from "./counterexample.ts";
import { minimizeCommands } from "./minimize.ts";
import { INVARIANT_NAMES } from "./invariants.ts";
import { explain } from "./explain.ts";
import { explainHtml } from "./explain-html.ts";
import { runInWorkers } from "./workers.ts";
import { replayCommands, type KernelFactory } from "./lockstep.ts";
import { junitXml, mergeReports, parseJsonReport, shardRuns, shardSeed, toJsonReport, type JsonReport } from "./reports.ts";
import { formatOp, formatResult } from "./printer.ts";
import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";
import { TRACE_SCOPE } from "./trace/importer.ts";
import { formatTraceReport, replayTrace } from "./trace/replay.ts";
import { writeCounterexample } from "./counterexample.ts";
import { exhaustive } from "./concurrency/exhaustive.ts";
import { CONCURRENCY_CHECKS } from "./concurrency/session.ts";

export const DEFAULT_CHECK = { runs: 2000, maxCommands: 40, seed: 1 } as const;

const USAGE = `usage:
  vmcheck check  [--runs N] [--seed S|random] [--time SECONDS] [--max-commands N]
                 [--page-size B] [--address-bits W] [--max-wire-count N] [--page-list-max N] [--cpus N] [--frames N] [--tlb lru|random] [--pt-leaf-bits N] [--tree-order N] [--out DIR]
                 [--profile map|tree|cow|pagelist|submap|mmu|nesting|concurrency|all] [--swarm] [--shard I/N] [--workers N]
                 [--json] [--junit FILE]
  vmcheck check --exhaustive [--preemptions N] [--out DIR] [--json]
                 every schedule (at most N preemptions, default 2) of the concurrency scenarios
  vmcheck replay FILE [--json]
  vmcheck minimize FILE [--json]
  vmcheck explain FILE [--html OUT]
  vmcheck merge REPORT.json… [--json] [--junit FILE]
  vmcheck trace FILE [--json] [--impl-only] [--compare-every N] [--out DIR]

exit codes: 0 all checks passed, 1 counterexample found, 2 bad usage or bad input`;

class UsageError extends Error {}

interface Parsed {
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
}

const BOOLEAN_FLAGS = new Set(["json", "help", "swarm", "impl-only", "exhaustive"]);

function parseArgs(argv: readonly string[], allowed: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
    if (!allowed.includes(name)) throw new UsageError(`unknown option --${name}`);
    if (BOOLEAN_FLAGS.has(name)) flags.set(name, true);
    else {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
      flags.set(name, value);
    }
  }
  return { positional, flags };
}

function intFlag(p: Parsed, name: string, fallback: number, min = 0): number {
  const v = p.flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

function seedFlag(p: Parsed): number {
  const v = p.flags.get("seed");
  if (v === "random") return (Date.now() ^ (process.pid << 8)) >>> 0; // CLI only: the seed is printed, so the run replays
  const n = intFlag(p, "seed", DEFAULT_CHECK.seed);
  if (n > 0xffffffff) throw new UsageError("--seed must fit in 32 bits");
  return n;
}

/** Percentage with one decimal. */
const pct = (a: number, b: number) => (b === 0 ? "0.0" : ((100 * a) / b).toFixed(1));

/** What the campaign never reached: result codes the reference gives that never came back. */
export function unreachedResults(report: Pick<JsonReport, "resultsByOp">, ops: readonly OpName[] = OP_NAMES): string[] {
  const missing: string[] = [];
  for (const name of ops) {
    const seen = report.resultsByOp[name] ?? {};
    for (const code of VOCABULARY[name].codes) if (!seen[code]) missing.push(`${name} → ${code}`);
  }
  return missing;
}

/** The human summary: counts, operations with their result codes, warnings, the verdict. */
function printSummary(r: JsonReport, out: (s: string) => void, detail?: CampaignReport): void {
  const rate = r.durationMs > 0 ? Math.round((r.commandsExecuted * 1000) / r.durationMs) : 0;
  const scope = detail ? `, scope: ${detail.scope.addressBits}-bit addresses, ${detail.scope.pageSize}-byte pages, MAX_WIRE_COUNT ${detail.scope.maxWireCount}` : "";
  const shards = r.shard ? ` (shard ${r.shard})` : r.shards ? ` (merged from ${r.shards.length} shards)` : "";
  out(`vmcheck check — seed ${r.seed}${shards}${scope}`);
  out(`  runs ${r.runs}, commands ${r.commandsExecuted} executed, ${r.commandsSkipped} skipped (${pct(r.commandsSkipped, r.commandsExecuted + r.commandsSkipped)}%), ${(r.durationMs / 1000).toFixed(1)} s, ${rate} commands/s`);
  out("  operations:");
  const ops = detail?.ops ?? OP_NAMES;
  for (const name of ops) {
    const byCode = r.resultsByOp[name] ?? {};
    const codes = Object.entries(byCode).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c.replace("KERN_", "")} ${n}`).join(", ");
    out(`    ${name.padEnd(18)} ${String(r.coverage.ops[name] ?? 0).padStart(7)}  ${codes}`);
  }
  const invariantsChecked = Object.keys(r.coverage.invariants).length;
  const threadChecks = CONCURRENCY_CHECKS.filter((c) => r.coverage.invariants[c]);
  const concurrencyKinds = threadChecks.length ? `, concurrency: ${threadChecks.join(", ")}` : "";
  out(`  checks: ${invariantsChecked} kinds (results, refinement, ${INVARIANT_NAMES.length} invariants, timestamp-monotone, timestamp-bumped${concurrencyKinds}), ${r.coverage.invariants["refinement"] ?? 0} steps checked`);
  const c = r.concurrency;
  if (c) {
    out(`  concurrency: ${c.resumptions} thread steps (suspension points passed), ${c.windows} quiescent windows linearized (${c.ordersTried} orders tried${c.undecided ? `, ${c.undecided} undecided` : ""})`);
    out(`  shootdowns: ${c.acksAwaited} acknowledgements awaited as suspension points; ${c.lockFreeHits} lock-free TLB hits (${c.racingHits} racing an unacknowledged shootdown)`);
    const edges = c.lockOrder.edges.map((e) => `${e.from} -> ${e.to}`).join(", ");
    out(`  lock order: ${c.lockOrder.acquisitions} acquisitions, ${c.lockOrder.edges.length} class-order edges${edges ? ` (${edges})` : ""}, ${c.lockOrder.findings.length} findings`);
    // A run fails on what it shows alone; a cycle whose edges only different runs made is the
    // campaign graph's, with no run to replay: it is listed here, with the run of each edge.
    if (r.ok) for (const f of c.lockOrder.findings) out(`  warning: lock order, across runs: ${f.message}${f.scenario ? `\n    ${f.scenario.join("\n    ")}` : ""}`);
  }
  const missing = unreachedResults(r, ops);
  if (missing.length) out(`  warning: never reached: ${missing.join("; ")}`);
  const unchecked = INVARIANT_NAMES.filter((n) => !r.coverage.invariants[n]);
  if (unchecked.length) out(`  warning: invariants never checked: ${unchecked.join(", ")}`);
  if (r.ok) {
    out("  result: PASS — every command agreed with the spec and every invariant held");
    return;
  }
  const cx = r.counterexample!;
  const full = detail?.counterexample;
  out(`  result: FAIL — ${cx.check} failed after ${cx.length} commands${full ? ` (found with ${full.originalLength}, fast-check shrank to ${full.shrunkLength}, delta debugging to ${cx.length})` : ""}`);
  out(`  ${cx.message}`);
  if (full) {
    out("  commands:");
    full.commands.forEach((op, i) => out(`    ${String(i).padStart(3)}  ${formatOp(op)}`));
  }
  if (cx.file) out(`  counterexample written to ${cx.file}; replay it with: vmcheck replay ${cx.file}`);
}

/** Print the report as asked (`--json` or the summary) and write `--junit`. */
function emit(p: Parsed, report: JsonReport, out: (s: string) => void, detail?: CampaignReport): void {
  const junit = p.flags.get("junit");
  if (typeof junit === "string") writeFileSync(junit, junitXml(report));
  if (p.flags.has("json")) out(JSON.stringify(report));
  else printSummary(report, out, detail);
}

/** What the CLI runs against; tests substitute a broken implementation to see exit code 1. */
export interface CliDependencies {
  readonly kernel?: KernelFactory;
}

async function check(argv: readonly string[], out: (s: string) => void, deps: CliDependencies): Promise<number> {
  const p = parseArgs(argv, ["runs", "seed", "time", "max-commands", "page-size", "address-bits", "max-wire-count", "page-list-max", "cpus", "frames", "tlb", "pt-leaf-bits", "tree-order", "out", "json", "junit", "shard", "profile", "swarm", "workers", "exhaustive", "preemptions"]);
  if (p.positional.length) throw new UsageError(`unexpected argument ${p.positional[0]}`);
  if (!p.flags.has("exhaustive") && p.flags.has("preemptions")) throw new UsageError("--preemptions goes with --exhaustive");
  const scope: Scope = {
    ...MODEL_CHECK_SCOPE,
    pageSize: intFlag(p, "page-size", MODEL_CHECK_SCOPE.pageSize, 1),
    addressBits: intFlag(p, "address-bits", MODEL_CHECK_SCOPE.addressBits, 1),
    maxWireCount: intFlag(p, "max-wire-count", MODEL_CHECK_SCOPE.maxWireCount, 1),
    pageListMax: intFlag(p, "page-list-max", pageListMax(MODEL_CHECK_SCOPE), 1),
    cpus: intFlag(p, "cpus", MODEL_CHECK_SCOPE.cpus ?? 0, 0),
    frames: intFlag(p, "frames", MODEL_CHECK_SCOPE.frames ?? 1024, 1),
    pageTableLeafBits: intFlag(p, "pt-leaf-bits", MODEL_CHECK_SCOPE.pageTableLeafBits ?? 9, 1),
    mapTreeOrder: intFlag(p, "tree-order", MODEL_CHECK_SCOPE.mapTreeOrder ?? 8, 1),
    ...tlbFlag(p),
  };
  const bad = scopeProblem(scope);
  if (bad) throw new UsageError(bad);
  if (p.flags.has("exhaustive")) return exhaustiveCheck(p, scope, out, deps);
  const time = p.flags.get("time");
  const seed = seedFlag(p);
  let runs = intFlag(p, "runs", DEFAULT_CHECK.runs, 1);
  const shard = shardFlag(p);
  if (shard) runs = shardRuns(runs, shard.index, shard.count);
  const workers = intFlag(p, "workers", 1, 1);
  if (workers > 1 && (shard || deps.kernel)) throw new UsageError("--workers cannot be combined with --shard");
  const options = {
    seed: shard ? shardSeed(seed, shard.index) : seed,
    runs,
    maxCommands: intFlag(p, "max-commands", DEFAULT_CHECK.maxCommands, 1),
    ...(time !== undefined ? { timeSeconds: intFlag(p, "time", 0, 1) } : {}),
    scope,
    outDir: (p.flags.get("out") as string | undefined) ?? "counterexamples",
    foundBy: shard ? `vmcheck check --seed ${seed} --shard ${shard.index + 1}/${shard.count}` : "vmcheck check",
    ...profileFlag(p),
    ...(p.flags.has("swarm") ? { swarm: true } : {}),
  };
  if (workers > 1) {
    const started = performance.now();
    const reports = await runInWorkers(options, workers);
    const merged = { ...mergeReports(reports.map((r, i) => toJsonReport(r, `${i + 1}/${workers}`))), seed, durationMs: Math.round(performance.now() - started) };
    emit(p, merged, out, reports.find((r) => !r.ok) ?? reports[0]);
    return merged.ok ? 0 : 1;
  }
  const progress = !p.flags.has("json") && process.stderr.isTTY ? progressLine(options.ops ?? OP_NAMES) : undefined;
  const report = runCampaign({ ...options, ...(deps.kernel ? { kernel: deps.kernel } : {}), ...(progress ? { onProgress: progress } : {}) });
  if (progress) process.stderr.write("\r\x1b[K");
  emit(p, toJsonReport(report, shard ? `${shard.index + 1}/${shard.count}` : undefined), out, report);
  return report.ok ? 0 : 1;
}

/**
 * `check --exhaustive`: every schedule of every concurrency scenario within the preemption
 * bound; the report says how many ran, and a failure is written as a counterexample file.
 */
function exhaustiveCheck(p: Parsed, scope: Scope, out: (s: string) => void, deps: CliDependencies): number {
  for (const f of ["runs", "seed", "time", "max-commands", "shard", "profile", "swarm", "workers", "junit"])
    if (p.flags.has(f)) throw new UsageError(`--${f} does not apply to --exhaustive`);
  const preemptions = intFlag(p, "preemptions", 2, 0);
  const started = performance.now();
  const report = exhaustive({ scope, preemptions, ...(deps.kernel ? { kernel: deps.kernel } : {}) });
  const durationMs = Math.round(performance.now() - started);
  const failed = report.scenarios.find((r) => r.failure);
  let file: string | null = null;
  if (failed?.failure) {
    const f = failed.failure;
    file = writeCounterexample((p.flags.get("out") as string | undefined) ?? "counterexamples", {
      format: FORMAT, version: CURRENT_VERSION, scope, seed: 0, commands: f.commands,
      failure: { check: f.check, step: f.step, message: f.message }, foundBy: `vmcheck check --exhaustive --preemptions ${preemptions} (scenario ${failed.name})`,
    });
  }
  if (p.flags.has("json")) {
    out(JSON.stringify({ ok: report.ok, mode: "exhaustive", preemptions, schedules: report.schedules, durationMs, scenarios: report.scenarios, ...(file ? { file } : {}) }));
    return report.ok ? 0 : 1;
  }
  out(`vmcheck check --exhaustive — at most ${preemptions} preemptions, ${report.scenarios.length} scenarios, ${report.schedules} schedules in ${(durationMs / 1000).toFixed(1)} s`);
  const nameWidth = Math.max(...report.scenarios.map((r) => r.name.length));
  for (const r of report.scenarios)
    out(`  ${r.name.padEnd(nameWidth)} ${String(r.schedules).padStart(5)} schedules${r.failure ? `  FAIL ${r.failure.check} (${r.failure.commands.length} commands, ${r.failure.preemptions} preemptions)` : ""}`);
  if (!failed?.failure) {
    out("  result: PASS — every schedule agreed with the spec (linearizable) and every check held");
    return 0;
  }
  out(`  result: FAIL — ${failed.failure.check} in scenario ${failed.name}: ${failed.failure.message}`);
  out("  commands:");
  failed.failure.commands.forEach((c, i) => out(`    ${String(i).padStart(3)}  ${formatOp(c)}`));
  out(`  counterexample written to ${file}; replay it with: vmcheck replay ${file}`);
  return 1;
}

/**
 * A one-line progress display on a terminal (stderr), redrawn at most four times a second: runs,
 * commands per second, and coverage so far. Never shown when stderr is not a terminal.
 */
function progressLine(ops: readonly OpName[]): (p: CampaignProgress) => void {
  const codes = ops.reduce((n, op) => n + VOCABULARY[op].codes.length, 0);
  let last = 0;
  return (p) => {
    if (p.elapsedMs - last < 250 && p.runs !== p.totalRuns) return;
    last = p.elapsedMs;
    const reached = ops.reduce((n, op) => n + VOCABULARY[op].codes.filter((c) => p.coverage.resultsByOp[op]?.[c]).length, 0);
    const rate = p.elapsedMs > 0 ? Math.round((p.commandsExecuted * 1000) / p.elapsedMs) : 0;
    process.stderr.write(`\r\x1b[K  runs ${p.runs}/${p.totalRuns}  ${p.commandsExecuted} commands  ${rate}/s  operations ${ops.filter((o) => p.coverage.ops[o]).length}/${ops.length}  result codes ${reached}/${codes}`);
  };
}

/** `--tlb lru|random`: the TLBs' replacement policy. */
function tlbFlag(p: Parsed): { tlbReplacement?: "lru" | "random" } {
  const v = p.flags.get("tlb");
  if (v === undefined) return {};
  if (v !== "lru" && v !== "random") throw new UsageError("--tlb must be lru or random");
  return { tlbReplacement: v };
}

/** `--profile NAME`: the operations a campaign generates. */
function profileFlag(p: Parsed): { ops?: readonly OpName[]; weights?: Partial<Record<OpName, number>> } {
  const v = p.flags.get("profile");
  if (v === undefined) return {};
  if (typeof v !== "string" || !(v in PROFILES)) throw new UsageError(`--profile must be one of ${Object.keys(PROFILES).join(", ")}`);
  const weights = PROFILE_WEIGHTS[v as ProfileName];
  return { ops: PROFILES[v as ProfileName], ...(weights ? { weights } : {}) };
}

/** `--shard i/n` (1-based i): this machine's share of the campaign. */
function shardFlag(p: Parsed): { index: number; count: number } | undefined {
  const v = p.flags.get("shard");
  if (v === undefined) return undefined;
  const m = typeof v === "string" ? /^(\d+)\/(\d+)$/.exec(v) : null;
  const i = Number(m?.[1]), n = Number(m?.[2]);
  if (!m || n < 1 || i < 1 || i > n) throw new UsageError(`--shard must be i/n with 1 ≤ i ≤ n, got ${JSON.stringify(v)}`);
  return { index: i - 1, count: n };
}

/**
 * `vmcheck minimize FILE`: delta debugging over the commands, pairs, merges, arguments toward
 * round values and simpler equivalent commands (model-check/minimize.ts), every candidate
 * re-validated by replay. The original file is kept; the result is
 * written beside it as FILE.min.json. Minimizing a minimal file changes nothing.
 */
function minimizeCommand(argv: readonly string[], out: (s: string) => void, deps: CliDependencies): number {
  const p = parseArgs(argv, ["json"]);
  if (p.positional.length !== 1) throw new UsageError("minimize needs exactly one FILE");
  const file = p.positional[0]!;
  const cx = readCounterexample(file);
  const options = { scope: cx.scope, ...(deps.kernel ? { kernel: deps.kernel } : {}) };
  const now = replayCommands(cx.commands, options);
  if (now.ok) {
    out(p.flags.has("json") ? JSON.stringify({ file, ok: true }) : `${file}: the failure no longer reproduces; nothing to minimize`);
    return 0;
  }
  const final = minimizeCommands(cx.commands, options, now.check);
  const target = file.replace(/(\.min)?\.json$/, "") + ".min.json";
  const result: Counterexample = { ...cx, version: CURRENT_VERSION, commands: final.commands, failure: { check: final.outcome.check, step: final.outcome.step, message: final.outcome.message } };
  writeFileSync(target, encodeCounterexample(result));
  if (p.flags.has("json")) out(JSON.stringify({ file, minimized: target, from: cx.commands.length, length: final.commands.length, check: final.outcome.check }));
  else {
    out(`${file}: ${cx.commands.length} → ${final.commands.length} commands, still failing ${final.outcome.check}; written to ${target}`);
    final.commands.forEach((op, i) => out(`  ${String(i).padStart(3)}  ${formatOp(op)}`));
  }
  return 1;
}

/** `vmcheck explain FILE`: the step-by-step account of a counterexample. */
function explainCommand(argv: readonly string[], out: (s: string) => void, deps: CliDependencies): number {
  const p = parseArgs(argv, ["html"]);
  if (p.positional.length !== 1) throw new UsageError("explain needs exactly one FILE");
  const cx = readCounterexample(p.positional[0]!);
  const html = p.flags.get("html");
  if (typeof html === "string") {
    writeFileSync(html, explainHtml(cx, deps.kernel ? { kernel: deps.kernel } : {}));
    out(`wrote ${html}; open it in a browser (add #step=N to land on step N)`);
  }
  const { lines, failed } = explain(cx, deps.kernel ? { kernel: deps.kernel } : {});
  for (const l of lines) out(l);
  return failed ? 1 : 0;
}

/** `vmcheck merge FILE…`: join the `--json` reports of a sharded campaign. */
function merge(argv: readonly string[], out: (s: string) => void): number {
  const p = parseArgs(argv, ["json", "junit"]);
  if (p.positional.length === 0) throw new UsageError("merge needs the --json reports of the shards");
  const reports = p.positional.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new CounterexampleFormatError(`${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
    }
    return parseJsonReport(text, file);
  });
  const merged = mergeReports(reports);
  emit(p, merged, out);
  return merged.ok ? 0 : 1;
}

/**
 * `vmcheck trace FILE`: import an strace log and replay it (in lockstep unless --impl-only).
 * A check failure writes the commands run so far as a counterexample into --out.
 */
async function traceCommand(argv: readonly string[], out: (s: string) => void, deps: CliDependencies): Promise<number> {
  const p = parseArgs(argv, ["json", "impl-only", "compare-every", "out"]);
  if (p.positional.length !== 1) throw new UsageError("trace needs exactly one FILE");
  const file = p.positional[0]!;
  try {
    if (!statSync(file).isFile()) throw new Error("not a file");
  } catch (e) {
    throw new CounterexampleFormatError(`${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  const report = await replayTrace(createReadStream(file), {
    implOnly: p.flags.has("impl-only"),
    compareEvery: intFlag(p, "compare-every", 1, 1),
    ...(deps.kernel ? { kernel: deps.kernel } : {}),
  });
  let written: string | undefined;
  const f = report.failure;
  if (f?.commands) {
    written = writeCounterexample((p.flags.get("out") as string | undefined) ?? "counterexamples", {
      format: "vmcheck-counterexample", version: CURRENT_VERSION, scope: TRACE_SCOPE, seed: 0, commands: f.commands,
      failure: { check: f.check, step: f.step, message: f.message }, foundBy: `vmcheck trace ${basename(file)} (line ${f.line})`,
    });
  }
  if (p.flags.has("json")) {
    const { commands: _c, ...failure } = f ?? {};
    out(JSON.stringify({ file, ...report, ...(f ? { failure: { ...failure, ...(written ? { counterexample: written } : {}) } } : {}) }));
  } else {
    for (const line of formatTraceReport(file, report)) out(line);
    if (written) out(`  counterexample written to ${written}; minimize it with: vmcheck minimize ${written}`);
    else if (f) out(`  no counterexample file: the failure came after more commands than are kept; the log itself reproduces it`);
  }
  return report.ok ? 0 : 1;
}

function replay(argv: readonly string[], out: (s: string) => void, deps: CliDependencies): number {
  const p = parseArgs(argv, ["json"]);
  if (p.positional.length !== 1) throw new UsageError("replay needs exactly one FILE");
  const file = p.positional[0]!;
  const cx = readCounterexample(file);
  const outcome = replayCommands(cx.commands, { scope: cx.scope, ...(deps.kernel ? { kernel: deps.kernel } : {}) });
  if (p.flags.has("json")) {
    const { history: _h, ...rest } = outcome;
    out(JSON.stringify({ file, ...rest, recorded: cx.failure }));
  } else {
    out(`replay ${file}: ${cx.commands.length} commands, recorded failure: ${cx.failure.check} at step ${cx.failure.step}`);
    outcome.history.forEach((h, i) => {
      const agree = h.impl && JSON.stringify(h.impl) === JSON.stringify(h.spec);
      out(`  ${String(i).padStart(3)}  ${formatOp(h.op)}\n         spec: ${formatResult(h.spec)}${agree ? "" : `\n         impl: ${h.impl ? formatResult(h.impl) : "threw"}`}`);
    });
    out(outcome.ok ? "  result: PASS — the failure no longer reproduces" : `  result: FAIL — ${outcome.check} at step ${outcome.step}: ${outcome.message}`);
  }
  return outcome.ok ? 0 : 1;
}

export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => console.log(s),
  err: (s: string) => void = (s) => console.error(s),
  deps: CliDependencies = {},
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "check":
        return await check(rest, out, deps);
      case "replay":
        return replay(rest, out, deps);
      case "merge":
        return merge(rest, out);
      case "explain":
        return explainCommand(rest, out, deps);
      case "minimize":
        return minimizeCommand(rest, out, deps);
      case "trace":
        return await traceCommand(rest, out, deps);
      case undefined:
      case "help":
      case "--help":
        out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`vmcheck: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof CounterexampleFormatError) {
      err(`vmcheck: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

// Run when executed directly (npm start, tsx model-check/cli.ts).
/** Output piped into a reader that stopped early (`vmcheck … | head`): end quietly, as Unix tools do. */
export function quietOnClosedPipe(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"))) {
  quietOnClosedPipe();
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
