// One stage of a rollout as listr2 tasks: set kafka.partition, preview and up with the policy pack,
// then each gate. Fills the stage's record; Ctrl-C is honoured between steps, and a second Ctrl-C
// cancels the running preview or up.
import { Listr, ListrTaskWrapper, PRESET_TIMER } from "listr2";
import { Gate, GateTarget, runGate } from "../../rollout/gates";
import { STEP_POLICY, mergeStepPolicyConfig } from "../policy-config";
import { OperationResult, RolloutWorkspace, StageRequest } from "../workspace";
import type { RolloutOptions } from "./driver";
import { Interrupt } from "./interrupt";
import { StageKind, StageRecord, StepRecord, RolloutSummary, describeChanges } from "./summary";

/** What a stage's tasks share with the driver. */
export interface StageContext {
    /** What the running of a stage reads of the driver's options. */
    o: Pick<RolloutOptions, "renderer" | "timeoutSeconds" | "pollMs" | "sleep">;
    ws: RolloutWorkspace;
    now: () => number;
    print: (line: string) => void;
    interrupt: Interrupt;
    summary: RolloutSummary;
}

export class StepFailure extends Error {
    constructor(
        public readonly step: string,
        public readonly reasons: string[],
        public readonly interrupted = false,
    ) {
        super(`${step}: ${reasons.join("; ")}`);
    }
}

export const iso = (ms: number) => new Date(ms).toISOString();

/**
 * One stage as its tasks run: a title, the steps before preview and up (the config edit, and for a
 * migration phase e.g. `pulumi state unprotect`), the request preview and up run with, and the
 * gates' target. The rollout and the migration drivers each build theirs; the running is shared.
 */
export interface StageSpec {
    title: string;
    /** Run in order before preview and up, each a step of the record (the first is usually `config`). */
    before: Array<{ name: string; title: string; run: () => Promise<void> }>;
    /** false: only the gates run (verify: nothing to roll). */
    operate: boolean;
    /** What the preview step's title says the pack is told. */
    previewNote: string;
    request: StageRequest;
    target: GateTarget;
}

/** Runs one stage of the rollout under listr2 (config, preview, up, then each gate); fills `record`; true when every step passed. */
export async function runStage(
    ctx: StageContext & { o: RolloutOptions },
    p: { kind: StageKind; partition: number; previous: number },
    index: number,
    of: number,
    record: StageRecord,
    gates: Gate[],
): Promise<boolean> {
    const { o, ws, summary } = ctx;
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
    const replicas = target.replicas;
    const title =
        p.kind === "verify"
            ? `gates at the current partition ${p.partition} (nothing to roll)`
            : p.kind === "baseline"
              ? `stage 0/${of}: re-apply and gate the current partition ${p.partition}` + (p.previous !== p.partition ? ` (deployed: ${p.previous})` : "")
              : `stage ${index}/${of}: kafka.partition ${p.previous} → ${p.partition} (${record.updated}/${replicas} brokers updated)`;
    const config = {
        name: "config",
        title: p.kind === "baseline" ? `kafka.partition is ${p.partition} in stack config` : `set kafka.partition ${p.partition}`,
        run: async () => {
            // The baseline is where the config already is.
            if (p.kind === "stage") await ws.setPartition(p.partition);
            summary.finalPartition = p.partition;
        },
    };
    return runStageSpec(
        ctx,
        { title, before: p.kind === "verify" ? [] : [config], operate: p.kind !== "verify", previewNote: `${STEP_POLICY}: previous ${p.previous}`, request: req, target },
        record,
        gates,
    );
}

/** Runs a stage under listr2: its steps before, preview and up with the pack, then each gate; fills `record`; true when every step passed. */
export async function runStageSpec(ctx: StageContext, spec: StageSpec, record: StageRecord, gates: Gate[]): Promise<boolean> {
    const { o, now, print, interrupt, ws } = ctx;
    record.startedAt = iso(now());
    const { target, title, request: req } = spec;
    record.policyConfig = req.policyConfig;
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
                            ...spec.before.map((b) => ({ title: b.title, task: () => step(b.name, b.run) })),
                            ...(spec.operate
                                ? [
                                      {
                                          title: `preview with policy pack (${spec.previewNote})`,
                                          task: (_c: unknown, t: ListrTaskWrapper<unknown, any, any>) => operation("preview")(t),
                                      },
                                      { title: "up with policy pack", task: (_c: unknown, t: ListrTaskWrapper<unknown, any, any>) => operation("up")(t) },
                                  ]
                                : []),
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
