// Cluster-tier helpers: a local cluster (cluster/) on test-only ports, kubectl
// against it, and a pod watcher that records what the API server reported, event by event.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalCluster } from "../../cluster/cluster";
import { Layout, durationMs } from "../../cluster/layout";
import { KubeAccess } from "../../rollout/kube";
import { ROOT } from "./engine";

const CLUSTER_CLI = path.join(ROOT, "cluster", "cli.ts");

export interface TestCluster {
    dir: string;
    kubeconfig: string;
    env: Record<string, string>;
    local: LocalCluster;
    stop(): Promise<void>;
    /** Scale the fake nodes. */
    nodes(n: number): Promise<void>;
}

function run(cmd: string, args: string[], env: Record<string, string>, timeoutMs = 300_000): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
            if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}\n${stderr}`));
            else resolve(stdout);
        });
    });
}

/** Ports no developer cluster uses, so a test cluster runs beside one. */
// KAFKA_PLATFORM_TEST_PORT_OFFSET shifts them all, so two tiers' clusters can run side by side.
const PORT_OFFSET = Number(process.env.KAFKA_PLATFORM_TEST_PORT_OFFSET ?? 0);
const TEST_PORTS = { api: 16443 + PORT_OFFSET, etcd: 12379 + PORT_OFFSET, controllerManager: 20257 + PORT_OFFSET, scheduler: 20259 + PORT_OFFSET };

/**
 * Start a fresh cluster in a scratch directory: `nodes` kwok fake nodes with the given pod delays,
 * or `realNodes` real nodes (kubelet, containerd, runc on this machine).
 */
export async function startCluster(opts: { nodes?: number; realNodes?: number; readyDelay?: string; startDelay?: string }): Promise<TestCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kafka-platform-cluster-"));
    const local = new LocalCluster(new Layout(dir));
    const started = Date.now();
    await local.start({
        ports: TEST_PORTS,
        kwokNodes: opts.nodes ?? 0,
        realNodes: opts.realNodes ?? 0,
        volumesPerNode: 12,
        delays: {
            startMs: durationMs(opts.startDelay ?? "1s", "startDelay"),
            readyMs: durationMs(opts.readyDelay ?? "2s", "readyDelay"),
            unreadyMs: 1000,
            deleteMs: 1000,
        },
    });
    const what = opts.realNodes ? `${opts.realNodes} real nodes` : `${opts.nodes} nodes`;
    console.log(`      local cluster with ${what} started in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    const kubeconfig = local.kubeconfig;
    return {
        dir,
        kubeconfig,
        local,
        env: { KAFKA_PLATFORM_CLUSTER_DIR: dir, KUBECONFIG: kubeconfig },
        stop: async () => {
            await local.stop().catch(() => undefined);
            fs.rmSync(dir, { recursive: true, force: true });
        },
        nodes: async (n: number) => {
            await local.kwok.scale(n);
        },
    };
}

/**
 * A cluster another process started and will stop (`npm run cluster -- start` with
 * KAFKA_PLATFORM_CLUSTER_DIR=dir): test files in several processes share it. `stop` leaves it running.
 */
export function attachCluster(dir: string): TestCluster {
    const local = new LocalCluster(new Layout(dir));
    if (!local.running()) throw new Error(`no cluster is running in ${dir} (KAFKA_PLATFORM_POD_CLUSTER_DIR)`);
    return {
        dir,
        kubeconfig: local.kubeconfig,
        local,
        env: { KAFKA_PLATFORM_CLUSTER_DIR: dir, KUBECONFIG: local.kubeconfig },
        stop: async () => undefined,
        nodes: async (n: number) => {
            await local.kwok.scale(n);
        },
    };
}

export function kubectl(cluster: TestCluster, ...args: string[]): Promise<string> {
    return run("kubectl", ["--kubeconfig", cluster.kubeconfig, ...args], {}, 120_000);
}

/** kubectl for commands that wait longer than kubectl()'s 2 minutes (drain, rollout status). */
export function kubectlWaiting(cluster: TestCluster, timeoutMs: number, ...args: string[]): Promise<string> {
    return run("kubectl", ["--kubeconfig", cluster.kubeconfig, ...args], {}, timeoutMs);
}

export async function kubectlJson<T = any>(cluster: TestCluster, ...args: string[]): Promise<T> {
    return JSON.parse(await kubectl(cluster, ...args, "-o", "json")) as T;
}

