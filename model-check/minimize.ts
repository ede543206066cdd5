/**
 * Minimizing a concrete counterexample beyond fast-check's shrinker. Fast-check shrinks the
 * symbolic scenario; because symbolic arguments are resolved against the state, removing one
 * command can change what later ones mean, and its shrink often stops in a local minimum. Here
 * the concrete command list itself is reduced, by rounds of these passes until none helps:
 *
 *  1. delta debugging (ddmin): drop chunks of commands, halving the chunk size down to one;
 *  2. pairs: drop two commands at once — a setup command together with the one that uses it,
 *     which neither can leave alone (2-minimality);
 *  3. merging: fold an attribute change into the command that mapped the range (an `enter`
 *     followed by `protect` of exactly its pages becomes one `enter` with that protection), and
 *     join two commands of the same kind over neighbouring ranges into one over their union;
 *  4. arguments toward round values (0, one page, halves, page-aligned; booleans to false);
 *  5. alike: give a command every attribute of another of its kind, when that lets other
 *     commands go (an enter made like the mapping a copyout would have made);
 *  6. equivalents: an object window entered as anonymous memory, a copyin as a remap with
 *     copy, a find_space as an enter with its defaults, when that lets other commands go (the
 *     memory object or copy handle is then not needed, an attribute change folds in).
 *
 * Removing or changing a command can move what later commands refer to: handles are numbered
 * in creation order, and an anywhere-allocation lands elsewhere when a mapping before it goes.
 * Every candidate is therefore replayed with relocation: when a command hands back a different
 * handle or address than it did in the list being reduced, later references to the old one are
 * rewritten to the new one (a `remove` of the page a `find_space` returned follows it).
 *
 * Every candidate is re-validated by replay and kept only if it fails the same check and is
 * simpler: shorter, or as long with fewer handles handed out, or with smaller arguments. So the
 * failure is never lost and the search terminates. The last round changes nothing, so a
 * minimized list is a fixpoint: minimizing it again gives it back unchanged. A budget of
 * replays bounds the work (a search cut short by it keeps the best list found, which need not
 * be a fixpoint; the planted bugs need 10–200 replays of the 20,000).
 */
import { VM_INHERIT_DEFAULT, VM_PROT_ALL, VM_PROT_DEFAULT } from "../spec/constants.ts";
import type { Op, OpResult } from "../spec/vocabulary.ts";
import { CheckFailure, Lockstep, type LockstepOptions, type ReplayOutcome } from "./lockstep.ts";

export interface MinimizeResult {
  readonly commands: readonly Op[];
  readonly outcome: Extract<ReplayOutcome, { ok: false }>;
  /** Replays tried. */
  readonly attempts: number;
}

/** Replays a minimization may try; generous, so that a run ends at a fixpoint in practice. */
export const DEFAULT_REPLAY_BUDGET = 20_000;

/** A command of a candidate list, with the index of the command it came from in the list being reduced. */
interface Candidate {
  readonly op: Op;
  readonly was: number | undefined;
}

/** A failing list as it actually ran: the commands (rewritten, skipped ones dropped) and the spec's results. */
interface Failing {
  readonly commands: Op[];
  readonly results: (OpResult | undefined)[];
  readonly outcome: Extract<ReplayOutcome, { ok: false }>;
}

type Fields = Record<string, unknown>;
const fields = (x: unknown) => x as Fields;

/** The kinds of handle a command can name; a result field of the same name hands a new one out. */
type HandleKind = "map" | "object" | "copy" | "entry";
const HANDLE_KINDS: readonly HandleKind[] = ["map", "object", "copy", "entry"];

/** Which handle kind each handle-valued argument names (path into the command). */
function handleRefs(op: Op): [string[], HandleKind][] {
  const refs: [string[], HandleKind][] = [];
  if ("map" in op) refs.push([["map"], "map"]);
  if ("srcMap" in op) refs.push([["srcMap"], "map"]);
  if ("object" in op) refs.push([["object"], "object"]);
  if (op.op === "enter" && op.source.kind === "object") refs.push([["source", "object"], "object"]);
  if ("copy" in op && typeof op.copy !== "boolean") refs.push([["copy"], "copy"]);
  if ("entry" in op) refs.push([["entry"], "entry"]);
  return refs;
}

/** Address arguments and the map argument each is an address in. */
const ADDRESS_REFS: readonly (readonly [string, string])[] = [["addr", "map"], ["srcAddr", "srcMap"]];

