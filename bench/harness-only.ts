/** `npx tsx bench/harness-only.ts`: the harness throughput benchmark alone (one and two workers), as in `npm run bench`. */
import { harnessBenchmark } from "./harness.ts";

await harnessBenchmark(0x2000);
