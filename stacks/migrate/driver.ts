// The ZooKeeper → KRaft migration driver (`npm run migrate`): walks kafka.migration one phase at a
// time, the way the rollout driver walks kafka.partition, and with its pieces (stage.ts runs each
// phase's config/preview/up/gates under listr2, summary.ts is the record, Ctrl-C is interrupt.ts).
//
// For each phase: `pulumi config set --path kafka.migration <phase>` (kafka.metadata kraft for
// ZooKeeper's removal), preview with the kafka-guardrails pack (kafka-migration told the step
// before), `up` with the pack, then the phase's gates (gates.ts). Before the first phase it
// re-applies and re-gates the phase config is at ("baseline"), so a rerun of the same command
// resumes after a failure. It stops, with config left at the failed phase, on a failed step, and
// before anything the README leaves to the operator unless its flag was given: lifting protect
// (ZooKeeper's or the controllers' StatefulSet) and the znode deletion of the way back.
import { controllersRun } from "../../components/migration";
import { ExecFn, Gate, execCommand } from "../../rollout/gates";
import { MIGRATION_ZNODES, ZNODE_POD, isNoNode, zkCliArgs } from "../../rollout/migration-gate";
import { kubectlArgs as kubectlArgsFor } from "../../rollout/kube";
import { PlanError } from "../plans";
import { mergeMigrationPolicyConfig, mergeStepPolicyConfig, migrationPrevious } from "../policy-config";
import { RolloutOptions, endStopped, endWithError, resolveMaxStep, runContext, startSummary } from "../rollout/driver";
import { StageContext, runStageSpec } from "../rollout/stage";
import { ExitReason, RolloutSummary, StageRecord } from "../rollout/summary";
import { MigrationWorkspace, StackState, shortStackName } from "../workspace";
import { AdviceContext, controllerPvcCommand, migrationStopAdvice, unprotectCommand, znodeCommands } from "./advice";
import { MigrationPlan, Position, deletedStatefulSet, planMigration, stepOf } from "./plan";

const STATEFULSET_TYPE = "kubernetes:apps/v1:StatefulSet";

/** The migration's own flags: where to go, and which of the steps left to the operator it may run. */
export interface MigrationFlags {
    /** `--to`: finalized by default; kraft also removes ZooKeeper. */
    to?: string;
    /** `--cluster-id`: ZooKeeper's cluster id, for a walk that starts at none. */
    clusterId?: string;
    /** `--rollback`: the docs' revert from where the stack is. */
    rollback?: boolean;
    /** `--unprotect-zookeeper`: run `pulumi state unprotect` for the zk StatefulSet before removing it. */
    unprotectZookeeper?: boolean;
    /** `--unprotect-controllers`: the same for the kafka-controller StatefulSet on the way back. */
    unprotectControllers?: boolean;
    /** `--delete-migration-znodes`: delete /controller and /migration with zkCli.sh on the way back. */
    deleteMigrationZnodes?: boolean;
}

export interface MigrateOptions
    extends MigrationFlags,
        Pick<
        RolloutOptions,
        | "stackName" | "timeoutSeconds" | "approve" | "yes" | "stdinIsTTY" | "ask" | "env" | "envConfig" | "envConfigFile"
        | "policyPack" | "summaryJson" | "interrupt" | "renderer" | "command" | "print" | "pollMs" | "now" | "sleep"
    > {
    /** The stack; opened only after the flags are checked when given as a function. */
    workspace: MigrationWorkspace | (() => Promise<MigrationWorkspace>);
    /** A phase's gates, made from the stack once it is read. */
    gates: (phase: Position, state: StackState) => Gate[];
    /** Runs zkCli.sh through kubectl (the znodes); execCommand by default. */
    exec?: ExecFn;
    /** This driver's way back, for the advice (`npm run migrate -- --stack dev --rollback`). */
    rollbackCommand?: string;
}

interface Run extends StageContext {
    mws: MigrationWorkspace;
    o: MigrateOptions;
    started: number;
    finish(reason: ExitReason, message: string): RolloutSummary;
}

