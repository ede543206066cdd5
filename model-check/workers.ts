/**
 * `vmcheck check --workers N`: a campaign split over N worker threads, each running a shard
 * (its share of the runs, with its own derived seed), their reports merged. Same shards as
 * `--shard i/N` on N machines, so a worker's counterexample replays anywhere.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { runCampaign, type CampaignOptions, type CampaignReport } from "./campaign.ts";
import { shardRuns, shardSeed } from "./reports.ts";

/** What a worker needs: plain data only (no kernel factory can cross a thread boundary). */
type WorkerJob = Omit<CampaignOptions, "kernel" | "system" | "invariants">;

let bundled: Promise<URL | undefined> | undefined;

/**
 * The worker's code as one plain-JavaScript file, built once per process with esbuild (the
 * compiler tsx itself uses). Loading it takes a worker a fraction of a second, where loading
 * the sources through tsx's module hooks (every module of the spec, the implementation, effect
 * and fast-check resolved and transformed one by one) took seconds — start-up that counted
 * against `--workers` on every campaign. Undefined when esbuild cannot be loaded: the workers
 * then load the sources through tsx as before.
 */
function workerBundle(): Promise<URL | undefined> {
  bundled ??= (async () => {
    try {
      const { build } = await import("esbuild");
      const dir = mkdtempSync(join(tmpdir(), "vmcheck-worker-"));
      const outfile = join(dir, "worker.mjs");
      await build({
        entryPoints: [fileURLToPath(new URL("./workers.ts", import.meta.url))],
        bundle: true, platform: "node", format: "esm", target: "node20", outfile, logLevel: "silent",
      });
      process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
      return pathToFileURL(outfile);
    } catch {
      return undefined;
    }
  })();
  return bundled;
}

/** Run the campaign of `options` as `n` shards on `n` worker threads; one report per shard. */
export async function runInWorkers(options: WorkerJob, n: number): Promise<CampaignReport[]> {
  const entry = (await workerBundle()) ?? new URL("./worker-entry.mjs", import.meta.url);
  const jobs: WorkerJob[] = Array.from({ length: n }, (_, i) => ({
    ...options,
    seed: shardSeed(options.seed, i),
    runs: shardRuns(options.runs, i, n),
    foundBy: `vmcheck check --seed ${options.seed} --shard ${i + 1}/${n}`,
  }));
  return Promise.all(
    jobs.map(
      (job) =>
        new Promise<CampaignReport>((resolve, reject) => {
          const w = new Worker(entry, { workerData: job });
          w.once("message", (r: CampaignReport) => resolve(r));
          w.once("error", reject);
          w.once("exit", (code) => code !== 0 && reject(new Error(`worker exited with code ${code}`)));
        }),
    ),
  );
}

if (!isMainThread && parentPort && workerData) parentPort.postMessage(runCampaign(workerData as WorkerJob));
