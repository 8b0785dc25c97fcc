// Compliant fixtures, one per kind, written out by hand (not built by components/) so the policy
// tests pin what the rules accept. Every call returns a fresh object: a test breaks one field.
import type { ResourceInput } from "../../helpers/policy-args";

export const STATEFULSET = "kubernetes:apps/v1:StatefulSet";
export const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
export const NAMESPACE = "streaming";

/** The broker start script with the given overrides, quoted as components/broker-config.ts writes it. */
export function kafkaScript(overrides: Record<string, string>): string {
    return [
        "exec /opt/kafka/bin/kafka-server-start.sh /opt/kafka/config/server.properties",
        `--override "broker.id=\${HOSTNAME##*-}"`,
        `--override "zookeeper.connect=zk-cs.${NAMESPACE}.svc.cluster.local:2181"`,
        ...Object.entries(overrides).map(([k, v]) => `--override ${k}=${v}`),
    ].join(" \\\n  ");
}

export const DURABLE_OVERRIDES: Record<string, string> = {
    "min.insync.replicas": "2",
    "unclean.leader.election.enable": "false",
    "default.replication.factor": "3",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.replication.factor": "3",
};

function labels(app: "kafka" | "zk") {
    return {
        app,
        "app.kubernetes.io/name": app === "kafka" ? "kafka" : "zookeeper",
        "app.kubernetes.io/instance": "dev",
    };
}

function statefulSet(app: "kafka" | "zk", container: Record<string, any>) {
    return {
        metadata: { name: app, namespace: NAMESPACE },
        spec: {
            serviceName: `${app}-hs`,
            replicas: 3,
            updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
            selector: { matchLabels: { app } },
            template: {
                metadata: { labels: labels(app) },
                spec: {
                    affinity: {
                        podAntiAffinity: {
                            requiredDuringSchedulingIgnoredDuringExecution: [
                                {
                                    labelSelector: { matchExpressions: [{ key: "app", operator: "In", values: [app] }] },
                                    topologyKey: "kubernetes.io/hostname",
                                },
                            ],
                        },
                    },
                    securityContext: { runAsUser: 1000, fsGroup: 1000, runAsNonRoot: true },
                    containers: [
                        {
                            resources: { requests: { cpu: "500m", memory: "1Gi" } },
                            readinessProbe: { exec: { command: ["sh", "-c", "true"] }, periodSeconds: 10 },
                            securityContext: { allowPrivilegeEscalation: false },
                            ...container,
                        },
                    ],
                },
            },
        },
    };
}

export function kafkaStatefulSet(): Record<string, any> {
    return statefulSet("kafka", {
        name: "k8skafka",
        image: "apache/kafka:3.9.1",
        command: ["sh", "-c", kafkaScript(DURABLE_OVERRIDES)],
    });
}

export function zkStatefulSet(): Record<string, any> {
    return statefulSet("zk", {
        name: "kubernetes-zookeeper",
        image: "zookeeper:3.9.3",
        command: ["bash", "-c", "echo $(( ${HOSTNAME##*-} + 1 )) > /data/myid && exec zkServer.sh start-foreground"],
    });
}

/** A PDB selecting an app's pods; namespace null leaves metadata.namespace out. */
export function pdb(app: "kafka" | "zk", spec: Record<string, any> = { maxUnavailable: 1 }, namespace: string | null = NAMESPACE): Record<string, any> {
    return {
        metadata: { name: `${app}-pdb`, ...(namespace === null ? {} : { namespace }) },
        spec: { selector: { matchLabels: { app } }, ...spec },
    };
}

/** A StatefulSet as a resource input, protected as the components make it. */
export function sts(props: Record<string, any>, opts: ResourceInput["opts"] = { protect: true }): ResourceInput {
    return { type: STATEFULSET, props, name: `${props.metadata?.name ?? "sts"}-statefulset`, opts };
}

export function pdbInput(props: Record<string, any>): ResourceInput {
    return { type: PDB, props, name: props.metadata.name };
}

/** Set a value at a dotted path (array indexes as numbers), creating objects on the way. */
export function set(target: Record<string, any>, dotted: string, value: unknown): Record<string, any> {
    const keys = dotted.split(".");
    let at: any = target;
    for (const key of keys.slice(0, -1)) {
        at[key] ??= {};
        at = at[key];
    }
    const last = keys[keys.length - 1];
    if (value === undefined) delete at[last];
    else at[last] = value;
    return target;
}

/** The path of the first container, for set(). */
export const CONTAINER = "spec.template.spec.containers.0";
