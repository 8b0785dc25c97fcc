import { partitionStep } from "../platform";
import {
    DEFAULT_ENFORCEMENT,
    EnforcementLevel,
    ResourceValidationPolicy,
    configKey,
    configSchema,
    plural,
    validateStatefulSets,
    violation,
} from "./common";

export const ROLLOUT_PARTITION_STEP = "rollout-partition-step";

export interface RolloutStepConfig {
    /**
     * The partition each StatefulSet (by metadata.name) had before this update. Policies cannot
     * see the previous state, so the rollout driver passes it here, e.g. {"kafka": 3, "zk": 0}.
     */
    previousPartition: Record<string, number>;
    /** How many more ordinals one update may roll. */
    maxStep: number;
}

export const ROLLOUT_STEP_DEFAULTS: RolloutStepConfig = { previousPartition: {}, maxStep: 1 };

/**
 * A staged rollout lowers a StatefulSet's RollingUpdate partition by at most maxStep per update,
 * and the partition is always a non-negative integer.
 *
 * @severity high
 * @topics availability, rollout
 */
export function rolloutPartitionStep(
    enforcementLevel: EnforcementLevel = DEFAULT_ENFORCEMENT,
    config: Partial<RolloutStepConfig> = {},
): ResourceValidationPolicy {
    const defaults: RolloutStepConfig = { ...ROLLOUT_STEP_DEFAULTS, ...config };
    return {
        name: ROLLOUT_PARTITION_STEP,
        description:
            "A staged rollout lowers a StatefulSet's RollingUpdate partition by at most maxStep per update, and the partition is always a non-negative integer.",
        enforcementLevel,
        severity: "high",
        tags: ["availability", "rollout"],
        configSchema: configSchema(defaults, {
            previousPartition: {
                type: "object",
                additionalProperties: { type: "integer", minimum: 0 },
                description: "Partition of each StatefulSet (by metadata.name) before this update, passed by the rollout driver.",
            },
            maxStep: { type: "integer", minimum: 1, description: "How many more ordinals one update may roll." },
        }),
        validateResource: validateStatefulSets(defaults, (sts, cfg, report) => {
            const strategy = sts.spec.updateStrategy ?? {};
            // OnDelete never rolls a pod by itself: an operator deletes each one.
            if (strategy.type === "OnDelete") return;
            const key = configKey(sts.app, "partition");
            const setting = key ? ` (${key})` : "";
            const raw = strategy.rollingUpdate?.partition;
            // A missing partition is 0: the whole StatefulSet rolls.
            const partition = raw === undefined || raw === null ? 0 : raw;
            if (typeof partition !== "number" || !Number.isInteger(partition) || partition < 0) {
                report(
                    violation(
                        sts.subject,
                        ROLLOUT_PARTITION_STEP,
                        `its RollingUpdate partition is ${JSON.stringify(partition)}, not a non-negative integer`,
                        `set spec.updateStrategy.rollingUpdate.partition${setting} to a whole number from 0 (roll every pod) ` +
                            `to ${sts.replicas} (stage the change, roll none)`,
                    ),
                );
                return;
            }
            const previous = cfg.previousPartition?.[sts.name];
            if (typeof previous !== "number" || !Number.isInteger(previous) || previous < 0) return;

            // Every partition at or above replicas means "nothing rolled": compare pods, not numbers.
            const step = partitionStep(previous, partition, sts.replicas);
            if (step.size > cfg.maxStep) {
                report(
                    violation(
                        sts.subject,
                        ROLLOUT_PARTITION_STEP,
                        `its partition drops from ${previous} to ${partition} in one update, rolling ${plural(step.size, "pod")} ` +
                            `(ordinals ${step.first}..${step.last}) where at most ${cfg.maxStep} may roll per update`,
                        `lower the partition${setting} by at most ${cfg.maxStep} per update (next: ${step.last + 1 - cfg.maxStep}) ` +
                            `and let each stage become Ready before the next`,
                    ),
                );
            }
        }),
    };
}
