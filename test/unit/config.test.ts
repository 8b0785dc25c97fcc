import * as assert from "assert";
import { DEFAULT_KAFKA_IMAGE, DEFAULT_ZOOKEEPER_IMAGE, parseConfig, projectConfig } from "../../components/config";
import { runProgramExpectingError } from "../helpers/program";
import { problems, rejects } from "../helpers/config";


describe("stack config", () => {
    it("defaults to the brief's table", () => {
        const cfg = parseConfig({});
        assert.strictEqual(cfg.namespace, "default");
        assert.deepStrictEqual(
            { ...cfg.kafka },
            {
                replicas: 3,
                cpu: "500m",
                memory: "1Gi",
                partition: 0,
                image: DEFAULT_KAFKA_IMAGE,
                heapOpts: "-Xmx512M -Xms512M",
                storage: "10Gi",
                antiAffinity: "required",
                brokerConfig: {},
                readiness: "in-sync",
                rolloutTimeoutSeconds: 600,
                metadata: "zookeeper",
                migration: "none",
                controllers: { replicas: 3, cpu: "500m", memory: "1Gi", partition: 0, heapOpts: "-Xmx512M -Xms512M", storage: "10Gi", rolloutTimeoutSeconds: 600 },
            },
        );
        assert.deepStrictEqual(
            { ...cfg.zookeeper },
            {
                replicas: 3,
                cpu: "500m",
                memory: "1Gi",
                partition: 0,
                image: DEFAULT_ZOOKEEPER_IMAGE,
                heapOpts: "-Xmx512M -Xms512M",
                storage: "10Gi",
                rolloutTimeoutSeconds: 600,
            },
        );
        assert.deepStrictEqual(cfg.topics, [{ name: "test", partitions: 1, replicationFactor: 3 }]);
    });

    it("accepts the seed's CPU written as a number and integers written as strings", () => {
        const cfg = parseConfig({ kafka: { cpu: 0.5, partition: "2", replicas: "3" } });
        assert.strictEqual(cfg.kafka.cpu, "0.5");
        assert.strictEqual(cfg.kafka.partition, 2);
        assert.strictEqual(cfg.kafka.replicas, 3);
    });

    it("rejects negative, fractional and non-numeric counts, naming the key and value", () => {
        rejects({ kafka: { replicas: -1 } }, "kafka.replicas", /got -1/, /integer of at least 1/);
        rejects({ kafka: { replicas: 2.5 } }, "kafka.replicas", /got 2\.5/);
        rejects({ kafka: { replicas: "three" } }, "kafka.replicas", /got "three"/);
        rejects({ zookeeper: { replicas: 0 } }, "zookeeper.replicas", /got 0/);
    });

    it("rejects a partition that is not a non-negative integer", () => {
        rejects({ kafka: { partition: -1 } }, "kafka.partition", /got -1/, /non-negative integer/);
        rejects({ kafka: { partition: 1.5 } }, "kafka.partition", /got 1\.5/);
        rejects({ zookeeper: { partition: "x" } }, "zookeeper.partition", /got "x"/);
    });

    it("rejects CPU and memory strings Kubernetes would not parse", () => {
        rejects({ kafka: { cpu: "lots" } }, "kafka.cpu", /got "lots"/, /Kubernetes quantity such as 500m/);
        rejects({ kafka: { cpu: "500mi" } }, "kafka.cpu", /got "500mi"/);
        rejects({ kafka: { cpu: "-1" } }, "kafka.cpu", /got "-1"/);
        rejects({ kafka: { memory: "1GB" } }, "kafka.memory", /got "1GB"/, /1Gi/);
        rejects({ zookeeper: { storage: "ten" } }, "zookeeper.storage", /got "ten"/);
    });

    it("rejects unknown keys so a typo never silently does nothing", () => {
        rejects({ kafka: { cpuu: "1" } }, "kafka.cpuu", /unknown key/);
        rejects({ kafak: {} }, "kafak", /unknown key/);
        rejects({ topics: [{ name: "a", replicas: 3 }] }, "topics[0].replicas", /unknown key/);
    });

    it("rejects an anti-affinity mode other than required or preferred", () => {
        rejects({ kafka: { antiAffinity: "sometimes" } }, "kafka.antiAffinity", /got "sometimes"/, /"required"/, /"preferred"/);
        rejects({ kafka: { readiness: "ready" } }, "kafka.readiness", /got "ready"/, /"in-sync"/, /"serving"/);
    });

    it("rejects min.insync.replicas at or above the replication factor", () => {
        rejects({ kafka: { brokerConfig: { "min.insync.replicas": 3 } } }, "kafka.brokerConfig.min.insync.replicas", /got 3/, /below default\.replication\.factor \(3\)/);
        assert.doesNotThrow(() => parseConfig({ kafka: { replicas: 1 } }));
    });

    it("rejects replication factors above the broker count", () => {
        rejects({ kafka: { brokerConfig: { "default.replication.factor": 4 } } }, "kafka.brokerConfig.default.replication.factor", /got 4/, /1\.\.3/);
        rejects({ kafka: { replicas: 2 }, topics: [{ name: "test", replicationFactor: 3 }] }, "topics[0].replicationFactor", /got 3/, /at most kafka\.replicas \(2\)/);
    });

    it("rejects a topic whose replication factor is below min.insync.replicas", () => {
        rejects({ topics: [{ name: "t", replicationFactor: 1 }] }, "topics[0].replicationFactor", /below min\.insync\.replicas \(2\)/);
    });

    it("rejects broker properties the platform derives, and numbers JavaScript would round", () => {
        rejects({ kafka: { brokerConfig: { "broker.id": 7 } } }, "kafka.brokerConfig.broker.id", /derived by the platform/);
        rejects({ kafka: { brokerConfig: { "log.flush.interval.messages": 9223372036854775807 } } }, "kafka.brokerConfig.log.flush.interval.messages", /quote integers/);
    });

    it("reports every problem at once", () => {
        assert.strictEqual(problems({ kafka: { replicas: -1, cpu: "x", partition: -2 } }).length, 3);
    });

    it("reads structured values from Pulumi's flat config map and ignores other namespaces", () => {
        const raw = projectConfig({
            "kafka-platform:kafka": '{"partition":2}',
            "kafka-platform:namespace": "streaming",
            "kubernetes:context": "kind",
        });
        assert.deepStrictEqual(raw, { kafka: { partition: 2 }, namespace: "streaming" });
    });

    it("stops the program before any resource is registered", async () => {
        const { error, resources } = await runProgramExpectingError({ kafka: { cpu: "lots", partition: -1 } });
        assert.match(error.message, /kafka-platform:kafka\.cpu: got "lots"/);
        assert.match(error.message, /kafka-platform:kafka\.partition: got -1/);
        assert.match(error.message, /nothing was changed/);
        assert.deepStrictEqual(resources, []);
    });
});
