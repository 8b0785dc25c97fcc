import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { parseOverrides } from "../../components/broker-config";
import { parseConfig } from "../../components/config";
import { bootstrapServers, kafkaConfigFiles, kafkaStatefulSetSpec } from "../../components/kafka-spec";
import { affinityTerm, podSelector, selectorMatches } from "../../components/labels";
import { zookeeperConnect } from "../../components/zookeeper-spec";

const seed: any = yaml.load(fs.readFileSync(path.join(__dirname, "..", "fixtures", "seed-kafka.yaml"), "utf8"));
const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");

function render(config: Record<string, unknown> = {}) {
    const cfg = parseConfig(config);
    return kafkaStatefulSetSpec({
        ...cfg.kafka,
        namespace: cfg.namespace,
        instance: "dev",
        zookeeperConnect: zookeeperConnect(cfg.namespace),
        zookeeperAffinity: affinityTerm("zk"),
    });
}

/** CPU quantities in millicores, so the seed's "0.5" and our "500m" compare equal. */
function millicores(q: string): number {
    return q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

describe("the kafka StatefulSet spec", () => {
    const spec = render();
    const pod = spec.template.spec;
    const container = pod.containers[0];
    const seedPod = seed.template.spec;
    const seedContainer = seedPod.containers[0];

    it("keeps the seed's serviceName, replicas, pod management and update strategy", () => {
        assert.strictEqual(spec.serviceName, seed.serviceName);
        assert.strictEqual(spec.replicas, seed.replicas);
        assert.strictEqual(spec.podManagementPolicy, seed.podManagementPolicy);
        assert.strictEqual(spec.updateStrategy.type, seed.updateStrategy.type);
        assert.strictEqual(spec.updateStrategy.rollingUpdate.partition, 0);
    });

    it("selects the pods with the seed's selector, and the template carries those labels", () => {
        assert.deepStrictEqual(spec.selector, seed.selector);
        for (const [k, v] of Object.entries(seed.template.metadata.labels)) {
            assert.strictEqual((spec.template.metadata.labels as Record<string, string>)[k], v, k);
        }
        assert.ok(selectorMatches(spec.selector, spec.template.metadata.labels));
    });

    it("has the seed's required anti-affinity per host and preferred affinity to the zk pods", () => {
        assert.deepStrictEqual(pod.affinity.podAntiAffinity, seedPod.affinity.podAntiAffinity);
        assert.deepStrictEqual(pod.affinity.podAffinity, seedPod.affinity.podAffinity);
    });

    it("keeps the grace period, container name, pull policy, port and heap", () => {
        assert.strictEqual(pod.terminationGracePeriodSeconds, seedPod.terminationGracePeriodSeconds);
        assert.strictEqual(container.name, seedContainer.name);
        assert.strictEqual(container.imagePullPolicy, seedContainer.imagePullPolicy);
        assert.deepStrictEqual(container.ports, seedContainer.ports);
        const heap = (env: Array<{ name: string; value: string }>) => env.find((e) => e.name === "KAFKA_HEAP_OPTS")?.value;
        assert.strictEqual(heap(container.env), heap(seedContainer.env));
    });

    it("mounts the data volume exactly at the image's data VOLUME, and the config volume at its config VOLUME", () => {
        // The seed mounted datadir at /var/lib/kafka: under containerd an anonymous volume for the
        // image's VOLUME /var/lib/kafka/data then hid the PVC (the real-pod tier shows the log on the PVC).
        assert.deepStrictEqual(seedContainer.volumeMounts, [{ name: "datadir", mountPath: "/var/lib/kafka" }]);
        assert.deepStrictEqual(container.volumeMounts, [
            { name: "datadir", mountPath: "/var/lib/kafka/data", subPath: "data" },
            { name: "config", mountPath: "/mnt/shared/config", readOnly: true },
        ]);
        assert.deepStrictEqual(pod.volumes, [{ name: "config", configMap: { name: "kafka-config" } }]);
    });

    it("logs to the console only, and sets nothing the image's scripts do not read", () => {
        const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
        assert.strictEqual(env.KAFKA_LOG4J_OPTS, "-Dlog4j.configuration=file:/mnt/shared/config/log4j.properties");
        assert.strictEqual(env.EXTRA_ARGS, "-name kafkaServer", "no -loggc: no GC log files in the container layer");
        assert.ok(!("KAFKA_OPTS" in env), "the seed's KAFKA_OPTS=-Dlogging.level=INFO is read by nothing");
        const log4j = kafkaConfigFiles()["log4j.properties"];
        assert.match(log4j, /^log4j\.rootLogger=INFO, stdout$/m);
        assert.doesNotMatch(log4j, /FileAppender|kafka\.logs\.dir/);
    });

    it("restarts a broker whose listener is gone, after a startup allowance for log recovery", () => {
        assert.deepStrictEqual(container.livenessProbe.tcpSocket, { port: "server" });
        assert.deepStrictEqual(container.startupProbe.tcpSocket, { port: "server" });
        assert.ok(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold >= 1800);
    });

    it("requests the seed's CPU and memory", () => {
        assert.strictEqual(millicores(container.resources.requests.cpu), millicores(seedContainer.resources.requests.cpu));
        assert.strictEqual(container.resources.requests.memory, seedContainer.resources.requests.memory);
    });

    it("probes readiness in-sync by default: a Metadata request to the broker's own port, in bash (for /dev/tcp)", () => {
        assert.deepStrictEqual(container.readinessProbe.exec.command.slice(0, 2), ["bash", "-c"]);
        assert.match(container.readinessProbe.exec.command[2], /exec 3<>\/dev\/tcp\/127\.0\.0\.1\/9093/);
        assert.ok(container.readinessProbe.timeoutSeconds < container.readinessProbe.periodSeconds);
    });

    it("probes readiness with the seed's kafka-broker-api-versions.sh against the broker port when kafka.readiness is serving", () => {
        const probe = render({ kafka: { readiness: "serving" } }).template.spec.containers[0].readinessProbe.exec.command;
        assert.deepStrictEqual(probe.slice(0, 2), ["sh", "-c"]);
        assert.match(probe[2], /\/opt\/kafka\/bin\/kafka-broker-api-versions\.sh --bootstrap-server=localhost:9093/);
    });

    it("runs as the seed's user and group 1000, non-root, without privilege escalation", () => {
        assert.strictEqual(pod.securityContext.runAsUser, seedPod.securityContext.runAsUser);
        assert.strictEqual(pod.securityContext.fsGroup, seedPod.securityContext.fsGroup);
        assert.strictEqual(pod.securityContext.runAsNonRoot, true);
        assert.strictEqual(container.securityContext.allowPrivilegeEscalation, false);
    });

    it("claims the seed's datadir volume", () => {
        assert.deepStrictEqual(spec.volumeClaimTemplates, seed.volumeClaimTemplates);
    });

    it("starts the broker with every seed override, each either kept or listed as a departure in the README", () => {
        const command = container.command;
        assert.deepStrictEqual(command.slice(0, 2), ["sh", "-c"]);
        // Our own (empty) base file instead of the image's sample server.properties.
        assert.match(command[2], /^exec \/opt\/kafka\/bin\/kafka-server-start\.sh \/mnt\/shared\/config\/server\.properties /);
        assert.doesNotMatch(kafkaConfigFiles()["server.properties"], /^[a-z]/m);
        const rendered = parseOverrides(command[2]);
        const departures = readme.slice(readme.indexOf("## Departures from the seed"));
        const departed: string[] = [];
        for (const [key, seedValue] of seed.overrides as Array<[string, string]>) {
            if (rendered.get(key) !== seedValue) {
                departed.push(key);
                assert.ok(departures.includes(`\`${key}\``), `${key}: rendered ${rendered.get(key)} instead of the seed's ${seedValue}, and the README's departures do not list it`);
            }
        }
        // The unsafe seed values are the ones that must have changed.
        assert.deepStrictEqual(
            departed.sort(),
            [
                "default.replication.factor",
                "inter.broker.protocol.version",
                "log.dirs",
                "log.message.timestamp.difference.max.ms",
                "min.insync.replicas",
                "offsets.commit.required.acks",
                "quota.consumer.default",
                "quota.producer.default",
                "unclean.leader.election.enable",
            ],
        );
    });

    it("replaces the seed's unsafe durability settings", () => {
        const rendered = parseOverrides(container.command[2]);
        assert.strictEqual(rendered.get("min.insync.replicas"), "2");
        assert.strictEqual(rendered.get("unclean.leader.election.enable"), "false");
        assert.strictEqual(rendered.get("default.replication.factor"), "3");
        assert.strictEqual(rendered.get("broker.id"), "${HOSTNAME##*-}");
        assert.strictEqual(rendered.get("zookeeper.connect"), "zk-cs.default.svc.cluster.local:2181");
    });

    it("caps replication factors and min ISR for a single-broker dev stack", () => {
        const rendered = parseOverrides(render({ kafka: { replicas: 1 } }).template.spec.containers[0].command[2]);
        assert.strictEqual(rendered.get("default.replication.factor"), "1");
        assert.strictEqual(rendered.get("offsets.topic.replication.factor"), "1");
        assert.strictEqual(rendered.get("transaction.state.log.replication.factor"), "1");
        assert.strictEqual(rendered.get("min.insync.replicas"), "1");
    });

    it("lets kafka.brokerConfig override any default, quoting values for the shell", () => {
        const rendered = parseOverrides(
            render({ kafka: { brokerConfig: { "log.retention.hours": 24, "ssl.principal.mapping.rules": "RULE:^CN=(.*?),.*$/$1/L,DEFAULT", "x.y": "it's" } } })
                .template.spec.containers[0].command[2],
        );
        assert.strictEqual(rendered.get("log.retention.hours"), "24");
        assert.strictEqual(rendered.get("ssl.principal.mapping.rules"), "RULE:^CN=(.*?),.*$/$1/L,DEFAULT");
        assert.strictEqual(rendered.get("x.y"), "it's");
    });

    it("uses preferred anti-affinity when kafka.antiAffinity is preferred, still selecting the broker pods", () => {
        const anti: any = render({ kafka: { antiAffinity: "preferred" } }).template.spec.affinity.podAntiAffinity;
        assert.strictEqual(anti.requiredDuringSchedulingIgnoredDuringExecution, undefined);
        const term = anti.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
        assert.strictEqual(term.topologyKey, "kubernetes.io/hostname");
        assert.ok(selectorMatches(term.labelSelector, spec.template.metadata.labels));
    });

    it("lists one bootstrap address per broker", () => {
        assert.strictEqual(
            bootstrapServers(3, "default"),
            "kafka-0.kafka-hs.default.svc.cluster.local:9093,kafka-1.kafka-hs.default.svc.cluster.local:9093,kafka-2.kafka-hs.default.svc.cluster.local:9093",
        );
    });

    it("builds its selectors from the shared labels module", () => {
        // A literal, not podSelector(): the spec calls that helper itself, so comparing with it could not fail.
        assert.deepStrictEqual(spec.selector, { matchLabels: { app: "kafka" } });
    });
});
