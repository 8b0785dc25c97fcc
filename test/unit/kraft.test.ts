// kafka.metadata: kraft for a fresh stack: config, the controller and broker specs field by field,
// the start scripts run by a real sh, the program under mocks (random cluster id or kafka.clusterId,
// no ZooKeeper), and the kafka-metadata policy. Expected values are written out here, not derived
// with the helpers that produce them.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseOverrides } from "../../components/broker-config";
import { parseConfig } from "../../components/config";
import { kafkaImageMajor } from "../../components/durability";
import { controllerStatefulSetSpec, controllerHeadlessServiceSpec, controllerPdbSpec } from "../../components/kafka-controller-spec";
import { kafkaStatefulSetSpec } from "../../components/kafka-spec";
import { kafkaClusterIdFromHex } from "../../components/kraft";
import { selectorMatches } from "../../components/labels";
import { kafkaDurability } from "../../policies/rules/durability";
import { kafkaMetadata } from "../../policies/rules/kafka-metadata";
import { guardrails } from "../../policies/rules";
import { programResources, recordResourceOptions, runPack, validateResource } from "../helpers/policy-args";
import { runProgram } from "../helpers/program";
import { CONTAINER, kafkaStatefulSet, set, sts } from "./policies/fixtures";
import { rejects } from "../helpers/config";
import { runStartScript } from "../helpers/start-script";

const STS = "kubernetes:apps/v1:StatefulSet";
const SVC = "kubernetes:core/v1:Service";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg"; // Kafka's quickstart example id
const VOTERS =
    "3000@kafka-controller-0.kafka-controller-hs.default.svc.cluster.local:9094," +
    "3001@kafka-controller-1.kafka-controller-hs.default.svc.cluster.local:9094," +
    "3002@kafka-controller-2.kafka-controller-hs.default.svc.cluster.local:9094";


const kraft = (kafka: Record<string, unknown> = {}) => parseConfig({ kafka: { metadata: "kraft", clusterId: CLUSTER_ID, ...kafka } });

function controllerSpec(kafka: Record<string, unknown> = {}) {
    const cfg = kraft(kafka);
    return controllerStatefulSetSpec({ ...cfg.kafka.controllers, namespace: "default", instance: "dev", image: cfg.kafka.image, clusterId: cfg.kafka.clusterId! });
}

function brokerSpec(kafka: Record<string, unknown> = {}) {
    const cfg = kraft(kafka);
    return kafkaStatefulSetSpec({ ...cfg.kafka, namespace: "default", instance: "dev", kraft: { quorumVoters: VOTERS, clusterId: CLUSTER_ID } });
}

