// Stacks that do not set kafka.migration must not roll: every Kubernetes object the program
// registers (StatefulSet templates included) is compared byte for byte with what main rendered
// before the migration existed (test/fixtures/main-render.json, written by runProgram on main at
// 46f3b2b for the configs it lists: defaults, a tuned ZooKeeper stack, two fresh KRaft stacks).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { runProgram } from "../helpers/program";

const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "main-render.json"), "utf8")) as {
    configs: Record<string, Record<string, unknown>>;
    resources: Record<string, Array<{ type: string; name: string; inputs: unknown }>>;
};

describe("stacks without kafka.migration render exactly what main rendered", () => {
    for (const [name, config] of Object.entries(FIXTURE.configs)) {
        it(`${name}: the same objects, byte for byte`, async () => {
            const run = await runProgram(config);
            const now = run.resources
                .filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:batch/v1:Job")
                .map((r) => ({ type: r.type, name: r.name, inputs: r.inputs }));
            const before = FIXTURE.resources[name];
            assert.deepStrictEqual(now.map((r) => `${r.type}/${r.name}`), before.map((r) => `${r.type}/${r.name}`));
            for (let i = 0; i < now.length; i++) {
                assert.strictEqual(JSON.stringify(now[i].inputs), JSON.stringify(before[i].inputs), `${now[i].type}/${now[i].name} differs from main's`);
            }
        });
    }
});
