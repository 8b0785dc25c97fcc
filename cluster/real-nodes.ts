// Real nodes on this machine: per node a containerd (runc, CNI bridge) and a kubelet; for the whole
// cluster one kube-proxy (iptables), CoreDNS as a host process, and local PersistentVolumes on this
// machine's disk. Real containers with real JVMs, probes, exec, logs and volumes — what kwok fakes.
//
// Every address lives on interfaces this module creates, and nothing it starts is reachable from
// or routed off the machine:
//   node IPs      10.240.0.<i+1>   on the interface kp-nodes (a bridge without ports) (kubelets listen there)
//   pod CIDR      10.244.<i>.0/24  per node, on the bridge kp-br<i> (host-local IPAM)
//   cluster DNS   169.254.20.10    on kp-nodes (CoreDNS; the NodeLocal DNSCache convention)
//   Services      10.96.0.0/16     kube-proxy's iptables rules
// A FORWARD rule drops pod traffic to anything outside the pod CIDR, so no packet leaves.
//
// kube-proxy's chains and the DNS address are machine-wide, so one real-node cluster runs at a
// time; a lock in /run names the cluster that holds them.
import * as fs from "fs";
import * as path from "path";
import { Binaries, CNI_BIN_DIR } from "./binaries";
import { ControlPlane, apiServerUrl } from "./control-plane";
import { log, run, sleep, succeeds, waitUntil } from "./exec";
import { Layout, Ports } from "./layout";
import { KUBE_PROXY, Pki, kubeconfigFor, nodeIdentity } from "./pki";
import { Processes } from "./processes";

export const NODE_INTERFACE = "kp-nodes";
export const DNS_IP = "169.254.20.10";
export const POD_CIDR = "10.244.0.0/16";
const FORWARD_CHAIN = "KAFKA-PLATFORM-FWD";
const LOCK_DIR = "/run/kafka-platform";
const LOCK = path.join(LOCK_DIR, "real-nodes.cluster");
/** The cgroup v1 hierarchies a kubelet with the cgroupfs driver needs its cgroupRoot in. */
const CGROUP_HIERARCHIES = ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer", "systemd"];
/** The local StorageClass (the cluster default): statically provisioned volumes on this disk. */
export const STORAGE_CLASS = "local-disk";
const ZONES = ["zone-a", "zone-b", "zone-c"];

export const nodeName = (i: number) => `node-${i}`;
export const nodeIp = (i: number) => `10.240.0.${i + 1}`;
const bridgeName = (i: number) => `kp-br${i}`;
const podSubnet = (i: number) => `10.244.${i}.0/24`;
const cgroupRoot = (i: number) => `/kp-${nodeName(i)}`;

export interface RealNodeOptions {
    nodes: number;
    /** Local PersistentVolumes created per node. */
    volumesPerNode: number;
    /** Image archives (docker-archive tars) to import into every node's containerd. */
    images: Array<{ ref: string; archive: string }>;
    /** The pod sandbox image among them. */
    pauseImage: string;
}

interface NodePaths {
    dir: string;
    root: string;
    state: string;
    socket: string;
    config: string;
    cniConf: string;
    kubeletRoot: string;
    kubeletConfig: string;
    kubeconfig: string;
    podLogs: string;
    volumes: string;
}

export class RealNodes {
    constructor(
        private readonly layout: Layout,
        private readonly procs: Processes,
        private readonly pki: Pki,
        private readonly cp: ControlPlane,
    ) {}

    private paths(i: number): NodePaths {
        const dir = this.layout.node(nodeName(i));
        return {
            dir,
            root: path.join(dir, "containerd", "root"),
            state: path.join(dir, "containerd", "state"),
            socket: path.join(dir, "containerd.sock"),
            config: path.join(dir, "containerd.toml"),
            cniConf: path.join(dir, "cni", "net.d"),
            kubeletRoot: path.join(dir, "kubelet"),
            kubeletConfig: path.join(dir, "kubelet.yaml"),
            kubeconfig: path.join(dir, "kubelet.kubeconfig"),
            podLogs: path.join(dir, "pod-logs"),
            volumes: path.join(dir, "volumes"),
        };
    }