describe("KRaft config (kafka.metadata, kafka.clusterId, kafka.controllers)", () => {
    it("defaults to zookeeper, and kraft defaults to the official Kafka 4.x image and three controllers", () => {
        assert.strictEqual(parseConfig({}).kafka.metadata, "zookeeper");
        assert.strictEqual(parseConfig({}).kafka.image, "apache/kafka:3.9.1");
        const cfg = parseConfig({ kafka: { metadata: "kraft" } });
        assert.strictEqual(cfg.kafka.image, "apache/kafka:4.4.0");
        assert.strictEqual(cfg.kafka.clusterId, undefined);
        assert.deepStrictEqual(
            { ...cfg.kafka.controllers },
            { replicas: 3, cpu: "500m", memory: "1Gi", partition: 0, heapOpts: "-Xmx512M -Xms512M", storage: "10Gi", rolloutTimeoutSeconds: 600 },
        );
    });

    it("rejects a metadata mode other than zookeeper or kraft, naming the key", () => {
        rejects({ kafka: { metadata: "kraf" } }, "kafka.metadata", /got "kraf"; expected "zookeeper" \(.*\) or "kraft"/);
    });

    it("accepts a cluster id as kafka-storage.sh random-uuid prints it and rejects malformed ones", () => {
        assert.strictEqual(kraft().kafka.clusterId, CLUSTER_ID);
        for (const bad of [
            "MkU3OEVBNTcwNTJENDM2Q", // 21 characters
            "MkU3OEVBNTcwNTJENDM2QgA", // 23
            "MkU3OEVBNTcwNTJENDM2Q=", // standard base64 padding
            "MkU3OEVBNTcwNTJENDM2Q+", // not base64url
            "MkU3OEVBNTcwNTJENDM2QB", // trailing bits set: not 16 bytes as Kafka prints them
            "-kU3OEVBNTcwNTJENDM2Qg", // a leading dash reads as an option
            "AAAAAAAAAAAAAAAAAAAAAA", // Uuid.ZERO_UUID
            "AAAAAAAAAAAAAAAAAAAAAQ", // Uuid.ONE_UUID (the metadata topic's id)
        ]) {
            rejects({ kafka: { metadata: "kraft", clusterId: bad } }, "kafka.clusterId", /expected a Kafka cluster id: 22 characters of base64url/);
        }
        rejects({ kafka: { metadata: "kraft", clusterId: 42 } }, "kafka.clusterId", /got 42/);
    });

    it("rejects an even or empty controller quorum, naming kafka.controllers.replicas", () => {
        rejects({ kafka: { metadata: "kraft", controllers: { replicas: 2 } } }, "kafka.controllers.replicas", /got 2; expected an odd number/);
        rejects({ kafka: { metadata: "kraft", controllers: { replicas: 0 } } }, "kafka.controllers.replicas", /expected an odd integer of at least 1/);
        assert.strictEqual(kraft({ controllers: { replicas: 1 } }).kafka.controllers.replicas, 1);
        rejects({ kafka: { metadata: "kraft", controllers: { image: "apache/kafka:4.4.0" } } }, "kafka.controllers.image", /unknown key/);
    });

    it("rejects a Kafka 4.x image in ZooKeeper mode, naming kafka.image and the way out", () => {
        rejects({ kafka: { image: "apache/kafka:4.0.0" } }, "kafka.image", /Kafka 4\.x, with kafka\.metadata "zookeeper"; Kafka 4\.0 removed ZooKeeper mode/, /kafka\.metadata "kraft"/);
        rejects({ kafka: { image: "kafka-platform.local/kafka:4.4.0" } }, "kafka.image", /Kafka 4\.x/);
        assert.strictEqual(parseConfig({ kafka: { metadata: "kraft", image: "apache/kafka:4.0.0" } }).kafka.image, "apache/kafka:4.0.0");
        // 3.9 runs both modes; a tag without a version cannot be judged here (the policy can be told to refuse it).
        assert.strictEqual(parseConfig({ kafka: { metadata: "kraft", image: "apache/kafka:3.9.1" } }).kafka.metadata, "kraft");
        assert.strictEqual(parseConfig({ kafka: { image: "apache/kafka:latest" } }).kafka.image, "apache/kafka:latest");
    });

    it("rejects kafka.controllers in ZooKeeper mode, where it would do nothing; keeps kafka.clusterId for a migration", () => {
        assert.strictEqual(parseConfig({ kafka: { clusterId: CLUSTER_ID } }).kafka.clusterId, CLUSTER_ID);
        rejects({ kafka: { controllers: { replicas: 3 } } }, "kafka.controllers", /used only with kafka.metadata "kraft"/);
    });

    it("refuses the KRaft-owned broker properties in kafka.brokerConfig", () => {
        rejects({ kafka: { metadata: "kraft", brokerConfig: { "process.roles": "broker,controller" } } }, "kafka.brokerConfig.process.roles", /derived by the platform/);
        rejects({ kafka: { metadata: "kraft", brokerConfig: { "node.id": "7" } } }, "kafka.brokerConfig.node.id", /derived by the platform/);
    });

    it("reads the Kafka major version from an image tag", () => {
        assert.deepStrictEqual(
            ["apache/kafka:4.1.0", "apache/kafka:3.9.1", "registry:5000/kafka:4.0.0-rc1", "kafka:10", "apache/kafka", "apache/kafka:latest", "apache/kafka@sha256:abc", "registry:5000/kafka"].map(kafkaImageMajor),
            [4, 3, 4, 10, undefined, undefined, undefined, undefined],
        );
    });
});

