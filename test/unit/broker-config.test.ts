import * as assert from "assert";
import { DEPARTURES, SEED_KEPT, brokerStartScript, parseOverrides, shellQuote, tunableProperties } from "../../components/broker-config";
import { createTopicsScript, topicsJobName } from "../../components/topics-spec";

describe("broker configuration", () => {
    it("never sets a key both as kept from the seed and as a departure", () => {
        const kept = new Set(SEED_KEPT.map(([k]) => k));
        for (const d of DEPARTURES) assert.ok(!kept.has(d.key), d.key);
    });

    it("lets user overrides win over defaults and departures", () => {
        const props = tunableProperties(3, { "min.insync.replicas": "1", "num.io.threads": "16" });
        assert.strictEqual(props.get("min.insync.replicas"), "1");
        assert.strictEqual(props.get("num.io.threads"), "16");
        assert.ok(!props.has("inter.broker.protocol.version"));
    });

    it("quotes values so that the shell passes them through unchanged", () => {
        for (const value of ["plain", "a b", "it's", "$HOME", "x;rm -rf /", "back\\slash"]) {
            const script = brokerStartScript(
                "/opt/kafka",
                { brokers: 3, namespace: "default", headlessService: "kafka-hs", zookeeperConnect: "zk:2181", port: 9093, dataMountPath: "/d" },
                new Map([["k", value]]),
            );
            assert.strictEqual(parseOverrides(script).get("k"), value);
        }
        assert.strictEqual(shellQuote("a'b"), `'a'\\''b'`);
    });
});

describe("the topics Job", () => {
    it("creates every topic idempotently with its partitions and replication factor", () => {
        const script = createTopicsScript(
            [
                { name: "test", partitions: 1, replicationFactor: 3 },
                { name: "orders", partitions: 6, replicationFactor: 2 },
            ],
            "kafka-0.kafka-hs:9093",
        );
        assert.match(script, /kafka-topics\.sh --bootstrap-server kafka-0\.kafka-hs:9093 --create --if-not-exists --topic test --partitions 1 --replication-factor 3/);
        assert.match(script, /--topic orders --partitions 6 --replication-factor 2/);
        assert.match(script, /^set -e$/m);
    });

    it("is named by its topic list", () => {
        const a = topicsJobName([{ name: "test", partitions: 1, replicationFactor: 3 }]);
        assert.strictEqual(a, topicsJobName([{ name: "test", partitions: 1, replicationFactor: 3 }]));
        assert.notStrictEqual(a, topicsJobName([{ name: "test", partitions: 2, replicationFactor: 3 }]));
    });
});
