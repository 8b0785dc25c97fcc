// Builds the arguments @pulumi/policy 1.21 hands a policy, so unit tests run the kafka-guardrails
// rules the way the engine does: props behind the pack's own unknown-checking proxy, options
// shaped like PolicyResourceOptions, notApplicable() that throws, and policy config reconciled the
// way the CLI does (schema defaults, then "all", then each policy's own values).
import * as path from "path";
import type {
    EnforcementLevel,
    Policies,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "../../policies/rules/common";
import { PROJECT_NAME } from "../../components/project";
import type { ProgramRun } from "./program";

const POLICIES_DIR = path.resolve(__dirname, "..", "..", "policies");

// The proxy module has no imports; it is loaded from the pack's own node_modules, so tests see
// props exactly as the pack does without loading a second copy of @pulumi/pulumi.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { unknownCheckingProxy } = require(require.resolve("@pulumi/policy/proxy", { paths: [POLICIES_DIR] })) as {
    unknownCheckingProxy<T>(value: T): T;
};

/** Thrown by args.notApplicable(), as the engine's server does; the runners below catch it. */
export class NotApplicable extends Error {
    constructor(public readonly reason?: string) {
        super(reason ?? "Policy does not apply");
        this.name = "NotApplicable";
    }
}

/** A resource as a test describes it; everything but type and props has a default. */
export interface ResourceInput {
    type: string;
    props: Record<string, any>;
    /** The Pulumi resource name. Defaults to metadata.name. */
    name?: string;
    urn?: string;
    opts?: Partial<PolicyResourceOptions>;
}

export function resourceOptions(opts: Partial<PolicyResourceOptions> = {}): PolicyResourceOptions {
    return {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...opts,
    };
}

export function urnOf(type: string, name: string, stack = "dev", project = PROJECT_NAME): string {
    return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

function nameOf(input: ResourceInput): string {
    return input.name ?? input.props?.metadata?.name ?? "unnamed";
}

// The server's isType: the class's __pulumiType, else its isInstance.
function isTypeOf(type: string, resourceClass: any): boolean {
    const token = resourceClass?.__pulumiType;
    if (typeof token === "string" && token.length > 0) return type === token;
    return typeof resourceClass?.isInstance === "function" && resourceClass.isInstance({ __pulumiType: type }) === true;
}

const throwNotApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
};

/**
 * A resource as a policy sees it, in either of @pulumi/policy's two shapes (ResourceValidationArgs,
 * a PolicyResource): props behind the pack's proxy, its name, URN, options and the type checks.
 */
function resourceView(input: ResourceInput) {
    const props = unknownCheckingProxy(input.props);
    const name = nameOf(input);
    return {
        type: input.type,
        props,
        urn: input.urn ?? urnOf(input.type, name),
        name,
        opts: resourceOptions(input.opts),
        isType: (resourceClass: any) => isTypeOf(input.type, resourceClass),
        asType: (resourceClass: any) => (isTypeOf(input.type, resourceClass) ? props : undefined),
    };
}

/** ResourceValidationArgs for one resource, with `config` as what getConfig() returns. */
export function resourceArgs(input: ResourceInput, config: object = {}): ResourceValidationArgs {
    const view = resourceView(input);
    return {
        ...view,
        asType: view.asType as ResourceValidationArgs["asType"],
        stackTags: new Map(),
        getConfig: <T extends object>() => ({ ...config }) as T,
        notApplicable: throwNotApplicable,
    };
}

/** A PolicyResource, as StackValidationArgs.resources holds them. */
export function policyResource(input: ResourceInput): PolicyResource {
    const view = resourceView(input);
    return { ...view, asType: view.asType as PolicyResource["asType"], dependencies: [], propertyDependencies: {} };
}

export function stackArgs(resources: Array<ResourceInput | PolicyResource>, config: object = {}): StackValidationArgs {
    return {
        resources: resources.map((r) => ("dependencies" in r ? r : policyResource(r))),
        stackTags: new Map(),
        getConfig: <T extends object>() => ({ ...config }) as T,
        notApplicable: throwNotApplicable,
    };
}

export interface Violation {
    policy: string;
    enforcementLevel: EnforcementLevel;
    message: string;
    urn?: string;
}

/** A reportViolation that keeps what it is told. */
export function collector(policy = "", enforcementLevel: EnforcementLevel = "mandatory") {
    const violations: Violation[] = [];
    const report: ReportViolation = (message: string, urn?: string) => {
        violations.push({ policy, enforcementLevel, message, urn });
    };
    return { report, violations, messages: () => violations.map((v) => v.message) };
}

/** What one policy said about its input. */
export interface Outcome {
    violations: string[];
    /** The reason given to notApplicable(), when the policy skipped the input. */
    notApplicable?: string;
    /** The URNs reported with each violation (stack policies). */
    urns: Array<string | undefined>;
}

