// The ZooKeeper → KRaft migration (`kafka.migration`) as named steps, once, for both places that
// enforce its order: stack config validation (config.ts) and the policy pack's kafka-migration rule
// (policies/rules/kafka-migration.ts, which is told the step deployed before, as the rollout-step
// policy is told the previous partition). The steps follow Kafka 3.9's "ZooKeeper to KRaft
// Migration" (docs/ops.html:3917-4268 on the 3.9 branch; cited below as ops.html:<line>).
//
// This module imports nothing: the policy pack loads it from its own package (policies/platform.ts).

/**
 * The values of `kafka.migration`, in the order they are walked. Each is one `up`:
 * - none: not migrating (the seed's ZooKeeper mode, or a fresh KRaft stack);
 * - controllers: a KRaft controller quorum in migration mode beside ZooKeeper, brokers untouched
 *   (ops.html:3970-4016, "Provisioning the KRaft controller quorum");
 * - brokers-migrating: the brokers rolled, still in ZooKeeper mode, with the migration flag and the
 *   quorum (ops.html:4017-4059); the controllers copy the metadata once every broker has;
 * - brokers-kraft: the brokers rolled as KRaft brokers (ops.html:4060-4105);
 * - finalized: the controllers rolled out of migration mode (ops.html:4106-4131): no way back;
 * - controllers-removed: only on the way back from brokers-migrating, the docs' revert: the
 *   controllers deprovisioned while the brokers still carry the flag, so /controller and /migration
 *   can be deleted in ZooKeeper before the brokers roll back to plain ZooKeeper mode (ops.html:4180-4210).
 */
export const MIGRATION_PHASES = ["none", "controllers", "brokers-migrating", "brokers-kraft", "finalized", "controllers-removed"] as const;
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

/** The phases a stack walks forward, in order (controllers-removed is a way back only). */
export const FORWARD_PHASES: ReadonlyArray<MigrationPhase> = ["none", "controllers", "brokers-migrating", "brokers-kraft", "finalized"];

/** What each phase means, for config errors and the README. */
export const PHASE_MEANING: Readonly<Record<MigrationPhase, string>> = {
    none: "not migrating",
    controllers: "KRaft controllers in migration mode beside ZooKeeper; brokers unchanged",
    "brokers-migrating": "brokers in ZooKeeper mode with the migration flag and the controller quorum",
    "brokers-kraft": "brokers as KRaft brokers (process.roles=broker); controllers still in migration mode",
    finalized: "controllers out of migration mode; no way back to ZooKeeper",
    "controllers-removed": "way back from brokers-migrating: controllers removed, brokers still migrating",
};

/**
 * Where a stack stands, as the pack can tell from the rendered StatefulSets: the migration phases,
 * with `zookeeper` for a ZooKeeper-mode stack that is not migrating and `kraft` for KRaft without
 * ZooKeeper (a fresh KRaft stack, or a migrated one once ZooKeeper is removed).
 */
export type MigrationStep = "zookeeper" | Exclude<MigrationPhase, "none"> | "kraft";

/** The step a stack config asks for (kafka.metadata, kafka.migration). */
export function configuredStep(metadata: "zookeeper" | "kraft", phase: MigrationPhase): MigrationStep {
    if (metadata === "kraft") return "kraft";
    return phase === "none" ? "zookeeper" : phase;
}

/**
 * The Kafka servers as rendered, each fact read from a StatefulSet (the policy does the reading).
 * `brokers` and `controllers` are undefined when that StatefulSet is not in the stack.
 */
export interface RenderedServers {
    zookeeper: boolean;
    brokers?: { kraft: boolean; migrating: boolean };
    controllers?: { migrating: boolean };
}

/** The step the rendered servers are at, or undefined when they match none (e.g. KRaft brokers with no controllers). */
export function renderedStep(r: RenderedServers): MigrationStep | undefined {
    const b = r.brokers;
    const c = r.controllers;
    if (!b) return undefined;
    if (!r.zookeeper) return !b.kraft || !c || c.migrating ? undefined : "kraft";
    if (!c) {
        if (b.kraft) return undefined;
        return b.migrating ? "controllers-removed" : "zookeeper";
    }
    if (c.migrating) {
        if (b.kraft) return "brokers-kraft";
        return b.migrating ? "brokers-migrating" : "controllers";
    }
    return b.kraft ? "finalized" : undefined;
}

/**
 * The legitimate next steps from each step: forward one phase, or back one where the docs' revert
 * table allows it (ops.html:4132-4268). A step may always follow itself (a partition stage, a CPU
 * change within the phase).
 * - controllers → zookeeper: "Deprovision the KRaft controller quorum" (ops.html:4165-4178).
 * - brokers-migrating → controllers-removed → zookeeper: deprovision the quorum, delete /controller
 *   and /migration, then roll the brokers without the flag (ops.html:4180-4210). Back to
 *   `controllers` (brokers rolled while the quorum stays) is not in the docs and is refused.
 * - brokers-kraft → brokers-migrating: brokers back to ZooKeeper mode keeping the flag, the first
 *   roll of the docs' revert (ops.html:4212-4255).
 * - finalized: "cannot revert" (ops.html:4257-4265); only ZooKeeper's removal follows.
 */
