// Pure builders for the brokers: StatefulSet `kafka`, headless Service `kafka-hs`, PDB `kafka-pdb`,
// field for field the seed tutorial's manifest, with the departures listed in README.md.
import { tunableProperties, brokerStartScript } from "./broker-config";
import { FIRST_KRAFT_ONLY_MAJOR, kafkaImageMajor } from "./durability";
import { CONTROLLER_LISTENER } from "./kraft";
import { brokerMode } from "./migration";
import { contentHash } from "./pod-builders";
import { inSyncProbeScript, servingProbeScript } from "./kafka-readiness";
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
    tcpStartupAndLiveness,
} from "./pod-builders";

export const KAFKA_NAMES = {
    statefulSet: "kafka",
    headlessService: "kafka-hs",
    pdb: "kafka-pdb",
    configMap: "kafka-config",
    container: "k8skafka",
    dataVolume: "datadir",
    configVolume: "config",
} as const;

export const KAFKA_PORTS: NamedPorts = { server: 9093 };
export const KAFKA_HOME = "/opt/kafka";
/**
 * The data volume's mount path is exactly the image's data VOLUME (apache/kafka 3.9
 * docker/jvm/Dockerfile:93): a container runtime lays an anonymous volume over any image volume
 * no mount matches exactly, and containerd does so even inside a mount — the seed's PVC at
 * /var/lib/kafka would hold nothing while the log sat in a volume that dies with the container.
 */
export const KAFKA_DATA_PATH = "/var/lib/kafka/data";
/** The PVC's subdirectory mounted there: an ext4 volume's root holds lost+found, which Kafka refuses as a log directory. */
export const KAFKA_DATA_SUBPATH = "data";
/** Our config files, mounted at the image's config VOLUME (Dockerfile:93) for the same reason. */
export const KAFKA_CONFIG_PATH = "/mnt/shared/config";

/** A server.properties with nothing in it: every broker property is an --override of the start script. */
const BASE_PROPERTIES = `# kafka-platform: every broker property is an --override in the start command
# (kubectl get sts kafka -o yaml); nothing comes from an image's sample server.properties.
`;

/**
 * Console logging only, at the distribution's levels (apache/kafka 3.9 config/log4j.properties:
 * root INFO; request logging WARN). The distribution's file appenders roll a new file every hour
 * under /opt/kafka/logs, in the container's writable layer, and never delete one.
 */
const LOG4J_PROPERTIES = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.org.apache.zookeeper=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.state.change.logger=INFO
`;

/**
 * The same for Kafka 4.x, which logs with Log4j 2 and reads a log4j2.yaml (the 4.x distribution
 * ships config/log4j2.yaml; see images/CONTRACT.md). Written for this project.
 */
const LOG4J2_YAML = `Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: kafka.network.RequestChannel$
        level: WARN
