// A local Kubernetes cluster as one object: the control plane, then kwok fake nodes and/or real
// nodes. `start` always begins from an empty directory (tests must not depend on what an earlier
// run left in etcd); `stop` removes everything that start made, and is safe to repeat.
import * as fs from "fs";
import { Binaries, binaries, realNodeBlocker } from "./binaries";
import { CONTROL_PLANE, ControlPlane } from "./control-plane";
import { log, succeeds } from "./exec";
import { Kwok } from "./kwok";
import { Layout, PodDelays, Ports, Settings } from "./layout";
import { Pki } from "./pki";
import { Processes } from "./processes";
import { RealNodes } from "./real-nodes";

export interface StartOptions {
    ports: Ports;
    kwokNodes: number;
    realNodes: number;
    volumesPerNode: number;
    delays: PodDelays;
}

export const PAUSE_IMAGE = "kafka-platform.local/pause:1.0";

export class LocalCluster {
    readonly procs: Processes;
    readonly pki: Pki;
    readonly controlPlane: ControlPlane;
    readonly kwok: Kwok;
    readonly real: RealNodes;

    constructor(readonly layout: Layout) {
        this.procs = new Processes(layout);
        this.pki = new Pki(layout.pki);
        this.controlPlane = new ControlPlane(layout, this.procs, this.pki);
        this.kwok = new Kwok(layout, this.procs, this.controlPlane);
        this.real = new RealNodes(layout, this.procs, this.pki, this.controlPlane);
    }

    get kubeconfig(): string {
        return this.layout.kubeconfig;
    }

    running(): boolean {
        return this.procs.alive("kube-apiserver");
    }

    settings(): Settings {
        return this.layout.readSettings();
    }

    async start(o: StartOptions): Promise<void> {
        if (this.running()) {
            const s = this.settings();
            if (s.realNodes !== o.realNodes) {
                throw new Error(
                    `the cluster in ${this.layout.dir} is running with ${s.realNodes} real node(s); stop it first to start one with ${o.realNodes}`,
                );
            }
            log(`already running; scaling fake nodes to ${o.kwokNodes}`);
            await this.kwok.scale(o.kwokNodes);
            this.layout.writeSettings({ ...s, kwokNodes: o.kwokNodes });
            return;
        }
        if (o.realNodes > 0) {
            const blocker = realNodeBlocker();
            if (blocker) throw new Error(`cannot run real nodes here: ${blocker}`);
        }
        const t0 = Date.now();
        const bin = await binaries();
        // Images first: a cold build takes minutes and must not leave half a cluster running meanwhile.
        const images = o.realNodes > 0 ? await this.images() : [];
        await this.stop(bin); // leftovers of a crashed run
        for (const p of [o.ports.api, o.ports.etcd, o.ports.etcd + 1, o.ports.controllerManager, o.ports.scheduler]) {
            if (await succeeds("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${p}`])) {
                throw new Error(`127.0.0.1:${p} is already in use (another cluster? see KAFKA_PLATFORM_*_PORT)`);
            }
        }
        this.layout.recreate();
        this.layout.writeSettings({ ports: o.ports, kwokNodes: o.kwokNodes, realNodes: o.realNodes, delays: o.delays });
        try {
            await this.controlPlane.start(bin, o.ports);
            if (o.realNodes > 0) {
                await this.real.start(bin, o.ports, { nodes: o.realNodes, volumesPerNode: o.volumesPerNode, images, pauseImage: PAUSE_IMAGE });
            }
            if (o.kwokNodes > 0 || o.realNodes === 0) await this.kwok.start(bin, o.delays, o.kwokNodes);
        } catch (err) {
            log("start failed: stopping what was started");
            await this.stop(bin).catch((e) => log(`stop: ${e.message}`));
            throw err;
        }
        const kinds = [o.realNodes ? `${o.realNodes} real node(s)` : "", o.kwokNodes ? `${o.kwokNodes} fake node(s)` : ""].filter(Boolean).join(" + ");
        log(`cluster ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (${bin.k8sVersion}, ${kinds || "no nodes"}, state in ${this.layout.dir})`);
    }

    /** The images real nodes run, built (cached by version) when missing. */
    private async images(): Promise<Array<{ ref: string; archive: string }>> {
        const { ensureImages } = await import("../images/build");
        const images = await ensureImages({});
        if (!images.some((i: { ref: string }) => i.ref === PAUSE_IMAGE)) throw new Error(`the image build did not produce ${PAUSE_IMAGE}`);
        return images;
    }

    /** Stop every process this cluster started, real nodes and what they made included. */
    async stop(bin?: Binaries): Promise<void> {
        if (!fs.existsSync(this.layout.dir)) return;
        const kubeProxy = bin?.kubeProxy ?? (await binaries().then((b) => b.kubeProxy, () => undefined));
        await this.real.teardown(kubeProxy);
        const order = [...this.procs.names()].reverse();
        for (const name of order) {
            if (await this.procs.stop(name)) log(`stopped ${name}`);
        }
        for (const name of CONTROL_PLANE) await this.procs.stop(name);
    }

    /** One line per process, the API's readiness and the nodes; false when anything is down. */
    async status(print: (line: string) => void): Promise<boolean> {
        let ok = true;
        const names = this.procs.names();
        for (const name of names) {
            const alive = this.procs.alive(name);
            ok &&= alive;
            print(`${name.padEnd(28)} ${alive ? `running (pid ${this.procs.pid(name)})` : "not running"}`);
        }
        if (names.length === 0) {
            print("no cluster started here");
            return false;
        }
        const settings = this.settings();
        if (fs.existsSync(this.kubeconfig) && (await this.controlPlane.ready(settings.ports))) {
            print("readyz                       ok");
            print(await this.controlPlane.kubectl(["get", "nodes", "-o", "wide"]).catch((e) => (ok = false, String(e.message))));
        } else {
            print("readyz                       unreachable");
            ok = false;
        }
        return ok;
    }
}