/** The cluster tool's CLI (`npm run cluster -- ...`) against this cluster. */
export async function clusterScript(cluster: TestCluster, ...args: string[]): Promise<string> {
    return run(path.join(ROOT, "node_modules", ".bin", "ts-node"), ["--transpile-only", CLUSTER_CLI, ...args], cluster.env);
}

export interface PodSnapshot {
    at: number;
    type: string;
    name: string;
    uid: string;
    revision?: string;
    ready: boolean;
    terminating: boolean;
    phase?: string;
}

/** The pod objects of an app, as the API server reports them. */
export async function pods(cluster: TestCluster, namespace: string, selector: string): Promise<Map<string, PodSnapshot>> {
    const list = await kubectlJson(cluster, "get", "pods", "-n", namespace, "-l", selector);
    return new Map(list.items.map((p: any) => [p.metadata.name, snapshot("LIST", p)]));
}

function snapshot(type: string, p: any): PodSnapshot {
    return {
        at: Date.now(),
        type,
        name: p.metadata.name,
        uid: p.metadata.uid,
        revision: p.metadata.labels?.["controller-revision-hash"],
        ready: (p.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"),
        terminating: !!p.metadata.deletionTimestamp,
        phase: p.status?.phase,
    };
}

/**
 * Records every watch event for pods matching a selector (a client-node Watch, the one the
 * rollout's wait uses), so a test can replay the order of replacements and count not-Ready pods
 * at every instant.
 */
export class PodWatcher {
    readonly events: PodSnapshot[] = [];
    private readonly stopWatch: () => void;

    constructor(cluster: TestCluster, namespace: string, selector: string) {
        const access = KubeAccess.load({ kubeconfig: cluster.kubeconfig });
        this.stopWatch = access.watch(`/api/v1/namespaces/${namespace}/pods`, { labelSelector: selector }, (type, object) => {
            if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") this.events.push(snapshot(type, object));
        });
    }

    /** Wait until the watch has delivered the initial state. */
    async ready(expected: number, timeoutMs = 30_000) {
        const until = Date.now() + timeoutMs;
        while (new Set(this.events.map((e) => e.name)).size < expected) {
            if (Date.now() > until) throw new Error(`watch saw ${this.events.length} events, expected ${expected} pods`);
            await new Promise((r) => setTimeout(r, 100));
        }
    }

    stop() {
        this.stopWatch();
    }

    /** The largest number of the ordinals 0..replicas-1 that were missing, terminating or not Ready at once. */
    maxNotReady(prefix: string, replicas: number): number {
        const current = new Map<string, PodSnapshot | undefined>();
        let worst = 0;
        for (const e of this.events) {
            current.set(e.name, e.type === "DELETED" ? undefined : e);
            let notReady = 0;
            for (let i = 0; i < replicas; i++) {
                const p = current.get(`${prefix}-${i}`);
                if (!p || p.terminating || !p.ready) notReady++;
            }
            // Count only after every ordinal has been seen once (the initial listing).
            if ([...Array(replicas).keys()].every((i) => current.has(`${prefix}-${i}`))) worst = Math.max(worst, notReady);
        }
        return worst;
    }

    /** When each of the pods known by uid was first seen terminating (or deleted), by name. */
    terminations(knownUids: Set<string>): Map<string, number> {
        const out = new Map<string, number>();
        for (const e of this.events) {
            if (knownUids.has(e.uid) && (e.terminating || e.type === "DELETED") && !out.has(e.name)) out.set(e.name, e.at);
        }
        return out;
    }

    /** Pods (by name) in the order their replacement was created, with when each became Ready. */
    replacements(knownUids: Set<string>): Array<{ name: string; createdAt: number; readyAt?: number; revision?: string }> {
        const out = new Map<string, { name: string; createdAt: number; readyAt?: number; revision?: string }>();
        for (const e of this.events) {
            if (knownUids.has(e.uid) || e.type === "DELETED") continue;
            const key = e.uid;
            if (!out.has(key)) out.set(key, { name: e.name, createdAt: e.at, revision: e.revision });
            const r = out.get(key)!;
            if (e.ready && r.readyAt === undefined) r.readyAt = e.at;
        }
        return [...out.values()].sort((a, b) => a.createdAt - b.createdAt);
    }
}
