import { runCampaign } from "./model-check/campaign.ts";
import { formatOp } from "./model-check/printer.ts";
import { PLANTED_BUGS } from "./test/planted/bugs.ts";
const r = runCampaign({ seed: 1, runs: 2000, maxCommands: 40, outDir: null, kernel: PLANTED_BUGS["simplify-merges-different-objects"]!.kernel });
console.log(r.counterexample?.check, r.counterexample?.message, r.counterexample?.originalLength, r.counterexample?.shrunkLength);
r.counterexample?.commands.forEach((c) => console.log("  " + formatOp(c)));
