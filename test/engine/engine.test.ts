// Engine tier: the real Pulumi CLI, Node.js language host and kubernetes provider, built from Go
// modules, on a local file backend, in the embedded render-to-YAML mode (no cluster needed).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { execFile } from "child_process";
import type { ExecFn } from "../../rollout/gates";
import { MigrateOptions, phaseGates, runMigration } from "../../stacks/migrate";
import { readPolicyConfig } from "../../stacks/policy-config";
import { LocalRolloutWorkspace } from "../../stacks/workspace";
import { POLICY_CONFIG, POLICY_PACK, ROOT, StackHandle, newStack, policyViolations, pulumiCommand, resourceCount, scratchProject, setPath, steps } from "../helpers/engine";

const DEV = { kafka: { replicas: 3, cpu: "500m", memory: "1Gi", partition: 0 }, zookeeper: { replicas: 3 } };

function renderedObjects(dir: string): Array<{ kind: string; metadata: { name: string } }> {
    const out: any[] = [];
    const walk = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, entry.name);
            if (entry.isDirectory()) walk(p);
            else if (p.endsWith(".yaml")) out.push(...yaml.loadAll(fs.readFileSync(p, "utf8")).filter(Boolean));
        }
    };
    walk(dir);
    return out;
}

function collect(h: StackHandle) {
    h.events = [];
    return (e: EngineEvent) => h.events.push(e);
}

