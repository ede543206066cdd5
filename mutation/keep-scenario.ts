/**
 * `npx tsx mutation/keep-scenario.ts NAME COMMANDS.json FILE:LINE ORIGINAL REPLACEMENT "note"`:
 * keep a hand-written command sequence that kills a surviving mutant the random campaigns do not
 * line up, as a counterexample of the corpus (counterexamples/mutants/NAME.json, expected to
 * pass), so that `npm test` and the kill suite (mutation/kill/corpus.kill.ts) replay it forever
 * after.
 *
 * It is kept only if it really kills: the mutant (ORIGINAL replaced by REPLACEMENT on line LINE
 * of FILE, once) is applied, the sequence is replayed against it and must fail a check — the
 * failure recorded in the file is the one the checker reported there, and `foundBy` names the
 * mutant —; then, with the source restored, it must pass. An exception counts only when the
 * implementation threw (the harness's `exception` check: an implementation must not throw); one
 * thrown by the spec or the harness is refused.
 *
 * COMMANDS.json is an array of operations in the vocabulary's JSON form, or an object
 * `{ "scope": {...}, "commands": [...] }` for a scope other than the model check's default.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MODEL_CHECK_SCOPE } from "../model-check/campaign.ts";
import { readManifest } from "../model-check/manifest.ts";

interface ReplayReport {
  readonly ok: boolean;
  readonly check?: string;
  readonly step?: number;
  readonly message?: string;
}

function replay(file: string): ReplayReport {
  let out: string;
  try {
    out = execFileSync("npx", ["tsx", "model-check/cli.ts", "replay", file, "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    out = (e as { stdout?: string }).stdout ?? "";
  }
  return JSON.parse(out) as ReplayReport;
}

function main(argv: readonly string[]): void {
  const [name, commandsFile, where, original, replacement, note] = argv;
  const m = /^(.+):(\d+)$/.exec(where ?? "");
  if (!name || !commandsFile || !m || original === undefined || replacement === undefined || !note)
    throw new Error("usage: keep-scenario.ts NAME COMMANDS.json FILE:LINE ORIGINAL REPLACEMENT \"note\"");
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error("NAME: lower-case words joined by hyphens");
  const [source, line] = [m[1]!, Number(m[2])];
  const raw = JSON.parse(readFileSync(commandsFile, "utf8")) as unknown;
  const { scope, commands } = Array.isArray(raw) ? { scope: MODEL_CHECK_SCOPE, commands: raw } : (raw as { scope: object; commands: unknown[] });
  const file = join("counterexamples", "mutants", `${name}.json`);
  const manifestPath = join("counterexamples", "manifest.json");
  if (existsSync(file)) throw new Error(`${file} exists already`);

  const text = readFileSync(source, "utf8");
  const lines = text.split("\n");
  const at = lines[line - 1]?.indexOf(original) ?? -1;
  if (at < 0) throw new Error(`${source}:${line} does not contain ${JSON.stringify(original)}`);
  const mutant = `${source}:${line} ${JSON.stringify(original)} -> ${JSON.stringify(replacement)}`;
  const draft = { format: "vmcheck-counterexample", version: 2, scope, seed: 0, commands, failure: { check: "none", step: 0, message: "" }, foundBy: "" };
  writeFileSync(file, JSON.stringify(draft, null, 2) + "\n");
  let onMutant: ReplayReport;
  try {
    lines[line - 1] = lines[line - 1]!.slice(0, at) + replacement + lines[line - 1]!.slice(at + original.length);
    writeFileSync(source, lines.join("\n"));
    onMutant = replay(file);
  } finally {
    writeFileSync(source, text);
  }
  const onReal = replay(file);
  const refuse = (why: string): never => {
    execFileSync("rm", ["-f", file]);
    throw new Error(`not kept: ${why}`);
  };
  if (onMutant.ok) refuse(`the sequence passes on the mutant ${mutant}`);
  if (onMutant.check === "exception" && !/threw in the implementation/.test(onMutant.message ?? "")) refuse(`the replay crashed outside the implementation (${onMutant.message})`);
  if (!onReal.ok) refuse(`the sequence fails on the real implementation: ${onReal.check} at step ${onReal.step}: ${onReal.message}`);
  const failure = { check: onMutant.check!, step: onMutant.step!, message: onMutant.message! };
  writeFileSync(file, JSON.stringify({ ...draft, failure, foundBy: `mutation testing: written by hand to kill the mutant ${mutant}` }, null, 2) + "\n");
  const manifest = readManifest(manifestPath);
  const entry = { file: `mutants/${name}.json`, expect: "pass" as const, note };
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, entries: [...manifest.entries, entry] }, null, 2) + "\n");
  console.log(`kept ${file}: on the mutant, ${failure.check} at step ${failure.step}: ${failure.message}`);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
}
