/**
 * The entry boundaries the reference prescribes after `enter` and `simplify` (reference §4.3,
 * §4.15; §9.5 (c) and (d) make them observable: vm_region reports entries, and wiring and
 * protection act entry by entry), and the entries a command on a range must leave alone.
 *
 * The spec has no entries (DESIGN.md), so the refinement check cannot tell whether the
 * implementation coalesces and merges as Mach does: with both turned off every page still
 * matches, and so it does when they are made eager wherever the attributes the pages show
 * happen to agree (alias, for one, is not a page attribute). The checker therefore states the
 * two rules itself, independently of impl/map, and judges every command that allocates
 * anonymous memory (enter, the copyout of a kernel buffer) and every `simplify` by the kernel's
 * entries before and after it. Like the collapse watcher, it wraps the kernel
 * instance's own `run`, so the implementation carries no hook for it.
 */
import type { Kernel } from "../impl/kernel.ts";
import { mapEntries } from "../impl/map/map-check.ts";
import type { VmMapEntry } from "../impl/map/entry.ts";
import type { VmMap } from "../impl/map/vm-map.ts";
import { VM_BEHAVIOR_DEFAULT, VM_INHERIT_DEFAULT, VM_PROT_ALL, VM_PROT_DEFAULT } from "../spec/constants.ts";
import type { Op, OpArgs, OpResult } from "../spec/vocabulary.ts";
import { hexAddr } from "../spec/abstract.ts";

/** What the checker saw at the commands since the last check: the first violation of each rule. */
export interface EntryShapeWatcher {
  coalescing: string | undefined;
  merging: string | undefined;
  frame: string | undefined;
}

const watchers = new WeakMap<Kernel, EntryShapeWatcher>();

/** Watch every anonymous allocation and `simplify` run on `kernel` from now on (idempotent). */
export function entryShapeWatcher(kernel: Kernel): EntryShapeWatcher {
  const w = watchers.get(kernel);
  if (w !== undefined) return w;
  const watcher: EntryShapeWatcher = { coalescing: undefined, merging: undefined, frame: undefined };
  const run = kernel.run;
  kernel.run = function watchedRun(this: Kernel, op: Op): OpResult {
    const merge = op.op === "simplify" ? expectedMerge(kernel, op) : undefined;
    const allocation = anonymousAllocation(kernel, op);
    const frame = frameOf(kernel, op);
    const result = run.call(this, op);
    if (frame !== undefined) watcher.frame ??= judgeFrame(op, frame);
    if (result.kr === "KERN_SUCCESS") {
      const addr = (result as { addr?: number }).addr;
      if (allocation !== undefined && addr !== undefined) watcher.coalescing ??= judgeAllocation(kernel, allocation, addr);
      if (merge !== undefined) watcher.merging ??= judgeSimplify(merge);
    }
    return result;
  };
  watchers.set(kernel, watcher);
  return watcher;
}

/** The entry holding `addr`, found by walking the list (independent of the index and the hint). */
function entryAt(map: VmMap, addr: number): VmMapEntry | undefined {
  for (const e of mapEntries(map)) if (e.start <= addr && addr < e.end) return e;
  return undefined;
}

const range = (start: number, end: number): string => `[${hexAddr(start)}, ${hexAddr(end)})`;

// ---- enter: coalescing with the lower neighbour (§4.3, §5.6) ----

/** Anonymous memory a command maps at the address it returns, with the attributes it gets. */
interface Allocation {
  readonly what: string;
  readonly map: number;
  readonly size: number;
  readonly cur: number;
  readonly max: number;
  readonly inheritance: number;
  readonly alias: number;
}

/**
 * The anonymous allocation `op` makes, if any: an enter of anonymous memory, or the copyout of a
 * kernel-buffer copy (vm_map_copyout allocates it as vm_allocate does: default protection, all
 * of max, inheritance DEFAULT, no alias; reference §4.11.4), judged by the same rule.
 */
function anonymousAllocation(kernel: Kernel, op: Op): Allocation | undefined {
  if (op.op === "enter" && op.source.kind === "anonymous") return { what: "enter", ...op };
  if (op.op !== "copyout" || op.copy === null) return undefined;
  const copy = kernel.copyOf(op.copy);
  if (copy?.kind !== "kernel_buffer") return undefined;
  return { what: "copyout of a kernel buffer", map: op.map, size: copy.data.length, cur: VM_PROT_DEFAULT, max: VM_PROT_ALL, inheritance: VM_INHERIT_DEFAULT, alias: 0 };
}

/**
 * Why `prev` may not grow over anonymous memory allocated with `args` right after it, or
 * undefined when the reference grows it: unshared, not a submap, not in transition, unwired,
 * behavior DEFAULT, the same protections, inheritance and alias, and an object that is absent
 * or that `vm_object_coalesce` may grow (anonymous, one reference, no shadow, no copy object,
 * not truly shared). Its needs_copy is not consulted.
 */
