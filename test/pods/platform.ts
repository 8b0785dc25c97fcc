// The real-pod tiers' shared platform: one local cluster with three real nodes (kubelet, containerd,
// runc, CNI bridges, kube-proxy, CoreDNS, local volumes), one stack deployed on it with the images
// assembled from Maven Central jars, and a client pod with our Kafka image for the tools. A fresh
// ensemble costs minutes, so every file of the tier shares it (started by the first that asks,
// stopped by the root hook below); each scenario sets the config it needs itself.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { PodWatcher, TestCluster, attachCluster, kubectl, kubectlJson, kubectlWaiting, pods, startCluster } from "../helpers/cluster";
import { StackHandle, newStack, setPath } from "../helpers/engine";
import { KAFKA_BIN, Kube, LoadFigures, Producer, figures, readAll, startClientPod } from "../helpers/kafka-load";

export const KAFKA_IMAGE = "kafka-platform.local/kafka:3.9.1";
export const ZK_IMAGE = "kafka-platform.local/zookeeper:3.9.3";
const TIMEOUT = 600;
const STACK = {
    kafka: { replicas: 3, cpu: "500m", memory: "1Gi", partition: 0, image: KAFKA_IMAGE, rolloutTimeoutSeconds: TIMEOUT },
    zookeeper: { replicas: 3, image: ZK_IMAGE, rolloutTimeoutSeconds: TIMEOUT },
};
export const CLIENT = "client";
/** VerifiableProducer messages per second while an operation runs. */
export const THROUGHPUT = 200;
/** The seed's broker durability settings (its manifest's --override values). */
export const SEED_DURABILITY = { "min.insync.replicas": "1", "unclean.leader.election.enable": "true", "default.replication.factor": "1" };

/** Every figure the tier measures, printed at the end and written for the README. */
export const results: Record<string, unknown> = {};
const RESULTS_FILE = process.env.KAFKA_PLATFORM_POD_RESULTS ?? path.join(os.tmpdir(), "kafka-platform-real-pods.json");

export interface Platform {
    cluster: TestCluster;
    h: StackHandle;
    k: Kube;
    /** The fresh `up` that deployed it, timed, with every pod event it caused. */
    fresh: { outputs: Record<string, any>; seconds: number; pods: PodWatcher };
    bootstrap: string;
    exec(pod: string, script: string): Promise<string>;
    topics(args: string): Promise<string>;
}

export async function timedUp(h: StackHandle) {
    const started = Date.now();
    const events: EngineEvent[] = [];
    const result = await h.stack.up({ onEvent: (e) => events.push(e) });
    return { result, seconds: (Date.now() - started) / 1000, events };
}

let clusterStarted: Promise<TestCluster> | undefined;
let started: Promise<Platform> | undefined;
const cleanups: Array<() => Promise<void> | void> = [];
const t0 = Date.now();

/**
 * The tier's cluster, started the first time it is asked for, or the one named by
 * KAFKA_PLATFORM_POD_CLUSTER_DIR (scripts/test-all.sh starts it once and runs the files with a
 * stack of their own beside the shared stack's, in another process). Files with a stack of their
 * own (in a namespace of their own) need only this, so run alone they do not deploy the shared stack.
 */
export function sharedCluster(): Promise<TestCluster> {
    const given = process.env.KAFKA_PLATFORM_POD_CLUSTER_DIR;
    clusterStarted ??= given
        ? Promise.resolve(attachCluster(given))
        : startCluster({ realNodes: 3 }).then((cluster) => {
              cleanups.push(() => cluster.stop());
              return cluster;
          });
    return clusterStarted;
}

/**
 * Waits until the file KAFKA_PLATFORM_POD_EXCLUSIVE_AFTER names exists: written by test-pods.sh
 * when the files running beside this process have finished. Pacing's drain evicts whole nodes
 * (every namespace's pods), so it needs the nodes to itself.
 */
export async function nodesToOurselves(): Promise<void> {
    const marker = process.env.KAFKA_PLATFORM_POD_EXCLUSIVE_AFTER;
    if (!marker || fs.existsSync(marker)) return;
    const t = Date.now();
    console.log(`      waiting for the real-pod files running beside this one to finish (${marker})`);
    while (!fs.existsSync(marker)) {
        if (Date.now() - t > 3_600_000) throw new Error(`${marker} did not appear within an hour`);
        await new Promise((r) => setTimeout(r, 5000));
    }
    console.log(`      the nodes are ours after ${Math.round((Date.now() - t) / 1000)}s`);
}

/**
 * kubectl, exec and the Kafka tools for a file's own namespace and client pod. The cluster and the
 * bootstrap address are read at each call: the file learns them in its before hook and first `up`.
 */
export function namespaceTools(cluster: () => TestCluster, namespace: string, client: string, bootstrap: () => string) {
    const inNs = (...args: string[]) => kubectl(cluster(), "-n", namespace, ...args);
    const exec = (pod: string, script: string) => inNs("exec", pod, "--", "sh", "-c", script);
    const tool = (name: string, args: string) => exec(client, `KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/${name} --bootstrap-server ${bootstrap()} ${args}`);
    return { inNs, exec, tool };
}

/**
 * Removes a file's own namespace at its end. Its StatefulSets are protected in the stack, so the
 * namespace goes instead (its PVCs with it). Brokers first, while a KRaft quorum is there for their
 * controlled shutdown: deleted together, the controllers went first and each broker waited out its
 * whole grace period.
 */
