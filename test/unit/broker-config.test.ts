import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEPARTURES, SEED_KEPT, brokerStartScript, parseOverrides, tunableProperties } from "../../components/broker-config";
import { shellQuote } from "../../components/shell";
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

    it("quotes values so that a real sh passes them to kafka-server-start.sh unchanged", () => {
        // A stand-in kafka-server-start.sh that prints its arguments one per line, run by dash/sh.
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "kafka-home-"));
        fs.mkdirSync(path.join(home, "bin"));
        fs.writeFileSync(path.join(home, "bin", "kafka-server-start.sh"), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
        const values = ["plain", "a b", "it's", "$HOME", "x;rm -rf /", "back\\slash", "*"];
        const script = brokerStartScript(
            home,
            "/base.properties",
            { brokers: 3, namespace: "default", headlessService: "kafka-hs", zookeeperConnect: "zk:2181", port: 9093, logDir: "/d" },
            new Map(values.map((v, i) => [`k${i}`, v])),
        );
        const argv = execFileSync("sh", ["-c", script], { env: { HOSTNAME: "kafka-2", PATH: process.env.PATH } }).toString().split("\n");
        fs.rmSync(home, { recursive: true, force: true });
        assert.strictEqual(argv[0], "/base.properties");
        values.forEach((v, i) => assert.ok(argv.includes(`k${i}=${v}`), `k${i}=${v} not passed through: ${JSON.stringify(argv)}`));
        assert.ok(argv.includes("broker.id=2"), "the broker id comes from the pod's hostname");
        assert.ok(argv.includes("advertised.listeners=PLAINTEXT://kafka-2.kafka-hs.default.svc.cluster.local:9093"));
        // The parser the policy pack uses reads the same values back from the script text.
        values.forEach((v, i) => assert.strictEqual(parseOverrides(script).get(`k${i}`), v));
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
