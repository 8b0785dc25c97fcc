// The durability rules of the brokers' settings, once, for both places that enforce them: stack
// config validation (config.ts, before any resource) and the policy pack's kafka-durability rule
// (policies/rules/durability.ts, on the rendered StatefulSet). Each reports the findings in its own
// words; which settings are wrong, and why, is decided only here.
//
// A finding is `invalid` when the brokers cannot work as configured (config validation refuses it,
// and so does the pack), `unsafe` when they work but can lose acknowledged writes (the pack's
// business, at the level and threshold the environment's policy config sets).
//
// This module imports nothing: the policy pack loads it from its own package (policies/platform.ts).

/** What a broker uses when its start command does not set a key (Kafka 3.x defaults). */
export const KAFKA_DEFAULTS: Readonly<Record<string, string>> = {
    "min.insync.replicas": "1",
    "unclean.leader.election.enable": "false",
    "default.replication.factor": "1",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.replication.factor": "3",
};

/** Replication factors that must fit the broker count, and what breaks when one does not. */
export const REPLICATION_FACTORS: ReadonlyArray<readonly [string, string]> = [
    ["default.replication.factor", "topics created with the default replication factor (auto-created ones too) cannot be created"],
    ["offsets.topic.replication.factor", "__consumer_offsets cannot be created and consumer groups cannot commit offsets"],
    ["transaction.state.log.replication.factor", "__transaction_state cannot be created and transactional producers fail"],
];

/** A setting as the broker sees it: the value in force, and whether it was set or is Kafka's default. */
export interface Setting {
    key: string;
    raw: string;
    set: boolean;
}

export type DurabilityFinding =
    /** A numeric setting that is not an integer: the broker does not start. */
    | { kind: "invalid"; rule: "not-integer"; setting: Setting }
    /** A replication factor below 1 or above the broker count. */
    | { kind: "invalid"; rule: "replication-factor-range"; setting: Setting; value: number; brokers: number; consequence: string }
    /** min.insync.replicas below 1: the broker does not start. */
    | { kind: "invalid"; rule: "min-isr-below-one"; setting: Setting; minIsr: number }
    /** min.insync.replicas not below default.replication.factor (unless both are 1): writes stop or fail. */
    | { kind: "invalid"; rule: "min-isr-not-below-rf"; setting: Setting; minIsr: number; rf: number; brokers: number }
    /** min.insync.replicas under the floor with 3 or more brokers: an acks=all write can live on too few disks. */
    | { kind: "unsafe"; rule: "min-isr-low"; setting: Setting; minIsr: number; brokers: number; floor: number }
    /** Unclean leader election on: an out-of-sync replica can become leader. */
    | { kind: "unsafe"; rule: "unclean-election"; setting: Setting };

export interface DurabilityOptions {
    /** The smallest min.insync.replicas accepted with 3 or more brokers; no such check when absent. */
    minInsyncFloor?: number;
}

/**
 * The findings for a broker's settings. `lookup` gives a key's value as set (undefined when unset,
 * which means Kafka's default). Each malformed key is reported once, however many rules read it.
 */
export function durabilityFindings(lookup: (key: string) => string | undefined, brokers: number, o: DurabilityOptions = {}): DurabilityFinding[] {
    const findings: DurabilityFinding[] = [];
    const setting = (key: string): Setting => {
        const v = lookup(key);
        return v !== undefined ? { key, raw: v, set: true } : { key, raw: KAFKA_DEFAULTS[key], set: false };
    };
    const ints = new Map<string, number | undefined>();
    const int = (key: string): number | undefined => {
        if (!ints.has(key)) {
            const s = setting(key);
            const ok = s.raw !== undefined && /^-?\d+$/.test(s.raw.trim());
            if (!ok) findings.push({ kind: "invalid", rule: "not-integer", setting: s });
            ints.set(key, ok ? Number(s.raw.trim()) : undefined);
        }
        return ints.get(key);
    };

    const minIsr = int("min.insync.replicas");
    const rf = int("default.replication.factor");
    if (minIsr !== undefined && minIsr < 1) {
        findings.push({ kind: "invalid", rule: "min-isr-below-one", setting: setting("min.insync.replicas"), minIsr });
    } else if (minIsr !== undefined && o.minInsyncFloor !== undefined && brokers >= 3 && minIsr < o.minInsyncFloor) {
        findings.push({ kind: "unsafe", rule: "min-isr-low", setting: setting("min.insync.replicas"), minIsr, brokers, floor: o.minInsyncFloor });
    }
    // A replication factor of 1 cannot have a smaller in-sync set: nothing to require there.
    if (minIsr !== undefined && minIsr >= 1 && rf !== undefined && minIsr >= rf && !(rf === 1 && minIsr === 1)) {
        findings.push({ kind: "invalid", rule: "min-isr-not-below-rf", setting: setting("min.insync.replicas"), minIsr, rf, brokers });
    }
    const unclean = setting("unclean.leader.election.enable");
    if (unclean.raw.trim().toLowerCase() !== "false") findings.push({ kind: "unsafe", rule: "unclean-election", setting: unclean });
    for (const [key, consequence] of REPLICATION_FACTORS) {
        const value = int(key);
        if (value !== undefined && (value < 1 || value > brokers)) {
            findings.push({ kind: "invalid", rule: "replication-factor-range", setting: setting(key), value, brokers, consequence });
        }
    }
    return findings;
}

