// Kubernetes access of the rollout, through @kubernetes/client-node: kubeconfig loading (client
// certificates, tokens, exec credential plugins, auth providers, as kubectl does), typed reads of
// the StatefulSet and its pods, and a watch that wakes the wait loop when either changes.
//
// client-node 1.x is an ES module; Node 20.19+ loads it with require(). It is required on first
// use, so what never talks to a cluster (unit tests, rendering YAML) does not pay for loading it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import type * as k8s from "@kubernetes/client-node";
import { PodLike, StageStatus, StatefulSetLike, evaluateStage } from "./stage";

export interface KubeconfigSource {
    /** Kubeconfig contents or a path to it; defaults to $KUBECONFIG, then ~/.kube/config. */
    kubeconfig?: string;
    /** Context name; defaults to the kubeconfig's current-context. */
    context?: string;
}

/** Where a kubeconfig comes from when nothing is given: the first existing file of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(): string | undefined {
    const env = process.env.KUBECONFIG?.split(path.delimiter).find((p) => p && fs.existsSync(p));
    if (env) return env;
    const home = path.join(os.homedir(), ".kube", "config");
    return fs.existsSync(home) ? home : undefined;
}

/** kubernetes:kubeconfig holds either a path or the contents themselves. */
export function isKubeconfigContent(s: string): boolean {
    return s.includes("\n") || s.trimStart().startsWith("{") || s.includes("apiVersion:");
}

/** kubectl flags for a kubeconfig source; contents are written to a private temp file. */
export function kubectlArgs(source: KubeconfigSource | undefined): string[] {
    if (!source) return [];
    const args: string[] = [];
    if (source.kubeconfig) {
        let file = source.kubeconfig;
        if (isKubeconfigContent(file)) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kafka-platform-kubeconfig-"));
            file = path.join(dir, "kubeconfig");
            fs.writeFileSync(file, source.kubeconfig, { mode: 0o600 });
        }
        args.push("--kubeconfig", file);
    }
    if (source.context) args.push("--context", source.context);
    return args;
}

let clientNode: typeof k8s | undefined;
function client(): typeof k8s {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    clientNode ??= require("@kubernetes/client-node") as typeof k8s;
    return clientNode;
}

/**
 * Kubeconfig's `tokenFile` (the field kubectl reads) is not one client-node knows (it reads only
 * `token-file`), and like every path in a kubeconfig it is relative to the file: give it to
 * client-node as an absolute `token-file`.
 */
function withTokenFiles(text: string, baseDir: string): string {
    const doc = yaml.load(text) as { users?: Array<{ user?: Record<string, unknown> }> } | undefined;
    let changed = false;
    for (const u of doc?.users ?? []) {
        const file = u.user?.tokenFile;
        if (typeof file === "string" && !u.user!.token && !u.user!["token-file"]) {
            u.user!["token-file"] = path.resolve(baseDir, file);
            changed = true;
        }
    }
    return changed ? JSON.stringify(doc) : text;
}

/** The reads the stage verdict needs: a real cluster (KubeAccess), or a fake in tests. */
export interface StageReader {
    /** The StatefulSet, or undefined when it does not exist. */
    readStatefulSet(namespace: string, name: string): Promise<StatefulSetLike | undefined>;
    listPods(namespace: string, labelSelector: string): Promise<PodLike[]>;
    /** Call `notify` whenever the StatefulSet or its pods change, until the returned function is called. */
    watchStage?(namespace: string, name: string, labelSelector: string, notify: () => void): () => void;
}

const isNotFound = (err: unknown) => (err as { code?: unknown })?.code === 404;

/** The pod fields the verdict reads, from client-node's typed object. */
function podLike(p: k8s.V1Pod): PodLike {
    return {
        metadata: { name: p.metadata?.name ?? "", labels: p.metadata?.labels, deletionTimestamp: p.metadata?.deletionTimestamp ? String(p.metadata.deletionTimestamp) : undefined },
        status: {
            phase: p.status?.phase,
            conditions: p.status?.conditions?.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
            containerStatuses: p.status?.containerStatuses?.map((c) => ({
                name: c.name,
                ready: c.ready,
                state: c.state?.waiting ? { waiting: { reason: c.state.waiting.reason, message: c.state.waiting.message } } : {},
            })),
        },
    };
}

