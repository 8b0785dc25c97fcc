// Polls a StatefulSet and its pods until `evaluateStage` says the stage is done, or fails after a
// timeout with a message that names each pod holding it back and why.
import { KubeClient } from "./kube-client";
import { PodLike, StageStatus, StatefulSetLike, evaluateStage } from "./rollout-gate";

export interface AwaitStageArgs {
    client: KubeClient;
    namespace: string;
    /** StatefulSet name. */
    name: string;
    /** Label query for its pods (`app=kafka`). */
    labelQuery: string;
    timeoutSeconds: number;
    /** The config key that sets the timeout, named in the failure message. */
    timeoutKey: string;
    /** Called when the summary changes. */
    onProgress?: (status: StageStatus, elapsedSeconds: number) => void;
    pollMs?: number;
}

export class RolloutStageError extends Error {
    constructor(message: string, public readonly status?: StageStatus) {
        super(message);
        this.name = "RolloutStageError";
    }
}

/** Hints for failures users cannot act on from the raw scheduler message alone. */
function hints(status: StageStatus): string[] {
    const out: string[] = [];
    if (status.waitingOn.some((w) => /anti-affinity/.test(w))) {
        out.push(
            `required anti-affinity puts one ${status.name} pod per node and there are fewer schedulable nodes than ${status.replicas} replicas: ` +
                `add nodes, or for a single-node dev cluster set ${status.name === "kafka" ? "kafka.antiAffinity" : "the anti-affinity"} to "preferred"`,
        );
    }
    const pending = status.ordinals.filter((o) => o.exists && /^Pending: Unschedulable/.test(o.reason ?? "")).map((o) => o.pod);
    if (pending.length > 0) {
        out.push(
            `the StatefulSet controller does not roll while a pod is unavailable: after fixing the config, ` +
                `delete the stuck pod (kubectl delete pod ${pending.join(" ")}) so it is recreated from the new template`,
        );
    }
    return out;
}

export async function fetchStage(client: KubeClient, namespace: string, name: string, labelQuery: string): Promise<StageStatus | undefined> {
    const sts = await client.get<StatefulSetLike>(`/apis/apps/v1/namespaces/${namespace}/statefulsets/${name}`);
    if (!sts) return undefined;
    const pods = await client.get<{ items: PodLike[] }>(
        `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(labelQuery)}`,
    );
    return evaluateStage(sts, pods?.items ?? []);
}

export async function awaitStage(a: AwaitStageArgs): Promise<StageStatus> {
    const started = Date.now();
    const elapsed = () => Math.round((Date.now() - started) / 1000);
    let lastSummary = "";
    let last: StageStatus | undefined;
    let lastError: unknown;
    for (;;) {
        try {
            last = await fetchStage(a.client, a.namespace, a.name, a.labelQuery);
            lastError = undefined;
        } catch (err) {
            // A passing API error is retried until the deadline; the last one is reported.
            lastError = err;
        }
        if (last) {
            if (last.summary !== lastSummary) {
                lastSummary = last.summary;
                a.onProgress?.(last, elapsed());
            }
            if (last.done) return last;
        }
        if (elapsed() >= a.timeoutSeconds) {
            const lines = last
                ? [
                      `${a.name} rollout stage not done after ${a.timeoutSeconds}s (${a.timeoutKey}): ${last.summary}`,
                      ...last.waitingOn.map((w) => `  waiting on ${w}`),
                      ...hints(last).map((h) => `  hint: ${h}`),
                  ]
                : [`${a.name}: StatefulSet ${a.namespace}/${a.name} not readable after ${a.timeoutSeconds}s: ${String(lastError ?? "not found")}`];
            throw new RolloutStageError(lines.join("\n"), last);
        }
        await new Promise((r) => setTimeout(r, a.pollMs ?? 1000));
    }
}
