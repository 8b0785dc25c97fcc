// Cluster tier: the seed tutorial's scenarios with the real Pulumi engine against a real
// kube-apiserver, controller-manager (the StatefulSet controller decides order, partitions and
// revisions), scheduler (anti-affinity) and eviction API (PDBs); kwok fakes the kubelets.
// Every assertion reads the API server, never the program's own logs.
import * as assert from "assert";
import * as fs from "fs";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { PodWatcher, TestCluster, clusterScript, kubectl, kubectlJson, pods, startCluster } from "../helpers/cluster";
import { StackHandle, newStack, setPath } from "../helpers/engine";

const TIMEOUT = 180;
const DEV = {
    kafka: { replicas: 3, cpu: "500m", memory: "1Gi", partition: 0, rolloutTimeoutSeconds: TIMEOUT },
    zookeeper: { replicas: 3, rolloutTimeoutSeconds: TIMEOUT },
};

async function timedUp(h: StackHandle) {
    const started = Date.now();
    const events: EngineEvent[] = [];
    try {
        const result = await h.stack.up({ onEvent: (e) => events.push(e) });
        return { result, seconds: (Date.now() - started) / 1000, events };
    } catch (err) {
        (err as any).seconds = (Date.now() - started) / 1000;
        throw err;
    }
}

async function sts(cluster: TestCluster, name: string, namespace = "default") {
    return kubectlJson(cluster, "get", "statefulset", name, "-n", namespace);
}

/**
 * Each scenario starts from a state it sets up itself, so that one failing scenario does not make
 * the next ones fail too: every broker healed, the rollout timeout back at TIMEOUT, partition 0
 * with `cpu`, and an `up` that returns only once every broker is Ready at that template.
 */
async function settle(h: StackHandle, cluster: TestCluster, cpu: string) {
    for (const p of (await pods(cluster, "default", "app=kafka")).values()) {
        if (!p.ready) await clusterScript(cluster, "heal", p.name);
    }
    await setPath(h.stack, "kafka.rolloutTimeoutSeconds", String(TIMEOUT));
    await setPath(h.stack, "kafka.partition", "0");
    await setPath(h.stack, "kafka.cpu", cpu);
    await timedUp(h);
}

/** settle at `from`, then stage `to` the README's way: partition 3 first, then the change (nothing rolls). */
async function stageChange(h: StackHandle, cluster: TestCluster, from: string, to: string) {
    await settle(h, cluster, from);
    await setPath(h.stack, "kafka.partition", "3");
    await timedUp(h);
    await setPath(h.stack, "kafka.cpu", to);
    await timedUp(h);
}

