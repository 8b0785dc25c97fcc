// Certificates of the local cluster, made with openssl: one CA, the apiserver's serving
// certificate, and a client certificate per identity. Identities follow Kubernetes' conventions so
// the real authorizers decide (Node + RBAC): kubelets are system:node:<name> in system:nodes,
// kube-proxy is system:kube-proxy, the admin (kubectl, controllers, our tools) is system:masters.
import * as fs from "fs";
import * as path from "path";
import { run } from "./exec";

/** First address of the Service CIDR: the `kubernetes` Service, named in the serving certificate. */
export const SERVICE_CIDR = "10.96.0.0/16";
const KUBERNETES_SERVICE_IP = "10.96.0.1";

export interface Identity {
    /** File stem under pki/. */
    file: string;
    commonName: string;
    organization?: string;
}

export const ADMIN: Identity = { file: "admin", commonName: "kubernetes-admin", organization: "system:masters" };
export const APISERVER_KUBELET_CLIENT: Identity = { file: "apiserver-kubelet-client", commonName: "kube-apiserver-kubelet-client", organization: "system:masters" };
export const KUBE_PROXY: Identity = { file: "kube-proxy", commonName: "system:kube-proxy" };
export const nodeIdentity = (node: string): Identity => ({ file: `node-${node}`, commonName: `system:node:${node}`, organization: "system:nodes" });

export class Pki {
    constructor(readonly dir: string) {}

    crt(id: Identity | string) { return path.join(this.dir, `${typeof id === "string" ? id : id.file}.crt`); }
    key(id: Identity | string) { return path.join(this.dir, `${typeof id === "string" ? id : id.file}.key`); }
    get ca() { return this.crt("ca"); }
    get saKey() { return path.join(this.dir, "sa.key"); }
    get saPub() { return path.join(this.dir, "sa.pub"); }

    private async leaf(stem: string, subject: string, extensions: string[]) {
        const ext = path.join(this.dir, `${stem}.ext`);
        fs.writeFileSync(ext, [...extensions, "keyUsage=critical,digitalSignature,keyEncipherment", ""].join("\n"));
        await run("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", this.key(stem), "-out", `${this.dir}/${stem}.csr`, "-subj", subject]);
        await run("openssl", ["x509", "-req", "-in", `${this.dir}/${stem}.csr`, "-CA", this.ca, "-CAkey", this.key("ca"), "-CAcreateserial", "-days", "3650", "-out", this.crt(stem), "-extfile", ext]);
        fs.rmSync(`${this.dir}/${stem}.csr`);
        fs.rmSync(ext);
    }

    /** The CA, the apiserver's serving certificate, the service-account key pair and the admin. */
    async create(): Promise<void> {
        fs.mkdirSync(this.dir, { recursive: true });
        await run("openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", this.key("ca"), "-out", this.ca, "-days", "3650",
            "-subj", "/CN=kafka-platform-local-ca", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        const sans = ["IP:127.0.0.1", `IP:${KUBERNETES_SERVICE_IP}`, "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local"];
        await this.leaf("apiserver", "/CN=kube-apiserver", ["extendedKeyUsage=serverAuth", `subjectAltName=${sans.join(",")}`]);
        await this.client(ADMIN);
        // Service account tokens: the apiserver signs with sa.key, the token controller too; sa.pub verifies.
        await run("openssl", ["genrsa", "-out", this.saKey, "2048"]);
        await run("openssl", ["rsa", "-in", this.saKey, "-pubout", "-out", this.saPub]);
    }

    async client(id: Identity): Promise<void> {
        const subject = `${id.organization ? `/O=${id.organization}` : ""}/CN=${id.commonName}`;
        await this.leaf(id.file, subject, ["extendedKeyUsage=clientAuth"]);
    }

    /** A serving certificate for a kubelet, for its node IP. */
    async kubeletServing(node: string, ip: string): Promise<void> {
        await this.leaf(`kubelet-${node}`, `/CN=${node}`, ["extendedKeyUsage=serverAuth", `subjectAltName=IP:${ip},DNS:${node}`]);
    }
}

/** A kubeconfig for one identity, with the certificates inlined so it can be copied anywhere. */
export function kubeconfigFor(pki: Pki, id: Identity, server: string, namespace = "default"): string {
    const b64 = (f: string) => fs.readFileSync(f).toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: kafka-platform-local",
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority-data: ${b64(pki.ca)}`,
        "users:",
        `- name: ${id.file}`,
        "  user:",
        `    client-certificate-data: ${b64(pki.crt(id))}`,
        `    client-key-data: ${b64(pki.key(id))}`,
        "contexts:",
        "- name: kafka-platform-local",
        "  context:",
        "    cluster: kafka-platform-local",
        `    user: ${id.file}`,
        `    namespace: ${namespace}`,
        "current-context: kafka-platform-local",
        "",
    ].join("\n");
}
