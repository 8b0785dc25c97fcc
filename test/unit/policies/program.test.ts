// The pack against what the program itself registers: the dev stack's resources, run through
// index.ts under Pulumi mocks, pass every policy; brokers with preferred anti-affinity fail prod
// and pass dev. These are the objects the engine tier previews for real.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { guardrails } from "../../../policies/rules";
import type { PolicyResource } from "../../../policies/rules/common";
import { PackConfig, Violation, programResources, recordResourceOptions, runPack } from "../../helpers/policy-args";
import { runProgram } from "../../helpers/program";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const readJson = (file: string): PackConfig => JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "config", file), "utf8"));
const DEV_POLICY = readJson("dev.json");
const PROD_POLICY = readJson("prod.json");

/** The dev stack's project config, read from Pulumi.dev.yaml (keys without the project prefix). */
function devStackConfig(): Record<string, any> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config?: Record<string, unknown> };
    const config: Record<string, any> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        if (key.startsWith("kafka-platform:")) config[key.slice("kafka-platform:".length)] = value;
    }
    return config;
}

/** The resources the program registers with the dev stack's config plus `overrides`, options included. */
async function devStack(overrides: Record<string, any> = {}): Promise<PolicyResource[]> {
    const config = devStackConfig();
    for (const [key, value] of Object.entries(overrides)) {
        config[key] = typeof value === "object" && value !== null ? { ...(config[key] ?? {}), ...value } : value;
    }
    const options = recordResourceOptions();
    try {
        return programResources(await runProgram(config), options);
    } finally {
        options.restore();
    }
}

async function evaluate(overrides: Record<string, any>, packConfig: PackConfig): Promise<Violation[]> {
    return runPack(guardrails(), await devStack(overrides), packConfig);
}

const summary = (violations: Violation[]) => violations.map((v) => `${v.policy}: ${v.message}`);

describe("kafka-guardrails on the program's own dev stack", () => {
    it("finds zero violations under dev policy config", async () => {
        assert.deepStrictEqual(summary(await evaluate({}, DEV_POLICY)), []);
    });

    it("sees the StatefulSets as the engine does: protected, under their components, as the stack policy's resources", async () => {
        const statefulSets = (await devStack()).filter((r) => r.type === "kubernetes:apps/v1:StatefulSet");
        assert.deepStrictEqual(
            statefulSets.map((r) => [r.props.metadata.name, r.opts.protect, r.opts.parent?.split("::").pop()]),
            [
                ["zk", true, "zk"],
                ["kafka", true, "kafka"],
            ],
        );
    });

    it("finds zero violations under prod policy config, the StatefulSets being protected by the components", async () => {
        assert.deepStrictEqual(summary(await evaluate({}, PROD_POLICY)), []);
    });

    it("fails only pod-anti-affinity, for the brokers, under prod policy config when kafka.antiAffinity is preferred", async () => {
        const violations = await evaluate({ kafka: { antiAffinity: "preferred" } }, PROD_POLICY);
        assert.deepStrictEqual(
            violations.map((v) => [v.policy, v.enforcementLevel]),
            [["pod-anti-affinity", "mandatory"]],
        );
        assert.match(violations[0].message, /^StatefulSet default\/kafka violates pod-anti-affinity: its podAntiAffinity is only preferred/);
        assert.match(violations[0].urn ?? "", /\$kubernetes:apps\/v1:StatefulSet::kafka-statefulset$/);
    });

    it("passes kafka.antiAffinity preferred under dev policy config", async () => {
        assert.deepStrictEqual(summary(await evaluate({ kafka: { antiAffinity: "preferred" } }, DEV_POLICY)), []);
    });

    it("fails the rollout step when the driver reports the brokers' previous partition 3 and the stack asks for 0", async () => {
        const prod: PackConfig = { ...PROD_POLICY, "rollout-partition-step": { maxStep: 1, previousPartition: { kafka: 3, zk: 0 } } };
        const violations = await evaluate({ kafka: { partition: 0 } }, prod);
        assert.deepStrictEqual(summary(violations), [
            "rollout-partition-step: StatefulSet default/kafka violates rollout-partition-step: its partition drops from 3 to 0 in one update, " +
                "rolling 3 pods (ordinals 0..2) where at most 1 may roll per update. Fix: lower the partition (kafka.partition) by at most 1 " +
                "per update (next: 2) and let each stage become Ready before the next.",
        ]);
        assert.deepStrictEqual(summary(await evaluate({ kafka: { partition: 2 } }, prod)), []);
    });
});
