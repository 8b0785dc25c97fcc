// The migration gate (rollout/migration-gate.ts) against a fake kubectl: the JmxTool command line,
// its properties output as JmxTool.java:279-283 (3.9) prints it, and the verdict per phase.
import * as assert from "assert";
import { PHASE_WANTS, jmxToolArgs, migrationGate, parseJmxValue, parseQuorumStatus, quorumGate, quorumStatusArgs } from "../../rollout/migration-gate";
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

describe("the quorum gate", () => {
    const v39 =
        "ClusterId:              MkU3OEVBNTcwNTJENDM2Qk\nLeaderId:               3001\nLeaderEpoch:            4\nHighWatermark:          1523\n" +
        "MaxFollowerLag:         0\nMaxFollowerLagTimeMs:   12\n" +
        'CurrentVoters:          [{"id": 3000, "directoryId": null, "endpoints": ["CONTROLLER://kafka-controller-0.kafka-controller-hs.default.svc.cluster.local:9094"]}, ' +
        '{"id": 3001, "directoryId": null, "endpoints": []}, {"id": 3002, "directoryId": null, "endpoints": []}]\n' +
        'CurrentObservers:       [{"id": 0, "directoryId": "x"}]\n';
    const answering = (stdout: string, code = 0): { exec: ExecFn; calls: string[][] } => {
        const calls: string[][] = [];
        return { calls, exec: async (_c, args) => (calls.push(args), { code, stdout, stderr: code ? "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment." : "" }) };
    };

    it("runs kafka-metadata-quorum.sh in kafka-controller-0 against its own controller listener, JMX settings unset", () => {
        assert.deepStrictEqual(quorumStatusArgs({ namespace: "streaming" }), [
            "--namespace", "streaming", "exec", "kafka-controller-0", "--",
            "env", "-u", "JMX_PORT", "-u", "KAFKA_JMX_OPTS", "KAFKA_HEAP_OPTS=-Xmx128M",
            "/opt/kafka/bin/kafka-metadata-quorum.sh",
            "--bootstrap-controller", "kafka-controller-0.kafka-controller-hs.streaming.svc.cluster.local:9094",
            "describe", "--status",
        ]);
    });

    it("reads the leader and voters from 3.9's object list and from the older id list, not the observers", () => {
        assert.deepStrictEqual(parseQuorumStatus(v39), { leaderId: 3001, voters: [3000, 3001, 3002], maxFollowerLag: 0 });
        assert.deepStrictEqual(parseQuorumStatus("LeaderId: -1\nCurrentVoters: [3000,3001]\nCurrentObservers: [0,1]\n"), { leaderId: -1, voters: [3000, 3001], maxFollowerLag: undefined });
    });

    it("passes with a leader and every voter", async () => {
        const check = await quorumGate({ namespace: "default", controllers: 3, exec: answering(v39).exec }).check(target);
        assert.deepStrictEqual(check, { passed: true, progress: "leader 3001, 3 voters, max follower lag 0" });
    });

    it("waits while there is no leader, a voter is missing, or the tool fails, saying which", async () => {
        const noLeader = await quorumGate({ namespace: "default", controllers: 3, exec: answering(v39.replace("LeaderId:               3001", "LeaderId: -1")).exec }).check(target);
        assert.strictEqual(noLeader.passed, false);
        assert.strictEqual(noLeader.reason, "no leader (LeaderId -1)");
        const four = await quorumGate({ namespace: "default", controllers: 4, exec: answering(v39).exec }).check(target);
        assert.strictEqual(four.reason, "voters 3003 missing from CurrentVoters [3000, 3001, 3002]");
        const failing = await quorumGate({ namespace: "default", controllers: 3, exec: answering("", 1).exec }).check(target);
        assert.match(failing.reason!, /^kafka-metadata-quorum\.sh in kafka-controller-0 failed \(exit 1\): .*Timed out waiting for a node assignment/);
    });
});
