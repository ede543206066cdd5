/**
 * The public surface of the model checker: everything a user needs to run campaigns, replay
 * counterexamples and check properties programmatically. Everything else in model-check/ is
 * internal.
 */
export { runCampaign, MODEL_CHECK_SCOPE, type CampaignOptions, type CampaignReport, type CounterexampleSummary } from "./campaign.ts";
export {
  Lockstep, Coverage, CheckFailure, replayCommands, realKernel, kernelSystem,
  type KernelFactory, type SystemUnderTest, type SystemFactory, type ReplayOutcome, type StepRecord,
} from "./lockstep.ts";
export { minimizeCommands } from "./minimize.ts";
export { explain } from "./explain.ts";
export { toJsonReport, mergeReports, junitXml, type JsonReport } from "./reports.ts";
export { INVARIANTS, INVARIANT_NAMES, type Invariant } from "./invariants.ts";
export {
  readCounterexample, writeCounterexample, encodeCounterexample, decodeCounterexample, CounterexampleFormatError,
  CURRENT_VERSION, FORMAT, type Counterexample,
} from "./counterexample.ts";
export { formatOp, formatResult } from "./printer.ts";
export { abstractImpl } from "./abstraction.ts";
export { main } from "./cli.ts";
