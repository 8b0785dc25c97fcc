// Pure builders for the brokers: StatefulSet `kafka`, headless Service `kafka-hs`, PDB `kafka-pdb`,
// field for field the seed tutorial's manifest, with the departures listed in README.md.
import { tunableProperties, brokerStartScript } from "./broker-config";
import type { KafkaConfig } from "./config";
import { affinityTerm, podLabels, podSelector } from "./labels";
import {
    NamedPorts,
    antiAffinity,
    containerPorts,
    containerSecurityContext,
    dataVolumeClaim,
    keepVolumeClaims,
    headlessServiceSpec,
    pdbSpec,
    podSecurityContext,
    rollingUpdate,
    shellProbe,
} from "./pod-builders";

export const KAFKA_NAMES = {
    statefulSet: "kafka",
    headlessService: "kafka-hs",
    pdb: "kafka-pdb",
    container: "k8skafka",
    dataVolume: "datadir",
} as const;

export const KAFKA_PORTS: NamedPorts = { server: 9093 };
export const KAFKA_HOME = "/opt/kafka";
export const KAFKA_DATA_PATH = "/var/lib/kafka";

export interface KafkaSpecArgs extends KafkaConfig {
    namespace: string;
    /** app.kubernetes.io/instance of the pods (the Pulumi stack). */
    instance: string;
    /** ZooKeeper connect string (`zk-cs.<ns>.svc.cluster.local:2181`). */
    zookeeperConnect: string;
    /** The ZooKeeper pods' affinity term, for preferring nodes that run them. */
    zookeeperAffinity: ReturnType<typeof affinityTerm>;
}

/** `kafka-0.kafka-hs.<ns>.svc.cluster.local:9093,...`, one entry per broker. */
export function bootstrapServers(replicas: number, namespace: string): string {
    return Array.from(
        { length: replicas },
        (_, i) => `${KAFKA_NAMES.statefulSet}-${i}.${KAFKA_NAMES.headlessService}.${namespace}.svc.cluster.local:${KAFKA_PORTS.server}`,
    ).join(",");
}

/** The broker container's start script, with every override in force. */
export function kafkaStartScript(a: KafkaSpecArgs): string {
    return brokerStartScript(
        KAFKA_HOME,
        {
            brokers: a.replicas,
            namespace: a.namespace,
            headlessService: KAFKA_NAMES.headlessService,
            zookeeperConnect: a.zookeeperConnect,
            port: KAFKA_PORTS.server,
            dataMountPath: KAFKA_DATA_PATH,
        },
        tunableProperties(a.replicas, a.brokerConfig),
    );
}

// The seed's probe; the tool gets a small heap of its own, since KAFKA_HEAP_OPTS would give it 512M.
const API_VERSIONS_PROBE =
    `KAFKA_HEAP_OPTS="-Xmx64M" KAFKA_OPTS="" ${KAFKA_HOME}/bin/kafka-broker-api-versions.sh ` +
    `--bootstrap-server=localhost:${KAFKA_PORTS.server}`;

export function kafkaStatefulSetSpec(a: KafkaSpecArgs) {
    return {
        serviceName: KAFKA_NAMES.headlessService,
        replicas: a.replicas,
        // Brokers do not depend on each other to start: create them all at once, as the seed does.
        podManagementPolicy: "Parallel",
        updateStrategy: rollingUpdate(a.partition),
        selector: podSelector("kafka"),
        template: {
            metadata: { labels: podLabels("kafka", a.instance) },
            spec: {
                affinity: {
                    podAntiAffinity: antiAffinity("kafka", a.antiAffinity),
                    // Near ZooKeeper when possible, as in the seed (weight 1: a tie-breaker only).
                    podAffinity: {
                        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: a.zookeeperAffinity }],
                    },
                },
                // Controlled shutdown moves partition leadership away before the broker stops.
                terminationGracePeriodSeconds: 300,
                securityContext: podSecurityContext(),
                containers: [
                    {
                        name: KAFKA_NAMES.container,
                        imagePullPolicy: "IfNotPresent",
                        image: a.image,
                        resources: { requests: { memory: a.memory, cpu: a.cpu } },
                        ports: containerPorts(KAFKA_PORTS),
                        command: ["sh", "-c", kafkaStartScript(a)],
                        env: [
                            { name: "KAFKA_HEAP_OPTS", value: a.heapOpts },
                            { name: "KAFKA_OPTS", value: "-Dlogging.level=INFO" },
                        ],
                        volumeMounts: [{ name: KAFKA_NAMES.dataVolume, mountPath: KAFKA_DATA_PATH }],
                        readinessProbe: shellProbe(API_VERSIONS_PROBE, { initialDelaySeconds: 15, periodSeconds: 10, timeoutSeconds: 10 }),
                        securityContext: containerSecurityContext(),
                    },
                ],
            },
        },
        persistentVolumeClaimRetentionPolicy: keepVolumeClaims(),
        volumeClaimTemplates: [dataVolumeClaim(KAFKA_NAMES.dataVolume, a.storage, a.storageClass)],
    };
}

export function kafkaHeadlessServiceSpec() {
    return headlessServiceSpec("kafka", KAFKA_PORTS);
}

export function kafkaPdbSpec() {
    return pdbSpec("kafka");
}
