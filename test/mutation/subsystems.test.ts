import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inSubsystem, NOT_MUTATED, SUBSYSTEMS } from "../../mutation/subsystems.ts";

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : []);
}

describe("mutation subsystems", () => {
  it("put every file of impl/ in exactly one row, except the oracle and the re-exports", () => {
    const files = tsFiles("impl");
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      const rows = Object.entries(SUBSYSTEMS).filter(([, s]) => inSubsystem(file, s.files)).map(([n]) => n);
      expect(rows, file).toEqual(file in NOT_MUTATED ? [] : [expect.any(String)]);
    }
  });

  it("read globs as Stryker does: the last match decides, `!` excludes", () => {
    expect(inSubsystem("impl/map/vm-map.ts", ["impl/map/**/*.ts"])).toBe(true);
    expect(inSubsystem("impl/map/deep/x.ts", ["impl/map/**/*.ts"])).toBe(true);
    expect(inSubsystem("impl/mapx/vm-map.ts", ["impl/map/**/*.ts"])).toBe(false);
    expect(inSubsystem("impl/map/entry.ts", ["impl/map/**/*.ts", "!impl/map/entry.ts"])).toBe(false);
    expect(inSubsystem("impl/map/entry.ts", ["!impl/map/entry.ts", "impl/map/**/*.ts"])).toBe(true);
    expect(inSubsystem("impl/kernelxts", ["impl/kernel.ts"])).toBe(false);
  });
});
