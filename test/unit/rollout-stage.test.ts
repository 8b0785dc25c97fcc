import * as assert from "assert";
import { PodLike, StatefulSetLike, evaluateStage } from "../../rollout/stage";

const OLD = "kafka-5d8f7c6b9";
const NEW = "kafka-7c9d4f5a1";

function sts(partition: number, opts: { replicas?: number; generation?: number; observed?: number } = {}): StatefulSetLike {
    return {
        metadata: { name: "kafka", generation: opts.generation ?? 2 },
        spec: { replicas: opts.replicas ?? 3, updateStrategy: { rollingUpdate: { partition } } },
        status: { observedGeneration: opts.observed ?? opts.generation ?? 2, updateRevision: NEW, currentRevision: OLD },
    };
}

function pod(ordinal: number, revision: string, ready = true, extra: Partial<PodLike["status"]> = {}): PodLike {
    return {
        metadata: { name: `kafka-${ordinal}`, labels: { app: "kafka", "controller-revision-hash": revision } },
        status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }], ...extra },
    };
}

describe("the rollout stage gate", () => {
    it("is done for partition 2 once kafka-2 runs the new revision and every pod is Ready", () => {
        const s = evaluateStage(sts(2), [pod(0, OLD), pod(1, OLD), pod(2, NEW)]);
        assert.ok(s.done, s.waitingOn.join("; "));
        assert.strictEqual(s.summary, "kafka partition 2: 1/1 updated and Ready, 3/3 Ready");
    });

    it("waits while the canary still runs the old revision", () => {
        const s = evaluateStage(sts(2), [pod(0, OLD), pod(1, OLD), pod(2, OLD)]);
        assert.ok(!s.done);
        assert.deepStrictEqual(s.waitingOn, [`kafka-2: at revision ${OLD}, waiting for ${NEW}`]);
    });

    it("waits while the updated canary is not Ready, and says why", () => {
        const s = evaluateStage(sts(2), [pod(0, OLD), pod(1, OLD), pod(2, NEW, false)]);
        assert.ok(!s.done);
        assert.match(s.waitingOn[0], /^kafka-2: Running, not Ready/);
    });

    it("does not require pods below the partition to update", () => {
        assert.ok(evaluateStage(sts(1), [pod(0, OLD), pod(1, NEW), pod(2, NEW)]).done);
        assert.ok(!evaluateStage(sts(0), [pod(0, OLD), pod(1, NEW), pod(2, NEW)]).done);
    });

    it("is done at once with a partition at or above replicas when the pods are Ready", () => {
        const s = evaluateStage(sts(3), [pod(0, OLD), pod(1, OLD), pod(2, OLD)]);
        assert.ok(s.done);
        assert.strictEqual(s.summary, "kafka partition 3: 0/0 updated and Ready, 3/3 Ready");
        assert.ok(evaluateStage(sts(100), [pod(0, OLD), pod(1, OLD), pod(2, OLD)]).done);
    });

    it("waits until the controller has observed the new generation", () => {
        const s = evaluateStage(sts(0, { generation: 3, observed: 2 }), [pod(0, NEW), pod(1, NEW), pod(2, NEW)]);
        assert.ok(!s.done);
        assert.match(s.waitingOn[0], /has not observed/);
    });

    it("names a missing pod and an unschedulable pod with the scheduler's message", () => {
        const pending: PodLike = {
            metadata: { name: "kafka-2", labels: { "controller-revision-hash": NEW } },
            status: {
                phase: "Pending",
                conditions: [
                    {
                        type: "PodScheduled",
                        status: "False",
                        reason: "Unschedulable",
                        message: "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.",
                    },
                ],
            },
        };
        const s = evaluateStage(sts(0), [pod(0, NEW), pending]);
        assert.deepStrictEqual(s.waitingOn, [
            "kafka-1: not created yet",
            "kafka-2: Pending: Unschedulable: 0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.",
        ]);
    });

    it("does not count a terminating pod as Ready", () => {
        const terminating = pod(2, NEW);
        terminating.metadata.deletionTimestamp = "2026-11-27T00:00:00Z";
        assert.ok(!evaluateStage(sts(2), [pod(0, OLD), pod(1, OLD), terminating]).done);
    });
});
