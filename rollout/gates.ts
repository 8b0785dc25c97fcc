// Health gates run after each stage's `pulumi up`: the rollout moves on only when every gate that is
// on has passed. A gate is polled until it passes or its timeout runs out, and it always returns a
// reason when it fails. A gate that is turned off says so (in the progress and the JSON summary);
// nothing is ever skipped silently.
//
//  - kubernetes: the StatefulSet is at the stage's partition and the controller has rolled it: every
//    pod at an ordinal >= partition runs the update revision and is Ready, every other pod is Ready.
//    The verdict is stage.ts's evaluateStage, read through kube.ts's readStage.
//  - kafka: no under-replicated and no unavailable (offline) partitions, asked of the brokers with
//    kafka-topics.sh inside kafka-0. Fake (kwok) nodes run no containers: turn it off there with
//    `--kafka-gate off`.
//
// Both wait through wait.ts's waitFor. Pod, path and port of the kafka gate are the spec's own
// (components/kafka-spec.ts), never retyped.
import { execFile } from "child_process";
import { KAFKA_HOME, KAFKA_NAMES, KAFKA_PORTS } from "../components/kafka-spec";
import { labelQuery } from "../components/labels";
import { StageReader, readStage } from "./kube";
import { StageStatus } from "./stage";
import { sleep, waitFor } from "./wait";

export { sleep };

/** What a stage must reach. */
export interface GateTarget {
    partition: number;
    replicas: number;
}

/** One look at the cluster. */
export interface GateCheck {
    passed: boolean;
    /** Why it has not passed (yet). */
    reason?: string;
    /** One line for the progress display. */
    progress?: string;
    /** The kubernetes gate's reading of the StatefulSet. */
    status?: StageStatus;
}

export interface Gate {
    /** `kubernetes`, `kafka`. */
    readonly name: string;
    /** Set when the gate is turned off, saying by what (`--kafka-gate off`). */
    readonly off?: string;
    /** What the gate checks, for the summary and the docs. */
    readonly description: string;
    check(target: GateTarget, signal?: AbortSignal): Promise<GateCheck>;
    /** Wake-ups between checks (a watch of what the gate reads); polling goes on regardless. */
    wake?: (notify: () => void) => () => void;
}

export type GateResult = "passed" | "failed" | "off" | "interrupted";

export interface GateOutcome {
    gate: string;
    result: GateResult;
    reason?: string;
    elapsedSeconds: number;
    attempts: number;
    /** The last StageStatus seen by the kubernetes gate. */
    status?: StageStatus;
}

