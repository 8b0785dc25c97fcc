// Engine tier: the migration/KRaft family of policies on the real engine, through our own commands
// (stacks/commands.ts preview and up, which pass the pack the previous step, partitions, image and
// metadata.version from the stack's outputs). One stack in render mode, walked from ZooKeeper mode
// through every migration phase to KRaft on Kafka 4.x and a raised metadata.version; at each rule a
// preview that the pack blocks with the rule's message and that changes nothing, then the
// legitimate next phase.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { execFile } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiFn } from "@pulumi/pulumi/automation";
import { preview, up } from "../../stacks/commands";
import { LocalRolloutWorkspace, OperationResult } from "../../stacks/workspace";
import { POLICY_PACK, StackHandle, inlineProgram, newStack, pulumiCommand } from "../helpers/engine";

const CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg";

/**
 * Our program with the Kafka servers' image replaced after config validation, as a hand-edited or
 * other program could render them: config refuses a 4.x image in ZooKeeper mode or while migrating
 * itself, so only this reaches the pack's kafka-metadata rule with one.
 */
function withServerImage(image: string, statefulSets: string[]): PulumiFn {
    return async () => {
        pulumi.runtime.registerStackTransformation((args) => {
            if (args.type !== "kubernetes:apps/v1:StatefulSet" || !statefulSets.includes(args.name)) return undefined;
            const spec = pulumi.output(args.props.spec).apply((s: any) => ({
                ...s,
                template: { ...s.template, spec: { ...s.template.spec, containers: s.template.spec.containers.map((c: any) => ({ ...c, image })) } },
            }));
            return { props: { ...args.props, spec }, opts: args.opts };
        });
        return inlineProgram();
    };
}

