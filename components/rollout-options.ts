// How a component waits for its StatefulSet, shared by the ZooKeeper and Kafka components.
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { KubeClient, KubeconfigSource } from "./kube-client";
import { App, labelQuery } from "./labels";
import { RolloutStageError, awaitStage } from "./rollout-wait";

export interface RolloutAwaitOptions {
    /** The cluster the provider deploys to, read by the rollout gate. */
    kubeconfig: KubeconfigSource;
}

/**
 * Provider annotations of the platform's StatefulSets:
 * - skipAwait: @pulumi/kubernetes's StatefulSet awaiter hangs on partitions; `awaitRollout` waits instead.
 * - patchForce: stack config is the source of truth, so a field last set by hand (the seed's
 *   `kubectl patch sts kafka ...`) is taken back at the next `up` instead of failing it with a
 *   server-side apply conflict.
 */
export const STATEFULSET_ANNOTATIONS = { "pulumi.com/skipAwait": "true", "pulumi.com/patchForce": "true" };

/** What a finished stage reports as a stack output. */
export interface StageOutput {
    partition: number;
    replicas: number;
    updateRevision?: string;
    /** Ordinals running the update revision. */
    updatedOrdinals: number[];
    /** False when the gate did not run (preview, or rendering YAML without a cluster). */
    awaited: boolean;
    /** Why the stage did not complete; the update fails with this message. */
    failed?: string;
}

/**
 * Wait, after the StatefulSet is applied, for the stage its partition asks for. Runs only during
 * an update with a cluster (not in preview, not when rendering YAML). A stage that does not become
 * Ready in time is logged as an error on the StatefulSet, naming each pod and why, which fails the
 * update; the output still resolves (with `failed`), because a rejected output can leave an
 * Automation API inline program waiting forever instead of failing.
 */
export function awaitRollout(
    sts: k8s.apps.v1.StatefulSet,
    app: App,
    args: { name: string; namespace: string; partition: number; replicas: number; timeoutSeconds: number; timeoutKey: string },
    options: RolloutAwaitOptions | undefined,
): pulumi.Output<StageOutput> {
    const notAwaited: StageOutput = { partition: args.partition, replicas: args.replicas, updatedOrdinals: [], awaited: false };
    if (!options || pulumi.runtime.isDryRun()) {
        return pulumi.output(notAwaited);
    }
    // Depend on the applied object's generation so the wait starts after the update reached the API.
    return sts.metadata.generation.apply(async () => {
        try {
            const status = await awaitStage({
                client: KubeClient.load(options.kubeconfig),
                namespace: args.namespace,
                name: args.name,
                labelQuery: labelQuery(app),
                timeoutSeconds: args.timeoutSeconds,
                timeoutKey: args.timeoutKey,
                onProgress: (s, elapsed) => pulumi.log.info(`${s.summary} (${elapsed}s)`, sts),
            });
            return {
                partition: status.partition,
                replicas: status.replicas,
                updateRevision: status.updateRevision,
                updatedOrdinals: status.ordinals.filter((o) => o.updated).map((o) => o.ordinal),
                awaited: true,
            };
        } catch (err) {
            const message = err instanceof RolloutStageError ? err.message : `${args.name} rollout gate: ${String(err)}`;
            pulumi.log.error(message, sts);
            return { ...notAwaited, awaited: true, failed: message };
        }
    });
}
