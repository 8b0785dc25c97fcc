// Running host commands for the local cluster tool: every failure names the command and shows its
// stderr, since a cluster that fails to start is debugged from these messages.
import { execFile, spawn } from "child_process";

export class CommandError extends Error {
    constructor(
        public readonly command: string,
        public readonly code: number | string | null,
        public readonly stderr: string,
    ) {
        super(`${command} failed (exit ${code}): ${stderr.trim().split("\n").slice(-6).join("\n  ") || "no output"}`);
        this.name = "CommandError";
    }
}

export interface RunOptions {
    input?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    cwd?: string;
}

/** Run a command to completion; resolves to its stdout, rejects with CommandError on a non-zero exit. */
export function run(cmd: string, args: string[], o: RunOptions = {}): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = execFile(
            cmd,
            args,
            { env: o.env ?? process.env, timeout: o.timeoutMs ?? 120_000, maxBuffer: 256 << 20, cwd: o.cwd },
            (err, stdout, stderr) => {
                if (err) {
                    const code = (err as { code?: number | string }).code ?? null;
                    reject(new CommandError([cmd, ...args].join(" ").slice(0, 300), code, String(stderr) || err.message));
                } else resolve(String(stdout));
            },
        );
        if (o.input !== undefined) {
            child.stdin?.end(o.input);
        }
    });
}

/** Like run, but a failure resolves to false (for probes: "is this port open", "does this exist"). */
export async function succeeds(cmd: string, args: string[], o: RunOptions = {}): Promise<boolean> {
    try {
        await run(cmd, args, o);
        return true;
    } catch {
        return false;
    }
}

/** Run a command with its output going to this process's stderr (long builds show their progress). */
export function runVisible(cmd: string, args: string[], o: RunOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { env: o.env ?? process.env, cwd: o.cwd, stdio: ["ignore", process.stderr, process.stderr] });
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new CommandError([cmd, ...args].join(" "), code, "see the output above"))));
    });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `check` until it returns true; throws `describe()`'s message after the timeout. */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>, onFail?: () => Promise<string>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await check().catch(() => false)) return;
        if (Date.now() > deadline) {
            const detail = onFail ? await onFail().catch((e) => String(e)) : "";
            throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${detail ? `\n${detail}` : ""}`);
        }
        await sleep(250);
    }
}

export function log(message: string): void {
    process.stderr.write(`[cluster] ${message}\n`);
}
