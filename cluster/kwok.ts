// kwok fake nodes: for controller and scheduling behaviour at scale (100 brokers) and for
// simulated faults. kwok runs no container: a claim about what a pod does needs real nodes.
//
// Pods follow the Stages in tools/k8s/stages (Pending → Running after the start delay → Ready
// after the ready delay; deleted pods go after the delete delay whatever their grace period).
// Stages are API objects (kwok runs with --enable-crds=Stage), so fail-readiness/heal retune a
// running cluster.
import * as fs from "fs";
import * as path from "path";
import { Binaries, ROOT } from "./binaries";
import { ControlPlane } from "./control-plane";
import { log, waitUntil } from "./exec";
import { Layout, PodDelays } from "./layout";
import { Processes } from "./processes";

const STAGES_SRC = path.join(ROOT, "tools", "k8s", "stages");
const ZONES = ["zone-a", "zone-b", "zone-c"];

export class Kwok {
    constructor(
        private readonly layout: Layout,
        private readonly procs: Processes,
        private readonly cp: ControlPlane,
    ) {}

    /** Render tools/k8s/stages/*.yaml with the delays and the fail-readiness list, then apply them. */
    async applyStages(delays: PodDelays): Promise<void> {
        // "-" keeps the In/NotIn value lists non-empty, as kwok requires.
        const names = ['"-"', ...this.failList().map((e) => JSON.stringify(e))].join(", ");
        fs.mkdirSync(this.layout.stages, { recursive: true });
        for (const f of fs.readdirSync(STAGES_SRC).filter((f) => f.endsWith(".yaml"))) {
            const text = fs
                .readFileSync(path.join(STAGES_SRC, f), "utf8")
                .replace(/@POD_START_DELAY_MS@/g, String(delays.startMs))
                .replace(/@POD_READY_DELAY_MS@/g, String(delays.readyMs))
                .replace(/@POD_UNREADY_DELAY_MS@/g, String(delays.unreadyMs))
                .replace(/@POD_DELETE_DELAY_MS@/g, String(delays.deleteMs))
                .replace(/@FAIL_READINESS_PODS@/g, `[${names}]`);
            fs.writeFileSync(path.join(this.layout.stages, f), text);
        }
        await this.cp.kubectl(["apply", "-f", this.layout.stages]);
    }

    async start(bin: Binaries, delays: PodDelays, nodes: number): Promise<void> {
        // The Stage CRD must be established before kwok starts.
        await this.cp.kubectl(["apply", "-f", bin.kwokStageCrd]);
        await this.cp.kubectl(["wait", "--for=condition=Established", "crd/stages.kwok.x-k8s.io", "--timeout=30s"]);
        await this.applyStages(delays);
        // HOME: kwok merges ~/.kwok/kwok.yaml if present; keep a developer's file out of the tests.
        this.procs.launch("kwok", bin.kwok, [
            "--kubeconfig", this.layout.kubeconfig,
            "--manage-nodes-with-annotation-selector", "kwok.x-k8s.io/node=fake",
            "--node-lease-duration-seconds", "40", "--enable-crds", "Stage", "--cidr", "10.245.0.0/16",
        ], { ...process.env, HOME: this.layout.kwokHome });
        await this.scale(nodes);
    }

    private nodeManifest(i: number): string {
        return [
            "apiVersion: v1",
            "kind: Node",
            "metadata:",
            `  name: kwok-node-${i}`,
            "  annotations:",
            "    kwok.x-k8s.io/node: fake        # what kwok --manage-nodes-with-annotation-selector picks",
            '    node.alpha.kubernetes.io/ttl: "0"',
            "  labels:",
            `    kubernetes.io/hostname: kwok-node-${i}`,
            "    kubernetes.io/os: linux",
            "    kubernetes.io/arch: amd64",
            `    topology.kubernetes.io/zone: ${ZONES[i % 3]}`,
            "    type: kwok",
            "status:",
            // A loopback InternalIP: anything that tries the fake kubelet (kubectl logs/exec go
            // through the apiserver to it) is refused locally instead of leaving the machine.
            "  addresses:",
            `  - {type: InternalIP, address: 127.0.1.${(i % 250) + 1}}`,
            `  - {type: Hostname, address: kwok-node-${i}}`,
            '  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}',
            '  capacity: {cpu: "32", memory: 256Gi, pods: "110"}',
            "---",
        ].join("\n");
    }

