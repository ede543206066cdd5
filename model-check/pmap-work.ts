/**
 * The pmap work an operation owes (reference §4.6 step 2d, §4.7 step 4, §4.10): `remove`
 * takes the range's translations away (pmap_remove), `protect` leaves none granting more than
 * an entry's new protection (pmap_protect; §4.7's quirk asks the checker for exactly this), and
 * `unwire` clears the wired bit of every PTE under an entry it unwired (vm_fault_unwire) — each
 * before it returns, with every TLB shot down.
 *
 * After every operation the MMU also re-derives every PTE from the maps (Mmu.revalidate), which
 * would quietly repair an operation that skipped its own pmap work: every later check sees a
 * coherent machine either way. On a real kernel there is no such pass, and a deallocate that
 * leaves its translations behind is a use-after-free. So the checker judges these three
 * operations at the instant their own work is done — when the MMU's coherence pass starts —
 * by the map entries they leave. Like the collapse and entry-shape watchers, it wraps the
 * kernel instance's own `run` and its MMU's `revalidate`, so the implementation carries no hook.
 *
 * The same instant judges a frame condition of those three, `wire` and a `copyin_page_list`
 * without PMAP_ENTER ({@link frameCondition}): an operation's own pmap work stays within its
 * range and takes no more than it owes, and a page list not asked to enter pages enters none.
 *
 * Not judged: the TLBs after a kernel thread's commit, which waits for its shootdowns itself
 * (the concurrency checker judges that wait); pages of a submap window still nested when the
 * operation is done (their PTEs are the submap's: a window the operation changes is un-nested
 * by the map first, and re-nested by the coherence pass), and the window
 * entries of `unwire` (a window's PTE is wired also when the submap's own page is).
 */
import type { Kernel } from "../impl/kernel.ts";
import type { Mmu } from "../impl/mmu/mmu.ts";
import type { VmMap } from "../impl/map/vm-map.ts";
import { hexAddr } from "../spec/abstract.ts";
import { VM_MAP_COPYIN_OPT_PMAP_ENTER } from "../spec/constants.ts";
import type { Op, OpResult } from "../spec/vocabulary.ts";

/** The first violation since the last check. */
export interface PmapWorkWatcher {
  finding: string | undefined;
}

const watchers = new WeakMap<Kernel, PmapWorkWatcher>();

type Judged = Extract<Op, { op: "remove" | "protect" | "unwire" }>;
const judged = (op: Op): op is Judged => op.op === "remove" || op.op === "protect" || op.op === "unwire";
/**
 * The operations whose pmap work stays within their range (the frame condition), and a
 * page-list copyin not asked to PMAP_ENTER: its faults make pages resident, and enter nothing.
 */
type Ranged = Judged | Extract<Op, { op: "wire" | "copyin_page_list" }>;
const ranged = (op: Op): op is Ranged =>
  judged(op) || op.op === "wire" || (op.op === "copyin_page_list" && (op.options & VM_MAP_COPYIN_OPT_PMAP_ENTER) === 0);

/** One PTE a pmap owns, as the frame condition compares it. */
interface OwnPte {
  readonly frame: number;
  readonly rights: number;
  readonly wired: boolean;
  /**
   * The page the frame held — object, index and buffer (a fault that replaces the page, or
   * pageout reclaiming the frame, unmaps the frame everywhere).
   */
  readonly page: readonly unknown[];
}

/** Watch every `remove`, `protect`, `unwire` and `wire` run on `kernel` from now on (idempotent). */
export function pmapWorkWatcher(kernel: Kernel): PmapWorkWatcher {
  const w = watchers.get(kernel);
  if (w !== undefined) return w;
  const watcher: PmapWorkWatcher = { finding: undefined };
  watchers.set(kernel, watcher);
  const mmu = kernel.mmu;
  if (mmu === null) return watcher;
  // The command in progress, until its first coherence pass; the finding waits for its result
  // (a failed operation owes nothing).
  let current: Ranged | undefined;
  let before: ReadonlyMap<number, OwnPte> | undefined;
  let pending: string | undefined;
  const run = kernel.run;
  kernel.run = function watchedRun(this: Kernel, op: Op): OpResult {
    current = ranged(op) ? op : undefined;
    before = current && ownPtes(mmu, kernel.maps[current.map]);
    pending = undefined;
    try {
      const result = run.call(this, op);
      if (result.kr === "KERN_SUCCESS") watcher.finding ??= pending;
      return result;
    } finally {
      current = undefined;
    }
  };
  const revalidate = mmu.revalidate;
  mmu.revalidate = function watchedRevalidate(this: Mmu): void {
    const op = current;
    current = undefined; // the pass may run itself again; only the first sees the operation's own work
    if (op !== undefined) pending = (judged(op) ? judge(kernel, mmu, op) : undefined) ?? (before && frameCondition(kernel, mmu, op, before));
    revalidate.call(this);
  };
  return watcher;
}

