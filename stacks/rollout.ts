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
import * as fs from "fs";
import * as path from "path";
import { Listr, ListrTaskWrapper, PRESET_TIMER } from "listr2";
import { Gate, GateOutcome, GateTarget, runGate, sleep } from "./gates";
import { CANARY_BAKE_SECONDS, PlanError, RolloutPlan, checkMaxStep, computePlan, describePlan, effectivePartition, parsePlanSpec } from "./plans";
import { PolicyConfig, STEP_POLICY, STEP_POLICY_DEFAULT_MAX_STEP, envMaxStep, mergeStepPolicyConfig, stepEnforcement } from "./policy-config";
import { OperationResult, RolloutWorkspace, StackState, StageRequest, shortStackName } from "./workspace";

// ---------------------------------------------------------------------------------------------
// Ctrl-C

/**
 * Ctrl-C as the driver understands it. The first request stops the rollout after the running
 * step and aborts `signal` (read-only waits end at once); the second runs the cancel handlers of
 * the running operation.
 */
export class Interrupt {
    private count = 0;
    private readonly controller = new AbortController();
    private readonly cancelHandlers = new Set<() => void>();
    private readonly listeners = new Set<(count: number) => void>();

    get requested(): boolean {
        return this.count > 0;
    }

    get requests(): number {
        return this.count;
    }

    /** Aborted at the first request. */
    get signal(): AbortSignal {
        return this.controller.signal;
    }

    request(): number {
        this.count++;
        if (this.count === 1) this.controller.abort();
        if (this.count >= 2) for (const h of [...this.cancelHandlers]) h();
        for (const l of [...this.listeners]) l(this.count);
        return this.count;
    }

    /** Run `handler` on a second request while the returned disposer has not been called. */
    onCancel(handler: () => void): () => void {
        this.cancelHandlers.add(handler);
        if (this.count >= 2) handler();
        return () => this.cancelHandlers.delete(handler);
    }

    onRequest(listener: (count: number) => void): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }
}

// ---------------------------------------------------------------------------------------------
// Summary

export type StepResult = "passed" | "failed" | "off" | "interrupted" | "skipped";

export interface StepRecord {
    /** config, preview, up, gate:kubernetes, gate:kafka. */
    name: string;
    result: StepResult;
    startedAt?: string;
    endedAt?: string;
    reasons?: string[];
    warnings?: string[];
    /** Resource changes of preview/up. */
    changes?: Record<string, number>;
    logFile?: string;
    /** A gate's last progress line ("kafka partition 2: 1/1 updated and Ready, 3/3 Ready"). */
    status?: string;
    elapsedSeconds?: number;
}

export type StageKind = "baseline" | "stage" | "verify";

export type StageResult = "passed" | "failed" | "interrupted" | "declined" | "not-started";

export interface StageRecord {
    /** 0 is the baseline (the partition the stack was at), then 1..n. */
    index: number;
    /**
     * baseline: re-apply and gate the partition the stack is at; stage: a step of the plan;
     * verify: nothing left to roll, only the gates run (read-only), so a rerun after the last
     * stage failed its gate re-checks it.
     */
    kind: StageKind;
    partition: number;
    previousPartition: number;
    /** Brokers on the new template once the stage is done. */
    updated: number;
    startedAt?: string;
    endedAt?: string;
    result: StageResult;
    reasons: string[];
    steps: StepRecord[];
    gates: GateOutcome[];
    policyConfig?: PolicyConfig;
}

export type ExitReason = "completed" | "nothing-to-do" | "failed" | "interrupted" | "refused" | "declined" | "error";

export const EXIT_CODES: Record<ExitReason, number> = {
    completed: 0,
    "nothing-to-do": 0,
    failed: 1,
    error: 1,
    refused: 2,
    declined: 3,
    interrupted: 130,
};

