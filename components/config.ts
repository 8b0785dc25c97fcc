// Stack config: one schema, parsed once, before any resource is registered.
//
// Every error names the full key (`kafka-platform:kafka.cpu`), the value it got and what is
// allowed; unknown keys are errors so that a typo never silently does nothing.
import { z } from "zod";
import {
    BrokerValue,
    PLATFORM_OWNED_KEYS,
    cappedReplicationFactor,
    defaultMinInsyncReplicas,
    tunableProperties,
} from "./broker-config";
import { MetadataMode, durabilityFindings, intSetting, kafkaImageVersion, metadataFindings, topicFindings } from "./durability";
import { PROJECT_NAME } from "./project";
import { KRAFT_CONTROLLER_ID_BASE } from "./kraft";
import { MIGRATING_PHASES, MigrationPhase, PHASE_MEANING, configuredStep } from "./migration";
import { describeAcceptedLevels, metadataLevelFindings } from "./metadata-version";

/** Stack config keys live under the project's name (`kafka-platform:kafka`). */
export const CONFIG_NAMESPACE = PROJECT_NAME;

/** How a broker is judged Ready; components/kafka-readiness.ts has the probes and why. */
export type KafkaReadiness = "in-sync" | "serving";

/** Defaults for container images: maintained images that still run ZooKeeper mode. */
export const DEFAULT_KAFKA_IMAGE = "apache/kafka:3.9.1";
export const DEFAULT_ZOOKEEPER_IMAGE = "zookeeper:3.9.3";
/**
 * The brokers' and controllers' default with `kafka.metadata: kraft`: the current Kafka line
 * (4.4.0 is the newest org.apache.kafka release Maven Central serves here; the Docker Hub tag
 * could not be checked from this machine).
 */
export const DEFAULT_KRAFT_KAFKA_IMAGE = "apache/kafka:4.4.0";

/** The default controller quorum: three voters keep a majority while one is down. */
export const DEFAULT_CONTROLLERS = 3;

// The Kubernetes resource.Quantity grammar: a signed decimal number with an optional binary (Ki),
// decimal SI (m, k, M) or exponent suffix.
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const PROPERTY_KEY = /^[a-z0-9]+([._-][a-z0-9]+)*$/;
const IMAGE_REF = /^[a-z0-9]+([._\/:@-][a-zA-Z0-9_.-]+)*$/;

/**
 * A Kafka Uuid as `kafka-storage.sh random-uuid` prints it: 16 bytes in base64url without padding,
 * so 22 characters whose last one carries 2 bits (A, Q, g or w) (Uuid.toString/fromString,
 * clients/src/main/java/org/apache/kafka/common/Uuid.java:129-150 in Kafka 3.9). Kafka never
 * generates one that starts with '-' (Uuid.java:80-88): it would read as an option on the
 * kafka-storage.sh command line.
 */
const CLUSTER_ID = /^[A-Za-z0-9_][A-Za-z0-9_-]{20}[AQgw]$/;
/** Kafka's reserved ids (Uuid.ZERO_UUID, Uuid.ONE_UUID, Uuid.java:39-58), never a cluster's. */
const RESERVED_CLUSTER_IDS = ["AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAQ"];

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : String(v));

/** An integer, also accepted as a canonical integer string (config set without --path stores strings). */
const integer = (min: number, what: string) =>
    z.preprocess(
        (v) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v),
        z.any().superRefine((v, ctx) => {
            if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
                ctx.addIssue({ code: z.ZodIssueCode.custom, message: `got ${show(v)}; expected ${what}` });
            }
        }),
    ) as unknown as z.ZodType<number>;

/** A positive Kubernetes quantity such as 500m, 0.5, 1Gi; numbers are accepted for CPU (0.5). */
const quantity = (example: string) =>
    z.preprocess(
        (v) => (typeof v === "number" && Number.isFinite(v) ? String(v) : v),
        z.any().superRefine((v, ctx) => {
            if (typeof v !== "string" || !QUANTITY.test(v) || !(parseFloat(v.replace(/[a-zA-Z]+$/, "")) > 0)) {
                ctx.addIssue({
                    code: z.ZodIssueCode.custom,
                    message: `got ${show(v)}; expected a positive Kubernetes quantity such as ${example}`,
                });
            }
        }),
    ) as unknown as z.ZodType<string>;

const pattern = (re: RegExp, what: string) =>
    z.any().superRefine((v, ctx) => {
        if (typeof v !== "string" || !re.test(v)) {
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: `got ${show(v)}; expected ${what}` });
        }
    }) as unknown as z.ZodType<string>;

