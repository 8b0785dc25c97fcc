// Benchmark (not a test): a staged rollout driven by stack config + `pulumi up`, against the same
// rollout done the seed's way with `kubectl patch`, on one local control plane with the same pod
// delays, alternating the two so machine noise hits both. Prints each time, their ratio and the
// physical limit (the pod delays the StatefulSet controller must wait through, back to back).
//
//   scripts/env.sh npx ts-node -T bench/rollout.ts [--replicas 3] [--stages 3,2,1,0] [--rounds 2]
//   scripts/env.sh npx ts-node -T bench/rollout.ts --replicas 100 --stages 100,99,90,50,0 --rounds 1
//   scripts/env.sh npx ts-node -T bench/rollout.ts --real-nodes [--rounds 1]
//
// --real-nodes: three real nodes (root), real brokers with the local images, side by side for
// kafka.readiness serving and in-sync. The physical limit there is what the brokers need: the sum
// of each broker's time from going down to back in every ISR, sampled once a second with the
// in-sync probe from a client pod.
import { PodWatcher, TestCluster, kubectl, kubectlWaiting, pods, startCluster } from "../test/helpers/cluster";
import { IsrSampler, startClientPod } from "../test/helpers/kafka-load";
import { StackHandle, newStack, setPath } from "../test/helpers/engine";
import { KubeAccess, readStage } from "../rollout/kube";
import { waitFor } from "../rollout/wait";

function arg(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : fallback;
}

const replicas = Number(arg("replicas", "3"));
const stages = arg("stages", "3,2,1,0").split(",").map(Number);
const rounds = Number(arg("rounds", "2"));
// Pod lifecycle on the fake nodes: deleted after DELETE, Running after START, Ready READY later.
const DELETE_S = 1;
const START_S = Number(arg("start-delay", replicas > 10 ? "0.3" : "1"));
const READY_S = Number(arg("ready-delay", replicas > 10 ? "0.5" : "2"));

/** Wait like the program does: until the stage verdict (rollout/stage.ts) says partition `partition` is done. */
async function waitForStage(cluster: TestCluster, partition: number) {
    const access = KubeAccess.load({ kubeconfig: cluster.kubeconfig });
    const r = await waitFor(
        () => readStage(access, "default", "kafka", "app=kafka"),
        (s) => !!s && s.partition === partition && s.done,
        { timeoutSeconds: 3600, pollMs: 1000, wake: (notify) => access.watchStage("default", "kafka", "app=kafka", notify) },
    );
    if (r.outcome !== "done") throw new Error(`stage ${partition} not done: ${r.value?.summary ?? String(r.error)}`);
}

async function viaPulumi(h: StackHandle, cpu: string): Promise<number> {
    await setPath(h.stack, "kafka.partition", String(stages[0]));
    await setPath(h.stack, "kafka.cpu", cpu);
    const started = Date.now();
    await h.stack.up();
    for (const p of stages.slice(1)) {
        await setPath(h.stack, "kafka.partition", String(p));
        await h.stack.up();
    }
    return (Date.now() - started) / 1000;
}

async function viaKubectl(cluster: TestCluster, cpu: string): Promise<number> {
    const patchPartition = (p: number) =>
        kubectl(cluster, "patch", "sts", "kafka", "-p", JSON.stringify({ spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: p } } } }));
    const started = Date.now();
    await patchPartition(stages[0]);
    await kubectl(cluster, "patch", "sts", "kafka", "--type=json", "-p", JSON.stringify([{ op: "replace", path: "/spec/template/spec/containers/0/resources/requests/cpu", value: cpu }]));
    await waitForStage(cluster, stages[0]);
    for (const p of stages.slice(1)) {
        await patchPartition(p);
        await waitForStage(cluster, p);
    }
    return (Date.now() - started) / 1000;
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const LOCAL_KAFKA = "kafka-platform.local/kafka:3.9.1";
const LOCAL_ZK = "kafka-platform.local/zookeeper:3.9.3";

/** One timed rollout on real brokers, with each broker's down → in-sync time. */
async function timedReal(cluster: TestCluster, sampler: IsrSampler, rollout: () => Promise<void>) {
    const known = new Set([...(await pods(cluster, "default", "app=kafka")).values()].map((p) => p.uid));
    const watcher = new PodWatcher(cluster, "default", "app=kafka");
    await watcher.ready(3);
    const started = Date.now();
    await rollout();
    await sampler.allInSync();
    const seconds = (Date.now() - started) / 1000;
    watcher.stop();
    const down = [...watcher.terminations(known).entries()].sort((a, b) => a[1] - b[1]);
    const perBroker = sampler.downToInSync(down);
    return { seconds, limit: Object.values(perBroker).reduce((a, b) => a + b, 0), perBroker };
}

