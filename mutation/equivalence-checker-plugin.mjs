/**
 * The entry Stryker loads for mutation/equivalence-checker.ts. Stryker loads every listed plugin
 * in all its processes; only the checker processes (started with `--import tsx`, as is the main
 * process) can load TypeScript, and only they need the checker. The test runner processes get no
 * plugin from here instead of a warning that it failed to load.
 */
let plugins = [];
try {
  plugins = (await import("./equivalence-checker.ts")).strykerPlugins;
} catch (e) {
  if (e?.code !== "ERR_UNKNOWN_FILE_EXTENSION") throw e;
}
export const strykerPlugins = plugins;
