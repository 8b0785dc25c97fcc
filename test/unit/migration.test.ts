// The ZooKeeper → KRaft migration (kafka.migration): config errors by key, each phase's broker and
// controller properties as the start script hands them to the server (run by a real sh), the
// program under mocks (which objects exist in each phase), and the kafka-migration policy blocking
// each bad move and passing the legitimate next one. Expected values are written out from Kafka
// 3.9's docs/ops.html (3917-4268) and the research notes, not derived with the helpers that produce them.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseConfig } from "../../components/config";
import { MigrationStep, NEXT_STEPS, migrationStepFindings, renderedStep } from "../../components/migration";
import { guardrails } from "../../policies/rules";
import { kafkaMetadata } from "../../policies/rules/kafka-metadata";
import { kafkaMigration } from "../../policies/rules/kafka-migration";
import type { PolicyResource } from "../../policies/rules/common";
import { mergeMigrationPolicyConfig } from "../../stacks/policy-config";
import { migrationPrevious } from "../../stacks/commands";
import { stackStateFrom } from "../../stacks/workspace";
import { rejects } from "../helpers/config";
import { programResources, recordResourceOptions, runPack, validateResource, validateStack } from "../helpers/policy-args";
import { ProgramRun, runProgram } from "../helpers/program";
import { runStartScript } from "../helpers/start-script";

const STS = "kubernetes:apps/v1:StatefulSet";
const CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg";
const VOTERS =
    "3000@kafka-controller-0.kafka-controller-hs.default.svc.cluster.local:9094," +
    "3001@kafka-controller-1.kafka-controller-hs.default.svc.cluster.local:9094," +
    "3002@kafka-controller-2.kafka-controller-hs.default.svc.cluster.local:9094";
const ZK = "zk-cs.default.svc.cluster.local:2181";

/** The stack config of a phase: kafka.migration with the cluster id; `removed` is ZooKeeper removed after finalize. */
function phaseConfig(phase: string, kafka: Record<string, unknown> = {}): Record<string, unknown> {
    if (phase === "zookeeper-removed") return { kafka: { metadata: "kraft", migration: "finalized", clusterId: CLUSTER_ID, ...kafka } };
    return { kafka: { migration: phase, clusterId: CLUSTER_ID, ...kafka } };
}

const script = (run: ProgramRun, name: string): string => run.object(STS, name).inputs.spec.template.spec.containers[0].command[2];
const template = (run: ProgramRun, name: string) => JSON.stringify(run.object(STS, name).inputs.spec.template);
const env = (run: ProgramRun, name: string): Record<string, string> =>
    Object.fromEntries(run.object(STS, name).inputs.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));

/** The platform-owned properties a server starts with (the seed's tunables left out), in order. */
function platform(run: ReturnType<typeof runStartScript>, keys: string[]): Array<[string, string]> {
    return run.overrides.filter(([k]) => keys.includes(k));
}

const BROKER_KEYS = [
    "broker.id",
    "node.id",
    "process.roles",
    "listeners",
    "advertised.listeners",
    "zookeeper.connect",
    "log.dirs",
    "inter.broker.protocol.version",
    "zookeeper.metadata.migration.enable",
    "controller.quorum.voters",
    "controller.listener.names",
    "listener.security.protocol.map",
    "inter.broker.listener.name",
];

