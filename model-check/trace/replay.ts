/**
 * Replaying an strace log: read it as a stream (parse.ts), import every call (importer.ts) and
 * run the commands either in lockstep (spec, implementation, refinement, invariants and
 * timestamps, as `vmcheck check` does) or on the implementation alone (`implOnly`, for speed).
 *
 * In lockstep, results, invariants and timestamps are checked after every command. Refinement
 * (the abstraction of both worlds, whose cost grows with the mapped pages: a log that maps
 * hundreds of MB at 4 KiB pages has 10^5 of them) is checked every `compareEvery` commands
 * (default 1: every command) and always after the last one; in between, each command's own
 * maps (those it names or creates) are compared, at a cost proportional to their pages. The
 * report says how many of each were checked.
 */
import { Kernel } from "../../impl/kernel.ts";
import type { Op, OpResult } from "../../spec/vocabulary.ts";
import { INVARIANTS } from "../invariants.ts";
import { CheckFailure, Coverage, Lockstep, realKernel, type KernelFactory } from "../lockstep.ts";
import { formatOp } from "../printer.ts";
import { TRACE_SCOPE, TraceImporter, type SyscallCounts } from "./importer.ts";
import { lineBatches, StraceReader } from "./parse.ts";

export interface TraceOptions {
  /** Run the implementation alone: no spec, no refinement, no invariants. */
  readonly implOnly?: boolean;
  /** Check refinement every N commands (and after the last); default 1. */
  readonly compareEvery?: number;
  /** The implementation (a test plants a bug here). */
  readonly kernel?: KernelFactory;
  /** Longest line kept (longer ones are cut and counted as garbage). */
  readonly maxLine?: number;
}

export interface TraceFailure {
  readonly check: string;
  /** Index of the failing command among those run. */
  readonly step: number;
  /** Line of the log whose call ran it. */
  readonly line: number;
  readonly message: string;
  /** The commands run so far, when all were kept (to write a counterexample file). */
  readonly commands?: readonly Op[];
}

export interface TraceReport {
  readonly ok: boolean;
  readonly mode: "lockstep" | "impl-only";
  readonly lines: number;
  /** Complete system calls (split ones joined). */
  readonly syscalls: number;
  /** Per system call name. */
  readonly calls: Record<string, SyscallCounts>;
  /** Lines that are not strace output, by reason, and the first few line numbers. */
  readonly garbage: { readonly total: number; readonly reasons: Record<string, number>; readonly firstLines: readonly number[] };
  /** Calls whose arguments the importer could not read, by name and reason. */
  readonly malformed: Record<string, number>;
  /** `<unfinished ...>` halves never resumed. */
  readonly unresumed: number;
  /** Processes that appeared without their clone/fork: each got a fresh map. */
  readonly orphanProcesses: number;
  /** The first calls Linux completed but the model refused (line, call, command, code). */
  readonly divergences: readonly { line: number; call: string; op: string; kr: string }[];
  /** Commands run, and their result codes by operation. */
  readonly commands: number;
  readonly resultsByOp: Record<string, Record<string, number>>;
  readonly durationMs: number;
  readonly syscallsPerSecond: number;
  readonly commandsPerSecond: number;
  /** What was checked: after how many commands each check ran. */
  readonly checks: {
    readonly results: number;
    readonly refinement: number;
    /** Commands after which only the maps they name were compared (with compareEvery > 1). */
    readonly namedMaps: number;
    readonly invariants: number;
    readonly invariantNames: readonly string[];
    readonly compareEvery: number;
  };
  readonly failure?: TraceFailure;
}

/**
 * How many newer maps a destroyed map stays in the kernel's ghost registry for, checked by the
 * map-reference invariants meanwhile. A log creates a map per process; keeping every dead one
 * would make memory grow with the log's length rather than with its live processes.
 */
export const DEAD_MAP_WINDOW = 256;

