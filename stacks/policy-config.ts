// The policy config a stage runs the kafka-guardrails pack with: the environment's file
// (policies/config/<env>.json) with the rollout step policy's config laid over it. Policies cannot
// see the previous state, so the driver tells the step policy the partition the StatefulSet had
// before this update, and the step it may take.
import * as fs from "fs";
import * as path from "path";
import { KAFKA_MIGRATION } from "../policies/rules/kafka-migration";
import { ROLLOUT_PARTITION_STEP, ROLLOUT_STEP_DEFAULTS } from "../policies/rules/rollout-step";
import type { StackState } from "./workspace";

/** The step policy's name and defaults, read from the pack itself so the two cannot disagree. */
export const STEP_POLICY = ROLLOUT_PARTITION_STEP;
export const STEP_POLICY_DEFAULT_MAX_STEP = ROLLOUT_STEP_DEFAULTS.maxStep;

/** A policy config file: policy name (or "all") → enforcement level string or config object. */
export type PolicyConfig = Record<string, unknown>;

/** Where an environment's policy config lives: policies/config/<env>.json. */
export function envPolicyConfigPath(packDir: string, env: string): string {
    return path.join(packDir, "config", `${env}.json`);
}

/** Read a policy config file; undefined when it does not exist. Throws naming the file on bad JSON. */
export function readPolicyConfig(file: string): PolicyConfig | undefined {
    if (!fs.existsSync(file)) return undefined;
    const text = fs.readFileSync(file, "utf8");
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (err) {
        throw new Error(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new Error(`${file}: expected a JSON object mapping policy names to their config`);
    }
    return parsed as PolicyConfig;
}

/** The step limit the environment's file sets, if any. */
export function envMaxStep(envConfig: PolicyConfig | undefined): number | undefined {
    const entry = envConfig?.[STEP_POLICY];
    const v = entry && typeof entry === "object" ? (entry as Record<string, unknown>).maxStep : undefined;
    return typeof v === "number" && Number.isInteger(v) && v >= 1 ? v : undefined;
}

/**
 * The step policy's enforcement level in a policy config: its own entry's, else "all", else the
 * pack's (mandatory).
 */
export function stepEnforcement(envConfig: PolicyConfig | undefined): string {
    const entry = envConfig?.[STEP_POLICY];
    if (typeof entry === "string") return entry;
    const own = entry && typeof entry === "object" ? (entry as Record<string, unknown>).enforcementLevel : undefined;
    if (typeof own === "string") return own;
    return typeof envConfig?.all === "string" ? envConfig.all : "mandatory";
}

export interface StepPolicyConfig {
    /** Partition of each StatefulSet before this update, by metadata.name ({kafka: 3}). */
    previousPartition: Record<string, number>;
    /** Omitted to keep the environment's (or the pack's) value. */
    maxStep?: number;
}

/**
 * The environment's config with the step policy's entry merged in. A string entry (an enforcement
 * level) becomes {enforcementLevel}; the environment's other keys for the step policy (its
 * enforcementLevel) are kept, and previousPartition / maxStep are the driver's.
 */
export function mergeStepPolicyConfig(envConfig: PolicyConfig | undefined, step: StepPolicyConfig): PolicyConfig {
    const merged: PolicyConfig = { ...(envConfig ?? {}) };
    const existing = merged[STEP_POLICY];
    const base: Record<string, unknown> =
        typeof existing === "string" ? { enforcementLevel: existing } : existing && typeof existing === "object" ? { ...(existing as object) } : {};
    const entry: Record<string, unknown> = { ...base, previousPartition: { ...step.previousPartition } };
    if (step.maxStep !== undefined) entry.maxStep = step.maxStep;
    merged[STEP_POLICY] = entry;
    return merged;
}

/** What the kafka-migration policy is told about the previous update (read from the stack's outputs). */
export interface MigrationPolicyConfig {
    /** The step deployed before; undefined when the stack has no outputs yet (the check is then skipped). */
    previousStep?: string;
    /** Partitions after the previous update, by StatefulSet name ({kafka: 0, "kafka-controller": 0}). */
    previousPartition: Record<string, number>;
}

/** The policy config with the kafka-migration policy's previous step and partitions merged in, as for the step policy. */
export function mergeMigrationPolicyConfig(config: PolicyConfig, previous: MigrationPolicyConfig): PolicyConfig {
    const existing = config[KAFKA_MIGRATION];
    const base: Record<string, unknown> =
        typeof existing === "string" ? { enforcementLevel: existing } : existing && typeof existing === "object" ? { ...(existing as object) } : {};
    return {
        ...config,
        [KAFKA_MIGRATION]: { ...base, previousStep: previous.previousStep ?? "", previousPartition: { ...previous.previousPartition } },
    };
}

/** The kafka-migration policy's view of the last update: its step and partitions, from the stack's outputs. */
export function migrationPrevious(state: StackState): MigrationPolicyConfig {
    const previousPartition: Record<string, number> = {};
    if (state.deployedPartition !== undefined) previousPartition.kafka = state.deployedPartition;
    if (state.deployedControllerPartition !== undefined) previousPartition["kafka-controller"] = state.deployedControllerPartition;
    return { previousStep: state.deployedStep, previousPartition };
}
