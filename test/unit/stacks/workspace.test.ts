import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { EngineEvent, PreviewOptions, UpOptions } from "@pulumi/pulumi/automation";
import { LocalRolloutWorkspace, StackLike, stackStateFrom } from "../../../stacks/workspace";
import { scratchDir } from "./fakes";

const policyEvent = (level: "mandatory" | "warning", message: string): EngineEvent =>
    ({
        sequence: 1,
        timestamp: 0,
        policyEvent: { message, color: "never", policyName: "rollout-partition-step", policyPackName: "kafka-guardrails", policyPackVersion: "0.1.0", policyPackVersionTag: "0.1.0", enforcementLevel: level },
    }) as EngineEvent;

/** A Stack that records what the workspace asks of it. */
function fakeStack(opts: { failPreview?: boolean } = {}) {
    const calls: Array<{ op: string; args: unknown[] }> = [];
    const config: Record<string, { value: string; secret?: boolean }> = {
        "kafka-platform:kafka": { value: JSON.stringify({ replicas: 3, partition: 2 }) },
        "kafka-platform:namespace": { value: "streaming" },
        "kubernetes:kubeconfig": { value: "/home/ops/.kube/kwok", secret: false },
        "kubernetes:context": { value: "kwok-kafka" },
        "aws:region": { value: "eu-west-1" },
    };
    const stack = {
        name: "dev",
        calls,
        getAllConfig: async () => config,
        setConfig: async (...args: unknown[]) => {
            calls.push({ op: "setConfig", args });
        },
        outputs: async () => ({ kafkaPartition: { value: 3, secret: false } }),
        preview: async (o: PreviewOptions) => {
            calls.push({ op: "preview", args: [o] });
            o.onOutput?.("Previewing update (dev):\n    ~ kubernetes:apps/v1:StatefulSet kafka update\n");
            if (opts.failPreview) {
                o.onEvent?.(policyEvent("warning", "StatefulSet default/zk has no PDB"));
                o.onEvent?.(policyEvent("mandatory", "StatefulSet default/kafka violates rollout-partition-step: its partition drops from 3 to 0"));
                throw new Error("code: 255\n stdout: Previewing update (dev):\n stderr: error: preview failed\n");
            }
            return { stdout: "", stderr: "", changeSummary: { same: 9, update: 1 } };
        },
        up: async (o: UpOptions) => {
            calls.push({ op: "up", args: [o] });
            return { stdout: "", stderr: "", outputs: {}, summary: { resourceChanges: { same: 10 } } };
        },
        cancel: async () => {
            calls.push({ op: "cancel", args: [] });
        },
    };
    return stack;
}

const req = { partition: 1, previousPartition: 2, policyConfig: { all: "mandatory", "rollout-partition-step": { previousPartition: { kafka: 2 }, maxStep: 1 } }, label: "stage-2-partition-1" };