    /** ctr against one node's containerd, in the CRI's namespace. */
    ctr(i: number, args: string[], timeoutMs = 600_000): Promise<string> {
        return run("ctr", ["--address", this.paths(i).socket, "--namespace", "k8s.io", ...args], { timeoutMs });
    }

    // ------------------------------------------------------------------------------ lock

    /** Take the machine-wide lock, or say which cluster holds it. A dead holder is cleaned up first. */
    async lock(kubeProxy: string): Promise<void> {
        fs.mkdirSync(LOCK_DIR, { recursive: true });
        if (fs.existsSync(LOCK)) {
            const holder = fs.readFileSync(LOCK, "utf8").trim();
            if (holder !== this.layout.dir) {
                const other = new Processes(new Layout(holder));
                if (other.names().some((n) => n.startsWith("kubelet-") && other.alive(n))) {
                    throw new Error(
                        `another local cluster with real nodes is running (${holder}); real nodes share kube-proxy's iptables chains and the ` +
                            `DNS address, so one runs at a time: stop it with KAFKA_PLATFORM_CLUSTER_DIR=${holder} npm run cluster -- stop`,
                    );
                }
                log(`cleaning up what a stopped real-node cluster left (${holder})`);
                await new RealNodes(new Layout(holder), other, new Pki(path.join(holder, "pki")), this.cp).teardown(kubeProxy);
            }
        }
        fs.writeFileSync(LOCK, this.layout.dir + "\n");
    }

    // ------------------------------------------------------------------------------ host network

    private async hostNetwork(n: number): Promise<void> {
        if (!(await succeeds("ip", ["link", "show", NODE_INTERFACE]))) {
            // A bridge without ports: this kernel has no dummy interfaces, and a bridge holds local addresses as well.
            await run("ip", ["link", "add", NODE_INTERFACE, "type", "bridge"]);
        }
        for (const addr of [...Array.from({ length: n }, (_, i) => `${nodeIp(i)}/32`), `${DNS_IP}/32`]) {
            await run("ip", ["addr", "replace", addr, "dev", NODE_INTERFACE]);
        }
        await run("ip", ["link", "set", NODE_INTERFACE, "up"]);
        // Routing between the node bridges; bridged traffic through iptables, so Service NAT works
        // for a pod talking to a pod on its own bridge.
        fs.writeFileSync("/proc/sys/net/ipv4/ip_forward", "1");
        if (fs.existsSync("/proc/sys/net/bridge/bridge-nf-call-iptables")) fs.writeFileSync("/proc/sys/net/bridge/bridge-nf-call-iptables", "1");
        // Keep every packet on the machine: pods may reach pods (and local addresses), nothing else.
        if (!(await succeeds("iptables", ["-w", "-n", "-L", FORWARD_CHAIN]))) await run("iptables", ["-w", "-N", FORWARD_CHAIN]);
        await run("iptables", ["-w", "-F", FORWARD_CHAIN]);
        await run("iptables", ["-w", "-A", FORWARD_CHAIN, "-s", POD_CIDR, "!", "-d", POD_CIDR, "-j", "DROP"]);
        if (!(await succeeds("iptables", ["-w", "-C", "FORWARD", "-j", FORWARD_CHAIN]))) await run("iptables", ["-w", "-I", "FORWARD", "1", "-j", FORWARD_CHAIN]);
        fs.writeFileSync(path.join(this.layout.shared, "resolv.conf"), "# pods get cluster DNS from the kubelet; nothing from the host\n");
    }

    // ------------------------------------------------------------------------------ containerd

    private containerdConfig(i: number, pauseImage: string): string {
        const p = this.paths(i);
        // Version 2 config of containerd 1.6. restrict_oom_score_adj: root here lacks
        // CAP_SYS_RESOURCE, so lowering a process's oom_score_adj fails and sandboxes would not start.
        // netns_mounts_under_state_dir: network namespaces live in this node's directory, so stop
        // finds and removes them.
        return `version = 2
root = "${p.root}"
state = "${p.state}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${p.socket}"
[ttrpc]
  address = "${p.socket}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${path.join(p.dir, "containerd", "opt")}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseImage}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${path.join(p.dir, "runc")}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${p.cniConf}"
    max_conf_num = 1
`;
    }

