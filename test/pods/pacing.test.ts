// Kafka-safe pacing (kafka.readiness), proven on real brokers: a catch-up slower than the probe,
// every broker rolled in one stage (partition 0) under continuous acks=all load, for `pulumi up`,
// the seed's `kubectl patch` and `kubectl drain` of the nodes one after another; `serving` (the
// seed's probe) side by side with `in-sync`, and once each with the seed's durability restored.
//
// The slow catch-up is Kafka's own replication throttle on topic `slow` (leader and follower
// throttled.rate per broker, throttled.replicas=* on the topic): Kafka throttles only replicas
// that are out of the ISR (ReplicaFetcherThread's shouldFollowerThrottle), so brokers in sync keep
// up at full speed and a restarted one catches up at (throttle - incoming) bytes per second.
// A perf producer writes the bytes; Kafka's VerifiableProducer writes the numbered acks=all
// messages that are read back. The ISR is sampled every second from the client pod with the
// in-sync probe itself, against each broker's DNS name.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import { inSyncProbeScript, servingProbeScript } from "../../components/kafka-readiness";
import { IsrSampler } from "../helpers/kafka-load";
import { KAFKA_HOME, KAFKA_PORTS } from "../../components/kafka-spec";
import {
    CLIENT, KAFKA_BIN, LoadRun, Platform, SEED_DURABILITY,
    clearBrokerConfig, kubectl, kubectlJson, kubectlWaiting, platform, results, setBrokerConfig, setPath, show, timedUp, underLoad,
} from "./platform";

/** Bytes per second the perf producer writes to `slow` (records of 1,000 bytes). */
const INCOMING = 100_000;
/** Replication throttle for replicas out of the ISR: catch-up runs at THROTTLE - INCOMING. */
const THROTTLE = 2 * INCOMING;

type Method = "up" | "patch" | "drain";
type Readiness = "serving" | "in-sync";

interface PacingFigures {
    acked: number; lost: number; duplicates: number; failedSends: number; notEnoughReplicas: number; longestStallSeconds: number;
    /** Brokers taken down while the broker replaced before them was out of an ISR. */
    replacedWhilePreviousBehind: number;
    /** Per broker: from going down to back in every ISR, seconds. */
    downToInSyncSeconds: Record<string, number>;
    operationSeconds: number;
    order: string[];
}

