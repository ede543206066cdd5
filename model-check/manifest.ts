/**
 * The corpus manifest (counterexamples/manifest.json): every counterexample file with the
 * outcome a replay must have. `npm test` replays each entry forever after, the way TLA+
 * Examples replays its models: a fixed bug stays fixed, and a planted bug stays caught.
 */
import { readFileSync } from "node:fs";
import { Schema } from "effect";
import { CounterexampleFormatError } from "./counterexample.ts";

export const ManifestEntrySchema = Schema.Struct({
  /** Path relative to the manifest's folder. */
  file: Schema.String,
  /**
   * "pass": a real bug, fixed — the file must replay cleanly against the implementation.
   * "fail": the file must still fail with `check` — against the planted bug `plant` (a test-only
   * broken implementation) when given, else against the implementation itself.
   */
  expect: Schema.Literals(["pass", "fail"]),
  check: Schema.optional(Schema.String),
  plant: Schema.optional(Schema.String),
  note: Schema.String,
});
export const ManifestSchema = Schema.Struct({
  format: Schema.Literal("vmcheck-manifest"),
  version: Schema.Literal(1),
  entries: Schema.Array(ManifestEntrySchema),
});
export type Manifest = typeof ManifestSchema.Type;
export type ManifestEntry = typeof ManifestEntrySchema.Type;

export function readManifest(file: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new CounterexampleFormatError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return Schema.decodeUnknownSync(ManifestSchema)(raw);
  } catch (e) {
    throw new CounterexampleFormatError(`${file}: ${String(e)}`);
  }
}
