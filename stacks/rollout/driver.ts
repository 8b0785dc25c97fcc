// The staged-rollout driver: walks kafka.partition down a plan, one stage at a time.
//
// For each stage: set kafka.partition in stack config, preview with the kafka-guardrails pack
// (its step policy told the previous partition), `up` with the pack, then the gates. Before the
// first stage it re-applies and re-gates the partition the stack is at ("baseline"), which is
// how a rerun of the same command resumes after a failure: the failed stage is where the stack
// is, and it must be healthy before anything moves on.
//
// On a failed preview, up or gate it stops, leaves kafka.partition at that stage, and prints what
// failed with the commands to resume or roll back. Ctrl-C stops between steps: the running step
// finishes (waits and gates, which only read, stop at once), nothing new starts; a second Ctrl-C
// cancels the running operation (stack.cancel()).
import * as path from "path";
import { Gate } from "../../rollout/gates";
import { updatedCount } from "../../rollout/partitions";
import { sleep } from "../../rollout/wait";
import { CANARY_BAKE_SECONDS, PlanError, RolloutPlan, checkMaxStep, computePlan, describePlan, parsePlanSpec } from "../plans";
import { PolicyConfig, STEP_POLICY, STEP_POLICY_DEFAULT_MAX_STEP, envMaxStep, stepEnforcement } from "../policy-config";
import { RolloutWorkspace, StackState, shortStackName } from "../workspace";
import { stopAdvice } from "./advice";
import { Interrupt } from "./interrupt";
import { StageContext, iso, runStage } from "./stage";
import { ExitReason, EXIT_CODES, RolloutSummary, StageKind, StageRecord, writeSummary } from "./summary";

// ---------------------------------------------------------------------------------------------
// Options

export type RendererName = "default" | "simple" | "verbose" | "silent";