/** What moved while replaying a candidate: handles renumbered, ranges placed elsewhere. */
class Relocation {
  private readonly handles = new Map<string, number>();
  private readonly ranges: { map: number; from: number; to: number; delta: number }[] = [];

  /** Compare what `op` handed back now with what it handed back in the list being reduced. */
  note(op: Op, was: OpResult | undefined, now: OpResult): void {
    if (!was) return;
    const before = fields(was), after = fields(now);
    for (const kind of HANDLE_KINDS) {
      const a = before[kind], b = after[kind];
      if (typeof a === "number" && typeof b === "number" && a !== b) this.handles.set(`${kind}:${a}`, b);
    }
    const a = before["addr"], b = after["addr"], args = fields(op);
    if (typeof a === "number" && typeof b === "number" && a !== b && typeof args["map"] === "number") {
      const size = typeof args["size"] === "number" ? Math.max(1, args["size"]) : 1;
      this.ranges.push({ map: args["map"], from: a, to: a + size, delta: b - a });
    }
  }

  /** `op` with its references to moved handles and addresses rewritten. */
  apply(op: Op): Op {
    if (this.handles.size === 0 && this.ranges.length === 0) return op;
    const copy = structuredClone(op) as unknown as Fields;
    for (const [path, kind] of handleRefs(op)) {
      const at = path.slice(0, -1).reduce((o, k) => o[k] as Fields, copy);
      const key = path[path.length - 1]!;
      const moved = this.handles.get(`${kind}:${String(at[key])}`);
      if (moved !== undefined) at[key] = moved;
    }
    for (const [addrKey, mapKey] of ADDRESS_REFS) {
      const addr = copy[addrKey], map = copy[mapKey];
      if (typeof addr !== "number" || typeof map !== "number") continue;
      // The latest placement wins: a range can move, be removed, and be placed again.
      for (let r = this.ranges.length - 1; r >= 0; r--) {
        const m = this.ranges[r]!;
        if (m.map === map && addr >= m.from && addr < m.to) {
          copy[addrKey] = addr + m.delta;
          break;
        }
      }
    }
    return copy as unknown as Op;
  }
}

/** Replays and the budget they draw on. */
class Replayer {
  attempts = 0;
  constructor(
    readonly options: LockstepOptions,
    readonly check: string,
    readonly budget: number,
  ) {}

  get exhausted(): boolean {
    return this.attempts >= this.budget;
  }

  /**
   * Run `list` in lockstep, relocating references as it goes (against `from`, the results of
   * the list it was derived from); the failing run trimmed to the failing step, or undefined
   * when it does not fail with the check.
   */
  run(list: readonly Candidate[], from: readonly (OpResult | undefined)[]): Failing | undefined {
    this.attempts++;
    const ls = new Lockstep(this.options);
    const moves = new Relocation();
    let skipped = 0;
    let current: Op | undefined;
    try {
      for (const c of list) {
        current = moves.apply(c.op);
        if (ls.blocks(current)) {
          skipped++;
          continue;
        }
        const record = ls.step(current);
        moves.note(current, c.was === undefined ? undefined : from[c.was], record.spec);
      }
      current = undefined;
      ls.finish();
      return undefined;
    } catch (e) {
      if (!(e instanceof CheckFailure)) throw e;
      if (e.check !== this.check) return undefined;
      const commands = ls.history.map((h) => h.op);
      const results: (OpResult | undefined)[] = ls.history.map((h) => h.spec);
      // A command that threw in the spec never reached the history; it is the failing one.
      if (commands.length === e.step && current) {
        commands.push(current);
        results.push(undefined);
      }
      return { commands, results, outcome: { ok: false, steps: ls.history.length, skipped, check: e.check, step: e.step, message: e.detail } };
    }
  }
}

/** A size measure of arguments: numbers by value, `true` as 1. Simplifying never raises it. */
function weight(value: unknown): number {
  if (typeof value === "number") return Number.isFinite(value) ? Math.abs(value) : Number.MAX_SAFE_INTEGER;
  if (value === true) return 1;
  if (typeof value === "string") return value.length;
  if (value && typeof value === "object") return Object.values(value).reduce((s: number, v) => s + weight(v), 0);
  return 0;
}

/** Handles the run handed out (maps, objects, copies, named entries): fewer is simpler. */
function handlesMade(run: Failing): number {
  let n = 0;
  for (const r of run.results) for (const kind of HANDLE_KINDS) if (typeof fields(r)[kind] === "number") n++;
  return n;
}

