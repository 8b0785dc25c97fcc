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

/** Annotations that turn off @pulumi/kubernetes's StatefulSet awaiter, which hangs on partitions. */
export const SKIP_PROVIDER_AWAIT = { "pulumi.com/skipAwait": "true" };

/** What a finished stage reports as a stack output. */
export interface StageOutput {
    partition: number;
    replicas: number;
    updateRevision?: string;
    /** Ordinals running the update revision. */
    updatedOrdinals: number[];
    /** False when the gate did not run (preview, or rendering YAML without a cluster). */
    awaited: boolean;
}

/**
 * Wait, after the StatefulSet is applied, for the stage its partition asks for. Runs only during
 * an update with a cluster (not in preview, not when rendering YAML); a stage that does not become
 * Ready in time fails the update with a ResourceError naming each pod and why.
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
            if (err instanceof RolloutStageError) throw new pulumi.ResourceError(err.message, sts);
            throw err;
        }
    });
}
