/**
 * Reports for CI: the stable `--json` object, JUnit XML (`--junit FILE`), and the merge of
 * shard reports (`vmcheck merge`). A campaign split over CI machines with `--shard i/n` gives
 * each machine a share of the runs and its own seed; merging their JSON reports gives the
 * totals of the whole campaign.
 */
import { Schema } from "effect";
import { INVARIANT_NAMES } from "./invariants.ts";
import { CONCURRENCY_CHECKS, type ConcurrencyStats } from "./concurrency/session.ts";
import { LockValidator, type LockdepSummary } from "../impl/locks/lockdep.ts";
import type { CampaignReport } from "./campaign.ts";
import { CounterexampleFormatError } from "./counterexample.ts";

/** The `--json` object. The fields it shares with the campaign report are the stable ones CI users parse. */
export interface JsonReport extends Pick<CampaignReport, "ok" | "seed" | "runs" | "commandsExecuted" | "commandsSkipped" | "durationMs" | "coverage" | "concurrency"> {
  readonly counterexample?: { readonly file: string | null; readonly length: number; readonly check: string; readonly message: string };
  /** Result codes per operation. */
  readonly resultsByOp: Record<string, Record<string, number>>;
  /** `"i/n"` for a shard of a campaign; the list of shards for a merged report. */
  readonly shard?: string;
  readonly shards?: readonly string[];
}

const Counts = Schema.Record(Schema.String, Schema.Number);
export const JsonReportSchema = Schema.Struct({
  ok: Schema.Boolean,
  seed: Schema.Number,
  runs: Schema.Number,
  commandsExecuted: Schema.Number,
  commandsSkipped: Schema.Number,
  durationMs: Schema.Number,
  coverage: Schema.Struct({ ops: Counts, results: Counts, invariants: Counts }),
  counterexample: Schema.optional(
    Schema.Struct({ file: Schema.NullOr(Schema.String), length: Schema.Number, check: Schema.String, message: Schema.String }),
  ),
  resultsByOp: Schema.Record(Schema.String, Counts),
  shard: Schema.optional(Schema.String),
  shards: Schema.optional(Schema.Array(Schema.String)),
  concurrency: Schema.optional(
    Schema.Struct({
      resumptions: Schema.Number, windows: Schema.Number, ordersTried: Schema.Number, undecided: Schema.Number,
      acksAwaited: Schema.Number, lockFreeHits: Schema.Number, racingHits: Schema.Number,
      lockOrder: Schema.Struct({ acquisitions: Schema.Number, edges: Schema.Array(Schema.Unknown), findings: Schema.Array(Schema.Unknown) }),
    }),
  ),
});

export function toJsonReport(r: CampaignReport, shard?: string): JsonReport {
  const cx = r.counterexample;
  return {
    ok: r.ok,
    seed: r.seed,
    runs: r.runs,
    commandsExecuted: r.commandsExecuted,
    commandsSkipped: r.commandsSkipped,
    durationMs: r.durationMs,
    coverage: r.coverage,
    ...(cx ? { counterexample: { file: cx.file, length: cx.length, check: cx.check, message: cx.message } } : {}),
    resultsByOp: r.resultsByOp,
    ...(r.concurrency ? { concurrency: r.concurrency } : {}),
    ...(shard ? { shard } : {}),
  };
}