/**
 * True when `found` is strictly simpler than `best`: fewer commands; or as many, handing out
 * fewer handles; or as many of both, with smaller arguments. A well-founded order, so the
 * search ends.
 */
function better(found: Failing, best: Failing): boolean {
  if (found.commands.length !== best.commands.length) return found.commands.length < best.commands.length;
  const h = handlesMade(found), g = handlesMade(best);
  if (h !== g) return h < g;
  return weight(found.commands) < weight(best.commands);
}

/** The commands of `best` as candidates, with `replace` applied (undefined drops a command). */
function derive(best: Failing, replace: ReadonlyMap<number, Op | undefined>): Candidate[] {
  const out: Candidate[] = [];
  best.commands.forEach((op, i) => {
    const r = replace.has(i) ? replace.get(i) : op;
    if (r) out.push({ op: r, was: i });
  });
  return out;
}

/** One search state: the best failing list so far, improved by trying candidates. */
class Search {
  constructor(
    private readonly replay: Replayer,
    public best: Failing,
  ) {}

  /** Try a candidate derived from the current best; adopt it if it is better. */
  try(replace: ReadonlyMap<number, Op | undefined>): boolean {
    if (this.replay.exhausted) return false;
    const found = this.replay.run(derive(this.best, replace), this.best.results);
    if (!found || !better(found, this.best)) return false;
    this.best = found;
    return true;
  }

  /** Pass 1: ddmin over single commands and chunks, latest first (the failing command is last). */
  ddmin(): boolean {
    let improved = false;
    let chunk = Math.max(1, this.best.commands.length >> 1);
    while (chunk >= 1 && !this.replay.exhausted) {
      let removedAny = false;
      for (let start = this.best.commands.length - 1 - chunk; start >= 0; start -= chunk) {
        const drop = new Map<number, undefined>();
        for (let i = start; i < start + chunk; i++) drop.set(i, undefined);
        if (this.try(drop)) {
          removedAny = improved = true;
          start = Math.min(start, this.best.commands.length - 1);
        }
      }
      if (!removedAny) chunk >>= 1;
    }
    return improved;
  }

  /** Pass 2: drop two commands at once (never the failing one, which is last). */
  pairs(): boolean {
    for (let j = this.best.commands.length - 2; j >= 1; j--)
      for (let i = j - 1; i >= 0; i--)
        if (this.try(new Map([[i, undefined], [j, undefined]]))) return true;
    return false;
  }

  /** Pass 3: replace two commands by one (see {@link mergeInto}). */
  merges(): boolean {
    const { commands, results } = this.best;
    for (let j = commands.length - 1; j >= 1; j--)
      for (let i = j - 1; i >= 0; i--)
        for (const [at, merged] of mergeInto(commands[i]!, results[i], commands[j]!, results[j], this.replay.options.scope.pageSize)) {
          const drop = at === "first" ? j : i;
          if (this.try(new Map([[at === "first" ? i : j, merged], [drop, undefined]]))) return true;
        }
    return false;
  }

  /**
   * Pass 5: make a command like another of its kind (every argument but its range and handles
   * taken from the other), which may be simpler or not, and keep it if the commands it makes
   * unnecessary can then be dropped (by ddmin and pairs) so that the list gets shorter. This
   * is how an `enter` takes the attributes a later copyout would have given, so that the
   * copyin and copyout go.
   */
  alike(): boolean {
    const { commands } = this.best;
    for (let i = 0; i < commands.length; i++)
      for (let j = 0; j < commands.length; j++) {
        const a = fields(commands[i]), b = fields(commands[j]);
        if (i === j || a["op"] !== b["op"]) continue;
        const kept = new Set(["addr", "size", ...handleRefs(commands[i]!).map(([path]) => path[0]!)]);
        const changed = { ...a };
        for (const k of Object.keys(b)) if (!kept.has(k)) changed[k] = b[k];
        if (JSON.stringify(changed) === JSON.stringify(a)) continue;
        if (this.withDrops(new Map([[i, changed as unknown as Op]]))) return true;
      }
    return false;
  }

  /**
   * Pass 6: commands that do the same more simply, each tried like {@link alike}: an enter of a
   * memory object's window as anonymous memory (the object then needs no creating), a copyin as
   * a remap with copy of the same range (a copy of the pages without a copy handle), a
   * find_space as the enter it amounts to (later attribute changes can fold into it).
   */
  alternatives(): boolean {
    const { commands } = this.best;
    for (let i = commands.length - 1; i >= 0; i--)
      for (const alt of alternativesTo(this.best, i, this.replay.options.scope.pageSize)) if (this.withDrops(alt)) return true;
    return false;
  }

