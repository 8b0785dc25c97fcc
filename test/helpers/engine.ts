// Real-engine test helpers: each test stack lives in a scratch copy of the project (so test stack
// config never lands in the repo) with its own file backend, driven through the Automation API.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_NAME } from "../../components/project";
import { inlineProgram as stacksInlineProgram } from "../../stacks/workspace";

export const ROOT = path.resolve(__dirname, "..", "..");
export const POLICY_PACK = path.join(ROOT, "policies");
export const POLICY_CONFIG = (env: "dev" | "prod") => path.join(POLICY_PACK, "config", `${env}.json`);

const PROJECT_FILES = ["index.ts", "program.ts", "components", "rollout", "Pulumi.yaml", "package.json", "tsconfig.json"];

/** The program as the stacks/ commands run it: an inline program, loaded fresh for each operation. */
export const inlineProgram = stacksInlineProgram(ROOT);

/** Fail loudly when the toolchain is not on PATH: this tier never falls back to mocks. */
export async function pulumiCommand(): Promise<PulumiCommand> {
    const cacheBin = process.env.KAFKA_PLATFORM_PULUMI_PREFIX ? path.join(process.env.KAFKA_PLATFORM_PULUMI_PREFIX, "bin") : undefined;
    if (!process.env.PULUMI_BACKEND_URL || !cacheBin || !fs.existsSync(path.join(cacheBin, "pulumi"))) {
        throw new Error(
            "the engine tier needs the toolchain built by `npm run toolchain` and its environment: run it as `scripts/env.sh npm run test:engine`",
        );
    }
    return PulumiCommand.get({ root: path.dirname(cacheBin), skipVersionCheck: false });
}

export interface TestProject {
    dir: string;
    backend: string;
    cleanup(): void;
}

/** A scratch copy of the project with node_modules linked and a backend of its own. */
export function scratchProject(label: string): TestProject {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kafka-platform-${label}-`));
    for (const f of PROJECT_FILES) {
        fs.cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const backend = path.join(dir, ".state");
    fs.mkdirSync(backend);
    return { dir, backend, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface StackHandle {
    stack: Stack;
    events: EngineEvent[];
    project: TestProject;
}

/**
 * A new stack in a scratch project. `config` holds this project's keys as objects
 * (`{ kafka: { partition: 2 } }`); `extra` holds other full keys (`kubernetes:context`).
 */
export async function newStack(
    label: string,
    config: Record<string, unknown>,
    opts: { extra?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<StackHandle> {
    const project = scratchProject(label);
    const pulumiCmd = await pulumiCommand();
    const stack = await LocalWorkspace.createStack(
        { stackName: label, projectName: PROJECT_NAME, program: inlineProgram },
        {
            pulumiCommand: pulumiCmd,
            workDir: project.dir,
            envVars: {
                PULUMI_BACKEND_URL: `file://${project.backend}`,
                PULUMI_CONFIG_PASSPHRASE: "engine-tier",
                ...(opts.env ?? {}),
            },
        },
    );
    await setProjectConfig(stack, config);
    for (const [key, value] of Object.entries(opts.extra ?? {})) {
        await stack.setConfig(key, { value });
    }
    return { stack, events: [], project };
}

/** Write this project's config into the stack's settings file as structured values. */
export async function setProjectConfig(stack: Stack, config: Record<string, unknown>) {
    const settings = path.join(stack.workspace.workDir, `Pulumi.${stack.name}.yaml`);
    const doc: any = (fs.existsSync(settings) ? yaml.load(fs.readFileSync(settings, "utf8")) : undefined) ?? {};
    doc.config = doc.config ?? {};
    for (const [key, value] of Object.entries(config)) {
        doc.config[`kafka-platform:${key}`] = value;
    }
    fs.writeFileSync(settings, yaml.dump(doc));
}

/** Set one structured value the way users do: `pulumi config set --path kafka.partition 2`. */
export async function setPath(stack: Stack, keyPath: string, value: string) {
    await stack.setConfig(`kafka-platform:${keyPath}`, { value }, true);
}

export function policyViolations(events: EngineEvent[]) {
    return events.filter((e) => e.policyEvent).map((e) => e.policyEvent!);
}

/** The URNs and operations the engine reported for resources, in order. */
export function steps(events: EngineEvent[]) {
    return events.filter((e) => e.resourcePreEvent).map((e) => ({ op: e.resourcePreEvent!.metadata.op, urn: e.resourcePreEvent!.metadata.urn }));
}

export async function resourceCount(stack: Stack): Promise<number> {
    const state = await stack.exportStack();
    return (state.deployment?.resources ?? []).filter((r: any) => r.type !== "pulumi:pulumi:Stack").length;
}