function statefulSetLike(s: k8s.V1StatefulSet): StatefulSetLike {
    return {
        metadata: { name: s.metadata?.name ?? "", generation: s.metadata?.generation },
        spec: { replicas: s.spec?.replicas, updateStrategy: { rollingUpdate: { partition: s.spec?.updateStrategy?.rollingUpdate?.partition } } },
        status: s.status
            ? {
                  observedGeneration: s.status.observedGeneration,
                  updateRevision: s.status.updateRevision,
                  currentRevision: s.status.currentRevision,
                  readyReplicas: s.status.readyReplicas,
                  updatedReplicas: s.status.updatedReplicas,
              }
            : undefined,
    };
}

/** A cluster as a kubeconfig reaches it. */
export class KubeAccess implements StageReader {
    private constructor(readonly config: k8s.KubeConfig) {}

    /** Load a kubeconfig (contents or path; the default one when not given) and pick its context. */
    static load(source: KubeconfigSource = {}): KubeAccess {
        const { KubeConfig } = client();
        const kc = new KubeConfig();
        let text: string;
        let baseDir: string;
        if (source.kubeconfig && isKubeconfigContent(source.kubeconfig)) {
            text = source.kubeconfig;
            baseDir = process.cwd();
        } else {
            const file = source.kubeconfig ?? defaultKubeconfigPath();
            if (!file) throw new Error("no kubeconfig: set KUBECONFIG or kubernetes:kubeconfig");
            text = fs.readFileSync(file, "utf8");
            baseDir = path.dirname(path.resolve(file));
        }
        kc.loadFromString(withTokenFiles(text, baseDir));
        kc.makePathsAbsolute(baseDir);
        // client-node talks plain HTTP (`kubectl proxy`, an insecure port) only when told to skip a
        // TLS verification that cannot happen there anyway; kubectl just connects.
        kc.clusters = kc.clusters.map((c) => (c.server.startsWith("http:") ? { ...c, skipTLSVerify: true } : c));
        const context = source.context ?? kc.getCurrentContext();
        if (!context || !kc.getContextObject(context)) throw new Error(`kubeconfig has no context ${JSON.stringify(context)}`);
        kc.setCurrentContext(context);
        const cluster = kc.getCurrentCluster();
        if (!cluster) throw new Error(`kubeconfig has no cluster for context ${JSON.stringify(context)}`);
        return new KubeAccess(kc);
    }

    async readStatefulSet(namespace: string, name: string): Promise<StatefulSetLike | undefined> {
        const apps = this.config.makeApiClient(client().AppsV1Api);
        try {
            return statefulSetLike(await apps.readNamespacedStatefulSet({ name, namespace }));
        } catch (err) {
            if (isNotFound(err)) return undefined;
            throw err;
        }
    }

    async listPods(namespace: string, labelSelector: string): Promise<PodLike[]> {
        const core = this.config.makeApiClient(client().CoreV1Api);
        return (await core.listNamespacedPod({ namespace, labelSelector })).items.map(podLike);
    }

    /**
     * Watch the pods and the StatefulSet, calling `onEvent` with each event; a watch the server
     * closes (they time out) is opened again after a second, until the returned function is called.
     */
    watch(apiPath: string, query: Record<string, string>, onEvent: (type: string, object: any) => void): () => void {
        const w = new (client().Watch)(this.config);
        let stopped = false;
        let current: AbortController | undefined;
        let retry: NodeJS.Timeout | undefined;
        const open = () => {
            if (stopped) return;
            w.watch(apiPath, query, onEvent, () => {
                if (!stopped) retry = setTimeout(open, 1000);
            })
                .then((c) => {
                    current = c;
                    if (stopped) c.abort();
                })
                .catch(() => {
                    if (!stopped) retry = setTimeout(open, 1000);
                });
        };
        open();
        return () => {
            stopped = true;
            if (retry) clearTimeout(retry);
            current?.abort();
        };
    }

    watchStage(namespace: string, name: string, labelSelector: string, notify: () => void): () => void {
        const stops = [
            this.watch(`/api/v1/namespaces/${namespace}/pods`, { labelSelector }, () => notify()),
            this.watch(`/apis/apps/v1/namespaces/${namespace}/statefulsets`, { fieldSelector: `metadata.name=${name}` }, () => notify()),
        ];
        return () => stops.forEach((s) => s());
    }
}

/** The stage a StatefulSet is at, judged by evaluateStage; undefined when the StatefulSet does not exist. */
export async function readStage(reader: StageReader, namespace: string, name: string, labelSelector: string): Promise<StageStatus | undefined> {
    const sts = await reader.readStatefulSet(namespace, name);
    if (!sts) return undefined;
    return evaluateStage(sts, await reader.listPods(namespace, labelSelector));
}
