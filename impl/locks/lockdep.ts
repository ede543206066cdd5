/**
 * A lock-order validator in the style of Linux lockdep (issue 5, item 4).
 *
 * The scheduler tells it every acquisition, release and sleep of every simulated thread. It
 * keeps what each thread holds and, for every acquisition, records the edge
 * class(held) → class(acquired) in a class-order graph that is never reset between runs: a
 * deadlock needs two orders that may come from two different runs (or even two sequential
 * runs), and lockdep's power is that each order only has to be seen once, anywhere.
 *
 * Three kinds of finding:
 * - a fixed rule of the reference broken (lock-classes.ts `brokenRule`), reported at once;
 * - a cycle in the class-order graph, searched for only when an edge is new, so the cost per
 *   acquisition is a walk over the (short) held stack and a set lookup;
 * - misuse: releasing a lock not held, sleeping while holding a lock that forbids it, changing
 *   what a lock guards without holding it (lockdep_assert_held), and an operation returning
 *   with a lock still held (lockdep's "lock held when returning to user space").
 * `deadlock()` separately turns "these threads are blocked on these locks" into a wait-for cycle.
 *
 * Same-class nesting (parent map then submap, objects down a shadow chain) adds no class edge:
 * a map → map self-loop would say nothing, and the instance rules already judge those orders.
 *
 * Deterministic: no clock; maps and sets iterate in insertion order.
 */
import {
  CLASS_NAMES, FLAT_TOPOLOGY, LOCK_CLASSES, brokenRule, classId, describeLock, lockKey,
  type LockClassName, type LockInstance, type LockTopology, type OrderRule, type SleepKind,
} from "./lock-classes.ts";

export type ThreadId = number;

/** Where in a campaign something happened. `run` is counted by `beginRun`. */
export interface Site {
  readonly command: number;
  readonly step: number;
}

/** One acquisition as reports show it. */
export interface Acquisition {
  readonly run: number;
  readonly thread: ThreadId;
  readonly command: number;
  readonly step: number;
  /** The lock taken, e.g. "object 4". */
  readonly lock: string;
  /** The lock already held that the acquisition is judged against (edges and rules). */
  readonly held: string;
}

export type FindingKind = OrderRule | "cycle" | "release-not-held" | "sleep-while-holding" | "not-held" | "held-at-return";

export interface CycleEdge {
  readonly from: LockClassName;
  readonly to: LockClassName;
  /** The acquisition that first created this edge. */
  readonly first: Acquisition;
}

export interface Finding {
  /** Identifies repeats: the kind and the classes involved (for cycles, the canonical cycle). */
  readonly key: string;
  readonly kind: FindingKind;
  readonly message: string;
  /** The first occurrence (later ones only bump `count`). */
  readonly at: Acquisition;
  /** For cycles: the edges in cycle order, the new one first. */
  readonly cycle?: readonly CycleEdge[];
  /** For cycles: one line per thread of a scenario that deadlocks. */
  readonly scenario?: readonly string[];
  count: number;
}

export interface DeadlockReport {
  /** The wait-for cycle: each thread waits for a lock held by the next, the last by the first. */
  readonly threads: readonly { thread: ThreadId; holds: string; since: Acquisition; wants: string }[];
  readonly message: string;
}

export interface LockdepSummary {
  readonly runs: number;
  readonly acquisitions: number;
  readonly classes: readonly { name: LockClassName; rank: number | null; leaf: boolean; forbidsSleep: readonly SleepKind[] }[];
  readonly edges: readonly CycleEdge[];
  readonly findings: readonly Finding[];
}

interface Held {
  readonly lock: LockInstance;
  readonly acquisition: Acquisition;
}

const where = (a: Acquisition): string => `thread ${a.thread} at run ${a.run}, command ${a.command}, step ${a.step}`;
const letter = (i: number): string => String.fromCharCode(65 + (i % 26));

