// Cluster-tier helpers: a local control plane (scripts/cluster.sh) on test-only ports, kubectl
// against it, and a pod watcher that records what the API server reported, event by event.
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./engine";

export interface TestCluster {
    dir: string;
    kubeconfig: string;
    env: Record<string, string>;
    stop(): Promise<void>;
    /** Scale the fake nodes. */
    nodes(n: number): Promise<void>;
}

const CLUSTER = path.join(ROOT, "scripts", "cluster.sh");

function run(cmd: string, args: string[], env: Record<string, string>, timeoutMs = 300_000): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
            if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}\n${stderr}`));
            else resolve(stdout);
        });
    });
}

/** Start a fresh cluster on ports no developer cluster uses, with the given pod delays. */
export async function startCluster(opts: { nodes: number; readyDelay?: string; startDelay?: string }): Promise<TestCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kafka-platform-cluster-"));
    const env = {
        KAFKA_PLATFORM_CLUSTER_DIR: dir,
        KAFKA_PLATFORM_API_PORT: "16443",
        KAFKA_PLATFORM_ETCD_PORT: "12379",
        KAFKA_PLATFORM_KCM_PORT: "20257",
        KAFKA_PLATFORM_SCHEDULER_PORT: "20259",
    };
    const started = Date.now();
    await run(
        CLUSTER,
        ["start", "--nodes", String(opts.nodes), "--pod-ready-delay", opts.readyDelay ?? "2s", "--pod-start-delay", opts.startDelay ?? "1s"],
        env,
        900_000,
    );
    console.log(`      local control plane with ${opts.nodes} nodes started in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    const kubeconfig = path.join(dir, "kubeconfig");
    return {
        dir,
        kubeconfig,
        env: { ...env, KUBECONFIG: kubeconfig },
        stop: async () => {
            await run(CLUSTER, ["stop"], env).catch(() => undefined);
            fs.rmSync(dir, { recursive: true, force: true });
        },
        nodes: async (n: number) => {
            await run(CLUSTER, ["nodes", String(n)], env);
        },
    };
}

export function kubectl(cluster: TestCluster, ...args: string[]): Promise<string> {
    return run("kubectl", ["--kubeconfig", cluster.kubeconfig, ...args], {}, 120_000);
}

export async function kubectlJson<T = any>(cluster: TestCluster, ...args: string[]): Promise<T> {
    return JSON.parse(await kubectl(cluster, ...args, "-o", "json")) as T;
}

export async function clusterScript(cluster: TestCluster, ...args: string[]): Promise<string> {
    return run(CLUSTER, args, cluster.env);
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
 * Records every watch event for pods matching a selector (`kubectl get -w --output-watch-events`),
 * so a test can replay the order of replacements and count not-Ready pods at every instant.
 */
export class PodWatcher {
    readonly events: PodSnapshot[] = [];
    private proc: ChildProcess;
    private buffer = "";

    constructor(cluster: TestCluster, namespace: string, selector: string) {
        this.proc = spawn(
            "kubectl",
            ["--kubeconfig", cluster.kubeconfig, "get", "pods", "-n", namespace, "-l", selector, "-w", "--output-watch-events", "-o", "json"],
            { stdio: ["ignore", "pipe", "inherit"] },
        );
        this.proc.stdout!.on("data", (chunk: Buffer) => this.feed(chunk.toString("utf8")));
    }

    /** kubectl prints one pretty-printed JSON document per event: split on balanced braces. */
    private feed(text: string) {
        this.buffer += text;
        let depth = 0;
        let inString = false;
        let escaped = false;
        let start = 0;
        for (let i = 0; i < this.buffer.length; i++) {
            const c = this.buffer[i];
            if (inString) {
                if (escaped) escaped = false;
                else if (c === "\\") escaped = true;
                else if (c === '"') inString = false;
                continue;
            }
            if (c === '"') inString = true;
            else if (c === "{") {
                if (depth === 0) start = i;
                depth++;
            } else if (c === "}") {
                depth--;
                if (depth === 0) {
                    const doc = JSON.parse(this.buffer.slice(start, i + 1));
                    this.events.push(snapshot(doc.type, doc.object));
                    this.buffer = this.buffer.slice(i + 1);
                    i = -1;
                }
            }
        }
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
        this.proc.kill();
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
