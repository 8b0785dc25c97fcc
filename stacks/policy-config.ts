// The policy config a stage runs the kafka-guardrails pack with: the environment's file
// (policies/config/<env>.json) with the rollout step policy's config laid over it. Policies cannot
// see the previous state, so the driver tells the step policy the partition the StatefulSet had
// before this update, and the step it may take.
import * as fs from "fs";
import * as path from "path";
import { KAFKA_METADATA_VERSION } from "../policies/rules/kafka-metadata-version";
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
    const entry: Record<string, unknown> = { ...entryOf(merged, STEP_POLICY), previousPartition: { ...step.previousPartition } };
    if (step.maxStep !== undefined) entry.maxStep = step.maxStep;
    merged[STEP_POLICY] = entry;
    return merged;
}

/**
 * What the policies that compare with the previous update are told about it (read from the stack's
 * outputs): kafka-migration its step and partitions, kafka-metadata-version its image and level.
 */
export interface MigrationPolicyConfig {
    /** The step deployed before; undefined when the stack has no outputs yet (the check is then skipped). */
    previousStep?: string;
    /** Partitions after the previous update, by StatefulSet name ({kafka: 0, "kafka-controller": 0}). */
    previousPartition: Record<string, number>;
    /** kafka.image of the previous update; undefined when not known (no outputs, or outputs older than the kafkaImage output). */
    previousImage?: string;
    /** kafka.metadataVersion of the previous update; undefined when it was not set. */
    previousMetadataVersion?: string;
}

/** A policy's entry as an object: a string entry (an enforcement level) becomes {enforcementLevel}. */
function entryOf(config: PolicyConfig, policy: string): Record<string, unknown> {
    const existing = config[policy];
    return typeof existing === "string" ? { enforcementLevel: existing } : existing && typeof existing === "object" ? { ...(existing as object) } : {};
}

/** The policy config with the previous update merged into kafka-migration's and kafka-metadata-version's entries, as for the step policy. */
export function mergeMigrationPolicyConfig(config: PolicyConfig, previous: MigrationPolicyConfig): PolicyConfig {
    return {
        ...config,
        [KAFKA_MIGRATION]: { ...entryOf(config, KAFKA_MIGRATION), previousStep: previous.previousStep ?? "", previousPartition: { ...previous.previousPartition } },
        [KAFKA_METADATA_VERSION]: {
            ...entryOf(config, KAFKA_METADATA_VERSION),
            previousImage: previous.previousImage ?? "",
            previousMetadataVersion: previous.previousMetadataVersion ?? "",
        },
    };
}

/** The kafka-migration and kafka-metadata-version policies' view of the last update, from the stack's outputs. */
export function migrationPrevious(state: StackState): MigrationPolicyConfig {
    const previousPartition: Record<string, number> = {};
    if (state.deployedPartition !== undefined) previousPartition.kafka = state.deployedPartition;
    if (state.deployedControllerPartition !== undefined) previousPartition["kafka-controller"] = state.deployedControllerPartition;
    // The level counts as known (possibly unset) only where the image is: outputs of an update before the kafkaImage output say neither.
    return {
        previousStep: state.deployedStep,
        previousPartition,
        ...(state.deployedImage !== undefined ? { previousImage: state.deployedImage } : {}),
        ...(state.deployedMetadataVersion !== undefined ? { previousMetadataVersion: state.deployedMetadataVersion } : {}),
    };
}