/** Stands in for a workspace that is opened later: only its name is known. */
function notOpenYet(stackName = "?"): MigrationWorkspace {
    const no = () => Promise.reject(new Error("the stack is not open"));
    return { stackName, mode: "local", configFile: `Pulumi.${shortStackName(stackName)}.yaml`, read: no, setPartition: no, preview: no, up: no, cancel: no, setConfigValue: no, removeConfigValue: no, findResource: no, unprotect: no };
}

/** Run the migration. Resolves to the summary (rollout's shape); summary.exit.code is the process exit code. */
export async function runMigration(o: MigrateOptions): Promise<RolloutSummary> {
    const now = o.now ?? Date.now;
    const ws = typeof o.workspace === "function" ? notOpenYet(o.stackName) : o.workspace;
    const { maxStep, maxStepSource } = resolveMaxStep(o);
    const summary = startSummary(o, ws, now, maxStep, maxStepSource);
    const run: Run = { o, ws, mws: ws, started: now(), ...runContext(o, summary, now) };
    try {
        return await drive(run);
    } catch (err) {
        return endWithError(run, err, ". Nothing was changed");
    }
}


const elapsed = (run: Run) => `${Math.round((run.now() - run.started) / 1000)}s`;
const describe = (p: Position) => (p === "kraft" ? "kraft (kafka.metadata kraft: ZooKeeper removed)" : p);

async function drive(run: Run): Promise<RolloutSummary> {
    const { o, print, summary } = run;
    if (o.approve && !o.yes && !o.stdinIsTTY) {
        throw new PlanError("--approve", "(stdin is not a terminal)", "it asks y/N on stdin before each phase: pass --yes, or leave out --approve");
    }
    let state: StackState;
    try {
        if (typeof o.workspace === "function") {
            run.mws = await o.workspace();
            run.ws = run.mws;
            Object.assign(summary, { stack: run.mws.stackName, mode: run.mws.mode, logDir: run.mws.logDir });
        }
        state = await run.mws.read();
    } catch (err) {
        const message = `cannot start on stack ${run.mws.stackName}: ${err instanceof Error ? err.message : String(err)}`;
        print(`✖ ${message}`);
        return run.finish("error", message);
    }
    const plan = planMigration(state, { to: o.to, rollback: o.rollback, clusterId: o.clusterId });
    const advice: AdviceContext = {
        stackName: run.mws.stackName,
        namespace: state.namespace,
        controllers: state.config.kafka.controllers.replicas,
        rollbackCommand: o.rollbackCommand ?? `npm run migrate -- --stack ${shortStackName(run.mws.stackName)} --rollback`,
    };
    const positions: Position[] = [plan.from, ...plan.phases];
    // Every phase's gates are made before anything runs: a stack the gates cannot reach is refused up front.
    const gates = positions.map((p) => o.gates(p, state));
    const seen = new Map<string, Gate>();
    for (const g of gates.flat()) if (!seen.has(g.name)) seen.set(g.name, g);
    summary.gates = [...seen.values()].map((g) => ({ name: g.name, on: !g.off, off: g.off, description: g.description }));
    summary.migration = {
        from: plan.from,
        deployed: plan.deployed,
        to: plan.to,
        rollback: plan.rollback,
        phases: plan.phases,
        finalPhase: plan.from,
        manualSteps: [],
        flags: { unprotectZookeeper: !!o.unprotectZookeeper, unprotectControllers: !!o.unprotectControllers, deleteMigrationZnodes: !!o.deleteMigrationZnodes },
    };
    summary.finalPartition = state.partition;
    print(
        `${run.mws.stackName}: kafka.migration ${describe(plan.from)}${plan.deployed && plan.deployed !== plan.from ? ` (deployed: ${describe(plan.deployed)})` : ""}` +
            (plan.phases.length ? ` → ${plan.phases.map(describe).join(" → ")}${plan.rollback ? " (rollback)" : ""}` : `, already at --to ${plan.to}: re-applying and gating it`),
    );
    if (!o.envConfig) print(`! no policy config for ${o.env ? `environment ${o.env} (${o.envConfigFile ?? "?"} does not exist)` : `stack ${run.mws.stackName} (pass --env)`}: the pack's defaults apply`);
    for (const g of seen.values()) if (g.off) print(`! gate ${g.name} is OFF (${g.off}): ${g.description} — NOT checked at any phase`);

    summary.stages = positions.map((phase, index) => ({
        index,
        kind: index === 0 ? "baseline" : "stage",
        phase,
        previousPhase: index === 0 ? plan.deployed : positions[index - 1],
        partition: state.partition,
        previousPartition: state.partition,
        updated: state.replicas,
        result: "not-started",
        reasons: [],
        steps: [],
        gates: [],
    }));
    for (let i = 0; i < positions.length; i++) {
        const record = summary.stages[i];
        const phase = positions[i];
        const previous = i === 0 ? plan.deployed : positions[i - 1];
        if (run.interrupt.requested) return stopped(run, record, "interrupted", ["stopped by Ctrl-C before this phase started"], advice);
        if (i > 0 && o.approve) {
            const question = `Apply phase ${i}/${plan.phases.length}: kafka.migration ${previous} → ${describe(phase)}?`;
            const yes = o.yes ? (print(`${question} yes (--yes)`), true) : o.ask ? await o.ask(question, run.interrupt.signal) : false;
            if (run.interrupt.requested) return stopped(run, record, "interrupted", ["stopped by Ctrl-C at the approval prompt"], advice);
            if (!yes) return stopped(run, record, "declined", ["not approved at the prompt"], advice);
        }
        const manual = await manualStepsBefore(run, state, phase, previous);
        if ("stop" in manual) return manualStop(run, record, manual.stop, manual.reason);
        print(`▶ phase ${i}/${plan.phases.length}: ${i === 0 ? `re-apply and gate kafka.migration ${describe(phase)}` : `kafka.migration ${previous} → ${describe(phase)}`} (at ${elapsed(run)})`);
        const ok = await runStageSpec(run, stageSpec(run, state, plan, i, phase, previous, manual.before), record, gates[i]);
        const gateTimes = record.gates.map((g) => `${g.gate} ${g.result}${g.result === "off" ? "" : ` ${g.elapsedSeconds}s`}`).join(", ");
        if (!ok) return stopped(run, record, record.result === "interrupted" ? "interrupted" : "failed", record.reasons, advice);
        print(`✔ phase ${i}/${plan.phases.length} ${describe(phase)}: passed (gates: ${gateTimes || "none"}; at ${elapsed(run)})`);
    }
    return completed(run, plan, advice);
}

