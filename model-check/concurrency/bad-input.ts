/**
 * Bad input on threads: every operation a thread can run (SPAWNABLE), spawned with each of its
 * numeric arguments replaced by a value outside its domain, must complete with the code the
 * spec gives it, throw nothing and change nothing, as the sequential bad-input property asks
 * of every command (issue 2). The suspendable bodies look at their arguments before the commit
 * does (to choose a lock, a range to wait on, a TLB hit), so each such look is an early exit
 * that must agree with the commit's own checks. Every run is a whole lockstep run: results
 * linearized against the spec, refinement and every invariant at the end.
 */
import { MODEL_CHECK_SCOPE } from "../campaign.ts";
import { CheckFailure, Lockstep } from "../lockstep.ts";
import { formatOp } from "../printer.ts";
import { MAX_STEP_COUNT, MAX_THREADS, SPAWNABLE } from "../../spec/ops/threads.ts";
import { VM_MAP_COPYIN_OPT_SRC_DESTROY, VM_MAP_REMOVE_KUNWIRE, VM_MAP_REMOVE_WAIT_FOR_KWIRE, VM_PROT_READ } from "../../spec/constants.ts";
import type { Op } from "../../spec/vocabulary.ts";

const scope = MODEL_CHECK_SCOPE;
const P = scope.pageSize;
const BASE = 0x1000;
const TOP = 2 ** scope.addressBits;
/** Outside every numeric domain: not integers, negative, unaligned, past the address space. */
export const BAD_NUMBERS: readonly number[] = [Number.NaN, -1, -P, 0.5, P + 0.25, TOP, TOP + P, Number.POSITIVE_INFINITY];

/**
 * Map 0 at [BASE, BASE + 32 pages): four pages written, the fourth kernel-wired, a second
 * reference (not resident); CPU 1 running it; map 1; copy 0 (an entry list), copy 1 (a page list with a
 * continuation).
 */
