import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ExecFn, Gate, KAFKA_GATE_MARKER, execCommand, kafkaGate, kafkaTopicsArgs, kubernetesGate, offGate, parseDescribe, runGate } from "../../../rollout/gates";
import { FakeCluster, instantSleep, tickingClock } from "./fakes";

// What kafka-topics.sh 3.9.1 prints (test/fixtures/kafka-topics-3.9.1/README.md), and the log noise
// a JVM can write on the same streams.
const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "kafka-topics-3.9.1");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");
const LOG_LINE =
    "[2026-01-01 00:00:00,000] WARN [AdminClient clientId=adminclient-1] Connection to node 2 (kafka-2.kafka-hs.default.svc.cluster.local/10.0.0.12:9093) could not be established. Node may not be available. (org.apache.kafka.clients.NetworkClient)\n";
const UNDER_REPLICATED = LOG_LINE + fixture("under-replicated.stdout");
const UNAVAILABLE = fixture("unavailable.stdout");

/** kubectl exec as the brokers would answer: the question's output, then the marker when it succeeded. */
function fakeExec(answers: Record<string, { code?: number; stdout?: string; stderr?: string; silent?: boolean }>, calls: string[][] = []): ExecFn {
    return async (command, args) => {
        calls.push([command, ...args]);
        const question = /--(under-replicated|unavailable)-partitions/.exec(args[args.length - 1])![0];
        const a = answers[question] ?? {};
        const code = a.code ?? 0;
        const marker = code === 0 && !a.silent ? `${KAFKA_GATE_MARKER}\n` : "";
        return { code, stdout: (a.stdout ?? "") + marker, stderr: a.stderr ?? "" };
    };
}

/** The kafka gate's check with these answers, which must not pass. */
async function failingKafkaCheck(answers: Parameters<typeof fakeExec>[0], pod?: string) {
    const check = await kafkaGate({ namespace: "default", exec: fakeExec(answers), pod }).check({ partition: 0, replicas: 3 });
    assert.ok(!check.passed);
    return check;
}

