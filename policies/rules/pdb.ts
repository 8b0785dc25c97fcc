import { selectorMatches } from "../platform";
import {
    DEFAULT_ENFORCEMENT,
    DEFAULT_NAMESPACE,
    EnforcementLevel,
    PolicyResource,
    StackValidationPolicy,
    TYPES,
    configSchema,
    describeLabels,
    describeSelector,
    plural,
    resolveConfig,
    statefulSetView,
    violation,
} from "./common";

export const POD_DISRUPTION_BUDGET = "pod-disruption-budget";

export interface PdbConfig {
    /** The most voluntary disruptions (evictions at once) a StatefulSet's PDB may allow. */
    maxUnavailable: number;
}

export const PDB_DEFAULTS: PdbConfig = { maxUnavailable: 1 };

/** How many pods a PDB lets the eviction API take at once, and how that number came about. */
export type AllowedDisruptions = { allowed: number; how: string } | { error: string };

type IntOrPercent = { value: number; percent: boolean } | { error: string };

function parseIntOrPercent(field: string, raw: unknown): IntOrPercent {
    if (typeof raw === "number" && Number.isInteger(raw) && raw >= 0) return { value: raw, percent: false };
    const m = typeof raw === "string" ? /^(\d+)%$/.exec(raw) : null;
    if (m) return { value: Number(m[1]), percent: true };
    return { error: `its ${field} is ${JSON.stringify(raw)}, neither a non-negative integer nor a percentage such as "20%"` };
}

const show = (raw: number, p: { percent: boolean }) => (p.percent ? JSON.stringify(`${raw}%`) : String(raw));

/**
 * The disruptions a PDB spec allows for a StatefulSet of `replicas` healthy pods, computed the
 * way the disruption controller does: percentages are scaled and rounded up, for maxUnavailable
 * (pods that may go) and for minAvailable (pods that must stay) alike.
 */
export function allowedDisruptions(spec: { maxUnavailable?: unknown; minAvailable?: unknown } | undefined, replicas: number): AllowedDisruptions {
    const hasMax = spec?.maxUnavailable !== undefined && spec?.maxUnavailable !== null;
    const hasMin = spec?.minAvailable !== undefined && spec?.minAvailable !== null;
    if (hasMax && hasMin) {
        return { error: "it sets both maxUnavailable and minAvailable, which the API server rejects" };
    }
    if (!hasMax && !hasMin) {
        // policy/v1 has no default: the controller then requires no pod to stay healthy.
        return { allowed: replicas, how: `it sets neither maxUnavailable nor minAvailable, which lets all ${replicas} replicas go` };
    }
    const field = hasMax ? "maxUnavailable" : "minAvailable";
    const parsed = parseIntOrPercent(field, hasMax ? spec!.maxUnavailable : spec!.minAvailable);
    if ("error" in parsed) return parsed;
    const scaled = parsed.percent ? Math.ceil((parsed.value * replicas) / 100) : parsed.value;
    const scaledNote = parsed.percent ? ` (rounded up to ${scaled})` : "";
    if (hasMax) {
        return {
            allowed: Math.min(replicas, scaled),
            how: `maxUnavailable ${show(parsed.value, parsed)} of ${plural(replicas, "replica")}${scaledNote}`,
        };
    }
    return {
        allowed: Math.max(0, replicas - scaled),
        how: `minAvailable ${show(parsed.value, parsed)} of ${plural(replicas, "replica")}${scaledNote}`,
    };
}

interface Pdb {
    resource: PolicyResource;
    name: string;
    namespace: string;
    spec: any;
    v1beta1: boolean;
}

/**
 * Every StatefulSet has exactly one policy/v1 PodDisruptionBudget in its namespace whose selector
 * matches its pods, allowing at least one and at most maxUnavailable voluntary disruptions.
 *
 * @severity high
 * @topics availability, operations
 */
