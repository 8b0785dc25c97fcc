// Pure builders for the ZooKeeper ensemble: StatefulSet `zk`, Services `zk-hs`/`zk-cs`, PDB `zk-pdb`,
// and the zoo.cfg ConfigMap. No Pulumi resources here; the component wires these to resources.
import { createHash } from "crypto";
import type { ZooKeeperConfig } from "./config";
import { podLabels, podSelector } from "./labels";
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

export function zooCfgHash(replicas: number, namespace: string): string {
    return createHash("sha256").update(zooCfg(replicas, namespace)).digest("hex").slice(0, 16);
}

// `ruok` over bash's /dev/tcp: the image has no guaranteed nc, and `imok` means the server is up
// even before a quorum exists, which OrderedReady start-up needs.
const RUOK = `exec 3<>/dev/tcp/127.0.0.1/${ZK_PORTS.client} && printf ruok >&3 && [ "$(head -c 4 <&3)" = imok ]`;

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
                        command: [
                            "bash",
                            "-c",
                            `echo $(( \${HOSTNAME##*-} + 1 )) > ${DATA_DIR}/myid && exec zkServer.sh start-foreground`,
                        ],
                        env: [
                            { name: "ZOOCFGDIR", value: CONF_DIR },
                            { name: "JVMFLAGS", value: a.heapOpts },
                        ],
                        resources: { requests: { cpu: a.cpu, memory: a.memory } },
                        ports: containerPorts(ZK_PORTS),
                        readinessProbe: shellProbe(RUOK, { initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5 }),
                        livenessProbe: shellProbe(RUOK, { initialDelaySeconds: 30, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 }),
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