export interface RolloutOptions {
    /** The stack; opened only after the flags are checked when given as a function. */
    workspace: RolloutWorkspace | (() => Promise<RolloutWorkspace>);
    /** For the summary until the workspace is open. */
    stackName?: string;
    /** `--plan`: canary, linear, geometric or a list such as 100,99,90,50,0. */
    plan: string;
    /** `--max-step`; defaults to the environment's policy config, then the pack's default. */
    maxStep?: number;
    /** The gates, including those turned off; or made from the stack once it is read (its namespace, kubeconfig). */
    gates: Gate[] | ((state: StackState) => Gate[]);
    /** Per gate, seconds (`--timeout`). */
    timeoutSeconds: number;
    /** `--pause`: seconds to wait between stages (the canary waits CANARY_BAKE_SECONDS if not given). */
    pauseSeconds?: number;
    /** `--approve`: ask y/N before each stage. */
    approve?: boolean;
    /** `--yes`: answer yes to every approval (no terminal needed). */
    yes?: boolean;
    /** Whether stdin is a terminal (process.stdin.isTTY). */
    stdinIsTTY?: boolean;
    /** Asks a y/N question; resolves false on "no" or when the signal aborts. */
    ask?: (question: string, signal: AbortSignal) => Promise<boolean>;
    env?: string;
    /** The environment's policy config (policies/config/<env>.json), if it exists. */
    envConfig?: PolicyConfig;
    envConfigFile?: string;
    /** The policy pack folder, for the summary and messages. */
    policyPack?: string;
    summaryJson?: string;
    interrupt?: Interrupt;
    renderer?: RendererName;
    /** The command line that ran this rollout: rerunning it resumes. */
    command: string;
    /** The command that applies the stack's config as it is, with the pack (for the rollback advice). */
    upCommand?: string;
    /** Prints the report lines (stderr by default). */
    print?: (line: string) => void;
    pollMs?: number;
    now?: () => number;
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Stands in for a workspace that is opened later: only its name is known. */
function notOpenYet(stackName = "?"): RolloutWorkspace {
    const no = () => Promise.reject(new Error("the stack is not open"));
    return { stackName, mode: "local", configFile: `Pulumi.${shortStackName(stackName)}.yaml`, read: no, setPartition: no, preview: no, up: no, cancel: no };
}

/**
 * One run of the driver: what every job of it shares. `ws` starts as a stand-in when the stack is
 * opened later, and is replaced once it is open; `finish` stamps the exit and writes --summary-json.
 */
interface Run extends StageContext {
    o: RolloutOptions;
    finish(reason: ExitReason, message: string): RolloutSummary;
}

/** A stage as planned: the baseline (or verify) first, then the plan's remaining stages. */
interface Planned {
    kind: StageKind;
    partition: number;
    previous: number;
    pauseAfter: boolean;
}

/** Run a staged rollout. Resolves to the summary; summary.exit.code is the process exit code. */
export async function runRollout(o: RolloutOptions): Promise<RolloutSummary> {
    const now = o.now ?? Date.now;
    const ws: RolloutWorkspace = typeof o.workspace === "function" ? notOpenYet(o.stackName) : o.workspace;
    const { maxStep, maxStepSource } = resolveMaxStep(o);
    const summary = startSummary(o, ws, now, maxStep, maxStepSource);
    const run: Run = { o, ws, ...runContext(o, summary, now) };
    try {
        return await drive(run, maxStep, maxStepSource);
    } catch (err) {
        return endWithError(run, err);
    }
}

/**
 * What every run of a driver (rollout, migrate) shares besides its options and stack: the
 * printer, Ctrl-C, and `finish`, which stamps the exit and writes --summary-json.
 */
export function runContext(o: Pick<RolloutOptions, "print" | "interrupt" | "summaryJson">, summary: RolloutSummary, now: () => number) {
    return {
        now,
        print: o.print ?? ((line: string) => process.stderr.write(line + "\n")),
        interrupt: o.interrupt ?? new Interrupt(),
        summary,
        finish: (reason: ExitReason, message: string): RolloutSummary => {
            summary.exit = { code: EXIT_CODES[reason], reason, message };
            summary.endedAt = iso(now());
            if (o.summaryJson) writeSummary(o.summaryJson, summary);
            return summary;
        },
    };
}

/** A driver's end on a thrown error: a PlanError is a refusal the user can act on (exit 2), anything else is ours. */
export function endWithError(run: ReturnType<typeof runContext>, err: unknown, refusalNote = ""): RolloutSummary {
    const message = err instanceof PlanError ? err.message + refusalNote : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    run.print(`✖ ${message}`);
    return run.finish(err instanceof PlanError ? "refused" : "error", message);
}

/** maxStep and where it came from: --max-step, then the environment's policy config, then the pack's default. */
export function resolveMaxStep(o: Pick<RolloutOptions, "maxStep" | "envConfig" | "envConfigFile">): { maxStep: number; maxStepSource: string } {
    const maxStepSource =
        o.maxStep !== undefined
            ? "--max-step"
            : envMaxStep(o.envConfig) !== undefined
              ? `${o.envConfigFile ?? "environment policy config"} ${STEP_POLICY}.maxStep`
              : `the ${STEP_POLICY} policy's default`;
    return { maxStep: o.maxStep ?? envMaxStep(o.envConfig) ?? STEP_POLICY_DEFAULT_MAX_STEP, maxStepSource };
}

/** The record as it stands before anything is read: options, policy, no stages yet. */
export function startSummary(
    o: Pick<RolloutOptions, "env" | "policyPack" | "envConfig" | "envConfigFile" | "pauseSeconds" | "approve" | "yes" | "timeoutSeconds">,
    ws: RolloutWorkspace,
    now: () => number,
    maxStep: number,
    maxStepSource: string,
): RolloutSummary {
    return {
        version: 1,
        stack: ws.stackName,
        mode: ws.mode,
        env: o.env,
        startedAt: iso(now()),
        gates: [],
        policy: { pack: o.policyPack, stepPolicy: STEP_POLICY, maxStep, maxStepSource, envConfigFile: o.envConfigFile, envConfigFound: o.envConfig !== undefined },
        options: { pauseSeconds: o.pauseSeconds, approve: !!o.approve, yes: !!o.yes, timeoutSeconds: o.timeoutSeconds },
        stages: [],
        exit: { code: 0, reason: "completed", message: "" },
        logDir: ws.logDir,
    };
}

/** The whole rollout: refuse what cannot run, open the stack, plan, then each stage in turn. */
async function drive(run: Run, maxStep: number, maxStepSource: string): Promise<RolloutSummary> {
    const { o, print, summary } = run;
    if (o.approve && !o.yes && !o.stdinIsTTY) {
        const message =
            "--approve asks y/N on stdin before each stage, but stdin is not a terminal: pass --yes to approve every stage " +
            "(e.g. in CI), or leave out --approve. Nothing was changed";
        print(`✖ ${message}`);
        return run.finish("refused", message);
    }
    // A malformed --plan is refused before the stack is opened.
    parsePlanSpec(o.plan);
    const opened = await openStack(run);
    if ("failed" in opened) return opened.failed;
    const { state, gates } = opened;
    warnAboutDefaults(run, gates);
    const plan = planFromState(run, state);
    const baselinePrevious = state.deployedPartition ?? state.partition;
    if (plan.nothingToDo) {
        // Nothing to roll, so nothing is applied (an `up` at partition 0 would roll every broker at
        // once); the gates still look, read-only, so that a rerun after the last stage failed re-checks it.
        print(`nothing to roll: ${plan.nothingToDo}; checking the gates at partition ${state.partition}`);
    } else {
        refuseOversizedSteps(run, plan, state, baselinePrevious, maxStep, maxStepSource);
    }

    const planned = plannedStages(plan, state.partition, baselinePrevious);
    summary.stages = stageRecords(planned, state.replicas);
    for (let i = 0; i < planned.length; i++) {
        const record = summary.stages[i];
        if (run.interrupt.requested) return stopped(run, record, "interrupted", ["stopped by Ctrl-C before this stage started"]);
        if (i > 0) {
            const held = await holdBeforeStage(run, planned, i, record, state.replicas);
            if (held) return held;
        }
        const ok = await runStage(run, planned[i], i, planned.length - 1, record, gates);
        if (!ok) return stopped(run, record, record.result === "interrupted" ? "interrupted" : "failed", record.reasons);
    }
    return completed(run, plan, planned[planned.length - 1], state.replicas);
}

/** Open the stack (when it is given as a function), read it and make the gates; a failure ends the run. */
async function openStack(run: Run): Promise<{ state: StackState; gates: Gate[] } | { failed: RolloutSummary }> {
    const { o, summary } = run;
    let state: StackState;
    let gates: Gate[];
    try {
        if (typeof o.workspace === "function") {
            run.ws = await o.workspace();
            Object.assign(summary, { stack: run.ws.stackName, mode: run.ws.mode, logDir: run.ws.logDir });
        }
        state = await run.ws.read();
        gates = typeof o.gates === "function" ? o.gates(state) : o.gates;
    } catch (err) {
        const message = `cannot start on stack ${run.ws.stackName}: ${err instanceof Error ? err.message : String(err)}`;
        run.print(`✖ ${message}`);
        return { failed: run.finish("error", message) };
    }
    summary.gates = gates.map((g) => ({ name: g.name, on: !g.off, off: g.off, description: g.description }));
    return { state, gates };
}

/** Say up front what is not checked: a missing environment policy config, and every gate turned off. */
function warnAboutDefaults(run: Run, gates: Gate[]): void {
    const { o, print } = run;
    if (!o.envConfig) {
        print(
            o.env
                ? `! no policy config for environment ${o.env} (${o.envConfigFile ?? "?"} does not exist): the pack's defaults apply (every policy mandatory, maxStep ${STEP_POLICY_DEFAULT_MAX_STEP})`
                : `! no environment for stack ${run.ws.stackName} (pass --env): the pack's defaults apply (every policy mandatory, maxStep ${STEP_POLICY_DEFAULT_MAX_STEP})`,
        );
    }
    for (const g of gates.filter((g) => g.off)) print(`! gate ${g.name} is OFF (${g.off}): ${g.description} — NOT checked at any stage`);
}

/** The plan from where the stack is, recorded in the summary and printed. */
function planFromState(run: Run, state: StackState): RolloutPlan {
    const { o, print, summary } = run;
    const { replicas, partition: current } = state;
    const plan: RolloutPlan = computePlan({ spec: o.plan, replicas, current, stack: shortStackName(run.ws.stackName) });
    summary.plan = {
        spec: plan.spec,
        kind: plan.kind,
        replicas,
        startPartition: current,
        deployedPartition: state.deployedPartition,
        stages: plan.stages.map((s) => s.partition),
        pauseAfter: plan.stages.filter((s) => s.pauseAfter).map((s) => s.partition),
        done: plan.done,
        remaining: plan.remaining.map((s) => s.partition),
        warnings: plan.warnings,
    };
    summary.finalPartition = current;
    print(`${run.ws.stackName}: ${describePlan(plan)}`);
    for (const w of plan.warnings) print(`! ${w}`);
    return plan;
}

/**
 * Refuse before changing anything if a step would roll more brokers than the policy allows, as
 * strictly as the environment enforces the policy (dev makes it advisory: a warning, and on).
 */
function refuseOversizedSteps(run: Run, plan: RolloutPlan, state: StackState, baselinePrevious: number, maxStep: number, maxStepSource: string): void {
    const { o } = run;
    const level = stepEnforcement(o.envConfig);
    try {
        if (level !== "disabled") {
            checkMaxStep({ from: baselinePrevious, partitions: [state.partition, ...plan.remaining.map((s) => s.partition)], replicas: state.replicas, maxStep, source: maxStepSource });
        }
    } catch (err) {
        if (!(err instanceof PlanError) || level === "mandatory" || level === "remediate") throw err;
        const note = `${err.message} — going on: ${STEP_POLICY} is ${level} in ${o.envConfigFile ?? "this environment"}`;
        run.print(`! ${note}`);
        run.summary.plan!.warnings.push(note);
    }
}

/** The baseline (or, with nothing to roll, verify) at the current partition, then the plan's remaining stages. */
function plannedStages(plan: RolloutPlan, current: number, baselinePrevious: number): Planned[] {
    const planned: Planned[] = [{ kind: plan.nothingToDo ? "verify" : "baseline", partition: current, previous: baselinePrevious, pauseAfter: false }];
    let prev = current;
    for (const s of plan.remaining) {
        planned.push({ kind: "stage", partition: s.partition, previous: prev, pauseAfter: s.pauseAfter });
        prev = s.partition;
    }
    return planned;
}

/** Every planned stage's record, not started, so a stop early still shows what was left. */
function stageRecords(planned: Planned[], replicas: number): StageRecord[] {
    return planned.map((p, index) => ({
        index,
        kind: p.kind,
        partition: p.partition,
        previousPartition: p.previous,
        updated: updatedCount(p.partition, replicas),
        result: "not-started",
        reasons: [],
        steps: [],
        gates: [],
    }));
}

/**
 * Between two stages: the pause (a canary bakes for CANARY_BAKE_SECONDS unless --pause says
 * otherwise), then --approve's question. Resolves to the stop's summary when the run ends here,
 * or undefined to go on with stage i.
 */
async function holdBeforeStage(run: Run, planned: Planned[], i: number, record: StageRecord, replicas: number): Promise<RolloutSummary | undefined> {
    const { o, print, interrupt } = run;
    const p = planned[i];
    const n = planned.length - 1;
    const before = planned[i - 1];
    // A baseline that re-applied what was deployed changed nothing, so there is nothing to bake.
    const changed = before.kind === "stage" || before.previous !== before.partition;
    const pause = before.pauseAfter ? (o.pauseSeconds ?? CANARY_BAKE_SECONDS) : (o.pauseSeconds ?? 0);
    if (changed && pause > 0) {
        const why = before.pauseAfter && o.pauseSeconds === undefined ? `canary bake, default ${CANARY_BAKE_SECONDS}s (set with --pause)` : "--pause";
        print(`… waiting ${pause}s before stage ${i}/${n} (${why}); Ctrl-C stops here`);
        await (o.sleep ?? sleep)(pause * 1000, interrupt.signal);
        if (interrupt.requested) return stopped(run, record, "interrupted", ["stopped by Ctrl-C during the pause before this stage"]);
    }
    if (o.approve) {
        const question = `Roll stage ${i}/${n}: kafka.partition ${p.previous} → ${p.partition} (${record.updated}/${replicas} brokers updated)?`;
        let yes: boolean;
        if (o.yes) {
            print(`${question} yes (--yes)`);
            yes = true;
        } else {
            yes = o.ask ? await o.ask(question, interrupt.signal) : false;
        }
        if (interrupt.requested) return stopped(run, record, "interrupted", ["stopped by Ctrl-C at the approval prompt"]);
        if (!yes) return stopped(run, record, "declined", ["not approved at the prompt"]);
    }
    return undefined;
}

/** Every stage passed (or there was nothing to roll): the closing line and the summary. */
function completed(run: Run, plan: RolloutPlan, last: Planned, replicas: number): RolloutSummary {
    const { print } = run;
    if (plan.nothingToDo) {
        print(`✔ nothing to do: ${plan.nothingToDo}`);
        return run.finish("nothing-to-do", plan.nothingToDo);
    }
    const message = `kafka.partition is ${last.partition}: ${updatedCount(last.partition, replicas)}/${replicas} brokers on the new template`;
    print(`✔ rollout complete: ${message}`);
    if (run.ws.mode === "remote") {
        print(`  remote mode does not change the repository: record it with a PR setting kafka.partition to ${last.partition} in ${path.basename(run.ws.configFile)}`);
    }
    return run.finish("completed", message);
}

/** Stop at `record`'s stage: summary, and what to do next (rerun to resume, or roll back). */
function stopped(run: Run, record: StageRecord, reason: ExitReason, reasons: string[]): RolloutSummary {
    const { o, ws, summary } = run;
    const advice = stopAdvice({
        record,
        reason,
        reasons,
        mode: ws.mode,
        configFile: ws.configFile,
        stackName: ws.stackName,
        partition: summary.finalPartition!,
        replicas: summary.plan?.replicas,
        command: o.command,
        upCommand: o.upCommand,
        policyPack: o.policyPack,
        envConfigFile: o.envConfigFile,
        summaryJson: o.summaryJson,
    });
    return endStopped(run, o.command, record, reason, reasons, advice);
}

/**
 * A driver's stop before the end (rollout, migrate): the stage's record marked when it never
 * started, the advice printed, what to do next in the summary.
 */
export function endStopped(
    run: ReturnType<typeof runContext>,
    command: string,
    record: StageRecord,
    reason: ExitReason,
    reasons: string[],
    advice: { lines: string[]; rollback: string[]; message: string },
): RolloutSummary {
    if (record.result === "not-started") {
        record.result = reason === "declined" ? "declined" : reason === "interrupted" ? "interrupted" : "not-started";
        record.reasons = reasons;
    }
    for (const l of advice.lines) run.print(l);
    run.summary.next = { resume: command, rollback: advice.rollback };
    return run.finish(reason, advice.message);
}
