/**
 * The strace importer: turns the system calls of a Linux log into commands of the vocabulary
 * (spec/vocabulary.ts), one map per address space, and runs them through a callback (the
 * lockstep executor, or the implementation alone). It uses the existing operations only.
 *
 * The mapping (Linux → vocabulary), for successful calls:
 * - first sight of a process nobody created in the log → `create` over [0, 2^W);
 * - fork, vfork, clone, clone3 without CLONE_VM → `fork` of the parent's map; with CLONE_VM
 *   (threads, vfork) → the same map (`reference`); CLONE_FILES shares the fd table, else it is
 *   copied; CLONE_THREAD joins the thread group;
 * - execve, execveat → the old map is released (`deallocate`), a fresh one is created;
 * - exit_group → every thread of the group releases the map; exit (or `+++ exited +++`) → that
 *   thread releases it;
 * - mmap, mmap2 → `enter` fixed at the address the kernel returned (MAP_FIXED: `remove` first),
 *   cur = the protection, max = all, inheritance SHARE for MAP_SHARED and COPY otherwise;
 *   anonymous memory is anonymous; a file mapping is a window of the memory object of its fd
 *   generation (one `object_create` per generation), and a private one then gets
 *   `protect(…, prot | VM_PROT_COPY)`: its pages become copy-on-write snapshots;
 * - munmap → `remove`; mprotect, pkey_mprotect → `protect`;
 * - brk → `enter` of the pages between the old and the new break, or `remove` of them;
 * - mremap → in place: `enter` of the grown tail or `remove` of the cut one; moved: `remap`
 *   (shared, so the pages keep their memory) to the new address, `remove` of the old range, and
 *   `enter` of a grown tail (anonymous);
 * - madvise NORMAL/RANDOM/SEQUENTIAL → `behavior_set`, DONTFORK/DOFORK → `inherit` NONE/COPY,
 *   every other advice is counted as ignored;
 * - mlock, mlock2 → user `wire`; munlock → user `unwire`;
 * - open, openat, openat2, creat start a new fd generation; close ends it; dup, dup2, dup3
 *   copy it. A log without open/close (strace -e trace=memory) is common, so a mapping of an fd
 *   at offset 0 without MAP_FIXED also starts a new generation when the log never showed the
 *   fd being opened (that is how a loader maps a new file); a mapping past the end of its
 *   generation's object starts a new, larger one (earlier mappings keep the old one).
 * A failed call changes nothing; it is counted. Every other system call is counted as unknown.
 * When Linux succeeded but the model's command did not (memory the log never showed being
 * mapped, such as the executable and stack execve set up), the call is counted as diverged:
 * that is information about the log, not a failure of the check.
 */
import { VM_BEHAVIOR_DEFAULT, VM_BEHAVIOR_RANDOM, VM_BEHAVIOR_SEQUENTIAL, VM_INHERIT_COPY, VM_INHERIT_NONE, VM_INHERIT_SHARE, VM_PROT_ALL, VM_PROT_COPY } from "../../spec/constants.ts";
import { roundPage, type Scope } from "../../spec/scope.ts";
import type { KernReturn } from "../../spec/constants.ts";
import type { Op, OpResult } from "../../spec/vocabulary.ts";
import { FdTable, generation, type FileGeneration } from "./fd-table.ts";
import type { SyscallEvent, TraceEvent } from "./parse.ts";
import { flagList, protection, straceNumber } from "./values.ts";

/** The scope a Linux trace runs in: 48-bit addresses, 4 KiB pages, objects up to 4 GiB. */
export const TRACE_SCOPE: Scope = {
  addressBits: 48,
  pageSize: 4096,
  maxWireCount: 65535,
  maxObjectPages: 1 << 20,
  kernelBufferThreshold: 4096,
};

/** Runs one command and returns its result (the spec's, after lockstep checked the impl's). */
export type Runner = (op: Op) => OpResult;

/** Per system call name: what happened to its calls. */
export interface SyscallCounts {
  calls: number;
  /** Linux returned an error: nothing imported. */
  failed: number;
  /** No equivalent in the vocabulary (an madvise advice, an unknown call): nothing imported. */
  ignored: number;
  /** Linux succeeded, a command of the model did not (the first failing code is counted). */
  diverged: number;
  /** Commands run for it. */
  ops: number;
}

interface AddressSpace {
  /** The map handle; undefined when its creation failed. */
  readonly handle: number | undefined;
}