async function realNodes() {
    console.log(`rollout benchmark on 3 real nodes: kafka.readiness serving and in-sync, stack config + up against kubectl patch, stages ${stages.join(" -> ")}, ${rounds} round(s)`);
    const cluster = await startCluster({ realNodes: 3 });
    const h = await newStack(
        "bench",
        { kafka: { replicas: 3, partition: 0, cpu: "500m", image: LOCAL_KAFKA, rolloutTimeoutSeconds: 1200 }, zookeeper: { replicas: 3, image: LOCAL_ZK }, topics: [{ name: "test", partitions: 3 }] },
        { env: { KUBECONFIG: cluster.kubeconfig }, extra: { "kubernetes:kubeconfig": cluster.kubeconfig } },
    );
    const k = { kubeconfig: cluster.kubeconfig, namespace: "default", kubectl: (...a: string[]) => kubectl(cluster, ...a) };
    try {
        await h.stack.up();
        await startClientPod(k, "bench-client", LOCAL_KAFKA);
        const sampler = new IsrSampler(k, "bench-client");
        const rows: string[] = [];
        let cpu = 400;
        for (const readiness of ["serving", "in-sync"]) {
            await setPath(h.stack, "kafka.readiness", readiness);
            await h.stack.up();
            await sampler.allInSync();
            for (let round = 0; round < rounds; round++) {
                const a = await timedReal(cluster, sampler, async () => {
                    await viaPulumi(h, `${cpu--}m`);
                });
                const b = await timedReal(cluster, sampler, async () => {
                    const c = `${cpu--}m`;
                    await viaKubectl(cluster, c);
                    await kubectlWaiting(cluster, 1_260_000, "rollout", "status", "sts/kafka", "--timeout=1200s");
                    // The stack says the same as the cluster now, so the next `up` changes nothing.
                    await setPath(h.stack, "kafka.cpu", c);
                    await setPath(h.stack, "kafka.partition", "0");
                });
                await h.stack.refresh();
                const row =
                    `${readiness.padEnd(8)} round ${round + 1}: up ${a.seconds.toFixed(1)}s (limit ${a.limit.toFixed(1)}s, ratio ${(a.seconds / a.limit).toFixed(2)}), ` +
                    `kubectl ${b.seconds.toFixed(1)}s (limit ${b.limit.toFixed(1)}s, ratio ${(b.seconds / b.limit).toFixed(2)}); up/kubectl ${(a.seconds / b.seconds).toFixed(2)}; ` +
                    `down → in sync per broker, up: ${JSON.stringify(a.perBroker)}`;
                rows.push(row);
                console.log(row);
            }
        }
        await sampler.stop();
        console.log("");
        console.log(`staged rollout ${stages.join("->")} of 3 real brokers (limit = sum of each broker's down → in-sync time):`);
        for (const r of rows) console.log(`  ${r}`);
    } finally {
        h.project.cleanup();
        await cluster.stop();
    }
}

async function main() {
    if (process.argv.includes("--real-nodes")) return realNodes();
    const nodes = replicas;
    console.log(`rollout benchmark: ${replicas} brokers on ${nodes} fake nodes, stages ${stages.join(" -> ")}, ${rounds} round(s)`);
    console.log(`pod delays: delete ${DELETE_S}s, start ${START_S}s, ready ${READY_S}s`);
    const cluster = await startCluster({ nodes, startDelay: `${START_S}s`, readyDelay: `${READY_S}s` });
    const h = await newStack(
        "bench",
        {
            kafka: { replicas, partition: 0, cpu: "500m", rolloutTimeoutSeconds: 3600 },
            zookeeper: { replicas: 3 },
            topics: [],
        },
        { env: { KUBECONFIG: cluster.kubeconfig }, extra: { "kubernetes:kubeconfig": cluster.kubeconfig } },
    );
    try {
        const t0 = Date.now();
        await h.stack.up();
        console.log(`initial up: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
        // The kubectl path patches the same StatefulSet; the next `up` restores the stack's config.
        const pulumiTimes: number[] = [];
        const kubectlTimes: number[] = [];
        let cpu = 400;
        for (let round = 0; round < rounds; round++) {
            const a = await viaPulumi(h, `${cpu--}m`);
            pulumiTimes.push(a);
            const b = await viaKubectl(cluster, `${cpu--}m`);
            kubectlTimes.push(b);
            // Bring the stack's recorded state back in line with the cluster before the next round.
            await h.stack.refresh();
            console.log(`round ${round + 1}: pulumi ${a.toFixed(1)}s, kubectl ${b.toFixed(1)}s, ratio ${(a / b).toFixed(2)}`);
        }
        const pods = replicas;
        const limit = pods * (DELETE_S + START_S + READY_S);
        const pm = median(pulumiTimes);
        const km = median(kubectlTimes);
        console.log("");
        console.log(`staged rollout ${stages.join("->")} of ${replicas} brokers (median of ${rounds}):`);
        console.log(`  stack config + pulumi up : ${pm.toFixed(1)}s`);
        console.log(`  kubectl patch (seed)     : ${km.toFixed(1)}s`);
        console.log(`  ratio pulumi/kubectl     : ${(pm / km).toFixed(2)}`);
        console.log(`  physical limit           : ${limit.toFixed(1)}s (${pods} pods x (delete ${DELETE_S}s + start ${START_S}s + ready ${READY_S}s), one at a time)`);
    } finally {
        h.project.cleanup();
        await cluster.stop();
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
