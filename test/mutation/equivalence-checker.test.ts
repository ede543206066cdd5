/**
 * The Stryker checker that holds recorded equivalents back from a run: it must hold back exactly
 * the mutant a record names (Stryker hands it 0-based positions, the records come from the
 * 1-based report), and let every other mutant through to the kill suite.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CheckStatus, type Checker } from "@stryker-mutator/api/check";
import type { Mutant } from "@stryker-mutator/api/core";
import { describe, expect, it } from "vitest";
import { CHECKER_NAME, strykerPlugins } from "../../mutation/equivalence-checker.ts";
import { EQUIVALENT_REASON_PREFIX, heldBack, loadEquivalents } from "../../mutation/equivalents.ts";

const FILE = "impl/tlb/tlb.ts";
const ORIGINAL = 'this.replacement === "lru"';

/** The mutant replacing ORIGINAL on its (unique) line of FILE, as Stryker's checkers see it. */
function mutant(id: string, replacement: string, mutatorName = "EqualityOperator"): Mutant {
  const lines = readFileSync(FILE, "utf8").split("\n");
  const line = lines.findIndex((l) => l.includes(ORIGINAL));
  const column = lines[line]!.indexOf(ORIGINAL);
  return { id, fileName: resolve(FILE), mutatorName, replacement, location: { start: { line, column }, end: { line, column: column + ORIGINAL.length } } };
}

describe("the equivalence checker plugin", () => {
  it("holds back the mutant a record names and passes the others", async () => {
    // The records this test relies on (a TLB's choice of victim is not observable).
    const records = loadEquivalents("mutation/equivalent.json").filter((r) => r.file === FILE && r.original === ORIGINAL);
    const negated = records.find((r) => r.mutator === "EqualityOperator" && r.replacement === 'this.replacement !== "lru"');
    expect(negated).toBeDefined();
    expect(records.some((r) => r.mutator === "ConditionalExpression" && r.replacement === "true")).toBe(true);
    const plugin = strykerPlugins[0]!;
    expect(plugin.name).toBe(CHECKER_NAME);
    const checker = new (plugin as unknown as { injectableClass: new () => Checker }).injectableClass();
    await checker.init();
    const results = await checker.check([
      mutant("1", 'this.replacement !== "lru"'),
      mutant("2", "true", "ConditionalExpression"),
      // Not recorded: another replacement of the same text, and the text of a recorded
      // StringLiteral mutant ('"lru"' -> '""') at a place where it is not the mutated text.
      mutant("3", 'this.replacement === "fifo"'),
      mutant("4", '""', "StringLiteral"),
    ]);
    expect(results["1"]).toEqual({ status: CheckStatus.CompileError, reason: `${EQUIVALENT_REASON_PREFIX} ${negated!.reason}` });
    expect(heldBack({ status: "CompileError", statusReason: (results["1"] as { reason: string }).reason })).toBe(true);
    expect(results["2"]!.status).toBe(CheckStatus.CompileError);
    expect(results["3"]).toEqual({ status: CheckStatus.Passed });
    expect(results["4"]).toEqual({ status: CheckStatus.Passed });
  });
});