/** A key's value as an integer (Kafka's default when unset); undefined when it is not one. */
export function intSetting(lookup: (key: string) => string | undefined, key: string): number | undefined {
    const raw = lookup(key) ?? KAFKA_DEFAULTS[key];
    return raw !== undefined && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
}

export type TopicFinding =
    | { rule: "duplicate-topic"; index: number; name: string }
    | { rule: "topic-rf-above-brokers"; index: number; name: string; replicationFactor: number; brokers: number }
    | { rule: "topic-rf-below-min-isr"; index: number; name: string; replicationFactor: number; minIsr: number };

/** Cross-field rules of the configured topics: unique names, replication factors the brokers can serve. */
export function topicFindings(
    topics: ReadonlyArray<{ name: string; replicationFactor?: number }>,
    brokers: number,
    minIsr: number | undefined,
): TopicFinding[] {
    const findings: TopicFinding[] = [];
    const seen = new Set<string>();
    topics.forEach((t, index) => {
        if (seen.has(t.name)) findings.push({ rule: "duplicate-topic", index, name: t.name });
        seen.add(t.name);
        const rf = t.replicationFactor;
        if (rf === undefined) return;
        if (rf > brokers) findings.push({ rule: "topic-rf-above-brokers", index, name: t.name, replicationFactor: rf, brokers });
        else if (minIsr !== undefined && rf < minIsr) findings.push({ rule: "topic-rf-below-min-isr", index, name: t.name, replicationFactor: rf, minIsr });
    });
    return findings;
}

/** How the cluster keeps its metadata: a ZooKeeper ensemble (the seed) or a KRaft controller quorum. */
export type MetadataMode = "zookeeper" | "kraft";

/** The first Kafka line without ZooKeeper mode: Kafka 4.0 removed it. */
export const FIRST_KRAFT_ONLY_MAJOR = 4;

/**
 * The Kafka major version an image's tag names (`apache/kafka:4.1.0` → 4, `...:3.9` → 3), or
 * undefined when the tag says nothing about it (`latest`, no tag, a digest only).
 */
export function kafkaImageMajor(image: string): number | undefined {
    return kafkaImageVersion(image)?.major;
}

/** The Kafka version an image's tag names: `4.1.0` → {major 4, minor 1}, `3` → {major 3}; undefined as above. */
export function kafkaImageVersion(image: string): { major: number; minor?: number } | undefined {
    const ref = image.split("@")[0];
    const lastSlash = ref.lastIndexOf("/");
    const colon = ref.indexOf(":", lastSlash + 1);
    if (colon < 0) return undefined;
    const m = /^v?(\d+)(?:\.(\d+))?(\.|$|-)/.exec(ref.slice(colon + 1));
    return m ? { major: Number(m[1]), ...(m[2] !== undefined ? { minor: Number(m[2]) } : {}) } : undefined;
}

export type MetadataFinding =
    /** A Kafka 4.x (or later) image with ZooKeeper metadata: 4.0 removed ZooKeeper mode, the brokers do not start. */
    | { kind: "invalid"; rule: "zookeeper-mode-needs-kafka-3"; image: string; major: number }
    /**
     * A server in ZooKeeper → KRaft migration mode (the migration flag) on another line than 3.9:
     * the migration runs on 3.9 (docs/ops.html:3955-3956 on the 3.9 branch) and 4.0 has no
     * ZooKeeper client to migrate from.
     */
    | { kind: "invalid"; rule: "migration-needs-kafka-3.9"; image: string; version: string }
    /** An image whose tag names no Kafka version (`latest`, a digest): which modes it runs cannot be told. */
    | { kind: "unsafe"; rule: "image-version-unknown"; image: string; mode: MetadataMode };

export interface MetadataOptions {
    /** Report an image whose tag names no Kafka version; not reported when absent. */
    refuseUnknownVersion?: boolean;
    /** The server runs with the ZooKeeper → KRaft migration flag (a migrating broker or controller). */
    migrating?: boolean;
}

/** The cross-field rules of the metadata mode and the image. */
export function metadataFindings(mode: MetadataMode, image: string, o: MetadataOptions = {}): MetadataFinding[] {
    const version = kafkaImageVersion(image);
    if (version === undefined) return o.refuseUnknownVersion ? [{ kind: "unsafe", rule: "image-version-unknown", image, mode }] : [];
    if (mode === "zookeeper" && version.major >= FIRST_KRAFT_ONLY_MAJOR) {
        return [{ kind: "invalid", rule: "zookeeper-mode-needs-kafka-3", image, major: version.major }];
    }
    // A tag naming only the major (`kafka:3`) cannot be told from 3.9: not judged.
    if (o.migrating && !(version.major === 3 && (version.minor === undefined || version.minor === 9))) {
        return [{ kind: "invalid", rule: "migration-needs-kafka-3.9", image, version: `${version.major}${version.minor !== undefined ? `.${version.minor}` : ""}` }];
    }
    return [];
}
