import { defineConfig } from "vitest/config";

/**
 * Vitest configuration for mutation testing: the bounded campaigns kill mutants. The one
 * exception is the lock-order validator (impl/locks): no campaign drives it yet, so its unit
 * tests are its kill suite until the checker does; they cover no other subsystem's code.
 */
export default defineConfig({
  test: {
    include: ["mutation/kill/**/*.kill.ts", "test/impl/lockdep.test.ts"],
    testTimeout: 600_000,
  },
});
