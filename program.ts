// The kafka-platform program: read and validate stack config, build ZooKeeper then Kafka, export.
// A function, so the same program runs from index.ts (`pulumi up` with the Node.js language host)
// and as an Automation API inline program (stacks/, the tests), where no language host is needed.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { ConfigError, PlatformConfig, parseConfig, projectConfig } from "./components/config";
import { Kafka } from "./components/kafka";
import { KafkaControllers } from "./components/kafka-controller";
import { controllerQuorumVoters } from "./components/kafka-controller-spec";
import { kafkaClusterIdFromHex } from "./components/kraft";
import { brokerMode, controllersMigrating, controllersRun } from "./components/migration";
import { labelQuery } from "./components/labels";
import { clusterTarget } from "./components/target";
import { Topics } from "./components/topics";
import { MetadataVersion } from "./components/metadata-version-job";
import type { RolloutAwaitOptions } from "./rollout/await";
import { ZooKeeper } from "./components/zookeeper";

function readConfig(): PlatformConfig {
    try {
        return parseConfig(projectConfig(pulumi.runtime.allConfig(), pulumi.getProject()));
    } catch (err) {
        // RunError prints the message alone: the user needs the bad keys, not our stack trace.
        if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
}

/** Where resources go: a live cluster if one is configured, otherwise YAML files in a folder. */
function chooseTarget(cfg: PlatformConfig) {
    const k8sConfig = new pulumi.Config("kubernetes");
    const cluster = clusterTarget({ renderDir: cfg.renderDir, kubeconfig: k8sConfig.get("kubeconfig"), context: k8sConfig.get("context") });
    if (cluster) {
        return { mode: "cluster" as const, kubeconfig: cluster, provider: undefined };
    }
    // Relative by default, so the same stack rendered from another checkout keeps its provider
    // (a changed provider input would mean replacing every resource).
    const renderTo = cfg.renderDir ?? path.join("rendered", pulumi.getStack());
    const dir = path.resolve(renderTo);
    pulumi.log.info(
        `no Kubernetes cluster configured (KUBECONFIG, ~/.kube/config or kubernetes:kubeconfig): ` +
            `rendering manifests to ${dir} instead of deploying`,
    );
    const provider = new k8s.Provider("render", { renderYamlToDirectory: renderTo });
    return { mode: "render" as const, dir, kubeconfig: undefined, provider };
}

/**
 * The KRaft controller quorum and the cluster id it and the brokers are formatted with:
 * `kafka.clusterId` when set (a migrated cluster keeps its ZooKeeper-era id; config requires it
 * while migrating), else 16 random bytes kept in the stack's state (RandomId: its outputs are not
 * secrets, unlike RandomBytes', so the StatefulSet diffs stay readable). While migrating
 * (kafka.migration before finalized) the controllers run in migration mode against `zookeeper`.
 */
function kraftQuorum(
    cfg: PlatformConfig,
    instance: string,
    rollout: RolloutAwaitOptions | undefined,
    opts: pulumi.ComponentResourceOptions,
    dependsOn: pulumi.Resource[],
    zookeeper: ZooKeeper | undefined,
) {
    const clusterId: pulumi.Output<string> = cfg.kafka.clusterId
        ? pulumi.output(cfg.kafka.clusterId)
        : new random.RandomId("kafka-cluster-id", { byteLength: 16 }).hex.apply(kafkaClusterIdFromHex);
    const migrating = controllersMigrating(cfg.kafka.metadata, cfg.kafka.migration);
    if (migrating && !zookeeper) throw new pulumi.RunError(`kafka.migration ${cfg.kafka.migration}: the controllers need the ZooKeeper ensemble`);
    const controllers = new KafkaControllers(
        "kafka-controller",
        {
            config: cfg.kafka.controllers,
            image: cfg.kafka.image,
            clusterId,
            namespace: cfg.namespace,
            instance,
            rollout,
            ...(migrating ? { migration: { zookeeperConnect: zookeeper!.connectString } } : {}),
            jmx: cfg.kafka.migration !== "none",
        },
        // While migrating, the controllers start once the ensemble's rollout stage is applied.
        { ...opts, dependsOn: [...dependsOn, ...(zookeeper ? [zookeeper] : [])] },
    );
    return { clusterId, controllers };
}

/** Build the platform from the stack's config; returns the stack outputs. */
export async function kafkaPlatform() {
    const cfg = readConfig();
    const target = chooseTarget(cfg);
    const instance = pulumi.getStack();
    const opts: pulumi.ComponentResourceOptions = target.provider ? { providers: { kubernetes: target.provider } } : {};
    const rollout = target.kubeconfig ? { kubeconfig: target.kubeconfig } : undefined;

    // The seed deploys into `default`; any other namespace is created here, and kept on destroy so the
    // brokers' PersistentVolumeClaims in it survive.
    const namespace =
        cfg.namespace === "default"
            ? undefined
            : new k8s.core.v1.Namespace(
                  "namespace",
                  { metadata: { name: cfg.namespace } },
                  { provider: target.provider, retainOnDelete: true },
              );
    const dependsOn = namespace ? [namespace] : [];

    // The metadata store: a ZooKeeper ensemble (the seed's) or a KRaft controller quorum; both for
    // a while during the ZooKeeper → KRaft migration (kafka.migration, components/migration.ts).
    const phase = cfg.kafka.migration;
    const zookeeper =
        cfg.kafka.metadata === "zookeeper"
            ? new ZooKeeper("zk", { config: cfg.zookeeper, namespace: cfg.namespace, instance, rollout }, { ...opts, dependsOn })
            : undefined;
    const metadata = controllersRun(cfg.kafka.metadata, phase) ? kraftQuorum(cfg, instance, rollout, opts, dependsOn, zookeeper) : undefined;
    // The brokers name the quorum from brokers-migrating on; in controllers-removed it is no longer
    // deployed (the docs' revert), but they keep naming it until `none` rolls them back.
    const quorum = metadata
        ? { quorumVoters: metadata.controllers.quorumVoters, clusterId: metadata.clusterId, stage: metadata.controllers.rollout }
        : brokerMode(cfg.kafka.metadata, phase) !== "zookeeper"
          ? { quorumVoters: controllerQuorumVoters(cfg.kafka.controllers.replicas, cfg.namespace), clusterId: cfg.kafka.clusterId! }
          : undefined;
    const kafka = new Kafka(
        "kafka",
        {
            config: cfg.kafka,
            namespace: cfg.namespace,
            instance,
            zookeeper: zookeeper && { connectString: zookeeper.connectString, affinityTerm: zookeeper.affinityTerm, stage: zookeeper.rollout },
            kraft: quorum,
            rollout,
        },
        { ...opts, dependsOn: [...dependsOn, ...(zookeeper ? [zookeeper] : []), ...(metadata ? [metadata.controllers] : [])] },
    );
    // The one-shot Jobs run against the brokers once their rollout stage is over.
    const brokerJob = {
        namespace: cfg.namespace,
        instance,
        bootstrapServers: kafka.bootstrapServers,
        image: cfg.kafka.image,
        brokersReady: kafka.rollout,
    };
    const afterBrokers = { ...opts, dependsOn: [kafka] };
    const topics = cfg.topics.length > 0 ? new Topics("topics", { ...brokerJob, topics: cfg.topics }, afterBrokers) : undefined;
    // After the brokers' rollout stage, so every server runs the image first; config allows the key
    // in KRaft mode only, and the pack refuses it in the same update as an image change.
    const metadataVersion =
        cfg.kafka.metadataVersion !== undefined
            ? new MetadataVersion("metadata-version", { ...brokerJob, metadataVersion: cfg.kafka.metadataVersion }, afterBrokers)
            : undefined;

    const mode = target.mode;
    const renderedTo = target.mode === "render" ? target.dir : undefined;
    const bootstrapServers = kafka.bootstrapServers;
    const kafkaPartition = cfg.kafka.partition;
    const kafkaRollout = kafka.rollout;
    const topicsJob = topics?.jobName;
    const watchCommand = `kubectl get po -l ${labelQuery("kafka")} -w${cfg.namespace === "default" ? "" : ` -n ${cfg.namespace}`}`;

    return {
        mode,
        ...(renderedTo ? { renderedTo } : {}),
        bootstrapServers,
        metadata: cfg.kafka.metadata,
        ...(phase !== "none" ? { migration: phase } : {}),
        ...(zookeeper
            ? { zookeeperConnect: zookeeper.connectString, zookeeperPartition: cfg.zookeeper.partition, zookeeperRollout: zookeeper.rollout }
            : {}),
        ...(metadata
            ? {
                  controllerQuorumVoters: metadata.controllers.quorumVoters,
                  clusterId: metadata.clusterId,
                  controllerPartition: cfg.kafka.controllers.partition,
                  controllerRollout: metadata.controllers.rollout,
              }
            : {}),
        kafkaPartition,
        kafkaRollout,
        // The image and level of this update: the next one's kafka-metadata-version policy compares with them.
        kafkaImage: cfg.kafka.image,
        ...(metadataVersion ? { metadataVersion: cfg.kafka.metadataVersion, metadataVersionJob: metadataVersion.jobName } : {}),
        ...(topicsJob ? { topicsJob } : {}),
        watchCommand,
    };
}