describe("kafka.migration config", () => {
    it("defaults to none and names every phase when the value is wrong", () => {
        assert.strictEqual(parseConfig({}).kafka.migration, "none");
        rejects(
            { kafka: { migration: "brokers" } },
            "kafka.migration",
            /got "brokers"; expected "none" \(.*\) or "controllers" \(.*\) or "brokers-migrating" \(.*\) or "brokers-kraft" \(.*\) or "finalized" \(.*\) or "controllers-removed"/,
        );
    });

    it("requires kafka.clusterId from the first phase on, and says how to read it from ZooKeeper", () => {
        for (const phase of ["controllers", "brokers-migrating", "brokers-kraft", "finalized", "controllers-removed"]) {
            rejects({ kafka: { migration: phase } }, "kafka.clusterId", new RegExp(`is required with kafka.migration "${phase}"`), /zkCli\.sh -server localhost:2181 get \/cluster\/id/, /meta\.properties/);
        }
        rejects({ namespace: "streaming", kafka: { migration: "controllers" } }, "kafka.clusterId", /kubectl exec -n streaming zk-0 -- zkCli\.sh/);
        assert.strictEqual(parseConfig(phaseConfig("controllers")).kafka.clusterId, CLUSTER_ID);
    });

    it("accepts kafka.controllers in ZooKeeper mode while migrating, not otherwise; kafka.clusterId stays valid after a rollback to none", () => {
        assert.strictEqual(parseConfig(phaseConfig("controllers", { controllers: { replicas: 5 } })).kafka.controllers.replicas, 5);
        rejects({ kafka: { controllers: { replicas: 3 } } }, "kafka.controllers", /used only with kafka.metadata "kraft" or a kafka.migration phase/);
        assert.strictEqual(parseConfig({ kafka: { migration: "none", clusterId: CLUSTER_ID } }).kafka.clusterId, CLUSTER_ID);
    });

    it("keeps kafka.metadata zookeeper until finalized, and allows kraft (ZooKeeper removed) only after it", () => {
        for (const phase of ["controllers", "brokers-migrating", "brokers-kraft", "controllers-removed"]) {
            rejects({ kafka: { metadata: "kraft", migration: phase, clusterId: CLUSTER_ID } }, "kafka.migration", /kafka.metadata stays "zookeeper" while migrating/);
        }
        assert.strictEqual(parseConfig(phaseConfig("zookeeper-removed")).kafka.metadata, "kraft");
    });

    it("keeps a migrating stack on Kafka 3.9: the default image, and no 4.x or other line before finalize", () => {
        assert.strictEqual(parseConfig(phaseConfig("controllers")).kafka.image, "apache/kafka:3.9.1");
        // Migrated: 3.9 until kafka.image says otherwise, unlike a fresh kraft stack (4.4.0).
        assert.strictEqual(parseConfig(phaseConfig("zookeeper-removed")).kafka.image, "apache/kafka:3.9.1");
        rejects(phaseConfig("brokers-migrating", { image: "apache/kafka:4.0.0" }), "kafka.image", /Kafka 4\.x, with kafka.metadata "zookeeper"/, /upgrades to 4\.x after kafka.metadata "kraft" has removed ZooKeeper/);
        rejects(phaseConfig("brokers-kraft", { image: "apache/kafka:3.8.1" }), "kafka.image", /got "apache\/kafka:3\.8\.1", Kafka 3\.8, with kafka.migration "brokers-kraft"; the ZooKeeper → KRaft migration runs on Kafka 3\.9/);
        rejects(phaseConfig("finalized", { image: "apache/kafka:4.4.0" }), "kafka.image", /Kafka 4\.x/);
        assert.strictEqual(parseConfig(phaseConfig("zookeeper-removed", { image: "apache/kafka:4.4.0" })).kafka.image, "apache/kafka:4.4.0");
        assert.strictEqual(parseConfig(phaseConfig("controllers", { image: "kafka-platform.local/kafka:3.9.1" })).kafka.image, "kafka-platform.local/kafka:3.9.1");
    });

    it("pins inter.broker.protocol.version to 3.9 while migrating", () => {
        rejects(phaseConfig("controllers", { brokerConfig: { "inter.broker.protocol.version": "3.8" } }), "kafka.brokerConfig.inter.broker.protocol.version", /got "3\.8" with kafka.migration "controllers"; the migration pins it to 3\.9/);
        assert.strictEqual(parseConfig(phaseConfig("brokers-migrating", { brokerConfig: { "inter.broker.protocol.version": "3.9" } })).kafka.migration, "brokers-migrating");
        // Not migrating: the user's to set, as before.
        assert.strictEqual(parseConfig({ kafka: { brokerConfig: { "inter.broker.protocol.version": "3.8" } } }).kafka.migration, "none");
    });

    it("refuses the migration flag in kafka.brokerConfig: the phase sets it", () => {
        rejects({ kafka: { brokerConfig: { "zookeeper.metadata.migration.enable": "true" } } }, "kafka.brokerConfig.zookeeper.metadata.migration.enable", /derived by the platform/);
    });
});

