// Pure builders for the ZooKeeper ensemble: StatefulSet `zk`, Services `zk-hs`/`zk-cs`, PDB `zk-pdb`,
// and the zoo.cfg ConfigMap. No Pulumi resources here; the component wires these to resources.
import type { ZooKeeperConfig } from "./config";
import { podLabels, podSelector } from "./labels";
import {
    NamedPorts,
    antiAffinity,
    containerPorts,
    contentHash,
    containerSecurityContext,
    dataVolumeClaim,
    keepVolumeClaims,
    headlessServiceSpec,
    pdbSpec,
    podSecurityContext,
    rollingUpdate,
    servicePorts,
    shellProbe,
} from "./pod-builders";

export const ZK_NAMES = {
    statefulSet: "zk",
    headlessService: "zk-hs",
    clientService: "zk-cs",
    pdb: "zk-pdb",
    configMap: "zk-config",
    container: "kubernetes-zookeeper",
    dataVolume: "datadir",
} as const;

export const ZK_PORTS: NamedPorts = { client: 2181, server: 2888, "leader-election": 3888 };
const DATA_DIR = "/data";
const CONF_DIR = "/conf";

export interface ZooKeeperSpecArgs extends ZooKeeperConfig {
    namespace: string;
    /** app.kubernetes.io/instance of the pods (the Pulumi stack). */
    instance: string;
}

/** `zk-cs.<ns>.svc.cluster.local:2181`, what Kafka's zookeeper.connect points at. */
export function zookeeperConnect(namespace: string): string {
    return `${ZK_NAMES.clientService}.${namespace}.svc.cluster.local:${ZK_PORTS.client}`;
}

/** The ensemble's zoo.cfg: one server line per ordinal, ids 1..N (myid = ordinal + 1). */
export function zooCfg(replicas: number, namespace: string): string {
    const servers = Array.from({ length: replicas }, (_, ordinal) =>
        `server.${ordinal + 1}=${ZK_NAMES.statefulSet}-${ordinal}.${ZK_NAMES.headlessService}.${namespace}.svc.cluster.local:` +
        `${ZK_PORTS.server}:${ZK_PORTS["leader-election"]};${ZK_PORTS.client}`,
    );
    return [
        "tickTime=2000",
        "initLimit=10",
        "syncLimit=5",
        `dataDir=${DATA_DIR}`,
        `dataLogDir=${DATA_DIR}/log`,
        `clientPort=${ZK_PORTS.client}`,
        // The probes speak `ruok`; `srvr` and `mntr` are for operators. The image allows only srvr by default.
        "4lw.commands.whitelist=ruok,srvr,mntr",
        // Peers connect to the pod IP before its DNS name resolves to it.
        "quorumListenOnAllIPs=true",
        "autopurge.snapRetainCount=3",
        "autopurge.purgeInterval=12",
        "admin.enableServer=false",
        // Membership comes from this file, not from dynamic reconfiguration.
        "reconfigEnabled=false",
        "standaloneEnabled=false",
        ...servers,
        "",
    ].join("\n");
}

export const ZOO_CFG_HASH_ANNOTATION = "kafka-platform/zoo-cfg-sha256";

/** A hash of the config files: in the pod template, it rolls the ensemble when they change. */
export function zooCfgHash(replicas: number, namespace: string): string {
    return contentHash(zookeeperConfigFiles(replicas, namespace));
}

// The probes speak four-letter words through netcat: the image runs them with `sh -c`, and its
// /bin/sh is dash (no /dev/tcp), while nc is installed (zookeeper 3.9.3 Dockerfile:32).
const ask = (host: string, word: string) => `printf ${word} | nc -w 2 ${host} ${ZK_PORTS.client} 2>/dev/null`;

/** Alive: the server answers `ruok` with `imok` (it does so whether or not it is in a quorum). */
export const ZK_LIVENESS = `[ "$(${ask("127.0.0.1", "ruok")})" = imok ]`;

/**
 * Ready: this server is serving as part of a quorum (leader or follower) — or no quorum exists yet.
 * The second case is how the ensemble forms under OrderedReady (zk-0 must be Ready before zk-1
 * exists, and one server alone is no quorum); the first is what keeps a rolling update safe: once
 * peers serve, a restarted server stays unready until it has rejoined them, so the controller does
 * not take the next one while the quorum is a server short.
 */