describe("the program on the real Pulumi engine", function () {
    this.timeout(600_000);
    const handles: StackHandle[] = [];
    const stackFor = async (label: string, config: Record<string, unknown>) => {
        const h = await newStack(label, config);
        await h.stack.setConfig("kafka-platform:renderDir", { value: path.join(h.project.dir, "rendered") });
        handles.push(h);
        return h;
    };
    after(async () => {
        for (const h of handles) h.project.cleanup();
    });

    let dev: StackHandle;
    before(async () => {
        dev = await stackFor("dev", DEV);
    });

    it("lets a new user `pulumi stack init` the committed stacks with a passphrase of their own", async () => {
        // A salt in Pulumi.<stack>.yaml binds the file to the passphrase that made it: anyone else
        // got `incorrect passphrase`. The committed files carry none; init writes the user's own.
        const project = scratchProject("init");
        const pulumi = (await pulumiCommand()).command;
        const run = (...args: string[]) =>
            new Promise<{ code: number; out: string }>((resolve) =>
                execFile(pulumi, [...args, "--non-interactive"], {
                    cwd: project.dir,
                    env: { ...process.env, PULUMI_BACKEND_URL: `file://${project.backend}`, PULUMI_CONFIG_PASSPHRASE: "a-passphrase-of-my-own" },
                }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` })),
            );
        try {
            for (const stack of ["dev", "local"]) {
                fs.copyFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), path.join(project.dir, `Pulumi.${stack}.yaml`));
                assert.doesNotMatch(fs.readFileSync(path.join(project.dir, `Pulumi.${stack}.yaml`), "utf8"), /encryptionsalt/);
                const init = await run("stack", "init", stack);
                assert.strictEqual(init.code, 0, init.out);
                const replicas = await run("config", "get", "--path", "kafka.replicas", "--stack", stack);
                assert.deepStrictEqual([replicas.code, replicas.out.trim()], [0, "3"]);
                const secret = await run("config", "set", "--secret", "probe", "x", "--stack", stack);
                assert.strictEqual(secret.code, 0, secret.out);
                assert.match(fs.readFileSync(path.join(project.dir, `Pulumi.${stack}.yaml`), "utf8"), /encryptionsalt/, "init wrote the user's own salt");
            }
        } finally {
            project.cleanup();
        }
    });

    it("previews the dev stack under the policy pack with zero violations", async () => {
        const result = await dev.stack.preview({ policyPacks: [POLICY_PACK], policyPackConfigs: [POLICY_CONFIG("prod")], onEvent: collect(dev) });
        assert.deepStrictEqual(policyViolations(dev.events), []);
        // The stack, the render provider, the components and the Kubernetes objects (the brokers' and
        // the ensemble's ConfigMaps among them).
        assert.strictEqual(result.changeSummary.create, 15, JSON.stringify(result.changeSummary));
        console.log(`      preview: ${JSON.stringify(result.changeSummary)}`);
    });

    it("renders the seed's objects with `up`, and a second `up` reports no changes", async () => {
        const first = await dev.stack.up({ policyPacks: [POLICY_PACK], policyPackConfigs: [POLICY_CONFIG("prod")], onEvent: collect(dev) });
        assert.strictEqual(first.summary.result, "succeeded");
        assert.strictEqual(first.outputs.mode.value, "render");
        const objects = renderedObjects(path.join(dev.project.dir, "rendered"));
        const names = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
        for (const expected of [
            "StatefulSet/kafka",
            "Service/kafka-hs",
            "PodDisruptionBudget/kafka-pdb",
            "StatefulSet/zk",
            "Service/zk-hs",
            "Service/zk-cs",
            "PodDisruptionBudget/zk-pdb",
            "ConfigMap/zk-config",
            "ConfigMap/kafka-config",
        ]) {
            assert.ok(names.includes(expected), `${expected} not rendered; got ${names.join(", ")}`);
        }
        assert.ok(names.some((n) => /^Job\/kafka-topics-[0-9a-f]{10}$/.test(n)));
        const kafka: any = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name === "kafka");
        assert.strictEqual(kafka.spec.updateStrategy.rollingUpdate.partition, 0);
        assert.strictEqual(kafka.metadata.annotations["pulumi.com/skipAwait"], "true");

        const second = await dev.stack.up({ onEvent: collect(dev) });
        const changes = second.summary.resourceChanges ?? {};
        assert.deepStrictEqual(Object.keys(changes), ["same"], JSON.stringify(changes));
        console.log(`      first up: ${JSON.stringify(first.summary.resourceChanges)}; second up: ${JSON.stringify(changes)}`);
    });

    it("previews a partition-only config change as an update of the kafka StatefulSet alone", async () => {
        await setPath(dev.stack, "kafka.partition", "2");
        const result = await dev.stack.preview({ onEvent: collect(dev), diff: true });
        const changed = steps(dev.events).filter((s) => s.op !== "same");
        assert.deepStrictEqual(
            changed.map((s) => `${s.op} ${s.urn.split("::").pop()}`),
            ["update kafka-statefulset"],
        );
        const diff = dev.events.find((e) => e.resourcePreEvent?.metadata.op === "update")!.resourcePreEvent!.metadata;
        assert.deepStrictEqual(Object.keys(diff.detailedDiff ?? {}), ["spec.updateStrategy.rollingUpdate.partition"]);
        console.log(`      preview: ${JSON.stringify(result.changeSummary)}`);
    });

    it("stops a change that would replace a StatefulSet at preview, because it is protected", async () => {
        await setPath(dev.stack, "kafka.partition", "0");
        await setPath(dev.stack, "kafka.storage", "20Gi");
        await assert.rejects(dev.stack.preview({ onEvent: collect(dev) }), (err: Error) => {
            assert.match(err.message, /protect/i);
            return true;
        });
        await setPath(dev.stack, "kafka.storage", "10Gi");
    });

    it("fails on an invalid config value before any resource is registered", async () => {
        const h = await stackFor("badconfig", { kafka: { cpu: "lots", partition: -1 } });
        await assert.rejects(h.stack.up({ onEvent: collect(h) }), (err: Error) => {
            assert.match(err.message, /kafka-platform:kafka\.cpu: got "lots"/);
            assert.match(err.message, /kafka-platform:kafka\.partition: got -1/);
            return true;
        });
        assert.strictEqual(await resourceCount(h.stack), 0);
        assert.deepStrictEqual(steps(h.events).filter((s) => !s.urn.endsWith("pulumi:pulumi:Stack::kafka-platform-badconfig")), []);
    });

    it("renders a KRaft stack with kafka.clusterId under the policy pack: controllers, brokers, no ZooKeeper and no random provider", async () => {
        // kafka.clusterId set: the @pulumi/random provider plugin, which cannot be built here, is never needed.
        const kraft = await stackFor("kraft", { kafka: { metadata: "kraft", clusterId: "MkU3OEVBNTcwNTJENDM2Qg" } });
        const up = await kraft.stack.up({ policyPacks: [POLICY_PACK], policyPackConfigs: [POLICY_CONFIG("prod")], onEvent: collect(kraft) });
        assert.strictEqual(up.summary.result, "succeeded");
        assert.deepStrictEqual(policyViolations(kraft.events), []);
        const names = renderedObjects(path.join(kraft.project.dir, "rendered")).map((o) => `${o.kind}/${o.metadata.name}`).sort();
        for (const expected of ["StatefulSet/kafka-controller", "Service/kafka-controller-hs", "PodDisruptionBudget/kafka-controller-pdb", "StatefulSet/kafka", "Service/kafka-hs"]) {
            assert.ok(names.includes(expected), `${expected} in ${names.join(", ")}`);
        }
        assert.deepStrictEqual(names.filter((n) => /\/zk/.test(n)), []);
        assert.strictEqual(up.outputs.clusterId.value, "MkU3OEVBNTcwNTJENDM2Qg");
        console.log(`      kraft up: ${JSON.stringify(up.summary.resourceChanges)}`);
    });

    it("fails a preview that breaks a mandatory policy, and nothing is created", async () => {
        const h = await stackFor("preferred", { ...DEV, kafka: { ...DEV.kafka, antiAffinity: "preferred" } });
        // A preview, as every `up` of ours is preceded by one: the Automation API's own `up` runs with
        // --skip-preview, and a mandatory violation found during an update stops only that resource.
        await assert.rejects(
            h.stack.preview({ policyPacks: [POLICY_PACK], policyPackConfigs: [POLICY_CONFIG("prod")], onEvent: collect(h) }),
            (err: Error) => /polic/i.test(err.message),
        );
        const violations = policyViolations(h.events);
        assert.ok(violations.some((v) => v.enforcementLevel === "mandatory" && /anti-affinity/i.test(v.policyName)), JSON.stringify(violations));
        assert.strictEqual(await resourceCount(h.stack), 0);
        console.log(`      violation: ${violations.map((v) => `[${v.enforcementLevel}] ${v.policyName}: ${v.message.replace(/\s*\n\s*/g, " ")}`).join("; ")}`);

        // The same stack passes under the dev policy config, which allows preferred anti-affinity.
        const relaxed = await h.stack.preview({ policyPacks: [POLICY_PACK], policyPackConfigs: [POLICY_CONFIG("dev")], onEvent: collect(h) });
        assert.deepStrictEqual(policyViolations(h.events).filter((v) => v.enforcementLevel === "mandatory"), []);
        assert.ok(relaxed.changeSummary.create! > 0);
    });

    describe("npm run migrate's driver on the engine, with the pack enforcing every phase (prod policy config)", () => {
        const CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg";
        const migration = (h: StackHandle, o: Partial<MigrateOptions>) =>
            runMigration({
                workspace: new LocalRolloutWorkspace(h.stack, { workDir: h.project.dir, packDir: POLICY_PACK, logDir: path.join(h.project.dir, "logs") }),
                // Rendered YAML: no pod to ask. The gates are the unit tier's; here the engine, config and pack are.
                gates: (phase, state) => phaseGates(phase, state, { k8sGate: "off", kafkaGate: "off", migrationGate: "off" }),
                timeoutSeconds: 1,
                env: "prod",
                envConfig: readPolicyConfig(POLICY_CONFIG("prod")),
                envConfigFile: "policies/config/prod.json",
                renderer: "silent",
                command: "npm run migrate -- --stack migrate",
                print: (l) => console.log(`      ${l}`),
                ...o,
            });

        it("walks none → kraft: each phase's config edit accepted by validation and the pack, ZooKeeper removed after unprotect", async () => {
            const h = await stackFor("migrate", DEV);
            await h.stack.up({ policyPacks: [POLICY_PACK], policyPackConfigs: [POLICY_CONFIG("prod")] });
            const stop = await migration(h, { clusterId: CLUSTER_ID, to: "kraft" });
            assert.strictEqual(stop.exit.reason, "manual-step", stop.exit.message);
            assert.match(stop.migration!.manualSteps[0], /^lift protect: pulumi state unprotect 'urn:pulumi:migrate::kafka-platform::.*zk-statefulset' --stack migrate --yes$/);
            assert.strictEqual((await h.stack.outputs()).migration?.value, "finalized");

            const done = await migration(h, { to: "kraft", unprotectZookeeper: true });
            assert.strictEqual(done.exit.reason, "completed", done.exit.message);
            assert.deepStrictEqual(done.stages.map((st) => [st.phase, st.result]), [["finalized", "passed"], ["kraft", "passed"]]);
            const names = renderedObjects(path.join(h.project.dir, "rendered")).map((o) => `${o.kind}/${o.metadata.name}`);
            assert.deepStrictEqual(names.filter((n) => /\/zk/.test(n)), []);
            assert.strictEqual((await h.stack.outputs()).metadata?.value, "kraft");
        });

        it("walks the way back from brokers-migrating, deleting the controllers only after --unprotect-controllers", async () => {
            const h = await stackFor("migrate-back", DEV);
            await h.stack.up({ policyPacks: [POLICY_PACK], policyPackConfigs: [POLICY_CONFIG("prod")] });
            assert.strictEqual((await migration(h, { clusterId: CLUSTER_ID, to: "brokers-migrating" })).exit.reason, "completed");
            const stop = await migration(h, { rollback: true });
            assert.strictEqual(stop.exit.reason, "manual-step", stop.exit.message);
            assert.match(stop.exit.message, /controllers-removed.*kafka-controller StatefulSet, which is protected/);
            // zkCli.sh answers from a fake: the rendered stack has no ZooKeeper to ask.
            const zk: string[][] = [];
            const exec: ExecFn = async (_c, args) => (zk.push(args), args.includes("get") ? { code: 1, stdout: "", stderr: "Node does not exist: /migration" } : { code: 0, stdout: "", stderr: "" });
            const back = await migration(h, { rollback: true, unprotectControllers: true, exec });
            assert.strictEqual(back.exit.reason, "completed", back.exit.message);
            assert.deepStrictEqual(back.stages.map((st) => [st.phase, st.result]), [["brokers-migrating", "passed"], ["controllers-removed", "passed"], ["none", "passed"]]);
            assert.strictEqual(zk.length, 1, "only the read-only check of /migration");
            const names = renderedObjects(path.join(h.project.dir, "rendered")).map((o) => `${o.kind}/${o.metadata.name}`);
            assert.deepStrictEqual(names.filter((n) => /kafka-controller/.test(n)), []);
            // kafka.controllers goes (refused at none); kafka.clusterId stays for a next attempt.
            const kafka = JSON.parse((await h.stack.getAllConfig())["kafka-platform:kafka"].value);
            assert.deepStrictEqual([kafka.migration, kafka.clusterId, kafka.controllers], ["none", CLUSTER_ID, undefined]);
        });
    });
});
