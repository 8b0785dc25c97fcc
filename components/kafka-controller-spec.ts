// Pure builders for the KRaft controller quorum (`kafka.metadata: kraft`): StatefulSet
// `kafka-controller`, headless Service `kafka-controller-hs`, PDB `kafka-controller-pdb`. The seed
// has no such thing; the pod follows the brokers' (image, paths, security, volumes).
import { serverStartScript } from "./broker-config";
import type { ControllersConfig, KafkaConfig } from "./config";
import {
    FORMAT_PROPERTIES_FILE,
    KAFKA_CONFIG_HASH_ANNOTATION,
    KAFKA_CONFIG_PATH,
    KAFKA_DATA_PATH,
    KAFKA_HOME,
    KAFKA_NAMES,
    kafkaConfigFiles,
    kafkaServerEnv,
    kafkaServerMounts,
} from "./kafka-spec";
import { CONTROLLER_LISTENER, KRAFT_CONTROLLER_ID_BASE, quorumVoters } from "./kraft";
import { podLabels, podSelector } from "./labels";
import {
    NamedPorts,
    antiAffinity,
    containerPorts,
    containerSecurityContext,
    contentHash,
    dataVolumeClaim,
    headlessServiceSpec,
    keepVolumeClaims,
    pdbSpec,
    podSecurityContext,
    rollingUpdate,
    tcpStartupAndLiveness,
} from "./pod-builders";

export const CONTROLLER_NAMES = {
    statefulSet: "kafka-controller",
    headlessService: "kafka-controller-hs",
    pdb: "kafka-controller-pdb",
    configMap: "kafka-controller-config",
    container: "kafka-controller",
    dataVolume: "datadir",
} as const;

/** The quorum's port, named after the listener (9093 is the brokers'). */
export const CONTROLLER_PORTS: NamedPorts = { controller: 9094 };

export interface ControllerSpecArgs extends ControllersConfig {
    namespace: string;
    instance: string;
    /** The brokers' image: one Kafka version for the whole cluster. */
    image: KafkaConfig["image"];
    clusterId: string;
    /** ZooKeeper → KRaft migration mode (kafka.migration before finalized): the ensemble the metadata is copied from. */
    migration?: { zookeeperConnect: string };
    /** A JMX port on localhost, for the migration's gates to read ZkMigrationState (any kafka.migration phase). */
    jmx?: boolean;
}

/** The controllers' JMX port, bound to localhost only (CONTROLLER_JMX_OPTS). */
export const CONTROLLER_JMX_PORT = 9999;

/**
 * The JVM's remote JMX, as kafka-run-class.sh sets it (bin/kafka-run-class.sh:209-220 in 3.9:
 * no authentication, no TLS), but bound to 127.0.0.1: the gate reads it with JmxTool inside the pod
 * (kubectl exec), and nothing else on the pod network can reach an unauthenticated JMX port.
 * kafka-run-class.sh adds the port and the RMI port from JMX_PORT.
 */
export const CONTROLLER_JMX_OPTS =
    "-Dcom.sun.management.jmxremote=true -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false " +
    "-Dcom.sun.management.jmxremote.host=127.0.0.1 -Djava.rmi.server.hostname=127.0.0.1";

/** This stack's `controller.quorum.voters`: every controller pod by its stable DNS name. */
export function controllerQuorumVoters(replicas: number, namespace: string): string {
    return quorumVoters({
        replicas,
        namespace,
        statefulSet: CONTROLLER_NAMES.statefulSet,
        headlessService: CONTROLLER_NAMES.headlessService,
        port: CONTROLLER_PORTS.controller,
    });
}

/** The brokers' listener, which migrating controllers use to send their RPCs to ZooKeeper-mode brokers. */
const BROKER_LISTENER = "PLAINTEXT";

/**
 * The controller's properties; node.id is evaluated in the container from its ordinal. In
 * migration mode, as Kafka 3.9's docs give a controller ready for migration (docs/ops.html:3994-4010):
 * the flag with zookeeper.connect (required together, KafkaConfig.scala:877-881), and
 * inter.broker.listener.name, the brokers' listener the controller reaches ZooKeeper-mode brokers
 * on, mapped in listener.security.protocol.map. listeners stays CONTROLLER only, as a
 * controller-only node requires (KafkaConfig.scala:962-968); inter.broker.listener.name is checked
 * against advertised listeners only on brokers (KafkaConfig.scala:1004-1009).
 */
