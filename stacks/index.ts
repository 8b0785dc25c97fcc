// The Automation API programs of kafka-platform: staged rollouts, environment presets and
// Pulumi Deployments settings. The CLI (cli.ts) is a thin shell over these functions.
export { rollout, preview, up, gate, policyConfigFor, policySetup, buildGates, openWorkspace, PROJECT_DIR } from "./commands";
export type { RolloutCommandOptions, OperationCommandOptions, GateCommandOptions, StackTarget } from "./commands";
export { runRollout, Interrupt, EXIT_CODES, describeChanges, stopAdvice } from "./rollout";
export type { RolloutOptions, RolloutSummary, StageRecord, StepRecord, ExitReason } from "./rollout";
export { computePlan, planStages, parsePlanSpec, checkMaxStep, describePlan, effectivePartition, PlanError, PLAN_KINDS, CANARY_BAKE_SECONDS } from "./plans";
export type { RolloutPlan, PlanStage, PlanKind } from "./plans";
export { kubernetesGate, kafkaGate, offGate, runGate, parseDescribe, kafkaTopicsArgs } from "../rollout/gates";
export type { Gate, GateCheck, GateOutcome, GateTarget, ExecFn } from "../rollout/gates";
export { mergeStepPolicyConfig, readPolicyConfig, envPolicyConfigPath, STEP_POLICY } from "./policy-config";
export { LocalRolloutWorkspace, stackStateFrom } from "./workspace";
export type { RolloutWorkspace, StackState, StageRequest, OperationResult } from "./workspace";
export { RemoteRolloutWorkspace, stagePreRunCommands, selectRemoteStack } from "./remote";
export { PRESETS, ENVIRONMENTS, presetConfig, planPreset, applyPreset } from "./presets";
export type { EnvName, Preset } from "./presets";
export { deploymentSettings, applyDeploymentSettings, githubRepository, stackConfigPath } from "./deployments";
export type { DeploymentSettings, DeploymentSettingsArgs } from "./deployments";
export { isolatedPulumiCommand, pulumiRootFromEnv } from "./pulumi-command";
