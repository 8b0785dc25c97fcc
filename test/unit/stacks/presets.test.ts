import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseConfig } from "../../../components/config";
import { ENVIRONMENTS, PRESETS, PresetStack, applyPreset, planPreset, presetConfig, withPreset } from "../../../stacks/presets";

const ROOT = path.resolve(__dirname, "../../..");

function fakeStack(config: Record<string, unknown> = {}) {
    const writes: Array<{ config: Record<string, { value: string }>; path?: boolean }> = [];
    const stack: PresetStack & { writes: typeof writes } = {
        name: "prod",
        writes,
        getAllConfig: async () => Object.fromEntries(Object.entries(config).map(([k, v]) => [`kafka-platform:${k}`, { value: JSON.stringify(v) }])),
        setAllConfig: async (c, p) => {
            writes.push({ config: c, path: p });
        },
    };
    return stack;
}

describe("environment presets", () => {
    it("gives every environment a valid stack config", () => {
        for (const env of ENVIRONMENTS) {
            const cfg = parseConfig(withPreset({}, presetConfig(env)));
            assert.strictEqual(cfg.kafka.antiAffinity, env === "dev" ? "preferred" : "required", env);
        }
    });

    it("keeps dev small and prod spread: preferred anti-affinity and 1-3 brokers in dev, required and 3 or more in prod", () => {
        assert.deepStrictEqual([PRESETS.dev.kafka.minReplicas, PRESETS.dev.kafka.maxReplicas, PRESETS.dev.kafka.antiAffinity], [1, 3, "preferred"]);
        assert.deepStrictEqual([PRESETS.prod.kafka.minReplicas, PRESETS.prod.kafka.maxReplicas, PRESETS.prod.kafka.antiAffinity], [3, undefined, "required"]);
        assert.strictEqual(presetConfig("dev", { brokers: 1 })["kafka.replicas"], "1");
        assert.strictEqual(presetConfig("prod", { brokers: 7 })["kafka.replicas"], "7");
        assert.throws(() => presetConfig("dev", { brokers: 4 }), /--brokers 4: the dev preset allows 1-3 brokers/);
        assert.throws(() => presetConfig("prod", { brokers: 2 }), /--brokers 2: the prod preset allows 3 or more brokers/);
    });

    it("holds each environment to a policy config file that exists", () => {
        for (const env of ENVIRONMENTS) {
            const file = path.join(ROOT, "policies", "config", `${PRESETS[env].policyEnv}.json`);
            assert.ok(fs.existsSync(file), file);
        }
        assert.strictEqual(PRESETS.staging.policyEnv, PRESETS.prod.policyEnv);
    });

    it("owns only sizing keys: the rollout's partition, the image and topics are left alone", () => {
        const keys = Object.keys(presetConfig("prod"));
        assert.ok(keys.every((k) => /^(kafka|zookeeper)\.(replicas|cpu|memory|heapOpts|storage|antiAffinity)$/.test(k)), keys.join(", "));
        const merged = withPreset({ kafka: { partition: 2, image: "apache/kafka:3.9.2" }, topics: [{ name: "orders" }] }, presetConfig("prod"));
        assert.deepStrictEqual([(merged.kafka as any).partition, (merged.kafka as any).image, merged.topics], [2, "apache/kafka:3.9.2", [{ name: "orders" }]]);
    });

    it("refuses, before writing anything, a preset the stack's other settings make invalid", async () => {
        // A topic with three replicas cannot live on the one broker --brokers 1 asks for.
        const stack = fakeStack({ topics: [{ name: "orders", replicationFactor: 3 }] });
        await assert.rejects(
            applyPreset({ stack: "dev", env: "dev", workDir: ROOT, brokers: 1, openStack: async () => stack }),
            /kafka-platform:topics\[0\]\.replicationFactor: got 3 for topic "orders"; expected at most kafka\.replicas \(1\)/,
        );
        assert.deepStrictEqual(stack.writes, []);
    });

    it("writes the changed keys with --path, and nothing when the stack already matches", async () => {
        const stack = fakeStack({ kafka: { replicas: 3, cpu: "1", partition: 3 } });
        const first = await applyPreset({ stack: "prod", env: "prod", workDir: ROOT, openStack: async () => stack });
        assert.ok(first.written);
        assert.strictEqual(stack.writes.length, 1);
        assert.strictEqual(stack.writes[0].path, true);
        assert.deepStrictEqual(Object.keys(stack.writes[0].config).sort(), Object.keys(presetConfig("prod")).filter((k) => k !== "kafka.replicas" && k !== "kafka.cpu").sort());
        assert.deepStrictEqual(first.changes.find((c) => c.key === "kafka.memory"), { key: "kafka.memory", before: undefined, after: "4Gi" });

        const applied = fakeStack(JSON.parse(JSON.stringify(withPreset({ kafka: { partition: 3 } }, presetConfig("prod")))));
        const again = await applyPreset({ stack: "prod", env: "prod", workDir: ROOT, openStack: async () => applied });
        assert.strictEqual(again.written, false);
        assert.deepStrictEqual(applied.writes, []);
    });

    it("shows the changes without writing on a dry run", async () => {
        const stack = fakeStack();
        const r = await applyPreset({ stack: "staging", env: "staging", workDir: ROOT, dryRun: true, openStack: async () => stack });
        assert.strictEqual(r.written, false);
        assert.deepStrictEqual(stack.writes, []);
        assert.ok(r.changes.length > 0);
        assert.deepStrictEqual(planPreset({}, presetConfig("staging")), r.changes);
    });
});
