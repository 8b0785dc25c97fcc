// Cluster tier for the staged-rollout driver: the real CLI (`npm run rollout`), the real engine and
// policy pack, a local control plane. Asserted from the API server and the stack's config file.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { TestCluster, clusterScript, kubectlJson, pods, startCluster } from "../helpers/cluster";
import { cli, cliWatching, lastLines } from "../helpers/cli";
import { StackHandle, newStack, setPath } from "../helpers/engine";

function configuredPartition(h: StackHandle): number {
    const doc: any = yaml.load(fs.readFileSync(path.join(h.project.dir, `Pulumi.${h.stack.name}.yaml`), "utf8"));
    return doc.config["kafka-platform:kafka"].partition;
}

async function deployedPartition(cluster: TestCluster): Promise<number> {
    return (await kubectlJson(cluster, "get", "statefulset", "kafka")).spec.updateStrategy.rollingUpdate.partition;
}

/** Stage a template change the way the README says: partition = replicas, then the change, then up. */
async function stageCpuChange(h: StackHandle, cluster: TestCluster, cpu: string) {
    await setPath(h.stack, "kafka.partition", "3");
    await setPath(h.stack, "kafka.cpu", cpu);
    const staged = await cli(h, cluster, "up", "--env", "dev");
    assert.strictEqual(staged.code, 0, staged.out);
}

describe("the staged-rollout driver on a local control plane", function () {
    this.timeout(1_800_000);
    let cluster: TestCluster;
    let h: StackHandle;

    before(async () => {
        cluster = await startCluster({ nodes: 3, startDelay: "1s", readyDelay: "2s" });
        h = await newStack(
            "driver",
            {
                kafka: { replicas: 3, cpu: "500m", partition: 0, rolloutTimeoutSeconds: 120 },
                zookeeper: { replicas: 3, rolloutTimeoutSeconds: 120 },
            },
            { env: { KUBECONFIG: cluster.kubeconfig }, extra: { "kubernetes:kubeconfig": cluster.kubeconfig } },
        );
        const first = await cli(h, cluster, "up", "--env", "dev");
        assert.strictEqual(first.code, 0, first.out);
    });
    after(async () => {
        h?.project.cleanup();
        await cluster?.stop();
    });

    it("walks a canary plan to the end with every broker at the new revision", async () => {
        await stageCpuChange(h, cluster, "250m");
        const summaryFile = path.join(h.project.dir, "canary-summary.json");
        const run = await cli(h, cluster, "rollout", "--env", "dev", "--plan", "canary", "--max-step", "2", "--pause", "0", "--kafka-gate", "off", "--timeout", "120", "--summary-json", summaryFile);
        assert.strictEqual(run.code, 0, run.out);
        const sts = await kubectlJson(cluster, "get", "statefulset", "kafka");
        assert.strictEqual(sts.spec.updateStrategy.rollingUpdate.partition, 0);
        const now = await pods(cluster, "default", "app=kafka");
        assert.ok([...now.values()].every((p) => p.ready && p.revision === sts.status.updateRevision));
        assert.strictEqual(configuredPartition(h), 0);
        const summary = JSON.parse(fs.readFileSync(summaryFile, "utf8"));
        // The exact fields, not any "off" anywhere in the summary.
        assert.deepStrictEqual(summary.gates.map((g: any) => [g.name, g.on, g.off]), [["kubernetes", true, undefined], ["kafka", false, "--kafka-gate off"]]);
        assert.ok(summary.stages.length > 1);
        for (const stage of summary.stages) {
            const kafka = stage.gates.find((g: any) => g.gate === "kafka");
            assert.deepStrictEqual(kafka && [kafka.result, kafka.reason], ["off", "turned off (--kafka-gate off)"], `stage ${stage.index}`);
        }
        console.log(`      canary 3 -> 2 -> 0: exit ${run.code} in ${run.seconds.toFixed(1)}s\n${lastLines(run.out, 6)}`);
    });

    it("stops with a non-zero exit at a canary that never becomes Ready, leaving the partition there, and resumes on rerun", async () => {
        await stageCpuChange(h, cluster, "300m");
        const before = await pods(cluster, "default", "app=kafka");
        await setPath(h.stack, "kafka.rolloutTimeoutSeconds", "20");
        const args = ["rollout", "--env", "dev", "--plan", "linear", "--pause", "20", "--kafka-gate", "off", "--timeout", "20"];
        // Stage 1 (partition 2) is healthy; during the pause after it, the next canary, kafka-1, is
        // made to fail readiness, so its replacement never becomes Ready in stage 2.
        let injected: Promise<string> | undefined;
        try {
            const failed = await cliWatching(
                h,
                cluster,
                (out) => {
                    if (!injected && /✔ stage 1\/3/.test(out)) injected = clusterScript(cluster, "fail-readiness", "kafka-1");
                },
                ...args,
            );
            assert.ok(injected, `stage 1 never passed:\n${failed.out}`);
            await injected;
            assert.notStrictEqual(failed.code, 0, failed.out);
            assert.match(failed.out, /kafka-1/);
            assert.strictEqual(configuredPartition(h), 1);
            assert.strictEqual(await deployedPartition(cluster), 1);
            const after = await pods(cluster, "default", "app=kafka");
            assert.strictEqual(after.get("kafka-0")!.uid, before.get("kafka-0")!.uid, "kafka-0 was touched");
            console.log(`      failing canary kafka-1: exit ${failed.code} after ${failed.seconds.toFixed(1)}s, partition left at 1\n${lastLines(failed.out, 8)}`);
        } finally {
            await clusterScript(cluster, "heal", "kafka-1");
        }

        // The same command again: it re-gates partition 1, then goes on to 0.
        const resumed = await cli(h, cluster, ...args);
        assert.strictEqual(resumed.code, 0, resumed.out);
        assert.strictEqual(await deployedPartition(cluster), 0);
        assert.strictEqual(configuredPartition(h), 0);
        const sts = await kubectlJson(cluster, "get", "statefulset", "kafka");
        assert.ok([...(await pods(cluster, "default", "app=kafka")).values()].every((p) => p.ready && p.revision === sts.status.updateRevision));
        console.log(`      rerun resumed from 1: exit ${resumed.code} in ${resumed.seconds.toFixed(1)}s`);
        await setPath(h.stack, "kafka.rolloutTimeoutSeconds", "120");
    });

    it("has the step policy reject a hand-made jump from 3 to 0 when maxStep is 1, changing nothing", async () => {
        await stageCpuChange(h, cluster, "350m");
        const before = await pods(cluster, "default", "app=kafka");
        await setPath(h.stack, "kafka.partition", "0");
        const jump = await cli(h, cluster, "up", "--env", "prod");
        assert.notStrictEqual(jump.code, 0, jump.out);
        assert.match(jump.out, /rollout-partition-step/);
        assert.strictEqual(await deployedPartition(cluster), 3);
        const after = await pods(cluster, "default", "app=kafka");
        for (const [name, p] of before) assert.strictEqual(after.get(name)!.uid, p.uid, `${name} was replaced`);
        const line = jump.out.split("\n").find((l) => /rollout-partition-step/.test(l)) ?? "";
        console.log(`      jump 3 -> 0 under prod policy: exit ${jump.code}: ${line.trim()}`);
    });
});
