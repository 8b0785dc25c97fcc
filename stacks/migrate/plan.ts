// Which phases `npm run migrate` walks, and what it refuses before anything changes. Pure: the
// driver (driver.ts) reads the stack, asks here, and prints.
//
// A position is a kafka.migration value, or `kraft` for ZooKeeper removed (kafka.metadata: kraft
// with kafka.migration: finalized). The forward order and the way back are components/migration.ts's
// (NEXT_STEPS), which the policy pack enforces on every `up` too.
import { ConfigError, parseConfig } from "../../components/config";
import type { StackState } from "../workspace";
import { FORWARD_PHASES, MigrationPhase, MigrationStep, configuredStep } from "../../components/migration";
import { PlanError } from "../plans";

export type Position = MigrationPhase | "kraft";

/** The forward walk: the phases, then ZooKeeper's removal. */
export const FORWARD_POSITIONS: ReadonlyArray<Position> = [...FORWARD_PHASES, "kraft"];

/** What `--to` accepts going forward (default finalized: ZooKeeper stays until asked for). */
export const FORWARD_TARGETS: ReadonlyArray<Position> = FORWARD_POSITIONS.slice(1);

export const DEFAULT_TARGET: Position = "finalized";

/** The docs' revert, one step at a time (README "Rollback"; NEXT_STEPS' steps back). */
export const ROLLBACK_NEXT: Readonly<Partial<Record<Position, Position>>> = {
    "brokers-kraft": "brokers-migrating",
    "brokers-migrating": "controllers-removed",
    "controllers-removed": "none",
    controllers: "none",
};

/** A position as the policy pack names it (MigrationStep: none is `zookeeper`). */
export function stepOf(p: Position): MigrationStep {
    return p === "kraft" ? "kraft" : configuredStep("zookeeper", p);
}

/** The position of a MigrationStep from the stack outputs. */
export function positionOf(step: MigrationStep): Position {
    return step === "zookeeper" ? "none" : step;
}

export interface MigrationRequest {
    /** `--to`; finalized going forward, none with --rollback. */
    to?: string;
    rollback?: boolean;
    /** `--cluster-id`: ZooKeeper's cluster id, set with the first phase when stack config has none. */
    clusterId?: string;
}

export interface MigrationPlan {
    /** Where stack config is (re-applied and gated first). */
    from: Position;
    /** What the last successful update deployed (the stack outputs), if known. */
    deployed?: Position;
    to: Position;
    rollback: boolean;
    /** The positions after `from`, in order. */
    phases: Position[];
    /** kafka.clusterId: from config, or from --cluster-id. */
    clusterId?: string;
    /** --cluster-id when stack config has no kafka.clusterId: set with the first phase. */
    setClusterId?: string;
}

const isPosition = (s: string): s is Position => (FORWARD_POSITIONS as readonly string[]).includes(s) || s === "controllers-removed";

/**
 * The walk from where stack config is to the target, or a PlanError naming the config key or flag
 * (nothing has changed yet when it is thrown).
 */
