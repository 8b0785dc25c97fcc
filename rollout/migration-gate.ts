// The migration gates: after a kafka.migration phase's `up`, wait until the controllers report the
// migration state that phase leads to, read over JMX inside each controller pod (no CLI or Admin
// API gives it); and the quorum gate: the controller quorum has a leader and every voter, asked
// with kafka-metadata-quorum.sh inside kafka-controller-0. `npm run migrate` (stacks/migrate/)
// runs them through runGate like the kubernetes and kafka gates. Tested against a fake exec only:
// neither tool has run against real controller pods here.
import { CONTROLLER_JMX_PORT, CONTROLLER_NAMES, CONTROLLER_PORTS } from "../components/kafka-controller-spec";
import { KRAFT_CONTROLLER_ID_BASE } from "../components/kraft";
import { ZK_NAMES, ZK_PORTS } from "../components/zookeeper-spec";
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
        ...controllerToolPrefix(a, pod, "-Xmx64M"),
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
 * `kubectl exec <controller pod> -- env ...` for any Kafka tool run in a controller pod: while
 * migrating the pod sets JMX_PORT, which every bin/*.sh tool would try to bind again, so it is
 * unset; the heap is the tool's own, not the controller's.
 */
function controllerToolPrefix(a: Pick<MigrationGateArgs, "namespace" | "kubectlArgs">, pod: string, heap: string): string[] {
    return [...(a.kubectlArgs ?? []), "--namespace", a.namespace, "exec", pod, "--", "env", "-u", "JMX_PORT", "-u", "KAFKA_JMX_OPTS", `KAFKA_HEAP_OPTS=${heap}`];
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

/** The migration gate in general, for a gate turned off (its phase's values are in PHASE_WANTS). */
export const MIGRATION_GATE_DESCRIPTION =
    "JmxTool inside every kafka-controller pod reads the phase's ZkMigrationState (and after brokers-kraft MigratingZkBrokerCount) and each controller reports the phase's value";

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

// ---------------------------------------------------------------------------------------------
// quorum

/** The controller the quorum gate runs its tool in and bootstraps from: ordinal 0 by its stable name. */
export const QUORUM_GATE_POD = `${CONTROLLER_NAMES.statefulSet}-0`;

export interface QuorumGateArgs {
    namespace: string;
    /** The voters expected: kafka-controller-0..controllers-1, node ids 3000.. */
    controllers: number;
    kubectlArgs?: string[];
    exec?: ExecFn;
    /** Per kafka-metadata-quorum.sh run. Defaults to 60 s. */
    execTimeoutMs?: number;
    kubectl?: string;
}

/**
 * kubectl arguments for `kafka-metadata-quorum.sh describe --status` in kafka-controller-0,
 * bootstrapping from the controller's own listener by its headless-Service name (controllers
 * serve no client listener; --bootstrap-controller is there since 3.7, KIP-919).
 */
export function quorumStatusArgs(a: Pick<QuorumGateArgs, "namespace" | "kubectlArgs">): string[] {
    const bootstrap = `${QUORUM_GATE_POD}.${CONTROLLER_NAMES.headlessService}.${a.namespace}.svc.cluster.local:${CONTROLLER_PORTS.controller}`;
    return [...controllerToolPrefix(a, QUORUM_GATE_POD, "-Xmx128M"), `${KAFKA_HOME}/bin/kafka-metadata-quorum.sh`, "--bootstrap-controller", bootstrap, "describe", "--status"];
}

export interface QuorumStatus {
    leaderId?: number;
    voters: number[];
    maxFollowerLag?: number;
}

/**
 * `describe --status` as it prints it: `LeaderId: <id>` and `CurrentVoters:` either as ids
 * (`[3000,3001,3002]`, before 3.9) or as objects (`[{"id": 3000, "directoryId": ...}, ...]`, 3.9).
 */
export function parseQuorumStatus(stdout: string): QuorumStatus {
    const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(.*)$`, "m").exec(stdout)?.[1]?.trim();
    const number = (text: string | undefined) => (text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined);
    const votersText = field("CurrentVoters") ?? "";
    const ids = /"id"/.test(votersText) ? [...votersText.matchAll(/"id"\s*:\s*(\d+)/g)].map((m) => Number(m[1])) : (votersText.match(/\d+/g) ?? []).map(Number);
    return { leaderId: number(field("LeaderId")), voters: ids, maxFollowerLag: number(field("MaxFollowerLag")) };
}

export const QUORUM_GATE_DESCRIPTION =
    "kafka-metadata-quorum.sh describe --status inside kafka-controller-0 reports a leader (LeaderId >= 0) and every controller among CurrentVoters";

/** The quorum gate: a leader, and every expected voter (node ids 3000..) in the quorum. */
export function quorumGate(a: QuorumGateArgs): Gate {
    const exec = a.exec ?? execCommand;
    const kubectl = a.kubectl ?? "kubectl";
    const timeout = a.execTimeoutMs ?? 60_000;
    const expected = Array.from({ length: a.controllers }, (_, i) => KRAFT_CONTROLLER_ID_BASE + i);
    return {
        name: "quorum",
        description: QUORUM_GATE_DESCRIPTION,
        async check(_target, signal) {
            const r = await exec(kubectl, quorumStatusArgs(a), timeout, signal);
            if (r.code !== 0) {
                const tail = (r.stderr || r.stdout).trim().split(/\r?\n/).slice(-2).join(" | ");
                return { passed: false, reason: `kafka-metadata-quorum.sh in ${QUORUM_GATE_POD} failed (exit ${r.code}): ${tail || "no output"}`, progress: "quorum not answering" };
            }
            const status = parseQuorumStatus(r.stdout);
            const missing = expected.filter((id) => !status.voters.includes(id));
            const problems: string[] = [];
            if (status.leaderId === undefined) problems.push("no LeaderId in the answer");
            else if (status.leaderId < 0) problems.push(`no leader (LeaderId ${status.leaderId})`);
            if (missing.length) problems.push(`voters ${missing.join(", ")} missing from CurrentVoters [${status.voters.join(", ")}]`);
            if (problems.length) return { passed: false, reason: problems.join("; "), progress: problems[0] };
            const lag = status.maxFollowerLag !== undefined ? `, max follower lag ${status.maxFollowerLag}` : "";
            return { passed: true, progress: `leader ${status.leaderId}, ${status.voters.length} voters${lag}` };
        },
    };
}

// ---------------------------------------------------------------------------------------------
// ZooKeeper's migration znodes (the way back from brokers-migrating)

/** The pod zkCli.sh runs in: the seed's zk-0, against its own client port. */
export const ZNODE_POD = `${ZK_NAMES.statefulSet}-0`;

/**
 * The znodes the docs' revert deletes once the controllers are gone (ops.html:4180-4210):
 * /controller so a ZooKeeper-mode broker can take over as controller, /migration so a later
 * attempt starts afresh.
 */
export const MIGRATION_ZNODES = ["/controller", "/migration"] as const;

/** kubectl arguments for one `zkCli.sh <command> <path>` in zk-0. */
export function zkCliArgs(a: { namespace: string; kubectlArgs?: string[] }, command: "get" | "delete", znode: string): string[] {
    return [...(a.kubectlArgs ?? []), "--namespace", a.namespace, "exec", ZNODE_POD, "--", "zkCli.sh", "-server", `localhost:${ZK_PORTS.client}`, command, znode];
}

/** zkCli.sh's answer for a missing node ("Node does not exist: /migration", or NoNode from the exception). */
export const isNoNode = (output: string) => /Node does not exist|NoNode/.test(output);
