// The stacks/ functions as the CLI calls them: open the stack (local or remote), find the
// environment's policy config, build the gates from the stack's config, run.
import * as fs from "fs";
import * as path from "path";
import { ExecFn, Gate, GateOutcome, KAFKA_GATE_DESCRIPTION, KUBERNETES_GATE_DESCRIPTION, kafkaGate, kubernetesGate, offGate, runGate } from "../rollout/gates";
import { KubeAccess, StageReader, kubectlArgs } from "../rollout/kube";
import { PolicyConfig, envPolicyConfigPath, mergeMigrationPolicyConfig, mergeStepPolicyConfig, migrationPrevious, readPolicyConfig } from "./policy-config";
import { PRESETS, isEnvName } from "./presets";
import { RemoteRolloutWorkspace, RemoteSource, RemoteStackFactory } from "./remote";
import { Interrupt, RendererName, RolloutSummary, runRollout } from "./rollout";
import { MigrationFlags, MigrationGateChoice, phaseGates, runMigration } from "./migrate";
import { LocalRolloutWorkspace, MigrationWorkspace, OperationResult, RolloutWorkspace, StackState, shortStackName } from "./workspace";

/** The project folder: where Pulumi.yaml is, one up from stacks/. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

export interface StackTarget {
    /** Stack name; fully qualified (org/kafka-platform/prod) for --remote. */
    stack: string;
    /** The project folder. Defaults to the repository root. */
    workDir?: string;
    /** dev, staging or prod; defaults to the stack's name when it is one of them. */
    env?: string;
    /** The policy pack folder. Defaults to <workDir>/policies. */
    policyPack?: string;
    /** Where logs and generated policy configs go. */
    logDir?: string;
    /** The folder holding bin/pulumi; defaults to PULUMI_ROOT or scripts/env.sh's install. */
    pulumiRoot?: string;
    /** Create the (local) stack when it does not exist yet: the main job on a fresh machine. */
    create?: boolean;
}

