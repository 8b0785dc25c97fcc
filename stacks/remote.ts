// `--remote`: each stage runs as a Pulumi Deployment (RemoteWorkspace), from the git repository.
//
// A remote stack reads its config from the repository's Pulumi.<stack>.yaml, so the stage's
// partition is set inside the deployment by pre-run commands (`pulumi config set --path
// kafka.partition N`). The Automation API cannot pass --policy-pack to a remote operation (neither
// RemoteWorkspaceOptions nor RemoteUpOptions has it), so the pre-run commands also run
// `pulumi preview` with the pack and the stage's policy config (previous partition included): if a
// policy fails, the pre-run command fails and the deployment stops before its own preview or
// update. Packs enforced by a Pulumi Cloud policy group apply on top, as always.
//
// The deployed partition is read from the stack's kafkaPartition output, since the repository file
// does not change while stages run. Gates run where the driver runs, against the cluster in the
// local kubeconfig. Tested against a fake RemoteWorkspace only: there is no Pulumi Cloud here.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { shellQuote } from "../components/shell";
import {
    OutputMap,
    PreviewResult,
    RemoteGitAuthArgs,
    RemoteGitProgramArgs,
    RemotePreviewOptions,
    RemoteUpOptions,
    RemoteWorkspace,
    RemoteWorkspaceOptions,
    UpResult,
} from "@pulumi/pulumi/automation";
import { PolicyConfig } from "./policy-config";
import { OperationIO, OperationReport, OperationResult, RolloutWorkspace, StackState, StageRequest, shortStackName, stackStateFrom } from "./workspace";

/** The RemoteStack methods the driver uses. */
export interface RemoteStackLike {
    readonly name: string;
    preview(opts?: RemotePreviewOptions): Promise<PreviewResult>;
    up(opts?: RemoteUpOptions): Promise<UpResult>;
    outputs(): Promise<OutputMap>;
    cancel(): Promise<void>;
}

export type RemoteStackFactory = (args: RemoteGitProgramArgs, opts: RemoteWorkspaceOptions) => Promise<RemoteStackLike>;

/**
 * The real factory: RemoteWorkspace.selectStack. A rollout works on a stack that exists; creating
 * one in Pulumi Cloud as a side effect of a typo would be wrong.
 */
export const selectRemoteStack: RemoteStackFactory = (args, opts) => RemoteWorkspace.selectStack(args, opts);

export interface RemoteSource {
    /** The git repository the deployments check out. */
    url: string;
    branch?: string;
    commitHash?: string;
    /** Folder of Pulumi.yaml inside the repository; the root by default. */
    projectPath?: string;
    auth?: RemoteGitAuthArgs;
}

export interface RemoteRolloutWorkspaceOptions {
    /** Fully qualified: org/kafka-platform/prod (RemoteWorkspace requires it). */
    stackName: string;
    source: RemoteSource;
    /** A checkout of the same branch, to read Pulumi.<stack>.yaml (replicas, namespace, kubeconfig). */
    workDir: string;
    /** Environment variables for the deployments (secrets as {secret}). */
    envVars?: RemoteWorkspaceOptions["envVars"];
    /** The policy pack folder relative to the repository root. Defaults to "policies". */
    packDir?: string;
    factory?: RemoteStackFactory;
}

/** Single-quote a string for sh. */
export { shellQuote };

/** Where the pre-run commands put the stage's policy config inside the deployment. */
export const REMOTE_POLICY_CONFIG_FILE = "/tmp/kafka-guardrails-policy-config.json";

/** Install the program's and the pack's dependencies (the executor installs only the project's, and perhaps later). */
export function dependencyCommands(packDir = "policies"): string[] {
    return ["npm ci", `npm ci --prefix ${packDir}`];
}

/** A `pulumi preview` with the pack and a config file: a policy violation fails the command. */
export function policyPreviewCommand(stack: string, packDir = "policies", configFile = REMOTE_POLICY_CONFIG_FILE): string {
    return `pulumi preview --stack ${stack} --policy-pack ${packDir} --policy-pack-config ${configFile} --non-interactive`;
}