interface Process {
  space: AddressSpace;
  fds: FdTable;
  /** The program break, once the log showed it. */
  brk: number | undefined;
  /** The thread group (pids sharing exit_group). */
  group: Set<number>;
}

interface PendingClone {
  readonly parent: number;
  readonly flags: string;
  child: number | undefined;
}

const CLONE_FAMILY = new Set(["clone", "clone3", "fork", "vfork"]);
const MADVISE: Record<string, (map: number, addr: number, size: number) => Op> = {
  MADV_NORMAL: (map, addr, size) => ({ op: "behavior_set", map, addr, size, behavior: VM_BEHAVIOR_DEFAULT }),
  MADV_RANDOM: (map, addr, size) => ({ op: "behavior_set", map, addr, size, behavior: VM_BEHAVIOR_RANDOM }),
  MADV_SEQUENTIAL: (map, addr, size) => ({ op: "behavior_set", map, addr, size, behavior: VM_BEHAVIOR_SEQUENTIAL }),
  MADV_DONTFORK: (map, addr, size) => ({ op: "inherit", map, addr, size, inheritance: VM_INHERIT_NONE }),
  MADV_DOFORK: (map, addr, size) => ({ op: "inherit", map, addr, size, inheritance: VM_INHERIT_COPY }),
};
/** Calls that only matter for fd generations. */
const FD_CALLS = new Set(["open", "openat", "openat2", "creat", "close", "dup", "dup2", "dup3"]);

export class TraceImporter {
  readonly counts = new Map<string, SyscallCounts>();
  /** Syscall lines whose arguments the importer could not read, counted by reason. */
  readonly malformed = new Map<string, number>();
  /** Processes that appeared without the call that created them: they got a fresh map. */
  orphanProcesses = 0;
  /** Commands run, in total. */
  ops = 0;
  /** The first divergences, for the report: line, call, command and code. */
  readonly divergences: { line: number; call: string; op: string; kr: KernReturn }[] = [];
  private readonly processes = new Map<number, Process>();
  /**
   * Memory objects of retired generations that were only ever mapped privately. Every private
   * mapping snapshots its pages (VM_PROT_COPY) and the importer never writes an object, so
   * nothing can tell such an object from a fresh one: a new generation reuses it, which keeps
   * the world (and the cost of comparing it) bounded on long logs.
   */
  private readonly spareObjects: { object: number; pages: number }[] = [];
  private readonly retire = (g: FileGeneration): void => {
    if (g.object !== undefined && !g.shared) this.spareObjects.push({ object: g.object, pages: g.pages });
  };
  private readonly pendingClones: PendingClone[] = [];
  private readonly limit: number;
  private line = 0;
  /** The current call already counted a divergence. */
  private diverged = false;

  constructor(
    readonly scope: Scope,
    private readonly run: Runner,
  ) {
    this.limit = 2 ** scope.addressBits;
  }

  /** Import one event of the log (line number `line`, for the report). */
  feed(event: TraceEvent, line: number): void {
    this.line = line;
    switch (event.kind) {
      case "syscall":
        return this.syscall(event);
      case "unfinished":
        if (CLONE_FAMILY.has(event.name)) {
          this.process(event.pid);
          this.dropPendingClone(event.pid); // a process has one call in flight: an older one was never resumed
          this.pendingClones.push({ parent: event.pid, flags: cloneFlags(event.name, event.head), child: undefined });
        }
        return;
      case "exited":
        return this.release(event.pid);
      case "note":
      case "garbage":
        return;
    }
  }

  private count(name: string): SyscallCounts {
    let c = this.counts.get(name);
    if (c === undefined) this.counts.set(name, (c = { calls: 0, failed: 0, ignored: 0, diverged: 0, ops: 0 }));
    return c;
  }

  private malformedCall(name: string, why: string): void {
    const key = `${name}: ${why}`;
    this.malformed.set(key, (this.malformed.get(key) ?? 0) + 1);
  }

  /** The process `pid`, created with a fresh map if the log never showed its creation. */
  private process(pid: number): Process {
    let p = this.processes.get(pid);
    if (p !== undefined) return p;
    const pending = this.pendingClones.find((c) => c.child === undefined && c.parent !== pid && this.processes.has(c.parent));
    if (pending) return this.spawn(pending, pid);
    this.orphanProcesses++;
    p = { space: this.newSpace(), fds: new FdTable(this.retire), brk: undefined, group: new Set([pid]) };
    this.processes.set(pid, p);
    return p;
  }

