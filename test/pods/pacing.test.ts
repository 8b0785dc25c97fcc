// Kafka-safe pacing (kafka.readiness), proven on real brokers: a catch-up slower than the probe,
// every broker rolled in one stage (partition 0) under continuous acks=all load, for `pulumi up`,
// the seed's `kubectl patch` and `kubectl drain` of the nodes one after another; `serving` (the
// seed's probe) side by side with `in-sync`, and once each with the seed's durability restored.
//
// The slow catch-up is Kafka's own follower replication throttle on the run's topic
// (follower.replication.throttled.rate per broker, follower.replication.throttled.replicas=* on
// the topic). Kafka holds back only replicas out of the ISR (ReplicaFetcherThread's
// shouldFollowerThrottle) but counts every fetched byte of a throttled partition against the rate
// (ReplicaFetcherThread.scala:142-145), so a restarted broker, which follows every partition of
// the topic, catches up at (throttle - incoming) bytes per second. Three things keep that figure
// honest, each measured against a first CI run where the throttle barely slowed anything:
//   - only the follower side is throttled: the leader side counts in-sync followers' bytes too
//     (KafkaApis.scala:983-987), so a leader that leads every partition after two restarts would
//     starve the catch-up completely;
//   - replication.quota.window.num=2: the rate is measured over (num - 1) whole windows at least
//     (Rate.java:88-95), and with the default 11 a freshly started broker fetched 10 s of throttle
//     at full speed, which covered most of its backlog;
//   - replica.fetch.max.bytes=16 kB per partition, so one fetch response cannot carry more than the
//     throttle allows in a window (the default 1 MB does, three partitions at a time).
// A perf producer writes the bytes; Kafka's VerifiableProducer writes the numbered acks=all
// messages that are read back. The ISR is sampled every second from the client pod with the
// in-sync probe itself, against each broker's DNS name.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import { inSyncProbeScript, servingProbeScript } from "../../components/kafka-readiness";
import { IsrSampler } from "../helpers/kafka-load";
import { KAFKA_HOME, KAFKA_PORTS } from "../../components/kafka-spec";
import {
    CLIENT, KAFKA_BIN, LoadRun, Platform, SEED_DURABILITY, nodesToOurselves,
    clearBrokerConfig, kubectl, kubectlJson, kubectlWaiting, platform, results, setBrokerConfig, setPath, show, timedUp, underLoad,
} from "./platform";

/** Bytes per second the perf producer writes to `slow` (records of 1,000 bytes). */
const INCOMING = 100_000;
/**
 * Follower throttle for replicas out of the ISR. A restarted broker fetched at about 0.8 of it
 * (measured: the fetcher backs off while over quota), so it catches up at ~0.6 x INCOMING: about
 * twice as long as it was down. 1.5 x INCOMING left ~0.2 x INCOMING, minutes per broker.
 */
const THROTTLE = 2 * INCOMING;
/** Broker settings of every run (besides the durability under test): the throttle's precision, above. */
const THROTTLE_PRECISION = { "replication.quota.window.num": "2", "replica.fetch.max.bytes": "16384" };

type Method = "up" | "patch" | "drain";

/**
 * The runs `.ci/run` makes: one per claim, so the tier fits CI's budget with a cold machine's
 * builds (each run is 4-15 min of throttled catch-up here, by design). The seed-durability pair
 * shows that the seed's probe lets brokers overlap (asserted), what the seed's settings lose when
 * they do, and that in-sync pacing keeps them from overlapping; drain is the path that goes
 * through evictions and kafka-pdb. Serving with our durability (overlaps, nothing lost) was the
 * fourth until the 2026-12-02 run, where it took 15 of the tier's 66 min: it is in
 * `KAFKA_PLATFORM_PACING=all` (`npm run test:pacing`), which runs every readiness × method ×
 * durability combination, as the README's table was measured.
 */
const CI_RUNS = new Set(["serving-up-seed-durability", "in-sync-up-seed-durability", "in-sync-drain"]);
const ALL_RUNS = process.env.KAFKA_PLATFORM_PACING === "all";
/** `it` for a run in the chosen set; the others are not registered (and not counted as skipped). */
const run = (name: string, title: string, fn: () => Promise<void>) => (ALL_RUNS || CI_RUNS.has(name) ? it(title, fn) : undefined);
type Readiness = "serving" | "in-sync";

