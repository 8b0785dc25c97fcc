import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { commandLine } from "../../../stacks/cli";
import { KAFKA_GATE_MARKER } from "../../../rollout/gates";
import { buildGates, migrate, policySetup, rollout } from "../../../stacks/commands";
import { kubectlArgs } from "../../../rollout/kube";
import { parseConfig } from "../../../components/config";
import { StackState } from "../../../stacks/workspace";
import { FakeCluster, FakeMigrationCluster, FakeMigrationWorkspace, FakeWorkspace, removeLater, scratchDir } from "./fakes";

const ROOT = path.resolve(__dirname, "../../..");

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
    return spawnSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "stacks/cli.ts", ...args], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, PATH: "/usr/bin:/bin", PULUMI_ROOT: "", KAFKA_PLATFORM_PULUMI_PREFIX: "", ...env },
        input: "",
        timeout: 60_000,
    });
}

const state = (kubeconfig?: StackState["kubeconfig"]): StackState => {
    const config = parseConfig({ namespace: "streaming" });
    return { config, partition: 3, replicas: 3, namespace: "streaming", kubeconfig };
};

describe("the stacks command line", () => {
    it("prints the command to rerun, the way it was started", () => {
        assert.strictEqual(
            commandLine(["node", "stacks/cli.ts", "rollout", "--stack", "dev", "--plan", "100,99,90,50,0"], { npm_lifecycle_event: "rollout" }),
            "npm run rollout -- --stack dev --plan 100,99,90,50,0",
        );
        assert.strictEqual(
            commandLine(["node", "stacks/cli.ts", "rollout", "--stack", "dev", "--summary-json", "out dir/s.json"], {}),
            "npx ts-node --transpile-only stacks/cli.ts rollout --stack dev --summary-json 'out dir/s.json'",
        );
    });

    it("exits 2 naming the flag for a malformed plan, before looking for a stack or the Pulumi CLI", () => {
        const r = cli(["rollout", "--stack", "dev", "--plan", "3,3,0"]);
        assert.strictEqual(r.status, 2, r.stderr);
        assert.match(r.stderr, /--plan "3,3,0": partitions must strictly descend/);
    });

    it("exits 2 for --approve with stdin not a terminal, and writes that to the JSON summary", () => {
        const file = path.join(scratchDir("cli-test"), "summary.json");
        const r = cli(["rollout", "--stack", "dev", "--plan", "linear", "--approve", "--summary-json", file]);
        assert.strictEqual(r.status, 2, r.stderr);
        assert.match(r.stderr, /--approve asks y\/N on stdin .* pass --yes/);
        const summary = JSON.parse(fs.readFileSync(file, "utf8"));
        assert.deepStrictEqual(summary.exit.reason, "refused");
        assert.deepStrictEqual(summary.stages, []);
    });

    it("migrate: exits 2 for --approve without a terminal before opening the stack", function () {
        this.timeout(60_000);
        const file = path.join(scratchDir("cli-test"), "migrate.json");
        const r = cli(["migrate", "--stack", "dev", "--approve", "--summary-json", file]);
        assert.strictEqual(r.status, 2, r.stderr);
        assert.match(r.stderr, /--approve \(stdin is not a terminal\): it asks y\/N on stdin before each phase: pass --yes/);
        const summary = JSON.parse(fs.readFileSync(file, "utf8"));
        assert.deepStrictEqual([summary.exit.reason, summary.stages], ["refused", []]);
    });

    it("migrate: exits 2 for an unknown --migration-gate setting", function () {
        this.timeout(60_000);
        const r = cli(["migrate", "--stack", "dev", "--migration-gate", "maybe"]);
        assert.strictEqual(r.status, 2, r.stderr);
        assert.match(r.stderr, /--migration-gate <on\|off>' argument 'maybe' is invalid/);
    });

    it("migrate: the command walks a fake stack with its gates built from the flags", async () => {
        const cluster = new FakeMigrationCluster("brokers-kraft");
        const ws = new FakeMigrationWorkspace({ cluster });
        const summary = await migrate({ stack: "dev", workspace: ws, exec: cluster.exec, k8sGate: "off", command: "npm run migrate -- --stack dev", renderer: "silent", print: () => undefined, pollMs: 1 });
        assert.strictEqual(summary.exit.code, 0, summary.exit.message);
        assert.strictEqual(summary.env, "dev");
        assert.strictEqual(summary.policy.envConfigFile, "policies/config/dev.json");
        assert.ok(ws.previews.every((r) => r.policyConfig["rollout-partition-step"] !== undefined && r.policyConfig["kafka-migration"] !== undefined));
        assert.deepStrictEqual(summary.gates.map((g) => `${g.name} ${g.on ? "on" : "off"}`), ["kubernetes off", "kubernetes-controllers off", "migration on", "kafka on", "quorum on"]);
    });

    it("exits 2 for a bad flag value or an unknown gate setting", () => {
        assert.strictEqual(cli(["rollout", "--stack", "dev", "--plan", "linear", "--kafka-gate", "maybe"]).status, 2);
        const r = cli(["rollout", "--stack", "dev", "--plan", "linear", "--max-step", "0"]);
        assert.strictEqual(r.status, 2);
        assert.match(r.stderr, /option '--max-step <n>' argument '0' is invalid/);
    });

    it("takes the environment from the stack's name and holds staging to prod's policy config", () => {
        assert.deepStrictEqual(policySetup({ stack: "dev", workDir: ROOT }).envConfigFile, "policies/config/dev.json");
        const staging = policySetup({ stack: "acme/kafka-platform/staging", workDir: ROOT });
        assert.strictEqual(staging.env, "staging");
        assert.strictEqual(staging.envConfigFile, "policies/config/prod.json");
        assert.ok(staging.envConfig && "rollout-partition-step" in staging.envConfig);
        const other = policySetup({ stack: "perf-test", workDir: ROOT });
        assert.deepStrictEqual([other.env, other.envConfig], [undefined, undefined]);
        const missing = policySetup({ stack: "perf-test", env: "perf", workDir: ROOT });
        assert.deepStrictEqual([missing.env, missing.envConfigFile, missing.envConfig], ["perf", "policies/config/perf.json", undefined]);
    });

    it("turns a gate off only when asked, and refuses a stack without a cluster unless the gates are off", () => {
        const kubeconfig = path.join(scratchDir("cli-test"), "kubeconfig");
        fs.writeFileSync(
            kubeconfig,
            "apiVersion: v1\nkind: Config\ncurrent-context: kwok\ncontexts: [{name: kwok, context: {cluster: kwok, user: admin}}]\n" +
                "clusters: [{name: kwok, cluster: {server: 'http://127.0.0.1:32766'}}]\nusers: [{name: admin, user: {token: t}}]\n",
        );
        const gates = buildGates(state({ kubeconfig, context: "kwok" }), { kafkaGate: "off" });
        assert.deepStrictEqual(gates.map((g) => [g.name, g.off]), [["kubernetes", undefined], ["kafka", "--kafka-gate off"]]);
        assert.throws(() => buildGates(state(undefined), { kafkaGate: "off" }), /the kubernetes gate cannot read the StatefulSet: configure kubernetes:kubeconfig or KUBECONFIG, or pass --k8s-gate off/);
        const off = buildGates(state(undefined), { kafkaGate: "off", k8sGate: "off" });
        assert.deepStrictEqual(off.map((g) => g.off), ["--k8s-gate off", "--kafka-gate off"]);
        assert.deepStrictEqual(kubectlArgs({ kubeconfig: "/k", context: "kwok" }), ["--kubeconfig", "/k", "--context", "kwok"]);
        const inline = kubectlArgs({ kubeconfig: "apiVersion: v1\nkind: Config\n" });
        removeLater(path.dirname(inline[1]));
        assert.strictEqual(fs.readFileSync(inline[1], "utf8"), "apiVersion: v1\nkind: Config\n");
        assert.strictEqual(fs.statSync(inline[1]).mode & 0o777, 0o600);
    });

    it("runs the kafka gate through kubectl exec in the stack's namespace when it is on", async () => {
        const cluster = new FakeCluster(3, 3, "streaming");
        const ws = new FakeWorkspace({ cluster });
        ws.read = async () => ({ ...state({ kubeconfig: "/k" }), partition: ws.partition, deployedPartition: ws.deployed });
        const execs: string[][] = [];
        const summary = await rollout({
            stack: "dev",
            workDir: ROOT,
            plan: "linear",
            workspace: ws,
            kubeReader: cluster.reader,
            exec: async (command, args) => {
                execs.push([command, ...args]);
                return { code: 0, stdout: `${KAFKA_GATE_MARKER}\n`, stderr: "" };
            },
            command: "test",
            renderer: "silent",
            print: () => undefined,
            pollMs: 1,
        });
        assert.strictEqual(summary.exit.code, 0, summary.exit.message);
        assert.deepStrictEqual(summary.gates.map((g) => [g.name, g.on]), [["kubernetes", true], ["kafka", true]]);
        // Two questions per stage: baseline and three stages.
        assert.strictEqual(execs.length, 8);
        assert.deepStrictEqual(execs[0].slice(0, 7), ["kubectl", "--kubeconfig", "/k", "--namespace", "streaming", "exec", "kafka-0"]);
        assert.strictEqual(summary.policy.envConfigFile, "policies/config/dev.json");
    });
});
