import { defineConfig } from "vitest/config";

/** Vitest configuration for mutation testing: only the bounded campaigns kill mutants. */
export default defineConfig({
  test: {
    include: ["mutation/kill/**/*.kill.ts"],
    testTimeout: 600_000,
  },
});