export const ZK_READINESS = [
    `mode=$(${ask("127.0.0.1", "srvr")} | sed -n 's/^Mode: //p')`,
    `case "$mode" in leader|follower|standalone) exit 0 ;; esac`,
    `[ "$(${ask("127.0.0.1", "ruok")})" = imok ] || exit 1`,
    String.raw`for peer in $(sed -n 's/^server\.[0-9]*=\([^:]*\):.*/\1/p' ${CONF_DIR}/zoo.cfg); do`,
    `  case "$peer" in "$HOSTNAME".*) continue ;; esac`,
    `  case "$(${ask("$peer", "srvr")} | sed -n 's/^Mode: //p')" in leader|follower) exit 1 ;; esac`,
    `done`,
].join("\n");

/**
 * logback.xml for ZOOCFGDIR: the ConfigMap is mounted over /conf, which hides the image's own
 * logback.xml (zookeeper 3.9.3 Dockerfile:70 moves the distribution's conf/ there), and logback
 * without a configuration logs everything at DEBUG. Console only, at INFO: the kubelet rotates
 * container logs, while a file under the container's layer would grow until eviction.
 */
export const ZK_LOGBACK_XML = `<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder>
      <pattern>%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n</pattern>
    </encoder>
  </appender>
  <root level="INFO">
    <appender-ref ref="CONSOLE" />
  </root>
</configuration>
`;

/** What the ConfigMap mounted at ZOOCFGDIR holds. */
export function zookeeperConfigFiles(replicas: number, namespace: string): Record<string, string> {
    return { "zoo.cfg": zooCfg(replicas, namespace), "logback.xml": ZK_LOGBACK_XML };
}

export function zookeeperStatefulSetSpec(a: ZooKeeperSpecArgs) {
    return {
        serviceName: ZK_NAMES.headlessService,
        replicas: a.replicas,
        // Ensemble members start one at a time so zk-0 is serving before the next joins.
        podManagementPolicy: "OrderedReady",
        updateStrategy: rollingUpdate(a.partition),
        selector: podSelector("zk"),
        template: {
            metadata: {
                labels: podLabels("zk", a.instance),
                // zoo.cfg lives in a ConfigMap; its hash in the template rolls the ensemble when it changes.
                annotations: { [ZOO_CFG_HASH_ANNOTATION]: zooCfgHash(a.replicas, a.namespace) },
            },
            spec: {
                affinity: { podAntiAffinity: antiAffinity("zk", "required") },
                terminationGracePeriodSeconds: 60,
                securityContext: podSecurityContext(),
                containers: [
                    {
                        name: ZK_NAMES.container,
                        image: a.image,
                        imagePullPolicy: "IfNotPresent",
                        // myid = ordinal + 1: ZooKeeper server ids start at 1, StatefulSet ordinals at 0.
                        command: ["sh", "-c", `echo $(( \${HOSTNAME##*-} + 1 )) > ${DATA_DIR}/myid && exec zkServer.sh start-foreground`],
                        env: [
                            { name: "ZOOCFGDIR", value: CONF_DIR },
                            { name: "JVMFLAGS", value: a.heapOpts },
                        ],
                        resources: { requests: { cpu: a.cpu, memory: a.memory } },
                        ports: containerPorts(ZK_PORTS),
                        readinessProbe: shellProbe(ZK_READINESS, { initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 10 }),
                        livenessProbe: shellProbe(ZK_LIVENESS, { initialDelaySeconds: 30, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 }),
                        securityContext: containerSecurityContext(),
                        volumeMounts: [
                            { name: ZK_NAMES.dataVolume, mountPath: DATA_DIR },
                            { name: "config", mountPath: CONF_DIR },
                        ],
                    },
                ],
                volumes: [{ name: "config", configMap: { name: ZK_NAMES.configMap } }],
            },
        },
        persistentVolumeClaimRetentionPolicy: keepVolumeClaims(),
        volumeClaimTemplates: [dataVolumeClaim(ZK_NAMES.dataVolume, a.storage, a.storageClass)],
    };
}

export function zookeeperHeadlessServiceSpec() {
    return headlessServiceSpec("zk", { server: ZK_PORTS.server, "leader-election": ZK_PORTS["leader-election"] });
}

export function zookeeperClientServiceSpec() {
    return { selector: podSelector("zk").matchLabels, ports: servicePorts({ client: ZK_PORTS.client }) };
}

export function zookeeperPdbSpec() {
    return pdbSpec("zk");
}
