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

/** Run a staged rollout. Resolves to the summary; summary.exit.code is the process exit code. */
export async function runRollout(o: RolloutOptions): Promise<RolloutSummary> {
    const now = o.now ?? Date.now;
    const print = o.print ?? ((line: string) => process.stderr.write(line + "\n"));
    const interrupt = o.interrupt ?? new Interrupt();
    let ws: RolloutWorkspace = typeof o.workspace === "function" ? notOpenYet(o.stackName) : o.workspace;
    const maxStepSource =
        o.maxStep !== undefined
            ? "--max-step"
            : envMaxStep(o.envConfig) !== undefined
              ? `${o.envConfigFile ?? "environment policy config"} ${STEP_POLICY}.maxStep`
              : `the ${STEP_POLICY} policy's default`;
    const maxStep = o.maxStep ?? envMaxStep(o.envConfig) ?? STEP_POLICY_DEFAULT_MAX_STEP;
    const summary: RolloutSummary = {
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
    const finish = (reason: ExitReason, message: string): RolloutSummary => {
        summary.exit = { code: EXIT_CODES[reason], reason, message };
        summary.endedAt = iso(now());
        if (o.summaryJson) writeSummary(o.summaryJson, summary);
        return summary;
    };

    try {
        return await drive();
    } catch (err) {
        const message = err instanceof PlanError ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
        print(`✖ ${message}`);
        return finish(err instanceof PlanError ? "refused" : "error", message);
    }

    async function drive(): Promise<RolloutSummary> {
        if (o.approve && !o.yes && !o.stdinIsTTY) {
            const message =
                "--approve asks y/N on stdin before each stage, but stdin is not a terminal: pass --yes to approve every stage " +
                "(e.g. in CI), or leave out --approve. Nothing was changed";
            print(`✖ ${message}`);
            return finish("refused", message);
        }
        // A malformed --plan is refused before the stack is opened.
        parsePlanSpec(o.plan);
        let state: StackState;
        let gates: Gate[];
        try {
            if (typeof o.workspace === "function") {
                ws = await o.workspace();
                Object.assign(summary, { stack: ws.stackName, mode: ws.mode, logDir: ws.logDir });
            }
            state = await ws.read();
            gates = typeof o.gates === "function" ? o.gates(state) : o.gates;
        } catch (err) {
            const message = `cannot start on stack ${ws.stackName}: ${err instanceof Error ? err.message : String(err)}`;
            print(`✖ ${message}`);
            return finish("error", message);
        }
        summary.gates = gates.map((g) => ({ name: g.name, on: !g.off, off: g.off, description: g.description }));
        if (!o.envConfig) {
            print(
                o.env
                    ? `! no policy config for environment ${o.env} (${o.envConfigFile ?? "?"} does not exist): the pack's defaults apply (every policy mandatory, maxStep ${STEP_POLICY_DEFAULT_MAX_STEP})`
                    : `! no environment for stack ${ws.stackName} (pass --env): the pack's defaults apply (every policy mandatory, maxStep ${STEP_POLICY_DEFAULT_MAX_STEP})`,
            );
        }
        for (const g of gates.filter((g) => g.off)) print(`! gate ${g.name} is OFF (${g.off}): ${g.description} — NOT checked at any stage`);
        const replicas = state.replicas;
        const current = state.partition;
        const plan: RolloutPlan = computePlan({ spec: o.plan, replicas, current, stack: shortStackName(ws.stackName) });
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
        print(`${ws.stackName}: ${describePlan(plan)}`);
        for (const w of plan.warnings) print(`! ${w}`);
        const baselinePrevious = state.deployedPartition ?? current;
        if (plan.nothingToDo) {
            // Nothing to roll, so nothing is applied (an `up` at partition 0 would roll every broker at
            // once); the gates still look, read-only, so that a rerun after the last stage failed re-checks it.
            print(`nothing to roll: ${plan.nothingToDo}; checking the gates at partition ${current}`);
        } else {
            // Refuse before changing anything if a step would roll more brokers than the policy allows,
            // as strictly as the environment enforces the policy (dev makes it advisory).
            const level = stepEnforcement(o.envConfig);
            try {
                if (level !== "disabled") {
                    checkMaxStep({ from: baselinePrevious, partitions: [current, ...plan.remaining.map((s) => s.partition)], replicas, maxStep, source: maxStepSource });
                }
            } catch (err) {
                if (!(err instanceof PlanError) || level === "mandatory" || level === "remediate") throw err;
                const note = `${err.message} — going on: ${STEP_POLICY} is ${level} in ${o.envConfigFile ?? "this environment"}`;
                print(`! ${note}`);
                summary.plan!.warnings.push(note);
            }
        }

        interface Planned {
            kind: StageKind;
            partition: number;
            previous: number;
            pauseAfter: boolean;
        }
        const planned: Planned[] = [
            { kind: plan.nothingToDo ? "verify" : "baseline", partition: current, previous: baselinePrevious, pauseAfter: false },
        ];
        let prev = current;
        for (const s of plan.remaining) {
            planned.push({ kind: "stage", partition: s.partition, previous: prev, pauseAfter: s.pauseAfter });
            prev = s.partition;
        }
        const n = planned.length - 1;
        summary.stages = planned.map((p, index) => ({
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

        for (let i = 0; i < planned.length; i++) {
            const p = planned[i];
            const record = summary.stages[i];
            if (interrupt.requested) return stopped(record, "interrupted", ["stopped by Ctrl-C before this stage started"]);

            if (i > 0) {
                const before = planned[i - 1];
                const changed = before.kind === "stage" || before.previous !== before.partition;
                const pause = before.pauseAfter ? (o.pauseSeconds ?? CANARY_BAKE_SECONDS) : (o.pauseSeconds ?? 0);
                if (changed && pause > 0) {
                    const why = before.pauseAfter && o.pauseSeconds === undefined ? `canary bake, default ${CANARY_BAKE_SECONDS}s (set with --pause)` : "--pause";
                    print(`… waiting ${pause}s before stage ${i}/${n} (${why}); Ctrl-C stops here`);
                    await (o.sleep ?? sleep)(pause * 1000, interrupt.signal);
                    if (interrupt.requested) return stopped(record, "interrupted", ["stopped by Ctrl-C during the pause before this stage"]);
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
                    if (interrupt.requested) return stopped(record, "interrupted", ["stopped by Ctrl-C at the approval prompt"]);
                    if (!yes) return stopped(record, "declined", ["not approved at the prompt"]);
                }
            }

            const ctx: StageContext = { o, ws, now, print, interrupt, summary };
            const ok = await runStage(ctx, p, i, n, record, gates);
            if (!ok) return stopped(record, record.result === "interrupted" ? "interrupted" : "failed", record.reasons);
        }
        const last = planned[planned.length - 1];
        if (plan.nothingToDo) {
            print(`✔ nothing to do: ${plan.nothingToDo}`);
            return finish("nothing-to-do", plan.nothingToDo);
        }
        const message = `kafka.partition is ${last.partition}: ${updatedCount(last.partition, replicas)}/${replicas} brokers on the new template`;
        print(`✔ rollout complete: ${message}`);
        if (ws.mode === "remote") {
            print(`  remote mode does not change the repository: record it with a PR setting kafka.partition to ${last.partition} in ${path.basename(ws.configFile)}`);
        }
        return finish("completed", message);
    }

    /** Stop at `record`'s stage: summary, and what to do next. */
    function stopped(record: StageRecord, reason: ExitReason, reasons: string[]): RolloutSummary {
        if (record.result === "not-started") {
            record.result = reason === "declined" ? "declined" : reason === "interrupted" ? "interrupted" : "not-started";
            record.reasons = reasons;
        }
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
        for (const l of advice.lines) print(l);
        summary.next = { resume: o.command, rollback: advice.rollback };
        return finish(reason, advice.message);
    }
}