describe("pacing: in-sync readiness against the seed's probe, with a catch-up slower than the probe (real brokers)", function () {
    this.timeout(3_600_000);
    let p: Platform;
    let sampler: IsrSampler;
    let cpu = 400;

    const configs = (args: string) => p.exec(CLIENT, `KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-configs.sh --bootstrap-server ${p.bootstrap} --alter ${args}`);

    before(async () => {
        p = await platform();
        await configs(`--entity-type brokers --entity-default --add-config leader.replication.throttled.rate=${THROTTLE},follower.replication.throttled.rate=${THROTTLE}`);
        sampler = new IsrSampler(p.k, CLIENT);
    });

    /** A topic of its own per run (its numbers start at 0), every replica throttled while out of the ISR. */
    async function slowTopic(name: string): Promise<string> {
        const topic = `slow-${name}`;
        await p.topics(`--create --if-not-exists --topic ${topic} --partitions 3 --replication-factor 3`);
        await configs(`--entity-type topics --entity-name ${topic} --add-config 'leader.replication.throttled.replicas=*,follower.replication.throttled.replicas=*'`);
        return topic;
    }
    after(async () => {
        await sampler?.stop();
        await clearBrokerConfig(p.h);
    });

    /** Brokers as deployed by the stack: the readiness and durability of this run, rolled without load. */
    async function deploy(readiness: Readiness, seedDurability: boolean) {
        await setPath(p.h.stack, "kafka.partition", "0");
        await setPath(p.h.stack, "kafka.readiness", readiness);
        if (seedDurability) await setBrokerConfig(p.h, SEED_DURABILITY);
        else await clearBrokerConfig(p.h);
        await timedUp(p.h);
        const probe = (await kubectlJson(p.cluster, "get", "sts", "kafka")).spec.template.spec.containers[0].readinessProbe.exec.command;
        assert.strictEqual(probe[0] === "bash", readiness === "in-sync", `the deployed probe is ${probe.join(" ").slice(0, 80)}`);
        await sampler.allInSync();
    }

    /** The nodes to drain: those of kafka-2 and kafka-1 unless the client pod is there (it is not managed: drain would need --force). */
    async function drainTargets(): Promise<string[]> {
        const client = (await kubectlJson(p.cluster, "get", "pod", CLIENT)).spec.nodeName;
        const nodeOf = async (b: number) => (await kubectlJson(p.cluster, "get", "pod", `kafka-${b}`)).spec.nodeName as string;
        const nodes = [await nodeOf(2), await nodeOf(1), await nodeOf(0)].filter((n) => n !== client);
        return nodes.slice(0, 2);
    }

    async function operate(method: Method) {
        cpu += 10;
        if (method === "up") {
            await setPath(p.h.stack, "kafka.cpu", `${cpu}m`);
            await timedUp(p.h);
        } else if (method === "patch") {
            // The seed's way; the stack config then says the same, so the next `up` changes nothing.
            await kubectl(p.cluster, "patch", "sts", "kafka", "--type=json", `-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/cpu", "value": "${cpu}m"}]`);
            await kubectlWaiting(p.cluster, 1_260_000, "rollout", "status", "sts/kafka", "--timeout=1200s");
            await setPath(p.h.stack, "kafka.cpu", `${cpu}m`);
        } else {
            // Node maintenance one node after another, as an operator does it: drain (which
            // respects kafka-pdb), 15 s of maintenance, uncordon, the next node.
            for (const node of await drainTargets()) {
                await kubectlWaiting(p.cluster, 1_260_000, "drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=1200s");
                await new Promise((r) => setTimeout(r, 15_000));
                await kubectl(p.cluster, "uncordon", node);
            }
            await kubectlWaiting(p.cluster, 1_260_000, "wait", "--for=condition=Ready", "pod/kafka-0", "pod/kafka-1", "pod/kafka-2", "--timeout=1200s");
        }
    }

    /** The perf producer's bytes on the run's topic while the run lasts. */
    function bytes(topic: string): ChildProcess {
        return spawn("kubectl", ["--kubeconfig", p.cluster.kubeconfig, "exec", CLIENT, "--", "sh", "-c",
            `exec env KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-producer-perf-test.sh --topic ${topic} --num-records 1000000000 --record-size 1000 ` +
            `--throughput ${INCOMING / 1000} --producer-props bootstrap.servers=${p.bootstrap} acks=1 > /dev/null`], { stdio: "ignore" });
    }

    async function measure(name: string, readiness: Readiness, method: Method, seedDurability: boolean): Promise<PacingFigures> {
        await deploy(readiness, seedDurability);
        const topic = await slowTopic(name);
        const perf = bytes(topic);
        let run: LoadRun;
        const started = Date.now();
        let operationSeconds = 0;
        try {
            await new Promise((r) => setTimeout(r, 10_000));
            run = await underLoad(p, topic, async () => {
                const t = Date.now();
                await operate(method);
                operationSeconds = (Date.now() - t) / 1000;
                // Until the last one is back in every ISR, so its catch-up is in the figures.
                await sampler.allInSync();
            });
        } finally {
            // "[P]" so the pattern does not match this shell's own command line (pkill would kill it).
            await p.exec(CLIENT, "pkill -f '[P]roducerPerformance'; true");
            perf.kill();
        }
        // Order of going down: the watch's terminations (a drain's evictions included).
        const down = [...run.terminatedAt.entries()].filter(([, at]) => at >= started).sort((a, b) => a[1] - b[1]);
        const downToInSync = sampler.downToInSync(down);
        let violations = 0;
        down.forEach(([, at], i) => {
            if (i === 0) return;
            const prev = Number(down[i - 1][0].split("-").pop());
            if (sampler.stateAt(prev, at) !== "in-sync") violations++;
        });
        const f = run.figures;
        const out: PacingFigures = {
            acked: f.acked, lost: f.lost, duplicates: f.duplicates, failedSends: f.failedSends, notEnoughReplicas: f.notEnoughReplicas,
            longestStallSeconds: Math.round(f.longestStallMs / 100) / 10,
            replacedWhilePreviousBehind: violations, downToInSyncSeconds: downToInSync, operationSeconds: Math.round(operationSeconds),
            order: down.map(([pod]) => pod),
        };
        ((results.pacing ??= {}) as Record<string, PacingFigures>)[name] = out;
        console.log(`      ${name}: ${show(f)}; taken down while the previous was out of an ISR: ${violations}; down → in sync ${JSON.stringify(downToInSync)}; ${out.operationSeconds}s`);
        assert.strictEqual(down.length, method === "drain" ? 2 : 3, `brokers taken down: ${down.map(([n]) => n).join(", ")}`);
        return out;
    }

    it("the probes' cost in a broker pod: wall and CPU seconds per run (measured, 10 runs each)", async () => {
        const cost = async (shell: string, script: string) => {
            await p.exec("kafka-0", `cat > /tmp/probe-cost.sh <<'PROBE'\n${script}\nPROBE`);
            // bash's time keyword reports real, user and system seconds of the run and its children.
            const out = await kubectl(p.cluster, "exec", "kafka-0", "--", "bash", "-c", `TIMEFORMAT='%R %U %S'; for i in 1 2 3 4 5 6 7 8 9 10; do time ${shell} /tmp/probe-cost.sh > /dev/null; done 2>&1 | tail -10`);
            const rows = out.trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number));
            assert.strictEqual(rows.length, 10, out);
            const mean = (i: number) => Math.round((rows.reduce((a, r) => a + r[i], 0) / rows.length) * 1000);
            return { wallMs: mean(0), cpuMs: mean(1) + mean(2) };
        };
        // Through bash so the time keyword exists; each probe runs in the shell the kubelet gives it.
        const inSync = await cost("bash", inSyncProbeScript(KAFKA_PORTS.server));
        const serving = await cost("sh", servingProbeScript(KAFKA_HOME, KAFKA_PORTS.server));
        results.probeCost = { inSync, serving, cpuRatio: Math.round((serving.cpuMs / Math.max(1, inSync.cpuMs)) * 10) / 10 };
        console.log(`      in-sync: ${inSync.wallMs} ms wall, ${inSync.cpuMs} ms CPU; serving: ${serving.wallMs} ms wall, ${serving.cpuMs} ms CPU per probe`);
        assert.ok(inSync.wallMs > 0 && serving.wallMs > 0);
    });

    // Serving first: the seed's probe, with our durability and then the seed's.
    for (const method of ["up", "patch", "drain"] as Method[]) {
        it(`serving readiness, ${method}: measured (the next broker goes while the previous one catches up)`, async () => {
            const r = await measure(`serving-${method}`, "serving", method, false);
            // Our durability settings never lose an acknowledged message, whatever the pacing.
            assert.strictEqual(r.lost, 0);
        });
    }
    it("serving readiness with the seed's durability, up: measured (acknowledged messages may be lost)", async () => {
        await measure("serving-up-seed-durability", "serving", "up", true);
    });
    it("in-sync readiness with the seed's durability, up: no broker goes while another is behind, nothing lost", async () => {
        const r = await measure("in-sync-up-seed-durability", "in-sync", "up", true);
        assert.strictEqual(r.replacedWhilePreviousBehind, 0);
        assert.strictEqual(r.lost, 0);
    });
    for (const method of ["up", "patch", "drain"] as Method[]) {
        it(`in-sync readiness, ${method}: no broker goes while the previous one is out of an ISR; nothing lost`, async () => {
            const r = await measure(`in-sync-${method}`, "in-sync", method, false);
            assert.strictEqual(r.replacedWhilePreviousBehind, 0, JSON.stringify(r));
            assert.strictEqual(r.lost, 0);
            assert.strictEqual(r.failedSends, 0);
        });
    }
});