  private newSpace(): AddressSpace {
    const r = this.exec({ op: "create", min: 0, max: this.limit });
    return { handle: r.kr === "KERN_SUCCESS" ? (r as OpResult<"create">).map : undefined };
  }

  /** The child `child` of a clone-family call: its map, fd table and thread group. */
  private spawn(clone: PendingClone, child: number): Process {
    clone.child = child;
    const parent = this.processes.get(clone.parent)!;
    const flags = flagList(clone.flags);
    let space: AddressSpace;
    if (parent.space.handle === undefined) space = parent.space;
    else if (flags.includes("CLONE_VM")) {
      this.exec({ op: "reference", map: parent.space.handle });
      space = parent.space;
    } else {
      const r = this.exec({ op: "fork", map: parent.space.handle });
      space = { handle: r.kr === "KERN_SUCCESS" ? (r as OpResult<"fork">).map : undefined };
    }
    const group = flags.includes("CLONE_THREAD") ? parent.group : new Set<number>();
    group.add(child);
    if (flags.includes("CLONE_FILES")) parent.fds.users++;
    const p: Process = { space, fds: flags.includes("CLONE_FILES") ? parent.fds : parent.fds.copy(), brk: parent.brk, group };
    this.processes.set(child, p);
    return p;
  }

  /** Run one command for the current call; a failure while Linux succeeded is a divergence. */
  private exec(op: Op, call?: SyscallCounts, name?: string): OpResult {
    const r = this.run(op);
    this.ops++;
    if (call) call.ops++;
    if (r.kr !== "KERN_SUCCESS" && call && name && !this.diverged) {
      this.diverged = true;
      call.diverged++;
      if (this.divergences.length < 20) this.divergences.push({ line: this.line, call: name, op: op.op, kr: r.kr });
    }
    return r;
  }

  private dropPendingClone(parent: number): void {
    const i = this.pendingClones.findIndex((c) => c.parent === parent);
    if (i >= 0) this.pendingClones.splice(i, 1);
  }

  /** The thread `pid` drops its reference on its map. */
  private release(pid: number): void {
    this.dropPendingClone(pid);
    const p = this.processes.get(pid);
    if (p === undefined) return;
    this.processes.delete(pid);
    p.group.delete(pid);
    p.fds.release();
    if (p.space.handle !== undefined) this.exec({ op: "deallocate", map: p.space.handle });
  }

  private syscall(e: SyscallEvent): void {
    this.diverged = false;
    const c = this.count(e.name);
    c.calls++;
    const failed = e.errno !== undefined;
    if (CLONE_FAMILY.has(e.name)) {
      const i = this.pendingClones.findIndex((x) => x.parent === e.pid);
      const pending = i >= 0 ? this.pendingClones.splice(i, 1)[0]! : { parent: e.pid, flags: cloneFlags(e.name, e.args.join(", ")), child: undefined };
      if (failed || e.ret === undefined) return void c.failed++;
      this.process(e.pid);
      if (pending.child === undefined && !this.processes.has(e.ret)) this.spawn(pending, e.ret);
      return;
    }
    if (failed) return void c.failed++;
    if (e.name === "exit_group") {
      const p = this.processes.get(e.pid);
      for (const pid of p ? [...p.group] : [e.pid]) this.release(pid);
      return;
    }
    if (e.name === "exit") return this.release(e.pid);
    if (FD_CALLS.has(e.name)) return this.fdCall(e);
    const orphans = this.orphanProcesses;
    const p = this.process(e.pid);
    if (e.name === "execve" || e.name === "execveat") {
      if (this.orphanProcesses > orphans) return; // first sight: its fresh map was just created
      if (p.space.handle !== undefined) this.exec({ op: "deallocate", map: p.space.handle });
      p.space = this.newSpace();
      p.brk = undefined;
      return;
    }
    // Own properties only: a log may name a call "constructor" or "__proto__".
    const handler = Object.hasOwn(MEMORY_CALLS, e.name) ? MEMORY_CALLS[e.name] : undefined;
    if (handler === undefined) return void c.ignored++;
    const map = p.space.handle;
    if (map === undefined) return void c.diverged++;
    const why = handler.call(this, { e, p, map, c });
    if (why !== undefined) {
      if (why === "ignored") c.ignored++;
      else this.malformedCall(e.name, why);
    }
  }