export async function removeNamespace(cluster: TestCluster, namespace: string): Promise<void> {
    const t = Date.now();
    await kubectlWaiting(cluster, 280_000, "-n", namespace, "delete", "statefulset", "kafka", "--cascade=foreground", "--timeout=270s").catch((e) => console.log(`      cleanup: ${e}`));
    await kubectlWaiting(cluster, 280_000, "delete", "namespace", namespace, "--timeout=270s").catch((e) => console.log(`      cleanup: ${e}`));
    console.log(`      namespace ${namespace} deleted in ${Math.round((Date.now() - t) / 1000)}s`);
}

/** The platform, deployed by a fresh `up` the first time it is asked for. */
export function platform(): Promise<Platform> {
    started ??= (async () => {
        const cluster = await sharedCluster();
        const h = await newStack("pods", STACK, { env: { KUBECONFIG: cluster.kubeconfig }, extra: { "kubernetes:kubeconfig": cluster.kubeconfig } });
        cleanups.unshift(() => h.project.cleanup());
        // Ten minutes a call: reading a pacing run back streams tens of MB through the console consumer.
        const k: Kube = { kubeconfig: cluster.kubeconfig, namespace: "default", kubectl: (...args) => kubectlWaiting(cluster, 600_000, ...args) };
        const watcher = new PodWatcher(cluster, "default", "app in (zk,kafka)");
        const up = await timedUp(h).finally(() => watcher.stop());
        const outputs = Object.fromEntries(Object.entries(up.result.outputs).map(([key, o]) => [key, o.value]));
        const bootstrap = outputs.bootstrapServers as string;
        await startClientPod(k, CLIENT, KAFKA_IMAGE);
        const exec = (pod: string, script: string) => kubectl(cluster, "exec", pod, "--", "sh", "-c", script);
        const topics = (args: string) => exec(CLIENT, `KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-topics.sh --bootstrap-server ${bootstrap} ${args}`);
        return { cluster, h, k, fresh: { outputs, seconds: up.seconds, pods: watcher }, bootstrap, exec, topics };
    })();
    return started;
}

after(async function () {
    this.timeout(300_000);
    results.totalSeconds = Math.round((Date.now() - t0) / 1000);
    fs.writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2) + "\n");
    console.log(`\n  figures: ${RESULTS_FILE}\n${JSON.stringify(results, null, 2).replace(/^/gm, "    ")}`);
    for (const cleanup of cleanups) await cleanup();
});

export const ready = (p: any) => (p.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True");

export const show = (f: LoadFigures) =>
    `acked ${f.acked}, lost ${f.lost}, duplicates ${f.duplicates}, failed sends ${f.failedSends}, ` +
    `NOT_ENOUGH_REPLICAS ${f.notEnoughReplicas}, longest stall ${(f.longestStallMs / 1000).toFixed(1)}s`;

export interface LoadRun {
    figures: LoadFigures;
    peakNotReady: number;
    /** Brokers in the order their replacements were created. */
    order: string[];
    /** When each broker pod of before the operation began terminating. */
    terminatedAt: Map<string, number>;
    /** When each replacement became Ready. */
    readyAt: Map<string, number>;
}

/** Where a load runs: the tier's stack (the default) or a stack of its own namespace, with its client pod. */
export interface LoadTarget {
    cluster: TestCluster;
    k: Kube;
    bootstrap: string;
    client?: string;
}

/** Produce through `operation` with acks=all, then read everything back: the figures, and the pod watch. */
export async function underLoad(p: LoadTarget, topic: string, operation: () => Promise<void>): Promise<LoadRun> {
    const client = p.client ?? CLIENT;
    const before = await pods(p.cluster, p.k.namespace, "app=kafka");
    const known = new Set([...before.values()].map((x) => x.uid));
    const watcher = new PodWatcher(p.cluster, p.k.namespace, "app=kafka");
    await watcher.ready(3);
    const producer = new Producer(p.k, client, { topic, bootstrap: p.bootstrap, throughput: THROUGHPUT });
    await producer.start();
    try {
        await operation();
        // Keep producing a little after the operation: the last broker's leaders move back.
        await new Promise((r) => setTimeout(r, 10_000));
    } finally {
        watcher.stop();
    }
    const run = await producer.stop();
    const consumed = await readAll(p.k, client, topic, p.bootstrap);
    const replaced = watcher.replacements(known);
    return {
        figures: figures(run, consumed),
        peakNotReady: watcher.maxNotReady("kafka", 3),
        order: replaced.map((r) => r.name),
        terminatedAt: watcher.terminations(known),
        readyAt: new Map(replaced.filter((r) => r.readyAt !== undefined).map((r) => [r.name, r.readyAt!])),
    };
}

/** Set `kafka.brokerConfig` keys one by one (dotted keys need the bracket form). */
export async function setBrokerConfig(h: StackHandle, cfg: Record<string, string>) {
    for (const [key, value] of Object.entries(cfg)) await setPath(h.stack, `kafka.brokerConfig["${key}"]`, value);
}

/** Remove `kafka.brokerConfig` (back to the platform's defaults). */
export async function clearBrokerConfig(h: StackHandle) {
    await h.stack.removeConfig("kafka-platform:kafka.brokerConfig", true).catch(() => undefined);
}

export { KAFKA_BIN, kubectl, kubectlJson, kubectlWaiting, pods, setPath };