/** A path relative to the project folder when it is inside it, else absolute: for messages. */
export function shortPath(workDir: string, file: string): string {
    const relative = path.relative(workDir, file);
    return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

export interface PolicySetup {
    env?: string;
    packDir: string;
    envConfigFile?: string;
    envConfig?: PolicyConfig;
}

/** The environment of a stack and the policy config it is held to (absent files are fine). */
export function policySetup(t: StackTarget): PolicySetup {
    const workDir = t.workDir ?? PROJECT_DIR;
    const packDir = path.resolve(workDir, t.policyPack ?? "policies");
    if (!fs.existsSync(path.join(packDir, "PulumiPolicy.yaml"))) {
        throw new Error(`--policy-pack ${t.policyPack ?? "policies"}: no policy pack in ${packDir} (PulumiPolicy.yaml missing)`);
    }
    const short = shortStackName(t.stack);
    const env = t.env ?? (isEnvName(short) ? short : undefined);
    if (!env) return { packDir };
    // The environment's file lives in the pack (policies/config/<env>.json); staging uses prod's.
    const file = envPolicyConfigPath(packDir, isEnvName(env) ? PRESETS[env].policyEnv : env);
    return { env, packDir, envConfigFile: shortPath(workDir, file), envConfig: readPolicyConfig(file) };
}

export interface GateChoice {
    kafkaGate?: "on" | "off";
    k8sGate?: "on" | "off";
    /** Injected by tests. */
    exec?: ExecFn;
    kubeReader?: StageReader;
}

/** The gates for a stack, each on or explicitly off. */
export function buildGates(state: StackState, c: GateChoice): Gate[] {
    const gates: Gate[] = [];
    if (c.k8sGate === "off") {
        gates.push(offGate("kubernetes", KUBERNETES_GATE_DESCRIPTION, "--k8s-gate off"));
    } else {
        if (!state.kubeconfig && !c.kubeReader) {
            throw new Error(
                "the stack has no cluster (it renders YAML: renderDir is set, or there is no kubeconfig), so the kubernetes gate " +
                    "cannot read the StatefulSet: configure kubernetes:kubeconfig or KUBECONFIG, or pass --k8s-gate off",
            );
        }
        gates.push(kubernetesGate({ reader: c.kubeReader ?? KubeAccess.load(state.kubeconfig), namespace: state.namespace }));
    }
    if (c.kafkaGate === "off") {
        gates.push(offGate("kafka", KAFKA_GATE_DESCRIPTION, "--kafka-gate off"));
    } else {
        if (!state.kubeconfig && !c.exec) {
            throw new Error("the stack has no cluster to run kafka-topics.sh in: configure one, or pass --kafka-gate off");
        }
        gates.push(kafkaGate({ namespace: state.namespace, kubectlArgs: kubectlArgs(state.kubeconfig), exec: c.exec }));
    }
    return gates;
}

export interface RemoteChoice {
    remote?: boolean;
    repoUrl?: string;
    branch?: string;
    projectPath?: string;
    /** Injected by tests. */
    remoteFactory?: RemoteStackFactory;
}

/** Open the stack the way the options ask: a LocalWorkspace stack, or Pulumi Deployments. */
export async function openWorkspace(t: StackTarget & RemoteChoice, policy: PolicySetup): Promise<RolloutWorkspace> {
    const workDir = t.workDir ?? PROJECT_DIR;
    if (!t.remote) {
        return LocalRolloutWorkspace.select(t.stack, { workDir, packDir: policy.packDir, logDir: t.logDir, pulumiRoot: t.pulumiRoot, create: t.create });
    }
    const url = t.repoUrl ?? process.env.KAFKA_PLATFORM_REPO_URL;
    if (!url) throw new Error("--remote needs the git repository Pulumi Deployments clones: pass --repo-url (or set KAFKA_PLATFORM_REPO_URL)");
    const source: RemoteSource = { url, branch: t.branch ?? "main", projectPath: t.projectPath };
    return new RemoteRolloutWorkspace({
        stackName: t.stack,
        source,
        workDir,
        packDir: path.relative(workDir, policy.packDir) || "policies",
        envVars: policy.env ? { KAFKA_PLATFORM_ENV: policy.env } : undefined,
        factory: t.remoteFactory,
    });
}

/** What the rollout and migration drivers' commands share: approval, gate timeout, output, the run's own command. */
export interface DriverCommandOptions {
    approve?: boolean;
    yes?: boolean;
    /** Per gate, seconds. Defaults to 600. */
    timeout?: number;
    summaryJson?: string;
    /** The command line, printed as the resume command. */
    command: string;
    interrupt?: Interrupt;
    renderer?: RendererName;
    stdinIsTTY?: boolean;
    ask?: (question: string, signal: AbortSignal) => Promise<boolean>;
    print?: (line: string) => void;
    pollMs?: number;
}

/** The driver options both commands pass on as they are, with the environment's policy setup. */
function driverOptions(o: StackTarget & DriverCommandOptions, policy: PolicySetup) {
    return {
        stackName: o.stack,
        timeoutSeconds: o.timeout ?? 600,
        approve: o.approve,
        yes: o.yes,
        stdinIsTTY: o.stdinIsTTY,
        ask: o.ask,
        env: policy.env,
        envConfig: policy.envConfig,
        envConfigFile: policy.envConfigFile,
        policyPack: shortPath(o.workDir ?? PROJECT_DIR, policy.packDir),
        summaryJson: o.summaryJson,
        interrupt: o.interrupt,
        renderer: o.renderer,
        command: o.command,
        print: o.print,
        pollMs: o.pollMs,
    };
}

export interface RolloutCommandOptions extends StackTarget, GateChoice, RemoteChoice, DriverCommandOptions {
    plan: string;
    maxStep?: number;
    pause?: number;
    /** Injected by tests instead of opening a stack. */
    workspace?: RolloutWorkspace;
}

/** Run a staged rollout on a stack. Resolves to the summary; summary.exit.code is the exit code. */
export async function rollout(o: RolloutCommandOptions): Promise<RolloutSummary> {
    const policy = policySetup(o);
    return runRollout({
        ...driverOptions(o, policy),
        workspace: o.workspace ?? (() => openWorkspace(o, policy)),
        plan: o.plan,
        maxStep: o.maxStep,
        gates: (state) => buildGates(state, o),
        pauseSeconds: o.pause,
        upCommand: upCommandFor(o),
    });
}

/** This CLI's `up` for the same stack: the program inline, with the pack and the environment's policy config. */
export function upCommandFor(t: StackTarget): string {
    const args = ["up", "--stack", t.stack];
    if (t.env) args.push("--env", t.env);
    if (t.workDir && path.resolve(t.workDir) !== PROJECT_DIR) args.push("--work-dir", t.workDir);
    if (t.policyPack && t.policyPack !== "policies") args.push("--policy-pack", t.policyPack);
    return `npx ts-node --transpile-only stacks/cli.ts ${args.join(" ")}`;
}

export interface OperationCommandOptions extends StackTarget, RemoteChoice {
    onOutput?: (line: string) => void;
    /** Notes for the user (a missing environment policy config). */
    print?: (line: string) => void;
    signal?: AbortSignal;
    workspace?: RolloutWorkspace;
}

/**
 * One preview or update of the stack as configured, with the policy pack; the step policy is told
 * the deployed partition, so a hand-made jump of kafka.partition is refused here too.
 */
async function operation(kind: "preview" | "up", o: OperationCommandOptions): Promise<OperationResult> {
    const policy = policySetup(o);
    if (!policy.envConfig) {
        o.print?.(`! ${policy.env ? `${policy.envConfigFile} does not exist` : "no environment (pass --env)"}: the pack's defaults apply`);
    }
    const ws = o.workspace ?? (await openWorkspace(o, policy));
    const state = await ws.read();
    const previous = state.deployedPartition ?? state.partition;
    const req = {
        partition: state.partition,
        previousPartition: previous,
        policyConfig: mergeMigrationPolicyConfig(mergeStepPolicyConfig(policy.envConfig, { previousPartition: { kafka: previous } }), migrationPrevious(state)),
        label: `${kind}-partition-${state.partition}`,
    };
    return ws[kind](req, { onOutput: o.onOutput, signal: o.signal });
}

export const preview = (o: OperationCommandOptions) => operation("preview", o);
export const up = (o: OperationCommandOptions) => operation("up", o);

export interface GateCommandOptions extends StackTarget, GateChoice, RemoteChoice {
    timeout?: number;
    onProgress?: (gate: string, line: string) => void;
    signal?: AbortSignal;
    workspace?: RolloutWorkspace;
    pollMs?: number;
}

/** Run the gates once at the stack's current partition, changing nothing (e.g. between GitOps PRs). */
export async function gate(o: GateCommandOptions): Promise<GateOutcome[]> {
    const policy = policySetup(o);
    const ws = o.workspace ?? (await openWorkspace(o, policy));
    const state = await ws.read();
    const outcomes: GateOutcome[] = [];
    for (const g of buildGates(state, o)) {
        const outcome = await runGate(g, { partition: state.partition, replicas: state.replicas }, {
            timeoutSeconds: o.timeout ?? 600,
            pollMs: o.pollMs,
            signal: o.signal,
            onProgress: (check, elapsed) => o.onProgress?.(g.name, `${check.progress ?? check.reason ?? ""} (${elapsed}s)`),
        });
        outcomes.push(outcome);
        if (outcome.result === "failed" || outcome.result === "interrupted") break;
    }
    return outcomes;
}

/**
 * The policy config file a hand-run `pulumi preview/up --policy-pack` needs now (deployments'
 * pre-run step): the step policy's previous partition and, read from the stack's outputs, the
 * migration policy's previous step (not passed when the caller gives the previous partition).
 */
export async function policyConfigFor(o: StackTarget & RemoteChoice & { previous?: number; maxStep?: number; workspace?: RolloutWorkspace }): Promise<PolicyConfig> {
    const policy = policySetup(o);
    let previous = o.previous;
    let state: StackState | undefined;
    if (previous === undefined) {
        const ws = o.workspace ?? (await openWorkspace(o, policy));
        state = await ws.read();
        previous = state.deployedPartition;
    }
    const step = mergeStepPolicyConfig(policy.envConfig, { previousPartition: previous === undefined ? {} : { kafka: previous }, maxStep: o.maxStep });
    return state ? mergeMigrationPolicyConfig(step, migrationPrevious(state)) : step;
}

export { migrationPrevious };

export interface MigrateCommandOptions extends StackTarget, MigrationGateChoice, MigrationFlags, DriverCommandOptions {
    /** Injected by tests instead of opening a stack. */
    workspace?: MigrationWorkspace;
}

/**
 * Walk the ZooKeeper → KRaft migration on a local stack. Local only: the znode deletion and
 * `pulumi state unprotect` run from this machine, between the updates.
 */
export async function migrate(o: MigrateCommandOptions): Promise<RolloutSummary> {
    const policy = policySetup(o);
    const workDir = o.workDir ?? PROJECT_DIR;
    return runMigration({
        ...driverOptions(o, policy),
        workspace:
            o.workspace ??
            (() => LocalRolloutWorkspace.select(o.stack, { workDir, packDir: policy.packDir, logDir: o.logDir, pulumiRoot: o.pulumiRoot })),
        to: o.to,
        clusterId: o.clusterId,
        rollback: o.rollback,
        unprotectZookeeper: o.unprotectZookeeper,
        unprotectControllers: o.unprotectControllers,
        deleteMigrationZnodes: o.deleteMigrationZnodes,
        gates: (phase, state) => phaseGates(phase, state, o),
        exec: o.exec,
        rollbackCommand: `npm run migrate -- --stack ${o.stack}${o.env ? ` --env ${o.env}` : ""} --rollback`,
    });
}
