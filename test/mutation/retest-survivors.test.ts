import { describe, expect, it } from "vitest";
import { judgeRecords } from "../../mutation/equivalents.ts";
import { locate } from "../../mutation/retest-survivors.ts";

const mutant = (line: number, column: number, endLine: number, endColumn: number) => ({
  mutatorName: "ConditionalExpression",
  replacement: "true",
  status: "Survived" as const,
  location: { start: { line, column }, end: { line: endLine, column: endColumn } },
});

describe("retest-survivors: finding a mutant of an old report in the current source", () => {
  const old = ["function f(a, b) {", "  if (a < b) return 1;", "  return 2;", "}"].join("\n");
  const m = mutant(2, 7, 2, 12); // `a < b`

  it("finds it on the same line text after lines moved and indentation changed", () => {
    const current = ["// new comment", "", "function f(a, b) {", "    if (a < b) return 1;", "  return 2;", "}"].join("\n");
    const at = locate(old, current, m)!;
    expect(current.slice(at[0], at[1])).toBe("a < b");
    expect(current.slice(0, at[0]).split("\n").length).toBe(4);
  });

  it("takes the occurrence nearest the old line when the line text repeats", () => {
    const current = ["function f(a, b) {", "", "  if (a < b) return 1;", "  return 2;", "}", "", "", "  if (a < b) return 1;"].join("\n");
    const at = locate(old, current, m)!;
    expect(current.slice(0, at[0]).split("\n").length).toBe(3);
  });

  it("finds nothing when the line changed", () => {
    expect(locate(old, old.replace("a < b", "a <= b"), m)).toBeUndefined();
  });

  it("finds a mutant spanning lines by its whole text", () => {
    const block = mutant(1, 18, 4, 2); // the function body `{ … }`
    const current = "\n" + old;
    const at = locate(old, current, block)!;
    expect(current.slice(at[0], at[1])).toBe(old.slice(old.indexOf("{")));
  });
});

describe("judgeRecords: which records a run refutes, and which are too broad", () => {
  it("refutes a record whose every mutant was killed, and only that one", () => {
    const { refuted } = judgeRecords([
      { key: "a", killed: true },
      { key: "b", killed: false },
      { key: "c", killed: true },
      { key: "c", killed: true },
    ]);
    expect([...refuted].sort()).toEqual(["a", "c"]);
  });

  it("keeps a record while any mutant it covers survives (one line text in two places)", () => {
    expect(judgeRecords([{ key: "a", killed: true }, { key: "a", killed: false }]).refuted.size).toBe(0);
    expect(judgeRecords([{ key: "a", killed: false }, { key: "a", killed: true }]).refuted.size).toBe(0);
  });

  it("calls such a record ambiguous, and no other", () => {
    const outcomes = [{ key: "a", killed: true }, { key: "a", killed: false }, { key: "b", killed: true }, { key: "c", killed: false }];
    expect([...judgeRecords(outcomes).ambiguous]).toEqual(["a"]);
  });
});