/** The finding of `op`'s own pmap work, judged by the entries it left. */
function judge(k: Kernel, mmu: Mmu, op: Judged): string | undefined {
  const map = k.maps[op.map];
  const ps = k.scope.pageSize;
  if (map === null || map === undefined || op.size === 0) return undefined;
  const start = Math.floor(op.addr / ps) * ps, end = Math.ceil((op.addr + op.size) / ps) * ps;
  const range = `${op.op} of map ${op.map} [${hexAddr(start)}, ${hexAddr(end)})`;
  // A kernel thread's commit leaves its shootdowns in flight and waits for them step by step
  // (the concurrency checker judges those waits): only its PTEs are judged here.
  const waitsItself = mmu.shootdowns.deferTo !== null;
  if (!waitsItself && mmu.shootdowns.inFlight.length > 0)
    return `${range} left a shootdown unacknowledged`;
  const pmap = mmu.pmaps.get(map);
  if (pmap === undefined) return undefined;
  // The range may span the whole address space: visit what is mapped or cached there, not every page.
  for (const vpn of pmap.present(start / ps, end / ps)) {
    const allowed = allowedAfter(map, op, vpn * ps);
    const pte = pmap.pte(vpn);
    if (allowed === undefined || pmap.nestAt(vpn) !== undefined || pte.frame < 0) continue;
    const where = `${range} left vpn ${hexAddr(vpn)}`;
    if (allowed.rights === -1) return `${where} with a PTE (frame ${pte.frame})`;
    if ((pte.rights & ~allowed.rights) !== 0) return `${where} with a PTE of rights ${pte.rights}, beyond its entry's ${allowed.rights}`;
    if (pte.wired && !allowed.wired) return `${where} with a wired PTE under an entry it unwired`;
  }
  if (waitsItself) return undefined;
  for (const c of mmu.cpus) {
    const t = c.tlb;
    for (let i = 0; i < t.entries; i++) {
      const vpn = t.vpn[i]!;
      if (t.asid[i] !== pmap.asid || vpn < start / ps || vpn >= end / ps || pmap.nestAt(vpn) !== undefined) continue;
      const allowed = allowedAfter(map, op, vpn * ps);
      if (allowed !== undefined && (allowed.rights === -1 || (t.rights[i]! & ~allowed.rights) !== 0))
        return `${range} left cpu ${c.id}'s TLB granting rights ${t.rights[i]} at vpn ${hexAddr(vpn)}`;
    }
  }
  return undefined;
}

/**
 * What a translation of `va` may hold once `op` succeeded: rights -1 for none at all; whether
 * it may be wired; undefined when the operation does not speak for it.
 */
function allowedAfter(map: VmMap, op: Judged, va: number): { rights: number; wired: boolean } | undefined {
  if (op.op === "remove") return { rights: -1, wired: false };
  const r = map.lookupEntry(va);
  if (!r.found) return op.op === "unwire" ? undefined : { rights: -1, wired: false };
  const e = r.entry;
  if (op.op === "protect") return { rights: e.protection, wired: true };
  return e.submap !== null || e.wiredCount > 0 ? undefined : { rights: 0xff, wired: false };
}

/** What frame `f` holds now: object, index, buffer and whether it is free. */
const framePage = (mmu: Mmu, f: number): unknown[] => [mmu.phys.object[f], mmu.phys.index[f], mmu.phys.bytes[f], mmu.phys.free[f]];

