// KRaft (`kafka.metadata: kraft`): the facts the controller and broker specs share — node ids,
// the controller listener, the static quorum's voters and the cluster id. Pure; no Pulumi.

/**
 * Controller node ids are 3000 + ordinal, so they never collide with the brokers' 0..N-1
 * (in KRaft, brokers and controllers share one id space: a broker must not be a voter, Kafka
 * 3.9 core/src/main/scala/kafka/server/KafkaConfig.scala:941-943).
 */
export const KRAFT_CONTROLLER_ID_BASE = 3000;

/** The listener the controllers serve the quorum on and the brokers reach them by. */
export const CONTROLLER_LISTENER = "CONTROLLER";

export interface QuorumArgs {
    replicas: number;
    namespace: string;
    statefulSet: string;
    headlessService: string;
    port: number;
}

/**
 * `controller.quorum.voters`: `3000@kafka-controller-0.kafka-controller-hs.<ns>.svc.cluster.local:9094,...`.
 * A static quorum: its members are fixed by this list, so `kafka-storage.sh format` needs only
 * the cluster id (--standalone and --initial-controllers are for a dynamic quorum, which is the
 * case only when controller.quorum.voters is unset: Kafka 3.9 StorageTool.scala:131-141).
 */
export function quorumVoters(q: QuorumArgs): string {
    return Array.from(
        { length: q.replicas },
        (_, i) => `${KRAFT_CONTROLLER_ID_BASE + i}@${q.statefulSet}-${i}.${q.headlessService}.${q.namespace}.svc.cluster.local:${q.port}`,
    ).join(",");
}

/**
 * A Kafka cluster id from 16 random bytes (hex, as @pulumi/random's RandomId gives them), shaped
 * as Kafka's own Uuid.randomUuid() makes one (clients/.../common/Uuid.java:72-88 in 3.9): a
 * version 4 UUID (java.util.UUID.randomUUID), printed as base64url without padding; and, since
 * Kafka never returns an id starting with '-' (it would read as an option on a command line), the
 * first byte's top bit is cleared, which keeps the first character in A-Z, a-f.
 */
export function kafkaClusterIdFromHex(hex: string): string {
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`expected 16 bytes as 32 hex digits, got ${JSON.stringify(hex)}`);
    const bytes = Buffer.from(hex, "hex");
    bytes[0] &= 0x7f;
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // IETF variant
    return bytes.toString("base64url");
}