export function podDisruptionBudget(
    enforcementLevel: EnforcementLevel = DEFAULT_ENFORCEMENT,
    config: Partial<PdbConfig> = {},
): StackValidationPolicy {
    const defaults: PdbConfig = { ...PDB_DEFAULTS, ...config };
    return {
        name: POD_DISRUPTION_BUDGET,
        description:
            "Every StatefulSet has exactly one policy/v1 PodDisruptionBudget in its namespace whose selector matches its pods, allowing at least one and at most maxUnavailable voluntary disruptions.",
        enforcementLevel,
        severity: "high",
        tags: ["availability", "operations"],
        configSchema: configSchema(defaults, {
            maxUnavailable: {
                type: "integer",
                minimum: 1,
                description: "The most voluntary disruptions a StatefulSet's PodDisruptionBudget may allow at once.",
            },
        }),
        validateStack: (args, reportViolation) => {
            const cfg = resolveConfig(defaults, args.getConfig<object>());
            const pdbs: Pdb[] = args.resources
                .filter((r) => r.type === TYPES.pdb || r.type === TYPES.pdbV1beta1)
                .map((r) => ({
                    resource: r,
                    name: r.props?.metadata?.name || r.name,
                    namespace: r.props?.metadata?.namespace || DEFAULT_NAMESPACE,
                    spec: r.props?.spec ?? {},
                    v1beta1: r.type === TYPES.pdbV1beta1,
                }));

            for (const r of args.resources.filter((x) => x.type === TYPES.statefulSet)) {
                const sts = statefulSetView(r.props, r.name);
                const report = (found: string, fix: string) => reportViolation(violation(sts.subject, POD_DISRUPTION_BUDGET, found, fix), r.urn);
                const wanted = `one policy/v1 PodDisruptionBudget in namespace ${sts.namespace} with selector ${describeSelector(sts.selector)} and maxUnavailable: ${cfg.maxUnavailable}`;
                const selecting = pdbs.filter((p) => selectorMatches(p.spec.selector, sts.templateLabels));
                const here = selecting.filter((p) => p.namespace === sts.namespace);

                if (here.length === 0) {
                    const notes: string[] = [];
                    const elsewhere = selecting.filter((p) => p.namespace !== sts.namespace);
                    if (elsewhere.length > 0) {
                        notes.push(
                            `${elsewhere.map((p) => `${p.namespace}/${p.name}`).join(", ")} selects them from another namespace, ` +
                                `but a PodDisruptionBudget covers only pods in its own namespace`,
                        );
                    }
                    for (const p of pdbs.filter((x) => x.namespace === sts.namespace && !selecting.includes(x))) {
                        notes.push(`${p.namespace}/${p.name} selects ${describeSelector(p.spec.selector)}, which matches none of them`);
                    }
                    report(
                        `no PodDisruptionBudget in namespace ${sts.namespace} selects its pods (${describeLabels(sts.templateLabels)}), ` +
                            `so a node drain may evict all of them at once` +
                            (notes.length > 0 ? ` (${notes.join("; ")})` : ""),
                        `create ${wanted}`,
                    );
                    continue;
                }
                if (here.length > 1) {
                    report(
                        `${here.length} PodDisruptionBudgets select its pods (${here.map((p) => p.name).join(", ")}); ` +
                            `the eviction API refuses to evict a pod covered by more than one, so node drains stall`,
                        `keep exactly one`,
                    );
                    continue;
                }

                const pdb = here[0];
                if (pdb.v1beta1) {
                    report(`its PodDisruptionBudget ${pdb.name} is policy/v1beta1, which Kubernetes 1.25 removed`, `use policy/v1`);
                }
                // Nothing to disrupt: a StatefulSet scaled to zero neither blocks nor risks a drain.
                if (!(sts.replicas > 0)) continue;
                const result = allowedDisruptions(pdb.spec, sts.replicas);
                if ("error" in result) {
                    report(`its PodDisruptionBudget ${pdb.name} is invalid: ${result.error}`, `set only maxUnavailable: ${cfg.maxUnavailable}`);
                } else if (result.allowed < 1) {
                    report(
                        `its PodDisruptionBudget ${pdb.name} allows 0 voluntary disruptions (${result.how}), ` +
                            `so every node drain blocks until someone deletes a pod by hand`,
                        `use maxUnavailable: ${cfg.maxUnavailable} instead`,
                    );
                } else if (result.allowed > cfg.maxUnavailable) {
                    report(
                        `its PodDisruptionBudget ${pdb.name} allows ${result.allowed} voluntary disruptions (${result.how}), ` +
                            `more than the ${cfg.maxUnavailable} this policy allows`,
                        `use maxUnavailable: ${cfg.maxUnavailable}`,
                    );
                }
            }
        },
    };
}