  /**
   * Apply `changes` (command index → new command) and drop nothing, any one or any two other
   * commands; adopt the first such candidate that fails the same way and is simpler than the
   * best (after ddmin, pairs and merges on it, for the candidate that drops nothing).
   */
  private withDrops(changes: ReadonlyMap<number, Op>): boolean {
    const n = this.best.commands.length;
    const free = [...Array(n).keys()].filter((j) => !changes.has(j)).reverse();
    const drops: number[][] = [[], ...free.map((j) => [j])];
    free.forEach((j, x) => free.slice(x + 1).forEach((k) => drops.push([j, k])));
    for (const d of drops) {
      if (this.replay.exhausted) return false;
      const replace = new Map<number, Op | undefined>([...changes, ...d.map((j): [number, undefined] => [j, undefined])]);
      const found = this.replay.run(derive(this.best, replace), this.best.results);
      if (!found) continue;
      const ahead = new Search(this.replay, found);
      if (d.length === 0) while (ahead.ddmin() || ahead.pairs() || ahead.merges());
      if (better(ahead.best, this.best)) {
        this.best = ahead.best;
        return true;
      }
    }
    return false;
  }

  /** Pass 4: each argument toward a rounder value, one at a time. */
  simplerArguments(): boolean {
    let improved = false;
    const pageSize = this.replay.options.scope.pageSize;
    for (let i = 0; i < this.best.commands.length; i++) {
      for (const key of Object.keys(this.best.commands[i]!)) {
        let again = true;
        while (again && i < this.best.commands.length) {
          again = false;
          const value = fields(this.best.commands[i])[key];
          const tries = value === true ? [false] : typeof value === "number" ? rounder(value, pageSize) : [];
          for (const v of tries) {
            if (this.try(new Map([[i, { ...this.best.commands[i]!, [key]: v } as Op]]))) {
              again = improved = true;
              break;
            }
          }
        }
      }
    }
    return improved;
  }
}

/**
 * Replacements that may do what command `i` does more simply (see {@link Search.alternatives}):
 * command index → new command.
 */
function alternativesTo(run: Failing, i: number, pageSize: number): Map<number, Op>[] {
  const op = run.commands[i]!;
  switch (op.op) {
    case "enter":
      return op.source.kind === "object" ? [new Map([[i, { ...op, source: { kind: "anonymous" } }]])] : [];
    case "find_space": {
      // The kernel allocator's pages are an anonymous anywhere-enter with its defaults; as an
      // enter, later attribute changes can fold into it.
      const enter: Op = {
        op: "enter", map: op.map, addr: 0, size: op.size, mask: op.mask, anywhere: true, alias: 0,
        cur: VM_PROT_DEFAULT, max: VM_PROT_ALL, inheritance: VM_INHERIT_DEFAULT, source: { kind: "anonymous" },
      };
      return [new Map([[i, enter]])];
    }
    case "copyin": {
      if (op.srcDestroy) return [];
      const remap: Op = { op: "remap", map: op.map, addr: 0, size: op.size, mask: 0, anywhere: true, srcMap: op.map, srcAddr: op.addr, copy: true, inheritance: VM_INHERIT_DEFAULT };
      const out = [new Map<number, Op>([[i, remap]])];
      // The new mapping needs room: also with the map made larger by the size copied.
      const made = run.results.findIndex((r, j) => run.commands[j]!.op === "create" && fields(r)["map"] === op.map);
      const create = made < 0 ? undefined : run.commands[made]!;
      if (create && create.op === "create" && op.size > 0) {
        const larger: Op = { ...create, max: create.max + Math.ceil(op.size / pageSize) * pageSize };
        out.push(new Map<number, Op>([[i, remap], [made, larger]]));
      }
      return out;
    }
    default:
      return [];
  }
}

/** Rounder values to try for a number `x`: 0, then page-aligned and smaller ones. */
function rounder(x: number, pageSize: number): number[] {
  if (!Number.isFinite(x) || !Number.isInteger(x) || x <= 0) return [];
  const page = x - (x % pageSize);
  const half = Math.floor(x / 2 / pageSize) * pageSize;
  return [...new Set([0, pageSize, half, page].filter((v) => v < x && v >= 0))];
}

