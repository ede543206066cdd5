import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { main } from "../../model-check/cli.ts";
import { readCounterexample } from "../../model-check/counterexample.ts";
import { TRACE_SCOPE, TraceImporter } from "../../model-check/trace/importer.ts";
import { lineBatches, splitArguments, StraceReader, type TraceEvent } from "../../model-check/trace/parse.ts";
import { DEAD_MAP_WINDOW, forgetDeadMaps, replayTrace } from "../../model-check/trace/replay.ts";
import { Kernel } from "../../impl/kernel.ts";
import { protection, straceNumber } from "../../model-check/trace/values.ts";
import { abstractSpec, dispatch, newSpecWorld, SPEC, type Op } from "../../spec/index.ts";
import { PLANTED_BUGS } from "../planted/bugs.ts";

// A copy of ../shared/traces/sort.trace, so a clean clone of the repository alone runs the test.
const SORT_TRACE = join(import.meta.dirname, "../fixtures/sort.trace");

async function* chunksOf(text: string): AsyncGenerator<string> {
  yield text;
}
const replay = (text: string, implOnly = false) => replayTrace(chunksOf(text), { implOnly });

/** Import a log into the spec alone and return the commands and the final world. */
function importIntoSpec(log: string): { ops: Op[]; world: ReturnType<typeof newSpecWorld>; importer: TraceImporter } {
  const world = newSpecWorld(TRACE_SCOPE);
  const ops: Op[] = [];
  const importer = new TraceImporter(TRACE_SCOPE, (op) => {
    ops.push(op);
    return dispatch(SPEC, world, op);
  });
  const reader = new StraceReader();
  log.split("\n").forEach((line, i) => importer.feed(reader.read(line), i + 1));
  return { ops, world, importer };
}

describe("strace reader", () => {
  it("joins <unfinished ...> and <... resumed> halves by pid, whatever lies between", () => {
    const r = new StraceReader();
    const events: TraceEvent[] = [
      "10  mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>",
      "11  brk(NULL <unfinished ...>",
      "11  <... brk resumed>)                = 0x5000",
      "10  <... mmap resumed>)               = 0x7f0000000000",
    ].map((l) => r.read(l));
    expect(events[0]).toMatchObject({ kind: "unfinished", pid: 10, name: "mmap" });
    expect(events[2]).toMatchObject({ kind: "syscall", pid: 11, name: "brk", args: ["NULL"], ret: 0x5000 });
    expect(events[3]).toMatchObject({ kind: "syscall", pid: 10, name: "mmap", args: ["NULL", "8192", "PROT_READ", "MAP_PRIVATE|MAP_ANONYMOUS", "-1", "0"], ret: 0x7f0000000000 });
    const clone = new StraceReader();
    clone.read("5  clone(child_stack=NULL, flags=CLONE_VM|SIGCHLD <unfinished ...>");
    expect(clone.read("5  <... clone resumed>, child_tidptr=0x1) = 6")).toMatchObject({ args: ["child_stack=NULL", "flags=CLONE_VM|SIGCHLD", "child_tidptr=0x1"], ret: 6 });
  });

  it("reads the prefixes and suffixes strace may add, failures and calls without a return", () => {
    const r = new StraceReader();
    expect(r.read("[pid  42] 12:00:01.123456 munmap(0x1000, 4096) = 0 <0.000011>")).toMatchObject({ pid: 42, name: "munmap", ret: 0, errno: undefined });
    expect(r.read("1700000000.5 mmap(0x1000, 4096, PROT_READ, MAP_FIXED, -1, 0) = -1 ENOMEM (Cannot allocate memory)")).toMatchObject({ pid: 0, ret: -1, errno: "ENOMEM" });
    expect(r.read("7  exit_group(0)                     = ?")).toMatchObject({ name: "exit_group", ret: undefined, errno: undefined });
    expect(r.read("7  +++ exited with 0 +++")).toEqual({ kind: "exited", pid: 7 });
    expect(r.read("7  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---")).toEqual({ kind: "note" });
    expect(r.read('3  write(1, "a, (b)\\")", 7) = 7')).toMatchObject({ args: ["1", '"a, (b)\\")"', "7"] });
  });

  it("turns every kind of broken line into garbage with a reason, never an exception", () => {
    const r = new StraceReader();
    for (const line of ["6171  mmap(NULL, 8192, PROT_READ|PROT_WR", "\u0000\u00ff\ufffd garbage", "6171  <... mmap resumed>) = 0x1000", "=== ) = 0", "6171  mmap(NULL, ((8192) = 3", "+++ weird +++"])
      expect(r.read(line).kind).toBe("garbage");
    expect(splitArguments("a, [b, c], {d, e}")).toEqual(["a", "[b, c]", "{d, e}"]);
    expect(splitArguments("a, (b")).toBeUndefined();
  });

  it("splits a stream into lines at any chunk boundary and cuts overlong lines", async () => {
    async function* pieces(): AsyncGenerator<Uint8Array> {
      const bytes = new TextEncoder().encode("ab\ncd\r\né" + "x".repeat(50) + "\nlast");
      for (let i = 0; i < bytes.length; i += 3) yield bytes.slice(i, i + 3);
    }
    let cut = 0;
    const lines: string[] = [];
    for await (const batch of lineBatches(pieces(), 20, () => cut++)) lines.push(...batch);
    expect(lines).toEqual(["ab", "cd", "é" + "x".repeat(19), "last"]);
    expect(cut).toBe(1);
  });
});

