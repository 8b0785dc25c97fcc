// A fresh `kafka.metadata: kraft` stack on real pods: a controller quorum of three and three
// brokers running our Kafka 4.4.0 image (real JVMs, real volumes), in a namespace of its own on the
// tier's cluster beside the ZooKeeper stack. It proves what the unit tier can only render: the
// storage is formatted on the volume and the quorum forms, the brokers register and are Ready by
// the in-sync probe, the topics Job creates `test`, a console producer and consumer work, and a
// broker restarted on its formatted volume keeps its cluster id and its data (--ignore-formatted).
// The namespace is deleted at the end so the pacing runs that follow have the machine to themselves.
import * as assert from "assert";
import { KAFKA_DATA_PATH } from "../../components/kafka-spec";
import { StackHandle, newStack } from "../helpers/engine";
import { KAFKA_BIN, Kube, readAll, startClientPod } from "../helpers/kafka-load";
import { TestCluster } from "../helpers/cluster";
import { kubectlJson, kubectlWaiting, namespaceTools, ready, removeNamespace, results, sharedCluster, timedUp } from "./platform";

const NS = "kraft";
const KAFKA4_IMAGE = "kafka-platform.local/kafka:4.4.0";
/** 16 bytes in Kafka's base64url form, written by hand so the test needs no random provider. */
const CLUSTER_ID = "XxwKPot9TCqebxs9WnyeDw";
const CLIENT = "client";
const MESSAGES = 100;

