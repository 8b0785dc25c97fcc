// kafka.metadataVersion: the config key, the Job that raises the level, and the
// kafka-metadata-version policy (components/metadata-version.ts is the rule of both).
import * as assert from "assert";
import { parseConfig } from "../../components/config";
import { metadataVersionChangeFindings, metadataVersionJobName, parseMetadataLevel } from "../../components/metadata-version";
import { metadataVersionJobSpec, metadataVersionScript } from "../../components/metadata-version-spec";
import { kafkaMetadataVersion } from "../../policies/rules/kafka-metadata-version";
import type { PolicyResource } from "../../policies/rules/common";
import { migrationPrevious } from "../../stacks/commands";
import { mergeMigrationPolicyConfig } from "../../stacks/policy-config";
import { stackStateFrom } from "../../stacks/workspace";
import { rejects } from "../helpers/config";
import { programResources, recordResourceOptions, validateStack } from "../helpers/policy-args";
import { runProgram } from "../helpers/program";

const CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg";
const KRAFT = (kafka: Record<string, unknown> = {}) => ({ kafka: { metadata: "kraft", clusterId: CLUSTER_ID, ...kafka } });
const KRAFT_39 = (kafka: Record<string, unknown> = {}) => KRAFT({ image: "apache/kafka:3.9.1", ...kafka });

describe("metadata.version levels (components/metadata-version.ts)", () => {
    it("reads a release as its newest production level and a full name as itself, as kafka-features.sh does", () => {
        assert.deepStrictEqual(parseMetadataLevel("3.9"), { given: "3.9", name: "3.9-IV0", level: 21, major: 3, minor: 9 });
        assert.strictEqual(parseMetadataLevel("4.0")?.name, "4.0-IV3");
        assert.strictEqual(parseMetadataLevel("4.0")?.level, 25);
        assert.strictEqual(parseMetadataLevel("4.4")?.name, "4.4-IV2");
        assert.strictEqual(parseMetadataLevel("4.0-IV1")?.level, 23);
        assert.strictEqual(parseMetadataLevel("3.3")?.name, "3.3-IV3");
    });

    it("knows no level before 3.3-IV3, none of 4.5 (not production in 4.4.0), and no other spelling", () => {
        for (const v of ["3.2", "3.3-IV0", "4.5", "4.5-IV0", "4", "4.0.0", "v4.0", "4.0-iv3", "4.0-IV9", ""]) {
            assert.strictEqual(parseMetadataLevel(v), undefined, v);
        }
    });

    it("names the Job by the level, so a new level is a new Job", () => {
        assert.strictEqual(metadataVersionJobName("4.0"), "kafka-metadata-version-4-0");
        assert.strictEqual(metadataVersionJobName("3.9-IV0"), "kafka-metadata-version-3-9-iv0");
    });

    it("refuses a level changed with the image, and a downgrade; the same level respelled is no change", () => {
        assert.deepStrictEqual(metadataVersionChangeFindings({ image: "a:3.9.1" }, { images: ["a:4.4.0"], metadataVersion: "4.0" }), [
            { rule: "changed-with-image", previousLevel: "", level: "4.0", previousImage: "a:3.9.1", image: "a:4.4.0" },
        ]);
        assert.deepStrictEqual(metadataVersionChangeFindings({ image: "a:4.4.0" }, { images: ["a:4.4.0"], metadataVersion: "4.0" }), []);
        assert.deepStrictEqual(metadataVersionChangeFindings({ image: "a:3.9.1", metadataVersion: "3.9" }, { images: ["a:4.4.0"], metadataVersion: "3.9" }), []);
        assert.deepStrictEqual(metadataVersionChangeFindings({ image: "a:4.4.0", metadataVersion: "4.0" }, { images: ["a:4.4.0"], metadataVersion: "4.0-IV3" }), []);
        assert.deepStrictEqual(metadataVersionChangeFindings({ image: "a:4.4.0", metadataVersion: "4.0" }, { images: ["a:4.4.0"] }), [], "removing the key changes no level");
        const down = metadataVersionChangeFindings({ image: "a:4.4.0", metadataVersion: "4.0" }, { images: ["a:4.4.0"], metadataVersion: "3.9" });
        assert.deepStrictEqual(down.map((f) => f.rule), ["downgrade"]);
    });
});

