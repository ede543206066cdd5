import { runCampaign } from "./model-check/campaign.ts";
import { formatOp } from "./model-check/printer.ts";
import { PLANTED_BUGS } from "./test/planted/bugs.ts";
for (const name of ["simplify-merges-different-objects"]) {
const r = runCampaign({ seed: 1, runs: 3000, maxCommands: 40, outDir: null, kernel: PLANTED_BUGS[name]!.kernel });
console.log(name, r.runs, r.counterexample?.check, r.counterexample?.message, r.counterexample?.originalLength);
r.counterexample?.commands.forEach((c) => console.log("  " + formatOp(c)));
}