`;

/**
 * How a Kafka server of this image logs: Log4j 1 (reload4j) up to 3.9, Log4j 2 from 4.0. A tag
 * that names no version is taken as the line of the metadata mode's default image (3.9 for
 * ZooKeeper, 4.x for KRaft).
 */
export function kafkaLogging(image: string, metadata: KafkaConfig["metadata"] = "zookeeper"): { files: Record<string, string>; opts: string } {
    const major = kafkaImageMajor(image) ?? (metadata === "kraft" ? FIRST_KRAFT_ONLY_MAJOR : FIRST_KRAFT_ONLY_MAJOR - 1);
    return major >= FIRST_KRAFT_ONLY_MAJOR
        ? {
              files: { "server.properties": BASE_PROPERTIES, "log4j2.yaml": LOG4J2_YAML },
              opts: `-Dlog4j2.configurationFile=file:${KAFKA_CONFIG_PATH}/log4j2.yaml`,
          }
        : {
              files: { "server.properties": BASE_PROPERTIES, "log4j.properties": LOG4J_PROPERTIES },
              opts: `-Dlog4j.configuration=file:${KAFKA_CONFIG_PATH}/log4j.properties`,
          };
}

/** The files of the `kafka-config` ConfigMap, mounted at KAFKA_CONFIG_PATH. */
export function kafkaConfigFiles(image: string = "", metadata: KafkaConfig["metadata"] = "zookeeper"): Record<string, string> {
    return kafkaLogging(image, metadata).files;
}

export const KAFKA_CONFIG_HASH_ANNOTATION = "kafka-platform/config-sha256";

export interface KafkaSpecArgs extends KafkaConfig {
    namespace: string;
    /** app.kubernetes.io/instance of the pods (the Pulumi stack). */
    instance: string;
    /** ZooKeeper connect string (`zk-cs.<ns>.svc.cluster.local:2181`); ZooKeeper mode. */
    zookeeperConnect?: string;
    /** The ZooKeeper pods' affinity term, for preferring nodes that run them; ZooKeeper mode. */
    zookeeperAffinity?: ReturnType<typeof affinityTerm>;
    /**
     * The controller quorum and the cluster id the storage is formatted with: KRaft mode, and the
     * migration's phases from brokers-migrating on.
     */
    kraft?: { quorumVoters: string; clusterId: string };
}

/** Where a KRaft server's start script writes the properties `kafka-storage.sh format` reads. */
export const FORMAT_PROPERTIES_FILE = "/tmp/kafka-format.properties";

/** `kafka-0.kafka-hs.<ns>.svc.cluster.local:9093,...`, one entry per broker. */
export function bootstrapServers(replicas: number, namespace: string): string {
    return Array.from(
        { length: replicas },
        (_, i) => `${KAFKA_NAMES.statefulSet}-${i}.${KAFKA_NAMES.headlessService}.${namespace}.svc.cluster.local:${KAFKA_PORTS.server}`,
    ).join(",");
}

/** The broker container's start script, with every override in force. */
export function kafkaStartScript(a: KafkaSpecArgs): string {
    const mode = brokerMode(a.metadata, a.migration);
    if (mode !== "zookeeper" && !a.kraft) throw new Error(`the brokers run ${mode === "kraft" ? "KRaft" : "migration"} mode: they need the controller quorum`);
    const quorum = a.kraft && { quorumVoters: a.kraft.quorumVoters, controllerListener: CONTROLLER_LISTENER };
    // While migrating, the platform owns inter.broker.protocol.version: 3.9 on the migrating
    // ZooKeeper-mode brokers, unset on KRaft brokers, which use metadata.version instead (Kafka 3.9
    // docs/ops.html:4082-4090: "Don't set the IBP"). In the `controllers` phase the brokers are untouched.
    const overrides = { ...a.brokerConfig };
    if (a.migration !== "none" && mode !== "zookeeper") delete overrides["inter.broker.protocol.version"];
    return brokerStartScript(
        KAFKA_HOME,
        `${KAFKA_CONFIG_PATH}/server.properties`,
        {
            brokers: a.replicas,
            namespace: a.namespace,
            headlessService: KAFKA_NAMES.headlessService,
            zookeeperConnect: a.zookeeperConnect,
            kraft: mode === "kraft" ? quorum : undefined,
            migration: mode === "migrating" ? quorum : undefined,
            port: KAFKA_PORTS.server,
            logDir: KAFKA_DATA_PATH,
        },
        tunableProperties(a.replicas, overrides, mode === "kraft" ? "kraft" : "zookeeper"),
        // A fresh KRaft stack formats its brokers' storage; migrated brokers keep the meta.properties
        // they had in ZooKeeper mode (same cluster id and broker id), which the KRaft server loads and
        // checks against node.id (core/.../KafkaRaftServer.scala:138-144); the docs format no broker.
        a.metadata === "kraft" && a.migration === "none" ? { clusterId: a.kraft!.clusterId, propertiesFile: FORMAT_PROPERTIES_FILE } : undefined,
    );
}

/**
 * The broker's readiness probe (components/kafka-readiness.ts): `in-sync` holds the rolling update
 * and a PDB-respecting drain until the restarted broker is back in every ISR it belongs to;
 * `serving` is the seed's probe, a JVM per run.
 */
export function kafkaReadinessProbe(readiness: KafkaConfig["readiness"]) {
    return readiness === "in-sync"
        ? shellProbe(inSyncProbeScript(KAFKA_PORTS.server), { initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 4 }, "bash")
        : shellProbe(servingProbeScript(KAFKA_HOME, KAFKA_PORTS.server), { initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 10 });
}

/** The environment of a Kafka server container, broker or controller. */
export function kafkaServerEnv(heapOpts: string, image: string, metadata: KafkaConfig["metadata"]) {
    return [
        { name: "KAFKA_HEAP_OPTS", value: heapOpts },
        { name: "KAFKA_LOG4J_OPTS", value: kafkaLogging(image, metadata).opts },
        // Without -loggc: kafka-server-start.sh's default writes GC logs of up to
        // 10 x 100 MB into the container's writable layer (kafka-run-class.sh:329).
        { name: "EXTRA_ARGS", value: "-name kafkaServer" },
    ];
}

/** The data volume at the image's data VOLUME and our config files at its config VOLUME. */
export function kafkaServerMounts(dataVolume: string) {
    return [
        { name: dataVolume, mountPath: KAFKA_DATA_PATH, subPath: KAFKA_DATA_SUBPATH },
        { name: KAFKA_NAMES.configVolume, mountPath: KAFKA_CONFIG_PATH, readOnly: true },
    ];
}

export function kafkaStatefulSetSpec(a: KafkaSpecArgs) {
    return {
        serviceName: KAFKA_NAMES.headlessService,
        replicas: a.replicas,
        // Brokers do not depend on each other to start: create them all at once, as the seed does.
        podManagementPolicy: "Parallel",
        updateStrategy: rollingUpdate(a.partition),
        selector: podSelector("kafka"),
        template: {
            metadata: {
                labels: podLabels("kafka", a.instance),
                // The config files live in a ConfigMap; their hash in the template rolls the brokers when they change.
                annotations: { [KAFKA_CONFIG_HASH_ANNOTATION]: contentHash(kafkaConfigFiles(a.image, a.metadata)) },
            },
            spec: {
                affinity: {
                    podAntiAffinity: antiAffinity("kafka", a.antiAffinity),
                    // Near ZooKeeper when possible, as in the seed (weight 1: a tie-breaker only); KRaft
                    // brokers no longer talk to it (dropped in brokers-kraft, which rolls them anyway).
                    ...(a.zookeeperAffinity && brokerMode(a.metadata, a.migration) !== "kraft"
                        ? { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: a.zookeeperAffinity }] } }
                        : {}),
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
                        env: kafkaServerEnv(a.heapOpts, a.image, a.metadata),
                        volumeMounts: kafkaServerMounts(KAFKA_NAMES.dataVolume),
                        // Log recovery after an unclean stop can take minutes before the broker
                        // listens: the startup probe gives it 30, then liveness restarts a broker
                        // whose listener is gone for 2 minutes.
                        ...tcpStartupAndLiveness("server", 180),
                        readinessProbe: kafkaReadinessProbe(a.readiness),
                        securityContext: containerSecurityContext(),
                    },
                ],
                volumes: [{ name: KAFKA_NAMES.configVolume, configMap: { name: KAFKA_NAMES.configMap } }],
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