type Before = Array<{ name: string; title: string; run: () => Promise<void> }>;

/** The phase's stage: the steps before (unprotect, znodes, config), the request with the pack told the step before. */
function stageSpec(run: Run, state: StackState, plan: MigrationPlan, index: number, phase: Position, previous: Position | undefined, before: Before) {
    const { o, mws, summary } = run;
    const baseline = index === 0;
    // The partitions after the step before: the deployed ones for the baseline (the outputs), else
    // 0 for every StatefulSet the step before ran, since its gates saw every pod rolled.
    const previousPolicy = baseline
        ? migrationPrevious(state)
        : {
              previousStep: stepOf(previous!),
              previousPartition: { kafka: 0, ...(previous === "kraft" || controllersRun("zookeeper", previous!) ? { "kafka-controller": 0 } : {}) },
          };
    const policyConfig = mergeMigrationPolicyConfig(mergeStepPolicyConfig(o.envConfig, { previousPartition: { kafka: state.deployedPartition ?? state.partition } }), previousPolicy);
    const config = {
        name: "config",
        title: baseline ? `kafka.migration is ${describe(phase)} in stack config` : phase === "kraft" ? "set kafka.metadata kraft" : `set kafka.migration ${phase}`,
        run: async () => {
            if (!baseline) await setPhase(run, plan, phase);
            summary.migration!.finalPhase = phase;
        },
    };
    return {
        title: baseline ? `phase 0/${plan.phases.length}: re-apply and gate ${describe(phase)}` : `phase ${index}/${plan.phases.length}: kafka.migration ${previous} → ${describe(phase)}`,
        before: [...before, config],
        operate: true,
        previewNote: `kafka-migration: previous ${previousPolicy.previousStep ?? "unknown"}`,
        request: {
            partition: state.partition,
            previousPartition: state.deployedPartition ?? state.partition,
            policyConfig,
            label: `phase-${index}-${phase}`,
            message: `migrate: kafka.migration ${previous ?? "?"} → ${describe(phase)}`,
        },
        target: { partition: state.partition, replicas: state.replicas },
    };
}

