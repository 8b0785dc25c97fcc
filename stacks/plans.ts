// Staged-rollout plans: which RollingUpdate partitions a rollout walks through, as a pure function of
// the plan the user asked for, kafka.replicas and the partition the stack is at now.
//
// A plan is a strictly descending list of partitions. Partition P updates the brokers at ordinals
// >= P, so every partition at or above replicas means the same thing ("nothing rolled", the change
// is only staged) and plans are compared in *effective* partitions, min(P, replicas) — the
// arithmetic of rollout/partitions.ts, which the policy pack's rollout-partition-step uses too.
//
// Resuming. A rollout only ever lowers the partition, so the stages at or above the current
// partition (in effective terms) are already behind the stack: they are `done`, and the rollout
// resumes with the first stage below it. Current 90 with 100,99,90,50,0 leaves [50, 0].
//
// Refusing to go up. If the plan's last stage is above the current partition, every stage of it
// would raise the partition (roll pods back onto the old template, or stage a change that has
// already rolled): the plan is refused, naming --plan and the current value. A plan whose last
// stage equals the current partition is complete: nothing to do. In particular a stack at
// partition 0 has nothing to roll: to roll a new change in stages, set kafka.partition to the
// broker count together with the change, then run the rollout.

import { effectivePartition, partitionStep, updatedCount } from "../rollout/partitions";

/** The plan kinds `--plan` accepts besides an explicit list. */
export const PLAN_KINDS = ["canary", "linear", "geometric"] as const;
export type PlanKind = (typeof PLAN_KINDS)[number] | "list";

/** Default time the canary bakes before the rest of the brokers roll, when --pause is not given. */
export const CANARY_BAKE_SECONDS = 60;

export interface PlanStage {
    /** The partition this stage sets (kafka.partition). */
    partition: number;
    /** Brokers on the new template once the stage is done: replicas - min(partition, replicas). */
    updated: number;
    /** The plan asks to pause after this stage (the canary) before the next one starts. */
    pauseAfter: boolean;
}

export interface RolloutPlan {
    /** `--plan` as given. */
    spec: string;
    kind: PlanKind;
    replicas: number;
    /** kafka.partition when the plan was computed. */
    current: number;
    /** Every stage of the plan, first to last. */
    stages: PlanStage[];
    /** Partitions of the stages already behind the current partition. */
    done: number[];
    /** Stages still to run, in order; empty when there is nothing to do. */
    remaining: PlanStage[];
    /** Explains an empty `remaining` (already complete). */
    nothingToDo?: string;
    /** Things the user should know, e.g. stages above replicas collapsing into one. */
    warnings: string[];
}

/** A plan or step limit the user asked for cannot be run; the message names the flag and value. */
export class PlanError extends Error {
    constructor(
        public readonly flag: string,
        public readonly value: string,
        detail: string,
    ) {
        super(`${flag} ${value}: ${detail}`);
        this.name = "PlanError";
    }
}

export { effectivePartition };

const stage = (partition: number, replicas: number, pauseAfter = false): PlanStage => ({
    partition,
    updated: updatedCount(partition, replicas),
    pauseAfter,
});

/** Parse `--plan`: a plan kind, or a strictly descending comma-separated list of partitions. */
export function parsePlanSpec(spec: string): { kind: PlanKind; list?: number[] } {
    const text = spec.trim();
    if ((PLAN_KINDS as readonly string[]).includes(text)) return { kind: text as PlanKind };
    if (!/^[\d\s,]+$/.test(text) && !text.includes(",")) {
        throw new PlanError(
            "--plan",
            JSON.stringify(spec),
            `expected ${PLAN_KINDS.join(", ")} or a descending list of partitions such as 100,99,90,50,0`,
        );
    }
    const list = text.split(",").map((part) => {
        const p = part.trim();
        if (!/^\d+$/.test(p) || !Number.isSafeInteger(Number(p))) {
            throw new PlanError("--plan", JSON.stringify(spec), `${JSON.stringify(p)} is not a partition (a whole number from 0 up)`);
        }
        return Number(p);
    });
    for (let i = 1; i < list.length; i++) {
        if (list[i] >= list[i - 1]) {
            throw new PlanError(
                "--plan",
                JSON.stringify(spec),
                `partitions must strictly descend (a rollout only lowers the partition), but ${list[i - 1]} is followed by ${list[i]}`,
            );
        }
    }
    return { kind: "list", list };
}

/**
 * Every stage of a plan for a StatefulSet of `replicas` brokers. Generated plans start at
 * `replicas` (the change staged, nothing rolled) and end at 0:
 *  - canary:    replicas, replicas-1 (one broker, then a pause), 0
 *  - linear:    replicas, replicas-1, ..., 1, 0 (one broker per stage)
 *  - geometric: replicas, replicas-1, replicas-2, replicas-4, ..., 0 (updated brokers double)
 */
