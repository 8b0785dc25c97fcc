// Pure builder for the Job that creates the configured topics: the seed's
// `kafka-topics.sh --create --topic test ...`, made idempotent with --if-not-exists.
import { createHash } from "crypto";
import type { TopicConfig } from "./config";
import { KAFKA_HOME } from "./kafka-spec";
import { MANAGED_BY } from "./labels";
import { containerSecurityContext, podSecurityContext } from "./pod-builders";
import { shellQuote } from "./shell";

/** A short hash of the topic list: the Job's name, so a changed list creates (and runs) a new Job. */
export function topicsHash(topics: TopicConfig[]): string {
    const canonical = JSON.stringify(topics.map((t) => [t.name, t.partitions, t.replicationFactor]));
    return createHash("sha256").update(canonical).digest("hex").slice(0, 10);
}

export function topicsJobName(topics: TopicConfig[]): string {
    return `kafka-topics-${topicsHash(topics)}`;
}

export function createTopicsScript(topics: TopicConfig[], bootstrapServers: string): string {
    return [
        "set -e",
        ...topics.map(
            (t) =>
                `${KAFKA_HOME}/bin/kafka-topics.sh --bootstrap-server ${shellQuote(bootstrapServers)} --create --if-not-exists ` +
                `--topic ${shellQuote(t.name)} --partitions ${t.partitions} --replication-factor ${t.replicationFactor}`,
        ),
    ].join("\n");
}

export interface TopicsJobArgs {
    topics: TopicConfig[];
    bootstrapServers: string;
    image: string;
    instance: string;
}

export function topicsJobSpec(a: TopicsJobArgs) {
    return kafkaToolJobSpec({
        app: "kafka-topics",
        instance: a.instance,
        container: "create-topics",
        image: a.image,
        script: createTopicsScript(a.topics, a.bootstrapServers),
    });
}

export interface KafkaToolJobArgs {
    /** app.kubernetes.io/name of the Job's pod. */
    app: string;
    instance: string;
    container: string;
    /** The brokers' image: it has the Kafka tools. */
    image: string;
    /** The `sh -c` script the container runs. */
    script: string;
}

/** A one-shot Job running Kafka tools against the brokers (the topics Job, the metadata.version upgrade). */
export function kafkaToolJobSpec(a: KafkaToolJobArgs) {
    return {
        // Brokers may still be electing a controller: retry rather than fail the deployment.
        backoffLimit: 10,
        template: {
            metadata: {
                labels: {
                    "app.kubernetes.io/name": a.app,
                    "app.kubernetes.io/instance": a.instance,
                    "app.kubernetes.io/managed-by": MANAGED_BY,
                },
            },
            spec: {
                restartPolicy: "OnFailure",
                securityContext: podSecurityContext(),
                containers: [
                    {
                        name: a.container,
                        image: a.image,
                        imagePullPolicy: "IfNotPresent",
                        command: ["sh", "-c", a.script],
                        env: [{ name: "KAFKA_HEAP_OPTS", value: "-Xmx128M" }],
                        resources: { requests: { cpu: "100m", memory: "256Mi" } },
                        securityContext: containerSecurityContext(),
                    },
                ],
            },
        },
    };
}