    private cniConfig(i: number): string {
        return JSON.stringify(
            {
                cniVersion: "1.0.0",
                name: `kp-${nodeName(i)}`,
                plugins: [
                    {
                        type: "bridge",
                        bridge: bridgeName(i),
                        isGateway: true,
                        // A pod reaching itself through a Service comes back through the bridge.
                        hairpinMode: true,
                        ipMasq: false,
                        ipam: {
                            type: "host-local",
                            ranges: [[{ subnet: podSubnet(i) }]],
                            routes: [{ dst: "0.0.0.0/0" }],
                            dataDir: path.join(this.paths(i).dir, "cni", "ipam"),
                        },
                    },
                    { type: "portmap", capabilities: { portMappings: true } },
                ],
            },
            null,
            2,
        );
    }

    private async startContainerd(i: number, pauseImage: string): Promise<void> {
        const p = this.paths(i);
        for (const d of [p.root, p.state, p.cniConf, p.podLogs, p.volumes, p.kubeletRoot]) fs.mkdirSync(d, { recursive: true });
        fs.writeFileSync(p.config, this.containerdConfig(i, pauseImage));
        fs.writeFileSync(path.join(p.cniConf, "10-bridge.conflist"), this.cniConfig(i));
        const name = `containerd-${nodeName(i)}`;
        this.procs.launch(name, "/usr/bin/containerd", ["--config", p.config, "--log-level", "warn"]);
        await waitUntil(`${name} socket`, 30_000, async () => {
            if (!this.procs.alive(name)) throw new Error(`${name} exited:\n${this.procs.tail(name)}`);
            return succeeds("ctr", ["--address", p.socket, "version"]);
        });
    }

    private async importImages(i: number, images: RealNodeOptions["images"]): Promise<void> {
        for (const img of images) {
            // --no-unpack would leave the CRI to unpack on first use; unpacking now keeps pod start fast.
            await this.ctr(i, ["images", "import", "--snapshotter", "overlayfs", img.archive]);
        }
        const refs = await this.ctr(i, ["images", "ls", "-q"]);
        for (const img of images) {
            if (!refs.split("\n").includes(img.ref)) throw new Error(`${nodeName(i)}: ${img.ref} missing after importing ${img.archive}`);
        }
    }

    // ------------------------------------------------------------------------------ kubelet

    /** Each kubelet's pods live under its own cgroup root, created in every v1 hierarchy. */
    private cgroups(i: number): void {
        for (const h of CGROUP_HIERARCHIES) {
            const base = path.join("/sys/fs/cgroup", h);
            if (!fs.existsSync(base)) continue;
            const dir = path.join(base, cgroupRoot(i));
            fs.mkdirSync(dir, { recursive: true });
            if (h === "cpuset") {
                // A new cpuset has no CPUs or memory nodes; the kubelet refuses one without them.
                for (const f of ["cpuset.cpus", "cpuset.mems"]) fs.writeFileSync(path.join(dir, f), fs.readFileSync(path.join(base, f), "utf8").trim());
            }
        }
    }