/** The PTEs the pmap of `map` owns now (none without a map or a pmap). */
function ownPtes(mmu: Mmu, map: VmMap | null | undefined): Map<number, OwnPte> {
  const own = new Map<number, OwnPte>();
  const pmap = map ? mmu.pmaps.get(map) : undefined;
  if (pmap === undefined) return own;
  for (const vpn of pmap.mapped) {
    const { frame, rights, wired } = pmap.pte(vpn);
    own.set(vpn, { frame, rights, wired, page: framePage(mmu, frame) });
  }
  return own;
}

/**
 * The frame condition of `op`'s own pmap work (pmap_remove and pmap_protect take a range; the
 * wiring faults and unwiring visit the range's entries): outside the range, every PTE the map's
 * pmap owned is still there as it was, and none is new; inside it, `remove`, `protect` and
 * `unwire` enter nothing, `protect` keeps each PTE's frame and wiring and takes away exactly
 * the rights its entry no longer grants (an unwired PTE whose rights all go may also be
 * removed, as pmap_protect to no rights removes), and `unwire` changes nothing but wired bits
 * (under the entries it unwired); a page-list copyin without PMAP_ENTER enters nothing. An operation that touched more than it owed — protected a neighbour with the wrong entry's protection, wired a
 * page past its range, unwired the page after it — is caught here; the MMU's coherence pass
 * would not repair it, for a PTE with fewer rights than allowed or an extra valid one is still
 * coherent.
 */
function frameCondition(k: Kernel, mmu: Mmu, op: Ranged, before: ReadonlyMap<number, OwnPte>): string | undefined {
  const map = k.maps[op.map];
  const ps = k.scope.pageSize;
  if (map === null || map === undefined || op.size === 0) return undefined;
  const first = Math.floor(op.addr / ps), end = Math.ceil((op.addr + op.size) / ps);
  const range = `${op.op} of map ${op.map} [${hexAddr(first * ps)}, ${hexAddr(end * ps)})`;
  const after = ownPtes(mmu, map);
  const show = (p: OwnPte | undefined): string => (p === undefined ? "no PTE" : `frame ${p.frame} rights ${p.rights}${p.wired ? " wired" : ""}`);
  const same = (a: OwnPte | undefined, b: OwnPte | undefined): boolean =>
    a === b || (a !== undefined && b !== undefined && a.frame === b.frame && a.rights === b.rights && a.wired === b.wired);
  for (const vpn of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(vpn), now = after.get(vpn);
    const where = `${range} changed vpn ${hexAddr(vpn)} from ${show(was)} to ${show(now)}`;
    if (vpn < first || vpn >= end) {
      // A fault of the range that replaced a page (a write where a read had mapped the zero
      // fill), or pageout taking a frame for it, unmaps the old frame everywhere:
      // pmap_page_protect's work, not the range's.
      const retired = was !== undefined && now === undefined &&
        (framePage(mmu, was.frame).some((x, i) => x !== was.page[i]) || mmu.shootdowns.deferredFrees.includes(was.frame));
      if (!same(was, now) && !retired) return `${where}, outside its range`;
      continue;
    }
    if (op.op === "wire" || op.op === "remove") continue; // wire enters what it faults; remove's PTEs are judged above
    if (was === undefined) {
      if (now !== undefined) return `${where}: it enters no translation`;
      continue;
    }
    // A page list's write fault may replace a page (its old frame retired): only entries are judged.
    if (op.op === "copyin_page_list") continue;
    if (op.op === "unwire") {
      // (Under an entry still wired, the wiring fault may enter its page again: as wire may.)
      const r = map.lookupEntry(vpn * ps);
      if (r.found && (r.entry.wiredCount > 0 || r.entry.submap !== null)) continue;
      if (now === undefined || now.frame !== was.frame || now.rights !== was.rights) return `${where}: unwiring changes only wired bits`;
      continue;
    }
    const r = map.lookupEntry(vpn * ps);
    if (!r.found || r.entry.submap !== null) continue; // a window's PTEs follow its submap (judged by the coherence checks)
    // (A PTE left with no rights at all grants what no PTE grants: either is exact.)
    const expected = { ...was, rights: was.rights & r.entry.protection };
    if (!same(expected, now) && !(now === undefined && expected.rights === 0 && !was.wired))
      return `${where}: pmap_protect to ${r.entry.protection} leaves ${show(expected)}`;
  }
  return undefined;
}