export class LockValidator {
  /** The kernel's shape, asked at acquisition time (a live view; a scheduler may point it at its kernel). */
  readonly topology: LockTopology;
  private readonly held = new Map<ThreadId, Held[]>();
  /** Class-order graph: successors of each class id. */
  private readonly successors: Set<number>[] = CLASS_NAMES.map(() => new Set<number>());
  /** First acquisition of each edge, keyed `from,to` by class id. */
  private readonly firstEdge = new Map<string, Acquisition>();
  private readonly edgeOrder: string[] = [];
  /** Findings deduplicated by kind and the classes involved, so a campaign report stays short. */
  private readonly found = new Map<string, Finding>();
  private run = -1;
  private acquisitions = 0;

  /** `firstRun`: the number the first run it sees has in its campaign (a campaign gives each run a validator of its own). */
  constructor(
    topology: LockTopology = FLAT_TOPOLOGY,
    private readonly firstRun = 0,
  ) {
    this.topology = topology;
  }

  /**
   * A new run of the campaign: threads of the previous run are gone (whatever they held with
   * them), the class-order graph and findings stay.
   */
  beginRun(): void {
    this.run = this.run < 0 ? this.firstRun : this.run + 1;
    this.held.clear();
  }

  /** Record that `thread` took `lock`; returns the findings this acquisition raised (new or repeated). */
  acquire(thread: ThreadId, lock: LockInstance, site: Site, opts: { readonly try?: boolean } = {}): Finding[] {
    if (this.run < 0) this.beginRun();
    this.acquisitions += 1;
    const stack = this.stackOf(thread);
    const raised: Finding[] = [];
    for (const h of stack) {
      const acq = this.acquisition(thread, lock, h.lock, site);
      const rule = brokenRule(h.lock, lock, opts.try === true, this.topology);
      if (rule !== null) {
        raised.push(this.report(`${rule}|${h.lock.cls}|${lock.cls}`, rule, acq,
          `${rule}: ${where(acq)} took ${acq.lock} while holding ${acq.held} (${LOCK_CLASSES[h.lock.cls].why})`));
      }
      // A try-lock cannot wait, so it cannot be part of a deadlock: no edge (as lockdep).
      if (opts.try !== true && h.lock.cls !== lock.cls) {
        const cycle = this.addEdge(classId(h.lock.cls), classId(lock.cls), acq);
        if (cycle !== null) raised.push(cycle);
      }
    }
    stack.push({ lock, acquisition: this.acquisition(thread, lock, stack.at(-1)?.lock ?? null, site) });
    return raised;
  }

  /** Record a release. Out-of-order release is fine; releasing a lock not held is a finding. */
  release(thread: ThreadId, lock: LockInstance, site: Site): Finding | null {
    const stack = this.stackOf(thread);
    const key = lockKey(lock);
    const i = stack.findIndex((h) => lockKey(h.lock) === key);
    if (i >= 0) {
      stack.splice(i, 1);
      return null;
    }
    const acq = this.acquisition(thread, lock, null, site);
    return this.report(`release-not-held|${lock.cls}`, "release-not-held", acq,
      `release-not-held: ${where(acq)} released ${acq.lock}, which it does not hold`);
  }

  /**
   * Record that `thread` blocks. Locks that must not be held across this kind of sleep are
   * findings (one per lock class). A sleep that drops a lock (entry_wait drops the map lock)
   * should be preceded by that release.
   */
  sleep(thread: ThreadId, kind: SleepKind, site: Site): Finding[] {
    const raised: Finding[] = [];
    for (const h of this.stackOf(thread)) {
      if (!LOCK_CLASSES[h.lock.cls].forbidsSleep.includes(kind)) continue;
      const acq = this.acquisition(thread, h.lock, null, site);
      raised.push(this.report(`sleep|${kind}|${h.lock.cls}`, "sleep-while-holding", acq,
        `sleep-while-holding: ${where(acq)} blocked (${kind}) holding ${acq.lock} (${LOCK_CLASSES[h.lock.cls].why})`));
    }
    return raised;
  }