    /** Scale the fake nodes to n; pods of removed nodes are force-deleted so controllers recreate them. */
    async scale(n: number): Promise<void> {
        if (!Number.isInteger(n) || n < 0) throw new Error(`node count must be a whole number, got ${n}`);
        if (n > 0) {
            await this.cp.kubectl(["apply", "-f", "-"], Array.from({ length: n }, (_, i) => this.nodeManifest(i)).join("\n"));
        }
        const names = (await this.cp.kubectl(["get", "nodes", "-l", "type=kwok", "-o", "name"])).split("\n").filter(Boolean);
        for (const name of names) {
            const i = Number(name.replace(/^node\/kwok-node-/, ""));
            if (Number.isInteger(i) && i >= n) {
                await this.cp.kubectl(["delete", name, "--wait=false"]);
                // The node is gone for good: drop its pods now rather than after the pod GC's 40 s
                // quarantine, so controllers recreate them (Pending if nothing fits).
                await this.cp
                    .kubectl(["delete", "pods", "-A", "--field-selector", `spec.nodeName=${name.replace(/^node\//, "")}`, "--force", "--grace-period=0"])
                    .catch(() => undefined);
                log(`deleted ${name} and its pods`);
            }
        }
        if (n > 0) {
            await this.cp.kubectl(["wait", "--for=condition=Ready", "node", "-l", "type=kwok", "--timeout=60s"]).catch((err) => {
                throw new Error(`fake nodes did not become Ready (kwok log: ${this.layout.logFile("kwok")}): ${err.message}`);
            });
        }
        log(`${n} fake node(s) Ready`);
    }

    private failList(): string[] {
        try {
            return fs.readFileSync(this.layout.failReadinessList, "utf8").split("\n").filter(Boolean);
        } catch {
            return [];
        }
    }

    private async phase(ns: string, pod: string): Promise<string> {
        return (await this.cp.kubectl(["get", "pod", "-n", ns, pod, "-o", "jsonpath={.status.phase}"]).catch(() => "")).trim();
    }

    /**
     * Make a pod Running-but-not-Ready, as a failing readinessProbe would: the pod object gets an
     * annotation, and ns/pod goes on a list in the stages so a pod recreated under that name (a
     * StatefulSet canary) is not Ready either. Returns once a running pod has turned not Ready.
     */
    async failReadiness(ns: string, pod: string, delays: PodDelays): Promise<void> {
        const entry = `${ns}/${pod}`;
        const list = this.failList();
        if (!list.includes(entry)) fs.writeFileSync(this.layout.failReadinessList, [...list, entry].join("\n") + "\n");
        await this.applyStages(delays);
        // The annotation acts on the current object at once (a stage change alone does not make
        // kwok revisit a pod that is not changing); the list covers pods recreated under this name.
        if (await this.phase(ns, pod)) {
            await this.cp.kubectl(["annotate", "pod", "-n", ns, pod, "kwok.x-k8s.io/fail-readiness=true", "--overwrite"]);
            if ((await this.phase(ns, pod)) === "Running") {
                await this.cp.kubectl(["wait", "pod", "-n", ns, pod, "--for=condition=Ready=false", "--timeout=30s"]).catch(() => {
                    throw new Error(`${entry} did not turn not Ready (kwok log: ${this.layout.logFile("kwok")})`);
                });
            }
        }
        log(`readiness of ${entry} now fails (also for pods recreated with that name)`);
    }

    /** Undo failReadiness; a running pod is Ready again when this returns. */
    async heal(ns: string, pod: string, delays: PodDelays): Promise<void> {
        const entry = `${ns}/${pod}`;
        const rest = this.failList().filter((e) => e !== entry);
        fs.writeFileSync(this.layout.failReadinessList, rest.length ? rest.join("\n") + "\n" : "");
        await this.applyStages(delays);
        if (!(await this.phase(ns, pod))) {
            log(`readiness of ${entry} healed (no such pod now)`);
            return;
        }
        // Changing the pod is what makes kwok re-run its stages on it. The stage update and the pod
        // update reach kwok on separate watches, so a pod that does not turn Ready is touched again.
        for (let attempt = 1; ; attempt++) {
            await this.cp.kubectl(["annotate", "pod", "-n", ns, pod, "kwok.x-k8s.io/fail-readiness-", `kwok.x-k8s.io/healed-at=${Date.now()}`, "--overwrite"]);
            if ((await this.phase(ns, pod)) !== "Running") break; // not running yet: the normal stages take it
            const ok = await waitUntil(`${entry} Ready`, delays.readyMs + 5000, async () =>
                (await this.cp.kubectl(["get", "pod", "-n", ns, pod, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).trim() === "True",
            ).then(() => true, () => false);
            if (ok) break;
            if (attempt >= 3) throw new Error(`${entry} did not become Ready again (kwok log: ${this.layout.logFile("kwok")})`);
        }
        log(`readiness of ${entry} healed`);
    }
}
