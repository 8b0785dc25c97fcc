// The migration gate: after a kafka.migration phase's `up`, wait until the controllers report the
// migration state that phase leads to, read over JMX inside each controller pod (no CLI or Admin
// API gives it). A sketch for the `npm run migrate` driver, which is not built yet: the gate runs
// through runGate like the kubernetes and kafka gates, and is tested against a fake exec only —
// JmxTool against the controllers' localhost JMX has not run on real pods here.
import { CONTROLLER_JMX_PORT, CONTROLLER_NAMES } from "../components/kafka-controller-spec";
import { KAFKA_HOME } from "../components/kafka-spec";
import type { MigrationPhase } from "../components/migration";
import { ExecFn, Gate, execCommand } from "./gates";

/**
 * ZkMigrationState's values as the gauge reports them (Kafka 3.9
 * metadata/src/main/java/org/apache/kafka/metadata/migration/ZkMigrationState.java:38-72); 4 (ZK)
 * is what ZooKeeper-mode brokers report, which is why only controllers are asked.
 */
export const ZK_MIGRATION_STATE = { NONE: 0, MIGRATION: 1, PRE_MIGRATION: 2, POST_MIGRATION: 3, ZK: 4 } as const;

/** The controller gauges the gate reads (ControllerMetadataMetrics.java:46,58 in 3.9). */
export type MigrationMetric = "ZkMigrationState" | "MigratingZkBrokerCount";

export interface MigrationWant {
    metric: MigrationMetric;
    value: number;
    /** What the value means, for progress and failure messages. */
    means: string;
}

/**
 * What each phase waits for before the next may start (README: Migrating from ZooKeeper to KRaft).
 * none and controllers-removed have nothing to read: no controllers, or not yet.
 */
export const PHASE_WANTS: Readonly<Partial<Record<MigrationPhase, ReadonlyArray<MigrationWant>>>> = {
    controllers: [{ metric: "ZkMigrationState", value: ZK_MIGRATION_STATE.PRE_MIGRATION, means: "PRE_MIGRATION: the quorum waits for the brokers" }],
    "brokers-migrating": [{ metric: "ZkMigrationState", value: ZK_MIGRATION_STATE.MIGRATION, means: "MIGRATION: the metadata is copied, dual writes on" }],
    "brokers-kraft": [
        { metric: "ZkMigrationState", value: ZK_MIGRATION_STATE.MIGRATION, means: "MIGRATION" },
        { metric: "MigratingZkBrokerCount", value: 0, means: "no broker left in ZooKeeper mode" },
    ],
    finalized: [{ metric: "ZkMigrationState", value: ZK_MIGRATION_STATE.POST_MIGRATION, means: "POST_MIGRATION: finalized" }],
};

export const mbean = (metric: MigrationMetric) => `kafka.controller:type=KafkaController,name=${metric}`;

export interface MigrationGateArgs {
    namespace: string;
    phase: MigrationPhase;
    /** The controller pods asked: kafka-controller-0..replicas-1. */
    controllers: number;
    kubectlArgs?: string[];
    exec?: ExecFn;
    /** Per JmxTool run (a JVM starts in the pod). Defaults to 60 s. */
    execTimeoutMs?: number;
    kubectl?: string;
}

/**
 * kubectl arguments for one JmxTool reading in a controller pod. The pod's JMX_PORT and
 * KAFKA_JMX_OPTS are unset for the tool, or kafka-run-class.sh would make its JVM bind the
 * controller's own JMX port (bin/kafka-run-class.sh:209-220 in 3.9) and fail; the heap is small.
 * `--report-format properties` prints one `key=value` line per attribute (JmxTool.java:279-283).
 */
export function jmxToolArgs(a: Pick<MigrationGateArgs, "namespace" | "kubectlArgs">, pod: string, metric: MigrationMetric): string[] {
    return [
        ...(a.kubectlArgs ?? []),
        "--namespace",
        a.namespace,
        "exec",
        pod,
        "--",
        "env",
        "-u",
        "JMX_PORT",
        "-u",
        "KAFKA_JMX_OPTS",
        "KAFKA_HEAP_OPTS=-Xmx64M",
        `${KAFKA_HOME}/bin/kafka-run-class.sh`,
        "org.apache.kafka.tools.JmxTool",
        "--jmx-url",
        `service:jmx:rmi:///jndi/rmi://127.0.0.1:${CONTROLLER_JMX_PORT}/jmxrmi`,
        "--object-name",
        mbean(metric),
        "--attributes",
        "Value",
        "--one-time",
        "true",
        "--report-format",
        "properties",
    ];
}

/**
 * The Value JmxTool printed for a metric: its line is `<object name>:Value=<n>` (the key is the
 * object name and the attribute, JmxTool.java:258-266), beside `time=<ms>`. Undefined when absent.
 */
export function parseJmxValue(stdout: string, metric: MigrationMetric): number | undefined {
    for (const line of stdout.split(/\r?\n/)) {
        const m = /^(.*):Value=(-?\d+)\s*$/.exec(line.trim());
        if (m && m[1].includes(`name=${metric}`) && m[1].startsWith("kafka.controller:")) return Number(m[2]);
    }
    return undefined;
}

/** The gate for a phase: every controller reports every wanted value. Undefined for a phase without one. */
export function migrationGate(a: MigrationGateArgs): Gate | undefined {
    const wants = PHASE_WANTS[a.phase];
    if (!wants) return undefined;
    const exec = a.exec ?? execCommand;
    const kubectl = a.kubectl ?? "kubectl";
    const timeout = a.execTimeoutMs ?? 60_000;
    const pods = Array.from({ length: a.controllers }, (_, i) => `${CONTROLLER_NAMES.statefulSet}-${i}`);
    return {
        name: "migration",
        description: `every controller reports ${wants.map((w) => `${w.metric} = ${w.value} (${w.means})`).join(" and ")} over JMX`,
        async check(_target, signal) {
            const problems: string[] = [];
            for (const pod of pods) {
                for (const w of wants) {
                    const r = await exec(kubectl, jmxToolArgs(a, pod, w.metric), timeout, signal);
                    const value = r.code === 0 ? parseJmxValue(r.stdout, w.metric) : undefined;
                    if (r.code !== 0) {
                        const tail = (r.stderr || r.stdout).trim().split(/\r?\n/).slice(-2).join(" | ");
                        problems.push(`${pod}: JmxTool failed (exit ${r.code}): ${tail || "no output"}`);
                    } else if (value === undefined) {
                        problems.push(`${pod}: JmxTool printed no ${w.metric} value`);
                    } else if (value !== w.value) {
                        problems.push(`${pod}: ${w.metric} is ${value}, waiting for ${w.value} (${w.means})`);
                    }
                }
            }
            if (problems.length === 0) return { passed: true, progress: wants.map((w) => `${w.metric} ${w.value}`).join(", ") + ` on ${pods.length} controllers` };
            return { passed: false, reason: problems.join("; "), progress: problems[0] };
        },
    };
}
