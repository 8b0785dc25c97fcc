// The isolated Pulumi command against a stand-in CLI (a shell script named bin/pulumi): it must
// behave like the Automation API's own command (results, error classes, abort) while running each
// command in a process group of its own, out of reach of a terminal's Ctrl-C.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { StackNotFoundError } from "@pulumi/pulumi/automation";
import { isolatedPulumiCommand, pulumiRootFromEnv } from "../../../stacks/pulumi-command";
import { scratchDir } from "./fakes";

// A node script, not sh: a shell started with SIGINT ignored (as under `cmd &`) cannot trap it.
const STAND_IN = `#!/usr/bin/env node
const args = process.argv.slice(2);
if (args[0] === "version") { console.log("v3.248.0"); process.exit(0); }
const pgid = require("child_process").execSync("ps -o pgid= -p " + process.pid).toString().trim();
console.log("pid " + process.pid + " pgid " + pgid);
console.log("args " + args.join(" "));
console.log("automation " + process.env.PULUMI_AUTOMATION_API);
if (process.env.STANDIN_FAIL) { console.error("error: no stack named 'nope' found"); process.exit(255); }
if (process.env.STANDIN_WAIT) {
  process.on("SIGINT", () => { console.log("got SIGINT"); process.exit(130); });
  console.log("waiting");
  setTimeout(() => process.exit(0), 10000);
}
`;

type Run = (args: string[], cwd: string, env: Record<string, string>, onOutput?: (s: string) => void, onError?: (s: string) => void, signal?: AbortSignal) => Promise<{ stdout: string; stderr: string; code: number }>;

function standIn(): string {
    const root = scratchDir("pulumi-standin");
    fs.mkdirSync(path.join(root, "bin"));
    fs.writeFileSync(path.join(root, "bin", "pulumi"), STAND_IN, { mode: 0o755 });
    return root;
}

describe("the isolated Pulumi command", () => {
    it("finds the CLI install from PULUMI_ROOT or scripts/env.sh's prefix", () => {
        const root = standIn();
        assert.strictEqual(pulumiRootFromEnv({ PULUMI_ROOT: root }), root);
        assert.strictEqual(pulumiRootFromEnv({ KAFKA_PLATFORM_PULUMI_PREFIX: root }), root);
        assert.strictEqual(pulumiRootFromEnv({ PULUMI_ROOT: "/nonexistent" }), undefined);
    });

    it("runs each command as the leader of its own process group, non-interactive, as the Automation API asks", async () => {
        const cmd = await isolatedPulumiCommand(standIn());
        assert.strictEqual(String(cmd.version), "3.248.0");
        const chunks: string[] = [];
        const r = await (cmd as unknown as { run: Run }).run(["preview", "--stack", "dev"], os.tmpdir(), {}, (s) => chunks.push(s));
        const [, pid, pgid] = /pid (\d+) pgid (\d+)/.exec(r.stdout)!;
        assert.ok(pid && pid === pgid, `the CLI leads its own group (pid ${pid}, pgid ${pgid})`);
        assert.notStrictEqual(pgid, String(process.pid));
        assert.match(r.stdout, /^args preview --stack dev --non-interactive$/m);
        assert.match(r.stdout, /^automation true$/m);
        assert.ok(!r.stdout.endsWith("\n"), "the final newline is stripped, as execa does");
        assert.strictEqual(chunks.join(""), r.stdout + "\n");
    });

    it("turns a failing command into the Automation API's own error classes", async () => {
        const cmd = (await isolatedPulumiCommand(standIn())) as unknown as { run: Run };
        await assert.rejects(cmd.run(["stack", "select", "nope"], os.tmpdir(), { STANDIN_FAIL: "1" }), (e: Error) => e instanceof StackNotFoundError && /no stack named 'nope' found/.test(e.message));
    });

    it("sends SIGINT to the running command when its operation is aborted", async () => {
        const cmd = (await isolatedPulumiCommand(standIn())) as unknown as { run: Run };
        const ac = new AbortController();
        const run = cmd.run(["up"], os.tmpdir(), { STANDIN_WAIT: "1" }, (s) => {
            if (s.includes("waiting")) ac.abort();
        }, undefined, ac.signal);
        await assert.rejects(run, /got SIGINT/);
    });

    it("says how to get the CLI when there is none", async () => {
        await assert.rejects(isolatedPulumiCommand("/nonexistent-pulumi-root"), /cannot run the Pulumi CLI \(\/nonexistent-pulumi-root\/bin\/pulumi\).*source scripts\/env\.sh/);
    });
});
