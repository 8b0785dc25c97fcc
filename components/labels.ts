// The one place that decides how platform pods are labelled and selected.
//
// Pod template labels, StatefulSet selectors, PDB selectors, affinity terms and the policy pack's
// "does this selector select these pods" check are all built here, so a component and a policy can
// never disagree about which pods a rule covers. This module imports nothing: the policy pack loads
// it from its own package.

/**
 * The workloads of the platform, by the `app` label the seed tutorial uses; `kafka-controller` is
 * the KRaft controller quorum (`kafka.metadata: kraft`), which the seed does not have.
 */
export type App = "kafka" | "zk" | "kafka-controller";

/** A Kubernetes LabelSelector (meta/v1), the subset of fields the platform uses. */
export interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: LabelSelectorRequirement[];
}

export interface LabelSelectorRequirement {
    key: string;
    operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | string;
    values?: string[];
}

export const MANAGED_BY = "pulumi";

const recommended: Record<App, { name: string; component: string }> = {
    kafka: { name: "kafka", component: "broker" },
    zk: { name: "zookeeper", component: "coordination" },
    "kafka-controller": { name: "kafka", component: "controller" },
};

/**
 * The labels that select an app's pods. Only the seed's `app` label: StatefulSet selectors are
 * immutable, and keeping the seed's selector means the seed's `kubectl get po -l app=kafka` works.
 */
export function selectorLabels(app: App): Record<string, string> {
    return { app };
}

/** Pod template labels: the selector labels plus the app.kubernetes.io recommended labels. */
export function podLabels(app: App, instance: string): Record<string, string> {
    return {
        ...selectorLabels(app),
        "app.kubernetes.io/name": recommended[app].name,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/component": recommended[app].component,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    };
}

/** The selector for an app's pods, as used by StatefulSets, Services and PDBs. */
export function podSelector(app: App): { matchLabels: Record<string, string> } {
    return { matchLabels: selectorLabels(app) };
}

/** The same selector written as `In` expressions, the form the seed's affinity rules use. */
export function podSelectorExpressions(app: App): { matchExpressions: LabelSelectorRequirement[] } {
    return {
        matchExpressions: Object.entries(selectorLabels(app)).map(([key, value]) => ({
            key,
            operator: "In",
            values: [value],
        })),
    };
}

export const HOSTNAME_TOPOLOGY_KEY = "kubernetes.io/hostname";

/** A pod affinity term that spreads (or gathers) an app's pods per topology domain. */
export function affinityTerm(app: App, topologyKey: string = HOSTNAME_TOPOLOGY_KEY) {
    return { labelSelector: podSelectorExpressions(app), topologyKey };
}

/** `kubectl -l` syntax for an app's pods: `app=kafka`. */
export function labelQuery(app: App): string {
    return Object.entries(selectorLabels(app))
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
}

/**
 * Whether a LabelSelector selects a set of labels, with the API server's semantics: every
 * matchLabels pair and every expression must hold; `NotIn` and `DoesNotExist` hold when the key is
 * absent; an empty selector selects everything; a missing (undefined/null) selector selects nothing.
 */
export function selectorMatches(
    selector: LabelSelector | undefined | null,
    labels: Record<string, string> | undefined | null,
): boolean {
    if (selector === undefined || selector === null) {
        return false;
    }
    const have = labels ?? {};
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
        if (have[key] !== value) {
            return false;
        }
    }
    for (const req of selector.matchExpressions ?? []) {
        const present = Object.prototype.hasOwnProperty.call(have, req.key);
        const values = req.values ?? [];
        switch (req.operator) {
            case "In":
                if (!present || !values.includes(have[req.key])) return false;
                break;
            case "NotIn":
                if (present && values.includes(have[req.key])) return false;
                break;
            case "Exists":
                if (!present) return false;
                break;
            case "DoesNotExist":
                if (present) return false;
                break;
            default:
                // An operator the API server would reject selects nothing.
                return false;
        }
    }
    return true;
}
