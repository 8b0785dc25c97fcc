// What the driver says when it stops before the end: which stage stopped and why, where config and
// cluster are now, and the commands to resume or to roll back. Pure: the driver prints the lines.
import * as path from "path";
import { shortStackName } from "../workspace";
import { ExitReason, StageRecord } from "./summary";

export interface StopAdviceArgs {
    record: StageRecord;
    reason: ExitReason;
    reasons: string[];
    mode: "local" | "remote";
    /** The stack's config file (Pulumi.<stack>.yaml). */
    configFile: string;
    stackName: string;
    /** kafka.partition in stack config now. */
    partition: number;
    replicas?: number;
    /** The command that ran the rollout: rerunning it resumes. */
    command: string;
    upCommand?: string;
    policyPack?: string;
    envConfigFile?: string;
    summaryJson?: string;
}

export interface StopAdvice {
    /** The first line ("✖ stage 2 (kafka.partition 1) failed at gate:kubernetes"). */
    head: string;
    /** Every line to print, head first. */
    lines: string[];
    /** The roll-back steps, for the summary. */
    rollback: string[];
    /** One line for the summary's exit message. */
    message: string;
}

export function stopAdvice(a: StopAdviceArgs): StopAdvice {
    const { record, reason, reasons } = a;
    const file = path.basename(a.configFile);
    const stack = shortStackName(a.stackName);
    const at = a.partition;
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
        a.mode === "local"
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
        a.mode === "local"
            ? (a.upCommand ??
              `pulumi up --stack ${stack} --policy-pack ${a.policyPack ?? "policies"}${a.envConfigFile ? ` --policy-pack-config ${a.envConfigFile}` : ""}`)
            : `merge a PR that reverts the change in ${file} (push-to-deploy runs pulumi up)`;
    const replicas = a.replicas ?? at;
    const rollback = [
        `revert the template change (image, resources, broker config) in ${file}, leaving kafka.partition at ${at}`,
        upCmd,
        at >= replicas
            ? `no broker has rolled yet at partition ${at}, so nothing restarts`
            : `the brokers at ordinals >= ${at} go back to the previous template; the others never left it`,
    ];
    lines.push(`  resume (re-gates partition ${at} first, then goes on): ${a.command}`);
    lines.push(`  roll back: 1. ${rollback[0]}`, `             2. ${rollback[1]}`, `             ${rollback[2]}`);
    if (a.summaryJson) lines.push(`  summary: ${a.summaryJson}`);
    return { head, lines, rollback, message: [head.replace(/^\S+\s/, ""), ...reasons].join(": ") };
}
