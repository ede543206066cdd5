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
import type { Op, OpResult } from "../spec/vocabulary.ts";

/** The first violation since the last check. */
export interface PmapWorkWatcher {
  finding: string | undefined;
}

const watchers = new WeakMap<Kernel, PmapWorkWatcher>();

type Judged = Extract<Op, { op: "remove" | "protect" | "unwire" }>;
const judged = (op: Op): op is Judged => op.op === "remove" || op.op === "protect" || op.op === "unwire";

/** Watch every `remove`, `protect` and `unwire` run on `kernel` from now on (idempotent). */
export function pmapWorkWatcher(kernel: Kernel): PmapWorkWatcher {
  const w = watchers.get(kernel);
  if (w !== undefined) return w;
  const watcher: PmapWorkWatcher = { finding: undefined };
  watchers.set(kernel, watcher);
  const mmu = kernel.mmu;
  if (mmu === null) return watcher;
  // The command in progress, until its first coherence pass; the finding waits for its result
  // (a failed operation owes nothing).
  let current: Judged | undefined;
  let pending: string | undefined;
  const run = kernel.run;
  kernel.run = function watchedRun(this: Kernel, op: Op): OpResult {
    current = judged(op) ? op : undefined;
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
    if (op !== undefined) pending = judge(kernel, mmu, op);
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
