// The migration gate (rollout/migration-gate.ts) against a fake kubectl: the JmxTool command line,
// its properties output as JmxTool.java:279-283 (3.9) prints it, and the verdict per phase.
import * as assert from "assert";
import { PHASE_WANTS, jmxToolArgs, migrationGate, parseJmxValue } from "../../rollout/migration-gate";
import type { ExecFn } from "../../rollout/gates";

const output = (metric: string, value: number) => `time=1764600000000\nkafka.controller:type=KafkaController,name=${metric}:Value=${value}\n`;

/** A fake kubectl exec answering each controller pod with its own readings. */
function fakeExec(readings: Record<string, Record<string, number | "fail">>): { exec: ExecFn; calls: string[][] } {
    const calls: string[][] = [];
    const exec: ExecFn = async (_cmd, args) => {
        calls.push(args);
        const pod = args[args.indexOf("exec") + 1];
        const metric = /name=(\w+)$/.exec(args[args.indexOf("--object-name") + 1])![1];
        const v = readings[pod]?.[metric];
        if (v === "fail") return { code: 1, stdout: "", stderr: "Could not connect to JMX url: service:jmx:rmi:///jndi/rmi://127.0.0.1:9999/jmxrmi." };
        return { code: 0, stdout: v === undefined ? "time=1\n" : output(metric, v), stderr: "" };
    };
    return { exec, calls };
}

const target = { partition: 0, replicas: 3 };

describe("the migration gate", () => {
    it("runs JmxTool in the controller pod with the pod's JMX settings unset and a small heap", () => {
        assert.deepStrictEqual(jmxToolArgs({ namespace: "streaming", kubectlArgs: ["--context", "local"] }, "kafka-controller-1", "ZkMigrationState"), [
            "--context", "local", "--namespace", "streaming", "exec", "kafka-controller-1", "--",
            "env", "-u", "JMX_PORT", "-u", "KAFKA_JMX_OPTS", "KAFKA_HEAP_OPTS=-Xmx64M",
            "/opt/kafka/bin/kafka-run-class.sh", "org.apache.kafka.tools.JmxTool",
            "--jmx-url", "service:jmx:rmi:///jndi/rmi://127.0.0.1:9999/jmxrmi",
            "--object-name", "kafka.controller:type=KafkaController,name=ZkMigrationState",
            "--attributes", "Value", "--one-time", "true", "--report-format", "properties",
        ]);
    });

    it("reads the Value line of the asked metric only", () => {
        assert.strictEqual(parseJmxValue(output("ZkMigrationState", 2), "ZkMigrationState"), 2);
        assert.strictEqual(parseJmxValue(output("MigratingZkBrokerCount", 0), "ZkMigrationState"), undefined);
        assert.strictEqual(parseJmxValue("time=1\n", "ZkMigrationState"), undefined);
    });

    it("waits for PRE_MIGRATION after controllers, MIGRATION after brokers-migrating, no ZooKeeper broker after brokers-kraft, POST_MIGRATION after finalized", () => {
        assert.deepStrictEqual(
            Object.fromEntries(Object.entries(PHASE_WANTS).map(([phase, wants]) => [phase, wants!.map((w) => `${w.metric}=${w.value}`)])),
            {
                controllers: ["ZkMigrationState=2"],
                "brokers-migrating": ["ZkMigrationState=1"],
                "brokers-kraft": ["ZkMigrationState=1", "MigratingZkBrokerCount=0"],
                finalized: ["ZkMigrationState=3"],
            },
        );
        assert.strictEqual(migrationGate({ namespace: "default", phase: "controllers-removed", controllers: 3 }), undefined);
        assert.strictEqual(migrationGate({ namespace: "default", phase: "none", controllers: 3 }), undefined);
    });

    it("passes when every controller reports the phase's state, asking each one", async () => {
        const all = (v: Record<string, number>) => ({ "kafka-controller-0": v, "kafka-controller-1": v, "kafka-controller-2": v });
        const { exec, calls } = fakeExec(all({ ZkMigrationState: 1, MigratingZkBrokerCount: 0 }));
        const check = await migrationGate({ namespace: "default", phase: "brokers-kraft", controllers: 3, exec })!.check(target);
        assert.deepStrictEqual(check, { passed: true, progress: "ZkMigrationState 1, MigratingZkBrokerCount 0 on 3 controllers" });
        assert.strictEqual(calls.length, 6);
    });

    it("waits, naming the controller, while one still reports the previous state or cannot be read", async () => {
        const { exec } = fakeExec({
            "kafka-controller-0": { ZkMigrationState: 1 },
            "kafka-controller-1": { ZkMigrationState: 2 },
            "kafka-controller-2": { ZkMigrationState: "fail" },
        });
        const check = await migrationGate({ namespace: "default", phase: "brokers-migrating", controllers: 3, exec })!.check(target);
        assert.strictEqual(check.passed, false);
        assert.strictEqual(
            check.reason,
            "kafka-controller-1: ZkMigrationState is 2, waiting for 1 (MIGRATION: the metadata is copied, dual writes on); " +
                "kafka-controller-2: JmxTool failed (exit 1): Could not connect to JMX url: service:jmx:rmi:///jndi/rmi://127.0.0.1:9999/jmxrmi.",
        );
        const empty = fakeExec({ "kafka-controller-0": {} });
        assert.match((await migrationGate({ namespace: "default", phase: "finalized", controllers: 1, exec: empty.exec })!.check(target)).reason!, /printed no ZkMigrationState value/);
    });
});
