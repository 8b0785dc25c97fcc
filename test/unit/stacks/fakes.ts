// Fakes for the stacks/ tests: a StatefulSet controller that rolls instantly, a StageReader
// over it, and a workspace whose `up` applies the partition to that cluster. Also scratch folders
// that are removed when the run ends.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { StageReader } from "../../../rollout/kube";
import { PodLike, StatefulSetLike } from "../../../rollout/stage";
import { parseConfig } from "../../../components/config";
import { OperationIO, OperationResult, RolloutWorkspace, StackState, StageRequest } from "../../../stacks/workspace";

export const OLD = "kafka-5d8f7c6b9";
export const NEW = "kafka-7c9d4f5a1";

/**
 * A kafka StatefulSet whose template already changed (update revision NEW): applying a partition
 * rolls every pod at an ordinal >= partition to NEW at once. Pods in `broken` come up not Ready.
 */
export class FakeCluster {
    partition: number;
    readonly revisions: string[];
    readonly broken = new Set<number>();
    generation = 1;
    /** Every read, in order: "statefulset <ns>/<name>", "pods <ns> <selector>". */
    reads: string[] = [];

    constructor(
        public readonly replicas = 3,
        partition = replicas,
        public readonly namespace = "default",
    ) {
        this.partition = partition;
        this.revisions = Array.from({ length: replicas }, () => OLD);
        this.apply(partition);
    }

    apply(partition: number) {
        this.partition = partition;
        this.generation++;
        for (let i = partition; i < this.replicas; i++) this.revisions[i] = NEW;
    }

    statefulSet(): StatefulSetLike {
        return {
            metadata: { name: "kafka", generation: this.generation },
            spec: { replicas: this.replicas, updateStrategy: { rollingUpdate: { partition: this.partition } } },
            status: { observedGeneration: this.generation, updateRevision: NEW, currentRevision: OLD },
        };
    }

    pods(): PodLike[] {
        return this.revisions.map((rev, i) => {
            const ready = !(this.broken.has(i) && rev === NEW);
            return {
                metadata: { name: `kafka-${i}`, labels: { app: "kafka", "controller-revision-hash": rev } },
                status: {
                    phase: "Running",
                    conditions: [{ type: "Ready", status: ready ? "True" : "False", reason: ready ? undefined : "ContainersNotReady" }],
                    containerStatuses: ready ? [] : [{ name: "kafka", ready: false, state: { waiting: { reason: "CrashLoopBackOff" } } }],
                },
            };
        });
    }

    /** The reads of the stage verdict over this cluster. */
    readonly reader: StageReader = {
        readStatefulSet: async (namespace, name) => {
            this.reads.push(`statefulset ${namespace}/${name}`);
            return namespace === this.namespace && name === "kafka" ? this.statefulSet() : undefined;
        },
        listPods: async (namespace, labelSelector) => {
            this.reads.push(`pods ${namespace} ${labelSelector}`);
            return namespace === this.namespace && labelSelector === "app=kafka" ? this.pods() : [];
        },
    };
}

export interface FakeWorkspaceOptions {
    cluster: FakeCluster;
    /** kafka.partition in stack config; the cluster's partition by default. */
    partition?: number;
    /** The kafkaPartition output. */
    deployed?: number;
    stack?: string;
    mode?: "local" | "remote";
}

/** A workspace over a FakeCluster: setPartition edits "config", up applies it to the cluster. */
export class FakeWorkspace implements RolloutWorkspace {
    readonly mode: "local" | "remote";
    readonly stackName: string;
    readonly configFile: string;
    partition: number;
    deployed?: number;
    readonly calls: string[] = [];
    readonly previews: StageRequest[] = [];
    readonly ups: StageRequest[] = [];
    cancelled = 0;
    /** Make preview or up fail at a partition, with these reasons. */
    failPreview = new Map<number, string[]>();
    failUp = new Map<number, string[]>();
    /** Runs inside up, before it returns (e.g. to press Ctrl-C mid-update). */
    duringUp?: (req: StageRequest, io: OperationIO) => Promise<void> | void;

    constructor(readonly o: FakeWorkspaceOptions) {
        this.mode = o.mode ?? "local";
        this.stackName = o.stack ?? "dev";
        this.configFile = `/repo/Pulumi.${this.stackName}.yaml`;
        this.partition = o.partition ?? o.cluster.partition;
        this.deployed = o.deployed ?? o.cluster.partition;
    }

    async read(): Promise<StackState> {
        const config = parseConfig({ kafka: { replicas: this.o.cluster.replicas, partition: this.partition } });
        return {
            config,
            partition: this.partition,
            replicas: config.kafka.replicas,
            namespace: config.namespace,
            deployedPartition: this.deployed,
            kubeconfig: { kubeconfig: "/fake/kubeconfig" },
        };
    }

    async setPartition(partition: number): Promise<void> {
        this.calls.push(`config ${partition}`);
        this.partition = partition;
    }

    async preview(req: StageRequest): Promise<OperationResult> {
        this.calls.push(`preview ${req.partition}`);
        this.previews.push(req);
        const fail = this.failPreview.get(req.partition);
        return fail ? { ok: false, reasons: fail, warnings: [] } : { ok: true, reasons: [], warnings: [], changes: { same: 9, update: 1 } };
    }

    async up(req: StageRequest, io: OperationIO): Promise<OperationResult> {
        this.calls.push(`up ${req.partition}`);
        this.ups.push(req);
        await this.duringUp?.(req, io);
        if (io.signal?.aborted) return { ok: false, reasons: ["update cancelled"], warnings: [] };
        const fail = this.failUp.get(req.partition);
        if (fail) return { ok: false, reasons: fail, warnings: [] };
        this.o.cluster.apply(req.partition);
        this.deployed = req.partition;
        return { ok: true, reasons: [], warnings: [], changes: { same: 9, update: 1 } };
    }

    async cancel(): Promise<void> {
        this.calls.push("cancel");
        this.cancelled++;
    }
}

const scratch: string[] = [];

/** A temp folder, removed after the test run. */
export function scratchDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    scratch.push(dir);
    return dir;
}

/** Remove a folder made by code under test after the run. */
export function removeLater(dir: string) {
    scratch.push(dir);
}

after(() => {
    for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Sleep that takes no time, recording what was asked. */
export function instantSleep(log: number[] = []) {
    return async (ms: number) => {
        log.push(ms);
    };
}

/** A clock that moves 1 s on every read, so polls time out without waiting. */
export function tickingClock(start = Date.parse("2026-01-01T00:00:00Z")) {
    let t = start;
    return () => (t += 1000);
}