/** One of a few words, each explained in the error: `got "x"; expected "a" (why) or "b" (why)`. */
const oneOf = <T extends string>(choices: Record<T, string>, fallback: T) =>
    z
        .any()
        .superRefine((v, ctx) => {
            if (!Object.prototype.hasOwnProperty.call(choices, v as string) || typeof v !== "string") {
                const expected = Object.entries<string>(choices).map(([word, why]) => `"${word}" (${why})`).join(" or ");
                ctx.addIssue({ code: z.ZodIssueCode.custom, message: `got ${show(v)}; expected ${expected}` });
            }
        })
        .default(fallback) as unknown as z.ZodDefault<z.ZodType<T>>;

const timeoutSeconds = integer(1, "a whole number of seconds, at least 1");

const clusterId = z.any().superRefine((v, ctx) => {
    if (typeof v !== "string" || !CLUSTER_ID.test(v) || RESERVED_CLUSTER_IDS.includes(v)) {
        ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message:
                `got ${show(v)}; expected a Kafka cluster id: 22 characters of base64url (A-Z, a-z, 0-9, '-', '_') encoding 16 bytes, ` +
                `not starting with '-', as \`kafka-storage.sh random-uuid\` prints (e.g. MkU3OEVBNTcwNTJENDM2Qg)`,
        });
    }
}) as unknown as z.ZodType<string>;

/** A broker property value: strings as they are, numbers only where JavaScript holds them exactly. */
const brokerValue = z.any().transform((v, ctx): BrokerValue => {
    if (typeof v === "string") return v;
    if (typeof v === "boolean") return String(v);
    if (typeof v === "number" && Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v))) {
        return String(v);
    }
    ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `got ${show(v)}; expected a string, boolean or number (quote integers beyond 2^53, e.g. "9223372036854775807")`,
    });
    return z.NEVER;
});

/** The fields every platform StatefulSet takes from config. */
const statefulSetFields = (what: string, exampleImage: string) => ({
    replicas: integer(1, "an integer of at least 1").default(3),
    cpu: quantity("500m or 0.5").default("500m"),
    memory: quantity("1Gi or 512Mi").default("1Gi"),
    partition: integer(0, `a non-negative integer (0 rolls every ${what}; >= replicas stages a change)`).default(0),
    image: pattern(IMAGE_REF, `a container image reference such as ${exampleImage}`).default(exampleImage),
    heapOpts: z.string().default("-Xmx512M -Xms512M"),
    storage: quantity("10Gi").default("10Gi"),
    storageClass: pattern(DNS_SUBDOMAIN, "a StorageClass name").optional(),
    rolloutTimeoutSeconds: timeoutSeconds.default(600),
});

const zookeeperSchema = z.object(statefulSetFields("pod", DEFAULT_ZOOKEEPER_IMAGE)).strict().default({});

/** The KRaft controllers: a StatefulSet of their own, on the brokers' image (one Kafka version per cluster). */
const { image: _controllerImage, ...controllerFields } = statefulSetFields("controller", DEFAULT_KRAFT_KAFKA_IMAGE);
const controllersSchema = z
    .object({
        ...controllerFields,
        replicas: integer(1, "an odd integer of at least 1 (a quorum of 2n+1 voters keeps a majority with n down)")
            .refine((n) => n % 2 === 1, (n) => ({ message: `got ${n}; expected an odd number: ${n} voters tolerate no more failures than ${n - 1}` }))
            .default(DEFAULT_CONTROLLERS),
    })
    .strict()
    .default({});

const { image: brokerImage, ...brokerFields } = statefulSetFields("broker", DEFAULT_KAFKA_IMAGE);
const kafkaSchema = z
    .object({
        ...brokerFields,
        // No default here: it depends on kafka.metadata (filled in below).
        image: brokerImage.removeDefault().optional(),
        metadata: oneOf<MetadataMode>(
            { zookeeper: "a ZooKeeper ensemble, the seed's topology; Kafka 3.9 at most", kraft: "a KRaft controller quorum; recommended for new clusters" },
            "zookeeper",
        ),
        migration: oneOf<MigrationPhase>(PHASE_MEANING, "none"),
        clusterId: clusterId.optional(),
        metadataVersion: z
            .any()
            .superRefine((v, ctx) => {
                // A YAML 4.0 is the number 4: the level would be lost, so it must be quoted.
                if (typeof v !== "string") {
                    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `got ${show(v)}; expected a string such as "4.0" (quote it: a YAML number 4.0 reads as 4)` });
                }
            })
            .optional() as unknown as z.ZodOptional<z.ZodType<string>>,
        controllers: controllersSchema,
        antiAffinity: oneOf<"required" | "preferred">({ required: "one broker per node", preferred: "single-node dev clusters" }, "required"),
        brokerConfig: z.record(brokerValue).default({}),
        readiness: oneOf<KafkaReadiness>(
            { "in-sync": "Ready once the broker is in the ISR of every partition it hosts", serving: "the seed's probe: it answers API versions" },
            "in-sync",
        ),
    })
    .strict()
    // The default image follows the metadata mode: ZooKeeper mode runs only on Kafka 3.x. A migrated
    // stack stays on 3.9 until kafka.image says otherwise: the 4.x upgrade is a step of its own.
    .transform((k) => ({
        ...k,
        image: k.image ?? (k.metadata === "kraft" && k.migration === "none" ? DEFAULT_KRAFT_KAFKA_IMAGE : DEFAULT_KAFKA_IMAGE),
    }))
    .default({});

