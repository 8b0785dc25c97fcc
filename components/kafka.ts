import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { KafkaConfig } from "./config";
import {
    KAFKA_NAMES,
    bootstrapServers,
    kafkaConfigFiles,
    kafkaHeadlessServiceSpec,
    kafkaPdbSpec,
    kafkaStatefulSetSpec,
} from "./kafka-spec";
import { affinityTerm, podSelector } from "./labels";
import type { RolloutAwaitOptions, StageOutput } from "../rollout/await";
import { companionObjects, platformStatefulSet } from "./statefulset";

export interface KafkaArgs {
    /** Validated `kafka.*` stack config. */
    readonly config: KafkaConfig;
    /** Namespace for every object. Defaults to `default`, as in the seed. */
    readonly namespace: string;
    /** app.kubernetes.io/instance label value; the stack name. */
    readonly instance: string;
    /** The ensemble the brokers use (ZooKeeper mode): its connect string and the affinity term of its pods. */
    readonly zookeeper?: {
        readonly connectString: pulumi.Input<string>;
        readonly affinityTerm: pulumi.Input<ReturnType<typeof affinityTerm>>;
        /**
         * The ensemble's rollout stage: the brokers are applied only once it is over (Ready by its
         * real probes), as the seed installs ZooKeeper first. A component's dependsOn waits for its
         * resources to be applied, not for its pods.
         */
        readonly stage: pulumi.Input<StageOutput>;
    };
    /**
     * The controller quorum the brokers use (KRaft mode): its voters, the cluster id the brokers'
     * storage is formatted with, and its rollout stage (the brokers are applied once it is over).
     */
    readonly kraft?: {
        readonly quorumVoters: pulumi.Input<string>;
        readonly clusterId: pulumi.Input<string>;
        /** Absent when the brokers name a quorum that is not deployed (kafka.migration controllers-removed). */
        readonly stage?: pulumi.Input<StageOutput>;
    };
    /** Wait for each rollout stage on a live cluster. Omitted when rendering YAML. */
    readonly rollout?: RolloutAwaitOptions;
    /** Mark the StatefulSet protected so no edit can replace it (replacement deletes every broker). Defaults to true. */
    readonly protect?: boolean;
}

/** Kafka brokers: StatefulSet `kafka`, headless Service `kafka-hs`, PDB `kafka-pdb`. */
export class Kafka extends pulumi.ComponentResource {
    /** `kafka-0.kafka-hs.<ns>.svc.cluster.local:9093,...`. */
    public readonly bootstrapServers: pulumi.Output<string>;
    public readonly podSelector: pulumi.Output<{ matchLabels: Record<string, string> }>;
    public readonly statefulSet: k8s.apps.v1.StatefulSet;
    /** The rollout stage reached by the last update. */
    public readonly rollout: pulumi.Output<StageOutput>;

    constructor(name: string, args: KafkaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kafka-platform:index:Kafka", name, {}, opts);
        const { config, namespace } = args;
        const { headless, configMap } = companionObjects(
            name,
            {
                namespace,
                headless: { name: KAFKA_NAMES.headlessService, spec: kafkaHeadlessServiceSpec() },
                pdb: { name: KAFKA_NAMES.pdb, spec: kafkaPdbSpec() },
                config: { name: KAFKA_NAMES.configMap, data: kafkaConfigFiles(config.image, config.metadata) },
            },
            this,
        );

        const base = { ...config, namespace, instance: args.instance };
        const notApplying = (what: string) =>
            new pulumi.ResourceError(`not applying the brokers: the ${what}'s rollout stage failed (see its StatefulSet)`, this);
        if (config.metadata === "kraft" && !args.kraft) throw new pulumi.ResourceError("kafka.metadata is kraft but no controller quorum was given", this);
        if (config.metadata === "zookeeper" && !args.zookeeper) {
            throw new pulumi.ResourceError("kafka.metadata is zookeeper but no ZooKeeper ensemble was given", this);
        }
        // ZooKeeper mode, KRaft mode, or both while migrating: the brokers wait for every metadata
        // store they are given to finish its rollout stage.
        const { zookeeper: zk, kraft } = args;
        const spec = pulumi
            .all([zk?.connectString, zk?.affinityTerm, zk?.stage, kraft?.quorumVoters, kraft?.clusterId, kraft?.stage])
            .apply(([zookeeperConnect, zookeeperAffinity, zkStage, quorumVoters, clusterId, kraftStage]) => {
                if (zkStage?.failed) throw notApplying("ZooKeeper ensemble");
                if (kraftStage?.failed) throw notApplying("controller quorum");
                return kafkaStatefulSetSpec({
                    ...base,
                    ...(zk ? { zookeeperConnect, zookeeperAffinity } : {}),
                    ...(kraft ? { kraft: { quorumVoters: quorumVoters!, clusterId: clusterId! } } : {}),
                });
            });
        ({ statefulSet: this.statefulSet, rollout: this.rollout } = platformStatefulSet(
            `${name}-statefulset`,
            {
                app: "kafka",
                objectName: KAFKA_NAMES.statefulSet,
                namespace,
                spec,
                partition: config.partition,
                replicas: config.replicas,
                timeoutSeconds: config.rolloutTimeoutSeconds,
                timeoutKey: "kafka.rolloutTimeoutSeconds",
                rollout: args.rollout,
                protect: args.protect,
                dependsOn: [headless, configMap],
            },
            this,
        ));
        this.bootstrapServers = pulumi.output(bootstrapServers(config.replicas, namespace));
        this.podSelector = pulumi.output(podSelector("kafka"));

        this.registerOutputs({
            bootstrapServers: this.bootstrapServers,
            podSelector: this.podSelector,
            rollout: this.rollout,
        });
    }
}