export interface PollOptions {
    timeoutSeconds: number;
    /** Between checks. Defaults to 2000 ms. */
    pollMs?: number;
    /** Called when the progress line changes. */
    onProgress?: (check: GateCheck, elapsedSeconds: number) => void;
    /** Aborting stops the wait at once (a gate only reads, so stopping it is always safe). */
    signal?: AbortSignal;
    /** Injected by tests. */
    now?: () => number;
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Poll a gate until it passes, the timeout runs out (failed, with the last reason) or the signal aborts. */
export async function runGate(gate: Gate, target: GateTarget, o: PollOptions): Promise<GateOutcome> {
    if (gate.off) return { gate: gate.name, result: "off", reason: `turned off (${gate.off})`, elapsedSeconds: 0, attempts: 0 };
    let status: StageStatus | undefined;
    const r = await waitFor(
        async (signal): Promise<GateCheck> => {
            try {
                const check = await gate.check(target, signal);
                status = check.status;
                return check;
            } catch (err) {
                // A passing API or exec error is retried until the deadline; the last one is reported.
                return { passed: false, reason: err instanceof Error ? err.message : String(err), status };
            }
        },
        (check) => check.passed,
        {
            timeoutSeconds: o.timeoutSeconds,
            pollMs: o.pollMs ?? 2000,
            signal: o.signal,
            progressKey: (check) => check.progress ?? check.reason ?? "",
            onProgress: o.onProgress,
            wake: gate.wake,
            now: o.now,
            sleep: o.sleep,
        },
    );
    const last = r.value;
    const base = { gate: gate.name, elapsedSeconds: r.elapsedSeconds, attempts: r.attempts, status: last?.status };
    if (r.outcome === "done") return { ...base, result: "passed" };
    if (r.outcome === "aborted") {
        const reason = r.attempts === 0 ? "interrupted before its first check" : `interrupted while waiting: ${last?.reason ?? "no answer yet"}`;
        return { ...base, result: "interrupted", reason };
    }
    return { ...base, result: "failed", reason: `not healthy after ${o.timeoutSeconds}s (--timeout): ${last?.reason ?? "no reason given"}` };
}

/** A gate turned off; `by` names the flag that did it. */
export function offGate(name: string, description: string, by: string): Gate {
    return {
        name,
        description,
        off: by,
        check: async () => ({ passed: true }),
    };
}

// ---------------------------------------------------------------------------------------------
// kubernetes

/** The StatefulSet name and its pods' label query: the seed's `kafka` and `app=kafka`. */
export const KAFKA_STATEFULSET = KAFKA_NAMES.statefulSet;

export interface KubernetesGateArgs {
    /** The cluster (KubeAccess), or a fake in tests. */
    reader: StageReader;
    namespace: string;
    name?: string;
    labelQuery?: string;
}

export const KUBERNETES_GATE_DESCRIPTION =
    "StatefulSet kafka is at the stage's partition, the controller has observed it, every pod at an ordinal >= partition runs " +
    "the update revision and is Ready, and every other pod is Ready";

export function kubernetesGate(a: KubernetesGateArgs): Gate {
    const name = a.name ?? KAFKA_STATEFULSET;
    const query = a.labelQuery ?? labelQuery("kafka");
    return {
        name: "kubernetes",
        description: KUBERNETES_GATE_DESCRIPTION,
        wake: a.reader.watchStage ? (notify) => a.reader.watchStage!(a.namespace, name, query, notify) : undefined,
        async check(target) {
            const status = await readStage(a.reader, a.namespace, name, query);
            if (!status) return { passed: false, reason: `StatefulSet ${a.namespace}/${name} not found` };
            if (status.partition !== target.partition) {
                return {
                    passed: false,
                    status,
                    progress: status.summary,
                    reason:
                        `StatefulSet ${a.namespace}/${name} has partition ${status.partition}, the stage wants ${target.partition}: ` +
                        `the stage's update has not reached the cluster`,
                };
            }
            return {
                passed: status.done,
                status,
                progress: status.summary,
                reason: status.done ? undefined : `${status.summary}; waiting on ${status.waitingOn.join("; ")}`,
            };
        },
    };
}

// ---------------------------------------------------------------------------------------------
// kafka

/** Runs a command (kubectl) and returns its output; injected in tests. Never rejects on exit codes. */
export type ExecFn = (command: string, args: string[], timeoutMs: number, signal?: AbortSignal) => Promise<{ code: number; stdout: string; stderr: string }>;

/**
 * child_process.execFile as an ExecFn. The gate execs through kubectl, not client-node's Exec:
 * kubectl's output and error texts are what the real-pod tier proved on real brokers.
 */
export const execCommand: ExecFn = (command, args, timeoutMs, signal) =>
    new Promise((resolve) => {
        execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 << 20, signal }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
            // Killed at the deadline, execFile's message is only "Command failed: <command line>".
            const killed = err && (err as { killed?: boolean }).killed && !signal?.aborted;
            const why = killed ? `no answer within ${timeoutMs / 1000} s (${command} killed)` : err && code === 1 && !stderr ? err.message : "";
            resolve({ code, stdout: String(stdout), stderr: killed ? why : String(stderr) || why });
        });
    });

/** A partition as `kafka-topics.sh --describe` prints it. */
export interface DescribedPartition {
    topic: string;
    partition: number;
    leader: string;
    replicas: string;
    isr: string;
}

/**
 * The partitions listed by `kafka-topics.sh --describe` (with --under-replicated-partitions or
 * --unavailable-partitions only the unhealthy ones are printed, so an empty list is healthy).
 * Log lines (log4j/SLF4J warnings on the same streams) are ignored.
 */
export function parseDescribe(output: string): DescribedPartition[] {
    const out: DescribedPartition[] = [];
    for (const line of output.split(/\r?\n/)) {
        if (!/\bPartition:\s*\d+/.test(line)) continue;
        const field = (name: string) => new RegExp(`\\b${name}:\\s*([^\\t]*?)\\s*(?:\\t|$)`).exec(line)?.[1]?.trim() ?? "";
        out.push({
            topic: field("Topic"),
            partition: Number(field("Partition")),
            leader: field("Leader"),
            replicas: field("Replicas"),
            isr: field("Isr"),
        });
    }
    return out;
}

