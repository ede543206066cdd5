/**
 * Threads: spawn and step. The spec has no threads: its meaning of a spawned operation is the
 * operation run alone (the concurrency checker applies it at the instant it linearized), so in
 * a sequential world `spawn` runs its body at once and `step` has nothing to do.
 */
import { Schema } from "effect";
import { dispatch, OpSchema, type Op, type OpHandlers, type OpName, type OpResult } from "../vocabulary.ts";

/** Kernel threads a command sequence may use: 0 … MAX_THREADS − 1. */
export const MAX_THREADS = 4;
/** The most suspension points one `step` command runs through. */
export const MAX_STEP_COUNT = 16;

/**
 * The operations a spawned thread may run: those whose interaction with concurrent ones the
 * reference describes (wiring, delete, protection, overwrite, faults, fork, remap, copyin, the
 * page-list copies and their continuations, residence, pageout) and the queries and accesses
 * that observe them. Map creation and destruction, handles, submap and shared-region
 * operations stay sequential.
 */
export const SPAWNABLE: ReadonlySet<OpName> = new Set<OpName>([
  "enter", "remove", "protect", "inherit", "wire", "unwire", "lookup", "read_user", "write_user",
  "load", "store", "copyin", "copy_overwrite", "fork", "remap", "swapout", "swapin", "evict",
  "copyin_page_list", "copy_continue", "copy_abort", "copyout_page_list", "steal_pages", "page_discard", "copyout",
]);

const decodeOp = Schema.decodeUnknownOption(OpSchema);

/** `body` as a command a thread can run, or undefined. */
export function spawnBody(body: unknown): Op | undefined {
  const decoded = decodeOp(body);
  if (decoded._tag !== "Some" || !SPAWNABLE.has(decoded.value.op)) return undefined;
  return decoded.value;
}

export const isThread = (t: number): boolean => Number.isInteger(t) && t >= 0 && t < MAX_THREADS;
export const isStepCount = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= MAX_STEP_COUNT;

/** The sequential meaning of spawn and step, shared by the spec and the implementation. */
export function sequentialThreadHandlers<State>(handlers: () => OpHandlers<State>): Pick<OpHandlers<State>, "spawn" | "step"> {
  return {
    spawn(state, { thread, body }) {
      const op = spawnBody(body);
      if (!isThread(thread) || op === undefined) return { kr: "KERN_INVALID_ARGUMENT" };
      return dispatch(handlers(), state, op) as OpResult<"spawn">;
    },
    step(_state, { thread, count }) {
      return { kr: isThread(thread) && isStepCount(count) ? "KERN_SUCCESS" : "KERN_INVALID_ARGUMENT" };
    },
  };
}