const topicSchema = z
    .object({
        name: pattern(TOPIC_NAME, "a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)"),
        partitions: integer(1, "an integer of at least 1").default(1),
        replicationFactor: integer(1, "an integer of at least 1").optional(),
    })
    .strict();

const platformSchema = z
    .object({
        namespace: pattern(DNS_LABEL, "a Kubernetes namespace name (DNS-1123 label)").default("default"),
        zookeeper: zookeeperSchema,
        kafka: kafkaSchema,
        topics: z.array(topicSchema).default([{ name: "test", partitions: 1 }]),
        renderDir: z.string().min(1).optional(),
    })
    .strict();

type Problem = { path: (string | number)[]; message: string };

/** Accepted values of inter.broker.protocol.version while migrating: 3.9, the line the migration runs on. */
const MIGRATION_IBP = /^3\.9(-IV\d+)?$/;

/** The rules of kafka.migration that config alone can check (the order of phases is the pack's: it needs the previous one). */
function migrationProblems(cfg: z.output<typeof platformSchema>): Problem[] {
    const phase = cfg.kafka.migration;
    if (phase === "none") return [];
    const problems: Problem[] = [];
    if (cfg.kafka.metadata === "kraft" && phase !== "finalized") {
        problems.push({
            path: ["kafka", "migration"],
            message:
                `got ${show(phase)} with kafka.metadata "kraft"; kafka.metadata stays "zookeeper" while migrating and becomes "kraft" ` +
                `(ZooKeeper removed) only after kafka.migration "finalized"`,
        });
    }
    if (cfg.kafka.clusterId === undefined) {
        const ns = cfg.namespace === "default" ? "" : ` -n ${cfg.namespace}`;
        problems.push({
            path: ["kafka", "clusterId"],
            message:
                `is required with kafka.migration ${show(phase)}: the controllers must be formatted with the id the ZooKeeper cluster already has. ` +
                `Read it with \`kubectl exec${ns} zk-0 -- zkCli.sh -server localhost:2181 get /cluster/id\` (it prints {"version":"1","id":"<id>"}) ` +
                `or as cluster.id in \`kubectl exec${ns} kafka-0 -- cat /var/lib/kafka/data/meta.properties\`, then ` +
                `\`pulumi config set --path kafka.clusterId <id>\``,
        });
    }
    const ibp = cfg.kafka.brokerConfig["inter.broker.protocol.version"];
    if (ibp !== undefined && !MIGRATION_IBP.test(ibp)) {
        problems.push({
            path: ["kafka", "brokerConfig", "inter.broker.protocol.version"],
            message:
                `got ${show(ibp)} with kafka.migration ${show(phase)}; the migration pins it to 3.9 and it must not change until the migration ` +
                `is over (Kafka 3.9 docs/ops.html:3939-3941, 3955-3956): remove it or set "3.9", rolled with kafka.migration "none" first`,
        });
    }
    return problems;
}

/**
 * The rules of kafka.metadataVersion that config alone can check (components/metadata-version.ts;
 * a downgrade and a change together with the image need the previous update: the pack's).
 */
