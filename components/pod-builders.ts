// Small builders shared by the ZooKeeper and Kafka specs, so each StatefulSet reads like the seed's
// manifest and the common parts (security, volumes, PDBs, headless Services) are written once.
// Return types are inferred plain objects (not @pulumi/kubernetes Input types) so tests and
// policies can read them directly; the resources check them structurally where they are used.
import { createHash } from "crypto";
import { App, HOSTNAME_TOPOLOGY_KEY, affinityTerm, podSelector } from "./labels";

/** The seed's runAsUser/fsGroup 1000, made explicit as non-root. */
export const NON_ROOT_UID = 1000;

export function podSecurityContext() {
    return { runAsUser: NON_ROOT_UID, runAsGroup: NON_ROOT_UID, fsGroup: NON_ROOT_UID, runAsNonRoot: true };
}

export function containerSecurityContext() {
    return { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
}

/** Spread an app's pods one per host: required (production) or preferred (single-node dev). */
export function antiAffinity(app: App, mode: "required" | "preferred") {
    const term = affinityTerm(app, HOSTNAME_TOPOLOGY_KEY);
    return mode === "required"
        ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
        : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] };
}

/** Ports as a name → number map, the way the rest of the spec refers to them. */
export type NamedPorts = Record<string, number>;

export function containerPorts(ports: NamedPorts) {
    return Object.entries(ports).map(([name, containerPort]) => ({ name, containerPort }));
}

/** Service ports derived from the container's ports, never retyped. */
export function servicePorts(ports: NamedPorts) {
    return Object.entries(ports).map(([name, port]) => ({ name, port, targetPort: name }));
}

/**
 * A headless Service that gives each pod a stable DNS name (`zk-0.zk-hs...`). Not-ready addresses
 * are published so peers can find each other while they are starting (a ZooKeeper quorum or a
 * broker fetching from its leader cannot wait for readiness that depends on them).
 */
export function headlessServiceSpec(app: App, ports: NamedPorts) {
    return {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: podSelector(app).matchLabels,
        ports: servicePorts(ports),
    };
}

/** One voluntary disruption at a time: a node drain can proceed, a second broker cannot go. */
export function pdbSpec(app: App, maxUnavailable = 1) {
    return { selector: podSelector(app), maxUnavailable };
}

/** The RWO data volume claim, as the seed's `datadir` volumeClaimTemplate. */
export function dataVolumeClaim(name: string, storage: string, storageClass?: string) {
    return {
        metadata: { name },
        spec: {
            accessModes: ["ReadWriteOnce"],
            ...(storageClass ? { storageClassName: storageClass } : {}),
            resources: { requests: { storage } },
        },
    };
}

/** Data outlives its pods: PVCs stay when the StatefulSet is scaled down or deleted (the API default, made explicit). */
export function keepVolumeClaims() {
    return { whenDeleted: "Retain", whenScaled: "Retain" };
}

/** RollingUpdate with the staged-rollout partition: only ordinals >= partition take the new template. */
export function rollingUpdate(partition: number) {
    return { type: "RollingUpdate", rollingUpdate: { partition } };
}

/** An exec probe running a shell snippet, in `sh` unless it needs bash (for /dev/tcp). */
export function shellProbe(
    script: string,
    opts: { initialDelaySeconds: number; periodSeconds: number; timeoutSeconds: number; failureThreshold?: number },
    shell: "sh" | "bash" = "sh",
) {
    return { exec: { command: [shell, "-c", script] }, ...opts };
}

/**
 * TCP startup and liveness probes on a named port: `startupFailures` x 10 s to start listening
 * (log or metadata recovery), then a restart after 2 minutes without a listener.
 */
export function tcpStartupAndLiveness(port: string, startupFailures: number) {
    return {
        startupProbe: { tcpSocket: { port }, periodSeconds: 10, failureThreshold: startupFailures, timeoutSeconds: 5 },
        livenessProbe: { tcpSocket: { port }, periodSeconds: 20, failureThreshold: 6, timeoutSeconds: 5 },
    };
}

/** A short, stable hash of config file contents, for a pod template annotation that rolls pods when they change. */
export function contentHash(files: Record<string, string>): string {
    return createHash("sha256").update(JSON.stringify(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)))).digest("hex").slice(0, 16);
}