  private fdCall(e: SyscallEvent): void {
    const p = this.process(e.pid);
    const fd = e.ret;
    if (e.name === "close") {
      const n = straceNumber(e.args[0]);
      if (n !== undefined) p.fds.delete(n);
    } else if (e.name.startsWith("dup")) {
      const from = p.fds.get(straceNumber(e.args[0]) ?? -1);
      if (fd !== undefined) {
        if (from) p.fds.set(fd, from);
        else p.fds.delete(fd);
      }
    } else if (fd !== undefined) p.fds.set(fd, generation(0, true));
  }

  /** The memory object for a mapping of `fd` at `offset` of `size` bytes (one `object_create` if new). */
  fileObject(p: Process, fd: number, offset: number, size: number, fixed: boolean, shared: boolean, c: SyscallCounts, name: string): number | undefined {
    const pages = roundPage(this.scope, offset + size) / this.scope.pageSize;
    let gen = p.fds.get(fd);
    if (gen === undefined || (!gen.opened && !fixed && offset === 0) || gen.pages < pages) {
      gen = generation(pages, gen?.opened ?? false);
      p.fds.set(fd, gen);
    }
    if (gen.object === undefined) {
      const spare = this.spareObjects.findIndex((s) => s.pages >= pages);
      if (spare >= 0) {
        const s = this.spareObjects.splice(spare, 1)[0]!;
        gen.object = s.object;
        gen.pages = s.pages;
      } else {
        const r = this.exec({ op: "object_create", size: pages * this.scope.pageSize }, c, name);
        gen.object = r.kr === "KERN_SUCCESS" ? (r as OpResult<"object_create">).object : undefined;
      }
    }
    if (shared) gen.shared = true;
    return gen.object;
  }

  /** Commands for one memory call: runs them; returns "ignored" or why the arguments are unreadable. */
  do(op: Op, ctx: CallContext): OpResult {
    return this.exec(op, ctx.c, ctx.e.name);
  }
}

interface CallContext {
  readonly e: SyscallEvent;
  readonly p: Process;
  readonly map: number;
  readonly c: SyscallCounts;
}

type MemoryCall = (this: TraceImporter, ctx: CallContext) => string | undefined;

function cloneFlags(name: string, text: string): string {
  if (name === "vfork") return "CLONE_VM|CLONE_VFORK";
  if (name === "fork") return "";
  return /flags=([A-Za-z0-9_|]+)/.exec(text)?.[1] ?? "";
}

const anonymous = { kind: "anonymous" } as const;

function mmap(this: TraceImporter, ctx: CallContext, pageUnits: number): string | undefined {
  const { e, p, map, c } = ctx;
  const [, lenText, protText, flagsText, fdText, offText] = e.args;
  const len = straceNumber(lenText), prot = protection(protText), fd = straceNumber(fdText) ?? (fdText === "-1" ? -1 : undefined);
  const off = straceNumber(offText), addr = e.ret;
  if (len === undefined || prot === undefined || off === undefined || addr === undefined || fd === undefined) return "unreadable arguments";
  const flags = flagList(flagsText);
  const shared = flags.includes("MAP_SHARED") || flags.includes("MAP_SHARED_VALIDATE");
  const fixed = flags.includes("MAP_FIXED");
  if (fixed) this.do({ op: "remove", map, addr, size: len, flags: 0 }, ctx);
  const anon = flags.includes("MAP_ANONYMOUS") || flags.includes("MAP_ANON");
  const offset = off * pageUnits;
  const object = anon ? undefined : this.fileObject(p, fd, offset, len, fixed, shared, c, e.name);
  if (!anon && object === undefined) return undefined;
  const source = object === undefined ? anonymous : { kind: "object" as const, object, offset };
  const inheritance = shared ? VM_INHERIT_SHARE : VM_INHERIT_COPY;
  const r = this.do({ op: "enter", map, addr, size: len, mask: 0, anywhere: false, alias: 0, cur: prot, max: VM_PROT_ALL, inheritance, source }, ctx);
  if (r.kr === "KERN_SUCCESS" && object !== undefined && !shared) this.do({ op: "protect", map, addr, size: len, prot: prot | VM_PROT_COPY, setMax: false }, ctx);
  return undefined;
}

/** Two numbers from the first two arguments (address, length). */
function range(e: SyscallEvent): [number, number] | undefined {
  const addr = straceNumber(e.args[0]), size = straceNumber(e.args[1]);
  return addr === undefined || size === undefined ? undefined : [addr, size];
}