describe("the brokers in each migration phase", () => {
    it("controllers: unchanged, byte for byte, so adding the quorum rolls no broker", async () => {
        const none = await runProgram({});
        const controllers = await runProgram(phaseConfig("controllers"));
        assert.strictEqual(template(controllers, "kafka"), template(none, "kafka"));
        assert.strictEqual(template(controllers, "zk"), template(none, "zk"));
    });

    it("brokers-migrating: ZooKeeper mode with IBP 3.9, the migration flag and the quorum (ops.html:4032-4052), no format", async () => {
        const run = runStartScript(script(await runProgram(phaseConfig("brokers-migrating", { brokerConfig: { "inter.broker.protocol.version": "3.9" } })), "kafka"), "kafka-1");
        assert.strictEqual(run.storage, undefined);
        assert.deepStrictEqual(platform(run, BROKER_KEYS), [
            ["broker.id", "1"],
            ["listeners", "PLAINTEXT://:9093"],
            ["advertised.listeners", "PLAINTEXT://kafka-1.kafka-hs.default.svc.cluster.local:9093"],
            ["zookeeper.connect", ZK],
            ["log.dirs", "/var/lib/kafka/data"],
            ["inter.broker.protocol.version", "3.9"],
            ["zookeeper.metadata.migration.enable", "true"],
            ["controller.quorum.voters", VOTERS],
            ["controller.listener.names", "CONTROLLER"],
            ["listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"],
        ]);
        // Still a ZooKeeper client: its session settings stay.
        assert.deepStrictEqual(run.overrides.filter(([k]) => k === "zookeeper.session.timeout.ms"), [["zookeeper.session.timeout.ms", "6000"]]);
    });

    it("controllers-removed: the brokers exactly as in brokers-migrating (the docs' revert removes the quorum first)", async () => {
        const migrating = await runProgram(phaseConfig("brokers-migrating"));
        const removed = await runProgram(phaseConfig("controllers-removed"));
        assert.strictEqual(template(removed, "kafka"), template(migrating, "kafka"));
    });

    it("brokers-kraft: process.roles=broker with node.id = the broker id, the quorum kept, ZooKeeper, the flag and the IBP gone (ops.html:4082-4101)", async () => {
        const program = await runProgram(phaseConfig("brokers-kraft", { brokerConfig: { "inter.broker.protocol.version": "3.9" } }));
        const run = runStartScript(script(program, "kafka"), "kafka-1");
        // The migrated log directory keeps its meta.properties: no format.
        assert.strictEqual(run.storage, undefined);
        assert.deepStrictEqual(platform(run, BROKER_KEYS), [
            ["process.roles", "broker"],
            ["node.id", "1"],
            ["controller.quorum.voters", VOTERS],
            ["controller.listener.names", "CONTROLLER"],
            ["listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"],
            ["listeners", "PLAINTEXT://:9093"],
            ["advertised.listeners", "PLAINTEXT://kafka-1.kafka-hs.default.svc.cluster.local:9093"],
            ["log.dirs", "/var/lib/kafka/data"],
        ]);
        for (const key of ["zookeeper.session.timeout.ms", "zookeeper.set.acl", "zookeeper.connection.timeout.ms", "broker.id.generation.enable", "reserved.broker.max.id"]) {
            assert.ok(!run.overrides.some(([k]) => k === key), `${key} is left out of a KRaft broker`);
        }
        assert.strictEqual(program.object(STS, "kafka").inputs.spec.template.spec.affinity.podAffinity, undefined, "no affinity to ZooKeeper pods");
    });

    it("finalized and ZooKeeper removed: the brokers as in brokers-kraft, so neither rolls them", async () => {
        const kraft = template(await runProgram(phaseConfig("brokers-kraft")), "kafka");
        assert.strictEqual(template(await runProgram(phaseConfig("finalized")), "kafka"), kraft);
        assert.strictEqual(template(await runProgram(phaseConfig("zookeeper-removed")), "kafka"), kraft);
    });
});