  /**
   * `thread` is about to change what `lock` guards (`what` says which change): a finding unless
   * it holds the lock. The code that changes guarded state asserts this, so a path that forgot
   * to take (or to report) a lock is caught where it matters, not only by the orders it misses.
   */
  assertHeld(thread: ThreadId, lock: LockInstance, site: Site, what: string): Finding | null {
    const key = lockKey(lock);
    if (this.stackOf(thread).some((h) => lockKey(h.lock) === key)) return null;
    const acq = this.acquisition(thread, lock, null, site);
    return this.report(`not-held|${lock.cls}|${what}`, "not-held", acq, `not-held: ${where(acq)} changed ${what} of ${acq.lock} without holding its lock`);
  }

  /**
   * `thread`'s operation returned: every lock it still holds is a finding (one per class). The
   * locks are forgotten, so one leak is reported once, not at every later acquisition.
   */
  returned(thread: ThreadId, site: Site): Finding[] {
    const stack = this.stackOf(thread);
    const raised = stack.map((h) => {
      const acq = this.acquisition(thread, h.lock, null, site);
      return this.report(`held-at-return|${h.lock.cls}`, "held-at-return", acq,
        `held-at-return: ${where(acq)} finished its operation still holding ${acq.lock}, taken at command ${h.acquisition.command}, step ${h.acquisition.step}`);
    });
    stack.length = 0;
    return raised;
  }

  /** The locks `thread` holds, oldest first. */
  holding(thread: ThreadId): LockInstance[] {
    return this.stackOf(thread).map((h) => h.lock);
  }

  /**
   * Given the threads that are blocked and the lock each waits for, the wait-for cycle if there
   * is one: T waits for L, L is held by U, U waits for … back to T. Holders come from what the
   * validator recorded; a lock held by several threads (readers) gives several wait-for edges.
   */
  deadlock(blocked: ReadonlyMap<ThreadId, LockInstance>): DeadlockReport | null {
    const holders = (lock: LockInstance): ThreadId[] =>
      [...this.held.entries()].filter(([, s]) => s.some((h) => lockKey(h.lock) === lockKey(lock))).map(([t]) => t);
    // Depth-first search over the wait-for graph; the path is the current chain of waits.
    const done = new Set<ThreadId>();
    const path: ThreadId[] = [];
    const visit = (t: ThreadId): ThreadId[] | null => {
      const onPath = path.indexOf(t);
      if (onPath >= 0) return path.slice(onPath);
      if (done.has(t)) return null;
      const wants = blocked.get(t);
      if (wants === undefined) return null;
      path.push(t);
      for (const u of holders(wants)) {
        if (u === t) continue; // waiting for itself is the "recursive" rule's business
        const cycle = visit(u);
        if (cycle !== null) return cycle;
      }
      path.pop();
      done.add(t);
      return null;
    };
    for (const t of blocked.keys()) {
      const cycle = visit(t);
      if (cycle === null) continue;
      // Thread i waits for what thread i+1 holds, so it holds what thread i-1 waits for.
      const threads = cycle.map((thread, i) => {
        const holds = lockKey(blocked.get(cycle[(i + cycle.length - 1) % cycle.length]!)!);
        const since = this.stackOf(thread).find((h) => lockKey(h.lock) === holds)!.acquisition;
        return { thread, holds: since.lock, since, wants: describeLock(blocked.get(thread)!) };
      });
      const message = "deadlock: " + threads.map((x) =>
        `thread ${x.thread} holds ${x.holds} (since run ${x.since.run}, command ${x.since.command}, step ${x.since.step}), wants ${x.wants}`).join("; ");
      return { threads, message };
    }
    return null;
  }

  /** Everything for the campaign report; plain data, JSON-serializable. */
  summary(): LockdepSummary {
    return {
      runs: this.run + 1,
      acquisitions: this.acquisitions,
      classes: CLASS_NAMES.map((name) => {
        const c = LOCK_CLASSES[name];
        return { name, rank: c.rank ?? null, leaf: c.leaf, forbidsSleep: c.forbidsSleep };
      }),
      edges: this.edgeOrder.map((key) => this.edge(key)),
      findings: [...this.found.values()].map((f) => ({ ...f })),
    };
  }

