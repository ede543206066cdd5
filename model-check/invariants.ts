/**
 * The invariant registry: every structural property of the implementation the checker asserts
 * after each command, named and numbered after reference §6 where it comes from there. Each
 * check returns a sentence naming the first violation (map, entry, field) or undefined.
 *
 * Invariants look at the implementation's internals; refinement (the abstraction equals the
 * spec) is checked separately in lockstep.ts. Reference invariants not listed here need parts
 * that come later: #9 (page lists) and #20 (submaps), #17 (kernel_object) with the kernel
 * allocator. #19 and #21 (translations) are in mmu-invariants.ts. Every invariant has a test in
 * test/model-check/invariants.test.ts that corrupts a healthy state and shows it fires.
 */
import type { Kernel } from "../impl/kernel.ts";
import type { VmMap } from "../impl/map/vm-map.ts";
import type { VmMapEntry } from "../impl/map/entry.ts";
import { VmObject as VmObjectClass, type VmObject } from "../impl/object/vm-object.ts";
import type { ObjectLayer } from "../impl/object/object-layer.ts";
import { collapseObstacle } from "../impl/object/object-check.ts";
import { mapEntries } from "../impl/map/map-check.ts";
import { hexAddr, type AbstractWorld } from "../spec/abstract.ts";
import { entryShapeWatcher, type EntryShapeWatcher } from "./entry-shape.ts";
import { VM_INHERIT_COPY, VM_MAP_COPYIN_OPT_ALL } from "../spec/constants.ts";
import { pageListMax } from "../spec/scope.ts";
import { MMU_INVARIANTS } from "./mmu-invariants.ts";

export interface Invariant {
  /** Stable name, used in reports, coverage and counterexample files. */
  readonly name: string;
  /** Where it comes from: reference §6 item, or "vmcheck" for our own. */
  readonly ref: string;
  readonly description: string;
  /**
   * The message of the first violation, or undefined. `spec` gives the spec's abstract state
   * after the same commands, for the checks that judge the implementation by the spec alone
   * (built only when such a check asks for it); a check that needs it holds vacuously without.
   */
  readonly check: (kernel: Kernel, spec?: () => AbstractWorld) => string | undefined;
}

/** What the checker saw at the collapses since the last check: the first violation. */
interface CollapseWatcher {
  finding: string | undefined;
}
const collapseWatchers = new WeakMap<ObjectLayer, CollapseWatcher>();

/**
 * Watch every collapse of `layer` from now on (the post-condition of `collapse-complete` holds
 * at the instant collapse returns; later changes in the same command may legitimately undo it,
 * so it is judged there). The model checker installs it when it wraps a kernel. It wraps the
 * layer's own `collapse` (whatever class the layer is), so the implementation carries no hook
 * for it, and a collapse that does nothing at all is judged like any other.
 */
export function collapseWatcher(layer: ObjectLayer): CollapseWatcher {
  let w = collapseWatchers.get(layer);
  if (w === undefined) {
    const watcher: CollapseWatcher = { finding: undefined };
    const collapse = layer.collapse;
    layer.collapse = function watchedCollapse(this: ObjectLayer, o: VmObject): void {
      collapse.call(this, o);
      watcher.finding ??= collapseObstacle(o, layer.pageSize);
    };
    // A write that copies a page up into `o` must leave `o` collapsed (the layer's contract:
    // the chain is shortened after a copy-up), whether or not it calls collapse to do so.
    const pageForWrite = layer.pageForWrite;
    layer.pageForWrite = function watchedPageForWrite(this: ObjectLayer, o: VmObject, index: number): Uint8Array {
      const copiesUp = !o.pages.has(index);
      const page = pageForWrite.call(this, o, index);
      if (copiesUp) watcher.finding ??= collapseObstacle(o, layer.pageSize);
      return page;
    };
    collapseWatchers.set(layer, watcher);
    w = watcher;
  }
  return w;
}

/** The watcher's finding of one rule since the last check, cleared. */
function takeFinding(w: EntryShapeWatcher, rule: "coalescing" | "merging" | "frame"): string | undefined {
  const finding = w[rule];
  w[rule] = undefined;
  return finding;
}

/** Everything that holds a reference on an object, with how many references it holds. */
function objectHolders(k: Kernel): Map<VmObject, number> {
  const holders = new Map<VmObject, number>();
  for (const o of k.objects) hold(holders, o);
  for (const m of k.liveMaps()) for (let e = m.store.header.next, i = 0; e !== m.store.header && i <= m.store.nentries; e = e.next, i++) hold(holders, e.object);
  for (const c of k.copies) {
    if (c?.kind === "entry_list") for (const e of c.entries) hold(holders, e.object);
    else if (c?.kind === "object") hold(holders, c.object);
    else if (c?.kind === "page_list") for (const p of c.pages) hold(holders, p.object);
  }
  for (const n of k.namedEntries) for (const w of n.windows) hold(holders, w.object);
  for (const o of k.objectLayer.live) hold(holders, o.shadow);
  return holders;
}
function hold(holders: Map<VmObject, number>, o: VmObject | null): void {
  if (o) holders.set(o, (holders.get(o) ?? 0) + 1);
}

