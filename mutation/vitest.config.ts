import { defineConfig } from "vitest/config";
import { SUBSYSTEMS, type Subsystem } from "./subsystems.ts";

/**
 * Vitest configuration for mutation testing: the bounded campaigns kill mutants. The one
 * exception is the checker's lock-order oracle that lives in impl/ — the validator
 * (impl/locks) and its view of the kernel's shape (impl/sched/topology.ts): a correct kernel
 * never trips it, so a mutant that weakens it survives every campaign, and its unit tests are
 * its kill suite, in its own rows only (mutation/subsystems.ts `oracleTests`). A subsystem no
 * campaign reaches (VMCHECK_KILL_PROFILES set empty by mutation/run.ts) runs those tests
 * alone: Stryker runs every test for a mutant of module-level code, and a campaign there
 * would only cost time.
 */
const campaigns = process.env["VMCHECK_KILL_PROFILES"] === "" ? [] : ["mutation/kill/**/*.kill.ts"];
/** The row's oracle unit tests (mutation/subsystems.ts `oracleTests`, set by mutation/run.ts); all of them when run by hand. */
const ORACLE_TESTS = Object.values<Subsystem>(SUBSYSTEMS).flatMap((row) => row.oracleTests ?? []);
const oracleTests = process.env["VMCHECK_KILL_ORACLE_TESTS"]?.split(",").filter(Boolean) ?? ORACLE_TESTS;

export default defineConfig({
  test: {
    include: [...campaigns, ...oracleTests],
    testTimeout: 600_000,
  },
});
