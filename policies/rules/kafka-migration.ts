import { MIGRATION_FLAG, MigrationFinding, MigrationStep, NEXT_STEPS, RenderedServers, migrationStepFindings, parseOverrides, renderedStep } from "../platform";
import {
    DEFAULT_ENFORCEMENT,
    EnforcementLevel,
    PolicyResource,
    StackValidationPolicy,
    StatefulSetView,
    TYPES,
    configSchema,
    containerScript,
    resolveConfig,
    statefulSetView,
    violation,
} from "./common";

export const KAFKA_MIGRATION = "kafka-migration";

/** Every step, for the config schema: the migration's phases, `zookeeper` before them and `kraft` after. */
export const MIGRATION_STEPS = Object.keys(NEXT_STEPS) as MigrationStep[];

export interface MigrationConfig {
    /**
     * The migration step deployed before this update ("" when unknown). Policies cannot see the
     * previous state, so the driver passes it, read from the stack's outputs (metadata, migration),
     * as it passes the previous partition to rollout-partition-step.
     */
    previousStep: MigrationStep | "";
    /** The partition each StatefulSet (by metadata.name) had after the previous update, as rollout-partition-step takes it. */
    previousPartition: Record<string, number>;
}

export const MIGRATION_DEFAULTS: MigrationConfig = { previousStep: "", previousPartition: {} };

/** How a step reads in a message, with the config that asks for it. */
export function describeStep(step: MigrationStep): string {
    if (step === "zookeeper") return `ZooKeeper mode (kafka.migration: none)`;
    if (step === "kraft") return `KRaft without ZooKeeper (kafka.metadata: kraft)`;
    return `kafka.migration: ${step}`;
}

/** The first server container of a StatefulSet, as its overrides read. */
function overridesOf(sts: StatefulSetView): Map<string, string> {
    const server = sts.containers.find((c) => containerScript(c).includes("kafka-server-start"));
    return parseOverrides(containerScript(server));
}

const flagged = (o: Map<string, string>) => (o.get(MIGRATION_FLAG) ?? "").trim().toLowerCase() === "true";

/** The servers as the stack renders them, read from the StatefulSets of each platform app. */
export function renderedServers(resources: PolicyResource[]): { servers: RenderedServers; brokers?: { view: StatefulSetView; urn: string } } {
    const views = resources.filter((r) => r.type === TYPES.statefulSet).map((r) => ({ view: statefulSetView(r.props, r.name), urn: r.urn }));
    const of = (app: string) => views.find((v) => v.view.app === app);
    const brokers = of("kafka");
    const controllers = of("kafka-controller");
    const servers: RenderedServers = { zookeeper: of("zk") !== undefined };
    if (brokers) {
        const o = overridesOf(brokers.view);
        servers.brokers = { kraft: o.has("process.roles"), migrating: flagged(o) };
    }
    if (controllers) servers.controllers = { migrating: flagged(overridesOf(controllers.view)) };
    return { servers, brokers };
}

function describeServers(s: RenderedServers): string {
    const parts = [s.zookeeper ? "a ZooKeeper ensemble" : "no ZooKeeper ensemble"];
    parts.push(s.controllers ? `KRaft controllers ${s.controllers.migrating ? "in" : "out of"} migration mode` : "no KRaft controllers");
    if (s.brokers) parts.push(s.brokers.kraft ? "KRaft brokers" : `ZooKeeper-mode brokers ${s.brokers.migrating ? "with" : "without"} the migration flag`);
    return parts.join(", ");
}

/** A finding of components/migration.ts in this policy's words. */
function describe(f: MigrationFinding, next: MigrationStep): { found: string; fix: string } {
    if (f.rule === "zookeeper-removed-before-finalize") {
        return {
            found:
                `it removes ZooKeeper (${describeStep(next)}) while the step deployed is ${describeStep(f.previous)}: ` +
                `before the migration is finalized the brokers or controllers still need it, and the way back to ZooKeeper mode is lost`,
            fix: `walk the phases to kafka.migration: finalized first; set kafka.metadata: kraft only after that`,
        };
    }
    if (f.rule === "previous-rollout-incomplete") {
        const key = f.statefulSet === "kafka" ? "kafka.partition" : "kafka.controllers.partition";
        const finalize = next === "finalized" ? " (finalize needs every broker running as KRaft)" : "";
        return {
            found:
                `it moves from ${describeStep(f.previous)} to ${describeStep(next)} while the previous step's rollout of ` +
                `StatefulSet ${f.statefulSet} was ${f.partition === undefined ? "not known to be complete (no previous partition passed)" : `at partition ${f.partition}, not every pod`}${finalize}`,
            fix: `finish ${describeStep(f.previous)} first: lower ${key} to 0 and let that stage become Ready, then move on`,
        };
    }
    const allowed = f.allowed.length > 0 ? f.allowed.map(describeStep).join(" or ") : "nothing: the migration is over";
    return {
        found: `it moves from ${describeStep(f.previous)} to ${describeStep(f.next)}, which skips a phase or goes out of order`,
        fix: `the next step from ${describeStep(f.previous)} is ${allowed} (README: Migrating from ZooKeeper to KRaft)`,
    };
}

/**
 * The ZooKeeper to KRaft migration walks its phases in order: none skipped or out of order, a phase
 * begun only once the previous one has rolled every pod (so finalize only once every broker runs as
 * KRaft), and ZooKeeper removed only after finalize.
 *
 * @severity critical
 * @topics availability, kafka
 */
export function kafkaMigration(enforcementLevel: EnforcementLevel = DEFAULT_ENFORCEMENT, config: Partial<MigrationConfig> = {}): StackValidationPolicy {
    const defaults: MigrationConfig = { ...MIGRATION_DEFAULTS, ...config };
    return {
        name: KAFKA_MIGRATION,
        description:
            "The ZooKeeper to KRaft migration walks its phases in order: none skipped or out of order, a phase begun only once the previous one " +
            "has rolled every pod (so finalize only once every broker runs as KRaft), and ZooKeeper removed only after finalize.",
        enforcementLevel,
        severity: "critical",
        tags: ["availability", "kafka"],
        configSchema: configSchema(defaults, {
            previousStep: {
                type: "string",
                enum: ["", ...MIGRATION_STEPS],
                description: "The migration step deployed before this update (zookeeper, a kafka.migration phase, or kraft), passed by the driver; \"\" when unknown.",
            },
            previousPartition: {
                type: "object",
                additionalProperties: { type: "integer", minimum: 0 },
                description: "Partition of each StatefulSet (by metadata.name) after the previous update, passed by the driver.",
            },
        }),
        validateStack: (args, reportViolation) => {
            const cfg = resolveConfig(defaults, args.getConfig<object>());
            const { servers, brokers } = renderedServers(args.resources);
            // A stack without brokers is no Kafka cluster of ours.
            if (!brokers) return;
            const report = (found: string, fix: string) => reportViolation(violation(brokers.view.subject, KAFKA_MIGRATION, found, fix), brokers.urn);
            const step = renderedStep(servers);
            if (step === undefined) {
                report(
                    `its servers match no step of the ZooKeeper to KRaft migration (${describeServers(servers)})`,
                    `configure a phase of kafka.migration with kafka.metadata as README: Migrating from ZooKeeper to KRaft gives them`,
                );
                return;
            }
            if (cfg.previousStep === "") return;
            for (const f of migrationStepFindings(cfg.previousStep, step, cfg.previousPartition ?? {})) {
                const { found, fix } = describe(f, step);
                report(found, fix);
            }
        },
    };
}
