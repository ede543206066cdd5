// Entry of a campaign worker thread: load TypeScript through tsx (module hooks are per thread),
// then run the worker side of workers.ts.
import { register } from "tsx/esm/api";

register();
await import("./workers.ts");
