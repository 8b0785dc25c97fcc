// Data safety, measured: Kafka's own VerifiableProducer (kafka-tools) writes numbered messages with
// acks=all and idempotence through a whole operation, from a client pod in the cluster; afterwards
// every acknowledged message is read back with the console consumer. The figures: acked, lost
// (acknowledged but not read back), duplicates, failed sends, NOT_ENOUGH_REPLICAS responses the
// producer retried, and the longest stall (the longest time without an acknowledgement).
import { ChildProcess, spawn } from "child_process";
import { inSyncProbeScript } from "../../components/kafka-readiness";
import { KAFKA_PORTS } from "../../components/kafka-spec";

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
        await this.k.kubectl("exec", this.pod, "--", "sh", "-c", "kill -TERM $(pgrep -f '[V]erifiableProducer') 2>/dev/null; true").catch(() => undefined);
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

/**
 * A consumer group's committed offsets as sorted "topic partition offset" rows, read with
 * kafka-consumer-groups.sh --describe, for a group that has committed some. That tool reports every
 * failure on stdout as "Error: ..." and exits 0 (ConsumerGroupCommand.java, 3.9: run() catches
 * Throwable, printError prints); right after brokers restart under load its describe can time out
 * (5 s by default) while the group's coordinator moves and loads __consumer_offsets. So: a 30 s
 * timeout, and an error or a row-less answer asked again for up to three minutes. Then an error is
 * thrown with the tool's words ("does not exist" is what lost offsets look like) and no rows are
 * returned as they are, for the caller's assertion to show.
 */
export async function committedOffsets(k: Kube, pod: string, bootstrap: string, group: string): Promise<string[]> {
    const describe = `KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-consumer-groups.sh --bootstrap-server ${bootstrap} --describe --group ${group} --timeout 30000`;
    const deadline = Date.now() + 180_000;
    for (;;) {
        const out = await k.kubectl("exec", pod, "--", "sh", "-c", `${describe} 2>&1`);
        const error = out.split("\n").find((l) => l.startsWith("Error:"));
        const rows = out.split("\n").filter((l) => l.startsWith(`${group} `)).map((l) => l.trim().split(/\s+/).slice(1, 4).join(" ")).sort();
        if (!error && rows.length > 0) return rows;
        if (Date.now() > deadline) {
            if (error) throw new Error(`kafka-consumer-groups.sh --describe --group ${group} kept failing for 3 min: ${error}`);
            return rows;
        }
        const answer = error ?? (out.trim().split("\n").pop() || "no output");
        console.log(`      kafka-consumer-groups.sh --describe --group ${group}: ${answer.slice(0, 200)} (no offsets yet; asking again in 5 s)`);
        await new Promise((r) => setTimeout(r, 5000));
    }
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

export interface Sample { at: number; broker: number; state: "in-sync" | "behind" | "down" }

/**
 * About twice a second, the in-sync probe (components/kafka-readiness.ts) against each broker's DNS
 * name from a client pod: the ISR membership of every broker over time, at a few ms per sample.
 */
export class IsrSampler {
    readonly samples: Sample[] = [];
    private proc: ChildProcess;
    private buffer = "";

    constructor(private readonly k: Kube, private readonly pod: string) {
        const probe = (n: number) => inSyncProbeScript(KAFKA_PORTS.server, String(n), `kafka-${n}.kafka-hs.${k.namespace}.svc.cluster.local`);
        const loop =
            `rm -f /tmp/stop-isr; while [ ! -e /tmp/stop-isr ]; do for n in 0 1 2; do ` +
            `t=$(date +%s%3N); out=$(timeout 4 bash /tmp/probe-$n.sh 2>&1); rc=$?; echo "$t $n $rc $out"; done; sleep 0.5; done`;
        const setup = [0, 1, 2].map((n) => `cat > /tmp/probe-${n}.sh <<'PROBE'\n${probe(n)}\nPROBE`).join("\n");
        this.proc = spawn("kubectl", ["--kubeconfig", k.kubeconfig, "-n", k.namespace, "exec", pod, "--", "bash", "-c", `${setup}\n${loop}`], { stdio: ["ignore", "pipe", "inherit"] });
        this.proc.stdout!.on("data", (d: Buffer) => {
            this.buffer += d;
            const lines = this.buffer.split("\n");
            this.buffer = lines.pop()!;
            for (const l of lines) {
                const m = /^(\d+) (\d) (\d+) (.*)$/.exec(l);
                if (!m) continue;
                const state = m[3] === "0" ? "in-sync" : /not in the ISR/.test(m[4]) ? "behind" : "down";
                this.samples.push({ at: Number(m[1]), broker: Number(m[2]), state });
            }
        });
    }

    /**
     * The state of `broker` in the last sample at or before `at` and in the first one after it. A
     * state between two samples is known only when both agree: a broker seen behind just before
     * `at` and in sync just after may have rejoined its ISRs at any moment in between.
     */
    around(broker: number, at: number): { before?: Sample["state"]; after?: Sample["state"] } {
        const mine = this.samples.filter((s) => s.broker === broker);
        return { before: mine.filter((s) => s.at <= at).pop()?.state, after: mine.find((s) => s.at > at)?.state };
    }

    /** The median time between two samples of one broker, seconds: the resolution of `around`. */
    periodSeconds(): number {
        const gaps = [0, 1, 2].flatMap((b) => {
            const at = this.samples.filter((s) => s.broker === b).map((s) => s.at);
            return at.slice(1).map((t, i) => t - at[i]);
        }).sort((a, b) => a - b);
        return gaps.length ? Math.round(gaps[Math.floor(gaps.length / 2)] / 100) / 10 : NaN;
    }

    /** Until every broker is in sync (the starting point of a run). */
    async allInSync(timeoutMs = 600_000) {
        const until = Date.now() + timeoutMs;
        for (;;) {
            const last = [0, 1, 2].map((b) => this.samples.filter((s) => s.broker === b).pop()?.state);
            if (last.every((s) => s === "in-sync")) return;
            if (Date.now() > until) throw new Error(`brokers not in sync: ${last.join(", ")}`);
            await new Promise((r) => setTimeout(r, 1000));
        }
    }

    async stop() {
        await this.k.kubectl("exec", this.pod, "--", "touch", "/tmp/stop-isr");
        await new Promise((r) => (this.proc.exitCode !== null ? r(undefined) : this.proc.on("exit", r)));
    }

    /**
     * Per broker taken down at `at` (name → time): seconds until it was back in every ISR (the
     * first in-sync sample after one that was not).
     */
    downToInSync(down: Array<[string, number]>): Record<string, number> {
        const out: Record<string, number> = {};
        for (const [pod, at] of down) {
            const broker = Number(pod.split("-").pop());
            const mine = this.samples.filter((x) => x.broker === broker && x.at > at);
            const firstOut = mine.findIndex((x) => x.state !== "in-sync");
            const back = firstOut < 0 ? undefined : mine.slice(firstOut).find((x) => x.state === "in-sync");
            if (back) out[pod] = Math.round((back.at - at) / 100) / 10;
        }
        return out;
    }
}