/** Page-rounded range `[start, end)` a command acts on: where it mapped, or its arguments. */
function rangeOf(op: Op, result: OpResult | undefined, pageSize: number): [number, number] | undefined {
  const a = fields(op), r = fields(result);
  const addr = typeof r["addr"] === "number" ? r["addr"] : a["addr"];
  if (typeof addr !== "number" || typeof a["size"] !== "number" || a["size"] <= 0) return undefined;
  const start = addr - (addr % pageSize);
  return [start, Math.ceil((addr + a["size"]) / pageSize) * pageSize];
}

/**
 * What an attribute change does, as the arguments of the mapping command `mapped` that would
 * have set the same at map time (setting the maximum also trims the current protection).
 */
function attributeFolds(setter: Op, mapped: Fields): Fields | undefined {
  switch (setter.op) {
    case "protect":
      if (!setter.setMax) return { cur: setter.prot };
      return typeof mapped["cur"] === "number" ? { max: setter.prot, cur: mapped["cur"] & setter.prot } : { max: setter.prot };
    case "inherit":
      return { inheritance: setter.inheritance };
    default:
      return undefined;
  }
}

/**
 * Single commands that may do what `first` then `second` do, and which of the two positions
 * each takes:
 *  - an attribute change of exactly the range a mapping command created, folded into it;
 *  - two commands identical but for their ranges, over touching or overlapping ranges, as one
 *    over the union (two enters side by side become one enter of both sizes).
 */
function mergeInto(first: Op, firstResult: OpResult | undefined, second: Op, secondResult: OpResult | undefined, pageSize: number): ["first" | "second", Op][] {
  const a = fields(first), b = fields(second);
  if (a["map"] !== b["map"]) return [];
  const ra = rangeOf(first, firstResult, pageSize), rb = rangeOf(second, secondResult, pageSize);
  if (!ra || !rb) return [];
  const out: ["first" | "second", Op][] = [];
  const fold = attributeFolds(second, a);
  // The change covers all the pages the first command mapped.
  if (fold && Object.keys(fold).every((k) => k in a) && rb[0] <= ra[0] && ra[1] <= rb[1]) out.push(["first", { ...first, ...fold } as Op]);
  if (first.op === second.op) {
    const same = Object.keys(a).every((k) => k === "addr" || k === "size" || JSON.stringify(a[k]) === JSON.stringify(b[k]));
    if (same && ra[0] <= rb[1] && rb[0] <= ra[1]) {
      const start = Math.min(ra[0], rb[0]), end = Math.max(ra[1], rb[1]);
      const union = { ...first, addr: a["addr"] === ra[0] ? start : a["addr"], size: end - start } as Op;
      out.push(["first", union], ["second", { ...union, addr: start } as Op]);
    }
  }
  return out;
}

/**
 * Reduce `commands`, which must fail with `check`, to a list failing the same way that no pass
 * can reduce further (within `budget` replays).
 */
export function minimizeCommands(commands: readonly Op[], options: LockstepOptions, check: string, budget = DEFAULT_REPLAY_BUDGET): MinimizeResult {
  const replay = new Replayer(options, check, budget);
  const first = replay.run(commands.map((op) => ({ op, was: undefined })), []);
  if (!first) throw new Error(`the commands do not fail with ${check}`);
  const search = new Search(replay, first);
  for (let round = true; round && !replay.exhausted; ) {
    round = false;
    // Cheap passes first; each later pass runs only when the earlier ones are stuck.
    if (search.ddmin()) round = true;
    else if (search.pairs()) round = true;
    else if (search.merges()) round = true;
    else if (search.simplerArguments()) round = true;
    else if (search.alike()) round = true;
    else if (search.alternatives()) round = true;
  }
  return { commands: search.best.commands, outcome: search.best.outcome, attempts: replay.attempts };
}

/** Simplify the arguments of a failing list toward round values, keeping its length. */
export function simplifyArguments(commands: readonly Op[], options: LockstepOptions, check: string): { commands: Op[]; attempts: number } {
  const replay = new Replayer(options, check, DEFAULT_REPLAY_BUDGET);
  const first = replay.run(commands.map((op) => ({ op, was: undefined })), []);
  if (!first) throw new Error(`the commands do not fail with ${check}`);
  const search = new Search(replay, first);
  search.simplerArguments();
  return { commands: search.best.commands, attempts: replay.attempts };
}