/** Forget the destroyed, empty maps registered before handle `below` (everyMap is in handle order). */
export function forgetDeadMaps(k: Kernel, below: number): void {
  for (const [h, m] of k.everyMap) {
    if (h >= below) return;
    if (m.refCount === 0 && m.nentries === 0) k.everyMap.delete(h);
  }
}

/** Commands kept for a counterexample file; beyond this the history is trimmed. */
const KEEP_COMMANDS = 100_000;

export async function replayTrace(chunks: AsyncIterable<Uint8Array | string>, options: TraceOptions = {}): Promise<TraceReport> {
  const started = performance.now();
  const scope = TRACE_SCOPE;
  const compareEvery = Math.max(1, options.compareEvery ?? 1);
  const coverage = new Coverage();
  const lockstep = options.implOnly ? undefined : new Lockstep({ scope, kernel: options.kernel ?? realKernel, coverage, historyLimit: KEEP_COMMANDS });
  let run: (op: Op) => OpResult;
  let kernel: Kernel;
  if (lockstep) {
    kernel = lockstep.impl!;
    run = (op) => lockstep.step(op, (lockstep.steps + 1) % compareEvery === 0 || "named").spec;
  } else {
    kernel = (options.kernel ?? ((s) => new Kernel(s)))(scope);
    let steps = 0;
    run = (op) => {
      let r: OpResult;
      try {
        r = kernel.run(op);
      } catch (e) {
        throw new CheckFailure("exception", steps, `${formatOp(op)} threw in the implementation: ${e instanceof Error ? e.message : String(e)}`);
      }
      steps++;
      coverage.recordOp(op, r);
      return r;
    };
  }
  const importer = new TraceImporter(scope, run);
  const reader = new StraceReader();
  const garbage = { total: 0, reasons: {} as Record<string, number>, firstLines: [] as number[] };
  const noteGarbage = (reason: string, line: number): void => {
    garbage.total++;
    garbage.reasons[reason] = (garbage.reasons[reason] ?? 0) + 1;
    if (garbage.firstLines.length < 10) garbage.firstLines.push(line);
  };
  let lines = 0, syscalls = 0;
  let failure: TraceFailure | undefined;
  try {
    for await (const batch of lineBatches(chunks, options.maxLine, () => noteGarbage("line too long (cut)", lines + 1))) {
      forgetDeadMaps(kernel, kernel.maps.length - DEAD_MAP_WINDOW);
      for (const text of batch) {
        lines++;
        const event = reader.read(text);
        if (event.kind === "garbage") noteGarbage(event.reason, lines);
        else if (event.kind === "syscall") syscalls++;
        importer.feed(event, lines);
      }
    }
    reader.finish();
    if (lockstep && lockstep.steps > 0 && lockstep.steps % compareEvery !== 0) lockstep.checkRefinement();
  } catch (e) {
    if (!(e instanceof CheckFailure)) throw e;
    const complete = lockstep && lockstep.history.length === lockstep.steps;
    failure = { check: e.check, step: e.step, line: lines, message: e.detail, ...(complete ? { commands: lockstep.history.map((h) => h.op) } : {}) };
  }
  const durationMs = performance.now() - started;
  const perSecond = (n: number) => (durationMs > 0 ? Math.round((n * 1000) / durationMs) : 0);
  const checked = coverage.invariants;
  return {
    ok: failure === undefined,
    mode: lockstep ? "lockstep" : "impl-only",
    lines,
    syscalls,
    calls: Object.fromEntries([...importer.counts].sort((a, b) => b[1].calls - a[1].calls)),
    garbage,
    malformed: Object.fromEntries(importer.malformed),
    unresumed: reader.unresumed,
    orphanProcesses: importer.orphanProcesses,
    divergences: importer.divergences,
    commands: coverage.commandsExecuted,
    resultsByOp: coverage.resultsByOp,
    durationMs: Math.round(durationMs),
    syscallsPerSecond: perSecond(syscalls),
    commandsPerSecond: perSecond(coverage.commandsExecuted),
    checks: {
      results: lockstep ? coverage.commandsExecuted : 0,
      refinement: checked["refinement"] ?? 0,
      namedMaps: lockstep?.namedMapChecks ?? 0,
      invariants: lockstep ? (checked[INVARIANTS[0]!.name] ?? 0) : 0,
      invariantNames: lockstep ? [...INVARIANTS.map((i) => i.name), "timestamp-monotone"] : [],
      compareEvery,
    },
    ...(failure ? { failure } : {}),
  };
}