const showPartition = (p: DescribedPartition) => `${p.topic}-${p.partition} (leader ${p.leader || "none"}, replicas ${p.replicas}, isr ${p.isr || "none"})`;

export interface KafkaGateArgs {
    namespace: string;
    /** kubectl flags that pick the cluster: --kubeconfig, --context. */
    kubectlArgs?: string[];
    /** The broker to ask; kafka-0 as in the seed (KAFKA_GATE_POD). */
    pod?: string;
    exec?: ExecFn;
    /** Per kafka-topics.sh run. Defaults to 60 s (a JVM starts in the pod). */
    execTimeoutMs?: number;
    kubectl?: string;
}

export const KAFKA_GATE_DESCRIPTION =
    "kafka-topics.sh --describe inside kafka-0 lists no under-replicated partitions (--under-replicated-partitions) and no " +
    "unavailable ones (--unavailable-partitions)";

/**
 * Printed after kafka-topics.sh succeeds. A healthy answer is empty, and an exec that "succeeds"
 * without running anything (seen against fake kwok nodes) is empty too: only the marker tells
 * them apart.
 */
export const KAFKA_GATE_MARKER = "kafka-gate: kafka-topics.sh answered";

/** The broker the kafka gate asks: ordinal 0, which every stage of a rollout rolls last. */
export const KAFKA_GATE_POD = `${KAFKA_NAMES.statefulSet}-0`;

/** The kubectl arguments for one kafka-topics.sh question. */
export function kafkaTopicsArgs(a: KafkaGateArgs, question: "--under-replicated-partitions" | "--unavailable-partitions"): string[] {
    // The pod's own KAFKA_HEAP_OPTS (512 MiB) would start a second broker-sized JVM next to the broker.
    const script =
        `KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_HOME}/bin/kafka-topics.sh --bootstrap-server localhost:${KAFKA_PORTS.server} --describe ${question}` +
        ` && echo '${KAFKA_GATE_MARKER}'`;
    return [...(a.kubectlArgs ?? []), "--namespace", a.namespace, "exec", a.pod ?? KAFKA_GATE_POD, "--", "sh", "-c", script];
}

export function kafkaGate(a: KafkaGateArgs): Gate {
    const exec = a.exec ?? execCommand;
    const kubectl = a.kubectl ?? "kubectl";
    const timeout = a.execTimeoutMs ?? 60_000;
    const ask = async (question: "--under-replicated-partitions" | "--unavailable-partitions", signal?: AbortSignal) => {
        const r = await exec(kubectl, kafkaTopicsArgs(a, question), timeout, signal);
        const pod = a.pod ?? KAFKA_GATE_POD;
        if (r.code !== 0) {
            // kafka-topics.sh says what went wrong on stdout ("Error while executing topic command : ...")
            // and logs the exception on stderr; kubectl's own errors start "Error from server" or "error:".
            const lines = `${r.stdout}\n${r.stderr}`.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
            const errors = lines.filter((l) => /^(Error\b|error:)/.test(l));
            const tail = (errors.length ? errors : (r.stderr || r.stdout).trim().split(/\r?\n/)).slice(-3).join(" | ");
            return { error: `kafka-topics.sh ${question} in ${pod} failed (exit ${r.code}): ${tail || "no output"}` };
        }
        if (!r.stdout.includes(KAFKA_GATE_MARKER)) {
            return { error: `kafka-topics.sh ${question} in ${pod} gave no answer (the exec ran nothing; on fake nodes use --kafka-gate off)` };
        }
        return { partitions: parseDescribe(r.stdout) };
    };
    return {
        name: "kafka",
        description: KAFKA_GATE_DESCRIPTION,
        async check(_target, signal) {
            const under = await ask("--under-replicated-partitions", signal);
            const offline = await ask("--unavailable-partitions", signal);
            const problems: string[] = [];
            if (under.error) problems.push(under.error);
            if (offline.error) problems.push(offline.error);
            if (under.partitions?.length) problems.push(`under-replicated: ${under.partitions.map(showPartition).join(", ")}`);
            if (offline.partitions?.length) problems.push(`unavailable: ${offline.partitions.map(showPartition).join(", ")}`);
            if (problems.length === 0) return { passed: true, progress: "no under-replicated or unavailable partitions" };
            const counts = `${under.partitions?.length ?? "?"} under-replicated, ${offline.partitions?.length ?? "?"} unavailable`;
            return { passed: false, reason: problems.join("; "), progress: counts };
        },
    };
}
