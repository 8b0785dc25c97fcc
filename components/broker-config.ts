// Broker configuration: the seed tutorial's overrides, our departures from them, and the merge of
// the user's `kafka.brokerConfig` on top. Pure data and functions; no Pulumi.
import { shellQuote } from "./shell";

/** A server.properties value as it reaches `--override key=value`. */
export type BrokerValue = string;

/**
 * Every `--override` of the seed tutorial's kafka StatefulSet that we keep as it was, in the seed's
 * order. Values are strings so that Long.MAX_VALUE survives (a JS number would round it).
 * The platform-owned keys (broker.id, listeners, zookeeper.connect, log.dirs) are set by
 * `platformProperties`, and the departures below replace the seed's unsafe or version-bound values.
 */
export const SEED_KEPT: ReadonlyArray<readonly [string, BrokerValue]> = [
    ["auto.create.topics.enable", "true"],
    ["auto.leader.rebalance.enable", "true"],
    ["background.threads", "10"],
    ["compression.type", "producer"],
    ["delete.topic.enable", "false"],
    ["leader.imbalance.check.interval.seconds", "300"],
    ["leader.imbalance.per.broker.percentage", "10"],
    ["log.flush.interval.messages", "9223372036854775807"],
    ["log.flush.offset.checkpoint.interval.ms", "60000"],
    ["log.flush.scheduler.interval.ms", "9223372036854775807"],
    ["log.retention.bytes", "-1"],
    ["log.retention.hours", "168"],
    ["log.roll.hours", "168"],
    ["log.roll.jitter.hours", "0"],
    ["log.segment.bytes", "1073741824"],
    ["log.segment.delete.delay.ms", "60000"],
    ["message.max.bytes", "1000012"],
    ["num.io.threads", "8"],
    ["num.network.threads", "3"],
    ["num.recovery.threads.per.data.dir", "1"],
    ["num.replica.fetchers", "1"],
    ["offset.metadata.max.bytes", "4096"],
    ["offsets.commit.timeout.ms", "5000"],
    ["offsets.load.buffer.size", "5242880"],
    ["offsets.retention.check.interval.ms", "600000"],
    ["offsets.retention.minutes", "1440"],
    ["offsets.topic.compression.codec", "0"],
    ["offsets.topic.num.partitions", "50"],
    ["offsets.topic.segment.bytes", "104857600"],
    ["queued.max.requests", "500"],
    ["replica.fetch.min.bytes", "1"],
    ["replica.fetch.wait.max.ms", "500"],
    ["replica.high.watermark.checkpoint.interval.ms", "5000"],
    ["replica.lag.time.max.ms", "10000"],
    ["replica.socket.receive.buffer.bytes", "65536"],
    ["replica.socket.timeout.ms", "30000"],
    ["request.timeout.ms", "30000"],
    ["socket.receive.buffer.bytes", "102400"],
    ["socket.request.max.bytes", "104857600"],
    ["socket.send.buffer.bytes", "102400"],
    ["zookeeper.session.timeout.ms", "6000"],
    ["zookeeper.set.acl", "false"],
    ["broker.id.generation.enable", "true"],
    ["connections.max.idle.ms", "600000"],
    ["controlled.shutdown.enable", "true"],
    ["controlled.shutdown.max.retries", "3"],
    ["controlled.shutdown.retry.backoff.ms", "5000"],
    ["controller.socket.timeout.ms", "30000"],
    ["fetch.purgatory.purge.interval.requests", "1000"],
    ["group.max.session.timeout.ms", "300000"],
    ["group.min.session.timeout.ms", "6000"],
    ["log.cleaner.backoff.ms", "15000"],
    ["log.cleaner.dedupe.buffer.size", "134217728"],
    ["log.cleaner.delete.retention.ms", "86400000"],
    ["log.cleaner.enable", "true"],
    ["log.cleaner.io.buffer.load.factor", "0.9"],
    ["log.cleaner.io.buffer.size", "524288"],
    ["log.cleaner.io.max.bytes.per.second", "1.7976931348623157E308"],
    ["log.cleaner.min.cleanable.ratio", "0.5"],
    ["log.cleaner.min.compaction.lag.ms", "0"],
    ["log.cleaner.threads", "1"],
    ["log.cleanup.policy", "delete"],
    ["log.index.interval.bytes", "4096"],
    ["log.index.size.max.bytes", "10485760"],
    ["log.message.timestamp.type", "CreateTime"],
    ["log.preallocate", "false"],
    ["log.retention.check.interval.ms", "300000"],
    ["max.connections.per.ip", "2147483647"],
    ["num.partitions", "1"],
    ["producer.purgatory.purge.interval.requests", "1000"],
    ["replica.fetch.backoff.ms", "1000"],
    ["replica.fetch.max.bytes", "1048576"],
    ["replica.fetch.response.max.bytes", "10485760"],
    ["reserved.broker.max.id", "1000"],
];