describe("kafka.metadataVersion in stack config", () => {
    it("accepts a release or a level on a KRaft stack whose image knows it", () => {
        assert.strictEqual(parseConfig(KRAFT({ metadataVersion: "4.0" })).kafka.metadataVersion, "4.0");
        assert.strictEqual(parseConfig(KRAFT({ metadataVersion: "4.4-IV2" })).kafka.metadataVersion, "4.4-IV2");
        assert.strictEqual(parseConfig(KRAFT_39({ metadataVersion: "3.9" })).kafka.metadataVersion, "3.9");
        assert.strictEqual(parseConfig({ kafka: { metadata: "kraft", migration: "finalized", clusterId: CLUSTER_ID, metadataVersion: "3.9" } }).kafka.metadataVersion, "3.9");
        assert.strictEqual(parseConfig(KRAFT()).kafka.metadataVersion, undefined);
    });

    it("refuses it in ZooKeeper mode, naming the key and why", () => {
        rejects({ kafka: { metadataVersion: "3.9" } }, "kafka.metadataVersion", /kafka\.metadata "zookeeper"/, /KRaft feature/, /set it only with kafka\.metadata "kraft"/);
    });

    it("refuses it in every migration phase", () => {
        for (const migration of ["controllers", "brokers-migrating", "brokers-kraft", "finalized", "controllers-removed"]) {
            rejects(
                { kafka: { migration, clusterId: CLUSTER_ID, metadataVersion: "3.9" } },
                "kafka.metadataVersion",
                new RegExp(`kafka\\.migration "${migration}"`),
                /ZooKeeper migration is in progress/,
            );
        }
    });

    it("refuses an unknown level, listing what is accepted", () => {
        rejects(KRAFT({ metadataVersion: "4.0.0" }), "kafka.metadataVersion", /got "4\.0\.0"; expected a release \(3\.3, .*4\.4\)/, /3\.3-IV3 to 4\.4-IV2/);
        rejects(KRAFT({ metadataVersion: "latest" }), "kafka.metadataVersion", /got "latest"/);
    });

    it("refuses a YAML number, which has lost the level's digits", () => {
        rejects(KRAFT({ metadataVersion: 4.0 }), "kafka.metadataVersion", /got 4; expected a string such as "4\.0" \(quote it/);
    });

    it("refuses a 4.x level on a 3.9 image: image first, in an up of its own", () => {
        rejects(
            KRAFT_39({ metadataVersion: "4.0" }),
            "kafka.metadataVersion",
            /got "4\.0" \(4\.0-IV3\) with kafka\.image "apache\/kafka:3\.9\.1", Kafka 3\.9/,
            /first upgrade kafka\.image to 4\.0 or later in an up of its own, then set kafka\.metadataVersion/,
        );
        rejects(KRAFT({ image: "apache/kafka:4.1.0", metadataVersion: "4.4" }), "kafka.metadataVersion", /Kafka 4\.1/);
    });
});

describe("the metadata.version Job", () => {
    it("runs kafka-features.sh upgrade with the level's feature number against the brokers, then describes", () => {
        assert.strictEqual(
            metadataVersionScript("4.0", "kafka-0.kafka-hs.default.svc.cluster.local:9093"),
            [
                "set -e",
                "echo 'raising metadata.version to 4.0-IV3 (feature level 25)'",
                "/opt/kafka/bin/kafka-features.sh --bootstrap-server kafka-0.kafka-hs.default.svc.cluster.local:9093 upgrade --feature metadata.version=25",
                "/opt/kafka/bin/kafka-features.sh --bootstrap-server kafka-0.kafka-hs.default.svc.cluster.local:9093 describe",
            ].join("\n"),
        );
        assert.throws(() => metadataVersionScript("9.9", "x:9093"), /not a metadata\.version this platform knows/);
    });

    it("is a non-root one-shot pod on the brokers' image, like the topics Job", () => {
        const spec = metadataVersionJobSpec({ metadataVersion: "4.0", bootstrapServers: "b:9093", image: "apache/kafka:4.4.0", instance: "dev" });
        const c = spec.template.spec.containers[0];
        assert.strictEqual(spec.template.metadata.labels["app.kubernetes.io/name"], "kafka-metadata-version");
        assert.strictEqual(spec.template.spec.restartPolicy, "OnFailure");
        assert.strictEqual(spec.template.spec.securityContext.runAsNonRoot, true);
        assert.strictEqual(c.image, "apache/kafka:4.4.0");
        assert.deepStrictEqual(c.command.slice(0, 2), ["sh", "-c"]);
        assert.match(c.command[2], /upgrade --feature metadata\.version=25/);
    });

    it("is registered only when the key is set, after the brokers, named by the level and annotated with it", async () => {
        const without = await runProgram(KRAFT());
        assert.deepStrictEqual(without.resources.filter((r) => /metadata-version/.test(r.name)), []);
        assert.strictEqual(without.outputs.metadataVersion, undefined);
        assert.strictEqual(without.outputs.kafkaImage, "apache/kafka:4.4.0");

        const run = await runProgram(KRAFT({ metadataVersion: "4.0" }));
        const job = run.resources.find((r) => r.type === "kubernetes:batch/v1:Job" && r.name === "metadata-version-job")!;
        assert.ok(job, run.resources.map((r) => r.name).join(", "));
        assert.strictEqual(job.inputs.metadata.name, "kafka-metadata-version-4-0");
        assert.deepStrictEqual(job.inputs.metadata.annotations, { "kafka-platform/metadata-version": "4.0" });
        assert.match(job.inputs.spec.template.spec.containers[0].command[2], /kafka-0\.kafka-hs\.default\.svc\.cluster\.local:9093,.*upgrade --feature metadata\.version=25/);
        assert.strictEqual(run.outputs.metadataVersion, "4.0");
        assert.strictEqual(run.outputs.metadataVersionJob, "kafka-metadata-version-4-0");
    });
});

/** The resources the program registers for a config, as the stack policy sees them. */
async function resources(config: Record<string, unknown>): Promise<PolicyResource[]> {
    const options = recordResourceOptions();
    try {
        return programResources(await runProgram(config), options);
    } finally {
        options.restore();
    }
}

/** The stack's resources with every Kafka server's image replaced, as a hand-edited program could render them. */
function withImage(rs: PolicyResource[], image: string): PolicyResource[] {
    return rs.map((r) =>
        r.type === "kubernetes:apps/v1:StatefulSet" && /^kafka/.test(r.props.metadata.name)
            ? { ...r, props: { ...r.props, spec: { ...r.props.spec, template: { ...r.props.spec.template, spec: { ...r.props.spec.template.spec, containers: r.props.spec.template.spec.containers.map((c: any) => ({ ...c, image })) } } } } }
            : r,
    );
}

describe("policy kafka-metadata-version", () => {
    const policy = kafkaMetadataVersion();
    const JOB = "Job default/kafka-metadata-version-4-0 violates kafka-metadata-version";

    it("passes a stack without the key, and a level raised on its own", async () => {
        assert.deepStrictEqual((await validateStack(policy, await resources(KRAFT()), { previousImage: "apache/kafka:3.9.1" })).violations, []);
        const rs = await resources(KRAFT({ metadataVersion: "4.0" }));
        assert.deepStrictEqual((await validateStack(policy, rs, { previousImage: "apache/kafka:4.4.0", previousMetadataVersion: "3.9" })).violations, []);
        assert.deepStrictEqual((await validateStack(policy, rs, {})).violations, [], "no previous image known: the change checks are skipped");
    });

    it("refuses a level changed in the same update as the image, with the way to do it", async () => {
        const rs = await resources(KRAFT({ metadataVersion: "4.0" }));
        const out = await validateStack(policy, rs, { previousImage: "apache/kafka:3.9.1", previousMetadataVersion: "3.9" });
        assert.deepStrictEqual(out.violations, [
            `${JOB}: it changes metadata.version from 3.9 (3.9-IV0, feature level 21) to 4.0 (4.0-IV3, feature level 25) in the same update ` +
                `that changes the servers' image from apache/kafka:3.9.1 to apache/kafka:4.4.0. Fix: change kafka.image alone first and let every ` +
                `controller and broker roll; set kafka.metadataVersion in the next update, so the image can still be rolled back while the level ` +
                `is one the old image knows.`,
        ]);
        assert.match(out.urns[0]!, /metadata-version-job$/);
        const first = await validateStack(policy, rs, { previousImage: "apache/kafka:3.9.1", previousMetadataVersion: "" });
        assert.match(first.violations[0], /from the level the cluster has to 4\.0/);
    });

    it("refuses a downgrade", async () => {
        const rs = await resources(KRAFT({ metadataVersion: "3.9" }));
        assert.deepStrictEqual((await validateStack(policy, rs, { previousImage: "apache/kafka:4.4.0", previousMetadataVersion: "4.0" })).violations, [
            `Job default/kafka-metadata-version-3-9 violates kafka-metadata-version: it lowers metadata.version from 4.0 (4.0-IV3, feature level 25) to ` +
                `3.9 (3.9-IV0, feature level 21); kafka-features.sh upgrade cannot lower a level and Kafka refuses a downgrade that might delete metadata. ` +
                `Fix: keep kafka.metadataVersion at 4.0 or raise it: a metadata.version is not lowered here.`,
        ]);
    });

    it("refuses a level above what each server's image knows (controllers and brokers)", async () => {
        const rs = withImage(await resources(KRAFT({ metadataVersion: "4.0" })), "apache/kafka:3.9.1");
        const out = await validateStack(policy, rs, {});
        assert.deepStrictEqual(out.violations.map((v) => /while (StatefulSet \S+) runs/.exec(v)![1]).sort(), ["StatefulSet default/kafka", "StatefulSet default/kafka-controller"]);
        assert.match(out.violations[0], /raises metadata\.version to 4\.0 \(4\.0-IV3, feature level 25\) while .* runs apache\/kafka:3\.9\.1, Kafka 3\.9, which does not know Kafka 4\.0 levels\. Fix: upgrade kafka\.image to 4\.0 or later first/);
    });

    it("refuses the Job on a stack that still has ZooKeeper", async () => {
        const job = (await resources(KRAFT({ metadataVersion: "3.9", image: "apache/kafka:3.9.1" }))).filter((r) => r.type === "kubernetes:batch/v1:Job");
        const zk = (await resources({ kafka: { migration: "brokers-kraft", clusterId: CLUSTER_ID } })).filter((r) => r.type !== "kubernetes:batch/v1:Job");
        const out = await validateStack(policy, [...zk, ...job], {});
        assert.deepStrictEqual(out.violations, [
            `Job default/kafka-metadata-version-3-9 violates kafka-metadata-version: it changes metadata.version to "3.9" while the servers are at migration ` +
                `step brokers-kraft; Kafka refuses to change it while a ZooKeeper migration is in progress. Fix: set kafka.metadataVersion only with ` +
                `kafka.metadata: kraft (a KRaft stack, or a migration finalized and ZooKeeper removed).`,
        ]);
    });
});

describe("the previous image and level passed to the pack (stacks/)", () => {
    const flat = { "kafka-platform:kafka": JSON.stringify({ metadata: "kraft", clusterId: CLUSTER_ID }) };
    const out = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, value]) => [k, { value, secret: false }]));

    it("reads them from the kafkaImage and metadataVersion outputs and merges them into kafka-metadata-version's entry", () => {
        const state = stackStateFrom(flat, out({ metadata: "kraft", kafkaPartition: 0, kafkaImage: "apache/kafka:4.4.0", metadataVersion: "4.0" }));
        const previous = migrationPrevious(state);
        assert.deepStrictEqual([previous.previousImage, previous.previousMetadataVersion], ["apache/kafka:4.4.0", "4.0"]);
        assert.deepStrictEqual(mergeMigrationPolicyConfig({ "kafka-metadata-version": "advisory" }, previous)["kafka-metadata-version"], {
            enforcementLevel: "advisory",
            previousImage: "apache/kafka:4.4.0",
            previousMetadataVersion: "4.0",
        });
    });

    it("passes no previous image for outputs older than kafkaImage, so the change checks are skipped", () => {
        const previous = migrationPrevious(stackStateFrom(flat, out({ metadata: "kraft", kafkaPartition: 0 })));
        assert.strictEqual(previous.previousImage, undefined);
        assert.deepStrictEqual(mergeMigrationPolicyConfig({}, previous)["kafka-metadata-version"], { previousImage: "", previousMetadataVersion: "" });
    });
});