describe("the KRaft controller StatefulSet spec", () => {
    it("is named kafka-controller behind kafka-controller-hs, three replicas started in parallel", () => {
        const spec = controllerSpec();
        assert.strictEqual(spec.serviceName, "kafka-controller-hs");
        assert.strictEqual(spec.replicas, 3);
        assert.strictEqual(spec.podManagementPolicy, "Parallel");
        assert.deepStrictEqual(spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { partition: 0 } });
        assert.deepStrictEqual(spec.selector, { matchLabels: { app: "kafka-controller" } });
        assert.strictEqual(spec.template.metadata.labels["app.kubernetes.io/component"], "controller");
    });

    it("requires one controller per node, with a term that selects its own pods and not the brokers'", () => {
        const spec = controllerSpec();
        const terms = spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
        assert.deepStrictEqual(terms, [
            { labelSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["kafka-controller"] }] }, topologyKey: "kubernetes.io/hostname" },
        ]);
        assert.ok(selectorMatches(terms[0].labelSelector, spec.template.metadata.labels));
        assert.ok(!selectorMatches(terms[0].labelSelector, brokerSpec().template.metadata.labels));
        assert.ok(!selectorMatches(brokerSpec().selector, spec.template.metadata.labels), "the brokers' selector does not take controllers");
        // kafka.antiAffinity is the brokers' setting; the quorum is always spread.
        const relaxed = controllerSpec({ antiAffinity: "preferred" });
        assert.ok(relaxed.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution);
    });

    it("takes replicas, requests, storage and partition from kafka.controllers and the image from kafka.image", () => {
        const spec = controllerSpec({ image: "apache/kafka:4.1.0", controllers: { replicas: 5, cpu: "250m", memory: "768Mi", storage: "2Gi", storageClass: "fast", partition: 5 } });
        const c = spec.template.spec.containers[0];
        assert.strictEqual(spec.replicas, 5);
        assert.strictEqual(c.image, "apache/kafka:4.1.0");
        assert.deepStrictEqual(c.resources, { requests: { cpu: "250m", memory: "768Mi" } });
        assert.deepStrictEqual(spec.volumeClaimTemplates, [
            { metadata: { name: "datadir" }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: "fast", resources: { requests: { storage: "2Gi" } } } },
        ]);
        assert.deepStrictEqual(spec.updateStrategy.rollingUpdate, { partition: 5 });
        assert.deepStrictEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
        assert.deepStrictEqual(c.volumeMounts[0], { name: "datadir", mountPath: "/var/lib/kafka/data", subPath: "data" });
    });

    it("has TCP probes on its named controller port 9094, and Services and a PDB that select it", () => {
        const spec = controllerSpec();
        const c = spec.template.spec.containers[0];
        assert.deepStrictEqual(c.ports, [{ name: "controller", containerPort: 9094 }]);
        for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) assert.deepStrictEqual(probe.tcpSocket, { port: "controller" });
        const hs = controllerHeadlessServiceSpec();
        assert.strictEqual(hs.clusterIP, "None");
        assert.strictEqual(hs.publishNotReadyAddresses, true);
        assert.deepStrictEqual(hs.ports, [{ name: "controller", port: 9094, targetPort: "controller" }]);
        assert.ok(selectorMatches({ matchLabels: hs.selector }, spec.template.metadata.labels));
        assert.deepStrictEqual(controllerPdbSpec(), { selector: { matchLabels: { app: "kafka-controller" } }, maxUnavailable: 1 });
    });

    it("logs with Log4j 2 on Kafka 4.x and Log4j 1 on 3.9", () => {
        const env = (s: ReturnType<typeof controllerSpec>) => Object.fromEntries(s.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
        assert.strictEqual(env(controllerSpec()).KAFKA_LOG4J_OPTS, "-Dlog4j2.configurationFile=file:/mnt/shared/config/log4j2.yaml");
        assert.strictEqual(env(controllerSpec({ image: "apache/kafka:3.9.1" })).KAFKA_LOG4J_OPTS, "-Dlog4j.configuration=file:/mnt/shared/config/log4j.properties");
    });

    it("formats its storage once with the cluster id, then starts as controller 3000 + ordinal of a static quorum", () => {
        const run = runStartScript(controllerSpec().template.spec.containers[0].command[2], "kafka-controller-2");
        assert.deepStrictEqual(run.storage, ["format", "--cluster-id", CLUSTER_ID, "--config", run.storage![4], "--ignore-formatted"]);
        assert.deepStrictEqual(run.properties!.trim().split("\n"), [
            "process.roles=controller",
            "node.id=3002",
            `controller.quorum.voters=${VOTERS}`,
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT",
            "listeners=CONTROLLER://:9094",
            "log.dirs=/var/lib/kafka/data",
        ]);
        // The server gets the very same properties as --override flags.
        assert.strictEqual(run.server[1], "--override");
        assert.strictEqual(run.server.filter((a) => a !== "--override").slice(1).join("\n"), run.properties!.trim());
    });
});

