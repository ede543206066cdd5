/**
 * Reading an strace log, line by line, without ever holding more than one line (of bounded
 * length) and one pending call per process.
 *
 * Accepted shapes (what `strace -f` writes, with or without `-t/-tt/-ttt/-r` and `-T`):
 *   PID  name(args) = RET
 *   [pid PID] name(args) = RET
 *   name(args) = RET                      (no -f: one process, pid 0)
 *   PID  name(args <unfinished ...>       then later   PID  <... name resumed>rest) = RET
 *   PID  +++ exited with N +++  /  +++ killed by SIG +++
 *   PID  --- SIGNAL {...} ---
 * `RET` is a number (decimal or hex), `-1 ERRNO (text)` for a failure, or `?` (no return).
 * An interrupted call (`= ? ERESTARTSYS`) counts as failed. Anything else is garbage: counted, never thrown.
 */

/** One complete system call, its two halves joined when strace split it. */
export interface SyscallEvent {
  readonly kind: "syscall";
  readonly pid: number;
  readonly name: string;
  /** Top-level arguments as strace printed them (nested structures kept as text). */
  readonly args: readonly string[];
  /** The return value; undefined when strace printed `?`. */
  readonly ret: number | undefined;
  /** The errno name when the call failed (`-1 ENOMEM (...)`, or `? ERESTARTSYS`). */
  readonly errno: string | undefined;
}

/** A process (thread) ended without a system call saying so: `+++ exited with N +++`. */
export interface ExitEvent {
  readonly kind: "exited";
  readonly pid: number;
}

/** The first half of a call strace split (`<unfinished ...>`); it takes effect when resumed. */
export interface UnfinishedEvent {
  readonly kind: "unfinished";
  readonly pid: number;
  readonly name: string;
  /** The arguments printed so far, as text. */
  readonly head: string;
}

/** A line that needs no action: a signal delivery, a detach note, a blank line. */
export interface NoteEvent {
  readonly kind: "note";
}

/** A line that could not be understood, with the reason. */
export interface GarbageEvent {
  readonly kind: "garbage";
  readonly reason: string;
}

export type TraceEvent = SyscallEvent | UnfinishedEvent | ExitEvent | NoteEvent | GarbageEvent;

// Optional pid ("1234  " or "[pid 1234] "), then an optional timestamp (-t, -tt, -ttt, -r).
const PREFIX = /^(?:\[pid\s+(\d+)\]\s*|(\d+)\s+)?(?:\d+:\d+:\d+(?:\.\d+)?\s+|\d+\.\d+\s+)?/;
const CALL = /^([A-Za-z_][A-Za-z0-9_]*)\((.*)$/s;
const RESUMED = /^<\.\.\. ([A-Za-z_][A-Za-z0-9_]*) resumed>(.*)$/s;
const UNFINISHED = " <unfinished ...>";
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// "RET [ERRNO (text)] [(note)] [<duration>]" after the " = " that ends a complete call.
const RESULT = /^\s*(-?\d+|0x[0-9a-fA-F]+|\?)(?:\s+(E[A-Z0-9_]+|ERESTART[A-Z_]*)(?:\s+\([^)]*\))?)?(?:\s+\([^)]*\))?(?:\s+<[\d.]+>)?\s*$/;

/**
 * Joins the halves of calls that strace split (`<unfinished ...>` / `<... resumed>`), by pid.
 * A process holds at most one pending half; a second one replaces it, and the first is counted
 * as garbage (the log lost its resumption).
 */
export class StraceReader {
  private readonly pending = new Map<number, { name: string; head: string }>();
  /** Pending halves that were never resumed (replaced, or still open at the end). */
  unresumed = 0;

