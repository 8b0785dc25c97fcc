// A minimal read-only Kubernetes API client for the rollout gate: GET requests authenticated the
// way the kubeconfig says (client certificates, bearer tokens). Users whose kubeconfig runs an exec
// credential plugin are served through `kubectl get --raw`, which knows how to run it.
import { execFile } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";

export interface KubeconfigSource {
    /** Kubeconfig contents or a path to it; defaults to $KUBECONFIG, then ~/.kube/config. */
    kubeconfig?: string;
    /** Context name; defaults to the kubeconfig's current-context. */
    context?: string;
}

interface Named {
    name: string;
    [key: string]: unknown;
}
interface KubeconfigDoc {
    "current-context"?: string;
    contexts?: Array<Named & { context: { cluster: string; user: string; namespace?: string } }>;
    clusters?: Array<Named & { cluster: Record<string, string | boolean> }>;
    users?: Array<Named & { user: Record<string, unknown> }>;
}

/** Where a kubeconfig comes from when nothing is given: the same rule kubectl and the provider use. */
export function defaultKubeconfigPath(): string | undefined {
    const env = process.env.KUBECONFIG?.split(path.delimiter).find((p) => p && fs.existsSync(p));
    if (env) return env;
    const home = path.join(os.homedir(), ".kube", "config");
    return fs.existsSync(home) ? home : undefined;
}

function looksLikeContent(s: string): boolean {
    return s.includes("\n") || s.trimStart().startsWith("{") || s.includes("apiVersion:");
}

export class KubeClient {
    private constructor(
        private readonly server: string,
        private readonly agentOptions: https.AgentOptions,
        private readonly token: string | undefined,
        private readonly kubectlArgs: string[] | undefined,
    ) {}

    static load(source: KubeconfigSource = {}): KubeClient {
        let text: string;
        let file: string | undefined;
        if (source.kubeconfig && looksLikeContent(source.kubeconfig)) {
            text = source.kubeconfig;
        } else {
            file = source.kubeconfig ?? defaultKubeconfigPath();
            if (!file) throw new Error("no kubeconfig: set KUBECONFIG or kubernetes:kubeconfig");
            text = fs.readFileSync(file, "utf8");
        }
        const baseDir = file ? path.dirname(file) : process.cwd();
        const doc = (yaml.load(text) ?? {}) as KubeconfigDoc;
        const contextName = source.context ?? doc["current-context"];
        const ctx = doc.contexts?.find((c) => c.name === contextName)?.context;
        if (!ctx) throw new Error(`kubeconfig has no context ${JSON.stringify(contextName)}`);
        const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
        const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
        if (!cluster) throw new Error(`kubeconfig has no cluster ${JSON.stringify(ctx.cluster)}`);

        if (user.exec || user["auth-provider"]) {
            // Credential plugins are kubectl's business: let it run them.
            let kubeconfigFile = file;
            if (!kubeconfigFile) {
                kubeconfigFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kafka-platform-")), "kubeconfig");
                fs.writeFileSync(kubeconfigFile, text, { mode: 0o600 });
            }
            return new KubeClient("", {}, undefined, ["--kubeconfig", kubeconfigFile, "--context", String(contextName)]);
        }
        const read = (dataKey: string, fileKey: string, holder: Record<string, unknown>): Buffer | undefined => {
            if (typeof holder[dataKey] === "string") return Buffer.from(holder[dataKey] as string, "base64");
            if (typeof holder[fileKey] === "string") return fs.readFileSync(path.resolve(baseDir, holder[fileKey] as string));
            return undefined;
        };
        const agentOptions: https.AgentOptions = {
            ca: read("certificate-authority-data", "certificate-authority", cluster),
            cert: read("client-certificate-data", "client-certificate", user),
            key: read("client-key-data", "client-key", user),
            rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true,
            keepAlive: true,
        };
        let token = typeof user.token === "string" ? user.token : undefined;
        if (!token && typeof user.tokenFile === "string") token = fs.readFileSync(user.tokenFile, "utf8").trim();
        return new KubeClient(String(cluster.server), agentOptions, token, undefined);
    }

    /** GET an API path; resolves to undefined on 404. */
    async get<T>(apiPath: string, timeoutMs = 15000): Promise<T | undefined> {
        if (this.kubectlArgs) return this.getViaKubectl<T>(apiPath, timeoutMs);
        const url = new URL(apiPath, this.server);
        const lib = url.protocol === "http:" ? http : https;
        return new Promise<T | undefined>((resolve, reject) => {
            const req = lib.request(
                url,
                {
                    method: "GET",
                    ...(url.protocol === "https:" ? this.agentOptions : {}),
                    headers: { Accept: "application/json", ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) },
                    timeout: timeoutMs,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        const body = Buffer.concat(chunks).toString("utf8");
                        if (res.statusCode === 404) return resolve(undefined);
                        if (!res.statusCode || res.statusCode >= 300) {
                            return reject(new Error(`GET ${apiPath}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
                        }
                        resolve(JSON.parse(body) as T);
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`GET ${apiPath}: no answer in ${timeoutMs} ms`)));
            req.on("error", reject);
            req.end();
        });
    }

    private getViaKubectl<T>(apiPath: string, timeoutMs: number): Promise<T | undefined> {
        return new Promise((resolve, reject) => {
            execFile("kubectl", [...this.kubectlArgs!, "get", "--raw", apiPath], { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
                if (err) {
                    if (/NotFound|not found/.test(stderr)) return resolve(undefined);
                    return reject(new Error(`kubectl get --raw ${apiPath}: ${stderr.trim() || err.message}`));
                }
                resolve(JSON.parse(stdout) as T);
            });
        });
    }
}
