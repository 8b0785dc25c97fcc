import { MIGRATION_FLAG, MetadataFinding, MetadataMode, metadataFindings, parseOverrides } from "../platform";
import {
    DEFAULT_ENFORCEMENT,
    EnforcementLevel,
    ResourceValidationPolicy,
    configSchema,
    containerScript,
    validateStatefulSets,
    violation,
} from "./common";

export const KAFKA_METADATA = "kafka-metadata";

export interface MetadataConfig {
    /** Refuse an image whose tag names no Kafka version (`latest`, a digest only), since its mode cannot be checked. */
    refuseUnknownVersion: boolean;
}

export const METADATA_DEFAULTS: MetadataConfig = { refuseUnknownVersion: false };

/** Marks a Kafka server container (broker or controller): every Kafka image's start script. */
const SERVER_START = "kafka-server-start";

/** The metadata mode a server's overrides run: KRaft when they set process.roles, ZooKeeper otherwise. */
function modeOf(overrides: Map<string, string>): MetadataMode {
    return overrides.has("process.roles") ? "kraft" : "zookeeper";
}

/** A server in ZooKeeper → KRaft migration mode: a controller or a ZooKeeper-mode broker with the flag. */
export function isMigrating(overrides: Map<string, string>): boolean {
    return (overrides.get(MIGRATION_FLAG) ?? "").trim().toLowerCase() === "true";
}

/** A finding of components/durability.ts in this policy's words. */
function describe(f: MetadataFinding): { found: string; fix: string } {
    if (f.rule === "image-version-unknown") {
        return {
            found: `its image ${f.image} names no Kafka version in its tag, so whether it runs ${f.mode === "kraft" ? "KRaft" : "ZooKeeper"} mode cannot be checked`,
            fix: `use an image tagged with its Kafka version (kafka.image, e.g. apache/kafka:4.4.0), or set refuseUnknownVersion: false in this policy's config`,
        };
    }
    if (f.rule === "migration-needs-kafka-3.9") {
        return {
            found:
                `its image ${f.image} is Kafka ${f.version} and its servers run in ZooKeeper → KRaft migration mode (${MIGRATION_FLAG}=true); ` +
                `the migration runs on Kafka 3.9, and 4.x has no ZooKeeper to migrate from`,
            fix: `run a Kafka 3.9 image (kafka.image) until the migration is finalized (kafka.migration: finalized) and ZooKeeper removed`,
        };
    }
    return {
        found:
            `its image ${f.image} is Kafka ${f.major}.x and its servers run in ZooKeeper mode (zookeeper.connect, no process.roles); ` +
            `Kafka 4.0 removed ZooKeeper mode, so they would not start`,
        fix: `run a Kafka 3.9 image (kafka.image) or, for a new cluster, KRaft (kafka.metadata: kraft)`,
    };
}

/**
 * Kafka servers run a metadata mode their image supports: Kafka 4.x and later only with KRaft
 * (process.roles), never with ZooKeeper;
 * and a server in ZooKeeper → KRaft migration mode only on Kafka 3.9.
 *
 * @severity critical
 * @topics availability, kafka
 */
export function kafkaMetadata(
    enforcementLevel: EnforcementLevel = DEFAULT_ENFORCEMENT,
    config: Partial<MetadataConfig> = {},
): ResourceValidationPolicy {
    const defaults: MetadataConfig = { ...METADATA_DEFAULTS, ...config };
    return {
        name: KAFKA_METADATA,
        description:
            "Kafka servers run a metadata mode their image supports: Kafka 4.x and later only with KRaft (process.roles), never with ZooKeeper; " +
            "and a server in ZooKeeper → KRaft migration mode only on Kafka 3.9.",
        enforcementLevel,
        severity: "critical",
        tags: ["availability", "kafka"],
        configSchema: configSchema(defaults, {
            refuseUnknownVersion: {
                type: "boolean",
                description: "Refuse an image whose tag names no Kafka version (latest, a digest only), since its metadata mode cannot be checked.",
            },
        }),
        validateResource: validateStatefulSets(defaults, (sts, cfg, report, args) => {
            const servers = sts.containers.filter((c) => containerScript(c).includes(SERVER_START));
            if (servers.length === 0) args.notApplicable("not a Kafka StatefulSet");
            for (const c of servers) {
                const overrides = parseOverrides(containerScript(c));
                const options = { refuseUnknownVersion: cfg.refuseUnknownVersion, migrating: isMigrating(overrides) };
                for (const f of metadataFindings(modeOf(overrides), String(c.image ?? ""), options)) {
                    const { found, fix } = describe(f);
                    report(violation(sts.subject, KAFKA_METADATA, found, fix));
                }
            }
        }),
    };
}
