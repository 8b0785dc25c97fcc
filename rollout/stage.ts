// What "this stage of a staged rollout is done" means, as a pure function of API objects.
//
// @pulumi/kubernetes awaits a StatefulSet until .status.currentRevision == .status.updateRevision,
// which never happens while the RollingUpdate partition is above 0, so every staged `pulumi up`
// would hang until its timeout. The platform's StatefulSets skip that awaiter and are awaited here
// instead: a stage with partition P is done when
//   - the controller has observed the spec (status.observedGeneration >= metadata.generation),
//   - every pod at an ordinal >= P runs the update revision and is Ready,
//   - every pod below P is Ready (at whatever revision it had; the controller leaves it alone).
// With P >= replicas nothing is rolled, so the stage is done as soon as the pods are Ready.
//
// Pure: the Pulumi program's await (await.ts), the driver's kubernetes gate (gates.ts) and the
// benchmark all judge a stage here, and nowhere else.

export interface PodCondition {
    type: string;
    status: string;
    reason?: string;
    message?: string;
}

/** The fields of a Pod this module reads. */
export interface PodLike {
    metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
    status?: {
        phase?: string;
        conditions?: PodCondition[];
        containerStatuses?: Array<{ name: string; ready?: boolean; state?: { waiting?: { reason?: string; message?: string } } }>;
    };
}

/** The fields of a StatefulSet this module reads. */
export interface StatefulSetLike {
    metadata: { name: string; generation?: number };
    spec: { replicas?: number; updateStrategy?: { rollingUpdate?: { partition?: number } } };
    status?: { observedGeneration?: number; updateRevision?: string; currentRevision?: string; readyReplicas?: number; updatedReplicas?: number };
}

export interface OrdinalState {
    ordinal: number;
    pod: string;
    exists: boolean;
    /** The pod runs the StatefulSet's update revision. */
    updated: boolean;
    ready: boolean;
    /** Why the pod is not Ready (or missing), for messages. */
    reason?: string;
}

export interface StageStatus {
    name: string;
    partition: number;
    replicas: number;
    updateRevision?: string;
    observed: boolean;
    ordinals: OrdinalState[];
    done: boolean;
    /** One line: "kafka partition 2: 1/1 updated, 3/3 ready". */
    summary: string;
    /** Pods holding the stage back, with reasons; empty when done. */
    waitingOn: string[];
}

export const REVISION_LABEL = "controller-revision-hash";

function podReady(pod: PodLike): boolean {
    return (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True") && !pod.metadata.deletionTimestamp;
}

/** The most specific reason a pod is not Ready that the API offers. */
export function notReadyReason(pod: PodLike | undefined): string {
    if (!pod) return "not created yet";
    if (pod.metadata.deletionTimestamp) return "terminating";
    const sched = (pod.status?.conditions ?? []).find((c) => c.type === "PodScheduled" && c.status === "False");
    if (sched) return `${pod.status?.phase ?? "Pending"}: ${sched.reason ?? "Unschedulable"}: ${sched.message ?? ""}`.trim();
    for (const cs of pod.status?.containerStatuses ?? []) {
        const w = cs.state?.waiting;
        if (w?.reason) return `container ${cs.name} waiting: ${w.reason}${w.message ? `: ${w.message}` : ""}`;
    }
    const ready = (pod.status?.conditions ?? []).find((c) => c.type === "Ready" && c.status !== "True");
    if (ready) return `${pod.status?.phase ?? "Unknown"}, not Ready${ready.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ""})` : ""}`;
    return `${pod.status?.phase ?? "Unknown"}, not Ready`;
}

export function evaluateStage(sts: StatefulSetLike, pods: PodLike[]): StageStatus {
    const name = sts.metadata.name;
    const replicas = sts.spec.replicas ?? 1;
    const partition = sts.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const updateRevision = sts.status?.updateRevision;
    const observed = (sts.status?.observedGeneration ?? 0) >= (sts.metadata.generation ?? 0) && !!updateRevision;
    const byName = new Map(pods.map((p) => [p.metadata.name, p]));

    const ordinals: OrdinalState[] = Array.from({ length: replicas }, (_, ordinal) => {
        const podName = `${name}-${ordinal}`;
        const pod = byName.get(podName);
        const ready = !!pod && podReady(pod);
        const updated = !!pod && !!updateRevision && pod.metadata.labels?.[REVISION_LABEL] === updateRevision;
        return { ordinal, pod: podName, exists: !!pod, updated, ready, reason: ready ? undefined : notReadyReason(pod) };
    });

    const waitingOn: string[] = [];
    if (!observed) waitingOn.push(`${name}: controller has not observed the new spec yet`);
    for (const o of ordinals) {
        const mustUpdate = o.ordinal >= partition;
        if (mustUpdate && o.exists && !o.updated) {
            waitingOn.push(`${o.pod}: at revision ${byName.get(o.pod)?.metadata.labels?.[REVISION_LABEL] ?? "?"}, waiting for ${updateRevision}`);
        } else if (!o.ready) {
            waitingOn.push(`${o.pod}: ${o.reason}`);
        }
    }
    const toUpdate = ordinals.filter((o) => o.ordinal >= partition);
    const summary =
        `${name} partition ${partition}: ${toUpdate.filter((o) => o.updated && o.ready).length}/${toUpdate.length} updated and Ready, ` +
        `${ordinals.filter((o) => o.ready).length}/${replicas} Ready`;
    return { name, partition, replicas, updateRevision, observed, ordinals, done: waitingOn.length === 0, summary, waitingOn };
}

/** Hints for failures users cannot act on from the raw scheduler message alone. */
export function stageHints(status: StageStatus): string[] {
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

/** The message of a stage that did not finish in time: the summary, each pod holding it back, hints. */
export function stageTimeoutMessage(status: StageStatus, timeoutSeconds: number, timeoutKey: string): string {
    return [
        `${status.name} rollout stage not done after ${timeoutSeconds}s (${timeoutKey}): ${status.summary}`,
        ...status.waitingOn.map((w) => `  waiting on ${w}`),
        ...stageHints(status).map((h) => `  hint: ${h}`),
    ].join("\n");
}
