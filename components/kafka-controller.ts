import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ControllersConfig, KafkaConfig } from "./config";
import {
    CONTROLLER_NAMES,
    controllerHeadlessServiceSpec,
    controllerPdbSpec,
    controllerQuorumVoters,
    controllerStatefulSetSpec,
} from "./kafka-controller-spec";
import { kafkaConfigFiles } from "./kafka-spec";
import type { RolloutAwaitOptions, StageOutput } from "../rollout/await";
import { companionObjects, platformStatefulSet } from "./statefulset";

export interface KafkaControllersArgs {
    /** Validated `kafka.controllers` stack config. */
    readonly config: ControllersConfig;
    /** The brokers' image (`kafka.image`): one Kafka version for the cluster. */
    readonly image: KafkaConfig["image"];
    /** The cluster id every node is formatted with: from @pulumi/random or `kafka.clusterId`. */
    readonly clusterId: pulumi.Input<string>;
    /** Migration mode (kafka.migration before finalized): the ZooKeeper ensemble's connect string. */
    readonly migration?: { readonly zookeeperConnect: pulumi.Input<string> };
    /** A localhost JMX port for the migration's gates (any kafka.migration phase). */
    readonly jmx?: boolean;
    readonly namespace: string;
    /** app.kubernetes.io/instance label value; the stack name. */
    readonly instance: string;
    /** Wait for each rollout stage on a live cluster. Omitted when rendering YAML. */
    readonly rollout?: RolloutAwaitOptions;
    /** Mark the StatefulSet protected so no edit can replace it. Defaults to true. */
    readonly protect?: boolean;
}

/** The KRaft controller quorum: StatefulSet `kafka-controller`, headless Service `kafka-controller-hs`, PDB `kafka-controller-pdb`. */
export class KafkaControllers extends pulumi.ComponentResource {
    /** `controller.quorum.voters` of the brokers. */
    public readonly quorumVoters: pulumi.Output<string>;
    public readonly statefulSet: k8s.apps.v1.StatefulSet;
    /** The rollout stage reached by the last update. */
    public readonly rollout: pulumi.Output<StageOutput>;

    constructor(name: string, args: KafkaControllersArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kafka-platform:index:KafkaControllers", name, {}, opts);
        const { config, namespace } = args;
        const { headless, configMap } = companionObjects(
            name,
            {
                namespace,
                headless: { name: CONTROLLER_NAMES.headlessService, spec: controllerHeadlessServiceSpec() },
                pdb: { name: CONTROLLER_NAMES.pdb, spec: controllerPdbSpec() },
                config: { name: CONTROLLER_NAMES.configMap, data: kafkaConfigFiles(args.image, "kraft") },
            },
            this,
        );
        const spec = pulumi
            .all([args.clusterId, args.migration?.zookeeperConnect])
            .apply(([clusterId, zookeeperConnect]) =>
                controllerStatefulSetSpec({
                    ...config,
                    namespace,
                    instance: args.instance,
                    image: args.image,
                    clusterId,
                    ...(args.migration ? { migration: { zookeeperConnect: zookeeperConnect! } } : {}),
                    jmx: args.jmx,
                }),
            );
        ({ statefulSet: this.statefulSet, rollout: this.rollout } = platformStatefulSet(
            `${name}-statefulset`,
            {
                app: "kafka-controller",
                objectName: CONTROLLER_NAMES.statefulSet,
                namespace,
                spec,
                partition: config.partition,
                replicas: config.replicas,
                timeoutSeconds: config.rolloutTimeoutSeconds,
                timeoutKey: "kafka.controllers.rolloutTimeoutSeconds",
                rollout: args.rollout,
                protect: args.protect,
                dependsOn: [headless, configMap],
            },
            this,
        ));
        this.quorumVoters = pulumi.output(controllerQuorumVoters(config.replicas, namespace));
        this.registerOutputs({ quorumVoters: this.quorumVoters, rollout: this.rollout });
    }
}
