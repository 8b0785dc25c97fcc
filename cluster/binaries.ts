// The cluster's binaries: Go builds cached by version (scripts/build-cluster.sh, the single place
// versions are pinned) and Debian packages for the node runtime (containerd, runc, CNI plugins).
import * as fs from "fs";
import * as path from "path";
import { log, run, runVisible } from "./exec";

export const ROOT = path.resolve(__dirname, "..");
const BUILD = path.join(ROOT, "scripts", "build-cluster.sh");

export interface Binaries {
    kubeApiserver: string;
    kubeControllerManager: string;
    kubeScheduler: string;
    etcd: string;
    kwok: string;
    kwokStageCrd: string;
    kubelet: string;
    kubeProxy: string;
    coredns: string;
    k8sVersion: string;
}

const KEYS: Record<string, keyof Binaries> = {
    KUBE_APISERVER: "kubeApiserver",
    KUBE_CONTROLLER_MANAGER: "kubeControllerManager",
    KUBE_SCHEDULER: "kubeScheduler",
    ETCD: "etcd",
    KWOK: "kwok",
    KWOK_STAGE_CRD: "kwokStageCrd",
    KUBELET: "kubelet",
    KUBE_PROXY: "kubeProxy",
    COREDNS: "coredns",
    K8S_VERSION: "k8sVersion",
};

async function paths(): Promise<Binaries> {
    const out = await run("bash", [BUILD, "paths"]);
    const found: Partial<Binaries> = {};
    for (const line of out.split("\n")) {
        const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
        if (m && KEYS[m[1]]) found[KEYS[m[1]]] = m[2].replace(/^'|'$/g, "");
    }
    for (const k of Object.values(KEYS)) if (!found[k]) throw new Error(`${BUILD} paths did not print ${k}`);
    return found as Binaries;
}

/** The binaries, building whatever is missing first (a cold build takes a while and shows its progress). */
export async function binaries(): Promise<Binaries> {
    const b = await paths();
    const missing = Object.entries(b).filter(([k, v]) => k !== "k8sVersion" && !fs.existsSync(v));
    if (missing.length > 0) {
        log(`missing ${missing.map(([, v]) => path.basename(v)).join(", ")}: running scripts/build-cluster.sh (a cold build takes a while)`);
        await runVisible("bash", [BUILD]);
    }
    return b;
}

/** The Debian packages a real node runs on; `.ci/run` and `setup.sh --real-nodes` install them. */
export const NODE_PACKAGES = ["containerd", "runc", "containernetworking-plugins", "iptables", "mmdebstrap", "conntrack"];
export const CNI_BIN_DIR = "/usr/lib/cni";

/** What stops real nodes from running on this machine, or undefined when they can. */
export function realNodeBlocker(): string | undefined {
    if (process.getuid?.() !== 0) return "real nodes need root (kubelet, containerd, bridges, iptables)";
    for (const bin of ["containerd", "runc", "iptables", "ctr"]) {
        if (!["/usr/bin", "/usr/sbin", "/sbin", "/bin"].some((d) => fs.existsSync(path.join(d, bin)))) {
            return `${bin} is not installed (apt-get install ${NODE_PACKAGES.join(" ")})`;
        }
    }
    if (!fs.existsSync(path.join(CNI_BIN_DIR, "bridge"))) return `no CNI plugins in ${CNI_BIN_DIR} (apt-get install containernetworking-plugins)`;
    if (!fs.existsSync("/sys/fs/cgroup/memory")) return "no cgroup v1 memory hierarchy at /sys/fs/cgroup/memory (kubelet 1.34 is set up for cgroup v1 here)";
    return undefined;
}
