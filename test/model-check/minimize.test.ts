import { describe, expect, it } from "vitest";
import { INVARIANTS } from "../../model-check/invariants.ts";
import { MODEL_CHECK_SCOPE } from "../../model-check/campaign.ts";
import { minimizeCommands, simplifyArguments } from "../../model-check/minimize.ts";
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

describe("vmcheck minimize", () => {
  it("writes FILE.min.json beside the original, keeps the failure, and is a fixpoint", async () => {
    const { mkdtempSync, writeFileSync, readFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { main } = await import("../../model-check/cli.ts");
    const { encodeCounterexample, readCounterexample } = await import("../../model-check/counterexample.ts");
    const dir = mkdtempSync(join(tmpdir(), "vmcheck-"));
    const file = join(dir, "padded.json");
    writeFileSync(file, encodeCounterexample({ format: "vmcheck-counterexample", version: 2, scope, seed: 0, commands: padded, failure: { check: "results", step: 6, message: "" } }));
    const quiet = () => {};
    expect(await main(["minimize", file], quiet, quiet, { kernel })).toBe(1);
    const min = readCounterexample(join(dir, "padded.min.json"));
    expect(min.commands.length).toBe(3);
    expect(readCounterexample(file).commands.length).toBe(padded.length);
    expect(await main(["minimize", join(dir, "padded.min.json")], quiet, quiet, { kernel })).toBe(1);
    expect(readCounterexample(join(dir, "padded.min.json")).commands).toEqual(min.commands);
    expect(readFileSync(join(dir, "padded.min.json"), "utf8")).toContain('"check": "results"');
    // Against the real implementation the failure does not reproduce: nothing to minimize.
    expect(await main(["minimize", file], quiet, quiet)).toBe(0);
  });

  it("simplifies arguments toward round values", () => {
    const odd: Op[] = [
      { op: "create", min: 0, max: 16 * ps },
      { op: "enter", map: 0, addr: 5 * ps + 7, size: ps - 3, mask: 0, anywhere: false, alias: 0, cur: 1, max: 1, inheritance: 1, source: { kind: "anonymous" } },
      { op: "protect", map: 0, addr: 5 * ps + 9, size: 1, prot: 3, setMax: false },
    ];
    const r = minimizeCommands(odd, { scope, kernel }, "results");
    const simple = simplifyArguments(r.commands, { scope, kernel }, "results");
    const enter = simple.commands[1] as Op & { op: "enter" };
    expect(enter.addr % ps).toBe(0);
    expect(simple.commands.length).toBe(3);
  });
});

describe("handle renumbering", () => {
  it("drops an unneeded create and renames the later map handles", () => {
    const withExtraMap: Op[] = [
      { op: "create", min: 0, max: 4 * ps },
      { op: "create", min: 0, max: 16 * ps },
      { op: "enter", map: 1, addr: 0, size: ps, mask: 0, anywhere: false, alias: 0, cur: 1, max: 1, inheritance: 1, source: { kind: "anonymous" } },
      { op: "protect", map: 1, addr: 0, size: ps, prot: 3, setMax: false },
    ];
    const r = minimizeCommands(withExtraMap, { scope, kernel }, "results");
    expect(r.commands).toHaveLength(3);
    expect(r.commands.slice(1).map((c) => ("map" in c ? c.map : -1))).toEqual([0, 0]);
  });
});

/** The plant's kernel and the options to minimize against it. */
const against = (plant: string) => ({ scope, kernel: PLANTED_BUGS[plant]!.kernel });
const anon = { kind: "anonymous" } as const;
const enterAt = (addr: number, o: Partial<Op & { op: "enter" }> = {}): Op =>
  ({ op: "enter", map: 0, addr, size: ps, mask: 0, anywhere: true, alias: 0, cur: 0, max: 7, inheritance: 0, source: anon, ...o }) as Op;

describe("beyond dropping commands", () => {
  it("relocation: a command keeps naming the pages an allocation returned after an earlier mapping goes", () => {
    // find_space lands at 0x40 behind the enter; without the enter it lands at 0, and the
    // remove of its first page must follow it there.
    const list: Op[] = [
      { op: "create", min: 0, max: 3 * ps },
      enterAt(0),
      { op: "copyin", map: 0, addr: ps, size: ps - 1, srcDestroy: false, useMaxprot: false },
      { op: "find_space", map: 0, size: ps + 1, mask: ps - 1 },
      { op: "remove", map: 0, addr: ps, size: ps - 1, flags: 0 },
    ];
    const r = minimizeCommands(list, against("remove-ignores-range-end"), "refinement");
    expect(r.commands.map((c) => c.op)).toEqual(["create", "find_space", "remove"]);
    expect((r.commands[2] as Op & { op: "remove" }).addr).toBe(0);
  });

  it("folds an attribute change into the enter that mapped the range", () => {
    const list: Op[] = [
      { op: "create", min: 0, max: ps },
      enterAt(0),
      { op: "protect", map: 0, addr: 0, size: ps, prot: 3, setMax: false },
      { op: "inherit", map: 0, addr: 0, size: ps, inheritance: 1 },
      { op: "make_memory_entry", map: 0, addr: 0, size: ps, permission: 1 },
      { op: "fork", map: 0 },
      { op: "deallocate", map: 0 },
      { op: "wire", map: 1, addr: 0, size: ps, access: 0, user: false },
    ];
    const r = minimizeCommands(list, against("symmetric-written-in-place"), "wired-no-needs-copy");
    expect(r.commands.map((c) => c.op)).toEqual(["create", "enter", "make_memory_entry", "fork", "wire"]);
    expect((r.commands[1] as Op & { op: "enter" }).inheritance).toBe(1);
  });

  it("makes a command like another of its kind when that lets others go", () => {
    // The copyin and copyout only give the page at 0x40 the attributes of its neighbour.
    const list: Op[] = [
      { op: "create", min: 0, max: 2 * ps },
      enterAt(ps),
      { op: "object_create", size: ps },
      enterAt(0, { cur: 3, inheritance: 1, source: { kind: "object", object: 0, offset: 0 } }),
      { op: "copyin", map: 0, addr: ps, size: ps, srcDestroy: true, useMaxprot: true },
      { op: "copyout", map: 0, copy: 0 },
      { op: "simplify", map: 0, addr: 0 },
    ];
    // Judged by object-window alone (simplify-merging would see the wrong merge in any two
    // entries), so that the entries must be made alike before the copy can go.
    const withoutMergeCheck = { ...against("simplify-merges-different-objects"), invariants: INVARIANTS.filter((i) => i.name !== "simplify-merging") };
    const r = minimizeCommands(list, withoutMergeCheck, "object-window");
    expect(r.commands.map((c) => c.op)).toEqual(["create", "enter", "object_create", "enter", "simplify"]);
  });

  it("replaces a command by a simpler one of the same effect: a copyin by a remap with copy", () => {
    const list: Op[] = [
      { op: "create", min: 0, max: ps },
      { op: "object_create", size: ps },
      enterAt(0, { cur: 3, inheritance: 1, source: { kind: "object", object: 0, offset: 0 } }),
      { op: "copyin", map: 0, addr: 0, size: ps, srcDestroy: false, useMaxprot: true },
      { op: "write_user", map: 0, addr: 0, data: "01" },
    ];
    const r = minimizeCommands(list, against("copy-object-push-skipped"), "refinement");
    expect(r.commands.map((c) => c.op)).toEqual(["create", "enter", "remap", "write_user"]);
    expect(minimizeCommands(r.commands, against("copy-object-push-skipped"), "refinement").commands).toEqual(r.commands);
  });

  it("turns a find_space into the enter it amounts to, so that a later change of max folds into it", () => {
    const list: Op[] = [
      { op: "create", min: 0, max: ps },
      { op: "find_space", map: 0, size: ps, mask: 0 },
      { op: "protect", map: 0, addr: 0, size: ps, prot: 0, setMax: true },
      { op: "protect", map: 0, addr: 0, size: ps, prot: 1, setMax: false },
    ];
    const r = minimizeCommands(list, { scope, kernel }, "results");
    expect(r.commands.map((c) => c.op)).toEqual(["create", "enter", "protect"]);
    expect(r.commands[1]).toMatchObject({ cur: 0, max: 0 });
  });

  it("stops at its budget of replays, still failing the same way", () => {
    const r = minimizeCommands(padded, { scope, kernel }, "results", 3);
    expect(r.attempts).toBeLessThanOrEqual(3);
    expect(r.outcome.check).toBe("results");
  });
});