describe("the seed's rollout scenarios on a local control plane", function () {
    this.timeout(1_200_000);
    let cluster: TestCluster;
    let h: StackHandle;

    before(async () => {
        cluster = await startCluster({ nodes: 3, startDelay: "1s", readyDelay: "2s" });
        h = await newStack("cluster", DEV, { env: { KUBECONFIG: cluster.kubeconfig }, extra: { "kubernetes:kubeconfig": cluster.kubeconfig } });
    });
    after(async () => {
        h?.project.cleanup();
        await cluster?.stop();
    });

    it("1. brings up zk-0..2 and kafka-0..2 Ready on a fresh `up`, brokers created in parallel", async () => {
        const { result, seconds } = await timedUp(h);
        assert.strictEqual(result.outputs.mode.value, "cluster");
        const kafka = await kubectlJson(cluster, "get", "pods", "-l", "app=kafka");
        const zk = await kubectlJson(cluster, "get", "pods", "-l", "app=zk");
        const ready = (p: any) => p.status.conditions.some((c: any) => c.type === "Ready" && c.status === "True");
        assert.deepStrictEqual(kafka.items.map((p: any) => p.metadata.name).sort(), ["kafka-0", "kafka-1", "kafka-2"]);
        assert.deepStrictEqual(zk.items.map((p: any) => p.metadata.name).sort(), ["zk-0", "zk-1", "zk-2"]);
        assert.ok([...kafka.items, ...zk.items].every(ready));
        // Parallel: every broker was created before the first one became Ready.
        const created = kafka.items.map((p: any) => Date.parse(p.metadata.creationTimestamp));
        const firstReady = Math.min(...kafka.items.map((p: any) => Date.parse(p.status.conditions.find((c: any) => c.type === "Ready").lastTransitionTime)));
        assert.ok(Math.max(...created) <= firstReady, `kafka pods created ${created} vs first Ready ${firstReady}`);
        // OrderedReady ZooKeeper: zk-1 was created only after zk-0 was Ready.
        const zk0 = zk.items.find((p: any) => p.metadata.name === "zk-0");
        const zk1 = zk.items.find((p: any) => p.metadata.name === "zk-1");
        assert.ok(Date.parse(zk1.metadata.creationTimestamp) >= Date.parse(zk0.status.conditions.find((c: any) => c.type === "Ready").lastTransitionTime));
        for (const [kind, name] of [["service", "kafka-hs"], ["pdb", "kafka-pdb"], ["service", "zk-hs"], ["service", "zk-cs"], ["pdb", "zk-pdb"]]) {
            await kubectl(cluster, "get", kind, name);
        }
        const job = await kubectlJson(cluster, "get", "job", result.outputs.topicsJob.value);
        assert.strictEqual(job.status.succeeded, 1);
        assert.strictEqual(result.outputs.bootstrapServers.value.split(",").length, 3);
        assert.strictEqual(result.outputs.zookeeperConnect.value, "zk-cs.default.svc.cluster.local:2181");
        assert.strictEqual(result.outputs.kafkaRollout.value.awaited, true);
        console.log(`      fresh up: ${seconds.toFixed(1)}s`);
    });

    it("2. rolls kafka-2, kafka-1, kafka-0 in turn on a CPU change, never more than one broker not Ready", async () => {
        await settle(h, cluster, "500m");
        const before = await pods(cluster, "default", "app=kafka");
        const watcher = new PodWatcher(cluster, "default", "app=kafka");
        await watcher.ready(3);
        await setPath(h.stack, "kafka.cpu", "250m");
        const { seconds } = await timedUp(h);
        await new Promise((r) => setTimeout(r, 1000));
        watcher.stop();
        const replaced = watcher.replacements(new Set([...before.values()].map((p) => p.uid)));
        assert.deepStrictEqual(replaced.map((r) => r.name), ["kafka-2", "kafka-1", "kafka-0"]);
        for (let i = 1; i < replaced.length; i++) {
            assert.ok(replaced[i - 1].readyAt !== undefined && replaced[i].createdAt >= replaced[i - 1].readyAt!, `${replaced[i].name} created before ${replaced[i - 1].name} was Ready`);
        }
        const peak = watcher.maxNotReady("kafka", 3);
        assert.ok(peak <= 1, `peak not-Ready brokers ${peak}`);
        const status = (await sts(cluster, "kafka")).status;
        assert.strictEqual(status.currentRevision, status.updateRevision);
        const after = await pods(cluster, "default", "app=kafka");
        assert.ok([...after.values()].every((p) => p.ready && p.revision === status.updateRevision));
        console.log(`      cpu 500m -> 250m: up ${seconds.toFixed(1)}s, ${watcher.events.length} watch events, peak not-Ready kafka pods ${peak}`);
    });

    it("3. stages a change at partition 3 without touching a pod, and a deleted pod returns at the old revision", async () => {
        await settle(h, cluster, "250m");
        await setPath(h.stack, "kafka.partition", "3");
        await timedUp(h);
        const before = await pods(cluster, "default", "app=kafka");
        await setPath(h.stack, "kafka.cpu", "300m");
        const { seconds } = await timedUp(h);
        const after = await pods(cluster, "default", "app=kafka");
        for (const [name, p] of before) assert.strictEqual(after.get(name)!.uid, p.uid, `${name} was replaced`);
        const status = (await sts(cluster, "kafka")).status;
        assert.notStrictEqual(status.updateRevision, status.currentRevision);
        assert.ok(seconds < TIMEOUT / 2, `up with partition 3 took ${seconds}s`);

        await kubectl(cluster, "delete", "pod", "kafka-1", "--wait=false");
        const until = Date.now() + 60_000;
        let back;
        for (;;) {
            back = (await pods(cluster, "default", "app=kafka")).get("kafka-1");
            if (back && back.uid !== before.get("kafka-1")!.uid && back.ready) break;
            assert.ok(Date.now() < until, "kafka-1 did not come back Ready");
            await new Promise((r) => setTimeout(r, 500));
        }
        assert.strictEqual(back.revision, status.currentRevision, "the recreated kafka-1 must run the current (old) revision");
        const pod = await kubectlJson(cluster, "get", "pod", "kafka-1");
        assert.strictEqual(pod.spec.containers[0].resources.requests.cpu, "250m");
        console.log(`      partition 3 + cpu 300m: up ${seconds.toFixed(1)}s, no pod replaced; kafka-1 recreated at ${back.revision} with cpu 250m`);
    });

    it("4. rolls the canary kafka-2 at partition 2, kafka-1 at 1 and kafka-0 at 0, each `up` returning when its stage is Ready", async () => {
        await stageChange(h, cluster, "250m", "300m");
        for (const [partition, updated] of [[2, ["kafka-2"]], [1, ["kafka-1", "kafka-2"]], [0, ["kafka-0", "kafka-1", "kafka-2"]]] as const) {
            await setPath(h.stack, "kafka.partition", String(partition));
            const { seconds } = await timedUp(h);
            // Read right after `up` returned: the stage must already be complete.
            const status = (await sts(cluster, "kafka")).status;
            const now = await pods(cluster, "default", "app=kafka");
            const atNew = [...now.values()].filter((p) => p.revision === status.updateRevision).map((p) => p.name).sort();
            assert.deepStrictEqual(atNew, [...updated]);
            assert.ok([...now.values()].every((p) => p.ready && !p.terminating), `not all Ready after partition ${partition}`);
            console.log(`      partition ${partition}: up ${seconds.toFixed(1)}s, updated ${atNew.join(", ")}`);
        }
    });

    it("5. fails `up` within the configured timeout when the canary never becomes Ready, naming it, and leaves the others alone", async () => {
        await stageChange(h, cluster, "300m", "350m");
        const before = await pods(cluster, "default", "app=kafka");
        await clusterScript(cluster, "fail-readiness", "kafka-2");
        await setPath(h.stack, "kafka.rolloutTimeoutSeconds", "30");
        await setPath(h.stack, "kafka.partition", "2");
        let failure: any;
        await assert.rejects(timedUp(h), (err: any) => {
            failure = err;
            return true;
        });
        assert.match(failure.message, /kafka rollout stage not done after 30s \(kafka\.rolloutTimeoutSeconds\)/);
        assert.match(failure.message, /waiting on kafka-2: Running, not Ready/);
        assert.ok(failure.seconds < 30 + 60, `failed after ${failure.seconds}s`);
        const after = await pods(cluster, "default", "app=kafka");
        for (const name of ["kafka-0", "kafka-1"]) {
            assert.strictEqual(after.get(name)!.uid, before.get(name)!.uid, `${name} was touched`);
            assert.ok(after.get(name)!.ready);
        }
        const line = failure.message.split("\n").find((l: string) => /kafka-2/.test(l));
        console.log(`      failed canary: up failed after ${failure.seconds.toFixed(1)}s: ${line.trim()}`);

        await clusterScript(cluster, "heal", "kafka-2");
        await setPath(h.stack, "kafka.rolloutTimeoutSeconds", String(TIMEOUT));
        await setPath(h.stack, "kafka.partition", "0");
        await timedUp(h);
    });

    it("7. refuses to evict a broker through the eviction API while another one is not Ready", async () => {
        await settle(h, cluster, "350m");
        const evict = async (pod: string) => {
            const body = JSON.stringify({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod, namespace: "default" } });
            const file = `${cluster.dir}/eviction-${pod}.json`;
            fs.writeFileSync(file, body);
            return kubectl(cluster, "create", "--raw", `/api/v1/namespaces/default/pods/${pod}/eviction`, "-f", file).then(
                () => "allowed",
                (e: Error) => e.message,
            );
        };
        await clusterScript(cluster, "fail-readiness", "kafka-1");
        const refused = await evict("kafka-0");
        assert.match(refused, /disruption budget/i);
        const stillThere = (await pods(cluster, "default", "app=kafka")).get("kafka-0")!;
        assert.ok(stillThere.ready && !stillThere.terminating);
        await clusterScript(cluster, "heal", "kafka-1");
        // Control: with every broker Ready, the PDB allows one disruption.
        assert.strictEqual(await evict("kafka-0"), "allowed");
        console.log(`      eviction with kafka-1 not Ready: ${refused.split("\n").find((l) => /budget/i.test(l))?.trim()}`);
        // Let the StatefulSet controller recreate kafka-0 before the next scenario.
        await timedUp(h);
    });

    it("6. leaves the third broker Pending as Unschedulable with 2 nodes and required anti-affinity, and schedules all with preferred", async () => {
        await kubectl(cluster, "cordon", "kwok-node-2");
        try {
            const spread = await newStack(
                "spread",
                {
                    namespace: "spread",
                    zookeeper: { replicas: 1, rolloutTimeoutSeconds: TIMEOUT },
                    kafka: { replicas: 3, rolloutTimeoutSeconds: 30 },
                    topics: [],
                },
                { env: { KUBECONFIG: cluster.kubeconfig }, extra: { "kubernetes:kubeconfig": cluster.kubeconfig } },
            );
            try {
                let failure: any;
                await assert.rejects(timedUp(spread), (err: any) => {
                    failure = err;
                    return true;
                });
                assert.match(failure.message, /kafka-\d: Pending: Unschedulable: .*anti-affinity/);
                assert.match(failure.message, /kubectl delete pod/);
                assert.match(failure.message, /hint: required anti-affinity .* kafka\.antiAffinity/);
                const pending = (await kubectlJson(cluster, "get", "pods", "-n", "spread", "-l", "app=kafka")).items.filter((p: any) => p.status.phase === "Pending");
                assert.strictEqual(pending.length, 1);
                const scheduled = pending[0].status.conditions.find((c: any) => c.type === "PodScheduled");
                assert.strictEqual(scheduled.reason, "Unschedulable");
                console.log(`      required, 2 nodes: ${failure.message.split("\n").find((l: string) => /Unschedulable/.test(l)).trim()}`);

                // The same brokers with preferred anti-affinity, in a namespace of their own, all schedule.
                // (Switching the stuck stack instead would need the Pending pod deleted by hand: the
                // StatefulSet controller does not roll while a pod is unavailable; the hint says so.)
                const preferred = await newStack(
                    "preferred",
                    {
                        namespace: "preferred",
                        zookeeper: { replicas: 1, rolloutTimeoutSeconds: TIMEOUT },
                        kafka: { replicas: 3, antiAffinity: "preferred", rolloutTimeoutSeconds: 60 },
                        topics: [],
                    },
                    { env: { KUBECONFIG: cluster.kubeconfig }, extra: { "kubernetes:kubeconfig": cluster.kubeconfig } },
                );
                try {
                    await timedUp(preferred);
                } finally {
                    preferred.project.cleanup();
                }
                const all = (await kubectlJson(cluster, "get", "pods", "-n", "preferred", "-l", "app=kafka")).items;
                assert.strictEqual(all.length, 3);
                assert.ok(all.every((p: any) => p.spec.nodeName && p.status.conditions.some((c: any) => c.type === "Ready" && c.status === "True")));
                assert.strictEqual(new Set(all.map((p: any) => p.spec.nodeName)).size, 2);
                console.log(`      preferred, 2 nodes: brokers on ${all.map((p: any) => p.spec.nodeName).sort().join(", ")}`);
            } finally {
                spread.project.cleanup();
            }
        } finally {
            await kubectl(cluster, "uncordon", "kwok-node-2");
        }
    });
});
