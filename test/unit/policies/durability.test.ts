import * as assert from "assert";
import { kafkaDurability } from "../../../policies/rules/durability";
import { validateResource } from "../../helpers/policy-args";
import { CONTAINER, DURABLE_OVERRIDES, kafkaScript, kafkaStatefulSet, set, sts, zkStatefulSet } from "./fixtures";

const policy = kafkaDurability();
const PREFIX = "StatefulSet streaming/kafka violates kafka-durability:";

/** The broker fixture with some overrides changed (undefined removes one) and optionally another broker count. */
function brokers(changes: Record<string, string | undefined>, replicas = 3) {
    const overrides: Record<string, string> = { ...DURABLE_OVERRIDES };
    for (const [key, value] of Object.entries(changes)) {
        if (value === undefined) delete overrides[key];
        else overrides[key] = value;
    }
    const props = set(kafkaStatefulSet(), `${CONTAINER}.command`, ["sh", "-c", kafkaScript(overrides)]);
    return set(props, "spec.replicas", replicas);
}
const check = (props: Record<string, any>, config: object = {}) => validateResource(policy, sts(props), config);

describe("policy kafka-durability", () => {
    it("passes three brokers with min.insync.replicas 2, replication factor 3 and unclean election off", async () => {
        assert.deepStrictEqual((await check(kafkaStatefulSet())).violations, []);
    });

    it("passes a single dev broker whose factors are all 1", async () => {
        const single = { "min.insync.replicas": "1", "default.replication.factor": "1", "offsets.topic.replication.factor": "1", "transaction.state.log.replication.factor": "1" };
        assert.deepStrictEqual((await check(brokers(single, 1))).violations, []);
    });

    it("fails min.insync.replicas 1 with three brokers", async () => {
        assert.deepStrictEqual((await check(brokers({ "min.insync.replicas": "1" }))).violations, [
            `${PREFIX} min.insync.replicas is 1 with 3 brokers, so an acks=all write is acknowledged once 1 broker holds it and is lost ` +
                "with that disk. Fix: set min.insync.replicas=2 (kafka.brokerConfig) with default.replication.factor above it.",
        ]);
    });

    it("fails a missing min.insync.replicas, reading Kafka's default of 1", async () => {
        assert.deepStrictEqual((await check(brokers({ "min.insync.replicas": undefined }))).violations, [
            `${PREFIX} min.insync.replicas is not set (Kafka's default: 1) with 3 brokers, so an acks=all write is acknowledged ` +
                "once 1 broker holds it and is lost with that disk. Fix: set min.insync.replicas=2 (kafka.brokerConfig) with default.replication.factor above it.",
        ]);
    });

    it("passes min.insync.replicas 1 where policy config lowers the floor", async () => {
        assert.deepStrictEqual((await check(brokers({ "min.insync.replicas": "1" }), { minInsyncReplicas: 1 })).violations, []);
    });

    it("fails min.insync.replicas equal to the replication factor, which stops writes at every rolling restart", async () => {
        assert.deepStrictEqual((await check(brokers({ "min.insync.replicas": "3" }))).violations, [
            `${PREFIX} min.insync.replicas (3) is not below default.replication.factor (3), so acks=all writes stop whenever one replica ` +
                "is down, as at every step of a rolling update. Fix: set min.insync.replicas to 2 or raise default.replication.factor to 4 (at most 3) (kafka.brokerConfig).",
        ]);
    });

    it("fails min.insync.replicas above the replication factor", async () => {
        const [message] = (await check(brokers({ "default.replication.factor": "2", "min.insync.replicas": "3" }))).violations;
        assert.match(message, /min\.insync\.replicas \(3\) is not below default\.replication\.factor \(2\), so every acks=all write to a topic with the default replication factor fails/);
    });

    it("fails min.insync.replicas 0, which the broker refuses at start, once", async () => {
        assert.deepStrictEqual((await check(brokers({ "min.insync.replicas": "0" }))).violations, [
            `${PREFIX} min.insync.replicas is 0, below 1, so the broker will not start. Fix: set min.insync.replicas to at least 1 (kafka.brokerConfig).`,
        ]);
    });

    it("finds what stack config validation refuses, from the same rules", async () => {
        // components/durability.ts decides for both: config validation refuses the invalid findings.
        const { parseConfig } = await import("../../../components/config");
        assert.throws(() => parseConfig({ kafka: { brokerConfig: { "min.insync.replicas": 3 } } }), /min\.insync\.replicas: got 3/);
        assert.match((await check(brokers({ "min.insync.replicas": "3" }))).violations[0], /min\.insync\.replicas \(3\) is not below/);
    });

    it("fails unclean leader election, also when quoted as the broker config module writes it", async () => {
        const expected = [
            `${PREFIX} unclean.leader.election.enable is true, so an out-of-sync replica can become leader and silently drop acknowledged ` +
                "messages. Fix: set unclean.leader.election.enable=false (kafka.brokerConfig).",
        ];
        assert.deepStrictEqual((await check(brokers({ "unclean.leader.election.enable": "true" }))).violations, expected);
        const quoted = set(kafkaStatefulSet(), `${CONTAINER}.command`, [
            "sh",
            "-c",
            kafkaScript(DURABLE_OVERRIDES).replace("--override unclean.leader.election.enable=false", "--override 'unclean.leader.election.enable=true'"),
        ]);
        assert.deepStrictEqual((await check(quoted)).violations, expected);
    });

    it("passes a missing unclean.leader.election.enable, which Kafka defaults to false", async () => {
        assert.deepStrictEqual((await check(brokers({ "unclean.leader.election.enable": undefined }))).violations, []);
    });

    it("fails a default replication factor above the broker count", async () => {
        const result = await check(brokers({ "default.replication.factor": "4" }));
        assert.deepStrictEqual(result.violations, [
            `${PREFIX} default.replication.factor is 4 with 3 brokers, so topics created with the default replication factor ` +
                "(auto-created ones too) cannot be created. Fix: set default.replication.factor between 1 and 3 (kafka.brokerConfig), or run more brokers (kafka.replicas).",
        ]);
    });

    it("fails a missing offsets.topic.replication.factor on one broker, where Kafka's default of 3 cannot be met", async () => {
        const single = { "min.insync.replicas": "1", "default.replication.factor": "1", "offsets.topic.replication.factor": undefined, "transaction.state.log.replication.factor": "1" };
        assert.deepStrictEqual((await check(brokers(single, 1))).violations, [
            `${PREFIX} offsets.topic.replication.factor is not set (Kafka's default: 3) with 1 broker, so __consumer_offsets ` +
                "cannot be created and consumer groups cannot commit offsets. Fix: set offsets.topic.replication.factor to 1 (kafka.brokerConfig), or run more brokers (kafka.replicas).",
        ]);
    });

    it("reports a non-integer value once, however many checks read it", async () => {
        assert.deepStrictEqual((await check(brokers({ "default.replication.factor": "three" }))).violations, [
            `${PREFIX} default.replication.factor is three, not an integer, so the broker will not start. Fix: set default.replication.factor to an integer (kafka.brokerConfig).`,
        ]);
    });

    it("reads the overrides from args as well as command", async () => {
        const props = kafkaStatefulSet();
        const container = props.spec.template.spec.containers[0];
        container.command = ["sh", "-c"];
        container.args = [kafkaScript({ ...DURABLE_OVERRIDES, "unclean.leader.election.enable": "true" })];
        assert.match((await check(props)).violations[0], /unclean\.leader\.election\.enable is true/);
    });

    it("fails pods labelled as brokers whose containers do not start a broker", async () => {
        const props = set(kafkaStatefulSet(), `${CONTAINER}.command`, ["/entrypoint.sh"]);
        assert.deepStrictEqual((await check(props)).violations, [
            `${PREFIX} its pods are labelled as Kafka brokers but no container runs kafka-server-start.sh, so its broker settings cannot be read. ` +
                "Fix: start the broker with kafka-server-start.sh and --override key=value flags, as components/kafka-spec.ts does.",
        ]);
    });

    it("checks a broker StatefulSet by its start command whatever its labels", async () => {
        const props = brokers({ "unclean.leader.election.enable": "true" });
        props.spec.template.metadata.labels = { "app.kubernetes.io/name": "kafka" };
        assert.match((await check(props)).violations[0], /unclean\.leader\.election\.enable is true/);
    });

    it("does not apply to the ZooKeeper ensemble", async () => {
        assert.deepStrictEqual(await check(zkStatefulSet()), { violations: [], notApplicable: "not a Kafka broker StatefulSet", urns: [] });
    });
});
