import { DurabilityFinding, KAFKA_DEFAULTS, Setting, durabilityFindings, parseOverrides } from "../platform";
import {
    DEFAULT_ENFORCEMENT,
    EnforcementLevel,
    ResourceValidationPolicy,
    configSchema,
    containerScript,
    plural,
    validateStatefulSets,
    violation,
} from "./common";

export const KAFKA_DURABILITY = "kafka-durability";

export interface DurabilityConfig {
    /** The smallest min.insync.replicas accepted where there are at least 3 brokers. */
    minInsyncReplicas: number;
}

export const DURABILITY_DEFAULTS: DurabilityConfig = { minInsyncReplicas: 2 };

/** Kafka's defaults for unset keys, from the rules' own module (components/durability.ts). */
export { KAFKA_DEFAULTS };

/** How a message names a setting. */
const shown = (s: Setting) => (s.set ? `${s.key} is ${s.raw}` : `${s.key} is not set (Kafka's default: ${s.raw})`);

/** A finding of components/durability.ts in this policy's words: what was found, how to fix it. */
function describe(f: DurabilityFinding): { found: string; fix: string } {
    switch (f.rule) {
        case "not-integer":
            return { found: `${shown(f.setting)}, not an integer, so the broker will not start`, fix: `set ${f.setting.key} to an integer (kafka.brokerConfig)` };
        case "min-isr-below-one":
            return { found: `${shown(f.setting)}, below 1, so the broker will not start`, fix: `set min.insync.replicas to at least 1 (kafka.brokerConfig)` };
        case "min-isr-low":
            return {
                found:
                    `${shown(f.setting)} with ${plural(f.brokers, "broker")}, so an acks=all write is acknowledged ` +
                    `once ${plural(f.minIsr, "broker")} ${f.minIsr === 1 ? "holds" : "hold"} it and is lost with ${f.minIsr === 1 ? "that disk" : "those disks"}`,
                fix: `set min.insync.replicas=${f.floor} (kafka.brokerConfig) with default.replication.factor above it`,
            };
        case "min-isr-not-below-rf":
            return {
                found:
                    `min.insync.replicas (${f.minIsr}) is not below default.replication.factor (${f.rf}), so ` +
                    (f.minIsr > f.rf
                        ? "every acks=all write to a topic with the default replication factor fails"
                        : "acks=all writes stop whenever one replica is down, as at every step of a rolling update"),
                fix: `set min.insync.replicas to ${Math.max(1, f.rf - 1)} or raise default.replication.factor to ${f.minIsr + 1} (at most ${f.brokers}) (kafka.brokerConfig)`,
            };
        case "unclean-election":
            return {
                found: `${shown(f.setting)}, so an out-of-sync replica can become leader and silently drop acknowledged messages`,
                fix: `set unclean.leader.election.enable=false (kafka.brokerConfig)`,
            };
        case "replication-factor-range":
            return {
                found: `${shown(f.setting)} with ${plural(f.brokers, "broker")}, so ${f.consequence}`,
                fix: `set ${f.setting.key} ${f.brokers === 1 ? "to 1" : `between 1 and ${f.brokers}`} (kafka.brokerConfig), or run more brokers (kafka.replicas)`,
            };
    }
}

/** Marks a broker container: the seed's (and every Kafka image's) start script. */
const BROKER_START = "kafka-server-start";

/**
 * Kafka brokers keep acknowledged writes: min.insync.replicas is at least 2 with 3 or more brokers
 * and below the replication factor, unclean leader election is off, and replication factors fit
 * the broker count.
 *
 * @severity critical
 * @topics durability, kafka
 */
export function kafkaDurability(
    enforcementLevel: EnforcementLevel = DEFAULT_ENFORCEMENT,
    config: Partial<DurabilityConfig> = {},
): ResourceValidationPolicy {
    const defaults: DurabilityConfig = { ...DURABILITY_DEFAULTS, ...config };
    return {
        name: KAFKA_DURABILITY,
        description:
            "Kafka brokers keep acknowledged writes: min.insync.replicas is at least 2 with 3 or more brokers and below the replication factor, unclean leader election is off, and replication factors fit the broker count.",
        enforcementLevel,
        severity: "critical",
        tags: ["durability", "kafka"],
        configSchema: configSchema(defaults, {
            minInsyncReplicas: {
                type: "integer",
                minimum: 1,
                description: "The smallest min.insync.replicas accepted where there are at least 3 brokers.",
            },
        }),
        validateResource: validateStatefulSets(defaults, (sts, cfg, report, args) => {
            const broker = sts.containers.find((c) => containerScript(c).includes(BROKER_START));
            if (!broker) {
                if (sts.app !== "kafka") args.notApplicable("not a Kafka broker StatefulSet");
                report(
                    violation(
                        sts.subject,
                        KAFKA_DURABILITY,
                        `its pods are labelled as Kafka brokers but no container runs ${BROKER_START}.sh, so its broker settings cannot be read`,
                        `start the broker with ${BROKER_START}.sh and --override key=value flags, as components/kafka-spec.ts does`,
                    ),
                );
                return;
            }
            const overrides = parseOverrides(containerScript(broker));
            // A KRaft controller hosts no partitions: these settings mean nothing there.
            if (overrides.get("process.roles") === "controller") args.notApplicable("a KRaft controller, which hosts no partitions");
            for (const f of durabilityFindings((key) => overrides.get(key), sts.replicas, { minInsyncFloor: cfg.minInsyncReplicas })) {
                const { found, fix } = describe(f);
                report(violation(sts.subject, KAFKA_DURABILITY, found, fix));
            }
        }),
    };
}
