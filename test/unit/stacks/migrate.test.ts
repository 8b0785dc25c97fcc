// The migration driver (stacks/migrate/) against the fake workspace and the fake kubectl: the walk,
// the resume, the refusals, the way back with its stops, and the summary.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { MigrateOptions, Position, phaseGates, planMigration, runMigration } from "../../../stacks/migrate";
import type { RolloutSummary } from "../../../stacks/rollout";
import { FakeMigrationCluster, FakeMigrationWorkspace, MIGRATION_CLUSTER_ID, instantSleep, scratchDir, tickingClock } from "./fakes";

const COMMAND = "npm run migrate -- --stack dev --k8s-gate off";

function setup(deployed = "none", ws?: Partial<ConstructorParameters<typeof FakeMigrationWorkspace>[0]>) {
    const cluster = new FakeMigrationCluster(deployed);
    const workspace = new FakeMigrationWorkspace({ cluster, ...ws });
    const lines: string[] = [];
    const options = (o: Partial<MigrateOptions> = {}): MigrateOptions => ({
        workspace,
        // The kubernetes gates read StatefulSets the fake kubectl does not hold; they have their own tests.
        gates: (phase: Position, state) => phaseGates(phase, state, { k8sGate: "off", exec: cluster.exec }),
        exec: cluster.exec,
        timeoutSeconds: 5,
        renderer: "silent",
        command: COMMAND,
        print: (l) => lines.push(l),
        sleep: instantSleep(),
        now: tickingClock(),
        pollMs: 1,
        stdinIsTTY: true,
        ...o,
    });
    return { cluster, ws: workspace, lines, options };
}

const ofStages = (s: RolloutSummary) => s.stages.map((r) => [r.phase, r.result]);
const gatesOf = (s: RolloutSummary, i: number) => s.stages[i].gates.map((g) => `${g.gate}:${g.result}`);
const migrationPolicy = (req: { policyConfig: Record<string, unknown> }) => req.policyConfig["kafka-migration"] as { previousStep: string; previousPartition: Record<string, number> };