describe("the brokers in KRaft mode", () => {
    it("run process.roles=broker with node.id = ordinal, the controller quorum and listener, and no ZooKeeper", () => {
        const spec = brokerSpec();
        const script = spec.template.spec.containers[0].command[2];
        const run = runStartScript(script, "kafka-1");
        const props = new Map(run.properties!.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as [string, string]));
        assert.strictEqual(props.get("process.roles"), "broker");
        assert.strictEqual(props.get("node.id"), "1");
        assert.strictEqual(props.get("controller.quorum.voters"), VOTERS);
        assert.strictEqual(props.get("controller.listener.names"), "CONTROLLER");
        assert.strictEqual(props.get("listener.security.protocol.map"), "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        assert.strictEqual(props.get("listeners"), "PLAINTEXT://:9093");
        assert.strictEqual(props.get("advertised.listeners"), "PLAINTEXT://kafka-1.kafka-hs.default.svc.cluster.local:9093");
        for (const key of ["zookeeper.connect", "broker.id", "zookeeper.session.timeout.ms", "zookeeper.set.acl", "zookeeper.connection.timeout.ms", "broker.id.generation.enable", "reserved.broker.max.id"]) {
            assert.ok(!props.has(key), `${key} is not set in KRaft mode`);
        }
        // The durability defaults stay.
        assert.strictEqual(props.get("min.insync.replicas"), "2");
        assert.deepStrictEqual(run.storage, ["format", "--cluster-id", CLUSTER_ID, "--config", run.storage![4], "--ignore-formatted"]);
        assert.strictEqual(parseOverrides(script).get("process.roles"), "broker", "the policy pack reads the same flags");
    });

    it("passes a user property with a backslash to the format's properties file escaped, and to the server as it is", () => {
        const run = runStartScript(brokerSpec({ brokerConfig: { "ssl.keystore.location": "C:\\ks" } }).template.spec.containers[0].command[2], "kafka-0");
        assert.ok(run.properties!.includes("ssl.keystore.location=C:\\\\ks\n"), run.properties);
        assert.ok(run.server.includes("ssl.keystore.location=C:\\ks"));
    });

    it("drop the seed's preferred affinity to ZooKeeper pods, and keep their own anti-affinity", () => {
        const affinity = brokerSpec().template.spec.affinity;
        assert.strictEqual(affinity.podAffinity, undefined);
        assert.ok(affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution);
    });

    it("leave ZooKeeper mode's pod template as it was (same script, same log4j, same config hash)", () => {
        const cfg = parseConfig({});
        const spec = kafkaStatefulSetSpec({ ...cfg.kafka, namespace: "default", instance: "dev", zookeeperConnect: "zk-cs.default.svc.cluster.local:2181", zookeeperAffinity: { labelSelector: {}, topologyKey: "x" } } as any);
        const script: string = spec.template.spec.containers[0].command[2];
        assert.match(script, /^exec \/opt\/kafka\/bin\/kafka-server-start\.sh /);
        assert.doesNotMatch(script, /kafka-storage|process\.roles/);
        assert.strictEqual(parseOverrides(script).get("zookeeper.connect"), "zk-cs.default.svc.cluster.local:2181");
        assert.strictEqual(spec.template.metadata.annotations["kafka-platform/config-sha256"].length, 16);
    });
});