describe("the controllers in each migration phase", () => {
    const CONTROLLER_KEYS = [
        "process.roles",
        "node.id",
        "controller.quorum.voters",
        "controller.listener.names",
        "listener.security.protocol.map",
        "listeners",
        "log.dirs",
        "zookeeper.metadata.migration.enable",
        "zookeeper.connect",
        "inter.broker.listener.name",
    ];

    it("controllers: migration mode with zookeeper.connect and the brokers' listener (ops.html:3994-4010), formatted with ZooKeeper's cluster id", async () => {
        const program = await runProgram(phaseConfig("controllers"));
        const run = runStartScript(script(program, "kafka-controller"), "kafka-controller-0");
        assert.deepStrictEqual(run.storage, ["format", "--cluster-id", CLUSTER_ID, "--config", run.storage![4], "--ignore-formatted"]);
        assert.deepStrictEqual(platform(run, CONTROLLER_KEYS), [
            ["process.roles", "controller"],
            ["node.id", "3000"],
            ["controller.quorum.voters", VOTERS],
            ["controller.listener.names", "CONTROLLER"],
            ["listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"],
            ["listeners", "CONTROLLER://:9094"],
            ["log.dirs", "/var/lib/kafka/data"],
            ["zookeeper.metadata.migration.enable", "true"],
            ["zookeeper.connect", ZK],
            ["inter.broker.listener.name", "PLAINTEXT"],
        ]);
        assert.strictEqual(program.object(STS, "kafka-controller").inputs.spec.template.spec.containers[0].image, "apache/kafka:3.9.1");
    });

    it("run a JMX port bound to localhost while migrating, for the gates to read ZkMigrationState", async () => {
        const e = env(await runProgram(phaseConfig("controllers")), "kafka-controller");
        assert.strictEqual(e.JMX_PORT, "9999");
        assert.match(e.KAFKA_JMX_OPTS, /-Dcom\.sun\.management\.jmxremote\.host=127\.0\.0\.1 /);
        assert.match(e.KAFKA_JMX_OPTS, /-Djava\.rmi\.server\.hostname=127\.0\.0\.1$/);
        assert.match(e.KAFKA_JMX_OPTS, /jmxremote\.authenticate=false/);
        assert.strictEqual(env(await runProgram({ kafka: { metadata: "kraft", clusterId: CLUSTER_ID } }), "kafka-controller").JMX_PORT, undefined, "not on a fresh KRaft stack");
    });

    it("brokers-migrating and brokers-kraft: untouched, so no controller restarts while the brokers migrate", async () => {
        const controllers = template(await runProgram(phaseConfig("controllers")), "kafka-controller");
        assert.strictEqual(template(await runProgram(phaseConfig("brokers-migrating")), "kafka-controller"), controllers);
        assert.strictEqual(template(await runProgram(phaseConfig("brokers-kraft")), "kafka-controller"), controllers);
    });

    it("finalized: out of migration mode, as a fresh KRaft controller (ops.html:4117-4128), JMX kept; ZooKeeper's removal changes nothing", async () => {
        const program = await runProgram(phaseConfig("finalized"));
        const run = runStartScript(script(program, "kafka-controller"), "kafka-controller-2");
        assert.deepStrictEqual(platform(run, CONTROLLER_KEYS), [
            ["process.roles", "controller"],
            ["node.id", "3002"],
            ["controller.quorum.voters", VOTERS],
            ["controller.listener.names", "CONTROLLER"],
            ["listener.security.protocol.map", "CONTROLLER:PLAINTEXT"],
            ["listeners", "CONTROLLER://:9094"],
            ["log.dirs", "/var/lib/kafka/data"],
        ]);
        assert.strictEqual(env(program, "kafka-controller").JMX_PORT, "9999");
        assert.strictEqual(template(await runProgram(phaseConfig("zookeeper-removed")), "kafka-controller"), template(program, "kafka-controller"));
    });
});