describe("the local stack workspace", () => {
    const logDir = () => scratchDir("ws-test");

    it("reads kafka.partition, replicas, namespace and the cluster from stack config, and the deployed partition from outputs", async () => {
        const ws = new LocalRolloutWorkspace(fakeStack() as unknown as StackLike, { workDir: "/repo", packDir: "/repo/policies", logDir: logDir() });
        const state = await ws.read();
        assert.deepStrictEqual(
            { partition: state.partition, replicas: state.replicas, namespace: state.namespace, deployed: state.deployedPartition, kubeconfig: state.kubeconfig },
            { partition: 2, replicas: 3, namespace: "streaming", deployed: 3, kubeconfig: { kubeconfig: "/home/ops/.kube/kwok", context: "kwok-kafka" } },
        );
        assert.strictEqual(ws.configFile, "/repo/Pulumi.dev.yaml");
    });

    it("sets kafka.partition as structured config with --path", async () => {
        const stack = fakeStack();
        await new LocalRolloutWorkspace(stack as unknown as StackLike, { workDir: "/repo", packDir: "/repo/policies", logDir: logDir() }).setPartition(1);
        assert.deepStrictEqual(stack.calls, [{ op: "setConfig", args: ["kafka.partition", { value: "1" }, true] }]);
    });

    it("for the migration: sets and removes config with --path, finds a StatefulSet's URN and protect in the exported state, unprotects with the CLI", async () => {
        const zk = "urn:pulumi:dev::kafka-platform::kafka-platform:index:ZooKeeper$kubernetes:apps/v1:StatefulSet::zk-statefulset";
        const cli: Array<{ args: string[]; cwd: string; env: Record<string, string> }> = [];
        const stack = {
            ...fakeStack(),
            removeConfig: async (...args: unknown[]) => void stack.calls.push({ op: "removeConfig", args }),
            exportStack: async () => ({
                version: 3,
                deployment: {
                    resources: [
                        { urn: "urn:pulumi:dev::kafka-platform::kafka-platform:index:ZooKeeper::zk", type: "kafka-platform:index:ZooKeeper" },
                        { urn: zk, type: "kubernetes:apps/v1:StatefulSet", protect: true },
                        { urn: "urn:pulumi:dev::kafka-platform::kafka-platform:index:Kafka$kubernetes:apps/v1:StatefulSet::kafka-statefulset", type: "kubernetes:apps/v1:StatefulSet" },
                    ],
                },
            }),
            workspace: {
                workDir: "/repo",
                envVars: { PULUMI_CONFIG_PASSPHRASE: "x" },
                pulumiCommand: { run: async (args: string[], cwd: string, env: Record<string, string>) => void cli.push({ args, cwd, env }) },
            },
        };
        const ws = new LocalRolloutWorkspace(stack as unknown as StackLike, { workDir: "/repo", packDir: "/repo/policies", logDir: logDir() });
        await ws.setConfigValue("kafka.migration", "controllers");
        await ws.removeConfigValue("kafka.clusterId");
        assert.deepStrictEqual(stack.calls, [
            { op: "setConfig", args: ["kafka.migration", { value: "controllers" }, true] },
            { op: "removeConfig", args: ["kafka.clusterId", true] },
        ]);
        assert.deepStrictEqual(await ws.findResource("kubernetes:apps/v1:StatefulSet", "zk-statefulset"), { urn: zk, protect: true });
        assert.deepStrictEqual((await ws.findResource("kubernetes:apps/v1:StatefulSet", "kafka-statefulset"))?.protect, false);
        assert.strictEqual(await ws.findResource("kubernetes:apps/v1:StatefulSet", "kafka-controller-statefulset"), undefined);
        await ws.unprotect(zk);
        assert.deepStrictEqual(cli, [{ args: ["state", "unprotect", zk, "--yes", "--stack", "dev"], cwd: "/repo", env: { PULUMI_CONFIG_PASSPHRASE: "x" } }]);
    });

    it("previews and updates with the policy pack and the stage's policy config written to a file", async () => {
        const stack = fakeStack();
        const dir = logDir();
        const ws = new LocalRolloutWorkspace(stack as unknown as StackLike, { workDir: "/repo", packDir: "/repo/policies", logDir: dir });
        const lines: string[] = [];
        const preview = await ws.preview(req, { onOutput: (l) => lines.push(l) });
        const up = await ws.up(req, {});
        assert.ok(preview.ok && up.ok);
        assert.deepStrictEqual(preview.changes, { same: 9, update: 1 });
        assert.deepStrictEqual(up.changes, { same: 10 });
        for (const call of stack.calls) {
            const o = call.args[0] as PreviewOptions;
            assert.deepStrictEqual(o.policyPacks, ["/repo/policies"]);
            assert.deepStrictEqual(o.policyPackConfigs, [path.join(dir, "stage-2-partition-1.policy-config.json")]);
            assert.strictEqual(o.color, "never");
        }
        assert.deepStrictEqual(JSON.parse(fs.readFileSync(preview.policyConfigFile!, "utf8")), req.policyConfig);
        assert.deepStrictEqual(lines, ["Previewing update (dev):", "    ~ kubernetes:apps/v1:StatefulSet kafka update"]);
        assert.match(fs.readFileSync(preview.logFile!, "utf8"), /StatefulSet kafka update/);
    });

    it("fails a preview with the mandatory policy violations as reasons and keeps the advisory ones as warnings", async () => {
        const ws = new LocalRolloutWorkspace(fakeStack({ failPreview: true }) as unknown as StackLike, { workDir: "/repo", packDir: "/repo/policies", logDir: logDir() });
        const result = await ws.preview(req, {});
        assert.strictEqual(result.ok, false);
        assert.deepStrictEqual(result.reasons, [
            "kafka-guardrails rollout-partition-step [mandatory]: StatefulSet default/kafka violates rollout-partition-step: its partition drops from 3 to 0",
        ]);
        assert.deepStrictEqual(result.warnings, ["kafka-guardrails rollout-partition-step [warning]: StatefulSet default/zk has no PDB"]);
        assert.match(fs.readFileSync(result.logFile!, "utf8"), /error: preview failed/);
    });

    it("stops an update that reported an error but does not end, and says so", async () => {
        const stack = fakeStack();
        let aborted = false;
        stack.up = (async (o: UpOptions) => {
            o.onEvent?.({ sequence: 2, timestamp: 0, diagnosticEvent: { urn: "urn:x", message: "kafka rollout stage not done after 20s (kafka.rolloutTimeoutSeconds)\n    at /p/components/rollout-options.ts:62:57\n", color: "never", severity: "error" } } as EngineEvent);
            await new Promise<void>((resolve) => o.signal!.addEventListener("abort", () => resolve()));
            aborted = true;
            throw new Error("code: -2\n stderr: context canceled");
        }) as never;
        const ws = new LocalRolloutWorkspace(stack as unknown as StackLike, { workDir: "/repo", packDir: "/repo/policies", logDir: logDir(), exitAfterErrorSeconds: 0.05 });
        const result = await ws.up(req, {});
        assert.ok(aborted, "the hung update got SIGINT through its signal");
        assert.deepStrictEqual(result.reasons, [
            "kafka rollout stage not done after 20s (kafka.rolloutTimeoutSeconds)",
            "pulumi up reported the error above and had not ended 0.05s later, so it was stopped (SIGINT)",
        ]);
    });

    it("has no cluster for the gates when the stack renders YAML", () => {
        const state = stackStateFrom({ "kafka-platform:renderDir": "rendered/dev", "kubernetes:kubeconfig": "/k" }, undefined);
        assert.strictEqual(state.kubeconfig, undefined);
        assert.strictEqual(state.deployedPartition, undefined);
        assert.strictEqual(state.partition, 0);
    });

    it("rejects a stack config the program would reject, naming the key", () => {
        assert.throws(() => stackStateFrom({ "kafka-platform:kafka": JSON.stringify({ partition: -1 }) }, undefined), /kafka-platform:kafka\.partition: got -1/);
    });
});
