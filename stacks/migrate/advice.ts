// What `npm run migrate` says when it stops: the rollback of each phase as the README's table
// gives it (the docs' revert, ops.html:4132-4268), the steps it leaves to the operator, and the
// lines of a stop. Pure: the driver prints them.
import * as path from "path";
import { CONTROLLER_NAMES } from "../../components/kafka-controller-spec";
import { MIGRATION_ZNODES, ZNODE_POD } from "../../rollout/migration-gate";
import { ZK_PORTS } from "../../components/zookeeper-spec";
import { shortStackName } from "../workspace";
import type { ExitReason, StageRecord } from "../rollout/summary";
import type { Position } from "./plan";

export interface AdviceContext {
    stackName: string;
    namespace: string;
    controllers: number;
    /** This driver's way back: `npm run migrate -- --stack dev --rollback`. */
    rollbackCommand: string;
}

/** `kubectl delete pvc` of the controllers' data: a later attempt must start from empty controller logs. */
export function controllerPvcCommand(c: Pick<AdviceContext, "namespace" | "controllers">): string {
    const pvcs = Array.from({ length: c.controllers }, (_, i) => `${CONTROLLER_NAMES.dataVolume}-${CONTROLLER_NAMES.statefulSet}-${i}`);
    return `kubectl --namespace ${c.namespace} delete pvc ${pvcs.join(" ")}`;
}

/** The znode commands of the docs' revert, in order, as one copy-paste line each. */
export function znodeCommands(namespace: string): string[] {
    const zk = (cmd: string, znode: string) => `kubectl --namespace ${namespace} exec ${ZNODE_POD} -- zkCli.sh -server localhost:${ZK_PORTS.client} ${cmd} ${znode}`;
    const [controller, migration] = MIGRATION_ZNODES;
    return [zk("delete", controller), `${zk("get", migration)}   # keep the output`, zk("delete", migration)];
}

/** How to go back from a phase (README "Rollback"): what the driver's --rollback does from there, and what stays manual. */
export function rollbackAdvice(phase: Position, c: AdviceContext): string[] {
    const unprotect = `it stops before deleting the protected ${CONTROLLER_NAMES.statefulSet} StatefulSet unless given --unprotect-controllers`;
    const pvcs = `then, before another attempt, delete the controllers' PVCs: ${controllerPvcCommand(c)}`;
    const znodes = `between controllers-removed and none it deletes ${MIGRATION_ZNODES.join(" and ")} in ZooKeeper only with --delete-migration-znodes; otherwise it stops and prints the zkCli.sh commands, which must run quickly (the cluster has no controller until they do)`;
    switch (phase) {
        case "none":
            return ["nothing to roll back: kafka.migration is none"];
        case "controllers":
            return [`${c.rollbackCommand} (kafka.migration none: deletes the controllers; brokers untouched)`, unprotect, pvcs];
        case "brokers-migrating":
            return [`${c.rollbackCommand} (kafka.migration controllers-removed, then none)`, unprotect, znodes, pvcs];
        case "brokers-kraft":
            return [`${c.rollbackCommand} (kafka.migration brokers-migrating: brokers back to ZooKeeper mode with the flag; then controllers-removed, none)`, unprotect, znodes, pvcs];
        case "controllers-removed":
            return [`${c.rollbackCommand} (kafka.migration none: brokers back to plain ZooKeeper mode)`, znodes, pvcs];
        case "finalized":
        case "kraft":
            return ["none: a finalized migration cannot be reverted (ops.html:4257-4265); fix forward"];
    }
}

export interface MigrationStopArgs {
    record: StageRecord;
    reason: ExitReason;
    reasons: string[];
    configFile: string;
    /** Where stack config is now. */
    phase: Position;
    command: string;
    advice: AdviceContext;
    summaryJson?: string;
}

export interface MigrationStop {
    head: string;
    lines: string[];
    rollback: string[];
    message: string;
}

/** A failed, declined or interrupted phase: what failed, where config and cluster are, how to resume or go back. */
export function migrationStopAdvice(a: MigrationStopArgs): MigrationStop {
    const { record, reason, reasons } = a;
    const failedStep = record.steps.find((s) => s.result !== "passed" && s.result !== "off");
    const phase = `kafka.migration ${record.phase === "kraft" ? "finalized, kafka.metadata kraft" : record.phase}`;
    const head =
        reason === "failed"
            ? `✖ phase ${record.index} (${phase}) failed at ${failedStep?.name ?? "?"}`
            : reason === "declined"
              ? `■ stopped before phase ${record.index} (${phase}): not approved`
              : `■ stopped by Ctrl-C ${record.steps.length ? "during" : "before"} phase ${record.index} (${phase})`;
    const lines = [head, ...reasons.map((r) => `  ${r}`)];
    if (failedStep?.logFile) lines.push(`  log: ${failedStep.logFile}`);
    const cluster = !record.steps.length
        ? "the cluster is at the last finished phase"
        : failedStep?.name === "preview" || failedStep?.name === "config" || failedStep?.name === "unprotect"
          ? "this phase's up did not run"
          : failedStep?.name === "up"
            ? "up did not finish, so the cluster may be part-way into it"
            : "the cluster has this phase's objects; the gate above has not passed";
    lines.push(`  kafka.migration is ${a.phase === "kraft" ? "finalized (kafka.metadata kraft)" : a.phase} in ${path.basename(a.configFile)}; ${cluster}.`);
    lines.push(`  resume (re-gates ${a.phase} first, then goes on): ${a.command}`);
    const rollback = rollbackAdvice(a.phase, a.advice);
    lines.push(`  roll back (README "Rollback"): ${rollback[0]}`, ...rollback.slice(1).map((l) => `    ${l}`));
    if (a.summaryJson) lines.push(`  summary: ${a.summaryJson}`);
    return { head, lines, rollback, message: [head.replace(/^\S+\s/, ""), ...reasons].join(": ") };
}

/** `pulumi state unprotect` as the operator would type it for this stack. */
export function unprotectCommand(stackName: string, urn: string): string {
    return `pulumi state unprotect '${urn}' --stack ${shortStackName(stackName)} --yes`;
}
