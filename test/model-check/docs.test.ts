import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { REFERENCE_FILE, renderReference } from "../../model-check/docs.ts";
import { OP_NAMES, VOCABULARY } from "../../spec/vocabulary.ts";

describe("the reference document", () => {
  const rendered = renderReference();

  it("is up to date with the spec's contracts (run `npm run docs` after changing them)", () => {
    expect(readFileSync(REFERENCE_FILE, "utf8")).toBe(rendered);
  });

  it("has every operation with its Mach name, result codes and a contract", () => {
    for (const name of OP_NAMES) {
      const section = rendered.slice(rendered.indexOf(`### ${name}\n`));
      expect(section, name).toContain(VOCABULARY[name].mach);
      for (const code of VOCABULARY[name].codes) expect(section.slice(0, section.indexOf("\n### ", 4) >>> 0), `${name} ${code}`).toContain(code);
      expect(section.split("\n").slice(4, 8).join(" ").length, `${name} has prose`).toBeGreaterThan(40);
    }
  });
});
