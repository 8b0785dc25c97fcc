import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ConfigProperty, Policies } from "../../../policies/rules/common";
import { PACK_NAME, guardrails, policies } from "../../../policies/rules";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const PACK = path.join(ROOT, "policies");
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];
const readJson = (...parts: string[]) => JSON.parse(fs.readFileSync(path.join(PACK, ...parts), "utf8"));

/** The subset of JSON schema the pack's config schemas use, checked the way the CLI would. */
function schemaErrors(schema: ConfigProperty | boolean, value: unknown, at: string): string[] {
    if (typeof schema === "boolean") return schema ? [] : [`${at}: not allowed`];
    const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
    const typeOf = (v: unknown) =>
        Array.isArray(v) ? "array" : v === null ? "null" : typeof v === "number" && Number.isInteger(v) ? "integer" : typeof v;
    const actual = typeOf(value);
    if (types.length > 0 && !types.some((t) => t === actual || (t === "number" && actual === "integer"))) {
        return [`${at}: expected ${types.join("|")}, got ${actual}`];
    }
    const errors: string[] = [];
    if (schema.minimum !== undefined && typeof value === "number" && value < schema.minimum) errors.push(`${at}: below ${schema.minimum}`);
    if (typeof value === "string" && schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${at}: too short`);
    if (Array.isArray(value)) {
        if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${at}: fewer than ${schema.minItems} items`);
        if (schema.uniqueItems && new Set(value).size !== value.length) errors.push(`${at}: duplicate items`);
        if (schema.items && !Array.isArray(schema.items)) value.forEach((v, i) => errors.push(...schemaErrors(schema.items as ConfigProperty, v, `${at}[${i}]`)));
    }
    if (actual === "object" && schema.additionalProperties !== undefined) {
        for (const [k, v] of Object.entries(value as object)) errors.push(...schemaErrors(schema.additionalProperties, v, `${at}.${k}`));
    }
    return errors;
}

/** Problems of a --policy-pack-config file against the pack: unknown policies, unknown keys, bad values. */
function configErrors(pack: Policies, config: Record<string, unknown>): string[] {
    const errors: string[] = [];
    for (const [name, value] of Object.entries(config)) {
        const policy = pack.find((p) => p.name === name);
        if (name !== "all" && !policy) {
            // The CLI accepts an unknown name silently, so a typo would relax nothing: catch it here.
            errors.push(`${name}: no such policy`);
            continue;
        }
        if (typeof value === "string") {
            if (!LEVELS.includes(value)) errors.push(`${name}: ${value} is not an enforcement level`);
            continue;
        }
        const { enforcementLevel, ...props } = value as Record<string, unknown>;
        if (enforcementLevel !== undefined && !LEVELS.includes(enforcementLevel as string)) errors.push(`${name}: bad enforcementLevel`);
        for (const [key, v] of Object.entries(props)) {
            const schema = policy?.configSchema?.properties[key];
            if (!schema) errors.push(`${name}.${key}: not in the policy's config schema`);
            else errors.push(...schemaErrors(schema, v, `${name}.${key}`));
        }
    }
    return errors;
}