function whyNotCoalesce(prev: VmMapEntry, args: Allocation): string | undefined {
  if (prev.submap !== null) return "it is a submap";
  if (prev.isShared) return "it is shared";
  if (prev.inTransition) return "it is in transition";
  if (prev.wiredCount !== 0 || prev.userWiredCount !== 0) return "it is wired";
  if (prev.behavior !== VM_BEHAVIOR_DEFAULT) return "its behavior is not DEFAULT";
  if (prev.protection !== args.cur || prev.maxProtection !== args.max) return "its protections differ";
  if (prev.inheritance !== args.inheritance) return "its inheritance differs";
  if (prev.alias !== args.alias) return "its alias differs";
  const o = prev.object;
  if (o === null) return undefined;
  if (o.kind !== "anonymous") return "its object is not anonymous";
  if (o.refCount !== 1) return `its object has ${o.refCount} references`;
  if (o.shadow !== null) return "its object has a shadow";
  if (o.copy !== null) return "its object has a copy object";
  if (o.trueShare) return "its object is truly shared";
  return undefined;
}

function judgeAllocation(kernel: Kernel, a: Allocation, addr: number): string | undefined {
  const map = kernel.mapOf(a.map);
  if (map === null) return undefined;
  const end = addr + Math.ceil(a.size / kernel.scope.pageSize) * kernel.scope.pageSize;
  const e = entryAt(map, addr);
  if (e === undefined) return `${a.what} of ${range(addr, end)} succeeded but no entry maps ${hexAddr(addr)}`;
  if (e.end !== end) return `${a.what} of ${range(addr, end)} left the entry ${range(e.start, e.end)} there, not one ending at ${hexAddr(end)}`;
  if (e.start < addr) {
    const why = whyNotCoalesce(e, a);
    return why === undefined ? undefined : `${a.what} of ${range(addr, end)} grew the entry before it to ${range(e.start, e.end)}, but the reference does not coalesce with it: ${why} (§4.3)`;
  }
  const prev = e.prev;
  if (prev === map.store.header || prev.end !== addr || whyNotCoalesce(prev, a) !== undefined) return undefined;
  return `${a.what} of ${range(addr, end)} made a new entry, but the reference grows the entry ${range(prev.start, prev.end)} before it instead (§4.3: anonymous memory after an unshared, unwired neighbour of equal attributes whose object can grow)`;
}

// ---- simplify: merging with both neighbours (§4.15) ----

/**
 * The reference's rule for merging `a` into `b` (or `b` into `a`): adjacent, the same object at
 * contiguous offsets, neither shared, a submap nor in transition, and every attribute equal
 * (the model's rule: alias included, both entries' flags checked).
 */
function mergeableByReference(a: VmMapEntry, b: VmMapEntry): boolean {
  const eligible = (e: VmMapEntry): boolean => !e.isShared && e.submap === null && !e.inTransition;
  return (
    a.end === b.start &&
    a.object === b.object &&
    a.offset + (a.end - a.start) === b.offset &&
    eligible(a) &&
    eligible(b) &&
    MERGE_ATTRIBUTES.every((key) => a[key] === b[key])
  );
}

/** The attributes two entries must agree in to be merged: every one but the range and the object window. */
const MERGE_ATTRIBUTES = ["needsCopy", "protection", "maxProtection", "inheritance", "behavior", "alias", "wiredCount", "userWiredCount"] as const satisfies readonly (keyof VmMapEntry)[];

interface ExpectedMerge {
  readonly map: VmMap;
  readonly addr: number;
  /** The entry holding `addr` before the command (undefined: unmapped). */
  readonly before: { start: number; end: number } | undefined;
  /** The entry that must hold `addr` after it (undefined: unmapped). */
  readonly after: { start: number; end: number } | undefined;
  /** The map's entry count before the command. */
  readonly nentries: number;
}

/**
 * The entry simplify must leave at `addr`, computed before it runs (for an unmapped `addr`: no
 * entry, and no merge anywhere, which `judgeSimplify` sees in the entry count).
 */
function expectedMerge(kernel: Kernel, op: OpArgs<"simplify">): ExpectedMerge | undefined {
  const map = kernel.mapOf(op.map);
  if (map === null) return undefined;
  const t = entryAt(map, op.addr);
  if (t === undefined) return { map, addr: op.addr, before: undefined, after: undefined, nentries: map.store.nentries };
  const header = map.store.header;
  // Merging the predecessor first leaves the entry with t's attributes and t's end, so the
  // successor's test is the same as against t itself.
  const start = t.prev !== header && mergeableByReference(t.prev, t) ? t.prev.start : t.start;
  const end = t.next !== header && mergeableByReference(t, t.next) ? t.next.end : t.end;
  return { map, addr: op.addr, before: { start: t.start, end: t.end }, after: { start, end }, nentries: map.store.nentries };
}