describe("strace values", () => {
  it("reads numbers and protections as strace prints them, and nothing else", () => {
    expect(["0x10", "NULL", "flags=0x11", "0755", "42", "0"].map(straceNumber)).toEqual([16, 0, 17, 493, 42, 0]);
    expect(["-1", "1e3", "", "0x", "12abc", "constructor=1x", "0x20000000000000"].map(straceNumber)).toEqual(Array(7).fill(undefined));
    expect(["PROT_READ|PROT_EXEC", "PROT_NONE", "0x3", "PROT_READ|PROT_GROWSDOWN"].map(protection)).toEqual([5, 0, 3, 1]);
    expect(["toString", "PROT_READ|8", "PROT_BOGUS"].map(protection)).toEqual([undefined, undefined, undefined]);
  });
});

describe("strace importer", () => {
  it("maps a process's memory calls onto its own map as the issue lists them", () => {
    const { ops, world } = importIntoSpec([
      "1  brk(NULL) = 0x10000",
      "1  brk(0x13000) = 0x13000",
      "1  mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
      "1  mmap(NULL, 12288, PROT_READ, MAP_PRIVATE, 3, 0x1000) = 0x7f0000100000",
      "1  mprotect(0x7f0000000000, 4096, PROT_READ) = 0",
      "1  madvise(0x7f0000000000, 4096, MADV_DONTFORK) = 0",
      "1  madvise(0x7f0000000000, 4096, MADV_WILLNEED) = 0",
      "1  madvise(0x7f0000001000, 4096, MADV_SEQUENTIAL) = 0",
      "1  mlock(0x10000, 4096) = 0",
      "1  munlock(0x10000, 4096) = 0",
      "1  mremap(0x7f0000100000, 12288, 4096, 0) = 0x7f0000100000",
      "1  mremap(0x10000, 8192, 16384, MREMAP_MAYMOVE) = 0x20000",
      "1  brk(0x11000) = 0x11000",
      "1  munmap(0x7f0000001000, 4096) = 0",
    ].join("\n"));
    expect(ops.map((o) => o.op)).toEqual([
      "create", "enter", "enter", "object_create", "enter", "protect", "protect", "inherit", "behavior_set", "wire", "unwire",
      "remove", "remap", "remove", "enter", "remove", "remove",
    ]);
    const view = abstractSpec(world).maps[0]!;
    const page = (addr: number) => view.pages.find((p) => p.page === addr / 4096);
    expect(page(0x7f0000000000)).toMatchObject({ prot: 1, inheritance: 2 }); // mprotect, DONTFORK
    expect(page(0x7f0000001000)).toBeUndefined(); // munmap
    expect(page(0x7f0000100000)).toMatchObject({ prot: 1, maxProt: 7, inheritance: 1 });
    expect(page(0x7f0000101000)).toBeUndefined(); // mremap shrank it
    expect(page(0x10000)).toBeUndefined(); // brk shrank below it... after mremap moved it
    expect([0x20000, 0x21000, 0x22000, 0x23000].map((a) => page(a) !== undefined)).toEqual([true, true, true, true]);
  });

  it("forks without CLONE_VM, shares the map with it, gives execve a fresh map and releases it at exit_group", () => {
    const { ops } = importIntoSpec([
      "1  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x1000",
      "1  clone(child_stack=NULL, flags=SIGCHLD) = 2",
      "1  clone(child_stack=0x5000, flags=CLONE_VM|CLONE_THREAD|CLONE_FILES) = 3",
      "1  vfork( <unfinished ...>",
      "4  execve(\"/bin/x\", [], 0x0) = 0",
      "1  <... vfork resumed>) = 4",
      "2  exit_group(0) = ?",
      "3  exit_group(0) = ?",
      "1  execve(\"/bin/y\", [], 0x0) = -1 ENOENT (No such file or directory)",
      "1  +++ exited with 0 +++",
    ].join("\n"));
    expect(ops.map((o) => o.op + ("map" in o ? o.map : ""))).toEqual([
      "create", "enter0", "fork0", "reference0", "reference0", "deallocate0", "create", "deallocate1", "deallocate0", "deallocate0",
    ]);
  });

  it("gives threads (CLONE_VM) one map: what one maps, the other unmaps", () => {
    const { ops, world } = importIntoSpec([
      "1  clone(child_stack=0x5000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = 2",
      "2  mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
      "1  munmap(0x7f0000001000, 4096) = 0",
      "2  exit(0) = ?",
    ].join("\n"));
    expect(ops.map((o) => o.op + ("map" in o ? o.map : ""))).toEqual(["create", "reference0", "enter0", "remove0", "deallocate0"]);
    expect(abstractSpec(world).maps[0]!.pages.map((p) => p.page)).toEqual([0x7f0000000000 / 4096]);
    expect(world.maps[0]!.refCount).toBe(1);
  });

  it("gives each fd generation its own memory object: MAP_SHARED mappings of one alias, a new file does not", () => {
    const { world } = importIntoSpec([
      "1  openat(AT_FDCWD, \"/a\", O_RDWR) = 3",
      "1  mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = 0x1000",
      "1  mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = 0x2000",
      "1  close(3) = 0",
      "1  openat(AT_FDCWD, \"/b\", O_RDWR) = 3",
      "1  mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = 0x3000",
    ].join("\n"));
    const cells = abstractSpec(world).maps[0]!.pages.map((p) => p.cell);
    expect(cells[0]).toBe(cells[1]);
    expect(cells[2]).not.toBe(cells[0]);
  });
});