/** Keys the platform derives from the topology; `kafka.brokerConfig` may not set them. */
export const PLATFORM_OWNED_KEYS = [
    "broker.id",
    "listeners",
    "advertised.listeners",
    "zookeeper.connect",
    "log.dirs",
    // KRaft (kafka.metadata: kraft), and the later migration's phases.
    "process.roles",
    "node.id",
    "controller.quorum.voters",
    "controller.quorum.bootstrap.servers",
    "controller.listener.names",
    "listener.security.protocol.map",
    // Set by kafka.migration's phases, never by hand.
    "zookeeper.metadata.migration.enable",
] as const;

/**
 * Seed keys that only a ZooKeeper-mode broker reads: left out in KRaft mode, where Kafka 3.9
 * checks broker.id generation and reserved.broker.max.id only when it requires ZooKeeper
 * (core/src/main/scala/kafka/server/KafkaConfig.scala:859-872) and 4.x knows none of them.
 */
export const ZOOKEEPER_ONLY_KEYS: ReadonlySet<string> = new Set([
    "zookeeper.session.timeout.ms",
    "zookeeper.set.acl",
    "zookeeper.connection.timeout.ms",
    "broker.id.generation.enable",
    "reserved.broker.max.id",
]);

/** Where a default departs from the seed, and why. The README's departures table mirrors this. */
export interface Departure {
    key: string;
    /** The seed's value, or undefined where the seed did not set the key. */
    seed?: BrokerValue;
    /** Our value for a given broker count, or undefined where we leave the key unset. */
    ours: (brokers: number) => BrokerValue | undefined;
    why: string;
}

/** Replication factor for platform topics: 3, but never more than the brokers that exist. */
export const cappedReplicationFactor = (brokers: number) => Math.max(1, Math.min(3, brokers));

/** Smallest in-sync set for acks=all: 2 wherever a replication factor of 3 allows one broker down. */
export const defaultMinInsyncReplicas = (brokers: number) => (cappedReplicationFactor(brokers) >= 3 ? 2 : 1);

export const DEPARTURES: ReadonlyArray<Departure> = [
    {
        key: "min.insync.replicas",
        seed: "1",
        ours: (b) => String(defaultMinInsyncReplicas(b)),
        why: "with 1, an acks=all write is acknowledged by a single broker and is lost if that broker's disk is",
    },
    {
        key: "unclean.leader.election.enable",
        seed: "true",
        ours: () => "false",
        why: "an out-of-sync replica elected leader silently drops the messages it had not copied",
    },
    {
        key: "default.replication.factor",
        seed: "1",
        ours: (b) => String(cappedReplicationFactor(b)),
        why: "auto-created topics with one replica go offline at every broker restart of a staged rollout",
    },
    {
        key: "offsets.topic.replication.factor",
        seed: "3",
        ours: (b) => String(cappedReplicationFactor(b)),
        why: "capped by the broker count so a 1- or 2-broker dev stack can commit consumer offsets",
    },
    {
        key: "transaction.state.log.replication.factor",
        ours: (b) => String(cappedReplicationFactor(b)),
        why: "not in the seed (Kafka 0.10 had no transactions); capped by the broker count like the offsets topic",
    },
    {
        key: "transaction.state.log.min.isr",
        ours: (b) => String(defaultMinInsyncReplicas(b)),
        why: "not in the seed; matches min.insync.replicas so small stacks can use transactions",
    },
    {
        key: "inter.broker.protocol.version",
        seed: "0.10.2-IV0",
        ours: () => undefined,
        why: "pins the 0.10.2 wire protocol; left unset so brokers speak their own version (set it in kafka.brokerConfig during a version upgrade)",
    },
    {
        key: "offsets.commit.required.acks",
        seed: "-1",
        ours: () => undefined,
        why: "deprecated since 1.0 and removed in Kafka 4.0 (a WARN at every start); -1, all replicas, is how offset commits are written anyway",
    },
    {
        key: "log.message.timestamp.difference.max.ms",
        seed: "9223372036854775807",
        ours: () => undefined,
        why: "deprecated in 3.6 and removed in 4.0; replaced by the two keys below with the seed's value (no limit)",
    },
    {
        key: "log.message.timestamp.before.max.ms",
        ours: () => "9223372036854775807",
        why: "the seed's log.message.timestamp.difference.max.ms (no limit) in the key that replaced it",
    },
    {
        key: "log.message.timestamp.after.max.ms",
        ours: () => "9223372036854775807",
        why: "the seed's log.message.timestamp.difference.max.ms (no limit) in the key that replaced it (Kafka 4.0's default is 1 hour)",
    },
    {
        key: "group.initial.rebalance.delay.ms",
        ours: () => "3000",
        why: "not in the seed; the image's sample server.properties sets 0 (meant for development), we keep Kafka's default so a group that starts its consumers one by one rebalances once, not once per consumer",
    },
    {
        key: "zookeeper.connection.timeout.ms",
        ours: () => "18000",
        why: "not in the seed; the image's sample server.properties sets it, we set it ourselves: a broker waits 18 s for the ensemble at start (it may still be electing a leader) before it exits and is restarted",
    },
    {
        key: "quota.consumer.default",
        seed: "9223372036854775807",
        ours: () => undefined,
        why: "removed in Kafka 3.0 (quotas are dynamic configs now); its seed value meant unlimited, the default",
    },
    {
        key: "quota.producer.default",
        seed: "9223372036854775807",
        ours: () => undefined,
        why: "removed in Kafka 3.0 (quotas are dynamic configs now); its seed value meant unlimited, the default",
    },
];