describe("the program in each migration phase (mocks)", () => {
    const statefulSets = (run: ProgramRun) => run.resources.filter((r) => r.type === STS).map((r) => r.inputs.metadata.name);
    const named = (run: ProgramRun, prefix: string) => run.resources.filter((r) => (r.inputs?.metadata?.name ?? "").startsWith(prefix)).map((r) => `${r.type.split(":").pop()}/${r.inputs.metadata.name}`);

    for (const [phase, expected] of [
        ["none", ["zk", "kafka"]],
        ["controllers", ["zk", "kafka-controller", "kafka"]],
        ["brokers-migrating", ["zk", "kafka-controller", "kafka"]],
        ["brokers-kraft", ["zk", "kafka-controller", "kafka"]],
        ["finalized", ["zk", "kafka-controller", "kafka"]],
        ["controllers-removed", ["zk", "kafka"]],
        ["zookeeper-removed", ["kafka-controller", "kafka"]],
    ] as const) {
        it(`${phase}: registers the StatefulSets ${expected.join(", ")} and no RandomId`, async () => {
            const run = await runProgram(phase === "none" ? {} : phaseConfig(phase));
            assert.deepStrictEqual(statefulSets(run), expected);
            assert.deepStrictEqual(run.resources.filter((r) => r.type.startsWith("random:")), []);
            assert.strictEqual(run.outputs.migration, phase === "none" ? undefined : phase === "zookeeper-removed" ? "finalized" : phase);
        });
    }

    it("controllers-removed: no controller object at all (Service, PDB, ConfigMap), and no controller outputs", async () => {
        const run = await runProgram(phaseConfig("controllers-removed"));
        assert.deepStrictEqual(named(run, "kafka-controller"), []);
        assert.strictEqual(run.outputs.controllerPartition, undefined);
    });

    it("exports the controllers' partition beside ZooKeeper's while migrating, for the next step's policy check", async () => {
        const run = await runProgram(phaseConfig("brokers-kraft", { controllers: { partition: 1 } }));
        assert.strictEqual(run.outputs.controllerPartition, 1);
        assert.strictEqual(run.outputs.zookeeperConnect, ZK);
        assert.strictEqual(run.outputs.clusterId, CLUSTER_ID);
    });
});

/** The resources the program registers for a phase, as the stack policy sees them. */
async function phaseResources(phase: string, kafka: Record<string, unknown> = {}): Promise<PolicyResource[]> {
    const options = recordResourceOptions();
    try {
        return programResources(await runProgram(phase === "none" ? { kafka } : phaseConfig(phase, kafka)), options);
    } finally {
        options.restore();
    }
}

/** A step's phase config name (phaseConfig's vocabulary). */
const PHASE_OF: Record<MigrationStep, string> = {
    zookeeper: "none",
    controllers: "controllers",
    "brokers-migrating": "brokers-migrating",
    "brokers-kraft": "brokers-kraft",
    finalized: "finalized",
    "controllers-removed": "controllers-removed",
    kraft: "zookeeper-removed",
};

const DONE = { kafka: 0, "kafka-controller": 0 };