describe("vmcheck trace", () => {
  it("replays the sort pipeline's log in lockstep and passes, checking refinement after every command", async () => {
    const r = await replayTrace((await import("node:fs")).createReadStream(SORT_TRACE));
    expect(r.ok).toBe(true);
    expect(r.mode).toBe("lockstep");
    expect(r.calls["mmap"]).toMatchObject({ calls: 94, failed: 0 });
    expect(r.calls["clone"]!.calls).toBe(4);
    expect(r.checks.refinement).toBe(r.commands);
    expect(r.checks.invariants).toBe(r.commands);
    expect(r.resultsByOp["fork"]).toEqual({ KERN_SUCCESS: 4 });
  }, 120_000);

  it("finds a planted bug in the implementation through a real log", async () => {
    const r = await replayTrace((await import("node:fs")).createReadStream(SORT_TRACE), { kernel: PLANTED_BUGS["clip-start-off-by-one"]!.kernel, compareEvery: 10 });
    expect(r.ok).toBe(false);
    expect(r.failure!.commands!.length).toBe(r.failure!.step + 1);
  }, 60_000);

  it("between full comparisons still compares each command's own maps, so a bug shows long before the next full one", async () => {
    const kernel = PLANTED_BUGS["clip-start-off-by-one"]!.kernel;
    const every = await replayTrace((await import("node:fs")).createReadStream(SORT_TRACE), { kernel });
    const sparse = await replayTrace((await import("node:fs")).createReadStream(SORT_TRACE), { kernel, compareEvery: 1000 });
    // The restricted form cannot see aliasing with objects or other maps (the full comparison
    // caught the bug at step 4 that way); it sees the map itself go wrong a few commands later.
    expect(every.failure).toMatchObject({ check: "refinement", step: 4 });
    expect(sparse.failure).toMatchObject({ check: "refinement", step: 8 });
    expect(sparse.failure!.message).toMatch(/the maps it names/);
  }, 60_000);

  it("with --compare-every N checks refinement every N commands and after the last", async () => {
    const log = Array.from({ length: 25 }, (_, i) => `1  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x${(0x10000 + i * 0x2000).toString(16)}`).join("\n");
    const r = await replayTrace(chunksOf(log), { compareEvery: 10 });
    expect(r.commands).toBe(26);
    expect(r.checks.refinement).toBe(3); // after commands 10, 20 and 26
    expect(r.checks.namedMaps).toBe(24); // all but the two full ones mid-way (the last gets both)
    expect(r.checks.results).toBe(26);
  });

  it("reports broken input cleanly: truncated lines, unknown calls, garbage, failed calls", async () => {
    const r = await replay([
      "1  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x1000",
      "1  mmap(NULL, 4096, PROT_READ, MAP_PRIV",
      "1  frobnicate(1, 2) = 0",
      "1  read(0, \"abc\", 3) = 3",
      "\u0000\u0001\u0002binary junk",
      "1  munmap(0x1000) = 0",
      "1  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)",
      "1  mprotect(0x900000, 4096, PROT_READ) = 0",
      "1  madvise(0x1000, 4096, MADV_HUGEPAGE) = 0",
      "1  madvise(0x1000, 4096, constructor) = 0",
      "1  constructor(1) = 0",
      "1  __proto__(1) = 0",
      "1  mprotect(0x1000, 4096, toString) = 0",
      "5  clone(child_stack=NULL, flags=SIGCHLD <unfinished ...>",
      "5  clone(child_stack=NULL, flags=SIGCHLD <unfinished ...>",
      "5  exit_group(0) = ?",
      "6  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x1000",
      "1  munmap(0x1000, 4096 <unfinished ...>",
    ].join("\n"));
    expect(r.ok).toBe(true);
    expect(r.garbage.total).toBe(2);
    expect(r.garbage.firstLines).toEqual([2, 5]);
    expect(r.calls["frobnicate"]).toMatchObject({ calls: 1, ignored: 1, ops: 0 });
    expect(r.calls["mmap"]).toMatchObject({ calls: 3, failed: 1 });
    expect(r.calls["mprotect"]).toMatchObject({ calls: 2, diverged: 1 });
    expect(r.calls["madvise"]).toMatchObject({ ignored: 2 });
    expect(r.calls["constructor"]).toMatchObject({ calls: 1, ignored: 1 });
    expect(r.calls["__proto__"]).toMatchObject({ calls: 1, ignored: 1 });
    expect(r.malformed).toEqual({ "munmap: unreadable arguments": 1, "mprotect: unreadable arguments": 1 });
    expect(r.unresumed).toBe(3); // both clones of pid 5 and the munmap at the end
    expect(r.orphanProcesses).toBe(3); // pids 1, 5 and 6 (whose parent's clone died with it)
  });

  it("reports an empty log as an empty pass", async () => {
    for (const text of ["", "\n\n"]) {
      const r = await replay(text);
      expect(r).toMatchObject({ ok: true, syscalls: 0, commands: 0, garbage: { total: 0 } });
    }
  });

  it("forgets destroyed maps older than the window, keeps live and recent ones", () => {
    const k = new Kernel(TRACE_SCOPE);
    const create = (): number => (k.run({ op: "create", min: 0, max: 2 ** 20 }) as { map: number }).map;
    const live = create(), dead = create(), recent = create();
    for (const h of [dead, recent]) expect(k.run({ op: "deallocate", map: h }).kr).toBe("KERN_SUCCESS");
    forgetDeadMaps(k, recent);
    expect([k.everyMap.has(live), k.everyMap.has(dead), k.everyMap.has(recent)]).toEqual([true, false, true]);
    expect(k.run({ op: "deallocate", map: dead }).kr).toBe("KERN_INVALID_ARGUMENT"); // its handle stays NULL
    expect(DEAD_MAP_WINDOW).toBeGreaterThanOrEqual(100); // more maps than a model-check run creates
  });

  it("streams a ~50 MB generated log in bounded memory (impl only)", async () => {
    const target = 50 * 1024 * 1024;
    // Retained memory, measured after a forced collection: heapUsed alone also counts garbage not
    // yet collected, which depends on when V8 chooses to collect and made this test flaky.
    setFlagsFromString("--expose-gc");
    const collect = runInNewContext("gc") as () => void;
    const retained = (): number => { collect(); return process.memoryUsage().heapUsed; };
    let produced = 0, peak = 0, chunks = 0;
    const base = retained();
    async function* generate(): AsyncGenerator<string> {
      let pid = 100, n = 0;
      while (produced < target) {
        let chunk = "";
        for (let i = 0; i < 500; i++, n++) {
          const addr = 0x7f0000000000 + (n % 64) * 0x10000;
          switch (n % 10) {
            case 0: chunk += `${pid}  mmap(NULL, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x${addr.toString(16)}\n`; break;
            case 1: chunk += `${pid}  mprotect(0x${addr.toString(16)}, 4096, PROT_READ) = 0\n`; break;
            case 2: chunk += `${pid}  munmap(0x${addr.toString(16)}, 65536 <unfinished ...>\n${pid + 1}  getpid() = ${pid + 1}\n${pid}  <... munmap resumed>) = 0\n`; break;
            case 3: chunk += `${pid}  mmap(NULL, 4096, PROT_READ, MAP_PRIV\n`; break; // truncated
            case 4: chunk += `\u0000garbage ${n} ))) (((\n`; break;
            case 5: chunk += `${pid}  brk(NULL) = 0x5000000\n`; break;
            case 6: chunk += `${pid}  frobnicate(${n}) = 0\n`; break;
            case 7: chunk += `${pid}  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)\n`; break;
            case 8: chunk += n % 1000 === 8 ? `${pid}  exit_group(0) = ?\n` : `${pid}  madvise(0x${addr.toString(16)}, 4096, MADV_DONTNEED) = 0\n`; break;
            case 9: if (n % 1000 === 9) pid += 2; break;
          }
        }
        produced += chunk.length;
        if (++chunks % 100 === 0) peak = Math.max(peak, retained() - base);
        yield chunk;
      }
    }
    const r = await replayTrace(generate(), { implOnly: true });
    expect(r.ok).toBe(true);
    expect(r.lines).toBeGreaterThan(500_000);
    expect(r.garbage.total).toBeGreaterThan(100_000);
    expect(r.calls["frobnicate"]!.ignored).toBeGreaterThan(50_000);
    expect(r.calls["mmap"]!.failed).toBeGreaterThan(50_000);
    expect(chunks).toBeGreaterThan(1000); // so the peak was sampled at least ten times
    // The log itself is 50 MB: a reader that held it, or a growing share of it, would retain far more.
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});

/** One random line of an strace log over four pids, a few fds and a small address window. */
const randomLine = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.nat(15), fc.integer({ min: 1, max: 4 }), fc.nat(20), fc.nat(5), fc.nat(3)).map(
  ([pid, slot, pages, kind, other, choice]) => {
    const a = `0x${(0x7f0000000000 + slot * 0x1000).toString(16)}`, len = pages * 0x1000 - (choice === 3 ? 7 : 0);
    const prot = ["PROT_READ", "PROT_READ|PROT_WRITE", "PROT_NONE", "PROT_READ|PROT_EXEC"][choice]!;
    const lines = [
      `mmap(NULL, ${len}, ${prot}, ${["MAP_PRIVATE|MAP_ANONYMOUS", "MAP_SHARED|MAP_ANONYMOUS", "MAP_PRIVATE", "MAP_SHARED"][choice]}, ${choice < 2 ? -1 : 3 + (other % 2)}, 0) = ${a}`,
      `mmap(${a}, ${len}, ${prot}, MAP_PRIVATE|MAP_FIXED${choice < 2 ? "|MAP_ANONYMOUS" : ""}, ${choice < 2 ? -1 : 3}, 0) = ${a}`,
      `munmap(${a}, ${len}) = 0`,
      `mprotect(${a}, ${len}, ${prot}) = 0`,
      `madvise(${a}, ${len}, ${["MADV_DONTFORK", "MADV_DOFORK", "MADV_RANDOM", "MADV_NORMAL"][choice]}) = 0`,
      `mlock(${a}, ${len}) = 0`,
      `munlock(${a}, ${len}) = 0`,
      `mremap(${a}, ${len}, ${(other + 1) * 0x1000}, MREMAP_MAYMOVE) = ${choice < 2 ? a : `0x${(0x7f0000100000 + other * 0x1000).toString(16)}`}`,
      `brk(${choice === 0 ? "NULL" : `0x${(0x5000000 + other * 0x1000).toString(16)}`}) = 0x${(0x5000000 + other * 0x1000).toString(16)}`,
      `clone(child_stack=NULL, flags=${["SIGCHLD", "CLONE_VM|CLONE_VFORK|SIGCHLD", "CLONE_VM|CLONE_THREAD|CLONE_FILES", "CLONE_FILES|SIGCHLD"][choice]}) = ${other + 1}`,
      `execve("/x", [], 0x0) = 0`,
      `exit_group(0) = ?`,
      `openat(AT_FDCWD, "/f", O_RDONLY) = ${3 + (other % 2)}`,
      `close(${3 + (other % 2)}) = 0`,
      `mmap(NULL, ${len}, ${prot}, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>`,
      `<... mmap resumed>) = ${a}`,
      `clone(child_stack=NULL, flags=SIGCHLD <unfinished ...>`,
      `<... clone resumed>, child_tidptr=0x1) = ${other + 1}`,
      `+++ exited with 0 +++`,
      `mmap(NULL, ${len}, ${prot}, MAP_PRIV`,
      `mmap(NULL, ${len}, ${prot}, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)`,
    ];
    return `${pid}  ${lines[kind]}`;
  },
);

describe("vmcheck trace on random logs", () => {
  it("never throws, and the spec and the implementation agree on whatever a log does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(randomLine, { maxLength: 60 }), async (lines) => {
        const r = await replay(lines.join("\n"));
        expect(r.failure).toBeUndefined();
      }),
      { seed: 7, numRuns: 150 },
    );
  }, 120_000);

  it("is a check with teeth: the same random logs find a planted bug", async () => {
    const kernel = PLANTED_BUGS["remove-ignores-range-end"]!.kernel;
    const found = fc.check(
      fc.asyncProperty(fc.array(randomLine, { maxLength: 60 }), async (lines) => (await replayTrace(chunksOf(lines.join("\n")), { kernel })).ok),
      { seed: 7, numRuns: 150 },
    );
    expect((await found).failed).toBe(true);
  }, 120_000);
});

