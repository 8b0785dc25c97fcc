// The arithmetic of a StatefulSet's RollingUpdate partition, in one place for the rollout driver's
// plans (stacks/plans.ts) and the policy pack's rollout-partition-step rule.
//
// Partition P updates the pods at ordinals >= P, so every partition at or above replicas means the
// same thing ("nothing rolled", the change is only staged): partitions are compared in *effective*
// terms, min(P, replicas). This module imports nothing: the policy pack loads it from its own
// package (policies/platform.ts; policies/scripts/stage.sh vendors it).

/** min(partition, replicas): partitions at or above replicas all mean "nothing rolled". */
export function effectivePartition(partition: number, replicas: number): number {
    return Math.min(partition, replicas);
}

/** Pods on the new template once a stage at `partition` is done. */
export function updatedCount(partition: number, replicas: number): number {
    return replicas - effectivePartition(partition, replicas);
}

/** One step of a rollout: how many pods it rolls and which ordinals (`first..last`, empty when size is 0). */
export interface PartitionStep {
    /** Pods the step rolls: effective(from) - effective(to); negative when the step raises the partition. */
    size: number;
    /** The lowest ordinal the step rolls (effective(to)). */
    first: number;
    /** The highest ordinal the step rolls (effective(from) - 1). */
    last: number;
}

/** The step from partition `from` to `to` on a StatefulSet of `replicas` pods. */
export function partitionStep(from: number, to: number, replicas: number): PartitionStep {
    const before = effectivePartition(from, replicas);
    const after = effectivePartition(to, replicas);
    return { size: before - after, first: after, last: before - 1 };
}
