/**
 * `vmcheck check --workers N`: a campaign split over N worker threads, each running a shard
 * (its share of the runs, with its own derived seed), their reports merged. Same shards as
 * `--shard i/N` on N machines, so a worker's counterexample replays anywhere.
 */
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { runCampaign, type CampaignOptions, type CampaignReport } from "./campaign.ts";
import { shardRuns, shardSeed } from "./reports.ts";

/** What a worker needs: plain data only (no kernel factory can cross a thread boundary). */
type WorkerJob = Omit<CampaignOptions, "kernel" | "system" | "invariants">;

/** Run the campaign of `options` as `n` shards on `n` worker threads; one report per shard. */
export async function runInWorkers(options: WorkerJob, n: number): Promise<CampaignReport[]> {
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
          // The worker loads this module from source through tsx, as the CLI does.
          const w = new Worker(new URL("./worker-entry.mjs", import.meta.url), { workerData: job });
          w.once("message", (r: CampaignReport) => resolve(r));
          w.once("error", reject);
          w.once("exit", (code) => code !== 0 && reject(new Error(`worker exited with code ${code}`)));
        }),
    ),
  );
}

if (!isMainThread && parentPort && workerData) parentPort.postMessage(runCampaign(workerData as WorkerJob));