describe("kraft: a fresh KRaft stack on real pods (Kafka 4.4.0, three controllers, three brokers)", function () {
    this.timeout(1_800_000);
    let p: { cluster: TestCluster };
    let h: StackHandle;
    let k: Kube;
    let bootstrap: string;
    const figures: Record<string, unknown> = {};
    const { inNs, exec, tool } = namespaceTools(() => p.cluster, NS, CLIENT, () => bootstrap);
    const metaProperties = async (pod: string) =>
        Object.fromEntries(
            (await exec(pod, `cat ${KAFKA_DATA_PATH}/meta.properties`))
                .split("\n")
                .filter((l) => l.includes("="))
                .map((l) => l.split("=", 2) as [string, string]),
        );

    before(async () => {
        p = { cluster: await sharedCluster() };
        h = await newStack(
            "kraft",
            {
                namespace: NS,
                kafka: {
                    metadata: "kraft",
                    clusterId: CLUSTER_ID,
                    image: KAFKA4_IMAGE,
                    replicas: 3,
                    cpu: "250m",
                    memory: "1Gi",
                    partition: 0,
                    rolloutTimeoutSeconds: 600,
                    controllers: { replicas: 3, cpu: "250m", memory: "768Mi", rolloutTimeoutSeconds: 600 },
                },
            },
            { env: { KUBECONFIG: p.cluster.kubeconfig }, extra: { "kubernetes:kubeconfig": p.cluster.kubeconfig } },
        );
        k = { kubeconfig: p.cluster.kubeconfig, namespace: NS, kubectl: inNs };
    });

    after(async function () {
        this.timeout(300_000);
        results.kraft = figures;
        if (p) await removeNamespace(p.cluster, NS);
        h?.project.cleanup();
    });

    it("`up` forms the quorum and brings three controllers and three brokers Ready, with no ZooKeeper", async () => {
        const up = await timedUp(h);
        figures.upSeconds = Math.round(up.seconds);
        bootstrap = up.result.outputs.bootstrapServers.value;
        const podsOf = async (app: string) => (await kubectlJson(p.cluster, "-n", NS, "get", "pods", "-l", `app=${app}`)).items;
        const controllers = await podsOf("kafka-controller");
        const brokers = await podsOf("kafka");
        assert.deepStrictEqual(controllers.map((x: any) => x.metadata.name).sort(), ["kafka-controller-0", "kafka-controller-1", "kafka-controller-2"]);
        assert.deepStrictEqual(brokers.map((x: any) => x.metadata.name).sort(), ["kafka-0", "kafka-1", "kafka-2"]);
        for (const pod of [...controllers, ...brokers]) {
            assert.ok(ready(pod), `${pod.metadata.name} is not Ready`);
            assert.strictEqual(pod.spec.containers[0].image, KAFKA4_IMAGE);
        }
        assert.strictEqual((await podsOf("zk")).length, 0, "no ZooKeeper pod in kraft mode");
        // One controller per node: the quorum's anti-affinity is required.
        assert.strictEqual(new Set(controllers.map((x: any) => x.spec.nodeName)).size, 3);

        // The quorum as Kafka reports it, through a broker.
        await startClientPod(k, CLIENT, KAFKA4_IMAGE);
        const status = await tool("kafka-metadata-quorum.sh", "describe --status");
        console.log(status.replace(/^/gm, "        | "));
        const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1]?.trim() ?? "";
        assert.strictEqual(field("ClusterId"), CLUSTER_ID);
        const leader = Number(field("LeaderId"));
        assert.ok([3000, 3001, 3002].includes(leader), `leader ${field("LeaderId")}`);
        const voters = [...field("CurrentVoters").matchAll(/"?id"?\s*[:=]\s*(\d+)|\b(30\d\d)\b/g)].map((m) => Number(m[1] ?? m[2]));
        assert.deepStrictEqual([...new Set(voters)].sort(), [3000, 3001, 3002], field("CurrentVoters"));
        figures.quorum = { leader, voters: [...new Set(voters)].sort(), highWatermark: Number(field("HighWatermark")) };

        // Each volume was formatted once with the stack's cluster id and the pod's node id.
        for (const [pod, id] of [["kafka-0", "0"], ["kafka-2", "2"], ["kafka-controller-1", "3001"]]) {
            const meta = await metaProperties(pod);
            assert.strictEqual(meta["cluster.id"], CLUSTER_ID, `${pod} meta.properties`);
            assert.strictEqual(meta["node.id"], id, `${pod} meta.properties`);
        }
        console.log(`      fresh kraft up: ${figures.upSeconds}s, leader ${leader}`);
    });

    it("creates `test` with the topics Job, and a console producer and consumer work", async () => {
        const describe = await tool("kafka-topics.sh", "--describe --topic test");
        assert.match(describe, /PartitionCount:\s*1\s+ReplicationFactor:\s*3/);
        await exec(CLIENT, `seq 1 ${MESSAGES} | KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-console-producer.sh --bootstrap-server ${bootstrap} --topic test --producer-property acks=all`);
        const read = await readAll(k, CLIENT, "test", bootstrap);
        assert.deepStrictEqual(read, Array.from({ length: MESSAGES }, (_, i) => String(i + 1)));
        figures.roundTrip = read.length;
    });

    it("a broker deleted comes back on its formatted volume with the same cluster id and its data", async () => {
        const before = await metaProperties("kafka-1");
        const t = Date.now();
        await inNs("delete", "pod", "kafka-1", "--wait=true");
        await kubectlWaiting(p.cluster, 620_000, "-n", NS, "wait", "--for=condition=Ready", "pod/kafka-1", "--timeout=600s");
        figures.restartSeconds = Math.round((Date.now() - t) / 1000);
        assert.deepStrictEqual(await metaProperties("kafka-1"), before);
        // The start script formats with --ignore-formatted: Formatter.java (3.9) prints :403 when
        // every directory is formatted already, and :423 ("Formatting ...") when it writes one.
        const log = await inNs("logs", "kafka-1");
        assert.match(log, /All of the log directories are already formatted/);
        assert.doesNotMatch(log, /^Formatting /m, "a formatted volume was formatted again");
        // Every message is still there, and kafka-1 is back in the ISR (it is Ready by the in-sync probe).
        assert.strictEqual((await readAll(k, CLIENT, "test", bootstrap)).length, MESSAGES);
        assert.match(await tool("kafka-topics.sh", "--describe --topic test"), /Isr:\s*(\d,){2}\d/);
        console.log(`      kafka-1 back in ${figures.restartSeconds}s with cluster.id ${before["cluster.id"]}`);
    });
});

