// The cluster's host processes: started detached (their own session, so a Ctrl-C in the caller's
// terminal does not take the cluster down), one pid file and one log file each, stopped by pid.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Layout } from "./layout";
import { sleep } from "./exec";

export class Processes {
    constructor(private readonly layout: Layout) {}

    private pidFile(name: string) {
        return path.join(this.layout.pids, `${name}.pid`);
    }

    pid(name: string): number | undefined {
        try {
            const n = Number(fs.readFileSync(this.pidFile(name), "utf8").trim());
            return Number.isInteger(n) && n > 0 ? n : undefined;
        } catch {
            return undefined;
        }
    }

    /** Every component with a pid file, in the order they were started. */
    names(): string[] {
        if (!fs.existsSync(this.layout.pids)) return [];
        return fs
            .readdirSync(this.layout.pids)
            .filter((f) => f.endsWith(".pid"))
            .map((f) => ({ name: f.slice(0, -4), at: fs.statSync(path.join(this.layout.pids, f)).mtimeMs }))
            .sort((a, b) => a.at - b.at)
            .map((e) => e.name);
    }

    /**
     * Whether the recorded pid is alive and still runs the binary we started: a stale pid file must
     * never make us signal an unrelated process that reused the pid.
     */
    alive(name: string): boolean {
        const pid = this.pid(name);
        if (!pid) return false;
        try {
            const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
            const expected = fs.readFileSync(this.pidFile(name) + ".cmd", "utf8");
            return cmdline[0] === expected;
        } catch {
            return false;
        }
    }

    launch(name: string, binary: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
        const out = fs.openSync(this.layout.logFile(name), "a");
        const child = spawn(binary, args, { detached: true, stdio: ["ignore", out, out], env });
        fs.closeSync(out);
        if (!child.pid) throw new Error(`could not start ${name} (${binary})`);
        child.unref();
        fs.writeFileSync(this.pidFile(name) + ".cmd", binary);
        fs.writeFileSync(this.pidFile(name), String(child.pid));
        return child.pid;
    }

    /** The last lines of a component's log, for error messages. */
    tail(name: string, lines = 25): string {
        try {
            return fs.readFileSync(this.layout.logFile(name), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
        } catch {
            return "(no log)";
        }
    }

    /** SIGTERM, then SIGKILL after `graceMs`; safe to repeat. */
    async stop(name: string, graceMs = 10_000): Promise<boolean> {
        const pid = this.pid(name);
        let stopped = false;
        if (pid && this.alive(name)) {
            try {
                process.kill(pid, "SIGTERM");
            } catch {
                /* already gone */
            }
            const deadline = Date.now() + graceMs;
            while (fs.existsSync(`/proc/${pid}`) && Date.now() < deadline) await sleep(100);
            if (fs.existsSync(`/proc/${pid}`)) {
                try {
                    process.kill(pid, "SIGKILL");
                } catch {
                    /* gone */
                }
            }
            stopped = true;
        }
        fs.rmSync(this.pidFile(name), { force: true });
        fs.rmSync(this.pidFile(name) + ".cmd", { force: true });
        return stopped;
    }
}
