// What the rollout driver needs from a stack, and the real thing: a LocalWorkspace Stack of this
// project (Pulumi.yaml in the work dir), run with the kafka-guardrails policy pack. The remote
// variant (Pulumi Deployments) is in remote.ts; tests use fakes of the same interface.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigMap, EngineEvent, LocalWorkspace, OutputMap, PreviewOptions, PulumiFn, Stack, UpOptions } from "@pulumi/pulumi/automation";
import { CONFIG_NAMESPACE, PlatformConfig, parseConfig, projectConfig } from "../components/config";
import { PROJECT_NAME } from "../components/project";
import { MIGRATION_PHASES, MigrationPhase, MigrationStep, configuredStep } from "../components/migration";
import { clusterTarget } from "../components/target";
import type { KubeconfigSource } from "../rollout/kube";
import { PolicyConfig } from "./policy-config";
import { isolatedPulumiCommand, runPulumiCommand } from "./pulumi-command";

/** The stack as the driver sees it before it starts. */
export interface StackState {
    config: PlatformConfig;
    /** kafka.partition in stack config. */
    partition: number;
    replicas: number;
    namespace: string;
    /** kafka.partition of the last successful update (the kafkaPartition stack output), if any. */
    deployedPartition?: number;
    /**
     * The ZooKeeper → KRaft migration step of the last successful update (the metadata and
     * migration stack outputs), and kafka.controllers.partition then (controllerPartition), if any.
     */
    deployedStep?: MigrationStep;
    deployedControllerPartition?: number;
    /** kafka.image and kafka.metadataVersion of the last successful update (the kafkaImage and metadataVersion outputs), if any. */
    deployedImage?: string;
    deployedMetadataVersion?: string;
    /** How to reach the cluster, as the program decides it; undefined when it renders YAML instead. */
    kubeconfig?: KubeconfigSource;
}

/** One stage's operation request. */
export interface StageRequest {
    partition: number;
    previousPartition: number;
    /** The policy config for the pack (environment file + step policy's previous partition). */
    policyConfig: PolicyConfig;
    /** Short name for files of this stage: "stage-2-partition-1". */
    label: string;
    /** The update's message in the stack history; the partition move by default. */
    message?: string;
}

export interface OperationIO {
    /** Each line of the operation's output. */
    onOutput?: (line: string) => void;
    /** Aborting asks the running operation to stop (SIGINT to the CLI). */
    signal?: AbortSignal;
}

export interface OperationResult {
    ok: boolean;
    /** Why it failed: mandatory policy violations, error diagnostics, or the CLI's last words. */
    reasons: string[];
    /** Advisory policy violations: shown, not fatal. */
    warnings: string[];
    /** Resource changes by kind ({same: 9, update: 1}). */
    changes?: Record<string, number>;
    /** The operation's full output. */
    logFile?: string;
    /** The policy config file it ran with. */
    policyConfigFile?: string;
}

export interface RolloutWorkspace {
    readonly stackName: string;
    readonly mode: "local" | "remote";
    /** The file holding the stack's config, for messages (Pulumi.dev.yaml). */
    readonly configFile: string;
    /** Where operation logs and generated policy configs go. */
    readonly logDir?: string;
    read(): Promise<StackState>;
    /** Set kafka.partition (local: in Pulumi.<stack>.yaml; remote: for the next deployments). */
    setPartition(partition: number): Promise<void>;
    preview(req: StageRequest, io: OperationIO): Promise<OperationResult>;
    up(req: StageRequest, io: OperationIO): Promise<OperationResult>;
    /** Cancel the running update (stack.cancel()). */
    cancel(): Promise<void>;
}

/** A resource in the stack's state, as `pulumi stack --show-urns` lists it. */
export interface StateResource {
    urn: string;
    protect: boolean;
}

/**
 * What the migration driver needs beyond a rollout: the other config keys a phase sets, and the
 * protect flag of the StatefulSets a phase deletes (the program never lifts it itself).
 */
