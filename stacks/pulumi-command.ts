// The Pulumi CLI the Automation API runs, started in a process group of its own.
//
// Ctrl-C in a terminal sends SIGINT to the whole foreground process group. The Automation API
// spawns `pulumi` in ours, so the first Ctrl-C would reach `pulumi up` directly and cancel it
// half-way, before the driver could "finish the current step and stop". Here each `pulumi`
// command runs detached (its own group), so Ctrl-C reaches only the driver, which decides: finish
// the step and stop, or on a second Ctrl-C cancel it (SIGINT to that pulumi process through the
// operation's AbortSignal, plus stack.cancel()).
//
// This replaces PulumiCommand.run, which the Automation API (3.248) calls for every command as
// run(args, cwd, additionalEnv, onOutput, onError, signal). It is marked @internal; the SDK is
// pinned, and the unit tests run this against a stand-in CLI to catch a change of that contract.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PulumiCommand } from "@pulumi/pulumi/automation";

// Not in the .d.ts files, but exported by the modules: the Automation API's own result and error
// types, so callers see exactly what the stock command would give them (StackNotFoundError, ...).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { CommandResult } = require("@pulumi/pulumi/automation/cmd") as { CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => unknown };
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { createCommandError } = require("@pulumi/pulumi/automation/errors") as { createCommandError: (result: unknown) => Error };

type RunFn = (
    args: string[],
    cwd: string,
    additionalEnv: { [key: string]: string },
    onOutput?: (data: string) => void,
    onError?: (data: string) => void,
    signal?: AbortSignal,
) => Promise<unknown>;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Detached children outlive us unless told: stop them if the driver exits hard (third Ctrl-C). */
function installExitHook() {
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    process.on("exit", () => {
        for (const child of live) {
            try {
                child.kill("SIGTERM");
            } catch {
                // Already gone.
            }
        }
    });
}

/** Where a Pulumi CLI install lives (the folder holding bin/pulumi), from PULUMI_ROOT or scripts/env.sh. */
export function pulumiRootFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
    for (const root of [env.PULUMI_ROOT, env.KAFKA_PLATFORM_PULUMI_PREFIX]) {
        if (root && fs.existsSync(path.join(root, "bin", "pulumi"))) return root;
    }
    return undefined;
}

/** Run one CLI command the way the Automation API's exec does, but in a new process group. */
function runDetached(command: string): RunFn {
    return (args, cwd, additionalEnv, onOutput, onError, signal) => {
        if (!args.includes("--non-interactive")) args.push("--non-interactive");
        const env: { [key: string]: string } = { ...additionalEnv };
        if (path.isAbsolute(command)) {
            // As the stock command does: bundled plugins next to the CLI come first on PATH.
            env.PATH = path.dirname(command) + path.delimiter + (additionalEnv.PATH || process.env.PATH || "");
        }
        env.PULUMI_AUTOMATION_API = "true";
        installExitHook();
        return new Promise((resolve, reject) => {
            let stdout = "";
            let stderr = "";
            const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
            live.add(child);
            const onAbort = () => child.kill("SIGINT");
            signal?.addEventListener("abort", onAbort, { once: true });
            child.stdout!.on("data", (d: Buffer) => {
                const s = d.toString();
                stdout += s;
                onOutput?.(s);
            });
            child.stderr!.on("data", (d: Buffer) => {
                const s = d.toString();
                stderr += s;
                onError?.(s);
            });
            let finished = false;
            const finish = (code: number, err?: Error) => {
                if (finished) return;
                finished = true;
                live.delete(child);
                signal?.removeEventListener("abort", onAbort);
                // execa strips the final newline; the Automation API parses stdout expecting that.
                const result = new CommandResult(stdout.replace(/\r?\n$/, ""), stderr.replace(/\r?\n$/, ""), code, err);
                if (code !== 0) reject(createCommandError(result));
                else resolve(result);
            };
            child.on("error", (err) => finish(-2, err));
            child.on("close", (code, sig) => finish(code ?? (sig ? 128 : -2)));
        });
    };
}

/**
 * The Pulumi CLI from `root` (or PATH), with every command started in its own process group.
 * Pass it as LocalWorkspaceOptions.pulumiCommand.
 */
export async function isolatedPulumiCommand(root: string | undefined = pulumiRootFromEnv()): Promise<PulumiCommand> {
    let base: PulumiCommand;
    try {
        base = await PulumiCommand.get(root ? { root } : undefined);
    } catch (err) {
        const where = root ? `${root}/bin/pulumi` : "pulumi on PATH";
        const why = err instanceof Error ? err.message.split("\n").find((l) => /ENOENT|version|Minimum/.test(l)) ?? err.message : String(err);
        throw new Error(`cannot run the Pulumi CLI (${where}): ${why.trim()}. Run \`source scripts/env.sh\` first, or set PULUMI_ROOT`);
    }
    const isolated = Object.create(base) as PulumiCommand & { run: RunFn };
    isolated.run = runDetached(base.command);
    return isolated;
}

/**
 * Run a CLI command the Automation API has no method for (`pulumi state unprotect`) with a
 * workspace's command, cwd and environment. PulumiCommand.run is the same @internal contract the
 * Automation API itself calls (above); a failure rejects with the API's CommandError.
 */
export async function runPulumiCommand(command: PulumiCommand, args: string[], cwd: string, env: { [key: string]: string } = {}): Promise<void> {
    await (command as unknown as { run: RunFn }).run([...args], cwd, env);
}
