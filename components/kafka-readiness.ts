// Broker readiness probes. Pure: each returns the probe's shell script.
//
// `serving` is the seed's probe: the broker answers kafka-broker-api-versions.sh. It starts a JVM
// for every probe (seconds of CPU per broker every period) and passes as soon as the listener is up,
// long before a restarted broker has caught up with its leaders.
//
// `in-sync` asks the broker itself, in Kafka's own protocol, for its metadata (one Metadata v4
// request to its own listener, written with printf and read with dd/head/od, parsed with awk: a few
// processes and milliseconds, no JVM) and is Ready when
//   - the broker answers (it serves requests),
//   - it knows a controller and finds itself among the live brokers (its metadata is not the
//     empty cache of a broker that has just started), and
//   - it is in the ISR of every partition it hosts.
// Another broker being down does not make this broker unready: it is judged on its own replicas
// only, so there is no cascade. Metadata v4 is served by every Kafka from 1.0 to 4.x (Kafka 4.0
// removed v0-v3 only, KIP-896).
//
// Why not the alternatives: kafka-topics.sh/kafka-broker-api-versions.sh start a JVM per probe;
// JMX needs a JVM client or an agent the official image does not ship; ZooKeeper's partition state
// is not there in KRaft mode. The probe needs bash (for /dev/tcp), dd, head, od and awk: the
// official apache/kafka image installs bash (docker/jvm/Dockerfile:65) and its busybox provides the
// rest; Debian-based images have them all.

/** The seed's probe (a JVM per run), with a small heap of its own instead of the broker's KAFKA_HEAP_OPTS. */
export function servingProbeScript(kafkaHome: string, port: number): string {
    return `KAFKA_HEAP_OPTS="-Xmx64M" KAFKA_OPTS="" ${kafkaHome}/bin/kafka-broker-api-versions.sh --bootstrap-server=localhost:${port}`;
}

// Metadata request v4 with request header v1: size 20; api_key 3, api_version 4, correlation_id 1,
// client_id "probe"; topics null (-1: all topics); allow_auto_topic_creation false.
const METADATA_V4_REQUEST = String.raw`\000\000\000\024\000\003\000\004\000\000\000\001\000\005probe\377\377\377\377\000`;

/**
 * Parses a Metadata v4 response (after the size prefix) from `od -An -v -tu1` output.
 * Fields in order (clients/src/main/resources/common/message/MetadataResponse.json, versions <= 4):
 * correlation_id; throttle_time_ms; brokers [node_id, host, port, rack?]; cluster_id?;
 * controller_id; topics [error_code, name, is_internal, partitions [error_code, index, leader,
 * replicas [], isr []]]. Every loop also stops at the end of the bytes, so a garbled length
 * cannot spin; a response not parsed to its last byte is refused.
 */
const METADATA_V4_AWK = String.raw`
function i16(  v) { v = b[p + 1] * 256 + b[p + 2]; p += 2; return v >= 32768 ? v - 65536 : v }
function i32(  v) { v = ((b[p + 1] * 256 + b[p + 2]) * 256 + b[p + 3]) * 256 + b[p + 4]; p += 4; return v >= 2147483648 ? v - 4294967296 : v }
function skipstr(  l) { l = i16(); if (l > 0) p += l }
function name(  l, s, k) { l = i16(); s = ""; for (k = 1; k <= l; k++) s = s sprintf("%c", b[p + k]); p += l; return s }
{ for (i = 1; i <= NF; i++) b[++n] = $i }
END {
  p = 0
  if (n < 16) { print "no answer from the broker"; exit 1 }
  i32(); i32()
  nb = i32(); registered = 0
  for (i = 0; i < nb && p < n; i++) { if (i32() == me) registered = 1; skipstr(); i32(); skipstr() }
  skipstr()
  controller = i32()
  nt = i32(); hosted = 0; behind = 0; list = ""
  for (t = 0; t < nt && p < n; t++) {
    i16(); topic = name(); p += 1
    np = i32()
    for (q = 0; q < np && p < n; q++) {
      i16(); part = i32(); i32()
      nr = i32(); mine = 0; for (k = 0; k < nr && p < n; k++) if (i32() == me) mine = 1
      ni = i32(); insync = 0; for (k = 0; k < ni && p < n; k++) if (i32() == me) insync = 1
      if (mine) { hosted++; if (!insync) { behind++; if (behind <= 5) list = list " " topic "-" part } }
    }
  }
  if (p != n) { print "unreadable metadata response (" p " of " n " bytes parsed)"; exit 1 }
  if (controller < 0) { print "broker " me " knows no controller yet"; exit 1 }
  if (!registered) { print "broker " me " is not among the live brokers in its own metadata yet"; exit 1 }
  if (behind > 0) { print "broker " me " is not in the ISR of " behind " of its " hosted " partitions:" list (behind > 5 ? " ..." : ""); exit 1 }
  print "broker " me " is in the ISR of all its " hosted " partitions"
}`;

/**
 * The in-sync probe for the broker whose id is `brokerIdExpr` (a shell expression), on `port` of
 * `host` (the broker itself; tests run it from a client pod against each broker's DNS name).
 */
export function inSyncProbeScript(port: number, brokerIdExpr = "${HOSTNAME##*-}", host = "127.0.0.1"): string {
    return [
        `exec 3<>/dev/tcp/${host}/${port} || { echo "broker does not accept connections on ${port}"; exit 1; }`,
        `printf '${METADATA_V4_REQUEST}' >&3`,
        // The size prefix one byte at a time (dd bs=1 never reads past it), then exactly that many bytes.
        `set -- $(dd bs=1 count=4 <&3 2>/dev/null | od -An -tu1)`,
        `[ $# -eq 4 ] || { echo "no answer from the broker"; exit 1; }`,
        `head -c $(( (($1 * 256 + $2) * 256 + $3) * 256 + $4 )) <&3 | od -An -v -tu1 | awk -v me="${brokerIdExpr}" '${METADATA_V4_AWK.replace(/'/g, `'"'"'`)}'`,
    ].join("\n");
}
