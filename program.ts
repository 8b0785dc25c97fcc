// The kafka-platform program: read and validate stack config, build ZooKeeper then Kafka, export.
// A function, so the same program runs from index.ts (`pulumi up` with the Node.js language host)
// and as an Automation API inline program (stacks/, the tests), where no language host is needed.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ConfigError, PlatformConfig, parseConfig, projectConfig } from "./components/config";
import { Kafka } from "./components/kafka";
import { labelQuery } from "./components/labels";
import { clusterTarget } from "./components/target";
import { Topics } from "./components/topics";
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

    const zookeeper = new ZooKeeper(
        "zk",
        { config: cfg.zookeeper, namespace: cfg.namespace, instance, rollout },
        { ...opts, dependsOn },
    );
    const kafka = new Kafka(
        "kafka",
        {
            config: cfg.kafka,
            namespace: cfg.namespace,
            instance,
            zookeeper: { connectString: zookeeper.connectString, affinityTerm: zookeeper.affinityTerm, stage: zookeeper.rollout },
            rollout,
        },
        { ...opts, dependsOn: [...dependsOn, zookeeper] },
    );
    const topics =
        cfg.topics.length > 0
            ? new Topics(
                  "topics",
                  {
                      topics: cfg.topics,
                      namespace: cfg.namespace,
                      instance,
                      bootstrapServers: kafka.bootstrapServers,
                      image: cfg.kafka.image,
                      brokersReady: kafka.rollout,
                  },
                  { ...opts, dependsOn: [kafka] },
              )
            : undefined;

    const mode = target.mode;
    const renderedTo = target.mode === "render" ? target.dir : undefined;
    const bootstrapServers = kafka.bootstrapServers;
    const zookeeperConnect = zookeeper.connectString;
    const kafkaPartition = cfg.kafka.partition;
    const zookeeperPartition = cfg.zookeeper.partition;
    const kafkaRollout = kafka.rollout;
    const zookeeperRollout = zookeeper.rollout;
    const topicsJob = topics?.jobName;
    const watchCommand = `kubectl get po -l ${labelQuery("kafka")} -w${cfg.namespace === "default" ? "" : ` -n ${cfg.namespace}`}`;

    return {
        mode,
        ...(renderedTo ? { renderedTo } : {}),
        bootstrapServers,
        zookeeperConnect,
        kafkaPartition,
        zookeeperPartition,
        kafkaRollout,
        zookeeperRollout,
        ...(topicsJob ? { topicsJob } : {}),
        watchCommand,
    };
}