interface PacingFigures {
    acked: number; lost: number; duplicates: number; failedSends: number; notEnoughReplicas: number; longestStallSeconds: number;
    /** Brokers taken down while the broker replaced before them was out of an ISR (sampled so on both sides of that moment). */
    replacedWhilePreviousBehind: number;
    /** Brokers taken down while the previous one rejoined its ISRs, within one sample period (see IsrSampler.around). */
    previousRejoinedWithinOneSample: number;
    samplePeriodSeconds: number;
    /** Per broker: from going down to back in every ISR, seconds. */
    downToInSyncSeconds: Record<string, number>;
    operationSeconds: number;
    order: string[];
}

describe(`pacing (${ALL_RUNS ? "all eight runs" : "CI's three runs of eight; KAFKA_PLATFORM_PACING=all for every one"}): in-sync readiness against the seed's probe, with a catch-up slower than the probe (real brokers)`, function () {
    this.timeout(3_600_000);
    let p: Platform;
    let sampler: IsrSampler;
    let cpu = 400;

    const configs = (args: string) => p.exec(CLIENT, `KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-configs.sh --bootstrap-server ${p.bootstrap} --alter ${args}`);

    before(async () => {
        p = await platform();
        await configs(`--entity-type brokers --entity-default --add-config follower.replication.throttled.rate=${THROTTLE}`);
        sampler = new IsrSampler(p.k, CLIENT);
    });

    /** A topic of its own per run (its numbers start at 0), every replica throttled while out of the ISR. */
    async function slowTopic(name: string): Promise<string> {
        const topic = `slow-${name}`;
        await p.topics(`--create --if-not-exists --topic ${topic} --partitions 3 --replication-factor 3`);
        await configs(`--entity-type topics --entity-name ${topic} --add-config 'follower.replication.throttled.replicas=*'`);
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
        await clearBrokerConfig(p.h);
        await setBrokerConfig(p.h, { ...THROTTLE_PRECISION, ...(seedDurability ? SEED_DURABILITY : {}) });
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

    /** The perf producer's bytes on the run's topic while the run lasts; its stderr is kept for `stillWriting`. */
    function bytes(topic: string): { proc: ChildProcess; stderr: () => string } {
        const proc = spawn("kubectl", ["--kubeconfig", p.cluster.kubeconfig, "exec", CLIENT, "--", "sh", "-c",
            `exec env KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-producer-perf-test.sh --topic ${topic} --num-records 1000000000 --record-size 1000 ` +
            `--throughput ${INCOMING / 1000} --producer-props bootstrap.servers=${p.bootstrap} acks=1 > /dev/null`], { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        proc.stderr!.on("data", (d: Buffer) => (err = (err + d).slice(-2000)));
        return { proc, stderr: () => err };
    }

    async function stopBytes(perf: ReturnType<typeof bytes>) {
        // "[P]" so the pattern does not match this shell's own command line (pkill would kill it).
        await p.exec(CLIENT, "pkill -f '[P]roducerPerformance'; true");
        perf.proc.kill();
    }

    /**
     * Fails the run unless the perf producer is still writing: without its bytes there is nothing
     * to catch up on, and every figure of the run would describe an idle topic (the first CI run
     * of this tier measured exactly that, the script being absent from the image).
     */
    async function stillWriting(perf: ReturnType<typeof bytes>, when: string) {
        const running = await p.exec(CLIENT, "pgrep -f '[P]roducerPerformance' >/dev/null && echo yes || echo no");
        if (perf.proc.exitCode !== null || running.trim() !== "yes") {
            throw new Error(`the perf producer is not writing ${when} (exit ${perf.proc.exitCode}): ${perf.stderr().trim() || "no output"}`);
        }
    }

    /** A run's figures, or its error printed at once: mocha reports failures only when the tier ends, an hour later. */
    async function measure(name: string, readiness: Readiness, method: Method, seedDurability: boolean): Promise<PacingFigures> {
        const t = Date.now();
        try {
            return await measureRun(name, readiness, method, seedDurability);
        } catch (e) {
            console.log(`      ${name}: failed after ${Math.round((Date.now() - t) / 1000)}s: ${e instanceof Error ? e.message : e}`);
            throw e;
        }
    }

    async function measureRun(name: string, readiness: Readiness, method: Method, seedDurability: boolean): Promise<PacingFigures> {
        // A drain evicts every pod of the node, the other files' too: it waits for them to end.
        // The other runs share the nodes' CPU with them, which only slows catch-up further.
        if (method === "drain") await nodesToOurselves();
        await deploy(readiness, seedDurability);
        const topic = await slowTopic(name);
        const perf = bytes(topic);
        let run: LoadRun;
        const started = Date.now();
        let operationSeconds = 0;
        try {
            await new Promise((r) => setTimeout(r, 10_000));
            await stillWriting(perf, "before the operation");
            run = await underLoad(p, topic, async () => {
                const t = Date.now();
                await operate(method);
                operationSeconds = (Date.now() - t) / 1000;
                // Until the last one is back in every ISR, so its catch-up is in the figures.
                await sampler.allInSync();
                await stillWriting(perf, "at the end of the operation");
                // Before the numbered messages are read back: the reader stops after 20 s without a record.
                await stopBytes(perf);
            });
        } finally {
            await stopBytes(perf);
        }
        // Order of going down: the watch's terminations (a drain's evictions included).
        const down = [...run.terminatedAt.entries()].filter(([, at]) => at >= started).sort((a, b) => a[1] - b[1]);
        const downToInSync = sampler.downToInSync(down);
        let violations = 0;
        let undecided = 0;
        down.forEach(([, at], i) => {
            if (i === 0) return;
            const { before, after } = sampler.around(Number(down[i - 1][0].split("-").pop()), at);
            if (before === "in-sync") return;
            if (after === "in-sync") undecided++;
            else violations++;
        });
        const f = run.figures;
        const out: PacingFigures = {
            acked: f.acked, lost: f.lost, duplicates: f.duplicates, failedSends: f.failedSends, notEnoughReplicas: f.notEnoughReplicas,
            longestStallSeconds: Math.round(f.longestStallMs / 100) / 10,
            replacedWhilePreviousBehind: violations, previousRejoinedWithinOneSample: undecided, samplePeriodSeconds: sampler.periodSeconds(),
            downToInSyncSeconds: downToInSync, operationSeconds: Math.round(operationSeconds),
            order: down.map(([pod]) => pod),
        };
        ((results.pacing ??= {}) as Record<string, PacingFigures>)[name] = out;
        console.log(`      ${name}: ${show(f)}; taken down while the previous was out of an ISR: ${violations} (${undecided} within one sample of its rejoining); down → in sync ${JSON.stringify(downToInSync)}; ${out.operationSeconds}s`);
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

    // The case this tier is for: a catch-up slower than the seed's probe, so that with it the next
    // broker goes while the previous one is behind. Without it the in-sync runs below would pass
    // whatever the probe did; every serving run asserts it, CI's one included.
    const assertOverlapped = (r: PacingFigures) =>
        assert.ok(r.replacedWhilePreviousBehind >= 1, `catch-up was not slower than the probe: ${JSON.stringify(r)}`);

    // Serving first: the seed's probe, with our durability and then the seed's.
    for (const method of ["up", "patch", "drain"] as Method[]) {
        run(`serving-${method}`, `serving readiness, ${method}: the next broker goes while the previous one catches up`, async () => {
            const r = await measure(`serving-${method}`, "serving", method, false);
            assertOverlapped(r);
            // Our durability settings never lose an acknowledged message, whatever the pacing.
            assert.strictEqual(r.lost, 0);
        });
    }
    run("serving-up-seed-durability", "serving readiness with the seed's durability, up: the next broker goes while the previous one catches up (acknowledged messages may be lost: measured)", async () => {
        assertOverlapped(await measure("serving-up-seed-durability", "serving", "up", true));
    });
    run("in-sync-up-seed-durability", "in-sync readiness with the seed's durability, up: no broker goes while another is behind, nothing lost", async () => {
        const r = await measure("in-sync-up-seed-durability", "in-sync", "up", true);
        assert.strictEqual(r.replacedWhilePreviousBehind, 0);
        assert.strictEqual(r.lost, 0);
    });
    for (const method of ["up", "patch", "drain"] as Method[]) {
        run(`in-sync-${method}`, `in-sync readiness, ${method}: no broker goes while the previous one is out of an ISR; nothing lost`, async () => {
            const r = await measure(`in-sync-${method}`, "in-sync", method, false);
            assert.strictEqual(r.replacedWhilePreviousBehind, 0, JSON.stringify(r));
            assert.strictEqual(r.lost, 0);
            assert.strictEqual(r.failedSends, 0);
        });
    }
});