/**
 * An entry or a shadowing object using a window of a SYMMETRIC object; `writes`: it may write
 * there in place. `handle`: the map's handle for a map entry, -1 - the copy's for a copy entry.
 */
interface SymmetricUser {
  readonly from: number;
  readonly to: number;
  readonly writes: boolean;
  readonly holder: VmMapEntry | VmObject;
  readonly handle: number;
}

const where = (m: number, e: VmMapEntry) => `map ${m} entry [${hexAddr(e.start)}, ${hexAddr(e.end)})`;

/** Who a {@link SymmetricUser} is, for a message. */
const symmetricUserName = (u: SymmetricUser): string =>
  u.holder instanceof VmObjectClass ? `object ${u.holder.id} (its shadow)` : u.handle >= 0 ? where(u.handle, u.holder) : `copy ${-1 - u.handle} entry [${hexAddr(u.holder.start)}, ${hexAddr(u.holder.end)})`;

/** Run `f` on each live map (those alive only as submaps too); the first message wins. */
function eachMap(kernel: Kernel, f: (map: VmMap, handle: number) => string | undefined): string | undefined {
  for (const map of kernel.liveMaps()) {
    const msg = f(map, kernel.handleOf(map));
    if (msg) return msg;
  }
  return undefined;
}

/**
 * How many references each map must hold: its handle's, one per submap entry mapping it (§6.9 #38).
 * With `resident`, only the resident ones (`res_count`, #37): not the handle's swapped-out
 * references, nor the submap entries of a swapped-out map.
 */
function mapHolders(k: Kernel, resident = false): Map<VmMap, number> {
  const holders = new Map<VmMap, number>();
  const hold = (m: VmMap, n = 1) => holders.set(m, (holders.get(m) ?? 0) + n);
  k.maps.forEach((m, h) => m && hold(m, k.names[h]! - (resident ? k.swapped[h]! : 0)));
  for (const m of k.liveMaps()) if (!resident || m.swState === "in") for (const e of mapEntries(m)) if (e.submap) hold(e.submap);
  for (const r of k.liveRegions()) {
    hold(r.text);
    hold(r.data);
  }
  for (const n of k.namedEntries) if (n.submap) hold(n.submap);
  return holders;
}

/** Run `f` on each entry of each live map, in list order (bounded as {@link entries} is); the first message wins. */
function eachEntry(kernel: Kernel, f: (e: VmMapEntry, map: VmMap, handle: number) => string | undefined): string | undefined {
  for (const map of kernel.liveMaps()) {
    const h = kernel.handleOf(map);
    const header = map.store.header;
    let e = header.next;
    for (let i = 0; e !== header && i <= map.store.nentries; i++, e = e.next) {
      const msg = f(e, map, h);
      if (msg) return msg;
    }
  }
  return undefined;
}

const isLiveEntry = (map: VmMap, x: VmMapEntry): boolean => {
  if (x === map.store.header) return true;
  for (const e of mapEntries(map)) if (e === x) return true;
  return false;
};

/** first_free per reference §3.2: the last entry of the gap-free run starting at min, or the header. */
function expectedFirstFree(map: VmMap): VmMapEntry {
  const header = map.store.header;
  let ff = header;
  let reach = map.min;
  for (const e of mapEntries(map)) {
    if (e.start !== reach) break;
    ff = e;
    reach = e.end;
  }
  return ff;
}

const wireCountOk = (x: number, max: number) => Number.isInteger(x) && x >= 0 && x <= max;