/**
 * The config edit of a phase: --cluster-id comes with the first phase; kafka.controllers goes with
 * the last step back (config refuses it at none, where controllers would do nothing), while
 * kafka.clusterId stays for the next attempt.
 */
async function setPhase(run: Run, plan: MigrationPlan, phase: Position): Promise<void> {
    const { mws, print } = run;
    if (phase === "kraft") return mws.setConfigValue("kafka.metadata", "kraft");
    if (plan.setClusterId && phase === plan.phases[0]) await mws.setConfigValue("kafka.clusterId", plan.setClusterId);
    await mws.setConfigValue("kafka.migration", phase);
    if (phase === "none") {
        await mws.removeConfigValue("kafka.controllers");
        print("  kafka.controllers removed from stack config (refused at none); kafka.clusterId kept for a next attempt");
    }
}

/**
 * Before a phase: what it needs done by hand that the driver does only with its flag. Read-only
 * until a flag says otherwise: the protect flag of a StatefulSet the phase deletes, and on the
 * way back from controllers-removed whether /migration is still in ZooKeeper.
 */
async function manualStepsBefore(
    run: Run,
    state: StackState,
    phase: Position,
    previous: Position | undefined,
): Promise<{ before: Before } | { stop: string[]; reason: string }> {
    const { o, mws, print } = run;
    const before: Before = [];
    const deleted = deletedStatefulSet(phase);
    const resource = deleted && (await mws.findResource(STATEFULSET_TYPE, deleted));
    if (deleted && resource && resource.protect) {
        const zookeeper = deleted === "zk-statefulset";
        const flag = zookeeper ? o.unprotectZookeeper : o.unprotectControllers;
        const command = unprotectCommand(mws.stackName, resource.urn);
        if (!flag) {
            const what = zookeeper ? "ZooKeeper's removal deletes the zk StatefulSet" : `kafka.migration ${phase} deletes the kafka-controller StatefulSet`;
            const kept = zookeeper
                ? "its datadir-zk-N PVCs are kept (Retain); delete them yourself once you are sure"
                : "its datadir-kafka-controller-N PVCs are kept; delete them before another attempt";
            return {
                reason: `${what}, which is protected, and the program never lifts protect itself`,
                stop: [`lift protect: ${command}`, `then rerun: ${o.command}`, `or rerun with ${zookeeper ? "--unprotect-zookeeper" : "--unprotect-controllers"} to have it run that command`, kept],
            };
        }
        before.push({
            name: "unprotect",
            title: `pulumi state unprotect ${deleted} (${zookeeper ? "--unprotect-zookeeper" : "--unprotect-controllers"})`,
            run: async () => {
                print(`$ ${command}`);
                await mws.unprotect(resource.urn);
            },
        });
    }
    if (phase === "none" && previous === "controllers-removed") {
        // kubectl without the stack's kubeconfig would ask whatever cluster the shell points at.
        if (!state.kubeconfig && !o.exec) {
            return {
                reason: "the stack has no cluster (it renders YAML, or there is no kubeconfig), so whether /migration is still in ZooKeeper cannot be checked",
                stop: [...znodeCommands(state.namespace).map((c) => `on the cluster, if it is there: ${c}`), `then rerun: ${o.command}`],
            };
        }
        const exec = o.exec ?? execCommand;
        const access = { namespace: state.namespace, kubectlArgs: kubectlArgsFor(state.kubeconfig) };
        const [, migrationZnode] = MIGRATION_ZNODES;
        const r = await exec("kubectl", zkCliArgs(access, "get", migrationZnode), 60_000, run.interrupt.signal);
        const output = `${r.stdout}\n${r.stderr}`;
        const present = r.code === 0 && !isNoNode(output);
        if (!present && !isNoNode(output)) {
            return {
                reason: `cannot tell whether ${migrationZnode} is still in ZooKeeper: zkCli.sh in ${ZNODE_POD} failed (exit ${r.code}): ${output.trim().split(/\r?\n/).slice(-1)[0] || "no output"}`,
                stop: [...znodeCommands(state.namespace).map((c) => `if it is there: ${c}`), `then rerun: ${o.command}`],
            };
        }
        if (present && !o.deleteMigrationZnodes) {
            return {
                reason: `${migrationZnode} is still in ZooKeeper: the docs' revert deletes /controller and /migration before the brokers roll back, quickly (the cluster has no controller until then)`,
                stop: [...znodeCommands(state.namespace), `then rerun: ${o.command}`, "or rerun with --delete-migration-znodes to have it run them"],
            };
        }
        if (present) {
            before.push({
                name: "znodes",
                title: `delete ${MIGRATION_ZNODES.join(" and ")} in ZooKeeper (--delete-migration-znodes)`,
                run: () => deleteZnodes(run, exec, access, state.namespace),
            });
        }
    }
    return { before };
}

