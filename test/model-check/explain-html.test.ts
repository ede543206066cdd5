import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCounterexample } from "../../model-check/counterexample.ts";
import { explainHtml } from "../../model-check/explain-html.ts";
import { PLANTED_BUGS } from "../planted/bugs.ts";

/**
 * The HTML account, opened in headless Chromium (Debian's `chromium`, installed by .ci/run):
 * the page's own script must render the requested step — its command, results, the drawing of
 * the address space, the implementation's entries and the failure.
 */
const CHROMIUM = "/usr/bin/chromium";

function renderedDom(file: string, hash: string): string {
  const profile = mkdtempSync(join(tmpdir(), "vmcheck-chromium-"));
  return execFileSync(
    CHROMIUM,
    [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`, "--dump-dom", `file://${file}${hash}`,
    ],
    { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "ignore"] },
  );
}

describe("vmcheck explain --html in a browser", () => {
  const cx = readCounterexample("counterexamples/planted/copy-object-push-skipped.json");
  const dir = mkdtempSync(join(tmpdir(), "vmcheck-html-"));
  const file = join(dir, "explain.html");
  writeFileSync(file, explainHtml(cx, { kernel: PLANTED_BUGS["copy-object-push-skipped"]!.kernel }));

  it("shows the failing step by default: command, results, failure, address space and entries", () => {
    const dom = renderedDom(file, "");
    expect(dom).toContain("<h2>Step 4 of 4</h2>");
    expect(dom).toMatch(/<pre class="command">write_user\(map=0, addr=0x0, data="01"\)<\/pre>/);
    expect(dom).toMatch(/class="failure">FAILED refinement: .*copy 0 page 0: bytes differ/);
    expect(dom).toMatch(/class="page prot3"/);
    expect(dom).toMatch(/<tr class="entry"><td>\[0x0, 0x40\)<\/td><td>rw-\/rwx<\/td>/);
    expect(dom).toMatch(/obj 0 delay \(copy obj 1\)/);
    expect(dom.match(/<li[^>]*>/g)!.length).toBeGreaterThanOrEqual(cx.commands.length);
  });

  it("navigates to the step named in the address", () => {
    const dom = renderedDom(file, "#step=1");
    expect(dom).toContain("<h2>Step 1 of 4</h2>");
    expect(dom).toMatch(/<pre class="command">enter\(map=0, addr=0x0, size=0x40, [^<]*\)<\/pre>/);
    expect(dom).toContain("map 0 + [0x0, 0x40) rw-/rwx share");
    expect(dom).not.toContain('class="failure"');
  });
});