export interface TopologyArgs {
    /** Broker count (kafka.replicas). */
    brokers: number;
    /** Namespace of the brokers. */
    namespace: string;
    /** Name of the headless Service that gives brokers their DNS names. */
    headlessService: string;
    /** ZooKeeper connect string (ZooKeeper mode). */
    zookeeperConnect?: string;
    /** The controller quorum (KRaft mode, instead of zookeeperConnect). */
    kraft?: { quorumVoters: string; controllerListener: string };
    /**
     * The controller quorum of a ZooKeeper → KRaft migration (kafka.migration brokers-migrating):
     * the brokers stay in ZooKeeper mode (zookeeperConnect) and register with this quorum too.
     */
    migration?: { quorumVoters: string; controllerListener: string };
    /** Broker port (the seed's 9093). */
    port: number;
    /** The broker's log directory: where the data volume is mounted. */
    logDir: string;
}

/**
 * The broker properties derived from the topology. broker.id and advertised.listeners use the
 * pod's own hostname, so they are rendered as shell expressions evaluated in the container.
 */
export function platformProperties(t: TopologyArgs): Array<[string, string]> {
    const advertised = `PLAINTEXT://\${HOSTNAME}.${t.headlessService}.${t.namespace}.svc.cluster.local:${t.port}`;
    if (t.kraft) {
        return [
            ["process.roles", "broker"],
            // The ordinal of kafka-N is its node id, stable across restarts; controllers use ids from 3000.
            ["node.id", "${HOSTNAME##*-}"],
            ["controller.quorum.voters", t.kraft.quorumVoters],
            ["controller.listener.names", t.kraft.controllerListener],
            ["listener.security.protocol.map", `PLAINTEXT:PLAINTEXT,${t.kraft.controllerListener}:PLAINTEXT`],
            ["listeners", `PLAINTEXT://:${t.port}`],
            ["advertised.listeners", advertised],
            ["log.dirs", t.logDir],
        ];
    }
    const zookeeperMode: Array<[string, string]> = [
        // The ordinal of kafka-N is its broker id, as in the seed.
        ["broker.id", "${HOSTNAME##*-}"],
        ["listeners", `PLAINTEXT://:${t.port}`],
        // Explicit, so clients get each broker's stable DNS name (kafka-N.kafka-hs.<ns>.svc...).
        ["advertised.listeners", advertised],
        ["zookeeper.connect", t.zookeeperConnect ?? ""],
        ["log.dirs", t.logDir],
    ];
    if (!t.migration) return zookeeperMode;
    // A ZooKeeper-mode broker ready for migration, as Kafka 3.9's docs list it (docs/ops.html:4017-4052):
    // broker.id >= 0 (the ordinal; generated ids are refused with the flag, KafkaConfig.scala:983-985),
    // the IBP pinned to 3.9 (at least 3.4 is required, KafkaConfig.scala:989-990; the docs ask for
    // 3.9, ops.html:3953-3956, and a migrating broker registers with exactly [IBP, IBP],
    // KafkaServer.scala:482-485), the flag, the quorum, and controller.listener.names (required in
    // migration mode, KafkaConfig.scala:987-988) mapped in listener.security.protocol.map. The
    // docs' sample uses controller.quorum.bootstrap.servers; our static quorum is controller.quorum.voters,
    // which the same check accepts (KafkaConfig.scala:906-914).
    return [
        ...zookeeperMode,
        ["inter.broker.protocol.version", MIGRATION_IBP_VERSION],
        ["zookeeper.metadata.migration.enable", "true"],
        ["controller.quorum.voters", t.migration.quorumVoters],
        ["controller.listener.names", t.migration.controllerListener],
        ["listener.security.protocol.map", `PLAINTEXT:PLAINTEXT,${t.migration.controllerListener}:PLAINTEXT`],
    ];
}

