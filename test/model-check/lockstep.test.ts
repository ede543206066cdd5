import { describe, expect, it } from "vitest";
import { Kernel } from "../../impl/kernel.ts";
import { VmMap } from "../../impl/map/vm-map.ts";
import { kernelSystem, replayCommands, type KernelFactory } from "../../model-check/lockstep.ts";
import { MODEL_CHECK_SCOPE } from "../../model-check/campaign.ts";
import type { KernReturn } from "../../spec/constants.ts";
import type { Op, OpResult } from "../../spec/vocabulary.ts";

const scope = MODEL_CHECK_SCOPE;
const ps = scope.pageSize;

const commands: Op[] = [
  { op: "create", min: 0, max: 16 * ps },
  { op: "enter", map: 0, addr: 0, size: 2 * ps, mask: 0, anywhere: true, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
  { op: "write_user", map: 0, addr: 5, data: "0102" },
  { op: "read_user", map: 0, addr: 4, size: 4 },
  { op: "protect", map: 0, addr: ps, size: ps, prot: 1, setMax: false },
];

/** A kernel that behaves like the real one except for one command kind. */
function kernelWith(tamper: (k: Kernel, op: Op, honest: OpResult) => OpResult): KernelFactory {
  return (s) => {
    const k = new Kernel(s);
    const run = k.run.bind(k);
    k.run = (op: Op) => tamper(k, op, run(op));
    return k;
  };
}

describe("lockstep checks", () => {
  it("passes the real implementation", () => {
    const r = replayCommands(commands, { scope });
    expect(r.ok).toBe(true);
    expect(r.history[3]!.spec).toEqual({ kr: "KERN_SUCCESS", data: "00010200" });
  });

  it("reports 'results' when the implementation returns another result", () => {
    const k = kernelWith((_k, op, honest) => (op.op === "read_user" ? { kr: "KERN_SUCCESS", data: "00010300" } : honest));
    expect(replayCommands(commands, { scope, kernel: k })).toMatchObject({ ok: false, check: "results", step: 3 });
  });

  it("reports 'refinement' when the implementation's state differs from the spec's", () => {
    // The result agrees, but the page's protection was not changed.
    class LazyProtect extends VmMap {
      override protect(_start: number, _end: number, _prot: number, _setMax: boolean): KernReturn {
        this.lockWrite();
        return "KERN_SUCCESS";
      }
    }
    const r = replayCommands(commands, { scope, kernel: (s) => new Kernel(s, { mapClass: LazyProtect }) });
    expect(r).toMatchObject({ ok: false, check: "refinement", step: 4 });
    expect(r.ok || r.message).toMatch(/prot: spec 1, impl 3/);
  });

  it("reports 'refinement' when aliasing differs even though bytes agree", () => {
    // Two mappings of one object: an implementation that maps private copies instead of the
    // object has the same bytes but not the same sharing.
    const shared: Op[] = [
      { op: "create", min: 0, max: 16 * ps },
      { op: "object_create", size: 2 * ps },
      { op: "enter", map: 0, addr: 0, size: ps, mask: 0, anywhere: false, alias: 0, cur: 3, max: 3, inheritance: 1, source: { kind: "object", object: 0, offset: 0 } },
    ];
    const k = kernelWith((kk, op, honest) => {
      if (op.op === "enter" && honest.kr === "KERN_SUCCESS") kk.maps[0]!.store.header.next.object = kk.newObject("anonymous", ps);
      return honest;
    });
    const r = replayCommands(shared, { scope, kernel: k });
    expect(r).toMatchObject({ ok: false, step: 2 });
    expect(r.ok || r.check).toMatch(/refinement|object-refcounts/);
  });

  it("reports 'exception' when the implementation throws", () => {
    const k = kernelWith((_k, op, honest) => {
      if (op.op === "protect") throw new TypeError("boom");
      return honest;
    });
    expect(replayCommands(commands, { scope, kernel: k })).toMatchObject({ ok: false, check: "exception", step: 4 });
  });

  it("reports 'timestamp-monotone' when a map's timestamp goes back", () => {
    const k = kernelWith((kk, op, honest) => {
      if (op.op === "read_user") kk.maps[0]!.timestamp = 0;
      return honest;
    });
    expect(replayCommands(commands, { scope, kernel: k })).toMatchObject({ ok: false, check: "timestamp-monotone", step: 3 });
  });

  it("reports 'timestamp-bumped' when a map changes without its write lock", () => {
    // A map that never takes its write lock: enter maps the pages, and the timestamp stays at 0.
    class UnlockedProtect extends VmMap {
      override lockWrite(): void {}
    }
    const r = replayCommands(commands, { scope, kernel: (s) => new Kernel(s, { mapClass: UnlockedProtect }) });
    expect(r).toMatchObject({ ok: false, check: "timestamp-bumped", step: 1 });
    expect(r.ok || r.message).toMatch(/map 0 changed \(entry \[0x0, 0x80\) .* added\)/);
    // A system under test without entry shapes is judged by the abstraction's pages instead.
    const byPages = replayCommands(commands, {
      scope,
      system: (s) => {
        const { entryShapes: _shapes, ...rest } = kernelSystem(new Kernel(s, { mapClass: UnlockedProtect }));
        return rest;
      },
    });
    expect(byPages).toMatchObject({ ok: false, check: "timestamp-bumped", step: 1 });
    expect(byPages.ok || byPages.message).toMatch(/map 0 changed \(page 0 mapped\)/);
  });

  it("skips a remove that would wait forever for kernel wirings, on both sides", () => {
    const blocked: Op[] = [
      { op: "create", min: 0, max: 16 * ps },
      { op: "enter", map: 0, addr: 0, size: ps, mask: 0, anywhere: true, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
      { op: "wire", map: 0, addr: 0, size: ps, access: 1, user: false },
      { op: "remove", map: 0, addr: 0, size: ps, flags: 4 },
      { op: "remove", map: 0, addr: 0, size: ps, flags: 0 },
    ];
    const r = replayCommands(blocked, { scope });
    expect(r).toMatchObject({ ok: true, steps: 4, skipped: 1 });
    expect(r.history[3]!.spec.kr).toBe("KERN_FAILURE");
  });
});
