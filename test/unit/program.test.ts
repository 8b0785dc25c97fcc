import * as assert from "assert";
import { selectorMatches } from "../../components/labels";
import { runProgram } from "../helpers/program";

const STS = "kubernetes:apps/v1:StatefulSet";
const SVC = "kubernetes:core/v1:Service";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

describe("the program", () => {
    it("registers the seed's objects under the seed's names", async () => {
        const run = await runProgram({});
        for (const [type, name] of [
            [STS, "kafka"],
            [SVC, "kafka-hs"],
            [PDB, "kafka-pdb"],
            [STS, "zk"],
            [SVC, "zk-hs"],
            [SVC, "zk-cs"],
            [PDB, "zk-pdb"],
            ["kubernetes:core/v1:ConfigMap", "zk-config"],
        ]) {
            assert.strictEqual(run.object(type, name).inputs.metadata.namespace, "default");
        }
        assert.match(run.object("kubernetes:batch/v1:Job", run.outputs.topicsJob as string).inputs.metadata.name, /^kafka-topics-[0-9a-f]{10}$/);
    });

    it("exports bootstrap servers, the connect string, the partition and the seed's watch command", async () => {
        const { outputs } = await runProgram({ kafka: { partition: 2 } });
        assert.strictEqual(outputs.bootstrapServers, [0, 1, 2].map((i) => `kafka-${i}.kafka-hs.default.svc.cluster.local:9093`).join(","));
        assert.strictEqual(outputs.zookeeperConnect, "zk-cs.default.svc.cluster.local:2181");
        assert.strictEqual(outputs.kafkaPartition, 2);
        assert.strictEqual(outputs.watchCommand, "kubectl get po -l app=kafka -w");
    });

    it("propagates replicas 5, cpu 250m and partition 2 from stack config to the kafka StatefulSet", async () => {
        const run = await runProgram({ kafka: { replicas: 5, cpu: "250m", partition: 2 } });
        const spec = run.object(STS, "kafka").inputs.spec;
        assert.strictEqual(spec.replicas, 5);
        assert.strictEqual(spec.template.spec.containers[0].resources.requests.cpu, "250m");
        assert.deepStrictEqual(spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { partition: 2 } });
        assert.strictEqual((run.outputs.bootstrapServers as string).split(",").length, 5);
    });

    it("leaves the pod template byte-identical when only kafka.partition changes", async () => {
        const before = (await runProgram({ kafka: { partition: 0 } })).object(STS, "kafka").inputs.spec;
        const after = (await runProgram({ kafka: { partition: 2 } })).object(STS, "kafka").inputs.spec;
        assert.strictEqual(JSON.stringify(after.template), JSON.stringify(before.template));
        assert.notDeepStrictEqual(after.updateStrategy, before.updateStrategy);
    });

    it("changes only the pod template's CPU request when kafka.cpu changes", async () => {
        const before = (await runProgram({ kafka: { cpu: "500m" } })).object(STS, "kafka").inputs.spec;
        const after = (await runProgram({ kafka: { cpu: "250m" } })).object(STS, "kafka").inputs.spec;
        const { template: t1, ...rest1 } = before;
        const { template: t2, ...rest2 } = after;
        assert.deepStrictEqual(rest2, rest1);
        t1.spec.containers[0].resources.requests.cpu = "250m";
        assert.strictEqual(JSON.stringify(t2), JSON.stringify(t1));
    });

    it("gives PDBs, Services and anti-affinity selectors that select their own pods and no others", async () => {
        const run = await runProgram({});
        for (const [app, other] of [["kafka", "zk"], ["zk", "kafka"]]) {
            const sts = run.object(STS, app).inputs.spec;
            const labels = sts.template.metadata.labels;
            const otherLabels = run.object(STS, other).inputs.spec.template.metadata.labels;
            const pdb = run.object(PDB, `${app}-pdb`).inputs.spec;
            assert.ok(selectorMatches(pdb.selector, labels), `${app}-pdb selects ${app} pods`);
            assert.ok(!selectorMatches(pdb.selector, otherLabels), `${app}-pdb does not select ${other} pods`);
            assert.strictEqual(pdb.maxUnavailable, 1);
            const anti = sts.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
            assert.ok(selectorMatches(anti.labelSelector, labels), `${app} anti-affinity selects ${app} pods`);
            assert.ok(selectorMatches(sts.selector, labels));
            const hs = run.object(SVC, `${app}-hs`).inputs.spec;
            assert.ok(selectorMatches({ matchLabels: hs.selector }, labels));
        }
        const kafkaAffinity = run.object(STS, "kafka").inputs.spec.template.spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
        assert.ok(selectorMatches(kafkaAffinity.podAffinityTerm.labelSelector, run.object(STS, "zk").inputs.spec.template.metadata.labels));
    });

    it("points the brokers at the ZooKeeper component's connect string in another namespace", async () => {
        const run = await runProgram({ namespace: "streaming" });
        assert.ok(run.resources.some((r) => r.type === "kubernetes:core/v1:Namespace" && r.inputs.metadata.name === "streaming"));
        const command = run.object(STS, "kafka").inputs.spec.template.spec.containers[0].command[2];
        assert.match(command, /zookeeper\.connect=zk-cs\.streaming\.svc\.cluster\.local:2181/);
        assert.strictEqual(run.outputs.watchCommand, "kubectl get po -l app=kafka -w -n streaming");
        assert.ok(run.resources.filter((r) => r.inputs?.metadata?.namespace).every((r) => r.inputs.metadata.namespace === "streaming"));
    });

    it("keeps PVCs when the StatefulSets are scaled down or deleted, skips the provider's partition-blind awaiter and takes hand-patched fields back", async () => {
        const run = await runProgram({});
        for (const name of ["kafka", "zk"]) {
            const sts = run.object(STS, name).inputs;
            assert.strictEqual(sts.metadata.annotations["pulumi.com/skipAwait"], "true");
            assert.strictEqual(sts.metadata.annotations["pulumi.com/patchForce"], "true");
            assert.deepStrictEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
        }
    });

    it("renames the topics Job when the topic list changes, so the new list is created", async () => {
        const a = (await runProgram({})).outputs.topicsJob;
        const b = (await runProgram({ topics: [{ name: "test" }, { name: "orders", partitions: 6 }] })).outputs.topicsJob;
        const c = (await runProgram({ kafka: { partition: 1 } })).outputs.topicsJob;
        assert.notStrictEqual(a, b);
        assert.strictEqual(a, c);
    });
});
