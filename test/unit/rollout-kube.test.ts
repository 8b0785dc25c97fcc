import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { KubeAccess, readStage } from "../../rollout/kube";
import { waitFor } from "../../rollout/wait";
import { scratchDir } from "./stacks/fakes";

const NEW = "kafka-7c9d4f5a1";

/** An API server that answers the stage's reads and watches, accepting one bearer token. */
function fakeApi(token: string) {
    const seen: string[] = [];
    const watchers: http.ServerResponse[] = [];
    const server = http.createServer((req, res) => {
        seen.push(`${req.headers.authorization ?? "-"} ${req.url}`);
        if (req.headers.authorization !== `Bearer ${token}`) {
            res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Status", code: 401, message: "Unauthorized" }));
            return;
        }
        const url = new URL(req.url!, "http://x");
        if (url.searchParams.get("watch") === "true") {
            res.writeHead(200, { "content-type": "application/json" });
            watchers.push(res);
            return;
        }
        const json = (code: number, body: unknown) => res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
        if (url.pathname === "/apis/apps/v1/namespaces/default/statefulsets/kafka") {
            return void json(200, {
                apiVersion: "apps/v1",
                kind: "StatefulSet",
                metadata: { name: "kafka", generation: 2 },
                spec: { replicas: 1, updateStrategy: { rollingUpdate: { partition: 0 } }, selector: {}, template: {}, serviceName: "kafka-hs" },
                status: { observedGeneration: 2, updateRevision: NEW, currentRevision: NEW, replicas: 1 },
            });
        }
        if (url.pathname === "/api/v1/namespaces/default/pods" && url.searchParams.get("labelSelector") === "app=kafka") {
            return void json(200, {
                apiVersion: "v1",
                kind: "PodList",
                metadata: {},
                items: [
                    {
                        metadata: { name: "kafka-0", labels: { app: "kafka", "controller-revision-hash": NEW } },
                        status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
                    },
                ],
            });
        }
        return void json(404, { kind: "Status", code: 404, reason: "NotFound", message: "not found" });
    });
    return {
        seen,
        watchers,
        server,
        async start(): Promise<string> {
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        },
        stop: () =>
            new Promise<void>((r) => {
                for (const w of watchers) w.destroy();
                server.closeAllConnections();
                server.close(() => r());
            }),
    };
}

function kubeconfig(server: string, user: Record<string, unknown>): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "test",
        contexts: [
            { name: "test", context: { cluster: "c", user: "u" } },
            { name: "other", context: { cluster: "c", user: "nobody" } },
        ],
        clusters: [{ name: "c", cluster: { server } }],
        users: [
            { name: "u", user },
            { name: "nobody", user: { token: "wrong" } },
        ],
    });
}

describe("Kubernetes access through @kubernetes/client-node", () => {
    let api: ReturnType<typeof fakeApi>;
    let server: string;
    beforeEach(async () => {
        api = fakeApi("s3cret");
        server = await api.start();
    });
    afterEach(() => api.stop());

    it("reads the stage with a kubeconfig's tokenFile, resolved against the kubeconfig's folder", async () => {
        const dir = scratchDir("kube-test");
        fs.writeFileSync(path.join(dir, "token"), "s3cret");
        const file = path.join(dir, "kubeconfig");
        fs.writeFileSync(file, kubeconfig(server, { tokenFile: "token" }));
        const status = await readStage(KubeAccess.load({ kubeconfig: file }), "default", "kafka", "app=kafka");
        assert.strictEqual(status?.summary, "kafka partition 0: 1/1 updated and Ready, 1/1 Ready");
        assert.ok(status?.done);
    });

    it("runs an exec credential plugin, as kubectl does", async () => {
        const credential = JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: "s3cret" } });
        const user = { exec: { apiVersion: "client.authentication.k8s.io/v1", command: process.execPath, args: ["-e", `console.log(${JSON.stringify(credential)})`], interactiveMode: "Never" } };
        const access = KubeAccess.load({ kubeconfig: kubeconfig(server, user) });
        assert.strictEqual((await access.readStatefulSet("default", "kafka"))?.status?.updateRevision, NEW);
    });

    it("takes the context it is given, and refuses one the kubeconfig lacks", async () => {
        const text = kubeconfig(server, { token: "s3cret" });
        await assert.rejects(KubeAccess.load({ kubeconfig: text, context: "other" }).listPods("default", "app=kafka"), /401|Unauthorized/);
        assert.throws(() => KubeAccess.load({ kubeconfig: text, context: "nope" }), /kubeconfig has no context "nope"/);
    });

    it("reads a missing StatefulSet as undefined", async () => {
        const access = KubeAccess.load({ kubeconfig: kubeconfig(server, { token: "s3cret" }) });
        assert.strictEqual(await access.readStatefulSet("default", "zk"), undefined);
        assert.strictEqual(await readStage(access, "default", "zk", "app=zk"), undefined);
    });

    it("wakes a wait as soon as a watched object changes, instead of at the next poll", async () => {
        const access = KubeAccess.load({ kubeconfig: kubeconfig(server, { token: "s3cret" }) });
        let looks = 0;
        const started = Date.now();
        const r = await waitFor(
            async () => ++looks,
            (n) => n >= 3,
            {
                timeoutSeconds: 30,
                pollMs: 60_000,
                wake: (notify) => {
                    const stop = access.watchStage("default", "kafka", "app=kafka", notify);
                    // Each watch event ends the current pause.
                    const timer = setInterval(() => {
                        for (const w of api.watchers) w.write(JSON.stringify({ type: "MODIFIED", object: { metadata: { name: "kafka-0" } } }) + "\n");
                    }, 50);
                    return () => {
                        clearInterval(timer);
                        stop();
                    };
                },
            },
        );
        assert.strictEqual(r.outcome, "done");
        assert.ok(Date.now() - started < 10_000, "woken by the watch, not by the 60 s poll");
        assert.ok(api.seen.some((s) => /\/api\/v1\/namespaces\/default\/pods\?.*watch=true/.test(s) && /labelSelector=app%3Dkafka/.test(s)), api.seen.join("\n"));
        assert.ok(api.seen.some((s) => /statefulsets\?.*fieldSelector=metadata.name%3Dkafka/.test(s)), api.seen.join("\n"));
    });
});