/** The human report: calls, what was imported, ignored and failed, speed, what was checked. */
export function formatTraceReport(file: string, r: TraceReport): string[] {
  const out: string[] = [];
  out.push(`vmcheck trace ${file} — ${r.mode}, ${TRACE_SCOPE.addressBits}-bit addresses, ${TRACE_SCOPE.pageSize}-byte pages`);
  out.push(`  ${r.lines} lines, ${r.syscalls} system calls, ${r.commands} commands, ${(r.durationMs / 1000).toFixed(2)} s: ${r.syscallsPerSecond} calls/s, ${r.commandsPerSecond} commands/s`);
  out.push(`  ${"system call".padEnd(16)} ${"calls".padStart(7)} ${"failed".padStart(7)} ${"ignored".padStart(7)} ${"diverged".padStart(8)} ${"commands".padStart(8)}`);
  for (const [name, c] of Object.entries(r.calls))
    out.push(`  ${name.padEnd(16)} ${String(c.calls).padStart(7)} ${String(c.failed).padStart(7)} ${String(c.ignored).padStart(7)} ${String(c.diverged).padStart(8)} ${String(c.ops).padStart(8)}`);
  out.push("  (failed: Linux returned an error, nothing imported; ignored: no equivalent in the vocabulary;");
  out.push("   diverged: Linux succeeded but a command did not — memory the log never showed being mapped)");
  if (r.garbage.total)
    out.push(`  unreadable lines: ${r.garbage.total} (${Object.entries(r.garbage.reasons).map(([k, n]) => `${k}: ${n}`).join("; ")}), first at line ${r.garbage.firstLines.join(", ")}`);
  else out.push("  unreadable lines: none");
  const malformed = Object.entries(r.malformed);
  if (malformed.length) out.push(`  calls with unreadable arguments: ${malformed.map(([k, n]) => `${k} ${n}`).join("; ")}`);
  if (r.unresumed) out.push(`  unfinished calls never resumed: ${r.unresumed}`);
  if (r.orphanProcesses) out.push(`  processes first seen without their creation (given a fresh map): ${r.orphanProcesses}`);
  for (const d of r.divergences.slice(0, 5)) out.push(`  diverged at line ${d.line}: ${d.call} → ${d.op} ${d.kr}`);
  out.push("  commands by result:");
  for (const [op, byCode] of Object.entries(r.resultsByOp))
    out.push(`    ${op.padEnd(16)} ${Object.entries(byCode).map(([c, n]) => `${c.replace("KERN_", "")} ${n}`).join(", ")}`);
  const k = r.checks;
  if (r.mode === "impl-only") out.push("  checked: nothing but that the implementation never threw (--impl-only)");
  else
    out.push(
      `  checked: results after all ${k.results} commands; ${k.invariantNames.length} invariants and timestamps after ${k.invariants}; ` +
        `refinement (abstraction of both worlds) after ${k.refinement}` +
        (k.compareEvery > 1 ? ` (every ${k.compareEvery} commands and after the last); in between, the maps the command named after ${k.namedMaps}` : " (every command)"),
    );
  if (r.failure) out.push(`  result: FAIL — ${r.failure.check} failed at command ${r.failure.step} (log line ${r.failure.line}): ${r.failure.message}`);
  else out.push(`  result: PASS — ${r.mode === "lockstep" ? "the spec and the implementation agreed on every command and every check held" : "the implementation ran every command"}`);
  return out;
}