export interface MigrationWorkspace extends RolloutWorkspace {
    /** `pulumi config set --path <key> <value>`: kafka.migration, kafka.metadata. */
    setConfigValue(key: string, value: string): Promise<void>;
    /** `pulumi config rm --path <key>`: kafka.controllers, which config refuses at kafka.migration none. */
    removeConfigValue(key: string): Promise<void>;
    /** The resource of this type whose name (the URN's last part) is `name`, e.g. `zk-statefulset`; undefined when not in state. */
    findResource(type: string, name: string): Promise<StateResource | undefined>;
    /** `pulumi state unprotect <urn> --yes`. */
    unprotect(urn: string): Promise<void>;
}

export { PROJECT_NAME };

/**
 * The project's program (program.ts's kafkaPlatform) as an Automation API inline program: the
 * engine runs it in this process, so no Node.js language host is needed. Each run loads the
 * program's modules afresh, as a second run of cached modules would register nothing.
 */
export function inlineProgram(workDir: string): PulumiFn {
    const root = path.resolve(workDir) + path.sep;
    return async () => {
        forgetProgramModules(root);
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        const program = require(path.join(root, "program.ts")) as { kafkaPlatform: () => Promise<Record<string, unknown>> | Record<string, unknown> };
        return program.kafkaPlatform();
    };
}

/** Drop the program's own modules (not node_modules, test/ or stacks/) from require's cache. */
export function forgetProgramModules(workDir: string): void {
    const root = path.resolve(workDir) + path.sep;
    for (const key of Object.keys(require.cache)) {
        const own = key.startsWith(root) && !/[\\/](node_modules|test|stacks)[\\/]/.test(key.slice(root.length - 1));
        if (own) delete require.cache[key];
    }
}

/** The short stack name (`prod` of `acme/kafka-platform/prod`), which names Pulumi.<stack>.yaml. */
export const shortStackName = (name: string) => name.split("/").pop() ?? name;

/**
 * The driver's view of a stack from its flat config (full keys → values as `pulumi config --json`
 * gives them) and outputs. Validates the project config exactly as the program does.
 */
export function stackStateFrom(all: Record<string, string>, outputs: OutputMap | undefined): StackState {
    const config = parseConfig(projectConfig(all, CONFIG_NAMESPACE));
    // The program's own rule (components/target.ts): a cluster when a kubeconfig is configured or found, unless renderDir.
    const kubeconfig = clusterTarget({ renderDir: config.renderDir, kubeconfig: all["kubernetes:kubeconfig"], context: all["kubernetes:context"] });
    const deployed = outputs?.kafkaPartition?.value;
    const controllers = outputs?.controllerPartition?.value;
    const image = outputs?.kafkaImage?.value;
    const metadataVersion = outputs?.metadataVersion?.value;
    return {
        config,
        partition: config.kafka.partition,
        replicas: config.kafka.replicas,
        namespace: config.namespace,
        deployedPartition: typeof deployed === "number" && Number.isInteger(deployed) ? deployed : undefined,
        deployedStep: deployedStep(outputs),
        deployedControllerPartition: typeof controllers === "number" && Number.isInteger(controllers) ? controllers : undefined,
        deployedImage: typeof image === "string" ? image : undefined,
        deployedMetadataVersion: typeof metadataVersion === "string" ? metadataVersion : undefined,
        kubeconfig,
    };
}

/** The migration step the outputs record: `migration` is exported only while a phase is set (absent: none). */
function deployedStep(outputs: OutputMap | undefined): MigrationStep | undefined {
    const metadata = outputs?.metadata?.value;
    const migration = outputs?.migration?.value ?? "none";
    if (metadata !== "zookeeper" && metadata !== "kraft") return undefined;
    if (!(MIGRATION_PHASES as readonly string[]).includes(migration)) return undefined;
    return configuredStep(metadata, migration as MigrationPhase);
}

/** ConfigMap ({key: {value, secret}}) → {key: value}. */
export const flattenConfig = (config: ConfigMap): Record<string, string> =>
    Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.value]));

/** Collects what an operation says about itself from the engine's events. */
export class OperationReport {
    readonly reasons: string[] = [];
    readonly warnings: string[] = [];
    private lineBuffer = "";
    /** Called at the first error diagnostic. */
    onFirstError?: () => void;

    constructor(private readonly onLine?: (line: string) => void) {}

