// Plumbing shared by the rules: the Kubernetes types they look at, a read-only view of a
// StatefulSet's props with the API server's defaults applied, policy config resolution and the
// one message format every rule uses.
//
// Only types come from @pulumi/policy here, so the rules load (and unit-test) without the
// policy runtime; index.ts is the one place that imports it for real.
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
} from "@pulumi/policy";
import { App, LabelSelector, selectorLabels, selectorMatches } from "../platform";

export type {
    EnforcementLevel,
    Policies,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

/** Pulumi type tokens of the Kubernetes objects the rules read. */
export const TYPES = {
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    job: "kubernetes:batch/v1:Job",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    // Removed from Kubernetes in 1.25; still read so that a stack carrying one is told so.
    pdbV1beta1: "kubernetes:policy/v1beta1:PodDisruptionBudget",
} as const;

/** Every policy starts mandatory: the product brief's default, relaxed per stack by policy config. */
export const DEFAULT_ENFORCEMENT: EnforcementLevel = "mandatory";

/** A JSON schema for one config property (the element type of PolicyConfigSchema.properties). */
export type ConfigProperty = PolicyConfigSchema["properties"][string];

/** The namespace the API server puts an object in when metadata.namespace is missing. */
export const DEFAULT_NAMESPACE = "default";

/** What the rules read from a StatefulSet, with the API server's defaults applied. */
export interface StatefulSetView {
    /** metadata.name, or the Pulumi resource name when the provider will auto-name it. */
    name: string;
    namespace: string;
    /** "StatefulSet <namespace>/<name>", the way every message names it. */
    subject: string;
    /** spec.replicas; Kubernetes defaults it to 1. */
    replicas: number;
    selector: LabelSelector | undefined;
    templateLabels: Record<string, string>;
    annotations: Record<string, string>;
    /** spec.template.spec. */
    podSpec: any;
    containers: any[];
    initContainers: any[];
    /** The platform workload whose selector labels the pod template carries, if any. */
    app: App | undefined;
    spec: any;
}

const APPS: App[] = ["kafka", "zk", "kafka-controller"];

/** The platform app a pod template belongs to, decided by the same labels the components select with. */
export function appOf(labels: Record<string, string>): App | undefined {
    return APPS.find((app) => selectorMatches({ matchLabels: selectorLabels(app) }, labels));
}

export function statefulSetView(props: Record<string, any>, resourceName: string): StatefulSetView {
    const metadata = props?.metadata ?? {};
    const spec = props?.spec ?? {};
    const podSpec = spec.template?.spec ?? {};
    const name: string = metadata.name || resourceName;
    const namespace: string = metadata.namespace || DEFAULT_NAMESPACE;
    const templateLabels: Record<string, string> = spec.template?.metadata?.labels ?? {};
    return {
        name,
        namespace,
        subject: `StatefulSet ${namespace}/${name}`,
        replicas: spec.replicas === undefined || spec.replicas === null ? 1 : Number(spec.replicas),
        selector: spec.selector ?? undefined,
        templateLabels,
        annotations: metadata.annotations ?? {},
        podSpec,
        containers: Array.isArray(podSpec.containers) ? podSpec.containers : [],
        initContainers: Array.isArray(podSpec.initContainers) ? podSpec.initContainers : [],
        app: appOf(templateLabels),
        spec,
    };
}

/** The stack config key that sets an app's value, for fixes that name it (`kafka.partition`). */
export function configKey(app: App | undefined, field: string): string | undefined {
    if (app === undefined) return undefined;
    const prefix: Record<App, string> = { kafka: "kafka", zk: "zookeeper", "kafka-controller": "kafka.controllers" };
    return `${prefix[app]}.${field}`;
}

/**
 * The one message format: who, which rule, what was found, how to fix it. The engine prints the
 * policy's description above it, so the message carries only the specifics.
 */
export function violation(subject: string, rule: string, found: string, fix: string): string {
    return `${subject} violates ${rule}: ${found}. Fix: ${fix}.`;
}

/** Labels the way `kubectl get -l` writes them: `app=kafka,tier=data`. */
export function describeLabels(labels: Record<string, string>): string {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    return pairs.length > 0 ? pairs.join(",") : "no labels";
}

/** A LabelSelector in `kubectl -l` syntax: `app=kafka`, `app in (kafka)`, `!legacy`. */
export function describeSelector(selector: LabelSelector | undefined | null): string {
    if (selector === undefined || selector === null) return "no selector";
    const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
    for (const req of selector.matchExpressions ?? []) {
        const values = `(${(req.values ?? []).join(", ")})`;
        switch (req.operator) {
            case "In":
                parts.push(`${req.key} in ${values}`);
                break;
            case "NotIn":
                parts.push(`${req.key} notin ${values}`);
                break;
            case "Exists":
                parts.push(req.key);
                break;
            case "DoesNotExist":
                parts.push(`!${req.key}`);
                break;
            default:
                parts.push(`${req.key} ${req.operator} ${values}`);
        }
    }
    return parts.length > 0 ? parts.join(",") : "{} (every pod)";
}

/**
 * The config a rule runs with: its factory's values, overlaid with the policy config the engine
 * passes (which already holds the schema defaults when the engine runs it). Keys set to null are
 * ignored so a config file cannot unset a threshold by accident.
 */
export function resolveConfig<C extends object>(defaults: C, given: object | undefined): C {
    const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
    for (const [key, value] of Object.entries(given ?? {})) {
        if (value !== undefined && value !== null) merged[key] = value;
    }
    return merged as C;
}

/** The properties of a config schema, each with its default taken from the factory's config. */
export function configSchema<C extends object>(config: C, properties: { [K in keyof C]: ConfigProperty }): PolicyConfigSchema {
    const withDefaults: Record<string, ConfigProperty> = {};
    for (const [key, schema] of Object.entries(properties) as Array<[string, ConfigProperty]>) {
        withDefaults[key] = { ...(schema as object), default: (config as Record<string, any>)[key] } as ConfigProperty;
    }
    return { properties: withDefaults };
}

/** A validateResource that runs `check` on StatefulSets and marks every other type not applicable. */
export function validateStatefulSets<C extends object>(
    defaults: C,
    check: (sts: StatefulSetView, config: C, report: (message: string) => void, args: ResourceValidationArgs) => void,
): ResourceValidation {
    return (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type !== TYPES.statefulSet) {
            args.notApplicable(`applies to ${TYPES.statefulSet} only`);
        }
        check(statefulSetView(args.props, args.name), resolveConfig(defaults, args.getConfig<object>()), (m) => reportViolation(m), args);
    };
}

/** The shell text a container runs: command and args joined, as a `sh -c` script reads. */
export function containerScript(container: any): string {
    const parts = [...(Array.isArray(container?.command) ? container.command : []), ...(Array.isArray(container?.args) ? container.args : [])];
    return parts.filter((p) => typeof p === "string").join(" ");
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
