import * as assert from "assert";
import { rolloutPartitionStep } from "../../../policies/rules/rollout-step";
import { validateResource } from "../../helpers/policy-args";
import { kafkaStatefulSet, set, sts, zkStatefulSet } from "./fixtures";

const PARTITION = "spec.updateStrategy.rollingUpdate.partition";
const policy = rolloutPartitionStep();
const check = (props: Record<string, any>, config: object = {}) => validateResource(policy, sts(props), config);
const kafkaAt = (partition: unknown) => set(kafkaStatefulSet(), PARTITION, partition);

describe("policy rollout-partition-step", () => {
    it("passes any valid partition when the driver passed no previous partition", async () => {
        assert.deepStrictEqual((await check(kafkaAt(0))).violations, []);
        assert.deepStrictEqual((await check(kafkaAt(7))).violations, []);
    });

    it("passes a StatefulSet without an update strategy, whose partition is 0", async () => {
        assert.deepStrictEqual((await check(set(kafkaStatefulSet(), "spec.updateStrategy", undefined))).violations, []);
    });

    it("fails a negative partition, naming the stack setting", async () => {
        assert.deepStrictEqual((await check(kafkaAt(-1))).violations, [
            "StatefulSet streaming/kafka violates rollout-partition-step: its RollingUpdate partition is -1, not a non-negative integer. " +
                "Fix: set spec.updateStrategy.rollingUpdate.partition (kafka.partition) to a whole number from 0 (roll every pod) to 3 (stage the change, roll none).",
        ]);
    });

    it("fails a fractional or string partition", async () => {
        assert.match((await check(kafkaAt(1.5))).violations[0], /its RollingUpdate partition is 1\.5, not a non-negative integer/);
        assert.match((await check(kafkaAt("2"))).violations[0], /its RollingUpdate partition is "2", not a non-negative integer/);
    });

    it("fails a partition jump of 3 with maxStep 1", async () => {
        const result = await check(kafkaAt(0), { previousPartition: { kafka: 3, zk: 0 }, maxStep: 1 });
        assert.deepStrictEqual(result.violations, [
            "StatefulSet streaming/kafka violates rollout-partition-step: its partition drops from 3 to 0 in one update, rolling 3 pods " +
                "(ordinals 0..2) where at most 1 may roll per update. Fix: lower the partition (kafka.partition) by at most 1 per update " +
                "(next: 2) and let each stage become Ready before the next.",
        ]);
    });

    it("passes a step of one, the canary and each stage after it", async () => {
        assert.deepStrictEqual((await check(kafkaAt(2), { previousPartition: { kafka: 3 } })).violations, []);
        assert.deepStrictEqual((await check(kafkaAt(0), { previousPartition: { kafka: 1 } })).violations, []);
    });

    it("passes raising the partition, which stages a new change and rolls nothing", async () => {
        assert.deepStrictEqual((await check(kafkaAt(3), { previousPartition: { kafka: 0 } })).violations, []);
    });

    it("compares pods, not numbers: partitions at or above replicas all mean none rolled", async () => {
        assert.deepStrictEqual((await check(kafkaAt(2), { previousPartition: { kafka: 10 } })).violations, []);
        assert.match((await check(kafkaAt(0), { previousPartition: { kafka: 10 } })).violations[0], /drops from 10 to 0 in one update, rolling 3 pods \(ordinals 0\.\.2\)/);
    });

    it("passes a larger step where policy config raises maxStep", async () => {
        assert.deepStrictEqual((await check(kafkaAt(0), { previousPartition: { kafka: 3 }, maxStep: 3 })).violations, []);
    });

    it("reads each StatefulSet's own previous partition, by metadata.name", async () => {
        const config = { previousPartition: { kafka: 3, zk: 1 } };
        assert.deepStrictEqual((await validateResource(policy, sts(set(zkStatefulSet(), PARTITION, 0)), config)).violations, []);
        const [message] = (await validateResource(policy, sts(set(zkStatefulSet(), PARTITION, 0)), { previousPartition: { zk: 3 } })).violations;
        assert.match(message, /^StatefulSet streaming\/zk violates rollout-partition-step: .* lower the partition \(zookeeper\.partition\)/);
    });

    it("ignores OnDelete StatefulSets, whose pods roll only when deleted by hand", async () => {
        const props = set(kafkaStatefulSet(), "spec.updateStrategy", { type: "OnDelete" });
        assert.deepStrictEqual((await check(props, { previousPartition: { kafka: 3 } })).violations, []);
    });
});