/** The inter.broker.protocol.version the migrating brokers run with (components/migration.ts). */
export const MIGRATION_IBP_VERSION = "3.9";

/**
 * The tunable broker properties in force: the seed's kept values, our departures for this broker
 * count, then the user's overrides. Keys with no value (departures that unset) are left out.
 */
export function tunableProperties(
    brokers: number,
    overrides: Record<string, BrokerValue> = {},
    metadata: "zookeeper" | "kraft" = "zookeeper",
): Map<string, BrokerValue> {
    const props = new Map<string, BrokerValue>(SEED_KEPT);
    for (const d of DEPARTURES) {
        const value = d.ours(brokers);
        if (value !== undefined) {
            props.set(d.key, value);
        }
    }
    if (metadata === "kraft") {
        for (const key of ZOOKEEPER_ONLY_KEYS) props.delete(key);
    }
    for (const [key, value] of Object.entries(overrides)) {
        props.set(key, value);
    }
    return props;
}


/**
 * The broker's `sh -c` script: `exec kafka-server-start.sh server.properties --override k=v ...`
 * as in the seed, one override per line so `kubectl get sts kafka -o yaml` stays readable.
 * `baseProperties` is our own (empty) file: every property in force is on this command line, and
 * nothing comes from the sample server.properties an image happens to ship.
 */
export function brokerStartScript(
    kafkaHome: string,
    baseProperties: string,
    t: TopologyArgs,
    tunables: Map<string, BrokerValue>,
    format?: StorageFormat,
): string {
    return serverStartScript(kafkaHome, baseProperties, platformProperties(t), tunables, format);
}

/** KRaft storage formatting before the server starts: the cluster id every node is formatted with. */
export interface StorageFormat {
    clusterId: string;
    /** Where the start script writes the properties kafka-storage.sh reads (it takes no --override). */
    propertiesFile: string;
}

/**
 * A Kafka server's `sh -c` script. Without `format`: `exec kafka-server-start.sh ... --override
 * k=v ...`, the seed's form. With it (KRaft), the same overrides are set as the positional
 * parameters once, written out as the properties file `kafka-storage.sh format` reads, and passed to
 * kafka-server-start.sh: the format sees exactly what the server runs with. `--ignore-formatted`
 * makes a restart a no-op, and a directory formatted for another cluster id or node id fails the
 * format (Formatter.doFormat verifies both, metadata/.../storage/Formatter.java:377-393 in 3.9),
 * so the pod never starts on someone else's data.
 */
export function serverStartScript(
    kafkaHome: string,
    baseProperties: string,
    platform: Array<[string, string]>,
    tunables: Map<string, BrokerValue>,
    format?: StorageFormat,
): string {
    const overrides: string[] = [];
    for (const [key, value] of platform) {
        // Platform values are ours and may use ${HOSTNAME}: double quotes keep the expansion.
        overrides.push(`--override "${key}=${value}"`);
    }
    for (const [key, value] of tunables) {
        // Quoted so that user-provided properties cannot break the command.
        overrides.push(`--override ${shellQuote(`${key}=${value}`)}`);
    }
    const start = `${kafkaHome}/bin/kafka-server-start.sh ${baseProperties}`;
    if (!format) return [`exec ${start}`, ...overrides].join(" \\\n  ");
    return [
        ["set --", ...overrides].join(" \\\n  "),
        // key=value lines; a backslash is an escape in a properties file, so it is doubled.
        `for arg; do [ "$arg" = --override ] || printf '%s\\n' "$arg"; done | sed 's/\\\\/\\\\\\\\/g' > ${format.propertiesFile}`,
        `KAFKA_HEAP_OPTS=-Xmx128M ${kafkaHome}/bin/kafka-storage.sh format --cluster-id ${shellQuote(format.clusterId)} ` +
            `--config ${format.propertiesFile} --ignore-formatted || exit 1`,
        `exec ${start} "$@"`,
    ].join("\n");
}

/** Parse the `--override key=value` pairs back out of a start script (for tests and policies). */
export function parseOverrides(script: string): Map<string, string> {
    const found = new Map<string, string>();
    const re = /--override\s+(?:"([^"]*)"|'((?:[^']|'\\'')*)'|(\S+))/g;
    for (let m = re.exec(script); m !== null; m = re.exec(script)) {
        const pair = m[1] ?? (m[2] !== undefined ? m[2].replace(/'\\''/g, "'") : m[3]);
        const eq = pair.indexOf("=");
        found.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return found;
}
