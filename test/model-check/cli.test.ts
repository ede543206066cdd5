import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main, type CliDependencies } from "../../model-check/cli.ts";
import { PLANTED_BUGS } from "../planted/bugs.ts";
import { encodeCounterexample, readCounterexample } from "../../model-check/counterexample.ts";
import { MODEL_CHECK_SCOPE } from "../../model-check/campaign.ts";

async function runWith(deps: CliDependencies, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(argv, (s) => (out += s + "\n"), (s) => (err += s + "\n"), deps);
  return { code, out, err };
}
const run = (...argv: string[]) => runWith({}, argv);

describe("vmcheck CLI", () => {
  it("check --json prints the stable report fields and exits 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmcheck-"));
    const r = await run("check", "--runs", "20", "--seed", "3", "--json", "--out", dir);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    for (const key of ["ok", "seed", "runs", "commandsExecuted", "commandsSkipped", "durationMs", "coverage"]) expect(report).toHaveProperty(key);
    expect(report).toMatchObject({ ok: true, seed: 3, runs: 20 });
    expect(Object.keys(report.coverage).sort()).toEqual(["invariants", "ops", "results"]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("prints a human summary without --json", async () => {
    const r = await run("check", "--runs", "10", "--out", mkdtempSync(join(tmpdir(), "vmcheck-")));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/result: PASS/);
    expect(r.out).toMatch(/commands\/s/);
  });

  it("exits 2 on bad usage", async () => {
    expect((await run("check", "--runs", "-3")).code).toBe(2);
    expect((await run("check", "--frobnicate")).code).toBe(2);
    expect((await run("check", "--page-size", "100")).code).toBe(2);
    expect((await run("wibble")).code).toBe(2);
    expect((await run()).code).toBe(2);
    expect((await run("replay")).code).toBe(2);
  });

  it("replay exits 2 for a missing, truncated or malformed file, naming the problem", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmcheck-"));
    expect((await run("replay", join(dir, "nope.json"))).code).toBe(2);
    writeFileSync(join(dir, "t.json"), '{"format": "vmcheck-counterexample", "version": 1, "sco');
    const truncated = await run("replay", join(dir, "t.json"));
    expect(truncated.code).toBe(2);
    expect(truncated.err).toMatch(/truncated/);
    const bad = { format: "vmcheck-counterexample", version: 1, scope: MODEL_CHECK_SCOPE, seed: 1, commands: [{ op: "create", min: "0", max: 64 }], failure: { check: "results", step: 0, message: "" } };
    writeFileSync(join(dir, "b.json"), JSON.stringify(bad));
    const malformed = await run("replay", join(dir, "b.json"));
    expect(malformed.code).toBe(2);
    expect(malformed.err).toMatch(/commands/);
  });

  it("replay exits 0 when a recorded failure no longer reproduces, 1 when it does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmcheck-"));
    const file = join(dir, "cx.json");
    const commands = [
      { op: "create" as const, min: 0, max: 0x400 },
      { op: "lookup" as const, map: 0, addr: 0 },
    ];
    writeFileSync(file, encodeCounterexample({ format: "vmcheck-counterexample", version: 2, scope: MODEL_CHECK_SCOPE, seed: 1, commands, failure: { check: "results", step: 1, message: "was broken" } }));
    const fixed = await run("replay", file, "--json");
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.out)).toMatchObject({ ok: true, steps: 2 });
    expect(readCounterexample(file).commands).toEqual(commands);
  });

  it("check exits 1 with a counterexample file that replay reproduces (exit 1) and the real implementation passes (exit 0)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmcheck-"));
    const deps = { kernel: PLANTED_BUGS["protect-beyond-max"]!.kernel };
    const found = await runWith(deps, ["check", "--json", "--out", dir]);
    expect(found.code).toBe(1);
    const report = JSON.parse(found.out);
    expect(report.ok).toBe(false);
    expect(report.counterexample).toMatchObject({ check: "results" });
    expect(report.counterexample.length).toBeLessThanOrEqual(6);
    expect((await runWith(deps, ["replay", report.counterexample.file])).code).toBe(1);
    expect((await run("replay", report.counterexample.file)).code).toBe(0);
  });

  it("--shard splits a campaign and merge joins the shard reports into the whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmcheck-"));
    const files: string[] = [];
    for (const shard of ["1/3", "2/3", "3/3"]) {
      const r = await run("check", "--runs", "10", "--seed", "5", "--shard", shard, "--json", "--out", dir);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.out);
      expect(report.shard).toBe(shard);
      files.push(join(dir, `${shard.replace("/", "of")}.json`));
      writeFileSync(files.at(-1)!, r.out);
    }
    const shardRuns = files.map((f) => JSON.parse(readFileSync(f, "utf8")).runs);
    expect(shardRuns).toEqual([4, 3, 3]);
    const merged = await run("merge", ...files, "--json");
    expect(merged.code).toBe(0);
    const m = JSON.parse(merged.out);
    expect(m).toMatchObject({ ok: true, runs: 10, shards: ["1/3", "2/3", "3/3"] });
    const sum = files.map((f) => JSON.parse(readFileSync(f, "utf8")).commandsExecuted).reduce((a, b) => a + b, 0);
    expect(m.commandsExecuted).toBe(sum);
    expect((await run("merge", join(dir, "missing.json"))).code).toBe(2);
    expect((await run("check", "--shard", "4/3")).code).toBe(2);
  });

  it("merge prints a lock-order cycle whose two edges two shards saw as a warning, with each edge's run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmcheck-"));
    const shard = async (n: string) => {
      const r = await run("check", "--profile", "concurrency", "--runs", "5", "--seed", "7", "--shard", n, "--json", "--out", dir);
      return JSON.parse(r.out);
    };
    const [a, b] = [await shard("1/2"), await shard("2/2")];
    // Each shard learned one order of two classes the reference does not rank.
    const at = (run: number) => ({ run, thread: 0, command: 3, step: 1, lock: "x", held: "y" });
    a.concurrency.lockOrder.edges.push({ from: "pmap", to: "named_entry", first: at(1) });
    b.concurrency.lockOrder.edges.push({ from: "named_entry", to: "pmap", first: at(4) });
    const files = [join(dir, "a.json"), join(dir, "b.json")];
    writeFileSync(files[0]!, JSON.stringify(a));
    writeFileSync(files[1]!, JSON.stringify(b));
    const merged = await run("merge", ...files);
    expect(merged.code).toBe(0);
    expect(merged.out).toContain("warning: lock order, across runs: cycle: ");
    expect(merged.out).toMatch(/thread A holds (pmap|named_entry), wants (named_entry|pmap) \(as thread 0 at run [14]/);
  });

  it("--junit writes one test case per check, the broken one failed with the counterexample", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmcheck-"));
    const junit = join(dir, "report.xml");
    const r = await runWith({ kernel: PLANTED_BUGS["protect-beyond-max"]!.kernel }, ["check", "--json", "--out", dir, "--junit", junit]);
    expect(r.code).toBe(1);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toMatch(/^<\?xml/);
    expect(xml.match(/<testcase /g)!.length).toBeGreaterThan(20);
    expect(xml).toMatch(/<testcase classname="vmcheck.check" name="results" time="0">\s*<failure /);
    expect(xml.match(/<failure /g)!.length).toBe(1);
  });

  it("--profile restricts the operations, --swarm gives each run a subset, unknown profiles are bad usage", async () => {
    const r = await run("check", "--runs", "40", "--profile", "map", "--swarm", "--json", "--out", mkdtempSync(join(tmpdir(), "vmcheck-")));
    expect(r.code).toBe(0);
    const ops = Object.keys(JSON.parse(r.out).coverage.ops);
    expect(ops).not.toContain("fork");
    expect(ops).toContain("enter");
    const mmu = await run("check", "--runs", "40", "--profile", "mmu", "--cpus", "4", "--frames", "8", "--tlb", "random", "--json", "--out", mkdtempSync(join(tmpdir(), "vmcheck-")));
    expect(mmu.code).toBe(0);
    expect(Object.keys(JSON.parse(mmu.out).coverage.ops)).toEqual(expect.arrayContaining(["switch", "load", "store", "evict"]));
    expect((await run("check", "--tlb", "fifo")).code).toBe(2);
    expect((await run("check", "--profile", "concurrency", "--runs", "5")).code).toBe(0);
    expect((await run("check", "--profile", "nope")).code).toBe(2);
  });

  it("--workers N runs the campaign as N shards on worker threads and merges them", async () => {
    const r = await run("check", "--runs", "30", "--workers", "2", "--json", "--out", mkdtempSync(join(tmpdir(), "vmcheck-")));
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ ok: true, runs: 30, shards: ["1/2", "2/2"] });
    expect(report.commandsExecuted).toBeGreaterThan(0);
  });
});
