import { HOSTNAME_TOPOLOGY_KEY, LabelSelector, selectorMatches } from "../platform";
import {
    DEFAULT_ENFORCEMENT,
    EnforcementLevel,
    ResourceValidationPolicy,
    StatefulSetView,
    configSchema,
    describeLabels,
    describeSelector,
    validateStatefulSets,
    violation,
} from "./common";

export const POD_ANTI_AFFINITY = "pod-anti-affinity";

export interface AntiAffinityConfig {
    /** Accept preferred (soft) anti-affinity: single-node dev clusters cannot honour required. */
    allowPreferred: boolean;
    /** Topology keys that count as spreading; one pod per node by default. */
    topologyKeys: string[];
}

export const ANTI_AFFINITY_DEFAULTS: AntiAffinityConfig = {
    allowPreferred: false,
    topologyKeys: [HOSTNAME_TOPOLOGY_KEY],
};

interface AffinityTerm {
    labelSelector?: LabelSelector | null;
    topologyKey?: string;
    namespaces?: string[] | null;
    namespaceSelector?: LabelSelector | null;
}

/**
 * Whether a term looks at pods in the StatefulSet's own namespace. Kubernetes: with neither
 * namespaces nor namespaceSelector, the pod's own namespace; otherwise the union of both. Only the
 * automatic kubernetes.io/metadata.name label of a namespace can be known from here.
 */
function coversNamespace(term: AffinityTerm, namespace: string): boolean {
    const names = term.namespaces ?? [];
    const nsSelector = term.namespaceSelector;
    if (names.length === 0 && (nsSelector === undefined || nsSelector === null)) return true;
    if (names.includes(namespace)) return true;
    return selectorMatches(nsSelector, { "kubernetes.io/metadata.name": namespace });
}

/** Why a term does not keep this StatefulSet's own pods apart, or undefined when it does. */
function termProblem(term: AffinityTerm | undefined, sts: StatefulSetView, topologyKeys: string[]): string | undefined {
    if (!term) return "it is empty";
    const problems: string[] = [];
    if (!topologyKeys.includes(term.topologyKey ?? "")) {
        problems.push(`its topologyKey is ${JSON.stringify(term.topologyKey ?? "")}, not ${topologyKeys.join(" or ")}`);
    }
    if (!selectorMatches(term.labelSelector, sts.templateLabels)) {
        // The classic bug (the ZooKeeper tutorial once shipped it): the rule selects nothing, so it spreads nothing.
        problems.push(
            `its labelSelector (${describeSelector(term.labelSelector)}) does not select the pod template's labels ` +
                `(${describeLabels(sts.templateLabels)}), so it keeps nothing apart`,
        );
    } else if (!coversNamespace(term, sts.namespace)) {
        problems.push(`its namespaces do not include the StatefulSet's namespace ${sts.namespace}`);
    }
    return problems.length > 0 ? problems.join(" and ") : undefined;
}

/** The selector to suggest in a fix: the seed's form, `app in (kafka)`, from the template's app label. */
function suggestedSelector(sts: StatefulSetView): string {
    const app = sts.templateLabels.app;
    return app ? `matchExpressions [{key: app, operator: In, values: [${app}]}]` : "a selector that selects the pod template's labels";
}

/**
 * Every StatefulSet spreads its pods with required podAntiAffinity on an allowed topology key, and
 * the term's labelSelector really selects the pod template's labels.
 *
 * @severity high
 * @topics availability, scheduling
 */
export function podAntiAffinity(
    enforcementLevel: EnforcementLevel = DEFAULT_ENFORCEMENT,
    config: Partial<AntiAffinityConfig> = {},
): ResourceValidationPolicy {
    const defaults: AntiAffinityConfig = { ...ANTI_AFFINITY_DEFAULTS, ...config };
    return {
        name: POD_ANTI_AFFINITY,
        description:
            "Every StatefulSet spreads its pods with required podAntiAffinity on an allowed topology key, and the term's labelSelector really selects the pod template's labels.",
        enforcementLevel,
        severity: "high",
        tags: ["availability", "scheduling"],
        configSchema: configSchema(defaults, {
            allowPreferred: {
                type: "boolean",
                description: "Accept preferredDuringScheduling anti-affinity (single-node dev clusters); the term must still select the pods.",
            },
            topologyKeys: {
                type: "array",
                items: { type: "string", minLength: 1 },
                minItems: 1,
                description: "Topology keys that count as spreading the pods.",
            },
        }),
        validateResource: validateStatefulSets(defaults, (sts, cfg, report) => {
            const anti = sts.podSpec.affinity?.podAntiAffinity ?? {};
            const required: AffinityTerm[] = anti.requiredDuringSchedulingIgnoredDuringExecution ?? [];
            const preferred: AffinityTerm[] = (anti.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
                (w: { podAffinityTerm?: AffinityTerm }) => w?.podAffinityTerm,
            );
            const spreads = (t: AffinityTerm) => termProblem(t, sts, cfg.topologyKeys) === undefined;
            if (required.some(spreads) || (cfg.allowPreferred && preferred.some(spreads))) {
                return;
            }

            const fix =
                `add a requiredDuringSchedulingIgnoredDuringExecution term with topologyKey ${cfg.topologyKeys[0]} ` +
                `and labelSelector ${suggestedSelector(sts)}`;
            if (required.length === 0 && preferred.length === 0) {
                report(violation(sts.subject, POD_ANTI_AFFINITY, "its pod template has no podAntiAffinity, so one node can run several of its pods and take them all down at once", fix));
                return;
            }
            const problemsOf = (label: string, list: AffinityTerm[]) =>
                list
                    .map((t, i) => [`${label} term ${i + 1}`, termProblem(t, sts, cfg.topologyKeys)] as const)
                    .filter(([, problem]) => problem !== undefined)
                    .map(([term, problem]) => `${term}: ${problem}`);
            let found: string;
            if (required.length === 0 && !cfg.allowPreferred) {
                const broken = problemsOf("preferred", preferred);
                found =
                    "its podAntiAffinity is only preferred, which the scheduler drops when nodes are short, putting two of its pods on one node" +
                    (broken.length > 0 ? `; and even so ${broken.join("; ")}` : "");
            } else {
                const broken = [...problemsOf("required", required), ...(cfg.allowPreferred ? problemsOf("preferred", preferred) : [])];
                found = `no ${cfg.allowPreferred ? "" : "required "}term spreads its own pods (${broken.join("; ")})`;
            }
            const relax =
                required.length === 0 && !cfg.allowPreferred
                    ? // Only the brokers make anti-affinity a stack setting; ZooKeeper's is always required.
                      `${sts.app === "kafka" ? " (kafka.antiAffinity: required)" : ""}, ` +
                      `or set allowPreferred: true in this policy's config where nodes are fewer than replicas (dev)`
                    : "";
            report(violation(sts.subject, POD_ANTI_AFFINITY, found, fix + relax));
        }),
    };
}