describe("policy kafka-migration", () => {
    const policy = kafkaMigration();
    const check = async (next: MigrationStep | string, config: object, kafka: Record<string, unknown> = {}) =>
        (await validateStack(policy, await phaseResources(next in PHASE_OF ? PHASE_OF[next as MigrationStep] : next, kafka), config)).violations;

    it("reads each phase's step from the rendered StatefulSets", async () => {
        for (const [step, phase] of Object.entries(PHASE_OF)) {
            // A ZooKeeper stack's step with itself as previous: no violation, and the step is recognised.
            assert.deepStrictEqual(await check(step, { previousStep: step, previousPartition: DONE }), [], `${phase} as ${step}`);
        }
    });

    for (const [previous, nexts] of Object.entries(NEXT_STEPS) as Array<[MigrationStep, ReadonlyArray<MigrationStep>]>) {
        for (const next of nexts) {
            it(`passes ${previous} → ${next} once ${previous}'s rollout is complete`, async () => {
                assert.deepStrictEqual(await check(next, { previousStep: previous, previousPartition: DONE }), []);
            });
        }
    }

    it("refuses a skipped phase: ZooKeeper mode straight to brokers-migrating", async () => {
        assert.deepStrictEqual(await check("brokers-migrating", { previousStep: "zookeeper", previousPartition: DONE }), [
            "StatefulSet default/kafka violates kafka-migration: it moves from ZooKeeper mode (kafka.migration: none) to kafka.migration: brokers-migrating, " +
                "which skips a phase or goes out of order. Fix: the next step from ZooKeeper mode (kafka.migration: none) is kafka.migration: controllers " +
                "(README: Migrating from ZooKeeper to KRaft).",
        ]);
    });

    it("refuses going back from brokers-migrating to controllers, which is not the docs' revert", async () => {
        const [message] = await check("controllers", { previousStep: "brokers-migrating", previousPartition: DONE });
        assert.match(message, /moves from kafka.migration: brokers-migrating to kafka.migration: controllers, which skips a phase or goes out of order/);
        assert.match(message, /is kafka.migration: brokers-kraft or kafka.migration: controllers-removed/);
    });

    it("refuses any step back from finalized", async () => {
        const [message] = await check("brokers-kraft", { previousStep: "finalized", previousPartition: DONE });
        assert.match(message, /from kafka.migration: finalized to kafka.migration: brokers-kraft.* is KRaft without ZooKeeper \(kafka.metadata: kraft\)/);
    });

    it("refuses finalize while the brokers' KRaft rollout had not reached every pod, or is not known", async () => {
        assert.deepStrictEqual(await check("finalized", { previousStep: "brokers-kraft", previousPartition: { kafka: 2, "kafka-controller": 0 } }), [
            "StatefulSet default/kafka violates kafka-migration: it moves from kafka.migration: brokers-kraft to kafka.migration: finalized while the " +
                "previous step's rollout of StatefulSet kafka was at partition 2, not every pod (finalize needs every broker running as KRaft). " +
                "Fix: finish kafka.migration: brokers-kraft first: lower kafka.partition to 0 and let that stage become Ready, then move on.",
        ]);
        assert.match((await check("finalized", { previousStep: "brokers-kraft" }))[0], /was not known to be complete \(no previous partition passed\)/);
    });

    it("refuses brokers-migrating before the controllers' rollout reached every pod", async () => {
        const [message] = await check("brokers-migrating", { previousStep: "controllers", previousPartition: { kafka: 0, "kafka-controller": 1 } });
        assert.match(message, /rollout of StatefulSet kafka-controller was at partition 1.*lower kafka\.controllers\.partition to 0/);
    });

    it("lets a way back start from a partly rolled phase (a failed canary is rolled back, not finished)", async () => {
        assert.deepStrictEqual(await check("brokers-migrating", { previousStep: "brokers-kraft", previousPartition: { kafka: 2, "kafka-controller": 0 } }), []);
    });

    it("refuses removing ZooKeeper before finalize, and switching a ZooKeeper stack to kraft outright", async () => {
        // brokers-kraft, then kafka.metadata kraft without a phase: config accepts it (a fresh kraft stack), the pack does not.
        const early = await check("zookeeper-removed", { previousStep: "brokers-kraft", previousPartition: DONE });
        assert.deepStrictEqual(early, [
            "StatefulSet default/kafka violates kafka-migration: it removes ZooKeeper (KRaft without ZooKeeper (kafka.metadata: kraft)) while the step " +
                "deployed is kafka.migration: brokers-kraft: before the migration is finalized the brokers or controllers still need it, and the way back " +
                "to ZooKeeper mode is lost. Fix: walk the phases to kafka.migration: finalized first; set kafka.metadata: kraft only after that.",
        ]);
        assert.match((await check("zookeeper-removed", { previousStep: "zookeeper", previousPartition: DONE }))[0], /it removes ZooKeeper .* while the step deployed is ZooKeeper mode/);
    });

    it("passes any step when the driver passed no previous step, as long as the servers match one", async () => {
        assert.deepStrictEqual(await check("finalized", {}), []);
    });

    it("refuses servers that match no step: KRaft brokers beside ZooKeeper with no controllers", async () => {
        const resources = (await phaseResources("finalized")).filter((r) => r.props?.metadata?.name !== "kafka-controller");
        assert.deepStrictEqual((await validateStack(policy, resources, {})).violations, [
            "StatefulSet default/kafka violates kafka-migration: its servers match no step of the ZooKeeper to KRaft migration (a ZooKeeper ensemble, " +
                "no KRaft controllers, KRaft brokers). Fix: configure a phase of kafka.migration with kafka.metadata as README: Migrating from ZooKeeper to KRaft gives them.",
        ]);
    });

    it("does not apply to a stack without brokers", async () => {
        const resources = (await phaseResources("controllers")).filter((r) => r.props?.metadata?.name !== "kafka");
        assert.deepStrictEqual((await validateStack(policy, resources, { previousStep: "kraft" })).violations, []);
    });
});