export const INVARIANTS: readonly Invariant[] = [
  {
    name: "list-structure",
    ref: "§6.1 #1",
    description: "Entries form a circular doubly linked list through the header: x.next.prev = x and x.prev.next = x for every node, and walking next from the header returns to it after exactly nentries entries.",
    check: (k) =>
      eachMap(k, (map, h) => {
        const header = map.store.header;
        const n = map.nentries; // the map's own count (vm_map's nentries), as users read it
        let x = header;
        for (let i = 0; i <= n; i++) {
          if (x.next.prev !== x) return `map ${h}: next.prev of the node at ${hexAddr(x.start)} is not that node`;
          if (x.prev.next !== x) return `map ${h}: prev.next of the node at ${hexAddr(x.start)} is not that node`;
          x = x.next;
          if (x === header) return i === n ? undefined : `map ${h}: list has ${i} entries, nentries says ${n}`;
        }
        return `map ${h}: walking next from the header does not return after nentries = ${n} entries`;
      }),
  },
  {
    name: "header-bounds",
    ref: "§6.1 #2",
    description: "The header holds the map's bounds (header.start = min_offset, header.end = max_offset): page-aligned, min ≤ max ≤ 2^W. Refinement compares them with the bounds the map was created with.",
    check: (k) =>
      eachMap(k, (map, h) => {
        const hd = map.store.header;
        const ps = k.scope.pageSize;
        if (hd.start % ps !== 0 || hd.end % ps !== 0) return `map ${h}: header bounds [${hexAddr(hd.start)}, ${hexAddr(hd.end)}) not page-aligned`;
        if (hd.start > hd.end) return `map ${h}: min ${hexAddr(hd.start)} > max ${hexAddr(hd.end)}`;
        return hd.end <= 2 ** k.scope.addressBits ? undefined : `map ${h}: max ${hexAddr(hd.end)} beyond 2^W`;
      }),
  },
  {
    name: "entry-aligned",
    ref: "§6.1 #3",
    description: "Every entry has start < end, both page-aligned.",
    check: (k) =>
      eachEntry(k, (e, _m, h) => {
        const ps = k.scope.pageSize;
        if (!(e.start < e.end)) return `${where(h, e)}: start is not below end`;
        if (e.start % ps !== 0 || e.end % ps !== 0) return `${where(h, e)}: not page-aligned`;
        return undefined;
      }),
  },
  {
    name: "entries-ordered",
    ref: "§6.1 #4",
    description: "Consecutive entries are strictly ordered and do not overlap: a.end ≤ b.start.",
    check: (k) =>
      eachMap(k, (map, h) => {
        let prev: VmMapEntry | undefined;
        for (const e of mapEntries(map)) {
          if (prev && prev.end > e.start) return `${where(h, prev)} overlaps or follows ${where(h, e)}`;
          prev = e;
        }
        return undefined;
      }),
  },
  {
    name: "entries-in-bounds",
    ref: "§6.1 #5",
    description: "Every entry lies within [min_offset, max_offset].",
    check: (k) => eachEntry(k, (e, map, h) => (e.start < map.min || e.end > map.max ? `${where(h, e)} is outside [${hexAddr(map.min)}, ${hexAddr(map.max)})` : undefined)),
  },
  {
    name: "nentries-count",
    ref: "§6.2 #6",
    description: "nentries equals the number of entries in the list.",
    check: (k) =>
      eachMap(k, (map, h) => {
        let n = 0;
        for (const _ of mapEntries(map)) n++;
        return n === map.store.nentries ? undefined : `map ${h}: nentries ${map.store.nentries}, list holds ${n}`;
      }),
  },
  {
    name: "size-accounting",
    ref: "§6.2 #7",
    description: "map.size equals the sum of the entries' sizes.",
    check: (k) =>
      eachMap(k, (map, h) => {
        let sum = 0;
        for (const e of mapEntries(map)) sum += e.end - e.start;
        return sum === map.size ? undefined : `map ${h}: size ${hexAddr(map.size)}, entries sum to ${hexAddr(sum)}`;
      }),
  },
  {
    name: "search-tree",
    ref: "vmcheck",
    description: "The O(log n) entry index agrees with the list: in-order traversal equals list order, the tree is balanced, and every subtree's largest-gap annotation is exact.",
    check: (k) => eachMap(k, (map, h) => {
      const msg = map.store.validate();
      return msg ? `map ${h}: ${msg}` : undefined;
    }),
  },
  {
    name: "hint-valid",
    ref: "§6.3 #10",
    description: "The lookup hint is the header or a live entry of this map.",
    check: (k) => eachMap(k, (map, h) => (isLiveEntry(map, map.hint) ? undefined : `map ${h}: hint [${hexAddr(map.hint.start)}, ${hexAddr(map.hint.end)}) is not a live entry`)),
  },
  {
    name: "first-free-valid",
    ref: "§6.3 #11",
    description: "first_free is the last entry of the gap-free run starting at min_offset (or the header when min_offset is unmapped).",
    check: (k) =>
      eachMap(k, (map, h) => {
        const want = expectedFirstFree(map);
        if (map.firstFree === want) return undefined;
        const name = (e: VmMapEntry) => (e === map.store.header ? "the header" : `[${hexAddr(e.start)}, ${hexAddr(e.end)})`);
        return `map ${h}: first_free is ${name(map.firstFree)}, should be ${name(want)}`;
      }),
  },
  {
    name: "hint-independence",
    ref: "§6.3 #12",
    description: "Hints never change results: looking up an address gives the same entry whatever the hint holds.",
    check: (k) =>
      eachMap(k, (map, h) => {
        const saved = map.hint;
        const header = map.store.header;
        const hints: VmMapEntry[] = [header, header.next, header.prev];
        const probes: number[] = [map.min];
        for (const e of mapEntries(map)) probes.push(e.start, e.end - 1, e.end);
        try {
          for (const addr of probes) {
            if (addr >= map.max) continue;
            map.hint = header;
            const reference = map.lookupEntry(addr);
            for (const hint of hints) {
              map.hint = hint;
              const got = map.lookupEntry(addr);
              if (got.found !== reference.found || got.entry !== reference.entry)
                return `map ${h}: lookup of ${hexAddr(addr)} with hint at ${hexAddr(hint.start)} gives a different entry`;
            }
          }
          return undefined;
        } finally {
          map.hint = saved;
        }
      }),
  },
  {
    name: "wire-count-bounds",
    ref: "§6.4 #13",
    description: "0 ≤ user_wired_count ≤ MAX_WIRE_COUNT and 0 ≤ wired_count ≤ MAX_WIRE_COUNT.",
    check: (k) =>
      eachEntry(k, (e, _m, h) => {
        const max = k.scope.maxWireCount;
        return wireCountOk(e.wiredCount, max) && wireCountOk(e.userWiredCount, max) ? undefined : `${where(h, e)}: wired ${e.wiredCount}, user wired ${e.userWiredCount}, bound ${max}`;
      }),
  },
  {
    name: "user-wire-implies-wired",
    ref: "§6.4 #14",
    description: "All user wirings together count as one wiring: user_wired_count > 0 ⇒ wired_count ≥ 1 (so wired − [user > 0] is the number of kernel wirings).",
    check: (k) => eachEntry(k, (e, _m, h) => (e.userWiredCount > 0 && e.wiredCount < 1 ? `${where(h, e)}: user wired ${e.userWiredCount} but wired ${e.wiredCount}` : undefined)),
  },
  {
    name: "wired-resident",
    ref: "§6.4 #15",
    description: "A wired entry has an object and every one of its pages is resident (wiring faults the whole entry in); a wired submap entry's count is its own.",
    check: (k) =>
      eachEntry(k, (e, _m, h) => {
        if (e.wiredCount === 0 || e.submap !== null) return undefined;
        if (!e.object) return `${where(h, e)}: wired without an object`;
        const ps = k.scope.pageSize;
        for (let a = e.start; a < e.end; a += ps) {
          const index = (e.offset + (a - e.start)) / ps;
          if (!e.object.pages.has(index)) return `${where(h, e)}: wired page ${hexAddr(a)} not resident`;
        }
        return undefined;
      }),
  },
  {
    name: "wired-no-needs-copy",
    ref: "§6.4 #16",
    description: "Wired ranges never hold needs_copy entries: wiring resolves a pending copy first. (A copy-on-write submap entry's wiring is its own count, as every submap entry's: it is promoted, wired, by its first write; reference §6.4 #15 allows the exemption.)",
    check: (k) => eachEntry(k, (e, _m, h) => (e.wiredCount > 0 && e.needsCopy && e.submap === null ? `${where(h, e)}: wired with needs_copy` : undefined)),
  },
  {
    name: "prot-within-max",
    ref: "§6.5 #18",
    description: "protection ⊆ max_protection for every entry.",
    check: (k) => eachEntry(k, (e, _m, h) => ((e.protection & ~e.maxProtection) !== 0 ? `${where(h, e)}: protection ${e.protection} exceeds max ${e.maxProtection}` : undefined)),
  },
  {
    name: "object-refcounts",
    ref: "§6.6 #25",
    description: "Every live object's reference count equals its holders: map entries, copy entries, object copies, pages a page list holds busy in it, named-entry windows, objects shadowing it, and the kernel's own reference on a shared memory object.",
    check: (k) => {
      const holders = objectHolders(k);
      for (const o of k.objectLayer.live) {
        const n = holders.get(o) ?? 0;
        if (o.refCount !== n) return `object ${o.id}: refCount ${o.refCount}, held by ${n}`;
      }
      for (const o of holders.keys()) if (!o.alive) return `object ${o.id} is terminated but still held`;
      return undefined;
    },
  },
  {
    name: "no-leaks",
    ref: "§6.9, vmcheck",
    description: "Nothing leaks: every live object is held by something (a map entry, a copy, a page a page list holds, a named entry, a shadowing object or the kernel), so after every map and copy is released no anonymous object and no page remain; and every page marked busy is held by a live page-list copy, so releasing the copies un-busies every page.",
    check: (k) => {
      const holders = objectHolders(k);
      for (const o of k.objectLayer.live) if (!holders.has(o)) return `object ${o.id} (${o.kind}, ${o.pages.size} resident pages) is live but held by nothing`;
      const held = new Set<unknown>();
      for (const c of k.copies) if (c?.kind === "page_list") c.pages.forEach((p) => held.add(p));
      for (const o of k.objectLayer.live)
        for (const [i, p] of o.busy) if (!held.has(p)) return `object ${o.id} page ${i} is busy but no live page list holds it`;
      return undefined;
    },
  },
  {
    name: "shadow-chains-bounded",
    ref: "issue 3 (chains stay short)",
    description: "No shadow chain is longer than the object layer's bound plus one (a copy object over a source at the bound): collapse, bypass and the chain limit keep chains short whatever the history.",
    check: (k) => {
      const layer = k.objectLayer;
      for (const o of layer.live) {
        let n = 0;
        for (let x: VmObject | null = o; x && n <= layer.maxChainLength + 1; x = x.shadow) n++;
        if (n > layer.maxChainLength + 1) return `object ${o.id}: its shadow chain is longer than ${layer.maxChainLength + 1} objects`;
      }
      return undefined;
    },
  },
  {
    name: "collapse-complete",
    ref: "§5.7, vmcheck",
    description: "Whenever collapse returns, and whenever a write has copied a page up into an object (which must leave it collapsed), nothing more can go from under that object: its backing object receives pushes, or is held by others (or not internal) and holds a page the object can see and lacks; and the object does not keep a shadow it never reads through. Judged at that instant (the checker watches every collapse), from the pages.",
    check: (k) => {
      const w = collapseWatcher(k.objectLayer);
      const finding = w.finding;
      w.finding = undefined;
      return finding;
    },
  },
  {
    name: "enter-coalescing",
    ref: "§4.3, §9.5 (c)",
    description: "Anonymous memory allocated right after an entry (by enter, or by the copyout of a kernel buffer, which allocates as vm_allocate does) grows that entry exactly when the reference coalesces: the neighbour is unshared, not a submap, not in transition, unwired, of behavior DEFAULT, with the same protections, inheritance and alias, and its object is absent or growable (anonymous, one reference, no shadow, no copy object, not truly shared); otherwise the range gets an entry of its own. Judged at each such command (the checker watches every command), by the checker's own statement of the rule.",
    check: (k) => takeFinding(entryShapeWatcher(k), "coalescing"),
  },
  {
    name: "simplify-merging",
    ref: "§4.15, §9.5 (d)",
    description: "simplify(addr) leaves at addr exactly the entry the reference's merges give: the entry holding addr joined with its predecessor and its successor where they are mergeable (adjacent, the same object at contiguous offsets, neither shared, a submap nor in transition, every attribute equal). Judged at each simplify, from the entries before and after it.",
    check: (k) => takeFinding(entryShapeWatcher(k), "merging"),
  },
  {
    name: "range-frame",
    ref: "§4.7–§4.10, §4.18, §4.19, §4.21, vmcheck",
    description: "A command on a range of one map (make_memory_entry, protect, inherit, behavior_set, machine_attribute, wire, unwire, read_user, write_user) leaves every entry of that map that the page-rounded range does not overlap as it was: the same range, object, offset, needs_copy and attributes. It may clip the entries the range cuts and change those it overlaps (a write fault shadows the whole entry it lands in). Judged at each such command, from the entries before and after it.",
    check: (k) => takeFinding(entryShapeWatcher(k), "frame"),
  },
  {
    name: "shadow-chains-acyclic",
    ref: "§6.6 #23",
    description: "Shadow chains are finite and acyclic, and every object on a chain is live.",
    check: (k) => {
      for (const o of k.objectLayer.live) {
        const seen = new Set<VmObject>();
        for (let x: VmObject | null = o; x; x = x.shadow) {
          if (seen.has(x)) return `object ${o.id}: its shadow chain loops at object ${x.id}`;
          if (!x.alive) return `object ${o.id}: shadows terminated object ${x.id}`;
          seen.add(x);
        }
      }
      return undefined;
    },
  },
  {
    name: "copy-object-shape",
    ref: "§6.6 #24",
    description: "S.copy = C implies C.shadow = S at offset 0, and S is a delayed-copy (DELAY) object: only those honour copy-object pushes.",
    check: (k) => {
      for (const s of k.objectLayer.live) {
        const c = s.copy;
        if (!c) continue;
        if (c.shadow !== s || c.shadowOffset !== 0) return `object ${s.id}: copy object ${c.id} does not shadow it at offset 0`;
        if (s.strategy !== "delay") return `object ${s.id} has copy object ${c.id} but strategy ${s.strategy}`;
      }
      return undefined;
    },
  },
  {
    name: "shared-not-symmetric",
    ref: "§6.6 #26",
    description: "Entries marked is_shared map objects that are not SYMMETRIC: sharing converts them to DELAY, so a later copy cannot be made by marking the source copy-on-write.",
    check: (k) => eachEntry(k, (e, _m, h) => (e.isShared && e.object && e.object.strategy === "symmetric" ? `${where(h, e)}: shared entry maps symmetric object ${e.object.id}` : undefined)),
  },
  {
    name: "symmetric-one-writer",
    ref: "§5.1",
    description: "A SYMMETRIC object is written in place through one entry at most: where an entry (of a map, or of an entry-list copy, which becomes one at copyout) maps its pages without needs_copy, no other entry maps those pages and no object shadows them. A symmetric copy has no copy object to push old contents into; it relies on marking both sides needs_copy, so that the first writer interposes a shadow.",
    check: (k) => {
      // Who uses which window of each SYMMETRIC object; messages are built only on a failure.
      const users = new Map<VmObject, SymmetricUser[]>();
      const use = (o: VmObject | null, from: number, size: number, writes: boolean, holder: SymmetricUser["holder"], handle: number): void => {
        // Every user holds a reference (object-refcounts checks the counts), so an object with one
        // reference has one user: most anonymous memory is skipped here.
        if (o === null || o.strategy !== "symmetric" || o.refCount < 2) return;
        const u: SymmetricUser = { from, to: from + size, writes, holder, handle };
        const list = users.get(o);
        if (list === undefined) users.set(o, [u]);
        else list.push(u);
      };
      for (const map of k.liveMaps()) {
        const h = k.handleOf(map);
        for (const e of mapEntries(map)) use(e.object, e.offset, e.end - e.start, !e.needsCopy, e, h);
      }
      k.copies.forEach((c, h) => {
        if (c?.kind === "entry_list") for (const e of c.entries) use(e.object, e.offset, e.end - e.start, !e.needsCopy, e, -1 - h);
      });
      for (const o of k.objectLayer.live) use(o.shadow, o.shadowOffset, o.size, false, o, -1);
      for (const [o, list] of users) {
        if (list.length < 2) continue;
        for (const w of list) {
          if (!w.writes) continue;
          const other = list.find((u) => u !== w && u.from < w.to && w.from < u.to);
          if (other) return `${symmetricUserName(w)} writes symmetric object ${o.id} in place (no needs_copy) over [${hexAddr(w.from)}, ${hexAddr(w.to)}), where ${symmetricUserName(other)} also reads it at [${hexAddr(other.from)}, ${hexAddr(other.to)})`;
        }
      }
      return undefined;
    },
  },
  {
    name: "copy-entries-clean",
    ref: "§6.2 #8, §6.6 #27",
    description: "An entry-list copy covers [trunc(offset), round(offset + size)) with contiguous entries, none wired, in transition, owed a wakeup or shared.",
    check: (k) => {
      const ps = k.scope.pageSize;
      for (let c = 0; c < k.copies.length; c++) {
        const copy = k.copies[c];
        if (!copy || copy.kind !== "entry_list" || copy.entries.length === 0) continue;
        let at = copy.offset - (copy.offset % ps);
        for (const e of copy.entries) {
          if (e.start !== at) return `copy ${c}: entry [${hexAddr(e.start)}, ${hexAddr(e.end)}) should start at ${hexAddr(at)}`;
          if (e.wiredCount || e.userWiredCount || e.inTransition || e.needsWakeup || e.isShared)
            return `copy ${c}: entry [${hexAddr(e.start)}, ${hexAddr(e.end)}) is wired, in transition, owed a wakeup or shared`;
          at = e.end;
        }
        const end = Math.ceil((copy.offset + copy.size) / ps) * ps;
        if (at !== end) return `copy ${c}: entries end at ${hexAddr(at)}, should end at ${hexAddr(end)}`;
      }
      return undefined;
    },
  },
  {
    name: "page-list-shape",
    ref: "§6.2 #9",
    description: "A page-list copy holds at most pageListMax pages, no more than its range spans; a loose (stolen) copy has no page left in an object; a held page is busy in its live object under that very record and is the physical page the object holds there; a continuation names its map by its handle (unless an over-release destroyed it), a page-aligned range starting where the copy's range goes on, and known options.",
    check: (k) => {
      const ps = k.scope.pageSize;
      const max = pageListMax(k.scope);
      for (let h = 0; h < k.copies.length; h++) {
        const c = k.copies[h];
        if (c?.kind !== "page_list") continue;
        const span = Math.ceil((c.offset + c.size) / ps) - Math.floor(c.offset / ps);
        if (c.pages.length > Math.min(max, span)) return `copy ${h}: page list holds ${c.pages.length} pages (limit ${max}, range ${span})`;
        for (const p of c.pages) {
          const o = p.object;
          if (o === null) continue;
          if (c.loose) return `copy ${h}: loose page list still holds page ${p.index} of object ${o.id}`;
          if (!o.alive || o.busy.get(p.index) !== p) return `copy ${h}: page ${p.index} of object ${o.id} is not busy for it`;
          if (o.pages.get(p.index) !== p.bytes) return `copy ${h}: page ${p.index} of object ${o.id} is not the page it holds`;
        }
        const n = c.cont;
        if (n === null) continue;
        // (Whether a map without a handle may still hold references — submap entries, regions and
        // named entries keep maps alive — is map-references' and submap-references' to say.)
        if (n.start % ps !== 0 || n.end % ps !== 0 || n.start > n.end) return `copy ${h}: continuation range [${hexAddr(n.start)}, ${hexAddr(n.end)}) malformed`;
        if (n.start < n.end && Math.floor(c.offset / ps) * ps + c.pages.length * ps !== n.start && c.pages.length > 0)
          return `copy ${h}: continuation starts at ${hexAddr(n.start)}, not after the copy's ${c.pages.length} pages`;
        if ((n.options & ~VM_MAP_COPYIN_OPT_ALL) !== 0) return `copy ${h}: continuation options ${hexAddr(n.options)} unknown`;
      }
      return undefined;
    },
  },
  {
    name: "object-window",
    ref: "vmcheck",
    description: "Every entry's window [offset, offset + size) lies inside its object, page-aligned.",
    check: (k) =>
      eachEntry(k, (e, _m, h) => {
        if (!e.object) return undefined;
        if (e.offset % k.scope.pageSize !== 0) return `${where(h, e)}: offset ${hexAddr(e.offset)} not page-aligned`;
        return e.offset + (e.end - e.start) <= e.object.size ? undefined : `${where(h, e)}: window ends at ${hexAddr(e.offset + e.end - e.start)} beyond object ${e.object.id} of size ${hexAddr(e.object.size)}`;
      }),
  },
  {
    name: "pages-within-object",
    ref: "vmcheck",
    description: "Every resident page of a live object lies inside the object: its index is below the object's size in pages. A page outside can never be read, only leak memory; a chain walk, copy-up, push, absorb or flatten that computed a wrong index puts it there.",
    check: (k) => {
      const ps = k.scope.pageSize;
      for (const o of k.objectLayer.live)
        for (const i of o.pages.keys())
          if (!(Number.isInteger(i) && i >= 0 && i < o.size / ps)) return `object ${o.id} (${o.size / ps} pages) holds a page at index ${i}`;
      return undefined;
    },
  },
  {
    name: "shadow-window",
    ref: "§5.2, vmcheck",
    description: "An object's window onto its shadow lies inside the shadow: the shadow offset is page-aligned and not negative, and offset + size is at most the shadow's size. Every page the object can read through its chain is then a page of each object below; a shadow, collapse, bypass or copy object that computed a wrong offset or size reads outside it (wrong bytes, or none).",
    check: (k) => {
      const ps = k.scope.pageSize;
      for (const o of k.objectLayer.live) {
        const b = o.shadow;
        if (b === null) continue;
        if (o.shadowOffset < 0 || o.shadowOffset % ps !== 0 || o.shadowOffset + o.size > b.size)
          return `object ${o.id} sees [${hexAddr(o.shadowOffset)}, ${hexAddr(o.shadowOffset + o.size)}) of object ${b.id} (size ${hexAddr(b.size)})`;
      }
      return undefined;
    },
  },
  {
    name: "object-kinds",
    ref: "§5, vmcheck",
    description: "An object is pager-backed (`shared`, not internal) exactly when it is one of the kernel's memory objects (object_create); every other object — zero-fill memory, shadows, copy objects, physical copies, page-list objects — is internal anonymous memory. An internal object marked otherwise would be DELAY from birth, never absorbed by collapse and never grown by coalescing.",
    check: (k) => {
      const memoryObjects = new Set(k.objects);
      for (const o of k.objectLayer.live) {
        const want = memoryObjects.has(o) ? "shared" : "anonymous";
        if (o.kind !== want) return `object ${o.id} is of kind "${o.kind}" but ${want === "shared" ? "is a memory object" : "is not a memory object"}`;
      }
      return undefined;
    },
  },
  {
    name: "quiescent-entries",
    ref: "§6.7 #31",
    description: "At quiescence no entry is in transition or owed a wakeup.",
    check: (k) => eachEntry(k, (e, _m, h) => (e.inTransition || e.needsWakeup ? `${where(h, e)}: in_transition ${e.inTransition}, needs_wakeup ${e.needsWakeup}` : undefined)),
  },
  {
    name: "map-references",
    ref: "§6.9 #36",
    description: "Every live map has ref_count ≥ 1, and a map with references is live (reachable from a handle, a region, a named entry or a live map's submap entries: none leaks); a destroyed map (ref_count 0) has no entries left and nothing maps it.",
    check: (k) => {
      const live = new Set(k.liveMaps());
      for (const [h, map] of k.everyMap) {
        if (live.has(map) && map.refCount < 1) return `map ${h}: live with ref_count ${map.refCount}`;
        if (!live.has(map) && map.refCount > 0) return `map ${h}: leaked: ref_count ${map.refCount} but nothing reaches it`;
        if (map.refCount === 0 && map.nentries > 0) return `map ${h}: destroyed but still holds ${map.nentries} entries`;
        if (map.refCount === 0 && live.has(map)) return `map ${h}: destroyed but still mapped as a submap`;
      }
      return undefined;
    },
  },
  {
    name: "handle-counts",
    ref: "§6.9 #36–37",
    description: "Every map handle's counts are consistent: a NULL handle holds no reference (none made through it, none swapped out); a handle that names a map holds at least one, and between none and all of them swapped out. A reference dropped through a handle that is already NULL (an over-release seen twice) would leave it negative.",
    check: (k) => {
      for (let h = 0; h < k.maps.length; h++) {
        const names = k.names[h]!, swapped = k.swapped[h]!;
        if (k.maps[h] === null) {
          if (names !== 0 || swapped !== 0) return `map handle ${h} is NULL but holds ${names} references, ${swapped} of them swapped out`;
        } else if (!(names >= 1 && swapped >= 0 && swapped <= names)) return `map handle ${h} holds ${names} references, ${swapped} of them swapped out`;
      }
      return undefined;
    },
  },
  {
    name: "submap-references",
    ref: "§6.9 #38",
    description: "A map's ref_count is exactly its holders: the references its handle's users hold, one per submap entry mapping it (clipping a submap entry adds one), one per shared region it is the text or data submap of, one per named entry backed by it.",
    check: (k) => {
      for (const [map, n] of mapHolders(k))
        if (map.refCount !== n) return `map ${k.handleOf(map)}: ref_count ${map.refCount}, held by ${n}`;
      return undefined;
    },
  },
  {
    name: "map-residence",
    ref: "§6.9 #37",
    description: "With the task swapper: 0 ≤ res_count ≤ ref_count, and res_count is exactly the resident holders (the handle's references not swapped out, submap entries of resident maps, regions, named entries); sw_state is OUT exactly when res_count is 0.",
    check: (k) => {
      const resident = mapHolders(k, true);
      for (const map of k.liveMaps()) {
        const n = resident.get(map) ?? 0, h = k.handleOf(map);
        if (map.resCount < 0 || map.resCount > map.refCount) return `map ${h}: res_count ${map.resCount}, ref_count ${map.refCount}`;
        if (map.resCount !== n) return `map ${h}: res_count ${map.resCount}, resident holders ${n}`;
        if ((map.swState === "out") !== (map.resCount === 0)) return `map ${h}: sw_state ${map.swState} with res_count ${map.resCount}`;
      }
      return undefined;
    },
  },
  {
    name: "region-references",
    ref: "§1.7, §4.22",
    description: "A shared region's ref_count is its creator's reference while held plus one per live region chained to it (object_chain); its depth counts every chain ever attached to it (a destroyed one does not lower it), so at least the live ones.",
    check: (k) => {
      const live = k.liveRegions();
      for (const [i, r] of k.regions.entries()) {
        const chained = live.filter((x) => x.chain === r).length;
        const ever = k.regions.filter((x) => x.chain === r).length;
        if (r.refCount !== (r.held ? 1 : 0) + chained || r.depth !== ever) return `shared region ${i}: ref_count ${r.refCount}${r.held ? " (held)" : ""}, depth ${r.depth}, chained to by ${chained} live of ${ever}`;
      }
      return undefined;
    },
  },
  {
    name: "submap-inheritance",
    ref: "§6.5 #20",
    description: "Submap entries are shared or omitted by fork, never copied: their inheritance is SHARE or NONE (inherit refuses COPY on them).",
    check: (k) => eachEntry(k, (e, _m, h) => (e.submap && e.inheritance === VM_INHERIT_COPY ? `${where(h, e)}: submap entry with inheritance COPY` : undefined)),
  },
  {
    name: "cow-promoted-detached",
    ref: "§4.13 step 2 (COW submap promotion), §6.9 #38",
    description: "A submap entry holds no object: its memory is the submap's, and a copy-on-write submap's promotion replaces its submap reference by the copied object, never keeps both (the promoted entry no longer references the submap).",
    check: (k) => eachEntry(k, (e, _m, h) => (e.submap !== null && e.object !== null ? `${where(h, e)}: maps submap and object ${e.object.id} at once` : undefined)),
  },
  ...MMU_INVARIANTS,
];

export const INVARIANT_NAMES = INVARIANTS.map((i) => i.name);
