import { describe, expect, it } from "vitest";
import { badBodies, missingBodies, refusalProblems, runOnThread, VALID_BODIES } from "../../model-check/concurrency/bad-input.ts";

describe("bad input on threads (model-check/concurrency/bad-input.ts)", () => {
  it("has a body for every operation a thread can run, and each succeeds on the setup's world", () => {
    expect(missingBodies()).toEqual([]);
    for (const body of VALID_BODIES) expect(runOnThread(body), body.op).toEqual({ result: "KERN_SUCCESS" });
  });

  it("every numeric argument made bad: the spec's code, no exception, nothing changed, every check held", () => {
    const bodies = badBodies();
    expect(bodies.length).toBeGreaterThan(400);
    const failures = bodies.map(runOnThread).flatMap((r) => ("failure" in r ? [r.failure] : []));
    expect(failures).toEqual([]);
  });

  it("a spawn on a busy thread, a bad thread id or a bad step count is refused; the operation in flight completes once, unchanged", () => {
    expect(refusalProblems()).toEqual([]);
  });
});