describe("policy kafka-metadata while migrating", () => {
    const policy = kafkaMetadata();
    const withImage = async (phase: string, name: string, image: string) => {
        const sts = (await phaseResources(phase)).find((r) => r.type === STS && r.props.metadata.name === name)!;
        const props = JSON.parse(JSON.stringify(sts.props));
        props.spec.template.spec.containers[0].image = image;
        return (await validateResource(policy, { type: STS, name: sts.name, props })).violations;
    };

    it("refuses a 4.x image on controllers in migration mode and on migrating ZooKeeper-mode brokers", async () => {
        assert.deepStrictEqual(await withImage("controllers", "kafka-controller", "apache/kafka:4.0.0"), [
            "StatefulSet default/kafka-controller violates kafka-metadata: its image apache/kafka:4.0.0 is Kafka 4.0 and its servers run in ZooKeeper → KRaft " +
                "migration mode (zookeeper.metadata.migration.enable=true); the migration runs on Kafka 3.9, and 4.x has no ZooKeeper to migrate from. " +
                "Fix: run a Kafka 3.9 image (kafka.image) until the migration is finalized (kafka.migration: finalized) and ZooKeeper removed.",
        ]);
        // A migrating broker is a ZooKeeper-mode broker: the ZooKeeper rule says it first.
        assert.match((await withImage("brokers-migrating", "kafka", "apache/kafka:4.0.0"))[0], /is Kafka 4\.x and its servers run in ZooKeeper mode/);
        assert.match((await withImage("brokers-kraft", "kafka-controller", "apache/kafka:3.8.0"))[0], /is Kafka 3\.8 and its servers run in ZooKeeper → KRaft migration mode/);
    });

    it("passes 3.9 while migrating, and 4.x on controllers out of migration mode", async () => {
        assert.deepStrictEqual(await withImage("brokers-migrating", "kafka", "apache/kafka:3.9.1"), []);
        assert.deepStrictEqual(await withImage("brokers-kraft", "kafka-controller", "apache/kafka:3.9.1"), []);
        assert.deepStrictEqual(await withImage("zookeeper-removed", "kafka-controller", "apache/kafka:4.4.0"), []);
    });
});

