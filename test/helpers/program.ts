// Runs the real program (index.ts) under Pulumi mocks and returns what it registered.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT_NAME } from "../../components/project";
import { forgetProgramModules } from "../../stacks/workspace";

export interface RegisteredResource {
    type: string;
    name: string;
    inputs: any;
    provider?: string;
}

const ROOT = path.resolve(__dirname, "..", "..");

/** What the mocked @pulumi/random RandomId generates: 16 bytes of 0xff, so tests can derive the cluster id by hand. */
export const MOCK_RANDOM_ID_HEX = "ff".repeat(16);

/** Resolve an Output (or a plain value) to its value. */
export function unwrap<T>(value: pulumi.Input<T> | undefined): Promise<T> {
    return new Promise((resolve) => pulumi.output(value as pulumi.Input<T>).apply((v) => resolve(v as T)));
}

/**
 * Mocks that record every registered resource, the project config (keys without the
 * `kafka-platform:` prefix; rendering forced with renderDir so no cluster is touched) and fresh
 * program modules, so the next require of index.ts runs the program again.
 */
function prepareRun(
    config: Record<string, unknown>,
    opts: { stack?: string; extraConfig?: Record<string, string>; preview?: boolean } = {},
): RegisteredResource[] {
    const resources: RegisteredResource[] = [];
    pulumi.runtime.setMocks(
        {
            newResource: (args: pulumi.runtime.MockResourceArgs) => {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
                // The random provider cannot run here: the mock plays it, with fixed bytes.
                if (args.type === "random:index/randomId:RandomId") {
                    return { id: `${args.name}-id`, state: { ...args.inputs, hex: MOCK_RANDOM_ID_HEX } };
                }
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
        },
        PROJECT_NAME,
        opts.stack ?? "dev",
        opts.preview ?? false,
    );
    const all: Record<string, string> = { "kafka-platform:renderDir": "/tmp/kafka-platform-unit-render", ...(opts.extraConfig ?? {}) };
    for (const [key, value] of Object.entries(config)) {
        all[`kafka-platform:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(all);
    forgetProgramModules(ROOT);
    return resources;
}

export interface ProgramRun {
    resources: RegisteredResource[];
    outputs: Record<string, unknown>;
    /** The first registered resource of a type with a given Kubernetes metadata.name. */
    object(type: string, name: string): RegisteredResource;
}

/**
 * Run index.ts with the given project config (keys without the `kafka-platform:` prefix) and
 * optional other config (full keys). Rendering is forced with renderDir so no cluster is touched.
 */
export async function runProgram(
    config: Record<string, unknown>,
    opts: { stack?: string; extraConfig?: Record<string, string>; preview?: boolean } = {},
): Promise<ProgramRun> {
    const resources = prepareRun(config, opts);
    // Through index.ts, the entry the language host loads: it exports the program function.
    const program: () => Promise<Record<string, unknown>> = require(path.join(ROOT, "index.ts"));
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(await program())) {
        outputs[key] = await unwrap(value as pulumi.Input<unknown>);
    }
    // Resource registration is asynchronous: wait until no new resource arrives.
    let seen = -1;
    while (seen !== resources.length) {
        seen = resources.length;
        await new Promise((r) => setTimeout(r, 50));
    }
    return {
        resources,
        outputs,
        object(type: string, name: string) {
            const found = resources.find((r) => r.type === type && r.inputs?.metadata?.name === name);
            if (!found) throw new Error(`no ${type} named ${name} was registered (got ${resources.map((r) => `${r.type}/${r.inputs?.metadata?.name ?? r.name}`).join(", ")})`);
            return found;
        },
    };
}

/** Run the program expecting it to fail; returns the error and what was registered before it. */
export async function runProgramExpectingError(config: Record<string, unknown>): Promise<{ error: Error; resources: RegisteredResource[] }> {
    const resources = prepareRun(config);
    try {
        await require(path.join(ROOT, "index.ts"))();
    } catch (error) {
        await new Promise((r) => setTimeout(r, 100));
        return { error: error as Error, resources };
    }
    throw new Error("the program accepted the config");
}