export function parseJsonReport(text: string, source: string): JsonReport {
  try {
    return Schema.decodeUnknownSync(JsonReportSchema)(JSON.parse(text)) as JsonReport;
  } catch (e) {
    throw new CounterexampleFormatError(`${source}: not a vmcheck --json report (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The seed of shard `index` of a campaign started from `seed` (a fixed mix, so shards differ). */
export function shardSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/** Runs of shard `index` (0-based) of `n` when the campaign has `runs` runs. */
export const shardRuns = (runs: number, index: number, n: number): number => Math.floor(runs / n) + (index < runs % n ? 1 : 0);

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Join shard reports into the report of the whole campaign. */
export function mergeReports(reports: readonly JsonReport[]): JsonReport {
  const coverage = { ops: {}, results: {}, invariants: {} };
  const resultsByOp: Record<string, Record<string, number>> = {};
  for (const r of reports) {
    addCounts(coverage.ops, r.coverage.ops);
    addCounts(coverage.results, r.coverage.results);
    addCounts(coverage.invariants, r.coverage.invariants);
    for (const [op, codes] of Object.entries(r.resultsByOp)) addCounts((resultsByOp[op] ??= {}), codes);
  }
  const failed = reports.find((r) => !r.ok);
  return {
    ok: failed === undefined,
    seed: reports[0]?.seed ?? 0,
    runs: reports.reduce((a, r) => a + r.runs, 0),
    commandsExecuted: reports.reduce((a, r) => a + r.commandsExecuted, 0),
    commandsSkipped: reports.reduce((a, r) => a + r.commandsSkipped, 0),
    // Shards run side by side: the campaign took as long as the slowest.
    durationMs: reports.reduce((a, r) => Math.max(a, r.durationMs), 0),
    coverage,
    ...(failed?.counterexample ? { counterexample: failed.counterexample } : {}),
    resultsByOp,
    ...mergeConcurrency(reports),
    shards: reports.map((r) => r.shard ?? "whole"),
  };
}

/**
 * Interleaving counts add up; the lock-order graphs are folded into one (LockValidator.absorb),
 * so a cycle whose two edges were seen by two different workers or shards is found here.
 */
function mergeConcurrency(reports: readonly JsonReport[]): Pick<JsonReport, "concurrency"> {
  const parts = reports.flatMap((r) => (r.concurrency ? [r.concurrency] : []));
  if (parts.length === 0) return {};
  const sum = (k: keyof ConcurrencyStats) => parts.reduce((a, c) => a + c[k], 0);
  const graph = new LockValidator();
  for (const c of parts) graph.absorb({ runs: 0, classes: [], ...c.lockOrder } as LockdepSummary);
  const { acquisitions, edges, findings } = graph.summary();
  return {
    concurrency: {
      resumptions: sum("resumptions"), windows: sum("windows"), ordersTried: sum("ordersTried"), undecided: sum("undecided"),
      acksAwaited: sum("acksAwaited"), lockFreeHits: sum("lockFreeHits"), racingHits: sum("racingHits"),
      lockOrder: { acquisitions, edges, findings },
    },
  };
}

const xml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);

/**
 * JUnit XML: one test case per check (results, refinement, every invariant, timestamp order),
 * so a CI system shows which check a counterexample broke, with the counterexample attached.
 */
export function junitXml(r: JsonReport): string {
  const checks = ["results", "refinement", ...INVARIANT_NAMES, "timestamp-monotone", "timestamp-bumped", "exception", ...CONCURRENCY_CHECKS];
  const cx = r.counterexample;
  const seconds = (r.durationMs / 1000).toFixed(3);
  const cases = checks.map((name) => {
    const times = r.coverage.invariants[name] ?? (name === "results" || name === "exception" ? r.commandsExecuted : 0);
    const head = `    <testcase classname="vmcheck.check" name="${xml(name)}" time="0">`;
    if (cx && cx.check === name)
      return `${head}\n      <failure message="${xml(cx.message)}" type="${xml(cx.check)}">counterexample: ${xml(cx.file ?? "(not written)")} (${cx.length} commands)\n${xml(cx.message)}</failure>\n    </testcase>`;
    return `${head}<system-out>checked ${times} times</system-out></testcase>`;
  });
  const failures = cx ? 1 : 0;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="vmcheck" tests="${checks.length}" failures="${failures}" time="${seconds}">`,
    `  <testsuite name="vmcheck check seed ${r.seed}${r.shard ? ` shard ${r.shard}` : ""}" tests="${checks.length}" failures="${failures}" errors="0" time="${seconds}">`,
    `    <properties><property name="runs" value="${r.runs}"/><property name="commandsExecuted" value="${r.commandsExecuted}"/><property name="commandsSkipped" value="${r.commandsSkipped}"/></properties>`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}