  /** The event of one line (without its newline). */
  read(line: string): TraceEvent {
    let pid = 0, from = 0;
    // The common shape "PID  call(…)" by hand; anything else through the regular expression.
    while (from < line.length && line.charCodeAt(from) >= 48 && line.charCodeAt(from) <= 57) from++;
    if (from > 0 && line.charCodeAt(from) === 32 && line.charCodeAt(from + 1) === 32 && !isDigit(line.charCodeAt(from + 2))) {
      pid = Number(line.slice(0, from));
      while (line.charCodeAt(from) === 32) from++;
    } else {
      const prefix = PREFIX.exec(line)!;
      pid = Number(prefix[1] ?? prefix[2] ?? 0);
      from = prefix[0].length;
    }
    let rest = line.slice(from).trimEnd();
    if (rest === "") return NOTE;
    if (rest.startsWith("+++ ")) {
      return /^\+\+\+ (exited with -?\d+|killed by SIG[A-Z0-9]+(?: \(core dumped\))?) \+\+\+$/.test(rest)
        ? { kind: "exited", pid }
        : garbage("malformed exit line");
    }
    if (rest.startsWith("--- ") && rest.endsWith(" ---")) return NOTE;
    if (rest.startsWith("<... ")) {
      const r = RESUMED.exec(rest);
      if (!r) return garbage("malformed resumption");
      const head = this.pending.get(pid);
      if (!head || head.name !== r[1]) return garbage(`<... ${r[1]} resumed> without its start`);
      this.pending.delete(pid);
      rest = `${head.name}(${head.head}${r[2]!.replace(/^, /, head.head === "" ? "" : ", ")}`;
    } else if (rest.endsWith(UNFINISHED)) {
      const c = CALL.exec(rest.slice(0, -UNFINISHED.length));
      if (!c) return garbage("malformed unfinished call");
      if (this.pending.has(pid)) this.unresumed++;
      this.pending.set(pid, { name: c[1]!, head: c[2]! });
      return { kind: "unfinished", pid, name: c[1]!, head: c[2]! };
    }
    // Split by hand (this runs once per line of logs of millions of lines): the name is what
    // precedes the first "(", the result what follows the last " = ", after a ")".
    const open = rest.indexOf("(");
    const name = open > 0 ? rest.slice(0, open) : "";
    if (!NAME.test(name)) return garbage(rest.startsWith("strace: ") ? "strace message" : "not a system call");
    const eq = rest.lastIndexOf(" = ");
    let close = eq;
    while (close > open && rest.charCodeAt(close - 1) === 32) close--;
    const result = eq > open && rest.charCodeAt(close - 1) === 41 ? RESULT.exec(rest.slice(eq + 3)) : null;
    if (!result) return garbage(`${name}: no result (truncated line?)`);
    const retText = result[1]!;
    const args = splitArguments(rest.slice(open + 1, close - 1));
    if (args === undefined) return garbage(`${name}: unbalanced arguments`);
    const ret = retText === "?" ? undefined : Number(retText);
    const errno = result[2] ?? undefined;
    return { kind: "syscall", pid, name, args, ret, errno: errno ?? (ret === -1 ? "EUNKNOWN" : undefined) };
  }

  /** Called at the end of the log: halves still waiting count as never resumed. */
  finish(): void {
    this.unresumed += this.pending.size;
    this.pending.clear();
  }
}

const NOTE: NoteEvent = { kind: "note" };
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const garbage = (reason: string): GarbageEvent => ({ kind: "garbage", reason });

/**
 * Splits an argument list at its top-level commas; brackets, braces, parentheses and quoted
 * strings (with backslash escapes) nest. Undefined when they do not balance.
 */
export function splitArguments(text: string): string[] | undefined {
  const args: string[] = [];
  let depth = 0, start = 0, quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (quoted) {
      if (ch === 92) i++; // backslash: skip the escaped character
      else if (ch === 34) quoted = false;
      continue;
    }
    if (ch === 34) quoted = true;
    else if (ch === 40 || ch === 91 || ch === 123) depth++;
    else if (ch === 41 || ch === 93 || ch === 125) {
      if (--depth < 0) return undefined;
    } else if (ch === 44 && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (depth !== 0 || quoted) return undefined;
  const last = text.slice(start).trim();
  if (last !== "" || args.length > 0) args.push(last);
  return args;
}

/**
 * The lines of a byte stream, decoded as UTF-8, each without its line terminator, handed out
 * as one batch per chunk read (an await per line would cost more than parsing it). A line
 * longer than `maxLine` characters is cut to that length (the rest of it skipped), so memory
 * stays bounded whatever the input; `onCut` is told.
 */
export async function* lineBatches(
  chunks: AsyncIterable<Uint8Array | string>,
  maxLine = 64 * 1024,
  onCut: () => void = () => {},
): AsyncGenerator<string[]> {
  const decoder = new TextDecoder("utf-8");
  let carry = "";
  let skipping = false; // inside the tail of a line that was already cut
  for await (const chunk of chunks) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    const batch: string[] = [];
    let from = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", from)) {
      if (skipping) skipping = false;
      else {
        const line = carry + text.slice(from, nl);
        carry = "";
        batch.push(line.endsWith("\r") ? line.slice(0, -1) : line);
      }
      from = nl + 1;
    }
    if (!skipping) {
      carry += text.slice(from);
      if (carry.length > maxLine) {
        onCut();
        batch.push(carry.slice(0, maxLine));
        carry = "";
        skipping = true;
      }
    }
    if (batch.length) yield batch;
  }
  const tail = carry + decoder.decode();
  if (!skipping && tail !== "") yield [tail];
}
