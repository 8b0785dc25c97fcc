import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { KAFKA_GATE_DESCRIPTION, kubernetesGate, offGate } from "../../../rollout/gates";
import { readPolicyConfig } from "../../../stacks/policy-config";
import { Interrupt, RolloutOptions, RolloutSummary, runRollout } from "../../../stacks/rollout";
import { FakeCluster, FakeWorkspace, instantSleep, scratchDir, tickingClock } from "./fakes";

const DEV_POLICY = path.resolve(__dirname, "../../../policies/config/dev.json");
const COMMAND = "npm run rollout -- --stack dev --plan linear --kafka-gate off";

function setup(replicas = 3, partition = replicas) {
    const cluster = new FakeCluster(replicas, partition);
    const ws = new FakeWorkspace({ cluster });
    const lines: string[] = [];
    const sleeps: number[] = [];
    const options = (o: Partial<RolloutOptions> = {}): RolloutOptions => ({
        workspace: ws,
        plan: "linear",
        gates: [kubernetesGate({ reader: cluster.reader, namespace: "default" }), offGate("kafka", KAFKA_GATE_DESCRIPTION, "--kafka-gate off")],
        timeoutSeconds: 5,
        renderer: "silent",
        command: COMMAND,
        print: (l) => lines.push(l),
        sleep: instantSleep(sleeps),
        now: tickingClock(),
        pollMs: 1,
        stdinIsTTY: true,
        ...o,
    });
    return { cluster, ws, lines, sleeps, options };
}

const tmpFile = (name: string) => path.join(scratchDir("rollout-test"), name);