export function controllerProperties(replicas: number, namespace: string, migration?: { zookeeperConnect: string }): Array<[string, string]> {
    const protocols = migration ? `${CONTROLLER_LISTENER}:PLAINTEXT,${BROKER_LISTENER}:PLAINTEXT` : `${CONTROLLER_LISTENER}:PLAINTEXT`;
    return [
        ["process.roles", "controller"],
        ["node.id", `$(( ${KRAFT_CONTROLLER_ID_BASE} + \${HOSTNAME##*-} ))`],
        ["controller.quorum.voters", controllerQuorumVoters(replicas, namespace)],
        ["controller.listener.names", CONTROLLER_LISTENER],
        ["listener.security.protocol.map", protocols],
        ["listeners", `${CONTROLLER_LISTENER}://:${CONTROLLER_PORTS.controller}`],
        ["log.dirs", KAFKA_DATA_PATH],
        ...(migration
            ? ([
                  ["zookeeper.metadata.migration.enable", "true"],
                  ["zookeeper.connect", migration.zookeeperConnect],
                  ["inter.broker.listener.name", BROKER_LISTENER],
              ] as Array<[string, string]>)
            : []),
    ];
}

/** Format the metadata log once (idempotent), then start the controller. */
export function controllerStartScript(a: ControllerSpecArgs): string {
    return serverStartScript(
        KAFKA_HOME,
        `${KAFKA_CONFIG_PATH}/server.properties`,
        controllerProperties(a.replicas, a.namespace, a.migration),
        new Map(),
        { clusterId: a.clusterId, propertiesFile: FORMAT_PROPERTIES_FILE },
    );
}

/**
 * Ready: the controller accepts connections on its quorum port. Controllers serve no Metadata to
 * clients (KIP-590: clients reach the quorum only through brokers), so the brokers' in-sync probe
 * does not apply; a TCP check costs no JVM. It does not prove that this voter has caught up with
 * the quorum's leader: a check of that (DescribeQuorum, or the quorum-state file the Raft client
 * keeps in the metadata log directory) is not written yet. Brokers in turn are Ready only once
 * the quorum has unfenced them (their in-sync probe needs them among the live brokers).
 */
export function controllerReadinessProbe() {
    return { tcpSocket: { port: "controller" }, initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 3 };
}

export function controllerStatefulSetSpec(a: ControllerSpecArgs) {
    return {
        serviceName: CONTROLLER_NAMES.headlessService,
        replicas: a.replicas,
        // A static quorum elects a leader once a majority of voters is up, in any order: start them together.
        podManagementPolicy: "Parallel",
        updateStrategy: rollingUpdate(a.partition),
        selector: podSelector("kafka-controller"),
        template: {
            metadata: {
                labels: podLabels("kafka-controller", a.instance),
                annotations: { [KAFKA_CONFIG_HASH_ANNOTATION]: contentHash(kafkaConfigFiles(a.image, "kraft")) },
            },
            spec: {
                // Two voters on one node would take the majority of a 3-voter quorum down with it: always required.
                affinity: { podAntiAffinity: antiAffinity("kafka-controller", "required") },
                terminationGracePeriodSeconds: 60,
                securityContext: podSecurityContext(),
                containers: [
                    {
                        name: CONTROLLER_NAMES.container,
                        imagePullPolicy: "IfNotPresent",
                        image: a.image,
                        resources: { requests: { memory: a.memory, cpu: a.cpu } },
                        ports: containerPorts(CONTROLLER_PORTS),
                        command: ["sh", "-c", controllerStartScript(a)],
                        env: [
                            ...kafkaServerEnv(a.heapOpts, a.image, "kraft"),
                            ...(a.jmx
                                ? [
                                      { name: "JMX_PORT", value: String(CONTROLLER_JMX_PORT) },
                                      { name: "KAFKA_JMX_OPTS", value: CONTROLLER_JMX_OPTS },
                                  ]
                                : []),
                        ],
                        volumeMounts: kafkaServerMounts(CONTROLLER_NAMES.dataVolume),
                        // Loading a large metadata log can take a while before the port opens: 10 minutes.
                        ...tcpStartupAndLiveness("controller", 60),
                        readinessProbe: controllerReadinessProbe(),
                        securityContext: containerSecurityContext(),
                    },
                ],
                volumes: [{ name: KAFKA_NAMES.configVolume, configMap: { name: CONTROLLER_NAMES.configMap } }],
            },
        },
        persistentVolumeClaimRetentionPolicy: keepVolumeClaims(),
        volumeClaimTemplates: [dataVolumeClaim(CONTROLLER_NAMES.dataVolume, a.storage, a.storageClass)],
    };
}

export function controllerHeadlessServiceSpec() {
    return headlessServiceSpec("kafka-controller", CONTROLLER_PORTS);
}

export function controllerPdbSpec() {
    return pdbSpec("kafka-controller");
}