describe("vmcheck trace (command line)", () => {
  it("prints per-call counts, speed and what was checked; --json is one object; exit 2 for a missing file", async () => {
    let out = "", err = "";
    const dir = mkdtempSync(join(tmpdir(), "vmcheck-trace-"));
    const file = join(dir, "t.trace");
    writeFileSync(file, "1  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x1000\nnonsense\n");
    expect(await main(["trace", file], (s) => (out += s + "\n"))).toBe(0);
    expect(out).toMatch(/mmap +1 +0 +0 +0 +1/);
    expect(out).toMatch(/unreadable lines: 1/);
    expect(out).toMatch(/calls\/s/);
    expect(out).toMatch(/checked: results after all 2 commands; \d+ invariants and timestamps after 2; refinement .* after 2 \(every command\)/);
    out = "";
    expect(await main(["trace", file, "--json", "--impl-only"], (s) => (out += s))).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ok: true, mode: "impl-only", syscalls: 1 });
    expect(await main(["trace", join(dir, "missing")], () => {}, (s) => (err += s))).toBe(2);
    expect(await main(["trace", file, "--compare-every", "0"], () => {}, () => {})).toBe(2);
  }, 60_000);

  it("writes a replayable counterexample when the check fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmcheck-trace-"));
    let out = "";
    const code = await main(["trace", SORT_TRACE, "--json", "--compare-every", "20", "--out", dir], (s) => (out += s), () => {}, { kernel: PLANTED_BUGS["clip-start-off-by-one"]!.kernel });
    expect(code).toBe(1);
    const cx = readCounterexample(JSON.parse(out).failure.counterexample);
    expect(cx.scope).toEqual(TRACE_SCOPE);
  }, 60_000);
});
