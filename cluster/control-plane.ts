// The control plane: etcd, kube-apiserver, kube-controller-manager and kube-scheduler as local
// processes bound to 127.0.0.1. The real ones, so StatefulSet rollouts, scheduling, PDBs and the
// eviction API behave as in production.
import * as fs from "fs";
import { Binaries } from "./binaries";
import { run, succeeds, waitUntil, log } from "./exec";
import { Layout, Ports } from "./layout";
import { ADMIN, APISERVER_KUBELET_CLIENT, Pki, SERVICE_CIDR, kubeconfigFor } from "./pki";
import { Processes } from "./processes";

export const CONTROL_PLANE = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;

export const apiServerUrl = (ports: Ports) => `https://127.0.0.1:${ports.api}`;

export class ControlPlane {
    constructor(
        private readonly layout: Layout,
        private readonly procs: Processes,
        private readonly pki: Pki,
    ) {}

    kubectl(args: string[], input?: string): Promise<string> {
        return run("kubectl", ["--kubeconfig", this.layout.kubeconfig, ...args], { input });
    }

    ready(ports: Ports): Promise<boolean> {
        return succeeds("curl", ["-fsS", "--max-time", "2", "--cacert", this.pki.ca, "--cert", this.pki.crt(ADMIN), "--key", this.pki.key(ADMIN), `${apiServerUrl(ports)}/readyz`]);
    }

    private async waitAlive(component: string, what: string, timeoutMs: number, check: () => Promise<boolean>) {
        await waitUntil(what, timeoutMs, async () => {
            if (!this.procs.alive(component)) throw new Error(`${component} exited`);
            return check();
        }, async () => `${component} log (${this.layout.logFile(component)}):\n${this.procs.tail(component)}`).catch(async (err) => {
            if (!this.procs.alive(component)) {
                throw new Error(`${component} exited while waiting for ${what} (log: ${this.layout.logFile(component)}):\n${this.procs.tail(component)}`);
            }
            throw err;
        });
    }

    async start(bin: Binaries, ports: Ports): Promise<void> {
        const t0 = Date.now();
        const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
        await this.pki.create();
        await this.pki.client(APISERVER_KUBELET_CLIENT);
        fs.writeFileSync(this.layout.kubeconfig, kubeconfigFor(this.pki, ADMIN, apiServerUrl(ports)), { mode: 0o600 });

        // fsync off: this etcd holds throwaway local state, and fsync latency dominates on a busy disk.
        const etcdUrl = `http://127.0.0.1:${ports.etcd}`;
        const peerUrl = `http://127.0.0.1:${ports.etcd + 1}`;
        this.procs.launch("etcd", bin.etcd, [
            "--name", "local", "--data-dir", this.layout.etcdData,
            "--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl,
            "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", `local=${peerUrl}`,
            "--unsafe-no-fsync", "--log-level", "warn",
        ]);
        await this.waitAlive("etcd", "etcd health", 30_000, () => succeeds("curl", ["-fsS", "--max-time", "2", `${etcdUrl}/health`]));
        log(`etcd up (${since()})`);

        // --advertise-address: with no default route the apiserver cannot pick one itself.
        // --endpoint-reconciler-type=none: it would publish 127.0.0.1 as the `kubernetes` Service
        // endpoint, which endpoint validation rejects (loopback) and logs forever; no pod of ours
        // talks to the API.
        // NodeRestriction: kubelets may only touch their own Node and its pods, as in production.
        this.procs.launch("kube-apiserver", bin.kubeApiserver, [
            "--etcd-servers", etcdUrl,
            "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", String(ports.api),
            "--tls-cert-file", this.pki.crt("apiserver"), "--tls-private-key-file", this.pki.key("apiserver"),
            "--client-ca-file", this.pki.ca,
            "--kubelet-client-certificate", this.pki.crt(APISERVER_KUBELET_CLIENT), "--kubelet-client-key", this.pki.key(APISERVER_KUBELET_CLIENT),
            "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file", this.pki.saPub, "--service-account-signing-key-file", this.pki.saKey,
            "--service-cluster-ip-range", SERVICE_CIDR,
            "--authorization-mode", "Node,RBAC", "--enable-admission-plugins", "NodeRestriction", "--allow-privileged=true",
            "--kubelet-preferred-address-types", "InternalIP",
            "--endpoint-reconciler-type", "none", "--profiling=false",
        ]);
        await this.waitAlive("kube-apiserver", "kube-apiserver /readyz", 90_000, () => this.ready(ports));
        log(`kube-apiserver ready (${since()})`);

        // The SA key and root CA feed the token and kube-root-ca.crt controllers; without them the
        // `default` ServiceAccount is incomplete and pods cannot be admitted. No
        // --authentication/authorization-kubeconfig: they only guard the components' own /metrics.
        this.procs.launch("kube-controller-manager", bin.kubeControllerManager, [
            "--kubeconfig", this.layout.kubeconfig,
            "--bind-address", "127.0.0.1", "--secure-port", String(ports.controllerManager), "--leader-elect=false",
            "--service-account-private-key-file", this.pki.saKey, "--root-ca-file", this.pki.ca,
            "--cluster-signing-cert-file", this.pki.ca, "--cluster-signing-key-file", this.pki.key("ca"),
            "--use-service-account-credentials=false", "--profiling=false",
        ]);
        this.procs.launch("kube-scheduler", bin.kubeScheduler, [
            "--kubeconfig", this.layout.kubeconfig,
            "--bind-address", "127.0.0.1", "--secure-port", String(ports.scheduler), "--leader-elect=false", "--profiling=false",
        ]);
        // Pods are admitted only once the controller-manager made the namespace's default ServiceAccount.
        await this.waitAlive("kube-controller-manager", "ServiceAccount default/default", 60_000, () =>
            succeeds("kubectl", ["--kubeconfig", this.layout.kubeconfig, "get", "serviceaccount", "default", "-n", "default"]),
        );
        log(`controllers and scheduler up (${since()})`);
    }
}