describe("the cluster id", () => {
    it("is 16 random bytes shaped as Kafka's Uuid.randomUuid: version 4, variant bits, base64url, never a leading dash", () => {
        assert.strictEqual(kafkaClusterIdFromHex("00112233445566778899aabbccddeeff"), "ABEiM0RVRneImaq7zN3u_w");
        assert.strictEqual(kafkaClusterIdFromHex("ff".repeat(16)), "f_______T_-__________w");
        // 0xf8... would print as "-A..." unmodified.
        assert.match(kafkaClusterIdFromHex("f8" + "00".repeat(15)), /^[A-Za-f]/);
        assert.throws(() => kafkaClusterIdFromHex("abc"), /32 hex digits/);
    });
});

describe("the program with kafka.metadata: kraft (mocks)", () => {
    it("registers the controller quorum and the brokers, and no ZooKeeper object", async () => {
        const run = await runProgram({ kafka: { metadata: "kraft" } });
        for (const [type, name] of [
            [STS, "kafka-controller"],
            [SVC, "kafka-controller-hs"],
            [PDB, "kafka-controller-pdb"],
            ["kubernetes:core/v1:ConfigMap", "kafka-controller-config"],
            [STS, "kafka"],
            [SVC, "kafka-hs"],
            [PDB, "kafka-pdb"],
        ]) {
            assert.strictEqual(run.object(type, name).inputs.metadata.namespace, "default");
        }
        const zkObjects = run.resources.filter((r) => /^zk(-|$)/.test(r.inputs?.metadata?.name ?? "") || r.type.includes("ZooKeeper"));
        assert.deepStrictEqual(zkObjects.map((r) => r.name), []);
        assert.strictEqual(run.outputs.zookeeperConnect, undefined);
        assert.strictEqual(run.outputs.metadata, "kraft");
        assert.strictEqual(run.outputs.controllerQuorumVoters, VOTERS);
    });

    it("takes the cluster id from a 16-byte RandomId kept in state, and formats controllers and brokers with it", async () => {
        const run = await runProgram({ kafka: { metadata: "kraft" } });
        const randoms = run.resources.filter((r) => r.type === "random:index/randomId:RandomId");
        assert.deepStrictEqual(randoms.map((r) => [r.name, r.inputs.byteLength]), [["kafka-cluster-id", 16]]);
        // The mock's bytes are 16 x 0xff (test/helpers/program.ts).
        assert.strictEqual(run.outputs.clusterId, "f_______T_-__________w");
        for (const name of ["kafka-controller", "kafka"]) {
            assert.match(run.object(STS, name).inputs.spec.template.spec.containers[0].command[2], /--cluster-id '?f_______T_-__________w'? /);
        }
    });

    it("uses kafka.clusterId when set, and creates no RandomId", async () => {
        const run = await runProgram({ kafka: { metadata: "kraft", clusterId: CLUSTER_ID } });
        assert.deepStrictEqual(run.resources.filter((r) => r.type.startsWith("random:")), []);
        assert.strictEqual(run.outputs.clusterId, CLUSTER_ID);
        assert.match(run.object(STS, "kafka").inputs.spec.template.spec.containers[0].command[2], /--cluster-id '?MkU3OEVBNTcwNTJENDM2Qg'? /);
    });

    it("creates no RandomId and no controller in ZooKeeper mode", async () => {
        const run = await runProgram({});
        assert.deepStrictEqual(run.resources.filter((r) => r.type.startsWith("random:") || (r.inputs?.metadata?.name ?? "").startsWith("kafka-controller")), []);
        assert.strictEqual(run.outputs.metadata, "zookeeper");
    });

    it("passes the whole pack under prod policy config", async () => {
        const options = recordResourceOptions();
        try {
            const resources = programResources(await runProgram({ kafka: { metadata: "kraft" } }), options);
            const prod = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policies", "config", "prod.json"), "utf8"));
            assert.deepStrictEqual((await runPack(guardrails(), resources, prod)).map((v) => `${v.policy}: ${v.message}`), []);
        } finally {
            options.restore();
        }
    });
});