describe("rollout gates", () => {
    describe("the kubernetes gate", () => {
        it("passes when the pods at ordinals >= partition run the update revision and every pod is Ready", async () => {
            const cluster = new FakeCluster(3, 2);
            const check = await kubernetesGate({ reader: cluster.reader, namespace: "default" }).check({ partition: 2, replicas: 3 });
            assert.ok(check.passed, check.reason);
            assert.strictEqual(check.status?.summary, "kafka partition 2: 1/1 updated and Ready, 3/3 Ready");
            assert.deepStrictEqual(cluster.reads, ["statefulset default/kafka", "pods default app=kafka"]);
        });

        it("waits while an updated pod is not Ready, naming it and why", async () => {
            const cluster = new FakeCluster(3, 2);
            cluster.broken.add(1);
            cluster.apply(1);
            const check = await kubernetesGate({ reader: cluster.reader, namespace: "default" }).check({ partition: 1, replicas: 3 });
            assert.ok(!check.passed);
            assert.match(check.reason!, /^kafka partition 1: 1\/2 updated and Ready, 2\/3 Ready; waiting on kafka-1: container kafka waiting: CrashLoopBackOff/);
        });

        it("does not pass while the StatefulSet is still at another partition", async () => {
            const cluster = new FakeCluster(3, 3);
            const check = await kubernetesGate({ reader: cluster.reader, namespace: "default" }).check({ partition: 2, replicas: 3 });
            assert.ok(!check.passed);
            assert.match(check.reason!, /has partition 3, the stage wants 2: the stage's update has not reached the cluster/);
        });

        it("says so when the StatefulSet does not exist in the namespace", async () => {
            const cluster = new FakeCluster(3, 3, "kafka");
            const check = await kubernetesGate({ reader: cluster.reader, namespace: "default" }).check({ partition: 3, replicas: 3 });
            assert.deepStrictEqual(check, { passed: false, reason: "StatefulSet default/kafka not found" });
        });
    });

    describe("the kafka gate", () => {
        it("reads every partition kafka-topics.sh lists and ignores the log lines around them", () => {
            assert.deepStrictEqual(parseDescribe(UNDER_REPLICATED), [
                { topic: "__consumer_offsets", partition: 1, leader: "0", replicas: "2,0,1", isr: "0,1" },
                { topic: "test", partition: 0, leader: "1", replicas: "1,2,0", isr: "1,0" },
            ]);
            assert.deepStrictEqual(parseDescribe(UNAVAILABLE), [{ topic: "orders", partition: 3, leader: "none", replicas: "2", isr: "2" }]);
            assert.deepStrictEqual(parseDescribe(""), []);
        });

        it("reads the partition lines of a plain --describe, not its topic line", () => {
            assert.deepStrictEqual(parseDescribe(fixture("describe.stdout")), [{ topic: "test", partition: 0, leader: "1", replicas: "1,2,0", isr: "1,2,0" }]);
        });

        it("asks kafka-0 through kubectl exec, with the cluster's kubeconfig and namespace", () => {
            const args = kafkaTopicsArgs({ namespace: "kafka", kubectlArgs: ["--kubeconfig", "/k"] }, "--under-replicated-partitions");
            assert.deepStrictEqual(args.slice(0, 6), ["--kubeconfig", "/k", "--namespace", "kafka", "exec", "kafka-0"]);
            assert.deepStrictEqual(args.slice(6), [
                "--",
                "sh",
                "-c",
                "KAFKA_HEAP_OPTS=-Xmx128M /opt/kafka/bin/kafka-topics.sh --bootstrap-server localhost:9093 --describe --under-replicated-partitions" +
                    " && echo 'kafka-gate: kafka-topics.sh answered'",
            ]);
        });

        it("passes when neither question lists a partition", async () => {
            const calls: string[][] = [];
            const check = await kafkaGate({ namespace: "default", exec: fakeExec({}, calls) }).check({ partition: 0, replicas: 3 });
            assert.ok(check.passed);
            assert.deepStrictEqual(
                calls.map((c) => /--\S+-partitions/.exec(c[c.length - 1])![0]),
                ["--under-replicated-partitions", "--unavailable-partitions"],
            );
            assert.ok(calls.every((c) => c[0] === "kubectl" && c.includes("exec") && c.includes("kafka-0")));
        });

        it("fails listing the under-replicated and unavailable partitions", async () => {
            const check = await failingKafkaCheck({ "--under-replicated-partitions": { stdout: UNDER_REPLICATED }, "--unavailable-partitions": { stdout: UNAVAILABLE } });
            assert.strictEqual(
                check.reason,
                "under-replicated: __consumer_offsets-1 (leader 0, replicas 2,0,1, isr 0,1), test-0 (leader 1, replicas 1,2,0, isr 1,0); " +
                    "unavailable: orders-3 (leader none, replicas 2, isr 2)",
            );
            assert.strictEqual(check.progress, "2 under-replicated, 1 unavailable");
        });

        // When kafka-topics.sh cannot answer, the reason is the error line: kafka-topics.sh's own on
        // stdout (not the exception it logs on stderr after it) or kubectl's.
        for (const [title, answer, reason] of [
            ["no broker answers", { code: 1, stdout: fixture("timeout.stdout"), stderr: fixture("timeout.stderr") }, "Error while executing topic command : Timed out waiting for a node assignment. Call: listTopics"],
            ["the exec cannot reach the container", { code: 1, stderr: 'error: unable to upgrade connection: container not found ("kafka")' }, 'error: unable to upgrade connection: container not found ("kafka")'],
        ] as const) {
            it(`does not pass when ${title}, naming the error line`, async () => {
                const check = await failingKafkaCheck({ "--under-replicated-partitions": answer });
                assert.strictEqual(check.reason, `kafka-topics.sh --under-replicated-partitions in kafka-0 failed (exit 1): ${reason}`);
            });
        }

        it("says so when the broker pod does not exist, in kubectl's words", async () => {
            const missing = { code: 1, stderr: fixture("missing-pod.stderr") };
            const check = await failingKafkaCheck({ "--under-replicated-partitions": missing, "--unavailable-partitions": missing }, "kafka-9");
            assert.strictEqual(
                check.reason,
                'kafka-topics.sh --under-replicated-partitions in kafka-9 failed (exit 1): Error from server (NotFound): pods "kafka-9" not found; ' +
                    'kafka-topics.sh --unavailable-partitions in kafka-9 failed (exit 1): Error from server (NotFound): pods "kafka-9" not found',
            );
            assert.strictEqual(check.progress, "? under-replicated, ? unavailable");
        });

        it("does not take an exec that printed nothing at all for a healthy answer", async () => {
            const check = await failingKafkaCheck({ "--under-replicated-partitions": { silent: true }, "--unavailable-partitions": { silent: true } });
            assert.match(check.reason!, /kafka-topics\.sh --under-replicated-partitions in kafka-0 gave no answer \(the exec ran nothing; on fake nodes use --kafka-gate off\)/);
        });

    });

    describe("polling", () => {
        const sequence = (...answers: boolean[]): Gate & { calls: number } => {
            const g = {
                name: "seq",
                description: "test",
                calls: 0,
                async check() {
                    const passed = answers[Math.min(g.calls++, answers.length - 1)];
                    return { passed, reason: passed ? undefined : `not yet (${g.calls})` };
                },
            };
            return g;
        };

        it("polls until the gate passes", async () => {
            const gate = sequence(false, false, true);
            const sleeps: number[] = [];
            const outcome = await runGate(gate, { partition: 0, replicas: 3 }, { timeoutSeconds: 60, pollMs: 500, sleep: instantSleep(sleeps), now: tickingClock() });
            assert.strictEqual(outcome.result, "passed");
            assert.strictEqual(outcome.attempts, 3);
            assert.deepStrictEqual(sleeps, [500, 500]);
        });

        it("fails after its timeout with the last reason", async () => {
            const outcome = await runGate(sequence(false), { partition: 0, replicas: 3 }, { timeoutSeconds: 3, sleep: instantSleep(), now: tickingClock() });
            assert.strictEqual(outcome.result, "failed");
            assert.match(outcome.reason!, /^not healthy after 3s \(--timeout\): not yet \(\d\)$/);
        });

        it("keeps polling through a passing API error and reports the last one", async () => {
            const gate: Gate = { name: "flaky", description: "", check: async () => { throw new Error("GET /apis/apps/v1: HTTP 503"); } };
            const outcome = await runGate(gate, { partition: 0, replicas: 3 }, { timeoutSeconds: 2, sleep: instantSleep(), now: tickingClock() });
            assert.strictEqual(outcome.result, "failed");
            assert.match(outcome.reason!, /HTTP 503/);
        });

        it("stops waiting at once when interrupted", async () => {
            const ac = new AbortController();
            const gate: Gate = { name: "slow", description: "", check: async () => { ac.abort(); return { passed: false, reason: "3/3 not Ready" }; } };
            const outcome = await runGate(gate, { partition: 0, replicas: 3 }, { timeoutSeconds: 600, signal: ac.signal, sleep: instantSleep(), now: tickingClock() });
            assert.strictEqual(outcome.result, "interrupted");
            assert.match(outcome.reason!, /3\/3 not Ready/);
        });

        it("reports a gate that is turned off as off, saying by what, without checking", async () => {
            const outcome = await runGate(offGate("kafka", "partitions", "--kafka-gate off"), { partition: 0, replicas: 3 }, { timeoutSeconds: 1 });
            assert.deepStrictEqual(outcome, { gate: "kafka", result: "off", reason: "turned off (--kafka-gate off)", elapsedSeconds: 0, attempts: 0 });
        });
    });

    describe("execCommand (the real child process behind the kafka gate)", () => {
        it("says a command killed at its deadline gave no answer in time, rather than only 'Command failed'", async () => {
            assert.deepStrictEqual(await execCommand("sleep", ["5"], 200), { code: 1, stdout: "", stderr: "no answer within 0.2 s (sleep killed)" });
        });

        it("passes a command's own exit code and stderr through", async () => {
            assert.deepStrictEqual(await execCommand("sh", ["-c", "echo out; echo err >&2; exit 3"], 5000), { code: 3, stdout: "out\n", stderr: "err\n" });
        });
    });
});
