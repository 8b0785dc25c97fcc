import {
    METADATA_VERSION_ANNOTATION,
    MetadataVersionFinding,
    kafkaImageVersion,
    metadataLevelFindings,
    metadataVersionChangeFindings,
    parseMetadataLevel,
    renderedStep,
} from "../platform";
import { DEFAULT_ENFORCEMENT, EnforcementLevel, StackValidationPolicy, TYPES, configSchema, containerScript, resolveConfig, statefulSetView, violation } from "./common";
import { renderedServers } from "./kafka-migration";

export const KAFKA_METADATA_VERSION = "kafka-metadata-version";

export interface MetadataVersionConfig {
    /**
     * The Kafka image of the previous update ("" when unknown: the change checks are then skipped).
     * Policies cannot see the previous state, so our commands pass it, read from the stack's
     * outputs (kafkaImage), as they pass kafka-migration its previous step.
     */
    previousImage: string;
    /** kafka.metadataVersion of the previous update (the metadataVersion output); "" when it was not set. */
    previousMetadataVersion: string;
}

export const METADATA_VERSION_DEFAULTS: MetadataVersionConfig = { previousImage: "", previousMetadataVersion: "" };

/** How a level reads in a message: `4.0 (4.0-IV3, feature level 25)`. */
function describeLevel(given: string): string {
    const level = parseMetadataLevel(given);
    if (!level) return JSON.stringify(given);
    return level.name === given ? `${given} (feature level ${level.level})` : `${given} (${level.name}, feature level ${level.level})`;
}

/** A finding of components/metadata-version.ts in this policy's words. */
function describe(f: MetadataVersionFinding, given: string, where: string): { found: string; fix: string } {
    switch (f.rule) {
        case "unknown-level":
            return {
                found: `its metadata.version ${JSON.stringify(f.given)} is not a level this platform knows`,
                fix: `set kafka.metadataVersion to a release such as 3.9 or 4.0, or a level such as 4.0-IV3 (components/metadata-version.ts lists them)`,
            };
        case "level-above-image":
            return {
                found: `it raises metadata.version to ${describeLevel(given)} while ${where} runs ${f.image}, Kafka ${f.line}, which does not know Kafka ${f.level.major}.${f.level.minor} levels`,
                fix: `upgrade kafka.image to ${f.level.major}.${f.level.minor} or later first, in an update of its own, then set kafka.metadataVersion`,
            };
        case "downgrade":
            return {
                found:
                    `it lowers metadata.version from ${describeLevel(f.previous.given)} to ${describeLevel(f.level.given)}; kafka-features.sh upgrade cannot lower a level ` +
                    `and Kafka refuses a downgrade that might delete metadata`,
                fix: `keep kafka.metadataVersion at ${f.previous.given} or raise it: a metadata.version is not lowered here`,
            };
        case "changed-with-image":
            return {
                found:
                    `it changes metadata.version from ${f.previousLevel ? describeLevel(f.previousLevel) : "the level the cluster has"} to ${describeLevel(f.level)} ` +
                    `in the same update that changes the servers' image from ${f.previousImage} to ${f.image}`,
                fix:
                    `change kafka.image alone first and let every controller and broker roll; set kafka.metadataVersion in the next update, ` +
                    `so the image can still be rolled back while the level is one the old image knows`,
            };
    }
}

/**
 * KRaft's metadata.version is raised on its own: not in the same update as a change of the Kafka
 * image (brokers or controllers), never lowered, never above what the servers' Kafka line knows,
 * and only once no ZooKeeper-mode or migrating server is left.
 *
 * @severity critical
 * @topics availability, kafka
 */
export function kafkaMetadataVersion(enforcementLevel: EnforcementLevel = DEFAULT_ENFORCEMENT, config: Partial<MetadataVersionConfig> = {}): StackValidationPolicy {
    const defaults: MetadataVersionConfig = { ...METADATA_VERSION_DEFAULTS, ...config };
    return {
        name: KAFKA_METADATA_VERSION,
        description:
            "KRaft's metadata.version is raised on its own: not in the same update as a change of the Kafka image (brokers or controllers), never lowered, " +
            "never above what the servers' Kafka line knows, and only once no ZooKeeper-mode or migrating server is left.",
        enforcementLevel,
        severity: "critical",
        tags: ["availability", "kafka"],
        configSchema: configSchema(defaults, {
            previousImage: { type: "string", description: "The Kafka image of the previous update (the kafkaImage stack output), passed by our commands; \"\" when unknown." },
            previousMetadataVersion: {
                type: "string",
                description: "kafka.metadataVersion of the previous update (the metadataVersion stack output), passed by our commands; \"\" when it was not set.",
            },
        }),
        validateStack: (args, reportViolation) => {
            const job = args.resources.find((r) => r.type === TYPES.job && typeof r.props?.metadata?.annotations?.[METADATA_VERSION_ANNOTATION] === "string");
            if (!job) return;
            const given: string = job.props.metadata.annotations[METADATA_VERSION_ANNOTATION];
            const subject = `Job ${job.props.metadata.namespace || "default"}/${job.props.metadata.name || job.name}`;
            const report = (found: string, fix: string) => reportViolation(violation(subject, KAFKA_METADATA_VERSION, found, fix), job.urn);

            const step = renderedStep(renderedServers(args.resources).servers);
            if (step !== "kraft") {
                report(
                    `it changes metadata.version to ${JSON.stringify(given)} while the servers are ${step === undefined ? "in no step of the migration" : `at migration step ${step}`}; ` +
                        `Kafka refuses to change it while a ZooKeeper migration is in progress`,
                    `set kafka.metadataVersion only with kafka.metadata: kraft (a KRaft stack, or a migration finalized and ZooKeeper removed)`,
                );
                return;
            }
            // The image of every Kafka server: brokers and controllers run one image, but each is checked.
            const servers = args.resources
                .filter((r) => r.type === TYPES.statefulSet)
                .map((r) => statefulSetView(r.props, r.name))
                .filter((v) => v.app === "kafka" || v.app === "kafka-controller")
                .map((v) => ({ subject: v.subject, image: String(v.containers.find((c) => containerScript(c).includes("kafka-server-start"))?.image ?? "") }))
                .filter((s) => s.image !== "");
            for (const s of servers) {
                for (const f of metadataLevelFindings(given, s.image, kafkaImageVersion(s.image))) {
                    const { found, fix } = describe(f, given, s.subject);
                    report(found, fix);
                }
            }
            const cfg = resolveConfig(defaults, args.getConfig<object>());
            if (!cfg.previousImage) return;
            const previous = { image: cfg.previousImage, ...(cfg.previousMetadataVersion ? { metadataVersion: cfg.previousMetadataVersion } : {}) };
            for (const f of metadataVersionChangeFindings(previous, { images: servers.map((s) => s.image), metadataVersion: given })) {
                const { found, fix } = describe(f, given, "");
                report(found, fix);
            }
        },
    };
}
