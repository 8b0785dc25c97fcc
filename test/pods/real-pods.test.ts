// Real-pod tier: the platform on three real nodes of the local cluster (platform.ts), with the
// images assembled from Maven Central jars. Real JVMs run ZooKeeper and Kafka; every probe, start
// script, volume, Job and exec here is executed. Data safety is measured with Kafka's own
// VerifiableProducer (acks=all, idempotence) writing numbered messages through each operation, and
// every acknowledged message read back.
import * as assert from "assert";
import { execFile, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cli, lastLines } from "../helpers/cli";
import { PodWatcher } from "../helpers/cluster";
import { committedOffsets, LoadFigures, readAll } from "../helpers/kafka-load";
import { execCommand, kafkaGate } from "../../rollout/gates";
import {
    CLIENT, KAFKA_BIN, KAFKA_IMAGE, Platform, SEED_DURABILITY, THROUGHPUT,
    clearBrokerConfig, kubectl, kubectlJson, platform, pods, ready, results, setBrokerConfig, setPath, show, timedUp, underLoad,
} from "./platform";

describe("the platform on real pods (kubelet, containerd, runc; real JVMs)", function () {
    this.timeout(3_600_000);
    let p: Platform;
    let cluster: Platform["cluster"];
    let h: Platform["h"];
    let k: Platform["k"];
    let bootstrap = "";
    let exec: Platform["exec"];
    let topics: Platform["topics"];

    before(async () => {
        p = await platform();
        ({ cluster, h, k, bootstrap, exec, topics } = p);
    });

    it("a. fresh up: the ensemble Ready by its real probes before any broker starts; brokers Ready; the topics Job creates test with RF 3", async () => {
        const { outputs, seconds } = p.fresh;
        const zk = (await kubectlJson(cluster, "get", "pods", "-l", "app=zk")).items;
        const kafka = (await kubectlJson(cluster, "get", "pods", "-l", "app=kafka")).items;
        assert.deepStrictEqual(zk.map((p: any) => p.metadata.name).sort(), ["zk-0", "zk-1", "zk-2"]);
        assert.deepStrictEqual(kafka.map((p: any) => p.metadata.name).sort(), ["kafka-0", "kafka-1", "kafka-2"]);
        assert.ok([...zk, ...kafka].every(ready), "every pod Ready");
        // Each on its own node (required anti-affinity on three real nodes).
        assert.strictEqual(new Set(kafka.map((p: any) => p.spec.nodeName)).size, 3);
        // From the watch during the up: the first moment all three servers were Ready at once, and
        // the first broker pod's creation (a later readiness flap under load does not count).
        const events = p.fresh.pods.events;
        const zkReady = new Map<string, boolean>();
        let ensembleReady = Infinity;
        for (const e of events) {
            if (!e.name.startsWith("zk-")) continue;
            zkReady.set(e.name, e.ready && !e.terminating);
            if (zkReady.size === 3 && [...zkReady.values()].every(Boolean)) { ensembleReady = e.at; break; }
        }
        const firstBroker = Math.min(...events.filter((e) => e.name.startsWith("kafka-")).map((e) => e.at));
        assert.ok(ensembleReady <= firstBroker, `a broker was created ${(ensembleReady - firstBroker) / 1000}s before the ensemble was Ready`);
        // The readiness is real: the servers form one quorum, one leader and two followers.
        const modes = await Promise.all(["zk-0", "zk-1", "zk-2"].map((p) => exec(p, "printf srvr | nc -w 2 127.0.0.1 2181 | sed -n 's/^Mode: //p'")));
        assert.deepStrictEqual(modes.map((m) => m.trim()).sort(), ["follower", "follower", "leader"]);
        const job = await kubectlJson(cluster, "get", "job", outputs.topicsJob);
        assert.strictEqual(job.status.succeeded, 1);
        const described = await topics("--describe --topic test");
        assert.match(described, /Topic: test\s+TopicId: \S+\s+PartitionCount: 1\s+ReplicationFactor: 3/);
        assert.match(described, /Configs: .*min\.insync\.replicas=2/);
        results.freshUp = { seconds: Math.round(seconds), ensembleReadyBeforeFirstBrokerSeconds: Math.round((firstBroker - ensembleReady) / 1000) };
        console.log(`      fresh up ${seconds.toFixed(0)}s; the ensemble was Ready ${((firstBroker - ensembleReady) / 1000).toFixed(1)}s before the first broker was created`);
    });

    it("a'. the defects only real containers show are gone: logs, log files, data on the PVC, deprecated keys", async () => {
        const zkLog = await kubectl(cluster, "logs", "zk-0");
        assert.match(zkLog, / INFO /, "ZooKeeper logs at INFO through our logback.xml");
        assert.doesNotMatch(zkLog, / DEBUG /, "no DEBUG: the image's logback.xml is hidden by the ConfigMap, ours replaces it");
        // No log4j files or GC logs in the container layer; the log is on the PVC.
        assert.strictEqual((await exec("kafka-0", "ls -A /opt/kafka/logs 2>/dev/null | wc -l")).trim(), "0");
        const mounts = await exec("kafka-0", "grep ' /var/lib/kafka' /proc/self/mountinfo | awk '{print $5}'");
        assert.deepStrictEqual(mounts.trim().split("\n"), ["/var/lib/kafka/data"], "exactly one mount, the PVC, and no anonymous volume under it");
        const pvc = await kubectlJson(cluster, "get", "pvc", "datadir-kafka-0");
        const pv = await kubectlJson(cluster, "get", "pv", pvc.spec.volumeName);
        const onDisk = path.join(pv.spec.local.path, "data");
        assert.ok(fs.existsSync(path.join(onDisk, "meta.properties")), `${onDisk} holds the broker's log directory`);
        // The broker prints every config value at start (defaults included); what must be gone is a WARN about one.
        const warnings = (await kubectl(cluster, "logs", "kafka-0")).split("\n").filter((l) => / WARN /.test(l));
        assert.deepStrictEqual(warnings.filter((l) => /deprecat|offsets\.commit\.required\.acks|timestamp\.difference/i.test(l)), []);
    });

    it("b. the seed's console producer and consumer through `kubectl run` with our Kafka image", async () => {
        const lines = Array.from({ length: 5 }, (_, i) => `seed-line-${i}-${Date.now()}`);
        // As in the seed: `kubectl run -i ... kafka-console-producer.sh`, the lines typed on its stdin.
        await new Promise<void>((resolve, reject) => {
            const p = spawn("kubectl", ["--kubeconfig", cluster.kubeconfig, "run", "producer", "-i", "--rm", "--restart=Never", `--image=${KAFKA_IMAGE}`,
                "--image-pull-policy=IfNotPresent", "--", `${KAFKA_BIN}/kafka-console-producer.sh`, "--topic", "test", "--bootstrap-server", bootstrap]);
            let err = "";
            p.stderr.on("data", (d: Buffer) => (err += d));
            p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`console producer exited ${code}: ${err}`))));
            p.stdin.end(lines.join("\n") + "\n");
        });
        const out = await kubectl(
            cluster, "run", "consumer", "--rm", "-i", "--restart=Never", `--image=${KAFKA_IMAGE}`, "--image-pull-policy=IfNotPresent",
            "--", `${KAFKA_BIN}/kafka-console-consumer.sh`, "--topic", "test", "--bootstrap-server", "kafka-0.kafka-hs.default.svc.cluster.local:9093",
            "--from-beginning", "--timeout-ms", "15000",
        );
        for (const l of lines) assert.ok(out.includes(l), `the consumer did not read ${l}:\n${out.slice(-500)}`);
    });

    /** The CPU change of the seed under load, on `topic` (created like the seed's `test`: RF 3). */
    async function cpuChangeUnderLoad(topic: string, cpu: string) {
        await topics(`--create --if-not-exists --topic ${topic} --partitions 3 --replication-factor 3`);
        await setPath(h.stack, "kafka.partition", "0");
        await setPath(h.stack, "kafka.cpu", cpu);
        let upSeconds = 0;
        const r = await underLoad(p, topic, async () => {
            upSeconds = (await timedUp(h)).seconds;
        });
        const cpus = (await kubectlJson(cluster, "get", "pods", "-l", "app=kafka")).items.map((p: any) => p.spec.containers[0].resources.requests.cpu);
        assert.deepStrictEqual(cpus, [cpu, cpu, cpu]);
        return { ...r, upSeconds };
    }

    it("c. the seed's CPU change rolls kafka-2, kafka-1, kafka-0 under acks=all load; every acknowledged message is read back", async () => {
        const r = await cpuChangeUnderLoad("load-ours", "250m");
        assert.deepStrictEqual(r.order, ["kafka-2", "kafka-1", "kafka-0"]);
        assert.ok(r.peakNotReady <= 1, `peak not-Ready brokers ${r.peakNotReady}`);
        assert.ok(r.figures.acked > THROUGHPUT * 30, `only ${r.figures.acked} messages acknowledged`);
        assert.strictEqual(r.figures.lost, 0, show(r.figures));
        assert.strictEqual(r.figures.duplicates, 0, show(r.figures));
        assert.strictEqual(r.figures.failedSends, 0, show(r.figures));
        results.cpuChangeOurs = { ...r.figures, peakNotReady: r.peakNotReady, upSeconds: Math.round(r.upSeconds) };
        console.log(`      up ${r.upSeconds.toFixed(0)}s, peak not-Ready brokers ${r.peakNotReady}; ${show(r.figures)}`);
    });

    it("d. `npm run rollout` walks 3 → 2 → 1 → 0 with the Kafka gate on, through real kubectl exec", async () => {
        await setPath(h.stack, "kafka.partition", "3");
        await setPath(h.stack, "kafka.cpu", "300m");
        const staged = await cli(h, cluster, "up", "--env", "dev");
        assert.strictEqual(staged.code, 0, lastLines(staged.out));
        const summaryFile = path.join(h.project.dir, "rollout.json");
        const run = await cli(h, cluster, "rollout", "--env", "dev", "--plan", "linear", "--pause", "0", "--timeout", "300", "--summary-json", summaryFile);
        assert.strictEqual(run.code, 0, lastLines(run.out, 30));
        const summary = JSON.parse(fs.readFileSync(summaryFile, "utf8"));
        assert.deepStrictEqual(summary.gates.map((g: any) => [g.name, g.on]), [["kubernetes", true], ["kafka", true]]);
        const stages = summary.stages.filter((st: any) => st.kind === "stage");
        assert.deepStrictEqual(stages.map((st: any) => st.partition), [2, 1, 0]);
        for (const st of summary.stages) {
            const kafkaGate = st.gates.find((g: any) => g.gate === "kafka");
            assert.strictEqual(kafkaGate?.result, "passed", JSON.stringify(st.gates));
        }
        const sts = await kubectlJson(cluster, "get", "statefulset", "kafka");
        assert.strictEqual(sts.status.updatedReplicas, 3);
        results.rolloutDriver = { seconds: Math.round(run.seconds), stages: stages.length };
        console.log(`      rollout 3 → 2 → 1 → 0 with the Kafka gate: ${run.seconds.toFixed(0)}s, exit 0`);
    });

    /** The broker's log directory for a partition, on the host disk behind its PVC. */
    async function onDisk(ordinal: number, partitionDir: string): Promise<string> {
        const pvc = await kubectlJson(cluster, "get", "pvc", `datadir-kafka-${ordinal}`);
        const pv = await kubectlJson(cluster, "get", "pv", pvc.spec.volumeName);
        return path.join(pv.spec.local.path, "data", partitionDir);
    }

    async function waitRecreatedReady(pod: string, oldUid: string) {
        const deadline = Date.now() + 600_000;
        for (;;) {
            const p = await kubectlJson(cluster, "get", "pod", pod).catch(() => undefined);
            if (p && p.metadata.uid !== oldUid && ready(p)) return p;
            if (Date.now() > deadline) throw new Error(`${pod} did not come back Ready`);
            await new Promise((r) => setTimeout(r, 2000));
        }
    }

    it("e. a broker deleted mid-rollout returns at its revision with its log on its PVC; deleting all three keeps messages and committed offsets", async () => {
        // Its own messages, so it depends on no earlier scenario: 3,000 numbered, acks=all.
        await topics("--create --if-not-exists --topic keep --partitions 3 --replication-factor 3");
        await exec(CLIENT, `KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-verifiable-producer.sh --bootstrap-server ${bootstrap} --topic keep --acks -1 --max-messages 3000 > /dev/null`);
        const oldCpu = (await kubectlJson(cluster, "get", "pod", "kafka-1")).spec.containers[0].resources.requests.cpu;
        await setPath(h.stack, "kafka.partition", "3");
        await setPath(h.stack, "kafka.cpu", oldCpu === "350m" ? "360m" : "350m");
        await timedUp(h);
        await setPath(h.stack, "kafka.partition", "2");
        await timedUp(h);
        const sts = await kubectlJson(cluster, "get", "statefulset", "kafka");
        const segment = path.join(await onDisk(1, "keep-0"), "00000000000000000000.log");
        const before = fs.statSync(segment);
        const old = await kubectlJson(cluster, "get", "pod", "kafka-1");
        await kubectl(cluster, "delete", "pod", "kafka-1", "--wait=false");
        const back = await waitRecreatedReady("kafka-1", old.metadata.uid);
        assert.strictEqual(back.metadata.labels["controller-revision-hash"], sts.status.currentRevision, "kafka-1 is below the partition: the old revision");
        assert.strictEqual(back.spec.containers[0].resources.requests.cpu, oldCpu);
        const kafka2 = await kubectlJson(cluster, "get", "pod", "kafka-2");
        assert.strictEqual(kafka2.metadata.labels["controller-revision-hash"], sts.status.updateRevision);
        const after = fs.statSync(segment);
        assert.strictEqual(after.ino, before.ino, "the same segment file: the log stayed on the PVC, it was not re-fetched");
        assert.ok(after.size >= before.size);
        await setPath(h.stack, "kafka.partition", "0");
        await timedUp(h);

        // A consumer group commits offsets; then every broker pod is deleted at once.
        const consumed = await readAll(k, CLIENT, "keep", bootstrap, "group-e");
        assert.strictEqual(new Set(consumed).size, 3000, "the 3,000 messages, each once");
        const offsets = () => committedOffsets(k, CLIENT, bootstrap, "group-e");
        const committed = await offsets();
        assert.strictEqual(committed.length, 3, committed.join("\n"));
        const uids = (await kubectlJson(cluster, "get", "pods", "-l", "app=kafka")).items.map((p: any) => [p.metadata.name, p.metadata.uid]);
        await kubectl(cluster, "delete", "pod", "kafka-0", "kafka-1", "kafka-2", "--wait=false");
        const t = Date.now();
        for (const [name, uid] of uids) await waitRecreatedReady(name, uid);
        const restartSeconds = (Date.now() - t) / 1000;
        const again = await readAll(k, CLIENT, "keep", bootstrap);
        assert.strictEqual(again.length, consumed.length, "every message is still in the topic");
        assert.deepStrictEqual(await offsets(), committed, "the group's committed offsets survived");
        results.deleteAllBrokers = { messages: again.length, restartSeconds: Math.round(restartSeconds) };
        console.log(`      all three brokers back in ${restartSeconds.toFixed(0)}s; ${again.length} messages and the group's offsets intact`);
    });

    it("f. a ZooKeeper rollout keeps the quorum and the brokers registered, under load", async () => {
        // Ask every ensemble member for its mode once a second from the client pod, through the rollout.
        const sampler = spawn("kubectl", ["--kubeconfig", cluster.kubeconfig, "exec", CLIENT, "--", "sh", "-c",
            `while [ ! -e /tmp/stop-sampling ]; do s=""; for i in 0 1 2; do m=$(printf srvr | nc -w 1 zk-$i.zk-hs.default.svc.cluster.local 2181 2>/dev/null | sed -n 's/^Mode: //p'); s="$s \${m:-none}"; done; echo "$(date +%s)$s"; sleep 1; done`]);
        let samples = "";
        sampler.stdout.on("data", (d: Buffer) => (samples += d));
        await exec(CLIENT, "rm -f /tmp/stop-sampling");
        await topics("--create --if-not-exists --topic load-zk --partitions 3 --replication-factor 3");
        const brokersBefore = (await kubectlJson(cluster, "get", "pods", "-l", "app=kafka")).items.map((p: any) => [p.metadata.uid, p.status.containerStatuses[0].restartCount]);
        const zkBefore = await pods(cluster, "default", "app=zk");
        const zkWatch = new PodWatcher(cluster, "default", "app=zk");
        await zkWatch.ready(3);
        await setPath(h.stack, "zookeeper.cpu", "250m");
        const r = await underLoad(p, "load-zk", async () => {
            await timedUp(h);
        });
        zkWatch.stop();
        await exec(CLIENT, "touch /tmp/stop-sampling");
        await new Promise((res) => sampler.on("exit", res));
        const rows = samples.trim().split("\n").map((l) => l.split(" "));
        const serving = rows.map((row) => row.slice(1).filter((m) => m === "leader" || m === "follower").length);
        assert.ok(rows.length > 20, `only ${rows.length} samples`);
        // The quorum is kept when a majority of the members is up at every moment: one server at a
        // time leaves. When the leader itself restarts, the other two elect a new one, and for that
        // moment none serves: measured (samples without a leader), not hidden.
        const peakZkDown = zkWatch.maxNotReady("zk", 3);
        assert.ok(peakZkDown <= 1, `${peakZkDown} ZooKeeper servers were down at once`);
        const leaderless = rows.filter((row) => !row.includes("leader")).length;
        assert.deepStrictEqual(zkWatch.replacements(new Set([...zkBefore.values()].map((p) => p.uid))).map((x) => x.name), ["zk-2", "zk-1", "zk-0"]);
        const brokersAfter = (await kubectlJson(cluster, "get", "pods", "-l", "app=kafka")).items.map((p: any) => [p.metadata.uid, p.status.containerStatuses[0].restartCount]);
        assert.deepStrictEqual(brokersAfter, brokersBefore, "no broker restarted or was replaced");
        const ids = await exec(CLIENT, `KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/zookeeper-shell.sh zk-cs.default.svc.cluster.local:2181 ls /brokers/ids 2>/dev/null | tail -1`);
        assert.strictEqual(ids.trim(), "[0, 1, 2]");
        assert.strictEqual(r.figures.lost, 0, show(r.figures));
        results.zookeeperRollout = { ...r.figures, samples: rows.length, fewestServing: Math.min(...serving), samplesWithoutLeader: leaderless, peakServersDown: peakZkDown };
        console.log(
            `      ${rows.length} samples (1/s): at most ${peakZkDown} server down at once, fewest serving ${Math.min(...serving)}, ` +
                `${leaderless} sample(s) without a leader (elections); no broker restarted, all three registered after; ${show(r.figures)}`,
        );
    });

    it("g. the CPU change again with the seed's durability settings restored (kafka.brokerConfig), side by side", async () => {
        await setBrokerConfig(h, SEED_DURABILITY);
        await timedUp(h);
        const r = await cpuChangeUnderLoad("load-seed", "200m");
        results.cpuChangeSeedDurability = { ...r.figures, peakNotReady: r.peakNotReady, upSeconds: Math.round(r.upSeconds) };
        const ours = results.cpuChangeOurs as LoadFigures | undefined;
        console.log(`      seed's settings: ${show(r.figures)}`);
        if (ours) console.log(`      ours:            ${show(ours)}`);
        // Measured, not asserted beyond this: the seed's settings may lose data, ours must not (c).
        assert.ok(r.figures.acked > THROUGHPUT * 30);
    });

    /**
     * The host PID of this stack's kafka-<id> JVM (the real nodes' containers are processes of this
     * machine). Brokers of other namespaces (the migration
     * file's, running beside this one) have the same broker.id, so the pod's cgroup decides: the
     * kubelet puts each pod's containers under .../pod<uid>/.
     */
    async function brokerJvm(id: number): Promise<string> {
        const uid = (await kubectlJson(cluster, "get", "pod", `kafka-${id}`)).metadata.uid as string;
        const candidates = await new Promise<string>((res) => execFile("pgrep", ["-f", `kafka\\.Kafka .*broker\\.id=${id}( |$)`], (_e, out) => res(String(out).trim())));
        const ours = candidates.split("\n").filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
            try {
                return fs.readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(`/pod${uid}/`);
            } catch {
                return false; // exited since pgrep
            }
        });
        assert.strictEqual(ours.length, 1, `one JVM of pod kafka-${id} (uid ${uid}) among ${JSON.stringify(candidates)}`);
        return ours[0];
    }

    it("h. the driver's Kafka gate on real brokers: healthy, a stopped broker's partitions, kubectl's own errors, a timeout", async () => {
        const gate = (o: { pod?: string; execTimeoutMs?: number } = {}) =>
            kafkaGate({ namespace: "default", kubectlArgs: ["--kubeconfig", cluster.kubeconfig], exec: execCommand, ...o });
        const target = {} as Parameters<ReturnType<typeof kafkaGate>["check"]>[0];
        assert.deepStrictEqual(await gate().check(target), { passed: true, progress: "no under-replicated or unavailable partitions" });

        // kafka-2's JVM stopped from the host (SIGSTOP; the node is this machine): its socket still
        // accepts, so liveness holds, and after replica.lag.time.max.ms (30 s) it leaves the ISRs.
        const pid = await brokerJvm(2);
        process.kill(Number(pid), "SIGSTOP");
        // Until its ZooKeeper session expires the admin client may still pick kafka-2 and time out
        // (a failed gate too, with kafka-topics.sh's own error); then the metadata lists its partitions.
        let reason = "";
        const seen: string[] = [];
        try {
            const until = Date.now() + 180_000;
            while (Date.now() < until) {
                const r = await gate().check(target);
                if (!r.passed) seen.push(r.reason ?? "");
                if (/^under-replicated: /.test(r.reason ?? "")) { reason = r.reason!; break; }
                await new Promise((res) => setTimeout(res, 3000));
            }
        } finally {
            process.kill(Number(pid), "SIGCONT");
        }
        assert.match(reason, /^under-replicated: \S+-\d+ \(leader [0-9], replicas [0-9,]+, isr [0-9,]+\)/, seen.join("\n"));
        assert.doesNotMatch(reason.split("under-replicated: ")[1].split(";")[0], /isr [0-9,]*2/, "kafka-2 is in none of the ISRs listed");

        // kubectl's own words for a pod that does not exist, and a JVM that cannot answer in time.
        const missing = await gate({ pod: "kafka-9" }).check(target);
        assert.strictEqual(missing.passed, false);
        assert.match(missing.reason!, /kafka-topics\.sh --under-replicated-partitions in kafka-9 failed \(exit 1\): Error from server \(NotFound\): pods "kafka-9" not found/);
        const slow = await gate({ execTimeoutMs: 1500 }).check(target);
        assert.strictEqual(slow.passed, false);
        assert.match(slow.reason!, /kafka-topics\.sh --under-replicated-partitions in kafka-0 failed \(exit 1\): no answer within 1\.5 s \(kubectl killed\)/);
        results.kafkaGate = { stoppedBroker: reason, failuresBefore: seen.length - 1, missingPod: missing.reason, timeout: slow.reason };
        // Back in sync before the next scenario.
        const until = Date.now() + 300_000;
        while (!(await gate().check(target)).passed) {
            if (Date.now() > until) throw new Error("kafka-2 did not rejoin the ISRs");
            await new Promise((res) => setTimeout(res, 3000));
        }
    });

    it("i. a broker JVM killed with SIGKILL: NodeExists until its ZooKeeper session expires, then back by the kubelet's back-off", async () => {
        const before = await kubectlJson(cluster, "get", "pod", "kafka-1");
        const restarts = before.status.containerStatuses[0].restartCount;
        const pid = await brokerJvm(1);
        const t = Date.now();
        process.kill(Number(pid), "SIGKILL");
        let p1: any;
        for (;;) {
            p1 = await kubectlJson(cluster, "get", "pod", "kafka-1");
            if (p1.status.containerStatuses[0].restartCount > restarts && ready(p1)) break;
            if (Date.now() - t > 300_000) throw new Error("kafka-1 did not come back Ready");
            await new Promise((r) => setTimeout(r, 2000));
        }
        const restarted = p1.status.containerStatuses[0].restartCount - restarts;
        // The container that exited right after the kill saw its old registration still there.
        const previous = restarted > 1 ? await kubectl(cluster, "logs", "kafka-1", "--previous").catch(() => "") : "";
        const nodeExists = /NodeExists/.test(previous);
        results.sigkill = { restarts: restarted, backSeconds: Math.round((Date.now() - t) / 1000), nodeExistsSeen: nodeExists };
        console.log(`      back Ready in ${((Date.now() - t) / 1000).toFixed(0)}s after ${restarted} restart(s); NodeExists in the previous container's log: ${nodeExists}`);
        assert.strictEqual(p1.metadata.uid, before.metadata.uid, "the same pod, restarted in place");
    });

    after(async () => {
        // The seed's settings were for (g) only: the next file starts from the platform's defaults.
        await clearBrokerConfig(h);
    });
});
