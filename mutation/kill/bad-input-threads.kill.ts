/**
 * Bad input on threads (model-check/concurrency/bad-input.ts): every operation a thread can run,
 * with each numeric argument out of its domain, linearized against the spec with every check.
 * The suspendable bodies' early looks at their arguments are guarded here, and a spawn on a busy
 * thread or a bad thread id or step count is refused without losing the operation in flight. Runs with the
 * `concurrency` profile's campaigns (about 3 s).
 */
import { describe, expect, it } from "vitest";
import { badBodies, refusalProblems, runOnThread, VALID_BODIES } from "../../model-check/concurrency/bad-input.ts";

const only = process.env["VMCHECK_KILL_PROFILES"];

describe.runIf(!only || only.split(",").includes("concurrency"))("bad input on threads", () => {
  it("every spawnable operation, valid and with each numeric argument bad, agrees with the spec", () => {
    for (const body of VALID_BODIES) expect(runOnThread(body), body.op).toEqual({ result: "KERN_SUCCESS" });
    expect(badBodies().map(runOnThread).flatMap((r) => ("failure" in r ? [r.failure] : []))).toEqual([]);
    expect(refusalProblems()).toEqual([]);
  });
});