/** The docs' znode deletion, each command printed as it runs; /migration's content is printed before it goes. */
async function deleteZnodes(run: Run, exec: ExecFn, access: { namespace: string; kubectlArgs: string[] }, namespace: string): Promise<void> {
    const [controller, migration] = MIGRATION_ZNODES;
    const [deleteController, getMigration, deleteMigration] = znodeCommands(namespace);
    const steps: Array<[string, string[]]> = [
        [deleteController, zkCliArgs(access, "delete", controller)],
        [getMigration.replace(/\s+# keep the output$/, ""), zkCliArgs(access, "get", migration)],
        [deleteMigration, zkCliArgs(access, "delete", migration)],
    ];
    for (const [shown, args] of steps) {
        run.print(`$ ${shown}`);
        const r = await exec("kubectl", args, 60_000);
        const output = `${r.stdout}\n${r.stderr}`.trim();
        if (output) for (const l of output.split(/\r?\n/)) run.print(`  ${l}`);
        // A node already gone (a rerun, or a broker not yet re-elected) is what deletion wants.
        if (r.code !== 0 && !isNoNode(output)) throw new Error(`${shown} failed (exit ${r.code})`);
    }
}

function manualStop(run: Run, record: StageRecord, steps: string[], reason: string): RolloutSummary {
    const { print, summary } = run;
    record.reasons = [reason];
    summary.migration!.manualSteps = steps;
    const head = `■ stopped before phase ${record.index} (${describe(record.phase as Position)}): a step to do by hand`;
    print(head);
    print(`  ${reason}`);
    for (const s of steps) print(`  ${s}`);
    summary.next = { resume: run.o.command, rollback: [] };
    if (run.o.summaryJson) print(`  summary: ${run.o.summaryJson}`);
    return run.finish("manual-step", `${head.replace(/^\S+\s/, "")}: ${reason}`);
}

function stopped(run: Run, record: StageRecord, reason: ExitReason, reasons: string[], advice: AdviceContext): RolloutSummary {
    const { o, mws, summary } = run;
    const stop = migrationStopAdvice({
        record,
        reason,
        reasons,
        configFile: mws.configFile,
        phase: summary.migration!.finalPhase as Position,
        command: o.command,
        advice,
        summaryJson: o.summaryJson,
    });
    return endStopped(run, o.command, record, reason, reasons, stop);
}

function completed(run: Run, plan: MigrationPlan, advice: AdviceContext): RolloutSummary {
    const { print, summary, o } = run;
    const manual: string[] = [];
    if (plan.rollback && plan.to === "none" && plan.from !== "none") {
        manual.push(`before another migration attempt, delete the controllers' PVCs: ${controllerPvcCommand(advice)}`);
    }
    if (!plan.rollback && plan.to === "finalized") {
        manual.push(`ZooKeeper still runs: ${o.command.includes("--to") ? "rerun with --to kraft" : `${o.command} --to kraft`} removes it (it stops before lifting the zk StatefulSet's protect unless given --unprotect-zookeeper)`);
    }
    if (plan.to === "kraft") manual.push("ZooKeeper's datadir-zk-N PVCs are kept: delete them yourself once you are sure");
    summary.migration!.manualSteps = manual;
    const message = `kafka.migration is ${describe(plan.to)}${plan.phases.length ? "" : " (nothing to move; re-applied and gated)"}`;
    print(`✔ migration ${plan.phases.length ? "complete" : "checked"}: ${message} (${elapsed(run)})`);
    for (const m of manual) print(`  next: ${m}`);
    return run.finish(plan.phases.length ? "completed" : "nothing-to-do", message);
}