export function planMigration(state: StackState, r: MigrationRequest): MigrationPlan {
    const k = state.config.kafka;
    if (k.metadata === "kraft" && k.migration !== "finalized") {
        throw new PlanError("kafka.metadata", "kraft", `already KRaft without ZooKeeper (kafka.migration ${k.migration}): there is nothing to migrate`);
    }
    const from: Position = k.metadata === "kraft" ? "kraft" : k.migration;
    const clusterId = checkClusterId(state, from, r.clusterId, !!r.rollback);
    // Each phase is one roll of every pod; a staged partition would leave the pack's
    // previous-rollout-incomplete check (and the gates) waiting on pods that never roll.
    if (k.partition > 0) {
        throw new PlanError("kafka.partition", String(k.partition), "every phase rolls every broker, so it must be 0 (pulumi config set --path kafka.partition 0)");
    }
    if (k.controllers.partition > 0) {
        throw new PlanError(
            "kafka.controllers.partition",
            String(k.controllers.partition),
            "every phase rolls every controller, so it must be 0 (pulumi config set --path kafka.controllers.partition 0)",
        );
    }
    const rollback = !!r.rollback;
    const to = r.to ?? (rollback ? "none" : DEFAULT_TARGET);
    if (!isPosition(to)) {
        throw new PlanError("--to", to, `not a migration step; going forward: ${FORWARD_TARGETS.join(", ")}; with --rollback: brokers-migrating, controllers-removed, none`);
    }
    const deployed = state.deployedStep && positionOf(state.deployedStep);
    const phases = rollback ? rollbackPath(from, to) : forwardPath(from, to);
    if (phases.length && !clusterId) {
        throw new PlanError(
            "kafka.clusterId",
            "(unset)",
            "the controllers are formatted with the id ZooKeeper already has: read it with " +
                `\`kubectl exec --namespace ${state.namespace} zk-0 -- zkCli.sh -server localhost:2181 get /cluster/id\`, then ` +
                "`pulumi config set --path kafka.clusterId <id>` or pass --cluster-id <id>",
        );
    }
    const setClusterId = state.config.kafka.clusterId === undefined && phases.length ? clusterId : undefined;
    return { from, deployed, to, rollback, phases, clusterId, setClusterId };
}

/**
 * The cluster id the walk uses: kafka.clusterId (validation requires it past none, and keeps it
 * after a rollback to none), or --cluster-id, checked as config checks it, which must agree.
 */
function checkClusterId(state: StackState, from: Position, flag: string | undefined, rollback: boolean): string | undefined {
    const configured = state.config.kafka.clusterId;
    if (flag === undefined) return configured;
    if (rollback) throw new PlanError("--cluster-id", flag, "is for the way forward; --rollback keeps kafka.clusterId as it is");
    if (configured !== undefined && flag !== configured) {
        throw new PlanError("--cluster-id", flag, `differs from kafka.clusterId ${configured} in stack config (kafka.migration ${from}): the controllers were formatted with that one`);
    }
    try {
        parseConfig({ kafka: { migration: "controllers", clusterId: flag } });
    } catch (err) {
        throw new PlanError("--cluster-id", flag, err instanceof ConfigError ? err.problems.join("; ") : String(err));
    }
    return flag;
}

function forwardPath(from: Position, to: Position): Position[] {
    if (to === "controllers-removed" || to === "none") {
        throw new PlanError("--to", to, `a step back from kafka.migration ${from}: pass --rollback (it walks the docs' revert)`);
    }
    if (from === "controllers-removed") {
        throw new PlanError("kafka.migration", from, "a step of the way back: finish it with --rollback (to none) before migrating again");
    }
    const i = FORWARD_POSITIONS.indexOf(from);
    const j = FORWARD_POSITIONS.indexOf(to);
    if (j < i) {
        const why = from === "finalized" || from === "kraft" ? "a finalized migration cannot be reverted" : "going back is --rollback";
        throw new PlanError("--to", to, `behind kafka.migration ${from === "kraft" ? "finalized with ZooKeeper removed" : from}: ${why}`);
    }
    return FORWARD_POSITIONS.slice(i + 1, j + 1) as Position[];
}

function rollbackPath(from: Position, to: Position): Position[] {
    if (from === "finalized" || from === "kraft") {
        throw new PlanError("--rollback", `(kafka.migration ${from === "kraft" ? "finalized, ZooKeeper removed" : from})`, "a finalized migration cannot be reverted (Kafka 3.9 docs, ops.html:4257-4265)");
    }
    const path: Position[] = [];
    for (let at: Position | undefined = from; at !== to; ) {
        at = ROLLBACK_NEXT[at];
        if (at === undefined) {
            throw new PlanError("--to", to, `not on the way back from kafka.migration ${from} (${[from, ...path].join(" → ")})`);
        }
        path.push(at);
    }
    return path;
}

/** The phase's StatefulSet the `up` deletes and that is protected in state: its resource name. */
export function deletedStatefulSet(phase: Position): "zk-statefulset" | "kafka-controller-statefulset" | undefined {
    if (phase === "kraft") return "zk-statefulset";
    if (phase === "none" || phase === "controllers-removed") return "kafka-controller-statefulset";
    return undefined;
}
