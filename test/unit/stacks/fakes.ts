// Fakes for the stacks/ tests: a StatefulSet controller that rolls instantly, a StageReader
// over it, and a workspace whose `up` applies the partition to that cluster. Also scratch folders
// that are removed when the run ends.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { StageReader } from "../../../rollout/kube";
import { PodLike, StatefulSetLike } from "../../../rollout/stage";
import { parseConfig } from "../../../components/config";
import type { ExecFn } from "../../../rollout/gates";
import type { MigrationStep } from "../../../components/migration";
import { MigrationWorkspace, OperationIO, OperationResult, RolloutWorkspace, StackState, StageRequest, StateResource } from "../../../stacks/workspace";

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

// ---------------------------------------------------------------------------------------------
// The migration: a cluster whose controllers answer kubectl exec (JmxTool, kafka-metadata-quorum.sh,
// kafka-topics.sh, zkCli.sh) from the phase last deployed, and a workspace whose config is
// kafka.migration / kafka.metadata.

export const MIGRATION_CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg";

/** The controllers' ZkMigrationState once a phase's up is done (Kafka 3.9's values). */
const STATE_AFTER: Record<string, number | undefined> = { controllers: 2, "brokers-migrating": 1, "brokers-kraft": 1, finalized: 3 };

/**
 * What kubectl exec finds in the pods after the phase last deployed. `lagging` holds a reading back
 * for that many JmxTool runs per pod (the migration completes some time after the brokers register);
 * `stuck` never lets ZkMigrationState reach the phase's value (a broker that never registers).
 */
export class FakeMigrationCluster {
    /** The deployed position: a kafka.migration value, or "kraft". */
    deployed: string;
    lagging = 0;
    stuck = new Set<string>();
    underReplicated = false;
    znodes = new Set<string>(["/controller", "/migration", "/cluster/id"]);
    readonly execs: string[][] = [];
    private jmxReads = new Map<string, number>();

    constructor(deployed = "none", public readonly controllers = 3) {
        this.deployed = deployed;
    }

    /** What the last phase means for the controllers' gauges. */
    private gauge(pod: string, metric: string): number | undefined {
        const reads = (this.jmxReads.get(pod) ?? 0) + 1;
        this.jmxReads.set(pod, reads);
        const want = STATE_AFTER[this.deployed];
        if (want === undefined) return undefined;
        if (metric === "MigratingZkBrokerCount") return this.deployed === "brokers-kraft" || this.deployed === "finalized" ? 0 : 3;
        if (this.stuck.has(this.deployed)) return this.deployed === "brokers-migrating" ? 2 : 1;
        return reads <= this.lagging ? (this.deployed === "brokers-migrating" ? 2 : want) : want;
    }

    readonly exec: ExecFn = async (_cmd, args) => {
        this.execs.push(args);
        const pod = args[args.indexOf("exec") + 1];
        const controllersUp = this.deployed === "kraft" || ["controllers", "brokers-migrating", "brokers-kraft", "finalized"].includes(this.deployed);
        if (args.includes("org.apache.kafka.tools.JmxTool")) {
            const metric = /name=(\w+)$/.exec(args[args.indexOf("--object-name") + 1])![1];
            const v = controllersUp ? this.gauge(pod, metric) : undefined;
            if (v === undefined) return { code: 1, stdout: "", stderr: `Error from server (NotFound): pods "${pod}" not found` };
            return { code: 0, stdout: `time=1\nkafka.controller:type=KafkaController,name=${metric}:Value=${v}\n`, stderr: "" };
        }
        if (args.some((a) => a.endsWith("kafka-metadata-quorum.sh"))) {
            if (!controllersUp) return { code: 1, stdout: "", stderr: `Error from server (NotFound): pods "${pod}" not found` };
            const voters = Array.from({ length: this.controllers }, (_, i) => `{"id": ${3000 + i}, "directoryId": null, "endpoints": []}`).join(", ");
            return { code: 0, stdout: `ClusterId: ${MIGRATION_CLUSTER_ID}\nLeaderId: 3000\nMaxFollowerLag: 0\nCurrentVoters: [${voters}]\n`, stderr: "" };
        }
        if (args.includes("sh") && args.some((a) => a.includes("kafka-topics.sh"))) {
            const script = args[args.length - 1];
            const under = this.underReplicated && script.includes("--under-replicated-partitions");
            const listing = under ? "\tTopic: test\tPartition: 0\tLeader: 1\tReplicas: 1,2,0\tIsr: 1,2\n" : "";
            return { code: 0, stdout: `${listing}kafka-gate: kafka-topics.sh answered\n`, stderr: "" };
        }
        if (args.includes("zkCli.sh")) {
            const [command, znode] = args.slice(-2);
            if (!this.znodes.has(znode)) return { code: 1, stdout: "", stderr: `Node does not exist: ${znode}` };
            if (command === "delete") this.znodes.delete(znode);
            return { code: 0, stdout: command === "get" ? `{"version":0,"kraft_controller_id":3000,"kraft_metadata_offset":1523}\n` : "", stderr: "" };
        }
        return { code: 127, stdout: "", stderr: `unexpected exec: ${args.join(" ")}` };
    };
}

export interface FakeMigrationWorkspaceOptions {
    cluster: FakeMigrationCluster;
    /** kafka.migration in stack config; the cluster's by default ("kraft": kafka.metadata kraft with finalized). */
    phase?: string;
    clusterId?: string;
    partition?: number;
    controllersPartition?: number;
    /** Raw kafka config laid over the phase's (kafka.metadata, ...). */
    kafka?: Record<string, unknown>;
    stack?: string;
}

