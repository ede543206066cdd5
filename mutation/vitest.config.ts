import { defineConfig } from "vitest/config";

/**
 * Vitest configuration for mutation testing: the bounded campaigns kill mutants. The one
 * exception is the lock-order validator (impl/locks): no campaign drives it yet, so its unit
 * tests are its kill suite until the checker does; they cover no other subsystem's code. A
 * subsystem no campaign reaches (VMCHECK_KILL_PROFILES set empty by mutation/run.ts) runs
 * those tests alone: Stryker runs every test for a mutant of module-level code, and a
 * campaign there would only cost time.
 */
const campaigns = process.env["VMCHECK_KILL_PROFILES"] === "" ? [] : ["mutation/kill/**/*.kill.ts"];

export default defineConfig({
  test: {
    include: [...campaigns, "test/impl/lockdep.test.ts", "test/impl/lockdep-rules.test.ts"],
    testTimeout: 600_000,
  },
});