describe("the migration and KRaft policies on the real engine, through our commands", function () {
    this.timeout(900_000);
    let h: StackHandle;
    let ws: LocalRolloutWorkspace;
    const started = Date.now();
    const target = () => ({ stack: h.stack.name, workDir: h.project.dir, policyPack: POLICY_PACK, workspace: ws, print: () => undefined });
    // Read from the file backend and the render folder, not through the CLI: every CLI call costs
    // this tier a second or more.
    const stateFile = () => path.join(h.project.backend, ".pulumi", "stacks", "kafka-platform", `${h.stack.name}.json`);
    const snapshot = () => {
        const hash = crypto.createHash("sha256").update(fs.readFileSync(stateFile()));
        const walk = (d: string): void =>
            fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).forEach((e) => {
                const p = path.join(d, e.name);
                if (e.isDirectory()) walk(p);
                else hash.update(p).update(fs.readFileSync(p));
            });
        walk(path.join(h.project.dir, "rendered"));
        return hash.digest("hex");
    };

    /** Set stack config keys as `pulumi config set --path` does, in one CLI call. */
    const set = async (values: Record<string, string>) => {
        if (Object.keys(values).length === 0) return;
        await h.stack.setAllConfig(Object.fromEntries(Object.entries(values).map(([k, value]) => [`kafka-platform:${k}`, { value }])), true);
    };
    const passes = async (values: Record<string, string>) => {
        await set(values);
        const result = await up(target());
        assert.ok(result.ok, result.reasons.join("\n"));
        return result;
    };
    /** A preview the pack blocks: the rule's message among the reasons, and the stack's outputs unchanged. */
    const blocked = async (values: Record<string, string>, policy: string, message: RegExp, o: { workspace?: LocalRolloutWorkspace } = {}) => {
        const before = snapshot();
        await set(values);
        const result: OperationResult = await preview({ ...target(), ...(o.workspace ? { workspace: o.workspace } : {}) });
        assert.strictEqual(result.ok, false, `not blocked: ${JSON.stringify(result.changes)}`);
        const reason = result.reasons.find((r) => r.startsWith(`kafka-guardrails ${policy} [mandatory]: `));
        assert.ok(reason, `no ${policy} violation among:\n${result.reasons.join("\n")}`);
        assert.match(reason!, message);
        assert.strictEqual(snapshot(), before, "a blocked preview changed neither the stack's state nor the rendered manifests");
        console.log(`      blocked: ${reason!.replace(/\s*\n\s*/g, " ")}`);
        return result;
    };
    /** The same stack run with another program (same state and config), through our commands. */
    const otherProgram = async (program: PulumiFn) => {
        const stack = await LocalWorkspace.selectStack(
            { stackName: h.stack.name, projectName: "kafka-platform", program },
            { workDir: h.project.dir, pulumiCommand: await pulumiCommand(), envVars: h.stack.workspace.envVars },
        );
        return new LocalRolloutWorkspace(stack, { workDir: h.project.dir, packDir: POLICY_PACK, logDir: path.join(h.project.dir, "logs") });
    };

    /** `pulumi state unprotect` the zk StatefulSet, as README's "ZooKeeper's removal" asks before kafka.metadata: kraft (every up protects it again). */
    const unprotectZooKeeper = async () => {
        const state = JSON.parse(fs.readFileSync(stateFile(), "utf8"));
        const zk = (state.checkpoint.latest.resources as Array<{ urn: string }>).find((r) => r.urn.endsWith("::zk-statefulset"))!;
        const pulumiBin = (await pulumiCommand()).command;
        await new Promise<void>((resolve, reject) =>
            execFile(
                pulumiBin,
                ["state", "unprotect", zk.urn, "--yes", "--non-interactive", "--stack", h.stack.name],
                { cwd: h.project.dir, env: { ...process.env, ...h.stack.workspace.envVars } },
                (err, _out, stderr) => (err ? reject(new Error(stderr)) : resolve()),
            ),
        );
    };

    before(async () => {
        h = await newStack("walk", { kafka: { replicas: 3 }, zookeeper: { replicas: 3 } });
        await h.stack.setConfig("kafka-platform:renderDir", { value: path.join(h.project.dir, "rendered") });
        ws = new LocalRolloutWorkspace(h.stack, { workDir: h.project.dir, packDir: POLICY_PACK, logDir: path.join(h.project.dir, "logs") });
    });
    after(() => {
        console.log(`      the walk took ${((Date.now() - started) / 1000).toFixed(1)} s`);
        h?.project.cleanup();
    });

    it("starts in ZooKeeper mode", async () => {
        await passes({});
    });

    it("kafka-metadata: refuses a 4.x image on ZooKeeper-mode brokers", async () => {
        await blocked({}, "kafka-metadata", /StatefulSet default\/kafka violates kafka-metadata: its image apache\/kafka:4\.4\.0 is Kafka 4\.x and its servers run in ZooKeeper mode/, {
            workspace: await otherProgram(withServerImage("apache/kafka:4.4.0", ["kafka-statefulset"])),
        });
    });

    it("kafka-migration: refuses a skipped phase (ZooKeeper mode straight to brokers-migrating)", async () => {
        await blocked(
            { "kafka.clusterId": CLUSTER_ID, "kafka.migration": "brokers-migrating" },
            "kafka-migration",
            /moves from ZooKeeper mode \(kafka\.migration: none\) to kafka\.migration: brokers-migrating, which skips a phase or goes out of order\. Fix: the next step from ZooKeeper mode \(kafka\.migration: none\) is kafka\.migration: controllers/,
        );
    });

    it("lets the controllers phase through, staged with one controller not rolled", async () => {
        await passes({ "kafka.migration": "controllers", "kafka.controllers.partition": "1" });
    });

    it("kafka-migration: refuses the next phase while the previous phase's rollout is incomplete (partition > 0)", async () => {
        await blocked(
            { "kafka.migration": "brokers-migrating" },
            "kafka-migration",
            /while the previous step's rollout of StatefulSet kafka-controller was at partition 1, not every pod\. Fix: finish kafka\.migration: controllers first: lower kafka\.controllers\.partition to 0/,
        );
    });

    it("lets the controllers finish rolling, then brokers-migrating through", async () => {
        await passes({ "kafka.migration": "controllers", "kafka.controllers.partition": "0" });
        await passes({ "kafka.migration": "brokers-migrating" });
    });

    it("kafka-migration: refuses an out-of-order step (brokers-migrating back to controllers)", async () => {
        await blocked(
            { "kafka.migration": "controllers" },
            "kafka-migration",
            /moves from kafka\.migration: brokers-migrating to kafka\.migration: controllers, which skips a phase or goes out of order\. Fix: the next step from kafka\.migration: brokers-migrating is kafka\.migration: brokers-kraft or kafka\.migration: controllers-removed/,
        );
    });

    it("lets brokers-kraft through", async () => {
        await passes({ "kafka.migration": "brokers-kraft" });
    });

    it("kafka-metadata: refuses a 4.x image on servers still in migration mode", async () => {
        await blocked(
            {},
            "kafka-metadata",
            /StatefulSet default\/kafka-controller violates kafka-metadata: its image apache\/kafka:4\.4\.0 is Kafka 4\.4 and its servers run in ZooKeeper → KRaft migration mode/,
            { workspace: await otherProgram(withServerImage("apache/kafka:4.4.0", ["kafka-statefulset", "kafka-controller-statefulset"])) },
        );
    });

    it("kafka-migration: refuses ZooKeeper removed before finalize", async () => {
        // Unprotected first: otherwise the engine stops at "cannot be deleted because it is protected" before the pack runs.
        await unprotectZooKeeper();
        await blocked(
            { "kafka.migration": "none", "kafka.metadata": "kraft" },
            "kafka-migration",
            /it removes ZooKeeper \(KRaft without ZooKeeper \(kafka\.metadata: kraft\)\) while the step deployed is kafka\.migration: brokers-kraft/,
        );
    });

    it("lets finalized through, then ZooKeeper's removal once its StatefulSet is unprotected", async () => {
        await passes({ "kafka.metadata": "zookeeper", "kafka.migration": "finalized" });
        await unprotectZooKeeper();
        await passes({ "kafka.metadata": "kraft" });
    });

    it("kafka-metadata-version: refuses a metadata.version change in the same update as the image change", async () => {
        await blocked(
            { "kafka.image": "apache/kafka:4.4.0", "kafka.metadataVersion": "4.0" },
            "kafka-metadata-version",
            /Job default\/kafka-metadata-version-4-0 violates kafka-metadata-version: it changes metadata\.version from the level the cluster has to 4\.0 \(4\.0-IV3, feature level 25\) in the same update that changes the servers' image from apache\/kafka:3\.9\.1 to apache\/kafka:4\.4\.0\. Fix: change kafka\.image alone first/,
        );
    });

    it("lets the image through alone, then the metadata.version in its own update, as a Job after the brokers", async () => {
        await h.stack.removeConfig("kafka-platform:kafka.metadataVersion", true);
        await passes({ "kafka.image": "apache/kafka:4.4.0" });
        await passes({ "kafka.metadataVersion": "4.0" });
        const out = await h.stack.outputs();
        assert.strictEqual(out.metadataVersion.value, "4.0");
        assert.strictEqual(out.metadataVersionJob.value, "kafka-metadata-version-4-0");
        assert.strictEqual(out.kafkaImage.value, "apache/kafka:4.4.0");
    });
});