describe("policy kafka-metadata", () => {
    const policy = kafkaMetadata();
    const withImage = (image: string, script?: string) => {
        let props = set(kafkaStatefulSet(), `${CONTAINER}.image`, image);
        if (script) props = set(props, `${CONTAINER}.command`, ["sh", "-c", script]);
        return sts(props);
    };
    const kraftScript = brokerSpec().template.spec.containers[0].command[2];

    it("blocks a Kafka 4.x image whose brokers run in ZooKeeper mode", async () => {
        assert.deepStrictEqual((await validateResource(policy, withImage("apache/kafka:4.1.0"))).violations, [
            "StatefulSet streaming/kafka violates kafka-metadata: its image apache/kafka:4.1.0 is Kafka 4.x and its servers run in ZooKeeper " +
                "mode (zookeeper.connect, no process.roles); Kafka 4.0 removed ZooKeeper mode, so they would not start. " +
                "Fix: run a Kafka 3.9 image (kafka.image) or, for a new cluster, KRaft (kafka.metadata: kraft).",
        ]);
    });

    it("passes 4.x in KRaft mode, and 3.9 in ZooKeeper mode", async () => {
        assert.deepStrictEqual((await validateResource(policy, withImage("apache/kafka:4.4.0", kraftScript))).violations, []);
        assert.deepStrictEqual((await validateResource(policy, withImage("apache/kafka:3.9.1"))).violations, []);
    });

    it("refuses an image without a version tag only when told to", async () => {
        assert.deepStrictEqual((await validateResource(policy, withImage("apache/kafka:latest"))).violations, []);
        const refused = (await validateResource(policy, withImage("apache/kafka:latest"), { refuseUnknownVersion: true })).violations;
        assert.strictEqual(refused.length, 1);
        assert.match(refused[0], /its image apache\/kafka:latest names no Kafka version in its tag, so whether it runs ZooKeeper mode cannot be checked/);
    });

    it("does not apply to StatefulSets that run no Kafka server", async () => {
        const props = set(kafkaStatefulSet(), `${CONTAINER}.command`, ["sh", "-c", "exec zkServer.sh start-foreground"]);
        assert.match((await validateResource(policy, sts(props))).notApplicable ?? "", /not a Kafka StatefulSet/);
    });

    it("leaves KRaft controllers out of kafka-durability, which is about partitions they do not host", async () => {
        const c = controllerSpec();
        const props = { metadata: { name: "kafka-controller", namespace: "streaming" }, spec: c };
        assert.match((await validateResource(kafkaDurability(), sts(props))).notApplicable ?? "", /KRaft controller/);
    });
});
