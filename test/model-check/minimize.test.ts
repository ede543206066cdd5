import { describe, expect, it } from "vitest";
import { MODEL_CHECK_SCOPE } from "../../model-check/campaign.ts";
import { minimizeCommands } from "../../model-check/minimize.ts";
import type { Op } from "../../spec/vocabulary.ts";
import { PLANTED_BUGS } from "../planted/bugs.ts";

const scope = MODEL_CHECK_SCOPE;
const ps = scope.pageSize;
const kernel = PLANTED_BUGS["protect-beyond-max"]!.kernel;

/** A failing list padded with commands that play no part in the failure. */
const padded: Op[] = [
  { op: "create", min: 0, max: 16 * ps },
  { op: "object_create", size: ps },
  { op: "enter", map: 0, addr: 8 * ps, size: ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
  { op: "enter", map: 0, addr: 0, size: ps, mask: 0, anywhere: false, alias: 0, cur: 1, max: 1, inheritance: 1, source: { kind: "anonymous" } },
  { op: "write_user", map: 0, addr: 8 * ps, data: "ff" },
  { op: "lookup", map: 0, addr: 0 },
  { op: "protect", map: 0, addr: 0, size: ps, prot: 3, setMax: false },
  { op: "lookup", map: 0, addr: ps },
];

describe("delta-debugging minimizer", () => {
  it("drops every command the failure does not need, and keeps the failure", () => {
    const r = minimizeCommands(padded, { scope, kernel }, "results");
    expect(r.commands.map((c) => c.op)).toEqual(["create", "enter", "protect"]);
    expect(r.outcome).toMatchObject({ ok: false, check: "results", step: 2 });
  });

  it("is a fixpoint: minimizing a minimal list changes nothing", () => {
    const once = minimizeCommands(padded, { scope, kernel }, "results");
    const twice = minimizeCommands(once.commands, { scope, kernel }, "results");
    expect(twice.commands).toEqual(once.commands);
  });

  it("refuses a list that does not fail with the given check", () => {
    expect(() => minimizeCommands(padded, { scope }, "results")).toThrow(/do not fail/);
  });
});
