// Where a local cluster keeps everything, and the settings it was started with. One directory per
// cluster (state, logs, pids, certificates, kubeconfig, node runtimes), so a test can run its own
// cluster beside a developer's and `stop` knows exactly what to clean up.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const CACHE = process.env.KAFKA_PLATFORM_CACHE ?? path.join(os.homedir(), ".cache", "kafka-platform");
export const DEFAULT_CLUSTER_DIR = path.join(CACHE, "cluster");
/** Marks a directory as created by this tool, so `start` never wipes a directory it did not make. */
const MARKER = ".kafka-platform-cluster";

export interface Ports {
    api: number;
    etcd: number;
    controllerManager: number;
    scheduler: number;
}

/** Delays of kwok's fake pod lifecycle, in milliseconds. */
export interface PodDelays {
    startMs: number;
    readyMs: number;
    unreadyMs: number;
    deleteMs: number;
}

export interface Settings {
    ports: Ports;
    /** kwok fake nodes kwok-node-0..N-1. */
    kwokNodes: number;
    /** Real nodes node-0..N-1: kubelet + containerd + runc on this machine. */
    realNodes: number;
    delays: PodDelays;
}

export class Layout {
    constructor(readonly dir: string) {}

    static fromEnv(): Layout {
        return new Layout(process.env.KAFKA_PLATFORM_CLUSTER_DIR ?? DEFAULT_CLUSTER_DIR);
    }

    get pki() { return path.join(this.dir, "pki"); }
    get logs() { return path.join(this.dir, "logs"); }
    get pids() { return path.join(this.dir, "pids"); }
    get kubeconfig() { return path.join(this.dir, "kubeconfig"); }
    get etcdData() { return path.join(this.dir, "etcd"); }
    get kwokHome() { return path.join(this.dir, "kwok-home"); }
    get stages() { return path.join(this.dir, "stages"); }
    get failReadinessList() { return path.join(this.dir, "fail-readiness.list"); }
    get settingsFile() { return path.join(this.dir, "settings.json"); }
    /** The per-node runtime directories of real nodes. */
    node(name: string) { return path.join(this.dir, "nodes", name); }
    get shared() { return path.join(this.dir, "shared"); }
    logFile(component: string) { return path.join(this.logs, `${component}.log`); }

    exists(): boolean {
        return fs.existsSync(this.dir) && fs.readdirSync(this.dir).length > 0;
    }

    /** A fresh, empty cluster directory; refuses to wipe one this tool did not create. */
    recreate(): void {
        if (this.exists() && !fs.existsSync(path.join(this.dir, MARKER))) {
            throw new Error(`${this.dir} is not empty and was not created by the cluster tool; refusing to wipe it`);
        }
        fs.rmSync(this.dir, { recursive: true, force: true });
        for (const d of [this.dir, this.pki, this.logs, this.pids, this.kwokHome, this.shared]) fs.mkdirSync(d, { recursive: true });
        fs.writeFileSync(path.join(this.dir, MARKER), "");
        fs.mkdirSync(this.etcdData, { mode: 0o700 }); // etcd warns about a group/world-readable data dir
        fs.writeFileSync(this.failReadinessList, "");
    }

    readSettings(): Settings {
        return JSON.parse(fs.readFileSync(this.settingsFile, "utf8")) as Settings;
    }

    writeSettings(s: Settings): void {
        fs.writeFileSync(this.settingsFile, JSON.stringify(s, null, 2) + "\n");
    }
}

/** Ports from the environment (tests use their own, so a developer's cluster keeps running). */
export function portsFromEnv(env: NodeJS.ProcessEnv = process.env): Ports {
    const port = (key: string, fallback: number) => {
        const v = env[key];
        if (v === undefined || v === "") return fallback;
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new Error(`${key}=${v}: expected a TCP port`);
        return Number(v);
    };
    return {
        api: port("KAFKA_PLATFORM_API_PORT", 6443),
        etcd: port("KAFKA_PLATFORM_ETCD_PORT", 2379),
        controllerManager: port("KAFKA_PLATFORM_KCM_PORT", 10257),
        scheduler: port("KAFKA_PLATFORM_SCHEDULER_PORT", 10259),
    };
}

/** "2s" / "500ms" / "1.5s" / "1m" / "3" (seconds) → milliseconds. */
export function durationMs(text: string, flag: string): number {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
    if (!m) throw new Error(`${flag} ${JSON.stringify(text)}: expected a duration such as 2s or 500ms`);
    const n = Number(m[1]);
    return Math.round(m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000);
}
