import { describe, expect, it } from "vitest";
import { main } from "../../model-check/cli.ts";
import { readCounterexample } from "../../model-check/counterexample.ts";
import { explain } from "../../model-check/explain.ts";
import { PLANTED_BUGS } from "../planted/bugs.ts";

describe("vmcheck explain", () => {
  const file = "counterexamples/planted/copy-object-push-skipped.json";
  const cx = readCounterexample(file);

  it("tells each step, what changed, the failed check and the implementation's entries and objects", () => {
    const { lines, failed } = explain(cx, { kernel: PLANTED_BUGS["copy-object-push-skipped"]!.kernel });
    const text = lines.join("\n");
    expect(failed).toBe(true);
    expect(text).toMatch(/step 0: create/);
    expect(text).toMatch(/map 0 created over/);
    expect(text).toMatch(/copy 0 created: entry_list/);
    expect(text).toMatch(/FAILED: refinement/);
    expect(text).toMatch(/copy 0 page 0: bytes differ/);
    expect(text).toMatch(/map 0 in the implementation: 1 entries/);
    expect(text).toMatch(/copy object \d+/);
    expect(text).toMatch(/copy 0 in the implementation: entry list/);
  });

  it("says, for each thread in flight, whether it can run and where it is suspended", () => {
    const cx = readCounterexample("counterexamples/planted/wakeup-forgotten.json");
    const lines = explain(cx, { suspendable: PLANTED_BUGS["wakeup-forgotten"]!.suspendable! }).lines;
    expect(lines).toContain("  thread 0: wire(map=0, addr=0x0, size=0x80, access=r--, user=true) — can run (wire: pages faulted in, map unlocked)");
    expect(lines).toContain("  thread 1: remove(map=0, addr=0x0, size=0x80, flags=0) — blocked (remove: waiting for an entry in transition or a kernel wiring; asleep until a wakeup of map 0)");
  });

  it("shows each CPU's TLB, the page tables and the frames once a CPU runs a map", () => {
    const mmuCx = readCounterexample("counterexamples/planted/no-shootdown-on-protect.json");
    const text = explain(mmuCx, { kernel: PLANTED_BUGS["no-shootdown-on-protect"]!.kernel }).lines.join("\n");
    expect(text).toMatch(/mmu: cpu 0 runs map 0 \(asid 1\); TLB: asid 1 0x0→f0/);
    expect(text).toMatch(/mmu: map 0 \(asid 1\) PTEs: none/);
    expect(text).toMatch(/FAILED: tlb-within-pte/);
    expect(text).toMatch(/mmu: frames in use 1\/16/);
  });

  it("tells swapping and region destruction, and shows a swapped-out map's residence", () => {
    const swap = readCounterexample("counterexamples/planted/swapout-keeps-submaps-resident.json");
    const text = explain(swap, { kernel: PLANTED_BUGS["swapout-keeps-submaps-resident"]!.kernel }).lines.join("\n");
    expect(text).toMatch(/map 0 swapped-out references 0 → 1/);
    expect(text).toMatch(/FAILED: map-residence/);
    expect(text).toMatch(/map 0 in the implementation: .*res_count 0 \(swapped out\)/);
    const region = readCounterexample("counterexamples/planted/region-destroy-keeps-data-submap.json");
    const told = explain(region, { kernel: PLANTED_BUGS["region-destroy-keeps-data-submap"]!.kernel }).lines.join("\n");
    expect(told).toMatch(/shared region 0 created: text map 0, data map 1/);
    expect(told).toMatch(/shared region 0: handle dropped, destroyed/);
  });

  it("says PASS and exits 0 when the failure no longer reproduces against the real implementation", async () => {
    let out = "";
    const code = await main(["explain", file], (s) => (out += s + "\n"));
    expect(code).toBe(0);
    expect(out).toMatch(/^PASS/m);
  });
});