describe("the kafka-guardrails pack", () => {
    it("has ten policies with unique kebab-case names, a description, a severity and tags", () => {
        assert.deepStrictEqual(
            policies.map((p) => p.name),
            [
                "pod-anti-affinity",
                "pod-disruption-budget",
                "rollout-partition-step",
                "kafka-durability",
                "kafka-metadata",
                "kafka-migration",
                "kafka-metadata-version",
                "zookeeper-ensemble",
                "pod-security",
                "statefulset-protection",
            ],
        );
        for (const p of policies) {
            assert.match(p.name, /^[a-z]+(-[a-z]+)*$/);
            assert.match(p.description, /^[A-Z].*\.$/, p.name);
            assert.ok(p.severity && p.tags && p.tags.length > 0, p.name);
        }
    });

    it("makes every policy mandatory unless told otherwise", () => {
        assert.deepStrictEqual(new Set(policies.map((p) => p.enforcementLevel)), new Set(["mandatory"]));
        assert.deepStrictEqual(new Set(guardrails("advisory").map((p) => p.enforcementLevel)), new Set(["advisory"]));
    });

    it("gives every config property a type, a description and a default, and never declares enforcementLevel", () => {
        for (const p of policies) {
            const properties = p.configSchema?.properties ?? {};
            assert.ok(Object.keys(properties).length > 0, `${p.name} has no config schema`);
            assert.ok(!("enforcementLevel" in properties), p.name);
            for (const [key, schema] of Object.entries(properties)) {
                assert.ok(typeof schema === "object" && schema.type && schema.description && schema.default !== undefined, `${p.name}.${key}`);
                assert.deepStrictEqual(schemaErrors(schema, (schema as { default: unknown }).default, `${p.name}.${key}`), []);
            }
        }
    });

    it("documents each rule with a JSDoc summary equal to its description", () => {
        for (const file of fs.readdirSync(path.join(PACK, "rules")).filter((f) => f !== "common.ts")) {
            const source = fs.readFileSync(path.join(PACK, "rules", file), "utf8");
            const doc = /\/\*\*\n((?: \*.*\n)+?) \*\n \* @severity (\w+)\n \* @topics (.+)\n \*\/\nexport function/.exec(source);
            assert.ok(doc, `${file} has no JSDoc with @severity and @topics above its factory`);
            const summary = doc[1].split("\n").map((l) => l.replace(/^ \* ?/, "")).join(" ").trim();
            const policy = policies.find((p) => p.description === summary);
            assert.ok(policy, `${file}: JSDoc summary matches no policy description: ${summary}`);
            assert.strictEqual(doc[2], policy.severity, file);
            assert.deepStrictEqual(doc[3].split(", "), policy.tags, file);
        }
    });

    for (const file of ["dev.json", "prod.json"]) {
        it(`ships config/${file} that names only real policies and valid values`, () => {
            assert.deepStrictEqual(configErrors(policies, readJson("config", file)), []);
        });
    }

    it("sets every threshold explicitly in prod.json, and relaxes only the dev-sized ones in dev.json", () => {
        const prod = readJson("config", "prod.json");
        const dev = readJson("config", "dev.json");
        for (const p of policies) {
            assert.deepStrictEqual(Object.keys(prod[p.name]).sort(), Object.keys(p.configSchema!.properties).sort(), p.name);
        }
        assert.strictEqual(prod["pod-anti-affinity"].allowPreferred, false);
        assert.strictEqual(dev["pod-anti-affinity"].allowPreferred, true);
        assert.strictEqual(dev["zookeeper-ensemble"].minEnsemble, 1);
        assert.strictEqual(prod["statefulset-protection"].requireProtect, true);
        assert.strictEqual(dev["statefulset-protection"].requireProtect, false);
    });

    it("rejects a config file with a misspelt policy or property", () => {
        assert.deepStrictEqual(configErrors(policies, { "pod-antiaffinity": { allowPreferred: true }, "pod-disruption-budget": { maxUnavailabe: 1 } }), [
            "pod-antiaffinity: no such policy",
            "pod-disruption-budget.maxUnavailabe: not in the policy's config schema",
        ]);
        assert.deepStrictEqual(configErrors(policies, { "rollout-partition-step": { previousPartition: { kafka: -1 } } }), [
            "rollout-partition-step.previousPartition.kafka: below 0",
        ]);
    });

    it("pins @pulumi/policy 1.21.0 and the program's own @pulumi/pulumi", () => {
        const pkg = readJson("package.json");
        const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.strictEqual(pkg.name, PACK_NAME);
        assert.strictEqual(pkg.dependencies["@pulumi/policy"], "1.21.0");
        assert.strictEqual(pkg.dependencies["@pulumi/pulumi"], root.dependencies["@pulumi/pulumi"]);
        assert.match(fs.readFileSync(path.join(PACK, "PulumiPolicy.yaml"), "utf8"), /^runtime: nodejs$/m);
    });

    it("stages a self-contained copy for pulumi policy publish, with the platform modules vendored", () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "kafka-guardrails-"));
        try {
            const staged = path.join(out, "pack");
            const result = spawnSync("bash", [path.join(PACK, "scripts", "stage.sh"), staged, "--no-install"], { encoding: "utf8" });
            assert.strictEqual(result.status, 0, result.stderr);
            const vendored = ["components", "rollout"].flatMap((dir) => fs.readdirSync(path.join(staged, "vendor", dir)).map((f) => `${dir}/${f}`));
            assert.deepStrictEqual(vendored.sort(), ["components/broker-config.ts", "components/durability.ts", "components/labels.ts", "components/metadata-version.ts", "components/migration.ts", "components/shell.ts", "rollout/partitions.ts"]);
            assert.doesNotMatch(fs.readFileSync(path.join(staged, "platform.ts"), "utf8"), /\.\.\/(components|rollout)\//);
            fs.symlinkSync(path.join(PACK, "node_modules"), path.join(staged, "node_modules"));
            // eslint-disable-next-line @typescript-eslint/no-var-requires
            const stagedRules = require(path.join(staged, "rules.ts"));
            assert.deepStrictEqual(
                (stagedRules.policies as Policies).map((p) => p.name),
                policies.map((p) => p.name),
            );
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });

    it("starts in the policy-pack runner of @pulumi/pulumi and serves on a port", async function () {
        this.timeout(90000);
        const runner = path.join(PACK, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
        let child: ChildProcess | undefined;
        try {
            const port = await new Promise<string>((resolve, reject) => {
                child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], { cwd: PACK, stdio: ["ignore", "pipe", "pipe"] });
                let out = "";
                let err = "";
                child.stdout!.on("data", (d) => {
                    out += d;
                    const line = /^(\d+)\n/.exec(out);
                    if (line) resolve(line[1]);
                });
                child.stderr!.on("data", (d) => (err += d));
                child.on("exit", (code) => reject(new Error(`the pack exited with ${code}: ${err}${out}`)));
            });
            assert.ok(Number(port) > 0);
        } finally {
            child?.kill();
        }
    });
});