export const THREAD_SETUP: readonly Op[] = [
  { op: "create", min: BASE, max: BASE + 32 * P },
  { op: "create", min: 0, max: 8 * P },
  { op: "enter", map: 0, addr: BASE, size: 4 * P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
  { op: "write_user", map: 0, addr: BASE, data: "0102030405060708" },
  { op: "wire", map: 0, addr: BASE + 3 * P, size: P, access: 1, user: false },
  { op: "reference", map: 0 },
  { op: "swapout", map: 0 }, // two references, one of them resident: swapin and swapout both succeed
  { op: "switch", cpu: 1, map: 0 },
  { op: "load", cpu: 1, addr: BASE, size: 4 },
  { op: "copyin", map: 0, addr: BASE, size: P, srcDestroy: false, useMaxprot: false },
  { op: "copyin_page_list", map: 0, addr: BASE, size: 4 * P, options: VM_PROT_READ },
];

/** At least one body per operation a thread can run, each succeeding on {@link THREAD_SETUP}'s world. */
export const VALID_BODIES: readonly Op[] = [
  { op: "enter", map: 0, addr: BASE + 20 * P, size: P, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
  { op: "remove", map: 0, addr: BASE, size: P, flags: 0 },
  // Just below the kernel-wired page: WAIT_FOR_KWIRE looks at the range's entries only.
  { op: "remove", map: 0, addr: BASE + 2 * P, size: P, flags: VM_MAP_REMOVE_WAIT_FOR_KWIRE },
  // Nothing asked for, at an unaligned address on the kernel-wired page: nothing to wait for.
  { op: "remove", map: 0, addr: BASE + 3 * P + 1, size: 0, flags: VM_MAP_REMOVE_WAIT_FOR_KWIRE },
  // On the kernel-wired page with KUNWIRE: the remove drops that wiring itself, so nothing to wait for.
  { op: "remove", map: 0, addr: BASE + 3 * P, size: P, flags: VM_MAP_REMOVE_WAIT_FOR_KWIRE | VM_MAP_REMOVE_KUNWIRE },
  { op: "protect", map: 0, addr: BASE, size: P, prot: 1, setMax: false },
  { op: "inherit", map: 0, addr: BASE, size: P, inheritance: 0 },
  { op: "wire", map: 0, addr: BASE, size: P, access: 1, user: true },
  { op: "unwire", map: 0, addr: BASE + 3 * P, size: P, user: false },
  { op: "lookup", map: 0, addr: BASE },
  { op: "read_user", map: 0, addr: BASE, size: 4 },
  { op: "write_user", map: 0, addr: BASE, data: "01" },
  { op: "load", cpu: 1, addr: BASE, size: 4 },
  { op: "store", cpu: 1, addr: BASE, data: "01" },
  { op: "copyin", map: 0, addr: BASE, size: P, srcDestroy: true, useMaxprot: false },
  // Over the kernel-wired page, destroying it: only a kernel-buffer copy waits for the wiring
  // (past the buffer's threshold, or with useMaxprot, the copy is made from the object).
  { op: "copyin", map: 0, addr: BASE, size: 4 * P, srcDestroy: true, useMaxprot: false },
  { op: "copyin", map: 0, addr: BASE + 3 * P, size: P, srcDestroy: true, useMaxprot: true },
  // Exactly the threshold is already an entry-list copy: no wait for the wiring either.
  { op: "copyin", map: 0, addr: BASE + 2 * P, size: scope.kernelBufferThreshold, srcDestroy: true, useMaxprot: false },
  { op: "copy_overwrite", map: 0, addr: BASE + P, copy: 0, interruptible: false },
  { op: "fork", map: 0 },
  { op: "remap", map: 1, addr: 0, size: P, mask: 0, anywhere: false, srcMap: 0, srcAddr: BASE, copy: false, inheritance: 1 },
  { op: "swapout", map: 0 },
  { op: "swapin", map: 0 },
  { op: "evict", frame: 0 },
  { op: "copyin_page_list", map: 0, addr: BASE, size: 2 * P, options: VM_PROT_READ | VM_MAP_COPYIN_OPT_SRC_DESTROY },
  { op: "copy_continue", copy: 1 },
  { op: "copy_abort", copy: 1 },
  { op: "copyout_page_list", map: 1, copy: 1 },
  { op: "steal_pages", copy: 1 },
  { op: "page_discard", copy: 1 },
  { op: "copyout", map: 1, copy: 0 },
];

/** Byte strings that are not whole hex bytes: not hex, odd length, a non-hex digit. */
export const BAD_DATA: readonly string[] = ["xyz", "abc", "0z", "0"];

/** Each valid body with one numeric argument (or its data) made bad, in order. */
export function badBodies(): Op[] {
  const out: Op[] = [];
  for (const body of VALID_BODIES)
    for (const [field, value] of Object.entries(body)) {
      if (typeof value === "number") for (const bad of BAD_NUMBERS) out.push({ ...body, [field]: bad } as Op);
      if (field === "data") for (const bad of BAD_DATA) out.push({ ...body, [field]: bad } as Op);
    }
  return out;
}

/** Run `body` on thread 0 after the setup, to the end of the run with every check: its result, or the failure. */
export function runOnThread(body: Op): { result: string } | { failure: string } {
  const ls = new Lockstep({ scope });
  try {
    for (const op of THREAD_SETUP) ls.step(op);
    ls.step({ op: "spawn", thread: 0, body });
    ls.finish();
  } catch (e) {
    if (e instanceof CheckFailure) return { failure: `${formatOp(body)}: ${e.check}: ${e.detail}` };
    throw e;
  }
  const done = ls.concurrency?.sched.completions ?? [];
  if (done.length !== 1) return { failure: `${formatOp(body)}: ${done.length} completions, expected 1` };
  return { result: done[0]!.result.kr };
}

/** The operations of SPAWNABLE that {@link VALID_BODIES} leaves out (none, or the table is stale). */
export const missingBodies = (): string[] => [...SPAWNABLE].filter((op) => !VALID_BODIES.some((b) => b.op === op));

/** Thread ids and step counts outside their domains (0 … MAX_THREADS − 1, 1 … MAX_STEP_COUNT). */
export const BAD_THREADS: readonly number[] = [Number.NaN, -1, 0.5, MAX_THREADS, Number.POSITIVE_INFINITY];
export const BAD_COUNTS: readonly number[] = [Number.NaN, 0, -1, 1.5, MAX_STEP_COUNT + 1, Number.POSITIVE_INFINITY];

/**
 * Spawn `first` on thread 0, then each command of `then` (bad spawns and steps, a spawn on the
 * busy thread), then finish the run: the codes `then` got, the completed operations with their
 * results, or the failure. A refused command must leave `first` in flight and complete it
 * unchanged: nothing is lost and nothing runs twice.
 */
export function refusedWhileBusy(first: Op, then: readonly Op[]): { codes: string[]; completed: string[] } | { failure: string } {
  const ls = new Lockstep({ scope });
  const codes: string[] = [];
  try {
    for (const op of THREAD_SETUP) ls.step(op);
    ls.step({ op: "spawn", thread: 0, body: first });
    for (const op of then) codes.push(ls.step(op).impl!.kr);
    ls.finish();
  } catch (e) {
    if (e instanceof CheckFailure) return { failure: `${e.check}: ${e.detail}` };
    throw e;
  }
  const completed = (ls.concurrency?.sched.completions ?? []).map((c) => `${c.thread} ${formatOp(c.op)} ${c.result.kr}`);
  return { codes, completed };
}

/**
 * Every refusal of {@link refusedWhileBusy} with a write in flight on thread 0: a spawn on the
 * busy thread, bad thread ids and step counts, a spawn of a spawn. The problems found (none
 * when every command got KERN_INVALID_ARGUMENT and the write completed once with success).
 */
export function refusalProblems(): string[] {
  const write = VALID_BODIES.find((b) => b.op === "write_user")!;
  const protect = VALID_BODIES.find((b) => b.op === "protect")!;
  const refused: Op[] = [
    { op: "spawn", thread: 0, body: protect },
    ...BAD_THREADS.map((thread): Op => ({ op: "spawn", thread, body: protect })),
    ...BAD_THREADS.map((thread): Op => ({ op: "step", thread, count: 1 })),
    ...BAD_COUNTS.map((count): Op => ({ op: "step", thread: 0, count })),
    { op: "spawn", thread: 1, body: { op: "spawn", thread: 2, body: protect } as unknown as Op },
  ];
  const r = refusedWhileBusy(write, refused);
  if ("failure" in r) return [r.failure];
  const problems = refused.flatMap((op, i) => (r.codes[i] === "KERN_INVALID_ARGUMENT" ? [] : [`${formatOp(op)}: ${r.codes[i]}, expected KERN_INVALID_ARGUMENT`]));
  const expected = `0 ${formatOp(write)} KERN_SUCCESS`;
  if (r.completed.length !== 1 || r.completed[0] !== expected) problems.push(`completed ${JSON.stringify(r.completed)}, expected only ${expected}`);
  return problems;
}

