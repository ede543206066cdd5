import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { coveringKey, describeMutant, equivalenceKey, EQUIVALENT_REASON_PREFIX, heldBack, loadEquivalents, originalText, undetected } from "../../mutation/equivalents.ts";
import { scoreOf } from "../../mutation/score.ts";

describe("mutation score", () => {
  it("counts killed and timed-out mutants as detected, leaves out invalid ones and recorded equivalents", () => {
    const s = scoreOf("x", [
      { status: "Killed", equivalent: false },
      { status: "Killed", equivalent: false },
      { status: "Timeout", equivalent: false },
      { status: "Survived", equivalent: false },
      { status: "Survived", equivalent: true },
      { status: "NoCoverage", equivalent: false },
      { status: "CompileError", equivalent: false },
    ]);
    expect(s).toMatchObject({ mutants: 7, killed: 2, timedOut: 1, survived: 1, noCoverage: 1, equivalent: 1, invalid: 1 });
    expect(s.score).toBeCloseTo(3 / 5);
  });

  it("a subsystem with nothing to score scores 1, not NaN", () => {
    expect(scoreOf("empty", []).score).toBe(1);
  });
});

describe("equivalent mutants file", () => {
  const file = (content: unknown): string => {
    const path = join(mkdtempSync(join(tmpdir(), "vmcheck-eq-")), "equivalent.json");
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const record = { file: "impl/a.ts", mutator: "EqualityOperator", line: "if (a < b) return;", original: "a < b", replacement: "a <= b", reason: "a and b are never equal here: distinct page numbers" };

  it("loads records and keys them by file, mutator, source line, source text and replacement (not by line number)", () => {
    const [r] = loadEquivalents(file([record]));
    expect(equivalenceKey(r!)).toBe(equivalenceKey({ ...record }));
    expect(equivalenceKey(r!)).not.toBe(equivalenceKey({ ...record, replacement: "a > b" }));
    expect(equivalenceKey(r!)).not.toBe(equivalenceKey({ ...record, line: "while (a < b) a++;" }));
  });

  it("refuses a record without a reason, or with a non-string field, naming it", () => {
    expect(() => loadEquivalents(file([{ ...record, reason: "" }]))).toThrow(/\[0\]\.reason/);
    expect(() => loadEquivalents(file([{ ...record, file: 3 }]))).toThrow(/\[0\]\.file/);
    expect(() => loadEquivalents(file([{ ...record, line: undefined }]))).toThrow(/\[0\]\.line/);
    expect(() => loadEquivalents(file({}))).toThrow(/array/);
  });

  it("a record of a line whose text repeats in the file names the line above it, and covers only that place", () => {
    const lines = ["function merge() {", "  release(y);", "  return true;", "}", "function isEnd() {", "  for (;;) {}", "  return true;", "}"];
    const mutant = (line: number) => ({ mutatorName: "BooleanLiteral", replacement: "false", status: "Survived" as const, location: { start: { line, column: 10 }, end: { line, column: 14 } } });
    const described = describeMutant("impl/a.ts", mutant(7), lines);
    expect(described).toMatchObject({ line: "return true;", original: "true", after: "for (;;) {}" });
    const keys = new Set([equivalenceKey(described)]);
    expect(coveringKey(keys, "impl/a.ts", mutant(7), lines)).toBeDefined();
    expect(coveringKey(keys, "impl/a.ts", mutant(3), lines)).toBeUndefined();
    // A record without `after` (older, or of a line unique when recorded) names neither copy of the repeated text.
    const loose = new Set([equivalenceKey({ ...described, after: undefined })]);
    expect(coveringKey(loose, "impl/a.ts", mutant(3), lines)).toBeUndefined();
    expect(coveringKey(loose, "impl/a.ts", mutant(7), lines)).toBeUndefined();
    expect(describeMutant("impl/a.ts", mutant(2), lines)).not.toHaveProperty("after");
    expect(() => loadEquivalents(file([{ ...record, after: 1 }]))).toThrow(/\[0\]\.after/);
  });

  it("holds back from a run only a mutant its record names exactly: a record without the line above covers a unique line only", () => {
    const lines = ["function merge() {", "  release(y);", "  return true;", "}", "function isEnd() {", "  for (;;) {}", "  return true;", "}", "  x = 1;"];
    const mutant = (line: number, column = 10) => ({ mutatorName: "BooleanLiteral", replacement: "false", status: "Survived" as const, location: { start: { line, column }, end: { line, column: column + 4 } } });
    const exact = describeMutant("impl/a.ts", mutant(7), lines);
    expect(coveringKey(new Set([equivalenceKey(exact)]), "impl/a.ts", mutant(7), lines)).toBeDefined();
    expect(coveringKey(new Set([equivalenceKey(exact)]), "impl/a.ts", mutant(3), lines)).toBeUndefined();
    // The older record of the repeated text holds back neither copy (and scores neither).
    const loose = new Set([equivalenceKey({ ...exact, after: undefined })]);
    expect(coveringKey(loose, "impl/a.ts", mutant(3), lines)).toBeUndefined();
    expect(coveringKey(loose, "impl/a.ts", mutant(3), lines)).toBeUndefined();
    expect(coveringKey(loose, "impl/a.ts", mutant(7), lines)).toBeUndefined();
    // On a unique line, either form of the record covers it; another replacement is not covered.
    const unique = describeMutant("impl/a.ts", mutant(9, 7), lines);
    expect(coveringKey(new Set([equivalenceKey(unique)]), "impl/a.ts", mutant(9, 7), lines)).toBeDefined();
    expect(coveringKey(new Set([equivalenceKey({ ...unique, after: "}" })]), "impl/a.ts", mutant(9, 7), lines)).toBeDefined();
    expect(coveringKey(new Set([equivalenceKey({ ...unique, replacement: "true" })]), "impl/a.ts", mutant(9, 7), lines)).toBeUndefined();
  });

  it("a record of text that occurs twice on its line names its column, and only that one is held back", () => {
    const lines = ["const ghost = { a: [], b: [] };"];
    const at = (column: number) => ({ mutatorName: "ArrayDeclaration", replacement: '["Stryker was here"]', status: "Survived" as const, location: { start: { line: 1, column }, end: { line: 1, column: column + 2 } } });
    const second = describeMutant("impl/g.ts", at(27), lines);
    expect(second).toMatchObject({ original: "[]", column: 27 });
    const keys = new Set([equivalenceKey(second)]);
    expect(coveringKey(keys, "impl/g.ts", at(27), lines)).toBeDefined();
    expect(coveringKey(keys, "impl/g.ts", at(20), lines)).toBeUndefined();
    expect(coveringKey(keys, "impl/g.ts", at(20), lines)).toBeUndefined();
    // An older record without the column names neither copy: it scores neither and holds back neither.
    const loose = new Set([equivalenceKey({ ...second, column: undefined })]);
    expect(coveringKey(loose, "impl/g.ts", at(20), lines)).toBeUndefined();
    expect(coveringKey(loose, "impl/g.ts", at(20), lines)).toBeUndefined();
    expect(coveringKey(loose, "impl/g.ts", at(27), lines)).toBeUndefined();
    expect(() => loadEquivalents(file([{ ...record, column: 0 }]))).toThrow(/\[0\]\.column/);
  });

  it("a mutant held back as a recorded equivalent is told apart from a real compile error, and counts as undetected", () => {
    const held = { status: "CompileError" as const, statusReason: `${EQUIVALENT_REASON_PREFIX} a reason` };
    expect(heldBack(held)).toBe(true);
    expect(undetected(held)).toBe(true);
    expect(heldBack({ status: "CompileError", statusReason: "TS2322: wrong type" })).toBe(false);
    expect(undetected({ status: "CompileError", statusReason: "TS2322: wrong type" })).toBe(false);
    expect(undetected({ status: "Killed" })).toBe(false);
    expect(undetected({ status: "NoCoverage" })).toBe(true);
  });

  it("a missing file means no equivalents", () => {
    expect(loadEquivalents(join(tmpdir(), "vmcheck-no-such-file.json"))).toEqual([]);
  });
});

describe("the source text a reported mutant replaces", () => {
  const lines = ['  return { kr: "KERN_FAILURE" };', "  if (a &&", "      b) f();"];
  const at = (sl: number, sc: number, el: number, ec: number) =>
    ({ mutatorName: "X", status: "Survived" as const, location: { start: { line: sl, column: sc }, end: { line: el, column: ec } } });

  it("reads 1-based columns with an exclusive end, as the report schema stores them", () => {
    expect(originalText(at(1, 16, 1, 30), lines)).toBe('"KERN_FAILURE"');
  });

  it("joins a mutant spanning several lines", () => {
    expect(originalText(at(2, 7, 3, 8), lines)).toBe("a &&\n      b");
  });
});
