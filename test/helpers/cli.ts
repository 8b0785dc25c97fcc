// Running the stacks CLI (`npm run stacks -- ...`, `npm run rollout -- ...`) as a user would,
// against a test stack's scratch project folder and backend.
import { spawn } from "child_process";
import * as path from "path";
import { POLICY_PACK, ROOT, StackHandle } from "./engine";

export interface CliResult {
    code: number;
    out: string;
    seconds: number;
}

export function cli(h: StackHandle, cluster: { kubeconfig: string }, ...args: string[]): Promise<CliResult> {
    return cliWatching(h, cluster, () => undefined, ...args);
}

/** As cli, calling onOutput with everything printed so far after each chunk. */
export function cliWatching(h: StackHandle, cluster: { kubeconfig: string }, onOutput: (soFar: string) => void, ...args: string[]): Promise<CliResult> {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(
            path.join(ROOT, "node_modules", ".bin", "ts-node"),
            ["--transpile-only", path.join(ROOT, "stacks", "cli.ts"), ...args, "--stack", h.stack.name, "--work-dir", h.project.dir, "--policy-pack", POLICY_PACK],
            {
                cwd: ROOT,
                env: {
                    ...process.env,
                    PULUMI_BACKEND_URL: `file://${h.project.backend}`,
                    PULUMI_CONFIG_PASSPHRASE: "engine-tier",
                    KUBECONFIG: cluster.kubeconfig,
                },
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let out = "";
        const take = (d: Buffer) => {
            out += d;
            onOutput(out);
        };
        child.stdout.on("data", take);
        child.stderr.on("data", take);
        child.on("close", (code) => resolve({ code: code ?? -1, out, seconds: (Date.now() - started) / 1000 }));
    });
}

export function lastLines(out: string, n = 12) {
    return out.trim().split("\n").slice(-n).map((l) => `        | ${l}`).join("\n");
}
