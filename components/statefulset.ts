// What the ZooKeeper and Kafka components do alike: the objects beside the StatefulSet (headless
// Service, PDB, ConfigMap), and the StatefulSet itself with the provider annotations, protect,
// and the wait for its rollout stage (rollout/await.ts). Thin, as the components are: every spec
// comes from the pure builders.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { RolloutAwaitOptions, StageOutput, awaitRollout } from "../rollout/await";
import { App, labelQuery } from "./labels";

/**
 * Provider annotations of the platform's StatefulSets:
 * - skipAwait: @pulumi/kubernetes's StatefulSet awaiter hangs on partitions; `awaitRollout` waits instead.
 * - patchForce: stack config is the source of truth, so a field last set by hand (the seed's
 *   `kubectl patch sts kafka ...`) is taken back at the next `up` instead of failing it with a
 *   server-side apply conflict.
 */
export const STATEFULSET_ANNOTATIONS = { "pulumi.com/skipAwait": "true", "pulumi.com/patchForce": "true" };

/** metadata of an object in the platform's namespace. */
export function objectMeta(name: string, namespace: string, annotations?: Record<string, string>) {
    return { name, namespace, annotations };
}

export interface CompanionObjectsArgs {
    namespace: string;
    headless: { name: string; spec: pulumi.Input<k8s.types.input.core.v1.ServiceSpec> };
    pdb: { name: string; spec: pulumi.Input<k8s.types.input.policy.v1.PodDisruptionBudgetSpec> };
    config: { name: string; data: Record<string, string> };
}

/** The headless Service (stable pod names), the PDB (one disruption) and the ConfigMap of an app's files. */
export function companionObjects(resourceName: string, a: CompanionObjectsArgs, parent: pulumi.Resource) {
    const meta = (name: string) => objectMeta(name, a.namespace);
    const configMap = new k8s.core.v1.ConfigMap(`${resourceName}-config`, { metadata: meta(a.config.name), data: a.config.data }, { parent });
    const headless = new k8s.core.v1.Service(`${resourceName}-hs`, { metadata: meta(a.headless.name), spec: a.headless.spec }, { parent });
    new k8s.policy.v1.PodDisruptionBudget(`${resourceName}-pdb`, { metadata: meta(a.pdb.name), spec: a.pdb.spec }, { parent });
    return { configMap, headless };
}

export interface PlatformStatefulSetArgs {
    app: App;
    /** metadata.name (`kafka`, `zk`). */
    objectName: string;
    namespace: string;
    spec: pulumi.Input<k8s.types.input.apps.v1.StatefulSetSpec>;
    /** The stage the spec asks for, and how long to wait for it. */
    partition: number;
    replicas: number;
    timeoutSeconds: number;
    /** The config key of that timeout, named when the stage fails (`kafka.rolloutTimeoutSeconds`). */
    timeoutKey: string;
    /** Wait for the stage on a live cluster; omitted when rendering YAML. */
    rollout?: RolloutAwaitOptions;
    /** Replacing a StatefulSet deletes every pod at once: protected unless told otherwise. */
    protect?: boolean;
    dependsOn: pulumi.Resource[];
}

/** The StatefulSet, protected and annotated, and the rollout stage it reached. */
export function platformStatefulSet(resourceName: string, a: PlatformStatefulSetArgs, parent: pulumi.Resource) {
    const statefulSet = new k8s.apps.v1.StatefulSet(
        resourceName,
        { metadata: objectMeta(a.objectName, a.namespace, STATEFULSET_ANNOTATIONS), spec: a.spec },
        { parent, dependsOn: a.dependsOn, protect: a.protect ?? true },
    );
    const rollout: pulumi.Output<StageOutput> = awaitRollout(
        statefulSet,
        {
            name: a.objectName,
            namespace: a.namespace,
            labelQuery: labelQuery(a.app),
            partition: a.partition,
            replicas: a.replicas,
            timeoutSeconds: a.timeoutSeconds,
            timeoutKey: a.timeoutKey,
        },
        a.rollout,
    );
    return { statefulSet, rollout };
}