/** A workspace over a FakeMigrationCluster: config edits are recorded, up deploys the configured phase. */
export class FakeMigrationWorkspace implements MigrationWorkspace {
    readonly mode = "local" as const;
    readonly stackName: string;
    readonly configFile: string;
    /** Stack config as `pulumi config` holds it (kafka.* keys by path). */
    config: Record<string, string | undefined>;
    readonly calls: string[] = [];
    readonly previews: StageRequest[] = [];
    readonly ups: StageRequest[] = [];
    /** Protect flag of the StatefulSets in state, by resource name. */
    readonly protectedNames = new Set(["zk-statefulset", "kafka-controller-statefulset", "kafka-statefulset"]);
    failUp = new Map<string, string[]>();
    failPreview = new Map<string, string[]>();

    constructor(readonly o: FakeMigrationWorkspaceOptions) {
        this.stackName = o.stack ?? "dev";
        this.configFile = `/repo/Pulumi.${this.stackName}.yaml`;
        const phase = o.phase ?? o.cluster.deployed;
        this.config = {
            "kafka.metadata": phase === "kraft" ? "kraft" : "zookeeper",
            "kafka.migration": phase === "kraft" ? "finalized" : phase,
            // Valid at none too (a rollback keeps it); set past none as validation requires.
            "kafka.clusterId": phase === "none" ? o.clusterId : (o.clusterId ?? MIGRATION_CLUSTER_ID),
            "kafka.partition": String(o.partition ?? 0),
            "kafka.controllers.partition": phase === "none" ? undefined : String(o.controllersPartition ?? 0),
        };
    }

    /** Where config is: kafka.migration, or "kraft". */
    get position(): string {
        return this.config["kafka.metadata"] === "kraft" ? "kraft" : this.config["kafka.migration"]!;
    }

    async read(): Promise<StackState> {
        const c = this.config;
        const kafka: Record<string, unknown> = { metadata: c["kafka.metadata"], migration: c["kafka.migration"], partition: Number(c["kafka.partition"]), ...this.o.kafka };
        if (c["kafka.clusterId"] !== undefined) kafka.clusterId = c["kafka.clusterId"];
        if (c["kafka.controllers.partition"] !== undefined) kafka.controllers = { partition: Number(c["kafka.controllers.partition"]) };
        const config = parseConfig({ kafka });
        const deployed = this.o.cluster.deployed;
        return {
            config,
            partition: config.kafka.partition,
            replicas: config.kafka.replicas,
            namespace: config.namespace,
            deployedPartition: 0,
            deployedStep: deployed === "none" ? "zookeeper" : (deployed as MigrationStep),
            deployedControllerPartition: deployed === "none" || deployed === "controllers-removed" ? undefined : 0,
            kubeconfig: { kubeconfig: "/fake/kubeconfig" },
        };
    }

    async setPartition(partition: number): Promise<void> {
        this.calls.push(`config kafka.partition ${partition}`);
        this.config["kafka.partition"] = String(partition);
    }

    async setConfigValue(key: string, value: string): Promise<void> {
        this.calls.push(`config ${key} ${value}`);
        this.config[key] = value;
    }

    async removeConfigValue(key: string): Promise<void> {
        this.calls.push(`config rm ${key}`);
        for (const k of Object.keys(this.config)) if (k === key || k.startsWith(`${key}.`)) this.config[k] = undefined;
    }

    async findResource(type: string, name: string): Promise<StateResource | undefined> {
        const deployed = this.o.cluster.deployed;
        const inState =
            type === "kubernetes:apps/v1:StatefulSet" &&
            (name === "kafka-statefulset" ||
                (name === "zk-statefulset" && deployed !== "kraft") ||
                (name === "kafka-controller-statefulset" && deployed !== "none" && deployed !== "controllers-removed"));
        if (!inState) return undefined;
        const component = name === "zk-statefulset" ? "ZooKeeper" : name === "kafka-statefulset" ? "Kafka" : "KafkaControllers";
        return { urn: `urn:pulumi:${this.stackName}::kafka-platform::kafka-platform:index:${component}$kubernetes:apps/v1:StatefulSet::${name}`, protect: this.protectedNames.has(name) };
    }

    async unprotect(urn: string): Promise<void> {
        this.calls.push(`unprotect ${urn.split("::").pop()}`);
        this.protectedNames.delete(urn.split("::").pop()!);
    }

    async preview(req: StageRequest): Promise<OperationResult> {
        this.calls.push(`preview ${this.position}`);
        this.previews.push(req);
        const fail = this.failPreview.get(this.position);
        return fail ? { ok: false, reasons: fail, warnings: [] } : { ok: true, reasons: [], warnings: [], changes: { same: 9, update: 1 } };
    }

    async up(req: StageRequest): Promise<OperationResult> {
        this.calls.push(`up ${this.position}`);
        this.ups.push(req);
        const fail = this.failUp.get(this.position);
        if (fail) return { ok: false, reasons: fail, warnings: [] };
        // A protected StatefulSet the update would delete fails it, as the engine does.
        const deletes = this.position === "kraft" ? "zk-statefulset" : ["none", "controllers-removed"].includes(this.position) && this.o.cluster.deployed !== "none" && this.o.cluster.deployed !== "controllers-removed" ? "kafka-controller-statefulset" : undefined;
        if (deletes && this.protectedNames.has(deletes)) return { ok: false, reasons: [`resource ${deletes} is protected`], warnings: [] };
        this.o.cluster.deployed = this.position;
        return { ok: true, reasons: [], warnings: [], changes: { same: 9, update: 1 } };
    }

    async cancel(): Promise<void> {
        this.calls.push("cancel");
    }
}