export interface RolloutSummary {
    version: 1;
    stack: string;
    mode: "local" | "remote";
    env?: string;
    startedAt: string;
    endedAt?: string;
    plan?: {
        spec: string;
        kind: string;
        replicas: number;
        startPartition: number;
        deployedPartition?: number;
        stages: number[];
        pauseAfter: number[];
        done: number[];
        remaining: number[];
        warnings: string[];
    };
    gates: Array<{ name: string; on: boolean; off?: string; description: string }>;
    policy: { pack?: string; stepPolicy: string; maxStep: number; maxStepSource: string; envConfigFile?: string; envConfigFound: boolean };
    options: { pauseSeconds?: number; approve: boolean; yes: boolean; timeoutSeconds: number };
    stages: StageRecord[];
    /** kafka.partition in stack config when the driver stopped. */
    finalPartition?: number;
    exit: { code: number; reason: ExitReason; message: string };
    /** On a stop before the end: how to go on, or back. */
    next?: { resume: string; rollback: string[] };
    logDir?: string;
}

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

class StepFailure extends Error {
    constructor(
        public readonly step: string,
        public readonly reasons: string[],
        public readonly interrupted = false,
    ) {
        super(`${step}: ${reasons.join("; ")}`);
    }
}

const iso = (ms: number) => new Date(ms).toISOString();

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
        if (o.summaryJson) {
            fs.mkdirSync(path.dirname(path.resolve(o.summaryJson)), { recursive: true });
            fs.writeFileSync(o.summaryJson, JSON.stringify(summary, null, 2) + "\n");
        }
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
            updated: replicas - effectivePartition(p.partition, replicas),
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

            const ok = await runStage(p, i, n, record, gates);
            if (!ok) return stopped(record, record.result === "interrupted" ? "interrupted" : "failed", record.reasons);
        }
        const last = planned[planned.length - 1];
        if (plan.nothingToDo) {
            print(`✔ nothing to do: ${plan.nothingToDo}`);
            return finish("nothing-to-do", plan.nothingToDo);
        }
        const message = `kafka.partition is ${last.partition}: ${replicas - effectivePartition(last.partition, replicas)}/${replicas} brokers on the new template`;
        print(`✔ rollout complete: ${message}`);
        if (ws.mode === "remote") {
            print(`  remote mode does not change the repository: record it with a PR setting kafka.partition to ${last.partition} in ${path.basename(ws.configFile)}`);
        }
        return finish("completed", message);
    }

    /** Runs one stage under listr2; fills `record`; true when every step passed. */
    async function runStage(
        p: { kind: StageKind; partition: number; previous: number },
        index: number,
        of: number,
        record: StageRecord,
        gates: Gate[],
    ): Promise<boolean> {
        record.startedAt = iso(now());
        const target: GateTarget = { partition: p.partition, replicas: summary.plan!.replicas };
        const req: StageRequest = {
            partition: p.partition,
            previousPartition: p.previous,
            policyConfig: mergeStepPolicyConfig(o.envConfig, {
                previousPartition: { kafka: p.previous },
                maxStep: o.maxStep,
            }),
            label: `stage-${index}-partition-${p.partition}`,
        };
        record.policyConfig = req.policyConfig;
        const replicas = target.replicas;
        const title =
            p.kind === "verify"
                ? `gates at the current partition ${p.partition} (nothing to roll)`
                : p.kind === "baseline"
                  ? `stage 0/${of}: re-apply and gate the current partition ${p.partition}` + (p.previous !== p.partition ? ` (deployed: ${p.previous})` : "")
                  : `stage ${index}/${of}: kafka.partition ${p.previous} → ${p.partition} (${record.updated}/${replicas} brokers updated)`;
        const renderer = o.renderer ?? "default";

        const step = async (name: string, body: (rec: StepRecord) => Promise<void>) => {
            if (interrupt.requested) throw new StepFailure(name, [`stopped by Ctrl-C before ${name}`], true);
            const rec: StepRecord = { name, result: "passed", startedAt: iso(now()) };
            record.steps.push(rec);
            try {
                await body(rec);
            } catch (err) {
                rec.result = err instanceof StepFailure && err.interrupted ? "interrupted" : "failed";
                rec.reasons = err instanceof StepFailure ? err.reasons : [err instanceof Error ? err.message : String(err)];
                throw err instanceof StepFailure ? err : new StepFailure(name, rec.reasons);
            } finally {
                rec.endedAt = iso(now());
            }
        };

        const operation = (kind: "preview" | "up") => async (task: ListrTaskWrapper<unknown, any, any>) =>
            step(kind, async (rec) => {
                const abort = new AbortController();
                const dispose = interrupt.onCancel(() => {
                    task.output = `Ctrl-C again: cancelling ${kind} (stack.cancel())`;
                    abort.abort();
                    ws.cancel().catch((err) => print(`! stack.cancel(): ${err instanceof Error ? err.message : String(err)}`));
                });
                const stopNote = interrupt.onRequest((count) => {
                    if (count === 1) task.output = `Ctrl-C: finishing ${kind}, then stopping; Ctrl-C again cancels it`;
                });
                let result: OperationResult;
                try {
                    result = await (kind === "preview" ? ws.preview(req, { onOutput: show(task), signal: abort.signal }) : ws.up(req, { onOutput: show(task), signal: abort.signal }));
                } finally {
                    dispose();
                    stopNote();
                }
                rec.changes = result.changes;
                rec.logFile = result.logFile;
                rec.warnings = result.warnings.length ? result.warnings : undefined;
                if (!result.ok) throw new StepFailure(kind, result.reasons, abort.signal.aborted);
                task.title = `${kind}: ${describeChanges(result.changes)}${result.warnings.length ? ` (${result.warnings.length} advisory)` : ""}`;
            });

        const show = (task: ListrTaskWrapper<unknown, any, any>) => (line: string) => {
            // The simple (CI) renderer prints every output change; keep the operation logs in their files there.
            if (renderer === "default") task.output = line;
        };

        const gateTask = (gate: Gate) => ({
            title: gate.off ? `gate ${gate.name}: OFF (${gate.off}) — not checked` : `gate ${gate.name}`,
            task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, any, any>) => {
                const outcome = await runGate(gate, target, {
                    timeoutSeconds: o.timeoutSeconds,
                    pollMs: o.pollMs,
                    signal: interrupt.signal,
                    now,
                    sleep: o.sleep,
                    onProgress: (check, elapsed) => {
                        const line = `${check.progress ?? check.reason ?? "checking"} (${elapsed}s)`;
                        task.title = `gate ${gate.name}: ${line}`;
                        // The simple (CI) renderer prints output lines: one per change of the gate's reading.
                        task.output = check.passed || !check.reason ? line : `${check.reason} (${elapsed}s)`;
                    },
                });
                record.gates.push(outcome);
                const rec: StepRecord = {
                    name: `gate:${gate.name}`,
                    result: outcome.result,
                    reasons: outcome.reason ? [outcome.reason] : undefined,
                    status: outcome.status?.summary,
                    elapsedSeconds: outcome.elapsedSeconds,
                };
                record.steps.push(rec);
                if (outcome.result === "off") {
                    task.skip(`gate ${gate.name}: OFF (${gate.off}) — not checked`);
                    return;
                }
                if (outcome.result !== "passed") throw new StepFailure(`gate ${gate.name}`, [outcome.reason ?? "failed"], outcome.result === "interrupted");
                task.title = `gate ${gate.name}: passed${outcome.status ? ` — ${outcome.status.summary}` : ""} (${outcome.elapsedSeconds}s)`;
            },
        });

        const list = new Listr(
            [
                {
                    title,
                    task: (_ctx, parent) =>
                        parent.newListr(
                            [
                                ...(p.kind === "verify"
                                    ? []
                                    : [
                                          {
                                              title: p.kind === "baseline" ? `kafka.partition is ${p.partition} in stack config` : `set kafka.partition ${p.partition}`,
                                              task: () =>
                                                  step("config", async () => {
                                                      // The baseline is where the config already is.
                                                      if (p.kind === "stage") await ws.setPartition(p.partition);
                                                      summary.finalPartition = p.partition;
                                                  }),
                                          },
                                          {
                                              title: `preview with policy pack (${STEP_POLICY}: previous ${p.previous})`,
                                              task: (_c: unknown, t: ListrTaskWrapper<unknown, any, any>) => operation("preview")(t),
                                          },
                                          { title: "up with policy pack", task: (_c: unknown, t: ListrTaskWrapper<unknown, any, any>) => operation("up")(t) },
                                      ]),
                                ...gates.map(gateTask),
                            ],
                            { exitOnError: true },
                        ),
                },
            ],
            {
                renderer,
                registerSignalListeners: false,
                exitOnError: true,
                rendererOptions: { timer: PRESET_TIMER, collapseSubtasks: false, showErrorMessage: true },
            } as any,
        );

        try {
            await list.run();
            record.result = "passed";
            return true;
        } catch (err) {
            const failure = err instanceof StepFailure ? err : new StepFailure("stage", [err instanceof Error ? err.message : String(err)]);
            record.result = failure.interrupted ? "interrupted" : "failed";
            record.reasons = failure.reasons.map((r) => `${failure.step}: ${r}`);
            return false;
        } finally {
            record.endedAt = iso(now());
        }
    }

    /** Stop at `record`'s stage: summary, and what to do next. */
    function stopped(record: StageRecord, reason: ExitReason, reasons: string[]): RolloutSummary {
        if (record.result === "not-started") {
            record.result = reason === "declined" ? "declined" : reason === "interrupted" ? "interrupted" : "not-started";
            record.reasons = reasons;
        }
        const file = path.basename(ws.configFile);
        const stack = shortStackName(ws.stackName);
        const at = summary.finalPartition!;
        const failedStep = record.steps.find((s) => s.result !== "passed" && s.result !== "off");
        const lines: string[] = [];
        const head =
            reason === "failed"
                ? `✖ stage ${record.index} (kafka.partition ${record.partition}) failed at ${failedStep?.name ?? "?"}`
                : reason === "declined"
                  ? `■ stopped before stage ${record.index} (kafka.partition ${record.partition}): not approved`
                  : `■ stopped by Ctrl-C ${record.steps.length ? `during stage ${record.index}` : `before stage ${record.index}`} (kafka.partition ${record.partition})`;
        lines.push(head);
        for (const r of reasons) lines.push(`  ${r}`);
        if (failedStep?.logFile) lines.push(`  log: ${failedStep.logFile}`);

        const where =
            ws.mode === "local"
                ? `kafka.partition is ${at} in ${file}`
                : `the last deployment was for kafka.partition ${at} (${file} in the repository is unchanged)`;
        const cluster =
            !record.steps.length || record.result === "not-started" || record.result === "declined"
                ? `the cluster is at the last finished stage`
                : failedStep?.name === "preview" || failedStep?.name === "config"
                  ? `the cluster was not changed by this stage (it stopped before up)`
                  : failedStep?.name === "up"
                    ? `up did not finish, so the cluster may be part-way to partition ${record.partition}`
                    : `the cluster is at partition ${record.partition}`;
        lines.push(`  ${where}; ${cluster}.`);
        const upCmd =
            ws.mode === "local"
                ? (o.upCommand ??
                  `pulumi up --stack ${stack} --policy-pack ${o.policyPack ?? "policies"}${o.envConfigFile ? ` --policy-pack-config ${o.envConfigFile}` : ""}`)
                : `merge a PR that reverts the change in ${file} (push-to-deploy runs pulumi up)`;
        const replicas = summary.plan?.replicas ?? at;
        const rollback = [
            `revert the template change (image, resources, broker config) in ${file}, leaving kafka.partition at ${at}`,
            upCmd,
            at >= replicas
                ? `no broker has rolled yet at partition ${at}, so nothing restarts`
                : `the brokers at ordinals >= ${at} go back to the previous template; the others never left it`,
        ];
        lines.push(`  resume (re-gates partition ${at} first, then goes on): ${o.command}`);
        lines.push(`  roll back: 1. ${rollback[0]}`, `             2. ${rollback[1]}`, `             ${rollback[2]}`);
        if (o.summaryJson) lines.push(`  summary: ${o.summaryJson}`);
        for (const l of lines) print(l);
        summary.next = { resume: o.command, rollback };
        return finish(reason, [head.replace(/^\S+\s/, ""), ...reasons].join(": "));
    }
}

/** "1 to update, 9 unchanged" from a change summary. */
export function describeChanges(changes: Record<string, number> | undefined): string {
    if (!changes) return "done";
    const parts = Object.entries(changes)
        .filter(([, n]) => n > 0)
        .map(([op, n]) => `${n} ${op === "same" ? "unchanged" : op}`);
    return parts.length ? parts.join(", ") : "no changes";
}