    private kubeletConfig(i: number): string {
        const p = this.paths(i);
        return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${nodeIp(i)}
port: 10250
readOnlyPort: 0
healthzBindAddress: ${nodeIp(i)}
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${this.pki.ca}}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://${p.socket}
cgroupDriver: cgroupfs
cgroupRoot: ${cgroupRoot(i)}
cgroupsPerQOS: true
# cgroup v1 is what this machine has; kubelet 1.35+ would refuse it by default.
failCgroupV1: false
failSwapOn: false
# Root here lacks CAP_SYS_RESOURCE: the kubelet must not lower its own oom_score_adj.
oomScoreAdj: 0
clusterDNS: [${DNS_IP}]
clusterDomain: cluster.local
resolvConf: ${path.join(this.layout.shared, "resolv.conf")}
# Each kubelet keeps (and garbage-collects) only its own pods' logs.
podLogsDir: ${p.podLogs}
containerLogMaxSize: 10Mi
containerLogMaxFiles: 3
maxPods: 40
# Every node reports the whole machine; evict only when it is really short.
evictionHard: {memory.available: 200Mi, nodefs.available: 2%, nodefs.inodesFree: 2%, imagefs.available: 2%}
imageGCHighThresholdPercent: 98
imageGCLowThresholdPercent: 95
rotateCertificates: false
serializeImagePulls: false
shutdownGracePeriod: 0s
`;
    }

    private async startKubelet(bin: Binaries, i: number, ports: Ports): Promise<void> {
        const p = this.paths(i);
        const node = nodeName(i);
        const id = nodeIdentity(node);
        await this.pki.client(id);
        fs.writeFileSync(p.kubeconfig, kubeconfigFor(this.pki, id, apiServerUrl(ports)), { mode: 0o600 });
        fs.writeFileSync(p.kubeletConfig, this.kubeletConfig(i));
        this.cgroups(i);
        this.procs.launch(`kubelet-${node}`, bin.kubelet, [
            "--config", p.kubeletConfig,
            "--kubeconfig", p.kubeconfig,
            "--root-dir", p.kubeletRoot,
            "--cert-dir", path.join(p.dir, "kubelet-pki"),
            "--hostname-override", node,
            "--node-ip", nodeIp(i),
            "--node-labels", `type=real,topology.kubernetes.io/zone=${ZONES[i % ZONES.length]}`,
            "--v", "1",
        ]);
    }

    // ------------------------------------------------------------------------------ cluster services

    private async startKubeProxy(bin: Binaries, ports: Ports): Promise<void> {
        await this.pki.client(KUBE_PROXY);
        const kubeconfig = path.join(this.layout.shared, "kube-proxy.kubeconfig");
        fs.writeFileSync(kubeconfig, kubeconfigFor(this.pki, KUBE_PROXY, apiServerUrl(ports)), { mode: 0o600 });
        const config = path.join(this.layout.shared, "kube-proxy.yaml");
        // conntrack: leave the machine's sysctls alone (maxPerCore 0, timeouts 0 = do not set).
        fs.writeFileSync(
            config,
            `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: ${kubeconfig}}
mode: iptables
clusterCIDR: ${POD_CIDR}
hostnameOverride: ${nodeName(0)}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
`,
        );
        this.procs.launch("kube-proxy", bin.kubeProxy, ["--config", config, "--v", "1"]);
        await waitUntil("kube-proxy healthz", 30_000, async () => {
            if (!this.procs.alive("kube-proxy")) throw new Error(`kube-proxy exited:\n${this.procs.tail("kube-proxy")}`);
            return succeeds("curl", ["-fsS", "--max-time", "2", "http://127.0.0.1:10256/healthz"]);
        });
    }

    private async startCoreDns(bin: Binaries): Promise<void> {
        const corefile = path.join(this.layout.shared, "Corefile");
        // Cluster names from the API; anything else is NXDOMAIN at once (nothing outside is reachable).
        fs.writeFileSync(
            corefile,
            `cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    bind ${DNS_IP}
    errors
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig ${this.layout.kubeconfig} kafka-platform-local
        pods insecure
        ttl 5
    }
}
.:53 {
    bind ${DNS_IP}
    template ANY ANY {
        rcode NXDOMAIN
    }
}
`,
        );
        this.procs.launch("coredns", bin.coredns, ["-conf", corefile]);
        await waitUntil("CoreDNS ready", 60_000, async () => {
            if (!this.procs.alive("coredns")) throw new Error(`coredns exited:\n${this.procs.tail("coredns")}`);
            return succeeds("curl", ["-fsS", "--max-time", "2", "http://127.0.0.1:18181/ready"]);
        });
    }

    /** The default StorageClass, and `count` statically provisioned local volumes per node. */
    private async storage(n: number, count: number): Promise<void> {
        const docs: string[] = [
            `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ${STORAGE_CLASS}
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
# Bound when a pod is scheduled, so the claim gets a volume on the pod's node.
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain`,
        ];
        for (let i = 0; i < n; i++) {
            for (let k = 0; k < count; k++) {
                const dir = path.join(this.paths(i).volumes, String(k));
                fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
                docs.push(`apiVersion: v1