async function outcome(run: (report: ReportViolation) => Promise<void> | void, policy: string): Promise<Outcome> {
    const c = collector(policy);
    try {
        await run(c.report);
    } catch (err) {
        if (err instanceof NotApplicable) {
            return { violations: c.messages(), notApplicable: err.reason ?? "", urns: c.violations.map((v) => v.urn) };
        }
        throw err;
    }
    return { violations: c.messages(), urns: c.violations.map((v) => v.urn) };
}

/** Run a resource policy's validations on one resource, with `config` as its policy config. */
export function validateResource(policy: ResourceValidationPolicy, input: ResourceInput, config: object = {}): Promise<Outcome> {
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    return outcome(async (report) => {
        for (const validate of validations) {
            await validate(resourceArgs(input, config), report);
        }
    }, policy.name);
}

/** Run a stack policy on a set of resources, with `config` as its policy config. */
export function validateStack(policy: StackValidationPolicy, resources: Array<ResourceInput | PolicyResource>, config: object = {}): Promise<Outcome> {
    return outcome((report) => policy.validateStack(stackArgs(resources, config), report), policy.name);
}

/** Policy pack config as `--policy-pack-config` takes it: a level, or an object with one and properties. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface ReconciledConfig {
    enforcementLevel: EnforcementLevel;
    properties: Record<string, unknown>;
}

/**
 * The config each policy runs with, as the CLI reconciles it: the schema's defaults, then the
 * "all" level, then each policy's own level and properties on top.
 */
export function reconcileConfig(policies: Policies, packConfig: PackConfig = {}): Map<string, ReconciledConfig> {
    const result = new Map<string, ReconciledConfig>();
    const all = packConfig.all;
    const allLevel = typeof all === "string" ? all : all?.enforcementLevel;
    for (const p of policies) {
        const properties: Record<string, unknown> = {};
        for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            if (typeof schema === "object" && schema.default !== undefined) properties[key] = schema.default;
        }
        let enforcementLevel: EnforcementLevel = allLevel ?? p.enforcementLevel ?? "advisory";
        const given = packConfig[p.name];
        if (typeof given === "string") {
            enforcementLevel = given;
        } else if (given) {
            const { enforcementLevel: level, ...rest } = given;
            if (level) enforcementLevel = level;
            Object.assign(properties, rest);
        }
        result.set(p.name, { enforcementLevel, properties });
    }
    return result;
}

/**
 * Run a whole pack over a stack's resources the way the engine does: every resource policy on
 * every resource, every stack policy once, disabled policies skipped.
 */
export async function runPack(policies: Policies, resources: PolicyResource[], packConfig: PackConfig = {}): Promise<Violation[]> {
    const config = reconcileConfig(policies, packConfig);
    const found: Violation[] = [];
    for (const p of policies) {
        const { enforcementLevel, properties } = config.get(p.name)!;
        if (enforcementLevel === "disabled") continue;
        // A resource policy's violations always carry the resource's URN; a stack policy names its own.
        const keep = (o: Outcome, resourceUrn?: string) =>
            o.violations.forEach((message, i) => found.push({ policy: p.name, enforcementLevel, message, urn: resourceUrn ?? o.urns[i] }));
        if ("validateStack" in p) {
            keep(await validateStack(p, resources, properties));
        } else {
            for (const r of resources) {
                keep(await validateResource(p, { type: r.type, props: r.props, name: r.name, urn: r.urn, opts: r.opts }, properties), r.urn);
            }
        }
    }
    return found;
}

/** Resource options the mock monitor saw, which MockResourceArgs does not carry. */
export interface RecordedOptions {
    urn: string;
    parent?: string;
    protect: boolean;
}

/**
 * Record each registered resource's URN, parent and `protect` while a program runs under mocks,
 * by wrapping the mock monitor's registerResource. Call restore() when done.
 */
export function recordResourceOptions() {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
    const original = MockMonitor.prototype.registerResource;
    const seen = new Map<string, RecordedOptions>();
    MockMonitor.prototype.registerResource = function (this: any, req: any, callback: any) {
        seen.set(`${req.getType()}::${req.getName()}`, {
            urn: this.newUrn(req.getParent(), req.getType(), req.getName()),
            parent: req.getParent() || undefined,
            protect: req.getProtect() === true,
        });
        return original.call(this, req, callback);
    };
    return {
        get: (type: string, name: string) => seen.get(`${type}::${name}`),
        restore: () => {
            MockMonitor.prototype.registerResource = original;
        },
    };
}

/** The resources a program run registered, as the stack policy sees them. */
export function programResources(run: ProgramRun, options?: { get(type: string, name: string): RecordedOptions | undefined }): PolicyResource[] {
    return run.resources.map((r) => {
        const recorded = options?.get(r.type, r.name);
        return policyResource({
            type: r.type,
            props: r.inputs ?? {},
            name: r.name,
            urn: recorded?.urn,
            opts: { protect: recorded?.protect ?? false, parent: recorded?.parent },
        });
    });
}
