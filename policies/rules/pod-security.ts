import {
    DEFAULT_ENFORCEMENT,
    EnforcementLevel,
    ResourceValidationPolicy,
    configKey,
    configSchema,
    validateStatefulSets,
    violation,
} from "./common";

export const POD_SECURITY = "pod-security";

export interface PodSecurityConfig {
    /** Containers run as a non-root user (runAsNonRoot, or a non-zero runAsUser). */
    requireNonRoot: boolean;
    /** Containers set allowPrivilegeEscalation: false and are not privileged. */
    requireNoPrivilegeEscalation: boolean;
    /** Resources every container must request, so the scheduler reserves them. */
    requiredRequests: string[];
    /** Containers have a readinessProbe. */
    requireReadinessProbe: boolean;
}

export const POD_SECURITY_DEFAULTS: PodSecurityConfig = {
    requireNonRoot: true,
    requireNoPrivilegeEscalation: true,
    requiredRequests: ["cpu", "memory"],
    requireReadinessProbe: true,
};

/** A request counts when set, or when only a limit is set: Kubernetes then requests the limit. */
function requested(container: any, resource: string): boolean {
    const value = container?.resources?.requests?.[resource] ?? container?.resources?.limits?.[resource];
    return value !== undefined && value !== null && value !== "";
}

/**
 * Every container of a StatefulSet runs as non-root without privilege escalation, requests CPU
 * and memory, and has a readiness probe.
 *
 * @severity high
 * @topics security, operations
 */
export function podSecurity(
    enforcementLevel: EnforcementLevel = DEFAULT_ENFORCEMENT,
    config: Partial<PodSecurityConfig> = {},
): ResourceValidationPolicy {
    const defaults: PodSecurityConfig = { ...POD_SECURITY_DEFAULTS, ...config };
    return {
        name: POD_SECURITY,
        description:
            "Every container of a StatefulSet runs as non-root without privilege escalation, requests CPU and memory, and has a readiness probe.",
        enforcementLevel,
        severity: "high",
        tags: ["security", "operations"],
        configSchema: configSchema(defaults, {
            requireNonRoot: { type: "boolean", description: "Containers run as a non-root user." },
            requireNoPrivilegeEscalation: { type: "boolean", description: "Containers set allowPrivilegeEscalation: false and are not privileged." },
            requiredRequests: {
                type: "array",
                items: { type: "string", minLength: 1 },
                uniqueItems: true,
                description: "Resources every container must request (resources.requests).",
            },
            requireReadinessProbe: { type: "boolean", description: "Containers have a readinessProbe." },
        }),
        validateResource: validateStatefulSets(defaults, (sts, cfg, report) => {
            const pod = sts.podSpec.securityContext ?? {};
            const fail = (found: string, fix: string) => report(violation(sts.subject, POD_SECURITY, found, fix));
            const all: Array<[string, any, boolean]> = [
                ...sts.initContainers.map((c): [string, any, boolean] => [`init container ${JSON.stringify(c?.name)}`, c, true]),
                ...sts.containers.map((c): [string, any, boolean] => [`container ${JSON.stringify(c?.name)}`, c, false]),
            ];
            for (const [who, c, init] of all) {
                const sc = c?.securityContext ?? {};
                if (cfg.requireNonRoot) {
                    // The container's setting wins over the pod's, field by field.
                    const uid = sc.runAsUser ?? pod.runAsUser;
                    const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
                    if (uid === 0) {
                        fail(`${who} runs as root (runAsUser 0)`, `run it as a non-root user, e.g. runAsUser: 1000 with runAsNonRoot: true`);
                    } else if (uid === undefined && nonRoot !== true) {
                        fail(
                            `${who} sets neither runAsNonRoot: true nor a non-zero runAsUser, so it runs as whatever user the image names, often root`,
                            `set securityContext.runAsNonRoot: true and runAsUser: 1000 on the pod or the container`,
                        );
                    }
                }
                if (cfg.requireNoPrivilegeEscalation) {
                    if (sc.privileged === true) {
                        fail(`${who} is privileged, which gives it the host's devices and every capability`, `remove securityContext.privileged`);
                    } else if (sc.allowPrivilegeEscalation !== false) {
                        fail(
                            `${who} ${sc.allowPrivilegeEscalation === true ? "sets allowPrivilegeEscalation: true" : "does not set allowPrivilegeEscalation: false"}, ` +
                                `so a setuid binary in the image can gain privileges its process did not start with`,
                            `set securityContext.allowPrivilegeEscalation: false on the container`,
                        );
                    }
                }
                // Init containers finish before the others start: readiness does not apply to them, and the
                // scheduler already reserves the larger of their requests and the containers'.
                if (init) continue;
                for (const resource of cfg.requiredRequests) {
                    if (!requested(c, resource)) {
                        const key = configKey(sts.app, resource);
                        fail(
                            `${who} requests no ${resource}, so the scheduler can pack it onto a node that cannot run it and it is evicted first under pressure`,
                            `set resources.requests.${resource}${key ? ` (${key})` : ""}`,
                        );
                    }
                }
                if (cfg.requireReadinessProbe && !c?.readinessProbe) {
                    fail(
                        `${who} has no readinessProbe, so it counts as Ready as soon as it starts and a rolling update moves on before it serves`,
                        `add a readinessProbe that checks the server answers`,
                    );
                }
            }
            if (all.length === 0) {
                fail("its pod template has no containers", "add the workload's containers");
            }
        }),
    };
}
