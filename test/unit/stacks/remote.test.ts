// Remote mode against a fake RemoteWorkspace: there is no Pulumi Cloud here, so these tests prove
// what the driver asks Pulumi Deployments to do, not that Deployments does it.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { OutputMap, RemoteGitProgramArgs, RemoteWorkspaceOptions } from "@pulumi/pulumi/automation";
import { KAFKA_GATE_DESCRIPTION, kubernetesGate, offGate } from "../../../rollout/gates";
import { RemoteRolloutWorkspace, RemoteStackLike, readStackConfigFile, stagePreRunCommands } from "../../../stacks/remote";
import { runRollout } from "../../../stacks/rollout";
import { FakeCluster, instantSleep, scratchDir, tickingClock } from "./fakes";

const STACK = "acme/kafka-platform/prod";

/** A checkout with Pulumi.prod.yaml, as the repository has it. */
function checkout(partition: number): string {
    const dir = scratchDir("remote-test");
    fs.writeFileSync(
        path.join(dir, "Pulumi.prod.yaml"),
        [
            "config:",
            "  kafka-platform:kafka:",
            "    replicas: 3",
            `    partition: ${partition}`,
            "  kafka-platform:namespace: streaming",
            "  kubernetes:kubeconfig:",
            "    secure: v1:abcdef",
            "",
        ].join("\n"),
    );
    return dir;
}

/**
 * Pulumi Deployments as the driver sees it: each deployment runs its pre-run commands (here: the
 * `pulumi config set --path kafka.partition N` one takes effect) and then the operation, which
 * applies the partition to the fake cluster.
 */
function fakeDeployments(cluster: FakeCluster, opts: { failPreRunAt?: number } = {}) {
    const deployments: Array<{ args: RemoteGitProgramArgs; opts: RemoteWorkspaceOptions; op?: string }> = [];
    let deployed: number | undefined = cluster.partition;
    let cancelled = 0;
    const factory = async (args: RemoteGitProgramArgs, o: RemoteWorkspaceOptions): Promise<RemoteStackLike> => {
        const record: { args: RemoteGitProgramArgs; opts: RemoteWorkspaceOptions; op?: string } = { args, opts: o };
        deployments.push(record);
        const partitionFromPreRun = () => {
            const set = (o.preRunCommands ?? []).find((c) => c.startsWith("pulumi config set --path kafka.partition "));
            return set ? Number(set.split(" ")[5]) : undefined;
        };
        return {
            name: args.stackName,
            outputs: async (): Promise<OutputMap> => (deployed === undefined ? {} : { kafkaPartition: { value: deployed, secret: false } }),
            preview: async () => {
                record.op = "preview";
                if (partitionFromPreRun() === opts.failPreRunAt) throw new Error("pre-run command failed: pulumi preview --policy-pack: 1 mandatory violation");
                return { stdout: "", stderr: "", changeSummary: { update: 1, same: 9 } };
            },
            up: async () => {
                record.op = "up";
                const p = partitionFromPreRun()!;
                cluster.apply(p);
                deployed = p;
                return { stdout: "", stderr: "", outputs: {}, summary: { resourceChanges: { update: 1, same: 9 } } as never };
            },
            cancel: async () => {
                cancelled++;
            },
        };
    };
    return { factory, deployments, cancelled: () => cancelled };
}

