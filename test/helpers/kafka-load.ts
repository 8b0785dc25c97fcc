// Data safety, measured: Kafka's own VerifiableProducer (kafka-tools) writes numbered messages with
// acks=all and idempotence through a whole operation, from a client pod in the cluster; afterwards
// every acknowledged message is read back with the console consumer. The figures: acked, lost
// (acknowledged but not read back), duplicates, failed sends, NOT_ENOUGH_REPLICAS responses the
// producer retried, and the longest stall (the longest time without an acknowledgement).
import { ChildProcess, spawn } from "child_process";

export interface Kube {
    kubeconfig: string;
    namespace: string;
    kubectl(...args: string[]): Promise<string>;
}

export const KAFKA_BIN = "/opt/kafka/bin";

export interface LoadFigures {
    acked: number;
    lost: number;
    duplicates: number;
    failedSends: number;
    notEnoughReplicas: number;
    /** Longest gap between two acknowledgements while producing, in ms. */
    longestStallMs: number;
    /** Messages read back in all. */
    consumed: number;
    durationMs: number;
}

interface SendEvent {
    name: string;
    timestamp: number;
    value?: string;
}

/**
 * A client pod running our Kafka image (the brokers' image), kept alive with `sleep` so tools run
 * in it with `kubectl exec`.
 */
export async function startClientPod(k: Kube, name: string, image: string): Promise<void> {
    await k.kubectl(
        "run", name, "--image", image, "--image-pull-policy", "IfNotPresent", "--restart", "Never",
        "--overrides", JSON.stringify({ spec: { securityContext: { runAsUser: 1000, runAsNonRoot: true }, terminationGracePeriodSeconds: 1 } }),
        "--", "sleep", "86400",
    );
    await k.kubectl("wait", "--for=condition=Ready", `pod/${name}`, "--timeout=120s");
}

/** A VerifiableProducer writing 0, 1, 2, ... to `topic` until stopped. */
export class Producer {
    private proc?: ChildProcess;
    private out = "";
    private err = "";
    private started = 0;
    private exited?: Promise<void>;

    constructor(
        private readonly k: Kube,
        private readonly pod: string,
        private readonly a: { topic: string; bootstrap: string; throughput: number },
    ) {}

    async start(): Promise<void> {
        // Idempotence is the 3.x producer default with acks=all; explicit, with the producer's own
        // default retries (VerifiableProducer sets retries=0, which idempotence refuses) and a
        // 2-minute delivery timeout, so a send fails only after that long without a leader.
        const props = ["enable.idempotence=true", "acks=all", "retries=2147483647", "delivery.timeout.ms=120000", "max.in.flight.requests.per.connection=5"].join("\\n");
        const script =
            `printf '${props}\\n' > /tmp/producer.properties && exec env KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-verifiable-producer.sh ` +
            `--bootstrap-server ${this.a.bootstrap} --topic ${this.a.topic} --acks -1 --throughput ${this.a.throughput} --producer.config /tmp/producer.properties`;
        this.proc = spawn("kubectl", ["--kubeconfig", this.k.kubeconfig, "-n", this.k.namespace, "exec", this.pod, "--", "sh", "-c", script], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.proc.stdout!.on("data", (c: Buffer) => (this.out += c.toString("utf8")));
        this.proc.stderr!.on("data", (c: Buffer) => (this.err += c.toString("utf8")));
        this.exited = new Promise((resolve) => this.proc!.on("exit", () => resolve()));
        this.started = Date.now();
        // Running once the first message is acknowledged.
        const deadline = Date.now() + 120_000;
        while (!this.events().some((e) => e.name === "producer_send_success")) {
            if (Date.now() > deadline) throw new Error(`the producer acknowledged nothing in 120 s:\n${this.err.slice(-2000)}`);
            if (this.proc.exitCode !== null) throw new Error(`the producer exited (${this.proc.exitCode}):\n${this.err.slice(-2000)}`);
            await new Promise((r) => setTimeout(r, 500));
        }
    }

    events(): SendEvent[] {
        return this.out
            .split("\n")
            .filter((l) => l.startsWith("{"))
            .map((l) => {
                try {
                    return JSON.parse(l) as SendEvent;
                } catch {
                    return { name: "unparsable", timestamp: 0 };
                }
            });
    }

    acked(): number {
        return this.events().filter((e) => e.name === "producer_send_success").length;
    }

    /** Stop it the way an operator would (SIGTERM): its shutdown hook flushes and reports. */
    async stop(): Promise<{ events: SendEvent[]; stderr: string; durationMs: number }> {
        await this.k.kubectl("exec", this.pod, "--", "sh", "-c", "kill -TERM $(pgrep -f VerifiableProducer) 2>/dev/null; true").catch(() => undefined);
        await Promise.race([this.exited, new Promise((r) => setTimeout(r, 60_000))]);
        if (this.proc && this.proc.exitCode === null) this.proc.kill("SIGKILL");
        return { events: this.events(), stderr: this.err, durationMs: Date.now() - this.started };
    }
}

/**
 * Every numbered value in `topic`, from the beginning, as the console consumer prints it. Other
 * records on the topic (a perf producer's payload) are left out in the pod, not shipped here.
 */
export async function readAll(k: Kube, pod: string, topic: string, bootstrap: string, group?: string): Promise<string[]> {
    const consumer =
        `KAFKA_HEAP_OPTS=-Xmx256M ${KAFKA_BIN}/kafka-console-consumer.sh --bootstrap-server ${bootstrap} --topic ${topic} ` +
        `--from-beginning --timeout-ms 20000${group ? ` --group ${group}` : ""}`;
    // The consumer exits 0 after its idle timeout; grep's "no match" is not an error here.
    const out = await k.kubectl("exec", pod, "--", "bash", "-c", `set -o pipefail; ${consumer} | { grep -E '^[0-9]+$' || true; }`);
    return out.split("\n").filter((l) => l !== "");
}

/** The figures of one run: what the producer was told was written, against what is in the topic. */
export function figures(run: { events: SendEvent[]; stderr: string; durationMs: number }, consumed: string[]): LoadFigures {
    const acks = run.events.filter((e) => e.name === "producer_send_success");
    const seen = new Map<string, number>();
    for (const v of consumed) seen.set(v, (seen.get(v) ?? 0) + 1);
    const lost = acks.filter((e) => !seen.has(String(e.value))).length;
    const duplicates = [...seen.values()].reduce((n, c) => n + (c - 1), 0);
    let longest = 0;
    const times = acks.map((e) => e.timestamp).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
    return {
        acked: acks.length,
        lost,
        duplicates,
        failedSends: run.events.filter((e) => e.name === "producer_send_error").length,
        notEnoughReplicas: (run.stderr.match(/NOT_ENOUGH_REPLICAS/g) ?? []).length,
        longestStallMs: longest,
        consumed: consumed.length,
        durationMs: run.durationMs,
    };
}
