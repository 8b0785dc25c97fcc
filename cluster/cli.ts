// `npm run cluster -- <command>`: the local Kubernetes cluster (see tools/k8s/README.md).
//
//   start [--real-nodes R] [--nodes N] [--volumes-per-node V] [--pod-ready-delay D] [--pod-start-delay D] [--pod-delete-delay D]
//       A fresh cluster (previous state is wiped): the real control plane, R real nodes node-0..R-1
//       (kubelet, containerd, runc, CNI, kube-proxy, CoreDNS, local volumes; root only) and N kwok
//       fake nodes kwok-node-0..N-1 (default 3 when R is 0, else 0). Prints `export KUBECONFIG=...`
//       on stdout (progress goes to stderr), so `eval "$(npm run --silent cluster -- start)"` works.
//       On a running cluster it only scales the fake nodes. Delays apply to fake pods only.
//   nodes N                          scale the fake nodes
//   status                           processes, /readyz and nodes (exit 1 if not healthy)
//   env                              print `export KUBECONFIG=...`
//   stop                             stop everything start made (safe to repeat)
//   fail-readiness [-n NS] POD       a fake pod (also once recreated under that name) stays Running, not Ready
//   heal [-n NS] POD                 undo fail-readiness
//
// Env: KAFKA_PLATFORM_CLUSTER_DIR (default ~/.cache/kafka-platform/cluster), KAFKA_PLATFORM_CACHE,
// KAFKA_PLATFORM_API_PORT (6443), KAFKA_PLATFORM_ETCD_PORT (2379; peer = +1), KAFKA_PLATFORM_KCM_PORT
// (10257), KAFKA_PLATFORM_SCHEDULER_PORT (10259); POD_READY_DELAY, POD_START_DELAY, POD_DELETE_DELAY.
import { Command, InvalidArgumentError } from "commander";
import { LocalCluster } from "./cluster";
import { Layout, durationMs, portsFromEnv } from "./layout";

const count = (flag: string) => (v: string) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${flag} ${JSON.stringify(v)}: expected a whole number`);
    return Number(v);
};

function clusterHere(): LocalCluster {
    return new LocalCluster(Layout.fromEnv());
}

function requireRunning(c: LocalCluster): void {
    if (!c.running()) throw new Error(`no cluster is running in ${c.layout.dir} (npm run cluster -- start)`);
}

async function main(argv: string[]): Promise<number> {
    const program = new Command("cluster").description("the local Kubernetes cluster").exitOverride();
    let code = 0;
    const env = (c: LocalCluster) => process.stdout.write(`export KUBECONFIG=${c.kubeconfig}\n`);

    program
        .command("start")
        .option("--real-nodes <n>", "real nodes (kubelet + containerd on this machine)", count("--real-nodes"), 0)
        .option("--nodes <n>", "kwok fake nodes (default 3 without real nodes, else 0)", count("--nodes"))
        .option("--volumes-per-node <n>", "local PersistentVolumes per real node", count("--volumes-per-node"), 12)
        .option("--pod-ready-delay <d>", "fake pods: Running → Ready", process.env.POD_READY_DELAY ?? "2s")
        .option("--pod-start-delay <d>", "fake pods: Pending → Running", process.env.POD_START_DELAY ?? "1s")
        .option("--pod-delete-delay <d>", "fake pods: terminating → gone", process.env.POD_DELETE_DELAY ?? "1s")
        .action(async (o) => {
            const c = clusterHere();
            // Parsed up front: a bad value must stop us before anything is wiped or started.
            const delays = {
                startMs: durationMs(o.podStartDelay, "--pod-start-delay"),
                readyMs: durationMs(o.podReadyDelay, "--pod-ready-delay"),
                unreadyMs: 1000,
                deleteMs: durationMs(o.podDeleteDelay, "--pod-delete-delay"),
            };
            const kwokNodes = o.nodes ?? (o.realNodes > 0 ? 0 : 3);
            await c.start({ ports: portsFromEnv(), kwokNodes, realNodes: o.realNodes, volumesPerNode: o.volumesPerNode, delays });
            env(c);
        });
    program.command("stop").action(async () => {
        await clusterHere().stop();
    });
    program.command("env").action(async () => {
        env(clusterHere());
    });
    program.command("status").action(async () => {
        code = (await clusterHere().status((l) => process.stdout.write(l + "\n"))) ? 0 : 1;
    });
    program
        .command("nodes <n>")
        .description("scale the fake nodes")
        .action(async (n: string) => {
            const c = clusterHere();
            requireRunning(c);
            await c.kwok.scale(count("nodes")(n));
            c.layout.writeSettings({ ...c.settings(), kwokNodes: Number(n) });
        });
    for (const [name, heal] of [["fail-readiness", false], ["heal", true]] as const) {
        program
            .command(`${name} <pod>`)
            .option("-n, --namespace <ns>", "namespace", "default")
            .action(async (pod: string, o: { namespace: string }) => {
                const c = clusterHere();
                requireRunning(c);
                const delays = c.settings().delays;
                await (heal ? c.kwok.heal(o.namespace, pod, delays) : c.kwok.failReadiness(o.namespace, pod, delays));
            });
    }
    try {
        await program.parseAsync(argv, { from: "user" });
    } catch (err) {
        const e = err as { code?: string; exitCode?: number; message?: string };
        if (typeof e.code === "string" && e.code.startsWith("commander.")) return e.exitCode ?? 2;
        process.stderr.write(`[cluster] ERROR: ${e.message ?? String(err)}\n`);
        return 1;
    }
    return code;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code));
}