describe("remote mode (Pulumi Deployments through RemoteWorkspace)", () => {
    it("sets the stage's partition, writes its policy config and previews with the pack in the pre-run commands", () => {
        const commands = stagePreRunCommands({ stack: STACK, partition: 1, policyConfig: { "rollout-partition-step": { previousPartition: { kafka: 2 } } } });
        assert.deepStrictEqual(commands, [
            "npm ci",
            "npm ci --prefix policies",
            `pulumi config set --path kafka.partition 1 --stack ${STACK}`,
            `printf '%s\\n' '{"rollout-partition-step":{"previousPartition":{"kafka":2}}}' > /tmp/kafka-guardrails-policy-config.json`,
            `pulumi preview --stack ${STACK} --policy-pack policies --policy-pack-config /tmp/kafka-guardrails-policy-config.json --non-interactive`,
        ]);
    });

    it("quotes a policy config holding a single quote for the shell", () => {
        const [, , , write] = stagePreRunCommands({ stack: STACK, partition: 0, policyConfig: { note: "it's" } });
        assert.strictEqual(write, `printf '%s\\n' '{"note":"it'\\''s"}' > /tmp/kafka-guardrails-policy-config.json`);
    });

    it("needs a fully qualified stack name", () => {
        assert.throws(() => new RemoteRolloutWorkspace({ stackName: "prod", source: { url: "https://github.com/acme/kafka-platform.git" }, workDir: "/repo" }), /--stack prod: remote mode needs a fully qualified stack name, e\.g\. acme\/kafka-platform\/prod/);
    });

    it("reads the stack's config from the checkout, skipping secrets, and where the rollout is from the deployed output", async () => {
        const dir = checkout(3);
        assert.deepStrictEqual(readStackConfigFile(path.join(dir, "Pulumi.prod.yaml")), {
            "kafka-platform:kafka": JSON.stringify({ replicas: 3, partition: 3 }),
            "kafka-platform:namespace": "streaming",
        });
        const cluster = new FakeCluster(3, 2);
        const { factory } = fakeDeployments(cluster);
        const ws = new RemoteRolloutWorkspace({ stackName: STACK, source: { url: "https://github.com/acme/kafka-platform.git" }, workDir: dir, factory });
        const state = await ws.read();
        assert.strictEqual(state.partition, 2, "the repository says 3, the deployments got to 2");
        assert.strictEqual(state.namespace, "streaming");
    });

    it("runs each stage as deployments from git, with the partition set by pre-run commands, and resumes from the deployed partition", async () => {
        const dir = checkout(3);
        const cluster = new FakeCluster(3, 3, "streaming");
        const d = fakeDeployments(cluster, { failPreRunAt: 1 });
        const ws = new RemoteRolloutWorkspace({
            stackName: STACK,
            source: { url: "https://github.com/acme/kafka-platform.git", branch: "main" },
            workDir: dir,
            envVars: { KAFKA_PLATFORM_ENV: "prod" },
            factory: d.factory,
        });
        const lines: string[] = [];
        const options = {
            workspace: ws,
            plan: "linear",
            gates: [kubernetesGate({ reader: cluster.reader, namespace: "streaming" }), offGate("kafka", KAFKA_GATE_DESCRIPTION, "--kafka-gate off")],
            timeoutSeconds: 5,
            renderer: "silent" as const,
            command: `npm run rollout -- --stack ${STACK} --plan linear --remote`,
            print: (l: string) => lines.push(l),
            sleep: instantSleep(),
            now: tickingClock(),
            pollMs: 1,
        };
        const first = await runRollout(options);
        assert.strictEqual(first.exit.code, 1, first.exit.message);
        assert.strictEqual(first.mode, "remote");
        const ops = d.deployments.filter((x) => x.op).map((x) => `${x.op} ${x.opts.preRunCommands?.[2].split(" ")[5]}`);
        assert.deepStrictEqual(ops, ["preview 3", "up 3", "preview 2", "up 2", "preview 1"]);
        for (const x of d.deployments.filter((y) => y.op)) {
            assert.deepStrictEqual(x.args, { stackName: STACK, url: "https://github.com/acme/kafka-platform.git", branch: "main", commitHash: undefined, projectPath: undefined, auth: undefined });
            assert.strictEqual(x.opts.inheritSettings, false);
            assert.deepStrictEqual(x.opts.envVars, { KAFKA_PLATFORM_ENV: "prod" });
            assert.ok(x.opts.preRunCommands!.some((c) => c.startsWith(`pulumi preview --stack ${STACK} --policy-pack policies`)));
        }
        // The stage-2 policy config inside the deployment tells the step policy it comes from 2.
        const write = d.deployments.filter((x) => x.op).pop()!.opts.preRunCommands![3];
        assert.match(write, /"rollout-partition-step":\{"previousPartition":\{"kafka":2\}\}/);
        assert.ok(lines.some((l) => l.includes("the last deployment was for kafka.partition 1 (Pulumi.prod.yaml in the repository is unchanged)")), lines.join("\n"));

        // Once the pre-run check passes, a rerun resumes from what was deployed (2), not from the repository's 3.
        const rerun = fakeDeployments(cluster);
        const ws2 = new RemoteRolloutWorkspace({ stackName: STACK, source: { url: "https://github.com/acme/kafka-platform.git" }, workDir: dir, factory: rerun.factory });
        const second = await runRollout({ ...options, workspace: ws2 });
        assert.strictEqual(second.exit.code, 0, second.exit.message);
        assert.deepStrictEqual(second.plan?.remaining, [1, 0]);
        assert.strictEqual(cluster.partition, 0);
        assert.ok(lines.some((l) => l.includes("record it with a PR setting kafka.partition to 0 in Pulumi.prod.yaml")));
    });
});