const MEMORY_CALLS: Record<string, MemoryCall> = {
  mmap(ctx) {
    return mmap.call(this, ctx, 1);
  },
  mmap2(ctx) {
    return mmap.call(this, ctx, 4096);
  },
  munmap(ctx) {
    const r = range(ctx.e);
    if (!r) return "unreadable arguments";
    this.do({ op: "remove", map: ctx.map, addr: r[0], size: r[1], flags: 0 }, ctx);
    return undefined;
  },
  mprotect(ctx) {
    const r = range(ctx.e), prot = protection(ctx.e.args[2]);
    if (!r || prot === undefined) return "unreadable arguments";
    this.do({ op: "protect", map: ctx.map, addr: r[0], size: r[1], prot, setMax: false }, ctx);
    return undefined;
  },
  pkey_mprotect(ctx) {
    return MEMORY_CALLS["mprotect"]!.call(this, ctx);
  },
  brk(ctx) {
    const { e, p, map } = ctx;
    const requested = straceNumber(e.args[0]), now = e.ret;
    if (requested === undefined || now === undefined) return "unreadable arguments";
    const was = p.brk;
    p.brk = now;
    if (was === undefined || requested === 0 || now === was) return undefined;
    const lo = roundPage(this.scope, Math.min(was, now)), hi = roundPage(this.scope, Math.max(was, now));
    if (lo === hi) return undefined;
    if (now > was)
      this.do({ op: "enter", map, addr: lo, size: hi - lo, mask: 0, anywhere: false, alias: 0, cur: 3, max: VM_PROT_ALL, inheritance: VM_INHERIT_COPY, source: anonymous }, ctx);
    else this.do({ op: "remove", map, addr: lo, size: hi - lo, flags: 0 }, ctx);
    return undefined;
  },
  mremap(ctx) {
    const { e, map } = ctx;
    const old = straceNumber(e.args[0]), oldSize = straceNumber(e.args[1]), newSize = straceNumber(e.args[2]), to = e.ret;
    if (old === undefined || oldSize === undefined || newSize === undefined || to === undefined) return "unreadable arguments";
    if (oldSize === 0) return "ignored"; // duplicating a shared mapping: no equivalent
    const flags = flagList(e.args[3]);
    const oldEnd = roundPage(this.scope, oldSize), newEnd = roundPage(this.scope, newSize);
    const grow = (at: number) =>
      newEnd > oldEnd && this.do({ op: "enter", map, addr: at + oldEnd, size: newEnd - oldEnd, mask: 0, anywhere: false, alias: 0, cur: 3, max: VM_PROT_ALL, inheritance: VM_INHERIT_COPY, source: anonymous }, ctx);
    if (to === old) {
      if (newEnd < oldEnd) this.do({ op: "remove", map, addr: old + newEnd, size: oldEnd - newEnd, flags: 0 }, ctx);
      else grow(old);
      return undefined;
    }
    if (flags.includes("MREMAP_FIXED")) this.do({ op: "remove", map, addr: to, size: newSize, flags: 0 }, ctx);
    const r = this.do({ op: "remap", map, addr: to, size: Math.min(oldEnd, newEnd), mask: 0, anywhere: false, srcMap: map, srcAddr: old, copy: false, inheritance: VM_INHERIT_COPY }, ctx);
    if (r.kr === "KERN_SUCCESS" && !flags.includes("MREMAP_DONTUNMAP")) this.do({ op: "remove", map, addr: old, size: oldSize, flags: 0 }, ctx);
    grow(to);
    return undefined;
  },
  madvise(ctx) {
    const advice = ctx.e.args[2] ?? "";
    const r = range(ctx.e), make = Object.hasOwn(MADVISE, advice) ? MADVISE[advice] : undefined;
    if (!r) return "unreadable arguments";
    if (!make) return "ignored";
    this.do(make(ctx.map, r[0], r[1]), ctx);
    return undefined;
  },
  mlock(ctx) {
    const r = range(ctx.e);
    if (!r) return "unreadable arguments";
    this.do({ op: "wire", map: ctx.map, addr: r[0], size: r[1], access: 0, user: true }, ctx);
    return undefined;
  },
  mlock2(ctx) {
    return MEMORY_CALLS["mlock"]!.call(this, ctx);
  },
  munlock(ctx) {
    const r = range(ctx.e);
    if (!r) return "unreadable arguments";
    this.do({ op: "unwire", map: ctx.map, addr: r[0], size: r[1], user: true }, ctx);
    return undefined;
  },
};

/** The system calls the importer turns into commands (beyond the process and fd calls). */
export const IMPORTED_CALLS = [...Object.keys(MEMORY_CALLS), ...CLONE_FAMILY, "execve", "execveat", "exit", "exit_group", ...FD_CALLS] as const;