function judgeSimplify(m: ExpectedMerge): string | undefined {
  if (m.before === undefined || m.after === undefined) {
    const now = m.map.store.nentries;
    return now === m.nentries ? undefined : `simplify at ${hexAddr(m.addr)}, which no entry maps, changed the map's entry count from ${m.nentries} to ${now}; the reference merges nothing there (§4.15)`;
  }
  const { start, end } = m.after;
  const e = entryAt(m.map, m.addr);
  if (e !== undefined && e.start === start && e.end === end) return undefined;
  const got = e === undefined ? "nothing" : `the entry ${range(e.start, e.end)}`;
  return `simplify at ${hexAddr(m.addr)} (in ${range(m.before.start, m.before.end)}) left ${got} there; the reference's merges give ${range(start, end)} (§4.15: mergeable neighbours are adjacent, map the same object at contiguous offsets, are neither shared, submaps nor in transition, and agree in every attribute)`;
}

// ---- commands on a range: the entries outside it stay as they were ----

/** One entry's range, object window (the object itself, offset, needs_copy, submap) and every attribute, as the checker compares them. */
type EntryFields = readonly [start: number, end: number, object: VmMapEntry["object"], offset: number, needsCopy: boolean, submap: VmMap | null, usePmap: boolean, protection: number, maxProtection: number, inheritance: number, behavior: number, alias: number, wired: number, userWired: number, shared: boolean, inTransition: boolean];

function entryFields(e: VmMapEntry): EntryFields {
  return [e.start, e.end, e.object, e.offset, e.needsCopy, e.submap, e.usePmap, e.protection, e.maxProtection, e.inheritance, e.behavior, e.alias, e.wiredCount, e.userWiredCount, e.isShared, e.inTransition];
}

function formatFields(map: VmMap, [start, end, object, offset, needsCopy, submap, usePmap, prot, max, inheritance, behavior, alias, wired, userWired, shared, inTransition]: EntryFields): string {
  return (
    `[${hexAddr(start)}, ${hexAddr(end)}) object ${object?.id ?? "none"}+${hexAddr(offset)}${needsCopy ? " needs-copy" : ""}${submap ? ` submap ${map.host.handleOf(submap)}` : ""}${usePmap ? " use-pmap" : ""} ` +
    `${prot}/${max} inherit ${inheritance} behavior ${behavior} alias ${alias} wired ${wired}/${userWired}${shared ? " shared" : ""}${inTransition ? " in-transition" : ""}`
  );
}

/** One entry as the checker prints and compares it: its range, its object window and every attribute. */
export function entryLine(map: VmMap, e: VmMapEntry): string {
  return formatFields(map, entryFields(e));
}

/**
 * The commands whose contract names a range of one map and changes nothing of the map outside
 * it: they clip the entries the range cuts and change only entries it overlaps (a write fault
 * shadows or promotes an entry it reaches, a named entry names the objects of the entries it
 * covers, wiring faults in the entries it wires). An entry the page-rounded range does not
 * overlap keeps its range, its object window and every attribute.
 */
const RANGED_OPS = ["make_memory_entry", "protect", "inherit", "behavior_set", "machine_attribute", "wire", "unwire", "read_user", "write_user"] as const;
type RangedOp = (typeof RANGED_OPS)[number];

interface Frame {
  readonly map: VmMap;
  readonly start: number;
  readonly end: number;
  /** The entries outside `[start, end)` before the command, by start. */
  readonly outside: ReadonlyMap<number, EntryFields>;
}

/** The range `op` names in its map (page-rounded) and the entries outside it, or undefined when it names none (malformed arguments, no such map). */
function frameOf(kernel: Kernel, op: Op): Frame | undefined {
  if (!(RANGED_OPS as readonly string[]).includes(op.op)) return undefined;
  const o = op as OpArgs<RangedOp>;
  const size = "data" in o ? (o.data.length % 2 === 0 ? o.data.length / 2 : NaN) : o.size;
  const ps = kernel.scope.pageSize;
  if (!Number.isSafeInteger(o.addr) || !Number.isSafeInteger(size) || o.addr < 0 || size < 0) return undefined;
  const map = kernel.mapOf(o.map);
  if (map === null) return undefined;
  const start = o.addr - (o.addr % ps);
  const end = Math.ceil((o.addr + size) / ps) * ps;
  return { map, start, end, outside: entriesOutside(map, start, end) };
}

function entriesOutside(map: VmMap, start: number, end: number): Map<number, EntryFields> {
  const outside = new Map<number, EntryFields>();
  for (const e of mapEntries(map)) if (e.end <= start || e.start >= end) outside.set(e.start, entryFields(e));
  return outside;
}

function judgeFrame(op: Op, f: Frame): string | undefined {
  const after = new Map<number, VmMapEntry>();
  for (const e of mapEntries(f.map)) after.set(e.start, e);
  for (const [start, before] of f.outside) {
    const e = after.get(start);
    const now = e === undefined ? undefined : entryFields(e);
    if (now !== undefined && now.every((v, i) => v === before[i])) continue;
    const was = formatFields(f.map, before);
    return `${op.op} of ${range(f.start, f.end)} changed the entry ${range(before[0], before[1])} outside that range: it was ${was}; now ${now === undefined ? "no entry starts there" : formatFields(f.map, now)}`;
  }
  return undefined;
}