export function planStages(kind: PlanKind, replicas: number, list?: number[]): PlanStage[] {
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`kafka.replicas must be at least 1, got ${replicas}`);
    let partitions: number[];
    switch (kind) {
        case "canary":
            partitions = [replicas, replicas - 1, 0];
            break;
        case "linear":
            partitions = Array.from({ length: replicas + 1 }, (_, i) => replicas - i);
            break;
        case "geometric": {
            partitions = [replicas];
            for (let updated = 1; updated < replicas; updated *= 2) partitions.push(replicas - updated);
            partitions.push(0);
            break;
        }
        case "list":
            if (!list || list.length === 0) throw new Error("an explicit plan needs at least one partition");
            partitions = list;
            break;
    }
    // Drop repeats (canary with one broker is 1, 0, 0).
    partitions = partitions.filter((p, i) => i === 0 || p !== partitions[i - 1]);
    return partitions.map((p) => stage(p, replicas, kind === "canary" && p === replicas - 1 && p > 0));
}

export interface ComputePlanArgs {
    /** `--plan` as given. */
    spec: string;
    /** kafka.replicas. */
    replicas: number;
    /** kafka.partition now. */
    current: number;
    /** Names the stack in messages. */
    stack?: string;
}

/** The plan for this stack now: its stages, which are done and which remain. Throws PlanError. */
export function computePlan(a: ComputePlanArgs): RolloutPlan {
    const { kind, list } = parsePlanSpec(a.spec);
    const stages = planStages(kind, a.replicas, list);
    const eff = (p: number) => effectivePartition(p, a.replicas);
    const current = eff(a.current);
    const where = `kafka.partition${a.stack ? ` of stack ${a.stack}` : ""}`;
    const warnings: string[] = [];

    const above = stages.filter((s) => s.partition > a.replicas).map((s) => s.partition);
    if (above.length > 0) {
        warnings.push(
            `stage${above.length > 1 ? "s" : ""} ${above.join(", ")} ${above.length > 1 ? "are" : "is"} above kafka.replicas (${a.replicas}): ` +
                `nothing rolls at or above ${a.replicas}, so they are the same staged step`,
        );
    }

    const last = stages[stages.length - 1];
    if (current < eff(last.partition)) {
        throw new PlanError(
            "--plan",
            a.spec,
            `its last stage (${last.partition}) is above the current partition ${a.current} (${where}), so running it would raise ` +
                `the partition; a rollout only lowers it. Use a plan that ends at or below ${a.current}, e.g. --plan canary`,
        );
    }

    const done = stages.filter((s) => eff(s.partition) >= current).map((s) => s.partition);
    const remaining: PlanStage[] = [];
    for (const s of stages) {
        if (eff(s.partition) >= current) continue;
        // Two stages at or above replicas are one step; keep the first.
        if (remaining.length > 0 && eff(remaining[remaining.length - 1].partition) === eff(s.partition)) continue;
        remaining.push(s);
    }

    let nothingToDo: string | undefined;
    if (remaining.length === 0) {
        nothingToDo =
            current === 0
                ? `${where} is already 0: every broker runs the current template and there is nothing to roll. To roll a new ` +
                  `change in stages, set kafka.partition to ${a.replicas} (kafka.replicas) in the same change, then run the rollout`
                : `${where} is ${a.current}, the last stage of --plan ${a.spec}: the plan is complete`;
    }
    return { spec: a.spec, kind, replicas: a.replicas, current: a.current, stages, done, remaining, nothingToDo, warnings };
}

/**
 * Check that no step of the rollout rolls more than `maxStep` brokers at once, starting from
 * `from` (the partition deployed before the first step). Throws PlanError naming `flag`.
 * `source` says where maxStep came from, for the message.
 */
export function checkMaxStep(a: { from: number; partitions: number[]; replicas: number; maxStep: number; flag?: string; source?: string }): void {
    const flag = a.flag ?? "--max-step";
    const steps = a.partitions.map((p, i) => {
        const prev = i === 0 ? a.from : a.partitions[i - 1];
        return { prev, p, ...partitionStep(prev, p, a.replicas) };
    });
    const first = steps.find((s) => s.size > a.maxStep);
    if (first) {
        const needed = Math.max(...steps.map((s) => s.size));
        throw new PlanError(
            flag,
            String(a.maxStep),
            `the step from partition ${first.prev} to ${first.p} rolls ${first.size} brokers at once (ordinals ${first.first}..${first.last}), ` +
                `more than ${a.maxStep}${a.source ? ` (${a.source})` : ""}; this plan needs --max-step ${needed}, or use a plan with ` +
                `smaller steps (e.g. --plan linear)`,
        );
    }
}

/** One line per plan: "canary: 3 → 2 (pause) → 0; done: 3; next: 2". */
export function describePlan(plan: RolloutPlan): string {
    const stages = plan.stages.map((s) => `${s.partition}${s.pauseAfter ? " (pause)" : ""}`).join(" → ");
    const next = plan.remaining.length > 0 ? `; to run: ${plan.remaining.map((s) => s.partition).join(", ")}` : "; nothing to run";
    return `${plan.kind === "list" ? "plan" : plan.kind} ${stages} for ${plan.replicas} brokers, from partition ${plan.current}${next}`;
}