/**
 * The pre-run commands of one stage's deployment: set the partition in the checked-out stack
 * config, write the stage's policy config, and preview with the pack.
 */
export function stagePreRunCommands(a: { stack: string; partition: number; policyConfig: PolicyConfig; packDir?: string }): string[] {
    const pack = a.packDir ?? "policies";
    return [
        ...dependencyCommands(pack),
        `pulumi config set --path kafka.partition ${a.partition} --stack ${a.stack}`,
        `printf '%s\\n' ${shellQuote(JSON.stringify(a.policyConfig))} > ${REMOTE_POLICY_CONFIG_FILE}`,
        policyPreviewCommand(a.stack, pack),
    ];
}

/** A stack's config as `pulumi config --json` flattens it, read from Pulumi.<stack>.yaml. Secrets are left out. */
export function readStackConfigFile(file: string): Record<string, string> {
    if (!fs.existsSync(file)) throw new Error(`${file} does not exist: remote mode reads the stack's config from a checkout of the deployed branch (--work-dir)`);
    const doc = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        if (value && typeof value === "object" && "secure" in (value as object)) continue;
        out[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return out;
}

export class RemoteRolloutWorkspace implements RolloutWorkspace {
    readonly mode = "remote" as const;
    private partition: number | undefined;
    private running: RemoteStackLike | undefined;
    private readonly factory: RemoteStackFactory;

    constructor(private readonly o: RemoteRolloutWorkspaceOptions) {
        if (o.stackName.split("/").length !== 3) {
            throw new Error(`--stack ${o.stackName}: remote mode needs a fully qualified stack name, e.g. acme/kafka-platform/${o.stackName}`);
        }
        this.factory = o.factory ?? selectRemoteStack;
    }

    get stackName() {
        return this.o.stackName;
    }

    get configFile() {
        return path.join(this.o.workDir, `Pulumi.${shortStackName(this.o.stackName)}.yaml`);
    }

    private git(): RemoteGitProgramArgs {
        const s = this.o.source;
        return { stackName: this.o.stackName, url: s.url, branch: s.commitHash ? undefined : (s.branch ?? "main"), commitHash: s.commitHash, projectPath: s.projectPath, auth: s.auth };
    }

    async read(): Promise<StackState> {
        const all = readStackConfigFile(this.configFile);
        const stack = await this.factory(this.git(), { envVars: this.o.envVars });
        const outputs = await stack.outputs().catch(() => undefined);
        const state = stackStateFrom(all, outputs);
        // The repository file is not changed by remote stages: what is deployed is where the rollout is.
        return { ...state, partition: state.deployedPartition ?? state.partition };
    }

    async setPartition(partition: number): Promise<void> {
        // Applied by the next deployment's pre-run commands.
        this.partition = partition;
    }

    preview(req: StageRequest, io: OperationIO): Promise<OperationResult> {
        return this.operate("preview", req, io);
    }

    up(req: StageRequest, io: OperationIO): Promise<OperationResult> {
        return this.operate("up", req, io);
    }

    async cancel(): Promise<void> {
        await this.running?.cancel();
    }

    private async operate(kind: "preview" | "up", req: StageRequest, io: OperationIO): Promise<OperationResult> {
        const partition = this.partition ?? req.partition;
        const stack = await this.factory(this.git(), {
            envVars: this.o.envVars,
            preRunCommands: stagePreRunCommands({ stack: this.o.stackName, partition, policyConfig: req.policyConfig, packDir: this.o.packDir }),
            skipInstallDependencies: false,
            // Everything the stage needs is given here; the stack's own settings stay for push-to-deploy.
            inheritSettings: false,
        });
        this.running = stack;
        const report = new OperationReport(io.onOutput);
        try {
            const opts = { onOutput: report.onOutput, onEvent: report.onEvent };
            const changes = kind === "preview" ? (await stack.preview(opts)).changeSummary : (await stack.up(opts)).summary.resourceChanges;
            return { ok: true, reasons: [], warnings: report.warnings, changes: changes as Record<string, number> };
        } catch (err) {
            return { ok: false, reasons: report.failure(err), warnings: report.warnings };
        } finally {
            this.running = undefined;
        }
    }
}