kind: PersistentVolume
metadata:
  name: local-${nodeName(i)}-${k}
  labels: {kafka-platform/node: ${nodeName(i)}}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ${STORAGE_CLASS}
  local: {path: ${dir}}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [${nodeName(i)}]}`);
            }
        }
        await this.cp.kubectl(["apply", "-f", "-"], docs.join("\n---\n") + "\n");
    }

    // ------------------------------------------------------------------------------ start

    async start(bin: Binaries, ports: Ports, o: RealNodeOptions): Promise<void> {
        const t0 = Date.now();
        const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
        await this.lock(bin.kubeProxy);
        fs.writeFileSync(path.join(this.layout.shared, "real-nodes.json"), JSON.stringify({ nodes: o.nodes }) + "\n");
        await this.hostNetwork(o.nodes);
        const nodes = Array.from({ length: o.nodes }, (_, i) => i);
        await Promise.all(nodes.map((i) => this.startContainerd(i, o.pauseImage)));
        log(`${o.nodes} containerd(s) up (${since()})`);
        // One node at a time: the imports are disk-bound, and a failure names its node.
        for (const i of nodes) {
            const t = Date.now();
            await this.importImages(i, o.images);
            log(`${nodeName(i)}: ${o.images.length} images imported (${((Date.now() - t) / 1000).toFixed(1)}s)`);
        }
        await this.startCoreDns(bin);
        for (const i of nodes) await this.startKubelet(bin, i, ports);
        await waitUntil(`${o.nodes} real node(s) Ready`, 120_000, async () => {
            for (const i of nodes) {
                if (!this.procs.alive(`kubelet-${nodeName(i)}`)) throw new Error(`kubelet-${nodeName(i)} exited:\n${this.procs.tail(`kubelet-${nodeName(i)}`)}`);
            }
            const out = await this.cp.kubectl(["get", "nodes", "-l", "type=real", "-o", 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
            return out.split("\n").filter((l) => l.endsWith("=True")).length === o.nodes;
        }, async () => nodes.map((i) => `kubelet-${nodeName(i)}:\n${this.procs.tail(`kubelet-${nodeName(i)}`, 8)}`).join("\n"));
        // kube-proxy reports healthy once it has synced its rules for a registered node.
        await this.startKubeProxy(bin, ports);
        await this.storage(o.nodes, o.volumesPerNode);
        log(`${o.nodes} real node(s) Ready with ${o.volumesPerNode} local volumes each (${since()})`);
    }

    // ------------------------------------------------------------------------------ stop

    private nodeCount(): number {
        try {
            return JSON.parse(fs.readFileSync(path.join(this.layout.shared, "real-nodes.json"), "utf8")).nodes as number;
        } catch {
            return 0;
        }
    }

    /** Every pid in a cgroup subtree. */
    private cgroupPids(dir: string): number[] {
        if (!fs.existsSync(dir)) return [];
        const out: number[] = [];
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
            try {
                out.push(...fs.readFileSync(path.join(d, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number));
            } catch {
                /* gone */
            }
        };
        walk(dir);
        return out;
    }

    private removeCgroupTree(dir: string): void {
        if (!fs.existsSync(dir)) return;
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) this.removeCgroupTree(path.join(dir, e.name));
        try {
            fs.rmdirSync(dir);
        } catch {
            /* still busy; reported by the caller's check */
        }
    }

    /** Processes whose command line mentions `needle` (the shims of one containerd). */
    private processesMentioning(needle: string): number[] {
        const out: number[] = [];
        for (const d of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(d)) continue;
            try {
                if (fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes(needle)) out.push(Number(d));
            } catch {
                /* exited */
            }
        }
        return out;
    }

    private killAll(pids: number[]): void {
        for (const pid of pids) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                /* gone */
            }
        }
    }

    /** Mount points under the cluster directory, deepest first. */
    private mountsUnder(dir: string): string[] {
        const decode = (s: string) => s.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
        return fs
            .readFileSync("/proc/self/mountinfo", "utf8")
            .split("\n")
            .map((l) => decode(l.split(" ")[4] ?? ""))
            .filter((m) => m === dir || m.startsWith(dir + "/"))
            .sort((a, b) => b.length - a.length);
    }

    /**
     * Stop the nodes and remove everything they made: containers (by cgroup), shims, kubelets,
     * containerd, kube-proxy's rules, CoreDNS, mounts, network namespaces, bridges, cgroups. The
     * cluster's data is thrown away (a start always begins fresh), so nothing needs to stop gently.
     */
    async teardown(kubeProxy: string | undefined): Promise<void> {
        const n = Math.max(this.nodeCount(), 0);
        for (let i = 0; i < n; i++) await this.procs.stop(`kubelet-${nodeName(i)}`, 5_000);
        for (let i = 0; i < n; i++) {
            for (const h of CGROUP_HIERARCHIES) this.killAll(this.cgroupPids(path.join("/sys/fs/cgroup", h, cgroupRoot(i))));
            this.killAll(this.processesMentioning(this.paths(i).socket));
            await this.procs.stop(`containerd-${nodeName(i)}`, 5_000);
        }
        await this.procs.stop("coredns", 5_000);
        if (this.procs.pid("kube-proxy") !== undefined) {
            await this.procs.stop("kube-proxy", 5_000);
            // --cleanup removes the iptables rules kube-proxy made (every mode), then exits.
            if (kubeProxy && fs.existsSync(kubeProxy)) {
                await run(kubeProxy, ["--cleanup"], { timeoutMs: 60_000 }).catch((e) => log(`kube-proxy --cleanup: ${e.message}`));
            }
        }
        await sleep(200);
        for (const m of this.mountsUnder(this.layout.dir)) {
            await run("umount", ["-l", m]).catch(() => undefined);
        }
        for (let i = 0; i < n; i++) {
            await run("ip", ["link", "delete", bridgeName(i)]).catch(() => undefined);
            for (const h of CGROUP_HIERARCHIES) this.removeCgroupTree(path.join("/sys/fs/cgroup", h, cgroupRoot(i)));
        }
        if (n > 0) {
            await run("ip", ["link", "delete", NODE_INTERFACE]).catch(() => undefined);
            await removeChain("filter", FORWARD_CHAIN);
            // The kubelet's own chains (kube-proxy --cleanup leaves them).
            for (const table of ["filter", "nat", "mangle"]) {
                for (const chain of ["KUBE-FIREWALL", "KUBE-KUBELET-CANARY"]) await removeChain(table, chain);
            }
        }
        if (fs.existsSync(LOCK) && fs.readFileSync(LOCK, "utf8").trim() === this.layout.dir) fs.rmSync(LOCK);
        fs.rmSync(path.join(this.layout.shared, "real-nodes.json"), { force: true });
    }
}

/** Delete an iptables chain and every rule that jumps to it; nothing when it does not exist. */
async function removeChain(table: string, chain: string): Promise<void> {
    const rules = await run("iptables", ["-w", "-t", table, "-S"]).catch(() => "");
    if (!rules.split("\n").includes(`-N ${chain}`)) return;
    for (const rule of rules.split("\n").filter((r) => r.startsWith("-A ") && r.includes(`-j ${chain}`))) {
        // "-A INPUT -j X" → "-D INPUT -j X"; iptables -S prints rules in a form it accepts back.
        await run("bash", ["-c", `iptables -w -t ${table} ${rule.replace(/^-A /, "-D ")}`]).catch(() => undefined);
    }
    await run("iptables", ["-w", "-t", table, "-F", chain]).catch(() => undefined);
    await run("iptables", ["-w", "-t", table, "-X", chain]).catch(() => undefined);
}