  /**
   * Fold in another validator's summary (a campaign's worker processes each keep their own):
   * its edges join this graph, so a cycle split across two workers is found here, and its
   * findings add their counts. Absorb each summary once. Returns the cycles the merge closed.
   */
  absorb(other: LockdepSummary): Finding[] {
    const closed: Finding[] = [];
    for (const e of other.edges) {
      const cycle = this.addEdge(classId(e.from), classId(e.to), e.first);
      if (cycle !== null) closed.push(cycle);
    }
    for (const f of other.findings) {
      const seen = this.found.get(f.key);
      if (seen === undefined) this.found.set(f.key, { ...f });
      // A cycle is closed once per graph: seen on both sides it is still one cycle.
      else if (f.kind !== "cycle") seen.count += f.count;
    }
    this.acquisitions += other.acquisitions;
    return closed;
  }

  private stackOf(thread: ThreadId): Held[] {
    let stack = this.held.get(thread);
    if (stack === undefined) this.held.set(thread, (stack = []));
    return stack;
  }

  private acquisition(thread: ThreadId, lock: LockInstance, held: LockInstance | null, site: Site): Acquisition {
    return { run: this.run, thread, command: site.command, step: site.step, lock: describeLock(lock), held: held === null ? "" : describeLock(held) };
  }

  private report(key: string, kind: FindingKind, at: Acquisition, message: string, extra: Partial<Finding> = {}): Finding {
    const seen = this.found.get(key);
    if (seen !== undefined) {
      seen.count += 1;
      return seen;
    }
    const finding: Finding = { key, kind, message, at, ...extra, count: 1 };
    this.found.set(key, finding);
    return finding;
  }

  private edge(key: string): CycleEdge {
    const [from, to] = key.split(",").map(Number) as [number, number];
    return { from: CLASS_NAMES[from]!, to: CLASS_NAMES[to]!, first: this.firstEdge.get(key)! };
  }

  /** Add from → to; if it is new and closes a cycle, the cycle finding. */
  private addEdge(from: number, to: number, acq: Acquisition): Finding | null {
    if (this.successors[from]!.has(to)) return null;
    const key = `${from},${to}`;
    this.successors[from]!.add(to);
    this.firstEdge.set(key, acq);
    this.edgeOrder.push(key);
    const back = this.path(to, from);
    if (back === null) return null;
    // The cycle: the new edge, then the existing path back to where it started.
    const nodes = [from, ...back];
    const edges = nodes.slice(0, -1).map((n, i) => this.edge(`${n},${nodes[i + 1]!}`));
    const names = edges.map((e) => e.from);
    // Canonical key: the rotation starting at the smallest class id, so each cycle is one finding.
    const ids = nodes.slice(0, -1);
    const start = ids.indexOf(Math.min(...ids));
    const canonical = [...ids.slice(start), ...ids.slice(0, start)].join(">");
    const scenario = edges.map((e, i) =>
      `thread ${letter(i)} holds ${e.from}, wants ${e.to} (as ${where(e.first)}: holding ${e.first.held}, took ${e.first.lock})`);
    const message = `cycle: ${[...names, names[0]!].join(" -> ")}; new edge ${CLASS_NAMES[from]} -> ${CLASS_NAMES[to]} by ${where(acq)}`;
    return this.report(`cycle|${canonical}`, "cycle", acq, message, { cycle: edges, scenario });
  }

  /** Shortest path of class ids from `from` to `to` (breadth-first, so reports stay short). */
  private path(from: number, to: number): number[] | null {
    const parent = new Map<number, number>([[from, from]]);
    const queue = [from];
    for (let i = 0; i < queue.length; i++) {
      const n = queue[i]!;
      if (n === to) {
        const path = [n];
        for (let p = n; p !== from; ) path.unshift((p = parent.get(p)!));
        return path;
      }
      for (const s of this.successors[n]!) {
        if (!parent.has(s)) {
          parent.set(s, n);
          queue.push(s);
        }
      }
    }
    return null;
  }
}
