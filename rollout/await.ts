// The rollout stage as the Pulumi program waits for it: after a StatefulSet is applied, wait until
// its stage is done (stage.ts's verdict, read through kube.ts, waited on by wait.ts) and report the
// stage as an Output. Used by components/statefulset.ts for both StatefulSets.
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { KubeAccess, KubeconfigSource, StageReader, readStage } from "./kube";
import { StageStatus, stageTimeoutMessage } from "./stage";
import { waitFor } from "./wait";

export interface RolloutAwaitOptions {
    /** The cluster the provider deploys to, read by the rollout gate. */
    kubeconfig: KubeconfigSource;
}

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

export interface AwaitStageArgs {
    reader: StageReader;
    namespace: string;
    /** StatefulSet name. */
    name: string;
    /** Label query for its pods (`app=kafka`). */
    labelQuery: string;
    timeoutSeconds: number;
    /** The config key that sets the timeout, named in the failure message. */
    timeoutKey: string;
    /** Called when the summary changes. */
    onProgress?: (status: StageStatus, elapsedSeconds: number) => void;
    pollMs?: number;
}

export class RolloutStageError extends Error {
    constructor(message: string, public readonly status?: StageStatus) {
        super(message);
        this.name = "RolloutStageError";
    }
}

/**
 * Wait until the StatefulSet's stage is done; throws RolloutStageError after the timeout, naming
 * each pod holding the stage back and why. A watch wakes the wait as soon as anything changes.
 */
export async function awaitStage(a: AwaitStageArgs): Promise<StageStatus> {
    const r = await waitFor(
        async () => readStage(a.reader, a.namespace, a.name, a.labelQuery),
        (s) => !!s?.done,
        {
            timeoutSeconds: a.timeoutSeconds,
            pollMs: a.pollMs ?? 1000,
            progressKey: (s) => s?.summary ?? "",
            onProgress: (s, elapsed) => s && a.onProgress?.(s, elapsed),
            wake: a.reader.watchStage ? (notify) => a.reader.watchStage!(a.namespace, a.name, a.labelQuery, notify) : undefined,
        },
    );
    if (r.outcome === "done") return r.value!;
    const message = r.value
        ? stageTimeoutMessage(r.value, a.timeoutSeconds, a.timeoutKey)
        : `${a.name}: StatefulSet ${a.namespace}/${a.name} not readable after ${a.timeoutSeconds}s: ${String(r.error ?? "not found")}`;
    throw new RolloutStageError(message, r.value);
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
    args: { name: string; namespace: string; labelQuery: string; partition: number; replicas: number; timeoutSeconds: number; timeoutKey: string },
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
                reader: KubeAccess.load(options.kubeconfig),
                namespace: args.namespace,
                name: args.name,
                labelQuery: args.labelQuery,
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