function metadataVersionProblems(cfg: z.output<typeof platformSchema>): Problem[] {
    const given = cfg.kafka.metadataVersion;
    if (given === undefined) return [];
    const at = ["kafka", "metadataVersion"];
    if (configuredStep(cfg.kafka.metadata, cfg.kafka.migration) !== "kraft") {
        return [
            {
                path: at,
                message:
                    `is set (${show(given)}) with kafka.metadata ${show(cfg.kafka.metadata)} and kafka.migration ${show(cfg.kafka.migration)}; ` +
                    `metadata.version is a KRaft feature, and Kafka refuses to change it while a ZooKeeper migration is in progress ` +
                    `(Kafka 3.9 FeatureControlManager.java:329-333): set it only with kafka.metadata "kraft" (a KRaft stack, or a migration ` +
                    `finalized and ZooKeeper removed)`,
            },
        ];
    }
    return metadataLevelFindings(given, cfg.kafka.image, kafkaImageVersion(cfg.kafka.image)).map((f) => ({
        path: at,
        message:
            f.rule === "level-above-image"
                ? `got ${show(given)} (${f.level.name}) with kafka.image ${show(f.image)}, Kafka ${f.line}; servers of that line do not know ` +
                  `a Kafka ${f.level.major}.${f.level.minor} level and the upgrade would fail: first upgrade kafka.image to ${f.level.major}.${f.level.minor} ` +
                  `or later in an up of its own, then set kafka.metadataVersion`
                : `got ${show(given)}; expected ${describeAcceptedLevels()}`,
    }));
}

/**
 * Checks across keys, run only once every key is valid on its own (so a bad kafka.replicas is
 * reported once, not again through every replication factor compared with it).
 */
function crossCheck(cfg: z.output<typeof platformSchema>, raw: Record<string, unknown>): Problem[] {
    const problems: Problem[] = [];
    const issue = (path: (string | number)[], message: string) => problems.push({ path, message });
    const brokers = cfg.kafka.replicas;

    const phase = cfg.kafka.migration;
    // The metadata rules are the policy pack's too (components/durability.ts).
    for (const f of metadataFindings(cfg.kafka.metadata, cfg.kafka.image, { migrating: MIGRATING_PHASES.has(phase) })) {
        if (f.rule === "zookeeper-mode-needs-kafka-3") {
            issue(
                ["kafka", "image"],
                `got ${show(f.image)}, Kafka ${f.major}.x, with kafka.metadata "zookeeper"; Kafka 4.0 removed ZooKeeper mode, so its brokers ` +
                    `would not start: use a 3.9 image (${DEFAULT_KAFKA_IMAGE}) or kafka.metadata "kraft" for a new cluster` +
                    (phase === "none" ? "" : ` (a migrating stack upgrades to 4.x after kafka.metadata "kraft" has removed ZooKeeper)`),
            );
        } else if (f.rule === "migration-needs-kafka-3.9") {
            issue(
                ["kafka", "image"],
                `got ${show(f.image)}, Kafka ${f.version}, with kafka.migration ${show(phase)}; the ZooKeeper → KRaft migration runs on Kafka 3.9 ` +
                    `(${DEFAULT_KAFKA_IMAGE}): upgrade the brokers to 3.9 before it, and to 4.x only once it is finalized and ZooKeeper removed`,
            );
        }
    }
    problems.push(...migrationProblems(cfg));
    problems.push(...metadataVersionProblems(cfg));
    if (cfg.kafka.metadata === "zookeeper" && phase === "none") {
        // kafka.clusterId is accepted here: it is the id ZooKeeper holds, set before the migration's
        // first phase and kept when a rollback returns to "none" (a next attempt needs it again).
        // Controllers in ZooKeeper mode would be a misreading of what the key does.
        if (((raw.kafka ?? {}) as Record<string, unknown>).controllers !== undefined) {
            issue(["kafka", "controllers"], `is used only with kafka.metadata "kraft" or a kafka.migration phase (kafka.metadata is "zookeeper", kafka.migration "none"), so it would do nothing`);
        }
    } else if (brokers > KRAFT_CONTROLLER_ID_BASE) {
        issue(["kafka", "replicas"], `got ${brokers}; expected at most ${KRAFT_CONTROLLER_ID_BASE} with KRaft controllers (broker node ids 0..${KRAFT_CONTROLLER_ID_BASE - 1}; controllers start at ${KRAFT_CONTROLLER_ID_BASE})`);
    }

    for (const key of Object.keys(cfg.kafka.brokerConfig)) {
        if (!PROPERTY_KEY.test(key)) {
            issue(["kafka", "brokerConfig", key], `is not a server.properties key (lower-case words joined by '.')`);
        } else if ((PLATFORM_OWNED_KEYS as readonly string[]).includes(key)) {
            issue(["kafka", "brokerConfig", key], `is derived by the platform from the topology and cannot be overridden`);
        }
    }
    // The durability rules are the policy pack's too (components/durability.ts); config refuses what cannot work.
    const props = tunableProperties(brokers, cfg.kafka.brokerConfig);
    const lookup = (key: string) => props.get(key);
    for (const f of durabilityFindings(lookup, brokers)) {
        const at = ["kafka", "brokerConfig", f.setting.key];
        if (f.rule === "not-integer") issue(at, `got ${show(f.setting.raw)}; expected an integer`);
        else if (f.rule === "replication-factor-range") {
            issue(at, `got ${f.value}; expected 1..${brokers} (kafka.replicas is ${brokers}; default ${cappedReplicationFactor(brokers)})`);
        } else if (f.rule === "min-isr-below-one" || f.rule === "min-isr-not-below-rf") {
            const rf = intSetting(lookup, "default.replication.factor");
            issue(
                at,
                `got ${f.minIsr}; expected at least 1 and below default.replication.factor (${rf}) so one replica can be down, ` +
                    `e.g. ${defaultMinInsyncReplicas(brokers)}`,
            );
        }
    }
    for (const f of topicFindings(cfg.topics, brokers, intSetting(lookup, "min.insync.replicas"))) {
        if (f.rule === "duplicate-topic") issue(["topics", f.index, "name"], `topic ${show(f.name)} is listed twice`);
        else if (f.rule === "topic-rf-above-brokers") {
            issue(["topics", f.index, "replicationFactor"], `got ${f.replicationFactor} for topic ${show(f.name)}; expected at most kafka.replicas (${brokers})`);
        } else {
            issue(
                ["topics", f.index, "replicationFactor"],
                `got ${f.replicationFactor} for topic ${show(f.name)}; below min.insync.replicas (${f.minIsr}) every acks=all write would fail`,
            );
        }
    }
    return problems;
}

