// The staged-rollout driver, one job a file: driver.ts walks the plan; stage.ts runs one stage's
// tasks (listr2); advice.ts says how to resume or roll back; summary.ts is the record;
// interrupt.ts is Ctrl-C.
export { runRollout } from "./driver";
export type { RolloutOptions, RendererName } from "./driver";
export { Interrupt } from "./interrupt";
export { EXIT_CODES, describeChanges, writeSummary } from "./summary";
export type { RolloutSummary, StageRecord, StepRecord, StepResult, StageKind, StageResult, ExitReason } from "./summary";
export { stopAdvice } from "./advice";
