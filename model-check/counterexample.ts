/**
 * Counterexample files: a versioned JSON document holding everything a replay needs — the
 * scope, the seed it was found with, the concrete command list (resolved, so no generator is
 * involved in replay), and the check that failed with its message. The file is validated with
 * an Effect Schema derived from the vocabulary; a malformed file is rejected with a message
 * naming the bad field.
 *
 * JSON has no NaN or Infinity, yet bad-input commands carry them: such numbers are written as
 * `{"$number": "NaN"}` and read back.
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Schema } from "effect";
import { OpSchema, type Op } from "../spec/vocabulary.ts";
import { scopeProblem, type Scope } from "../spec/scope.ts";

export const FORMAT = "vmcheck-counterexample";
export const CURRENT_VERSION = 2;

const ScopeSchema = Schema.Struct({
  addressBits: Schema.Number,
  pageSize: Schema.Number,
  maxWireCount: Schema.Number,
  maxObjectPages: Schema.Number,
  kernelBufferThreshold: Schema.Number,
  pageListMax: Schema.optional(Schema.Number),
  // The MMU geometry is optional: files written before the MMU have no CPU.
  cpus: Schema.optional(Schema.Number),
  frames: Schema.optional(Schema.Number),
  tlbEntries: Schema.optional(Schema.Number),
  tlbWays: Schema.optional(Schema.Number),
  tlbReplacement: Schema.optional(Schema.Literals(["lru", "random"])),
  pageTableLeafBits: Schema.optional(Schema.Number),
  // Absent in files written before it: the index's default orders.
  mapTreeOrder: Schema.optional(Schema.Number),
});

const FailureSchema = Schema.Struct({
  /** "results", "refinement", an invariant name, "timestamp-monotone" or "exception". */
  check: Schema.String,
  /** Index of the failing command. */
  step: Schema.Number,
  message: Schema.String,
});

export const CounterexampleSchema = Schema.Struct({
  format: Schema.Literal(FORMAT),
  version: Schema.Literal(2),
  scope: ScopeSchema,
  seed: Schema.Number,
  commands: Schema.Array(OpSchema),
  failure: FailureSchema,
  /** Free-form provenance: what found it (campaign, plant name, shrink statistics). */
  foundBy: Schema.optional(Schema.String),
});

export interface Counterexample {
  readonly format: typeof FORMAT;
  readonly version: typeof CURRENT_VERSION;
  readonly scope: Scope;
  readonly seed: number;
  readonly commands: readonly Op[];
  readonly failure: { readonly check: string; readonly step: number; readonly message: string };
  readonly foundBy?: string;
}

/** A file that cannot be used: bad JSON, wrong format or version, or a bad field. */
export class CounterexampleFormatError extends Error {
  override readonly name = "CounterexampleFormatError";
}

const replacer = (_k: string, v: unknown) =>
  typeof v === "number" && !Number.isFinite(v) ? { $number: String(v) } : v;

const reviver = (_k: string, v: unknown) => {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === "$number" && typeof o["$number"] === "string") {
      const n = Number(o["$number"]);
      if (Number.isNaN(n) && o["$number"] !== "NaN") throw new CounterexampleFormatError(`bad $number value ${JSON.stringify(o["$number"])}`);
      return n;
    }
  }
  return v;
};

export function encodeCounterexample(cx: Counterexample): string {
  return JSON.stringify(cx, replacer, 2) + "\n";
}

/**
 * Migrations, one per version step: each takes a document of version v and returns one of
 * version v + 1. A file is migrated step by step up to the current version, then validated.
 */
const MIGRATIONS: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {
  // Version 2 added the kernel-buffer copy threshold to the scope; version 1 files predate
  // copies, so the 2000 kernel's value (4096 bytes) is exact for them.
  1: (doc) => {
    const scope = doc["scope"];
    return { ...doc, version: 2, scope: scope && typeof scope === "object" ? { kernelBufferThreshold: 4096, ...scope } : scope };
  },
};

/** Parse, migrate to the current version and validate a counterexample document. */
export function decodeCounterexample(text: string, source = "counterexample"): Counterexample {
  let raw: unknown;
  try {
    raw = JSON.parse(text, reviver);
  } catch (e) {
    if (e instanceof CounterexampleFormatError) throw e;
    throw new CounterexampleFormatError(`${source}: not valid JSON (${e instanceof Error ? e.message : String(e)}); the file may be truncated`);
  }
  if (!raw || typeof raw !== "object") throw new CounterexampleFormatError(`${source}: expected a JSON object`);
  const doc = raw as Record<string, unknown>;
  if (doc["format"] !== FORMAT) throw new CounterexampleFormatError(`${source}: field "format" must be "${FORMAT}"`);
  if (typeof doc["version"] !== "number" || !Number.isInteger(doc["version"]) || doc["version"] > CURRENT_VERSION || doc["version"] < 1)
    throw new CounterexampleFormatError(`${source}: field "version" is ${JSON.stringify(doc["version"])}; this vmcheck reads versions 1..${CURRENT_VERSION}`);
  let migrated = doc;
  for (let v = doc["version"]; v < CURRENT_VERSION; v++) migrated = MIGRATIONS[v]!(migrated);
  let cx: Counterexample;
  try {
    cx = Schema.decodeUnknownSync(CounterexampleSchema)(migrated) as unknown as Counterexample;
  } catch (e) {
    throw new CounterexampleFormatError(`${source}: ${String(e).replace(/^SchemaError\(/, "").replace(/\)$/, "")}`);
  }
  const bad = scopeProblem(cx.scope);
  if (bad) throw new CounterexampleFormatError(`${source}: field "scope": ${bad}`);
  return cx;
}

export function readCounterexample(file: string): Counterexample {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new CounterexampleFormatError(`${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  return decodeCounterexample(text, file);
}

/** Write into `dir` under a name derived from the check and seed; returns the path. */
export function writeCounterexample(dir: string, cx: Counterexample): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${cx.failure.check}-seed${cx.seed}-${cx.commands.length}cmds.json`);
  writeFileSync(file, encodeCounterexample(cx));
  return file;
}