describe("the migration driver", () => {
    it("walks none → finalized one phase per up, telling the pack each step before, gating each phase", async () => {
        const { ws, cluster, lines, options } = setup();
        const summary = await runMigration(options({ clusterId: MIGRATION_CLUSTER_ID }));
        assert.strictEqual(summary.exit.reason, "completed", summary.exit.message);
        assert.strictEqual(summary.exit.code, 0);
        assert.deepStrictEqual(ws.calls, [
            "preview none", "up none",
            "config kafka.clusterId MkU3OEVBNTcwNTJENDM2Qg", "config kafka.migration controllers", "preview controllers", "up controllers",
            "config kafka.migration brokers-migrating", "preview brokers-migrating", "up brokers-migrating",
            "config kafka.migration brokers-kraft", "preview brokers-kraft", "up brokers-kraft",
            "config kafka.migration finalized", "preview finalized", "up finalized",
        ]);
        assert.strictEqual(cluster.deployed, "finalized");
        assert.deepStrictEqual(ofStages(summary), [["none", "passed"], ["controllers", "passed"], ["brokers-migrating", "passed"], ["brokers-kraft", "passed"], ["finalized", "passed"]]);
        assert.deepStrictEqual(ws.previews.map((r) => migrationPolicy(r).previousStep), ["zookeeper", "zookeeper", "controllers", "brokers-migrating", "brokers-kraft"]);
        assert.deepStrictEqual(migrationPolicy(ws.previews[2]).previousPartition, { kafka: 0, "kafka-controller": 0 });
        assert.deepStrictEqual(gatesOf(summary, 0), ["kubernetes:off", "kafka:passed"]);
        assert.deepStrictEqual(gatesOf(summary, 1), ["kubernetes:off", "kubernetes-controllers:off", "quorum:passed", "migration:passed"]);
        assert.deepStrictEqual(gatesOf(summary, 3), ["kubernetes:off", "kubernetes-controllers:off", "migration:passed", "kafka:passed"]);
        assert.deepStrictEqual(gatesOf(summary, 4), ["kubernetes:off", "kubernetes-controllers:off", "quorum:passed", "migration:passed"]);
        // Every controller asked, by its own pod.
        const jmxPods = new Set(cluster.execs.filter((a) => a.includes("org.apache.kafka.tools.JmxTool")).map((a) => a[a.indexOf("exec") + 1]));
        assert.deepStrictEqual([...jmxPods].sort(), ["kafka-controller-0", "kafka-controller-1", "kafka-controller-2"]);
        assert.ok(lines.some((l) => /^▶ phase 2\/4: kafka\.migration controllers → brokers-migrating \(at \d+s\)$/.test(l)), lines.join("\n"));
        assert.ok(lines.some((l) => /^✔ phase 2\/4 brokers-migrating: passed \(gates: kubernetes off, kubernetes-controllers off, migration passed \d+s, kafka passed \d+s; at \d+s\)$/.test(l)), lines.join("\n"));
        assert.ok(summary.migration!.manualSteps[0].includes("--to kraft"), summary.migration!.manualSteps.join("\n"));
    });

    it("takes kafka.clusterId from stack config at none without setting it again, and refuses a --cluster-id that differs", async () => {
        const { ws, options } = setup("none", { clusterId: MIGRATION_CLUSTER_ID });
        const summary = await runMigration(options({ to: "controllers" }));
        assert.strictEqual(summary.exit.code, 0, summary.exit.message);
        assert.deepStrictEqual(ws.calls, ["preview none", "up none", "config kafka.migration controllers", "preview controllers", "up controllers"]);
        const other = await runMigration(options({ clusterId: "AbU3OEVBNTcwNTJENDM2Qg" }));
        assert.strictEqual(other.exit.reason, "refused");
        assert.match(other.exit.message, /^--cluster-id AbU3OEVBNTcwNTJENDM2Qg: differs from kafka\.clusterId MkU3OEVBNTcwNTJENDM2Qg in stack config/);
    });

    it("polls the migration gate until MIGRATION is reached after the brokers roll", async () => {
        const { cluster, options } = setup("controllers");
        cluster.lagging = 4;
        const summary = await runMigration(options({ to: "brokers-migrating" }));
        assert.strictEqual(summary.exit.code, 0, summary.exit.message);
        const gate = summary.stages[1].gates.find((g) => g.gate === "migration")!;
        assert.strictEqual(gate.result, "passed");
        assert.ok(gate.attempts >= 2, `attempts ${gate.attempts}`);
    });

    it("stops at a failed gate with config left at that phase, and a rerun re-gates it and goes on", async () => {
        const { ws, cluster, lines, options } = setup("controllers");
        cluster.stuck.add("brokers-migrating");
        const first = await runMigration(options());
        assert.strictEqual(first.exit.code, 1);
        assert.strictEqual(first.exit.reason, "failed");
        assert.deepStrictEqual(ofStages(first), [["controllers", "passed"], ["brokers-migrating", "failed"], ["brokers-kraft", "not-started"], ["finalized", "not-started"]]);
        assert.strictEqual(ws.config["kafka.migration"], "brokers-migrating");
        assert.match(first.stages[1].reasons[0], /^gate migration: not healthy after 5s \(--timeout\): kafka-controller-0: ZkMigrationState is 2, waiting for 1/);
        assert.ok(lines.includes("✖ phase 1 (kafka.migration brokers-migrating) failed at gate:migration"), lines.join("\n"));
        assert.ok(lines.includes(`  resume (re-gates brokers-migrating first, then goes on): ${COMMAND}`), lines.join("\n"));
        assert.ok(lines.some((l) => l.startsWith("  roll back (README \"Rollback\"): npm run migrate -- --stack dev --rollback (kafka.migration controllers-removed, then none)")), lines.join("\n"));
        assert.ok(lines.some((l) => l.includes("--delete-migration-znodes")), lines.join("\n"));
        assert.deepStrictEqual(first.next?.resume, COMMAND);
        assert.strictEqual(first.migration!.finalPhase, "brokers-migrating");

        cluster.stuck.clear();
        ws.calls.length = 0;
        const second = await runMigration(options());
        assert.strictEqual(second.exit.code, 0, second.exit.message);
        assert.deepStrictEqual(second.migration!.phases, ["brokers-kraft", "finalized"]);
        assert.deepStrictEqual(ws.calls.slice(0, 3), ["preview brokers-migrating", "up brokers-migrating", "config kafka.migration brokers-kraft"]);
        assert.deepStrictEqual(ofStages(second), [["brokers-migrating", "passed"], ["brokers-kraft", "passed"], ["finalized", "passed"]]);
    });

    it("stops on under-replicated partitions after the brokers roll as KRaft brokers", async () => {
        const { cluster, options } = setup("brokers-migrating");
        const run = runMigration(options({ to: "brokers-kraft" }));
        cluster.underReplicated = true;
        const summary = await run;
        assert.strictEqual(summary.exit.reason, "failed");
        assert.match(summary.stages[0].reasons[0], /^gate kafka: .*under-replicated: test-0 \(leader 1, replicas 1,2,0, isr 1,2\)/);
    });

    describe("refuses before anything changes, naming the key", () => {
        const refused = async (deployed: string, ws: Partial<ConstructorParameters<typeof FakeMigrationWorkspace>[0]>, o: Partial<MigrateOptions>, message: RegExp) => {
            const s = setup(deployed, ws);
            const summary = await runMigration(s.options(o));
            assert.strictEqual(summary.exit.reason, "refused", summary.exit.message);
            assert.strictEqual(summary.exit.code, 2);
            assert.match(summary.exit.message, message);
            assert.match(summary.exit.message, /Nothing was changed$/);
            assert.deepStrictEqual(s.ws.calls, []);
            assert.deepStrictEqual(s.cluster.execs, []);
        };
        it("kafka.clusterId missing at none", () => refused("none", {}, {}, /^kafka\.clusterId \(unset\): .*zkCli\.sh -server localhost:2181 get \/cluster\/id`, then `pulumi config set --path kafka\.clusterId <id>` or pass --cluster-id <id>/));
        it("a malformed --cluster-id", () => refused("none", {}, { clusterId: "nope" }, /^--cluster-id nope: kafka-platform:kafka\.clusterId: got "nope"; expected a Kafka cluster id/));
        it("kafka.partition above 0", () => refused("controllers", { partition: 2 }, {}, /^kafka\.partition 2: every phase rolls every broker/));
        it("kafka.controllers.partition above 0", () => refused("controllers", { controllersPartition: 1 }, {}, /^kafka\.controllers\.partition 1: every phase rolls every controller/));
        it("kafka.metadata already kraft", () => refused("none", { kafka: { metadata: "kraft" } }, {}, /^kafka\.metadata kraft: already KRaft without ZooKeeper/));
        it("a target behind the current step without --rollback", () => refused("brokers-kraft", {}, { to: "controllers" }, /^--to controllers: behind kafka\.migration brokers-kraft: going back is --rollback/));
        it("--rollback of a finalized migration", () => refused("finalized", {}, { rollback: true }, /^--rollback .*: a finalized migration cannot be reverted/));
        it("an unknown --to", () => refused("controllers", {}, { to: "brokers" }, /^--to brokers: not a migration step/));
    });

    it("rolls back from brokers-kraft, stopping before each step the README leaves to the operator until its flag is given", async () => {
        const { ws, cluster, lines, options } = setup("brokers-kraft");
        const first = await runMigration(options({ rollback: true }));
        assert.strictEqual(first.exit.reason, "manual-step", first.exit.message);
        assert.strictEqual(first.exit.code, 4);
        assert.deepStrictEqual(ofStages(first), [["brokers-kraft", "passed"], ["brokers-migrating", "passed"], ["controllers-removed", "not-started"], ["none", "not-started"]]);
        assert.strictEqual(ws.config["kafka.migration"], "brokers-migrating");
        assert.ok(!ws.calls.some((c) => c.startsWith("unprotect")), ws.calls.join("\n"));
        const urn = "urn:pulumi:dev::kafka-platform::kafka-platform:index:KafkaControllers$kubernetes:apps/v1:StatefulSet::kafka-controller-statefulset";
        assert.ok(lines.includes(`  lift protect: pulumi state unprotect '${urn}' --stack dev --yes`), lines.join("\n"));
        assert.deepStrictEqual(first.migration!.manualSteps[0], `lift protect: pulumi state unprotect '${urn}' --stack dev --yes`);

        lines.length = 0;
        const second = await runMigration(options({ rollback: true, unprotectControllers: true }));
        assert.strictEqual(second.exit.reason, "manual-step", second.exit.message);
        assert.ok(lines.includes(`$ pulumi state unprotect '${urn}' --stack dev --yes`), lines.join("\n"));
        assert.strictEqual(cluster.deployed, "controllers-removed");
        assert.match(second.exit.message, /\/migration is still in ZooKeeper/);
        assert.ok(lines.includes("  kubectl --namespace default exec zk-0 -- zkCli.sh -server localhost:2181 delete /controller"), lines.join("\n"));
        assert.ok(cluster.znodes.has("/migration"), "nothing deleted without --delete-migration-znodes");

        lines.length = 0;
        ws.calls.length = 0;
        const third = await runMigration(options({ rollback: true, deleteMigrationZnodes: true }));
        assert.strictEqual(third.exit.code, 0, third.exit.message);
        assert.deepStrictEqual(ofStages(third), [["controllers-removed", "passed"], ["none", "passed"]]);
        assert.ok(!cluster.znodes.has("/migration") && !cluster.znodes.has("/controller"));
        assert.deepStrictEqual(
            lines.filter((l) => l.startsWith("$ ")),
            [
                "$ kubectl --namespace default exec zk-0 -- zkCli.sh -server localhost:2181 delete /controller",
                "$ kubectl --namespace default exec zk-0 -- zkCli.sh -server localhost:2181 get /migration",
                "$ kubectl --namespace default exec zk-0 -- zkCli.sh -server localhost:2181 delete /migration",
            ],
        );
        assert.deepStrictEqual(ws.calls.slice(-4), ["config kafka.migration none", "config rm kafka.controllers", "preview none", "up none"]);
        assert.strictEqual(ws.config["kafka.clusterId"], MIGRATION_CLUSTER_ID, "kept for a next attempt");
        assert.ok(third.migration!.manualSteps.some((s) => s.includes("kubectl --namespace default delete pvc datadir-kafka-controller-0 datadir-kafka-controller-1 datadir-kafka-controller-2")));
    });

    it("removes ZooKeeper with --to kraft only after --unprotect-zookeeper, printing the command", async () => {
        const { ws, cluster, lines, options } = setup("finalized");
        const first = await runMigration(options({ to: "kraft" }));
        assert.strictEqual(first.exit.reason, "manual-step");
        assert.strictEqual(ws.config["kafka.metadata"], "zookeeper");
        assert.ok(lines.some((l) => /^  lift protect: pulumi state unprotect 'urn:pulumi:dev::.*::zk-statefulset' --stack dev --yes$/.test(l)), lines.join("\n"));
        const second = await runMigration(options({ to: "kraft", unprotectZookeeper: true }));
        assert.strictEqual(second.exit.code, 0, second.exit.message);
        assert.strictEqual(cluster.deployed, "kraft");
        assert.ok(ws.calls.includes("unprotect zk-statefulset") && ws.calls.includes("config kafka.metadata kraft"), ws.calls.join("\n"));
        assert.deepStrictEqual(gatesOf(second, 1), ["kubernetes:off", "kubernetes-controllers:off", "quorum:passed", "kafka:passed"]);
    });

    it("goes on without a flag when protect was already lifted by hand", async () => {
        const { ws, cluster, options } = setup("finalized");
        ws.protectedNames.delete("zk-statefulset");
        const summary = await runMigration(options({ to: "kraft" }));
        assert.strictEqual(summary.exit.code, 0, summary.exit.message);
        assert.strictEqual(cluster.deployed, "kraft");
        assert.ok(!ws.calls.some((c) => c.startsWith("unprotect")), ws.calls.join("\n"));
    });

    it("writes the summary JSON in the rollout's shape, with each phase's gates and times", async () => {
        const file = path.join(scratchDir("migrate-test"), "out", "summary.json");
        const { options, cluster } = setup("controllers");
        cluster.stuck.add("brokers-migrating");
        await runMigration(options({ to: "brokers-migrating", summaryJson: file }));
        const json = JSON.parse(fs.readFileSync(file, "utf8"));
        assert.strictEqual(json.version, 1);
        assert.deepStrictEqual(json.exit.code, 1);
        assert.deepStrictEqual(json.migration.phases, ["brokers-migrating"]);
        assert.strictEqual(json.migration.finalPhase, "brokers-migrating");
        assert.deepStrictEqual(json.stages.map((s: { kind: string; phase: string; previousPhase: string }) => [s.kind, s.phase, s.previousPhase]), [["baseline", "controllers", "controllers"], ["stage", "brokers-migrating", "controllers"]]);
        const migrationGate = json.stages[1].gates.find((g: { gate: string }) => g.gate === "migration");
        assert.strictEqual(migrationGate.result, "failed");
        assert.ok(migrationGate.elapsedSeconds >= 5);
        assert.deepStrictEqual(json.stages[1].steps.map((s: { name: string }) => s.name), ["config", "preview", "up", "gate:kubernetes", "gate:kubernetes-controllers", "gate:migration"]);
        assert.ok(json.startedAt && json.endedAt && json.stages[1].startedAt && json.stages[1].endedAt);
        assert.deepStrictEqual(json.gates.map((g: { name: string }) => g.name), ["kubernetes", "kubernetes-controllers", "quorum", "migration", "kafka"]);
        assert.strictEqual(json.next.resume, COMMAND);
    });
});

describe("the migration plan", () => {
    const state = async (deployed: string, ws: Partial<ConstructorParameters<typeof FakeMigrationWorkspace>[0]> = {}) =>
        new FakeMigrationWorkspace({ cluster: new FakeMigrationCluster(deployed), ...ws }).read();

    it("walks the docs' revert from each step", async () => {
        assert.deepStrictEqual(planMigration(await state("brokers-kraft"), { rollback: true }).phases, ["brokers-migrating", "controllers-removed", "none"]);
        assert.deepStrictEqual(planMigration(await state("controllers"), { rollback: true }).phases, ["none"]);
        assert.deepStrictEqual(planMigration(await state("brokers-kraft"), { rollback: true, to: "brokers-migrating" }).phases, ["brokers-migrating"]);
    });

    it("goes on to ZooKeeper's removal only when asked, and refuses to migrate forward from a way back", async () => {
        assert.deepStrictEqual(planMigration(await state("brokers-kraft"), {}).phases, ["finalized"]);
        assert.deepStrictEqual(planMigration(await state("brokers-kraft"), { to: "kraft" }).phases, ["finalized", "kraft"]);
        const removed = await state("controllers-removed");
        assert.throws(() => planMigration(removed, {}), /kafka\.migration controllers-removed: a step of the way back/);
    });
});

describe("the gates of each phase", () => {
    it("asks what the README's table waits for", async () => {
        const cluster = new FakeMigrationCluster("none");
        const st = await new FakeMigrationWorkspace({ cluster, phase: "controllers" }).read();
        const names = (p: Position) => phaseGates(p, st, { exec: cluster.exec, kubeReader: { readStatefulSet: async () => undefined, listPods: async () => [] } }).map((g) => g.name);
        assert.deepStrictEqual(names("none"), ["kubernetes", "kafka"]);
        assert.deepStrictEqual(names("controllers"), ["kubernetes", "kubernetes-controllers", "quorum", "migration"]);
        assert.deepStrictEqual(names("brokers-migrating"), ["kubernetes", "kubernetes-controllers", "migration", "kafka"]);
        assert.deepStrictEqual(names("brokers-kraft"), ["kubernetes", "kubernetes-controllers", "migration", "kafka"]);
        assert.deepStrictEqual(names("finalized"), ["kubernetes", "kubernetes-controllers", "quorum", "migration"]);
        assert.deepStrictEqual(names("controllers-removed"), ["kubernetes"]);
        assert.deepStrictEqual(names("kraft"), ["kubernetes", "kubernetes-controllers", "quorum", "kafka"]);
        const off = phaseGates("brokers-kraft", st, { exec: cluster.exec, k8sGate: "off", migrationGate: "off", kafkaGate: "off" });
        assert.deepStrictEqual(off.map((g) => `${g.name}: ${g.off}`), ["kubernetes: --k8s-gate off", "kubernetes-controllers: --k8s-gate off", "migration: --migration-gate off", "kafka: --kafka-gate off"]);
    });
});
