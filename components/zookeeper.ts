import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ZooKeeperConfig } from "./config";
import { affinityTerm, podSelector } from "./labels";
import type { RolloutAwaitOptions, StageOutput } from "../rollout/await";
import { companionObjects, objectMeta, platformStatefulSet } from "./statefulset";
import {
    ZK_NAMES,
    zookeeperConfigFiles,
    zookeeperClientServiceSpec,
    zookeeperConnect,
    zookeeperHeadlessServiceSpec,
    zookeeperPdbSpec,
    zookeeperStatefulSetSpec,
} from "./zookeeper-spec";

export interface ZooKeeperArgs {
    /** Validated `zookeeper.*` stack config. */
    readonly config: ZooKeeperConfig;
    /** Namespace for every object. Defaults to `default`, as in the seed. */
    readonly namespace: string;
    /** app.kubernetes.io/instance label value; the stack name. */
    readonly instance: string;
    /** Wait for each rollout stage on a live cluster. Omitted when rendering YAML. */
    readonly rollout?: RolloutAwaitOptions;
    /** Mark the StatefulSet protected so no edit can replace it (replacement deletes every pod). Defaults to true. */
    readonly protect?: boolean;
}

/** A ZooKeeper ensemble: StatefulSet `zk`, Services `zk-hs` and `zk-cs`, PDB `zk-pdb`, ConfigMap for zoo.cfg. */
export class ZooKeeper extends pulumi.ComponentResource {
    /** `zk-cs.<ns>.svc.cluster.local:2181`. */
    public readonly connectString: pulumi.Output<string>;
    /** The selector of the ensemble's pods. */
    public readonly podSelector: pulumi.Output<{ matchLabels: Record<string, string> }>;
    /** An affinity term selecting the ensemble's pods per host, for co-locating clients. */
    public readonly affinityTerm: pulumi.Output<ReturnType<typeof affinityTerm>>;
    public readonly statefulSet: k8s.apps.v1.StatefulSet;
    /** The rollout stage reached by the last update. */
    public readonly rollout: pulumi.Output<StageOutput>;

    constructor(name: string, args: ZooKeeperArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kafka-platform:index:ZooKeeper", name, {}, opts);
        const { config, namespace } = args;
        const { configMap, headless } = companionObjects(
            name,
            {
                namespace,
                headless: { name: ZK_NAMES.headlessService, spec: zookeeperHeadlessServiceSpec() },
                pdb: { name: ZK_NAMES.pdb, spec: zookeeperPdbSpec() },
                config: { name: ZK_NAMES.configMap, data: zookeeperConfigFiles(config.replicas, namespace) },
            },
            this,
        );
        // Kafka's connect string points at this one: `zk-cs`.
        const client = new k8s.core.v1.Service(
            `${name}-cs`,
            { metadata: objectMeta(ZK_NAMES.clientService, namespace), spec: zookeeperClientServiceSpec() },
            { parent: this },
        );

        ({ statefulSet: this.statefulSet, rollout: this.rollout } = platformStatefulSet(
            `${name}-statefulset`,
            {
                app: "zk",
                objectName: ZK_NAMES.statefulSet,
                namespace,
                spec: zookeeperStatefulSetSpec({ ...config, namespace, instance: args.instance }),
                partition: config.partition,
                replicas: config.replicas,
                timeoutSeconds: config.rolloutTimeoutSeconds,
                timeoutKey: "zookeeper.rolloutTimeoutSeconds",
                rollout: args.rollout,
                protect: args.protect,
                dependsOn: [configMap, headless, client],
            },
            this,
        ));
        this.connectString = pulumi.output(zookeeperConnect(namespace));
        this.podSelector = pulumi.output(podSelector("zk"));
        this.affinityTerm = pulumi.output(affinityTerm("zk"));

        this.registerOutputs({
            connectString: this.connectString,
            podSelector: this.podSelector,
            rollout: this.rollout,
        });
    }
}