export const NEXT_STEPS: Readonly<Record<MigrationStep, ReadonlyArray<MigrationStep>>> = {
    zookeeper: ["controllers"],
    controllers: ["brokers-migrating", "zookeeper"],
    "brokers-migrating": ["brokers-kraft", "controllers-removed"],
    "brokers-kraft": ["finalized", "brokers-migrating"],
    finalized: ["kraft"],
    "controllers-removed": ["zookeeper"],
    kraft: [],
};

/** The StatefulSet whose roll a step is: the next forward step may start only once it is complete. */
export const ROLLED_BY_STEP: Readonly<Partial<Record<MigrationStep, "kafka" | "kafka-controller">>> = {
    controllers: "kafka-controller",
    "brokers-migrating": "kafka",
    "brokers-kraft": "kafka",
    finalized: "kafka-controller",
};

/** Is `next` the forward step after `previous` (not a step back)? */
export function isForward(previous: MigrationStep, next: MigrationStep): boolean {
    const order: MigrationStep[] = ["zookeeper", "controllers", "brokers-migrating", "brokers-kraft", "finalized", "kraft"];
    return order.indexOf(next) === order.indexOf(previous) + 1 && order.indexOf(previous) >= 0;
}

export type MigrationFinding =
    /** A step that does not follow the previous one (skipped, out of order, or a way back the docs do not give). */
    | { rule: "step-out-of-order"; previous: MigrationStep; next: MigrationStep; allowed: ReadonlyArray<MigrationStep> }
    /** A forward step while the previous step's StatefulSet had not rolled every pod (its partition was above 0, or unknown). */
    | { rule: "previous-rollout-incomplete"; previous: MigrationStep; next: MigrationStep; statefulSet: "kafka" | "kafka-controller"; partition: number | undefined }
    /** ZooKeeper removed while servers still need it: before the migration is finalized. */
    | { rule: "zookeeper-removed-before-finalize"; previous: MigrationStep };

/**
 * The findings of a move from the step deployed before (`previous`) to `next`. `previousPartition`
 * is the partition each StatefulSet had after the previous update (by metadata.name), as the
 * rollout driver passes it to the rollout-step policy.
 */
export function migrationStepFindings(
    previous: MigrationStep,
    next: MigrationStep,
    previousPartition: Readonly<Record<string, number>> = {},
): MigrationFinding[] {
    if (previous === next) return [];
    // zookeeper → kraft too: switching an existing ZooKeeper stack to KRaft is the migration itself.
    if (next === "kraft" && previous !== "finalized") {
        return [{ rule: "zookeeper-removed-before-finalize", previous }];
    }
    if (!NEXT_STEPS[previous].includes(next)) {
        return [{ rule: "step-out-of-order", previous, next, allowed: NEXT_STEPS[previous] }];
    }
    const rolled = ROLLED_BY_STEP[previous];
    if (isForward(previous, next) && rolled !== undefined && previousPartition[rolled] !== 0) {
        return [{ rule: "previous-rollout-incomplete", previous, next, statefulSet: rolled, partition: previousPartition[rolled] }];
    }
    return [];
}

/** The Kafka line a migration runs on: brokers on 3.9 with inter.broker.protocol.version=3.9 (ops.html:3953-3956). */
export const MIGRATION_KAFKA_VERSION = "3.9";

/** The phases in which servers still run ZooKeeper mode or the migration flag: Kafka 3.9 only. */
export const MIGRATING_PHASES: ReadonlySet<MigrationPhase> = new Set(["controllers", "brokers-migrating", "brokers-kraft", "controllers-removed"]);

/** The property that puts a server (controller or ZooKeeper-mode broker) in migration mode. */
export const MIGRATION_FLAG = "zookeeper.metadata.migration.enable";

/** How the brokers run in a phase: plain ZooKeeper mode, ZooKeeper mode with the migration flag, or KRaft. */
export type BrokerMode = "zookeeper" | "migrating" | "kraft";

export function brokerMode(metadata: "zookeeper" | "kraft", phase: MigrationPhase): BrokerMode {
    if (metadata === "kraft") return "kraft";
    if (phase === "brokers-migrating" || phase === "controllers-removed") return "migrating";
    return phase === "brokers-kraft" || phase === "finalized" ? "kraft" : "zookeeper";
}

/** Whether the KRaft controller StatefulSet exists in a phase. */
export function controllersRun(metadata: "zookeeper" | "kraft", phase: MigrationPhase): boolean {
    return metadata === "kraft" || (phase !== "none" && phase !== "controllers-removed");
}

/** Whether the controllers run in migration mode (the flag and zookeeper.connect): until finalized. */
export function controllersMigrating(metadata: "zookeeper" | "kraft", phase: MigrationPhase): boolean {
    return metadata === "zookeeper" && (phase === "controllers" || phase === "brokers-migrating" || phase === "brokers-kraft");
}