    onEvent = (e: EngineEvent) => {
        const pe = e.policyEvent;
        if (pe) {
            const text = `${pe.policyPackName} ${pe.policyName} [${pe.enforcementLevel}]: ${pe.message.trim()}`;
            (pe.enforcementLevel === "mandatory" ? this.reasons : this.warnings).push(text);
        }
        const de = e.diagnosticEvent;
        if (de && de.severity === "error") {
            // Stack traces of the program's own errors say nothing to the operator.
            const text = de.message
                .split(/\r?\n/)
                .filter((l) => !/^\s+at /.test(l))
                .join("\n")
                .trim();
            if (text && !this.reasons.includes(text)) {
                if (this.reasons.length === 0) this.onFirstError?.();
                this.reasons.push(text);
            }
        }
    };

    onOutput = (chunk: string) => {
        this.lineBuffer += chunk;
        const lines = this.lineBuffer.split(/\r?\n/);
        this.lineBuffer = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) this.onLine?.(line);
    };

    /** The reasons, or else the last lines of the CLI's error. */
    failure(err: unknown): string[] {
        if (this.reasons.length > 0) return this.reasons;
        const text = err instanceof Error ? err.message : String(err);
        const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !/^(code|stdout|stderr|err\?):\s*$/.test(l));
        return [lines.slice(-6).join(" | ") || "the operation failed without a message"];
    }
}

/** The Stack methods the driver uses: a real Stack, or a fake in tests. */
export type StackLike = Pick<Stack, "name" | "getAllConfig" | "setConfig" | "preview" | "up" | "outputs" | "cancel"> &
    // Only the migration driver's state reads and `pulumi state unprotect` use these.
    Partial<Pick<Stack, "exportStack" | "workspace" | "removeConfig">>;

export interface LocalRolloutWorkspaceOptions {
    /** The project folder (Pulumi.yaml). */
    workDir: string;
    /** The policy pack folder (policies/). */
    packDir: string;
    /** Where logs and generated policy configs go; a temp folder by default. */
    logDir?: string;
    /**
     * How long an operation may go on after the engine reported an error before it is stopped
     * (SIGINT). Seen with the inline program: an update whose rollout awaiter failed printed the
     * error and then never exited. Defaults to 60 s.
     */
    exitAfterErrorSeconds?: number;
}

/** A LocalWorkspace stack of this project, run with the policy pack. */
export class LocalRolloutWorkspace implements MigrationWorkspace {
    readonly mode = "local" as const;
    readonly logDir: string;

