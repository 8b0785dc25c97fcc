// Runs a Kafka server's start script (components/broker-config.ts) with a real sh, against stand-in
// kafka-storage.sh / kafka-server-start.sh that record their argv, so a test reads what a pod would run.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface StartScriptRun {
    /** kafka-storage.sh's argv; undefined when the script formats nothing (ZooKeeper mode, migrated brokers). */
    storage?: string[];
    /** kafka-server-start.sh's argv. */
    server: string[];
    /** The properties file the format read (KRaft), as written. */
    properties?: string;
    /** The server's --override properties in order, key=value as the server gets them. */
    overrides: Array<[string, string]>;
}

export function runStartScript(script: string, hostname: string): StartScriptRun {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kafka-start-"));
    const home = path.join(dir, "kafka");
    fs.mkdirSync(path.join(home, "bin"), { recursive: true });
    for (const tool of ["kafka-storage.sh", "kafka-server-start.sh"]) {
        fs.writeFileSync(path.join(home, "bin", tool), `#!/bin/sh\nprintf '%s\\n' "$@" > ${dir}/${tool}.argv\n`, { mode: 0o755 });
    }
    const props = path.join(dir, "format.properties");
    const local = script.split("/opt/kafka").join(home).split("/tmp/kafka-format.properties").join(props);
    try {
        execFileSync("sh", ["-c", local], { env: { HOSTNAME: hostname, PATH: process.env.PATH } });
        const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : undefined);
        const server = read("kafka-server-start.sh.argv")!.trim().split("\n");
        const overrides: Array<[string, string]> = [];
        server.forEach((arg, i) => {
            if (server[i - 1] === "--override") overrides.push([arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]);
        });
        return { storage: read("kafka-storage.sh.argv")?.trim().split("\n"), server, properties: read("format.properties"), overrides };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