/** The validated stack config, with every default filled in. */
export type PlatformConfig = z.output<typeof platformSchema> & { topics: Array<Required<z.output<typeof topicSchema>>> };
export type KafkaConfig = PlatformConfig["kafka"];
export type ZooKeeperConfig = PlatformConfig["zookeeper"];
export type ControllersConfig = KafkaConfig["controllers"];
export type TopicConfig = PlatformConfig["topics"][number];

/** Raised for bad stack config; its message lists every problem, one per line. */
export class ConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(`invalid stack config (nothing was changed):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

const fullKey = (path: (string | number)[]) =>
    `${CONFIG_NAMESPACE}:` + path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${p}`)).join("");

function describeIssue(issue: z.ZodIssue): string[] {
    const key = fullKey;
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
        return issue.keys.map((k) => `${key([...issue.path, k])}: unknown key (check the spelling; see the config reference in README.md)`);
    }
    if (issue.code === z.ZodIssueCode.invalid_type) {
        return [`${key(issue.path)}: got ${issue.received}; expected ${issue.expected}`];
    }
    return [`${key(issue.path)}: ${issue.message}`];
}

/**
 * Parse the project's stack config. `raw` maps keys without the namespace (`kafka`, `topics`) to
 * their values as Pulumi stores them (objects for structured config, strings for plain values).
 * Throws ConfigError naming every bad key.
 */
export function parseConfig(raw: Record<string, unknown>): PlatformConfig {
    const result = platformSchema.safeParse(raw);
    if (!result.success) {
        throw new ConfigError(result.error.issues.flatMap(describeIssue));
    }
    const problems = crossCheck(result.data, raw);
    if (problems.length > 0) {
        throw new ConfigError(problems.map((p) => `${fullKey(p.path)}: ${p.message}`));
    }
    // A topic without a replication factor gets the brokers' default (3, capped by the broker count).
    const defaultRf = Number(tunableProperties(result.data.kafka.replicas, result.data.kafka.brokerConfig).get("default.replication.factor"));
    return {
        ...result.data,
        topics: result.data.topics.map((t) => ({ ...t, replicationFactor: t.replicationFactor ?? defaultRf })),
    };
}

/**
 * Collect this project's keys from Pulumi's flat config map (`kafka-platform:kafka` → `kafka`),
 * decoding the JSON that structured values are stored as.
 */
export function projectConfig(all: Record<string, string>, namespace = CONFIG_NAMESPACE): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(all)) {
        const sep = fullKey.indexOf(":");
        if (fullKey.slice(0, sep) !== namespace) continue;
        let decoded: unknown = value;
        try {
            const parsed = JSON.parse(value);
            // Structured values come as JSON objects/arrays; scalars stay as the strings they were set as.
            if (parsed !== null && typeof parsed === "object") decoded = parsed;
        } catch {
            // A plain string value.
        }
        raw[fullKey.slice(sep + 1)] = decoded;
    }
    return raw;
}