describe("the rollout driver", () => {
    it("walks a canary from 3 to 0, applying and gating each stage in order", async () => {
        const { ws, cluster, options } = setup();
        const summary = await runRollout(options({ plan: "canary", pauseSeconds: 0, maxStep: 2 }));
        assert.strictEqual(summary.exit.code, 0, summary.exit.message);
        assert.strictEqual(summary.exit.reason, "completed");
        assert.deepStrictEqual(ws.calls, ["preview 3", "up 3", "config 2", "preview 2", "up 2", "config 0", "preview 0", "up 0"]);
        assert.strictEqual(ws.partition, 0);
        assert.strictEqual(cluster.partition, 0);
        assert.deepStrictEqual(
            summary.stages.map((s) => [s.kind, s.partition, s.result]),
            [
                ["baseline", 3, "passed"],
                ["stage", 2, "passed"],
                ["stage", 0, "passed"],
            ],
        );
        assert.strictEqual(summary.stages[1].steps.find((s) => s.name === "gate:kubernetes")?.status, "kafka partition 2: 1/1 updated and Ready, 3/3 Ready");
    });

    it("stops at stage 2 when its gate fails, leaves kafka.partition there, and a rerun resumes from it and finishes", async () => {
        const { ws, cluster, lines, options } = setup();
        cluster.broken.add(1);
        const first = await runRollout(options());
        assert.strictEqual(first.exit.code, 1);
        assert.strictEqual(first.exit.reason, "failed");
        assert.deepStrictEqual(first.stages.map((s) => s.result), ["passed", "passed", "failed", "not-started"]);
        assert.strictEqual(ws.partition, 1, "kafka.partition stays at the failed stage in stack config");
        assert.strictEqual(cluster.partition, 1, "and in the cluster");
        assert.match(first.stages[2].reasons[0], /^gate kubernetes: not healthy after 5s \(--timeout\): kafka partition 1: 1\/2 updated and Ready.*kafka-1: container kafka waiting: CrashLoopBackOff/);
        assert.ok(lines.some((l) => l.startsWith("✖ stage 2 (kafka.partition 1) failed at gate:kubernetes")), lines.join("\n"));
        assert.ok(lines.includes(`  resume (re-gates partition 1 first, then goes on): ${COMMAND}`), lines.join("\n"));
        assert.ok(lines.some((l) => /roll back: 1\. revert the template change .* in Pulumi\.dev\.yaml, leaving kafka\.partition at 1$/.test(l)), lines.join("\n"));
        assert.ok(lines.includes("             2. pulumi up --stack dev --policy-pack policies"), lines.join("\n"));
        assert.strictEqual(first.next?.resume, COMMAND);

        cluster.broken.clear();
        ws.calls.length = 0;
        const second = await runRollout(options());
        assert.strictEqual(second.exit.code, 0, second.exit.message);
        assert.deepStrictEqual(second.plan?.remaining, [0]);
        // Re-applies and re-gates partition 1 (no config change), then rolls the last broker.
        assert.deepStrictEqual(ws.calls, ["preview 1", "up 1", "config 0", "preview 0", "up 0"]);
        assert.deepStrictEqual(second.stages.map((s) => [s.kind, s.partition, s.result]), [["baseline", 1, "passed"], ["stage", 0, "passed"]]);
        assert.strictEqual(cluster.partition, 0);
    });

    it("tells the step policy the previous partition in the config each preview and up run with", async () => {
        const { ws, options } = setup();
        const summary = await runRollout(options({ envConfig: readPolicyConfig(DEV_POLICY), envConfigFile: "policies/config/dev.json" }));
        assert.strictEqual(summary.exit.code, 0, summary.exit.message);
        const step = (i: number) => ws.previews[i].policyConfig["rollout-partition-step"] as Record<string, unknown>;
        assert.deepStrictEqual(ws.previews.map((r) => [r.previousPartition, r.partition]), [[3, 3], [3, 2], [2, 1], [1, 0]]);
        assert.deepStrictEqual(step(2).previousPartition, { kafka: 2 });
        assert.deepStrictEqual(step(3).previousPartition, { kafka: 1 });
        // The environment's own settings for the step policy and the other policies are kept.
        assert.strictEqual(step(3).enforcementLevel, "advisory");
        assert.strictEqual(step(3).maxStep, 1);
        assert.deepStrictEqual(ws.previews[3].policyConfig["pod-anti-affinity"], { allowPreferred: true });
        assert.deepStrictEqual(ws.ups.map((r) => r.policyConfig), ws.previews.map((r) => r.policyConfig));
        assert.strictEqual(summary.policy.maxStepSource, "policies/config/dev.json rollout-partition-step.maxStep");
    });

    it("passes --max-step to the step policy and refuses, before changing anything, a plan that steps further", async () => {
        const { ws, options } = setup(100, 90);
        const refused = await runRollout(options({ plan: "100,99,90,50,0" }));
        assert.strictEqual(refused.exit.code, 2);
        assert.strictEqual(refused.exit.reason, "refused");
        assert.match(refused.exit.message, /^--max-step 1: the step from partition 90 to 50 rolls 40 brokers at once .*this plan needs --max-step 50/);
        assert.deepStrictEqual(ws.calls, []);

        const ran = await runRollout(options({ plan: "100,99,90,50,0", maxStep: 50 }));
        assert.strictEqual(ran.exit.code, 0, ran.exit.message);
        assert.deepStrictEqual(ran.plan?.remaining, [50, 0]);
        assert.deepStrictEqual(ws.calls, ["preview 90", "up 90", "config 50", "preview 50", "up 50", "config 0", "preview 0", "up 0"]);
        assert.strictEqual((ws.previews[2].policyConfig["rollout-partition-step"] as { maxStep: number }).maxStep, 50);
    });

    it("refuses a canary under the pack's default maxStep of 1, since its last step rolls the other brokers at once", async () => {
        const { ws, options } = setup();
        const summary = await runRollout(options({ plan: "canary" }));
        assert.strictEqual(summary.exit.code, 2);
        assert.match(summary.exit.message, /^--max-step 1: the step from partition 2 to 0 rolls 2 brokers at once .*\(the rollout-partition-step policy's default\); this plan needs --max-step 2/);
        assert.deepStrictEqual(ws.calls, []);
    });

    it("only warns about a large step where the environment makes the step policy advisory (dev)", async () => {
        const { ws, lines, options } = setup();
        const summary = await runRollout(options({ plan: "canary", pauseSeconds: 0, envConfig: readPolicyConfig(DEV_POLICY), envConfigFile: "policies/config/dev.json" }));
        assert.strictEqual(summary.exit.code, 0, summary.exit.message);
        assert.strictEqual(ws.partition, 0);
        assert.ok(lines.some((l) => /^! --max-step 1: the step from partition 2 to 0 rolls 2 brokers .* going on: rollout-partition-step is advisory in policies\/config\/dev\.json$/.test(l)), lines.join("\n"));
        assert.match(summary.plan!.warnings[0], /going on: rollout-partition-step is advisory/);
    });

    it("refuses a plan that would raise the partition, naming --plan", async () => {
        const { ws, options } = setup(3, 1);
        const summary = await runRollout(options({ plan: "3,2" }));
        assert.strictEqual(summary.exit.code, 2);
        assert.match(summary.exit.message, /^--plan 3,2: its last stage \(2\) is above the current partition 1 .* would raise the partition/);
        assert.deepStrictEqual(ws.calls, []);
    });

    it("changes nothing when the partition is already 0 and only looks at the gates", async () => {
        const { ws, lines, options } = setup(3, 0);
        const summary = await runRollout(options({ plan: "canary" }));
        assert.strictEqual(summary.exit.code, 0);
        assert.strictEqual(summary.exit.reason, "nothing-to-do");
        assert.deepStrictEqual(ws.calls, []);
        assert.deepStrictEqual(summary.stages.map((s) => [s.kind, s.result, s.steps.map((x) => `${x.name} ${x.result}`)]), [
            ["verify", "passed", ["gate:kubernetes passed", "gate:kafka off"]],
        ]);
        assert.ok(lines.some((l) => /^✔ nothing to do: kafka\.partition of stack dev is already 0/.test(l)), lines.join("\n"));
    });

    it("re-checks the last stage on a rerun after its gate failed", async () => {
        const { ws, cluster, options } = setup(3, 1);
        cluster.broken.add(0);
        const failed = await runRollout(options());
        assert.strictEqual(failed.exit.code, 1);
        assert.strictEqual(ws.partition, 0);
        cluster.broken.clear();
        ws.calls.length = 0;
        const rerun = await runRollout(options());
        assert.strictEqual(rerun.exit.reason, "nothing-to-do");
        assert.deepStrictEqual(ws.calls, [], "nothing applied at partition 0");
        assert.strictEqual(rerun.stages[0].steps[0].result, "passed");
    });

    it("stops before anything is applied when a mandatory policy fails the preview", async () => {
        const { ws, cluster, lines, options } = setup();
        ws.failPreview.set(2, ["kafka-guardrails rollout-partition-step [mandatory]: StatefulSet default/kafka violates rollout-partition-step: its partition drops from 3 to 1"]);
        const summary = await runRollout(options());
        assert.strictEqual(summary.exit.code, 1);
        assert.deepStrictEqual(ws.calls, ["preview 3", "up 3", "config 2", "preview 2"]);
        assert.strictEqual(cluster.partition, 3);
        assert.strictEqual(ws.partition, 2);
        assert.match(summary.stages[1].reasons[0], /^preview: kafka-guardrails rollout-partition-step \[mandatory\]/);
        assert.ok(lines.includes("  kafka.partition is 2 in Pulumi.dev.yaml; the cluster was not changed by this stage (it stopped before up)."), lines.join("\n"));
    });

    it("stops cleanly on Ctrl-C: the running up finishes, and nothing after it starts", async () => {
        const { ws, cluster, options } = setup();
        const interrupt = new Interrupt();
        ws.duringUp = (req) => {
            if (req.partition === 2) interrupt.request();
        };
        const summary = await runRollout(options({ interrupt }));
        assert.strictEqual(summary.exit.code, 130);
        assert.strictEqual(summary.exit.reason, "interrupted");
        assert.deepStrictEqual(ws.calls, ["preview 3", "up 3", "config 2", "preview 2", "up 2"]);
        assert.strictEqual(cluster.partition, 2, "the update that was running finished");
        assert.strictEqual(ws.cancelled, 0);
        const stage = summary.stages[1];
        assert.strictEqual(stage.result, "interrupted");
        assert.deepStrictEqual(stage.steps.map((s) => `${s.name} ${s.result}`), ["config passed", "preview passed", "up passed", "gate:kubernetes interrupted"]);
        assert.strictEqual(summary.stages[2].result, "not-started");
    });

    it("cancels the running update through stack.cancel() on a second Ctrl-C", async () => {
        const { ws, options } = setup();
        const interrupt = new Interrupt();
        ws.duringUp = (req, io) =>
            new Promise<void>((resolve) => {
                if (req.partition !== 2) return resolve();
                io.signal!.addEventListener("abort", () => resolve());
                interrupt.request();
                interrupt.request();
            });
        const summary = await runRollout(options({ interrupt }));
        assert.strictEqual(summary.exit.code, 130);
        assert.strictEqual(ws.cancelled, 1);
        assert.deepStrictEqual(ws.calls.slice(-2), ["up 2", "cancel"]);
        assert.strictEqual(summary.stages[1].steps.find((s) => s.name === "up")?.result, "interrupted");
    });

    it("refuses --approve without a terminal on stdin unless --yes, before opening anything", async () => {
        const { ws, options } = setup();
        const refused = await runRollout(options({ approve: true, stdinIsTTY: false }));
        assert.strictEqual(refused.exit.code, 2);
        assert.match(refused.exit.message, /^--approve asks y\/N on stdin before each stage, but stdin is not a terminal: pass --yes/);
        assert.deepStrictEqual(ws.calls, []);

        const { ws: ws2, lines, options: options2 } = setup();
        const approved = await runRollout(options2({ approve: true, yes: true, stdinIsTTY: false }));
        assert.strictEqual(approved.exit.code, 0, approved.exit.message);
        assert.strictEqual(ws2.partition, 0);
        assert.ok(lines.includes("Roll stage 1/3: kafka.partition 3 → 2 (1/3 brokers updated)? yes (--yes)"), lines.join("\n"));
    });

    it("asks before each stage with --approve and stops when the answer is no", async () => {
        const { ws, options } = setup();
        const questions: string[] = [];
        const answers = [true, false];
        const summary = await runRollout(
            options({
                approve: true,
                ask: async (q) => {
                    questions.push(q);
                    return answers.shift()!;
                },
            }),
        );
        assert.strictEqual(summary.exit.code, 3);
        assert.strictEqual(summary.exit.reason, "declined");
        assert.deepStrictEqual(questions, ["Roll stage 1/3: kafka.partition 3 → 2 (1/3 brokers updated)?", "Roll stage 2/3: kafka.partition 2 → 1 (2/3 brokers updated)?"]);
        assert.strictEqual(ws.partition, 2);
        assert.strictEqual(summary.stages[2].result, "declined");
    });

    it("bakes the canary 60 s by default, and waits --pause between every stage when given", async () => {
        const a = setup();
        assert.strictEqual((await runRollout(a.options({ plan: "canary", maxStep: 2 }))).exit.code, 0);
        assert.deepStrictEqual(a.sleeps.filter((ms) => ms >= 1000), [60_000]);
        assert.ok(a.lines.includes("… waiting 60s before stage 2/2 (canary bake, default 60s (set with --pause)); Ctrl-C stops here"), a.lines.join("\n"));

        const b = setup();
        assert.strictEqual((await runRollout(b.options({ plan: "linear", pauseSeconds: 5 }))).exit.code, 0);
        assert.deepStrictEqual(b.sleeps.filter((ms) => ms >= 1000), [5000, 5000]);
    });

    it("says a gate is off in the progress and in the summary, at every stage", async () => {
        const { lines, options } = setup();
        const summary = await runRollout(options({ plan: "canary", pauseSeconds: 0, maxStep: 2 }));
        assert.ok(lines.some((l) => l.startsWith("! gate kafka is OFF (--kafka-gate off):") && l.endsWith("NOT checked at any stage")), lines.join("\n"));
        assert.deepStrictEqual(summary.gates.map((g) => [g.name, g.on, g.off]), [
            ["kubernetes", true, undefined],
            ["kafka", false, "--kafka-gate off"],
        ]);
        for (const stage of summary.stages) {
            assert.deepStrictEqual(
                stage.gates.map((g) => [g.gate, g.result, g.reason]),
                [
                    ["kubernetes", "passed", undefined],
                    ["kafka", "off", "turned off (--kafka-gate off)"],
                ],
            );
        }
    });

    it("writes a JSON summary with the plan, each stage's steps and times, the gates, the final partition and the exit reason", async () => {
        const { cluster, options } = setup();
        cluster.broken.add(1);
        const file = tmpFile("summary.json");
        await runRollout(options({ summaryJson: file, envConfig: readPolicyConfig(DEV_POLICY), envConfigFile: "policies/config/dev.json", env: "dev" }));
        const s = JSON.parse(fs.readFileSync(file, "utf8")) as RolloutSummary;
        assert.strictEqual(s.version, 1);
        assert.strictEqual(s.stack, "dev");
        assert.strictEqual(s.env, "dev");
        assert.deepStrictEqual(s.plan, {
            spec: "linear",
            kind: "linear",
            replicas: 3,
            startPartition: 3,
            deployedPartition: 3,
            stages: [3, 2, 1, 0],
            pauseAfter: [],
            done: [3],
            remaining: [2, 1, 0],
            warnings: [],
        });
        assert.deepStrictEqual(s.gates.map((g) => g.on), [true, false]);
        assert.deepStrictEqual(s.policy, {
            stepPolicy: "rollout-partition-step",
            maxStep: 1,
            maxStepSource: "policies/config/dev.json rollout-partition-step.maxStep",
            envConfigFile: "policies/config/dev.json",
            envConfigFound: true,
        } as unknown as RolloutSummary["policy"]);
        assert.deepStrictEqual(s.stages.map((x) => x.result), ["passed", "passed", "failed", "not-started"]);
        for (const stage of s.stages.slice(0, 3)) {
            assert.ok(Date.parse(stage.startedAt!) <= Date.parse(stage.endedAt!), JSON.stringify(stage));
            for (const step of stage.steps.filter((x) => x.startedAt)) assert.ok(Date.parse(step.startedAt!) <= Date.parse(step.endedAt!));
        }
        assert.deepStrictEqual(s.stages[2].steps.map((x) => `${x.name} ${x.result}`), ["config passed", "preview passed", "up passed", "gate:kubernetes failed"]);
        assert.deepStrictEqual((s.stages[2].policyConfig!["rollout-partition-step"] as { previousPartition: unknown }).previousPartition, { kafka: 2 });
        assert.strictEqual(s.finalPartition, 1);
        assert.deepStrictEqual(s.exit.code, 1);
        assert.strictEqual(s.exit.reason, "failed");
        assert.match(s.exit.message, /stage 2 \(kafka\.partition 1\) failed at gate:kubernetes/);
        assert.strictEqual(s.next?.resume, COMMAND);
        assert.ok(Date.parse(s.startedAt) <= Date.parse(s.endedAt!));
    });

    it("reports a stack that cannot be read as an error, without touching it", async () => {
        const { ws, options } = setup();
        ws.read = async () => {
            throw new Error("invalid stack config (nothing was changed):\n  - kafka-platform:kafka.replicas: got 0; expected an integer of at least 1");
        };
        const summary = await runRollout(options());
        assert.strictEqual(summary.exit.code, 1);
        assert.strictEqual(summary.exit.reason, "error");
        assert.match(summary.exit.message, /cannot start on stack dev: invalid stack config/);
        assert.deepStrictEqual(ws.calls, []);
    });
});
