// The rollout's record: every stage, step and gate outcome, the exit and what to do next. Written as
// JSON with --summary-json; the driver fills it in as it goes.
import * as fs from "fs";
import * as path from "path";
import type { GateOutcome } from "../../rollout/gates";
import type { PolicyConfig } from "../policy-config";

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
    /** `npm run migrate`: the kafka.migration phase of this stage (`kraft`: ZooKeeper removed), and the one before it. */
    phase?: string;
    previousPhase?: string;
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

/** manual-step: `npm run migrate` stopped before a step it does only with an explicit flag (unprotect, znodes). */
export type ExitReason = "completed" | "nothing-to-do" | "failed" | "interrupted" | "refused" | "declined" | "error" | "manual-step";

export const EXIT_CODES: Record<ExitReason, number> = {
    completed: 0,
    "nothing-to-do": 0,
    failed: 1,
    error: 1,
    refused: 2,
    declined: 3,
    "manual-step": 4,
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
    /** `npm run migrate`: the walk, and what is left to do by hand. */
    migration?: {
        from: string;
        deployed?: string;
        to: string;
        rollback: boolean;
        phases: string[];
        /** kafka.migration (or `kraft`) in stack config when the driver stopped. */
        finalPhase: string;
        /** Steps left to the operator (a PVC deletion), or the ones a stop is waiting for. */
        manualSteps: string[];
        flags: { unprotectZookeeper: boolean; unprotectControllers: boolean; deleteMigrationZnodes: boolean };
    };
    /** kafka.partition in stack config when the driver stopped. */
    finalPartition?: number;
    exit: { code: number; reason: ExitReason; message: string };
    /** On a stop before the end: how to go on, or back. */
    next?: { resume: string; rollback: string[] };
    logDir?: string;
}

/** Write the summary as JSON (--summary-json), making its folder. */
export function writeSummary(file: string, summary: RolloutSummary): void {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(summary, null, 2) + "\n");
}

/** "1 to update, 9 unchanged" from a change summary. */
export function describeChanges(changes: Record<string, number> | undefined): string {
    if (!changes) return "done";
    const parts = Object.entries(changes)
        .filter(([, n]) => n > 0)
        .map(([op, n]) => `${n} ${op === "same" ? "unchanged" : op}`);
    return parts.length ? parts.join(", ") : "no changes";
}