    constructor(
        private readonly stack: StackLike,
        private readonly o: LocalRolloutWorkspaceOptions,
    ) {
        this.logDir = o.logDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `kafka-platform-${shortStackName(stack.name)}-`));
        fs.mkdirSync(this.logDir, { recursive: true });
    }

    /**
     * Select an existing stack (or with `create`, create it) of the project in workDir (its Pulumi.yaml and Pulumi.<stack>.yaml),
     * running the program inline, with the CLI in its own process group.
     */
    static async select(stackName: string, o: LocalRolloutWorkspaceOptions & { pulumiRoot?: string; create?: boolean }): Promise<LocalRolloutWorkspace> {
        const pulumiCommand = await isolatedPulumiCommand(o.pulumiRoot);
        const open = o.create ? LocalWorkspace.createOrSelectStack.bind(LocalWorkspace) : LocalWorkspace.selectStack.bind(LocalWorkspace);
        const stack = await open(
            { stackName, projectName: PROJECT_NAME, program: inlineProgram(o.workDir) },
            { workDir: o.workDir, pulumiCommand },
        );
        return new LocalRolloutWorkspace(stack, o);
    }

    get stackName() {
        return this.stack.name;
    }

    get configFile() {
        return path.join(this.o.workDir, `Pulumi.${shortStackName(this.stack.name)}.yaml`);
    }

    async read(): Promise<StackState> {
        const all = flattenConfig(await this.stack.getAllConfig());
        // A stack that was never updated has no outputs; that only means "nothing deployed yet".
        const outputs = await this.stack.outputs().catch(() => undefined);
        return stackStateFrom(all, outputs);
    }

    async setPartition(partition: number): Promise<void> {
        // `pulumi config set --path kafka.partition N`: structured config, stored as a number.
        await this.stack.setConfig("kafka.partition", { value: String(partition) }, true);
    }

    async setConfigValue(key: string, value: string): Promise<void> {
        await this.stack.setConfig(key, { value }, true);
    }

    async removeConfigValue(key: string): Promise<void> {
        if (!this.stack.removeConfig) throw new Error("this stack cannot remove config");
        await this.stack.removeConfig(key, true);
    }

    async findResource(type: string, name: string): Promise<StateResource | undefined> {
        if (!this.stack.exportStack) throw new Error("this stack cannot export its state");
        const resources: Array<{ urn: string; type: string; protect?: boolean }> = (await this.stack.exportStack()).deployment?.resources ?? [];
        const found = resources.find((r) => r.type === type && r.urn.endsWith(`::${name}`));
        return found && { urn: found.urn, protect: !!found.protect };
    }

    async unprotect(urn: string): Promise<void> {
        const ws = this.stack.workspace as LocalWorkspace | undefined;
        if (!ws) throw new Error("this stack has no workspace to run pulumi state unprotect in");
        await runPulumiCommand(ws.pulumiCommand, ["state", "unprotect", urn, "--yes", "--stack", this.stack.name], ws.workDir, ws.envVars);
    }

    /** Write the stage's policy config where the CLI can read it. */
    writePolicyConfig(req: StageRequest): string {
        const file = path.join(this.logDir, `${req.label}.policy-config.json`);
        fs.writeFileSync(file, JSON.stringify(req.policyConfig, null, 2) + "\n");
        return file;
    }

    preview(req: StageRequest, io: OperationIO): Promise<OperationResult> {
        return this.operate("preview", req, io);
    }

    up(req: StageRequest, io: OperationIO): Promise<OperationResult> {
        return this.operate("up", req, io);
    }

    async cancel(): Promise<void> {
        await this.stack.cancel();
    }

    private async operate(kind: "preview" | "up", req: StageRequest, io: OperationIO): Promise<OperationResult> {
        const policyConfigFile = this.writePolicyConfig(req);
        const logFile = path.join(this.logDir, `${req.label}.${kind}.log`);
        const log = fs.createWriteStream(logFile);
        const report = new OperationReport(io.onOutput);
        // The operation's own signal: the caller's (Ctrl-C twice), or ours when it hangs after an error.
        const abort = new AbortController();
        const forward = () => abort.abort();
        io.signal?.addEventListener("abort", forward, { once: true });
        if (io.signal?.aborted) abort.abort();
        const grace = this.o.exitAfterErrorSeconds ?? 60;
        let hung: NodeJS.Timeout | undefined;
        let stopped = false;
        report.onFirstError = () => {
            hung = setTimeout(() => {
                stopped = true;
                log.write(`\n[rollout] ${kind} reported an error and had not ended ${grace}s later: stopping it (SIGINT)\n`);
                abort.abort();
            }, grace * 1000);
        };
        const opts: PreviewOptions & UpOptions = {
            policyPacks: [this.o.packDir],
            policyPackConfigs: [policyConfigFile],
            color: "never",
            message: req.message ?? `rollout: kafka.partition ${req.previousPartition} → ${req.partition}`,
            onOutput: (s) => {
                log.write(s);
                report.onOutput(s);
            },
            onError: (s) => log.write(s),
            onEvent: report.onEvent,
            signal: abort.signal,
        };
        try {
            const changes =
                kind === "preview" ? (await this.stack.preview(opts)).changeSummary : (await this.stack.up(opts)).summary.resourceChanges;
            return { ok: true, reasons: [], warnings: report.warnings, changes: changes as Record<string, number>, logFile, policyConfigFile };
        } catch (err) {
            log.write(`\n${err instanceof Error ? err.message : String(err)}\n`);
            const reasons = report.failure(err);
            if (stopped) reasons.push(`pulumi ${kind} reported the error above and had not ended ${grace}s later, so it was stopped (SIGINT)`);
            return { ok: false, reasons, warnings: report.warnings, logFile, policyConfigFile };
        } finally {
            if (hung) clearTimeout(hung);
            io.signal?.removeEventListener("abort", forward);
            await new Promise((r) => log.end(r));
        }
    }
}
