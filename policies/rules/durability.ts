import { parseOverrides } from "../platform";
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

/** What a broker uses when its start command does not set a key (Kafka 3.x defaults). */
export const KAFKA_DEFAULTS: Readonly<Record<string, string>> = {
    "min.insync.replicas": "1",
    "unclean.leader.election.enable": "false",
    "default.replication.factor": "1",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.replication.factor": "3",
};

/** Replication factors that must fit the broker count, and what breaks when one does not. */
const REPLICATION_FACTORS: ReadonlyArray<readonly [string, string]> = [
    ["default.replication.factor", "topics created with the default replication factor (auto-created ones too) cannot be created"],
    ["offsets.topic.replication.factor", "__consumer_offsets cannot be created and consumer groups cannot commit offsets"],
    ["transaction.state.log.replication.factor", "__transaction_state cannot be created and transactional producers fail"],
];

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
            const brokers = sts.replicas;
            const fail = (found: string, fix: string) => report(violation(sts.subject, KAFKA_DURABILITY, found, fix));
            /** A key's value as the broker sees it, and how to name it in a message. */
            const read = (key: string) => {
                const set = overrides.get(key);
                return set !== undefined
                    ? { raw: set, shown: `${key} is ${set}` }
                    : { raw: KAFKA_DEFAULTS[key], shown: `${key} is not set (Kafka's default: ${KAFKA_DEFAULTS[key]})` };
            };
            // Memoized so that a malformed key is reported once, however many checks read it.
            const ints = new Map<string, number | undefined>();
            const int = (key: string): number | undefined => {
                if (!ints.has(key)) {
                    const v = read(key);
                    const ok = /^-?\d+$/.test(v.raw.trim());
                    if (!ok) fail(`${v.shown}, not an integer, so the broker will not start`, `set ${key} to an integer (kafka.brokerConfig)`);
                    ints.set(key, ok ? Number(v.raw.trim()) : undefined);
                }
                return ints.get(key);
            };

            const minIsr = int("min.insync.replicas");
            const rf = int("default.replication.factor");
            if (minIsr !== undefined && brokers >= 3 && minIsr < cfg.minInsyncReplicas) {
                fail(
                    `${read("min.insync.replicas").shown} with ${plural(brokers, "broker")}, so an acks=all write is acknowledged ` +
                        `once ${plural(minIsr, "broker")} ${minIsr === 1 ? "holds" : "hold"} it and is lost with ${minIsr === 1 ? "that disk" : "those disks"}`,
                    `set min.insync.replicas=${cfg.minInsyncReplicas} (kafka.brokerConfig) with default.replication.factor above it`,
                );
            }
            // A replication factor of 1 cannot have a smaller in-sync set: nothing to require there.
            if (minIsr !== undefined && rf !== undefined && minIsr >= rf && !(rf === 1 && minIsr === 1)) {
                fail(
                    `min.insync.replicas (${minIsr}) is not below default.replication.factor (${rf}), so ` +
                        (minIsr > rf
                            ? "every acks=all write to a topic with the default replication factor fails"
                            : "acks=all writes stop whenever one replica is down, as at every step of a rolling update"),
                    `set min.insync.replicas to ${Math.max(1, rf - 1)} or raise default.replication.factor to ${minIsr + 1} (at most ${brokers}) (kafka.brokerConfig)`,
                );
            }

            const unclean = read("unclean.leader.election.enable");
            if (unclean.raw.trim().toLowerCase() !== "false") {
                fail(
                    `${unclean.shown}, so an out-of-sync replica can become leader and silently drop acknowledged messages`,
                    `set unclean.leader.election.enable=false (kafka.brokerConfig)`,
                );
            }

            for (const [key, consequence] of REPLICATION_FACTORS) {
                const factor = int(key);
                if (factor === undefined) continue;
                if (factor < 1 || factor > brokers) {
                    fail(
                        `${read(key).shown} with ${plural(brokers, "broker")}, so ${consequence}`,
                        `set ${key} ${brokers === 1 ? "to 1" : `between 1 and ${brokers}`} (kafka.brokerConfig), or run more brokers (kafka.replicas)`,
                    );
                }
            }
        }),
    };
}