describe("the whole pack in each migration phase", () => {
    const prod = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policies", "config", "prod.json"), "utf8"));
    for (const [previous, next] of [
        ["zookeeper", "controllers"],
        ["controllers", "brokers-migrating"],
        ["brokers-migrating", "brokers-kraft"],
        ["brokers-kraft", "finalized"],
        ["finalized", "kraft"],
        ["brokers-migrating", "controllers-removed"],
        ["controllers-removed", "zookeeper"],
    ] as Array<[MigrationStep, MigrationStep]>) {
        it(`passes ${previous} → ${next} under prod policy config`, async () => {
            const config = mergeMigrationPolicyConfig(prod, { previousStep: previous, previousPartition: DONE });
            const violations = await runPack(guardrails(), await phaseResources(PHASE_OF[next]), config as never);
            assert.deepStrictEqual(violations.map((v) => `${v.policy}: ${v.message}`), []);
        });
    }
});

describe("the migration order (components/migration.ts)", () => {
    it("reads a step from rendered servers, and none from a combination no phase renders", () => {
        assert.strictEqual(renderedStep({ zookeeper: true, brokers: { kraft: false, migrating: false } }), "zookeeper");
        assert.strictEqual(renderedStep({ zookeeper: true, brokers: { kraft: false, migrating: true } }), "controllers-removed");
        assert.strictEqual(renderedStep({ zookeeper: false, brokers: { kraft: true, migrating: false }, controllers: { migrating: false } }), "kraft");
        assert.strictEqual(renderedStep({ zookeeper: false, brokers: { kraft: true, migrating: false }, controllers: { migrating: true } }), undefined);
        assert.strictEqual(renderedStep({ zookeeper: true, brokers: { kraft: false, migrating: false }, controllers: { migrating: false } }), undefined);
        assert.strictEqual(renderedStep({ zookeeper: true }), undefined);
    });

    it("allows a step to follow itself (a partition stage within a phase), whatever the partitions", () => {
        assert.deepStrictEqual(migrationStepFindings("brokers-kraft", "brokers-kraft", { kafka: 2 }), []);
    });
});

describe("the driver's previous step (stacks/)", () => {
    const flat = { "kafka-platform:kafka": JSON.stringify({ migration: "brokers-kraft", clusterId: CLUSTER_ID }) };

    it("reads it from the metadata and migration outputs, with the controllers' partition", () => {
        const out = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, value]) => [k, { value, secret: false }]));
        const state = stackStateFrom(flat, out({ metadata: "zookeeper", migration: "brokers-migrating", kafkaPartition: 0, controllerPartition: 0 }));
        assert.deepStrictEqual(migrationPrevious(state), { previousStep: "brokers-migrating", previousPartition: { kafka: 0, "kafka-controller": 0 } });
        assert.strictEqual(stackStateFrom(flat, out({ metadata: "zookeeper", kafkaPartition: 3 })).deployedStep, "zookeeper");
        assert.strictEqual(stackStateFrom(flat, out({ metadata: "kraft", migration: "finalized" })).deployedStep, "kraft");
        assert.strictEqual(stackStateFrom(flat, undefined).deployedStep, undefined, "never deployed: unknown, so the order check is skipped");
    });

    it("merges it into the policy config beside the environment's entry", () => {
        const merged = mergeMigrationPolicyConfig({ all: "mandatory", "kafka-migration": "advisory" }, { previousStep: "controllers", previousPartition: { kafka: 0 } });
        assert.deepStrictEqual(merged, {
            all: "mandatory",
            "kafka-migration": { enforcementLevel: "advisory", previousStep: "controllers", previousPartition: { kafka: 0 } },
            // No previous image known: kafka-metadata-version's change checks are skipped.
            "kafka-metadata-version": { previousImage: "", previousMetadataVersion: "" },
        });
        assert.deepStrictEqual(mergeMigrationPolicyConfig({}, { previousPartition: {} })["kafka-migration"], { previousStep: "", previousPartition: {} });
    });
});
