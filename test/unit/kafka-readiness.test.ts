// The in-sync probe runs here as the kubelet runs it (bash -c), against a TCP server that answers
// its Metadata v4 request with responses encoded field by field from Kafka's schema
// (clients/src/main/resources/common/message/MetadataResponse.json, versions 0-4).
import * as assert from "assert";
import { spawn } from "child_process";
import * as net from "net";
import { inSyncProbeScript } from "../../components/kafka-readiness";

interface Partition { index: number; leader: number; replicas: number[]; isr: number[] }
interface Metadata { brokers: number[]; controller: number; topics: Record<string, Partition[]> }

const i16 = (v: number) => { const b = Buffer.alloc(2); b.writeInt16BE(v); return b; };
const i32 = (v: number) => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
const str = (s: string | null) => (s === null ? i16(-1) : Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]));
const arr = <T>(xs: T[], f: (x: T) => Buffer) => Buffer.concat([i32(xs.length), ...xs.map(f)]);

function metadataV4(correlationId: number, m: Metadata): Buffer {
    const body = Buffer.concat([
        i32(correlationId),
        i32(0), // throttle_time_ms
        arr(m.brokers, (id) => Buffer.concat([i32(id), str(`kafka-${id}.kafka-hs.default.svc.cluster.local`), i32(9093), str(null)])),
        str("cluster-id-1"),
        i32(m.controller),
        arr(Object.entries(m.topics), ([name, parts]) =>
            Buffer.concat([
                i16(0), str(name), Buffer.from([0]),
                arr(parts, (p) => Buffer.concat([i16(0), i32(p.index), i32(p.leader), arr(p.replicas, i32), arr(p.isr, i32)])),
            ]),
        ),
    ]);
    return Buffer.concat([i32(body.length), body]);
}

/** Runs the probe for broker `me` against a server answering `respond(request)`; its exit code and output. */
async function probe(me: number, respond: (req: Buffer) => Buffer | null) {
    const requests: Buffer[] = [];
    const server = net.createServer((sock) => {
        let got = Buffer.alloc(0);
        sock.on("data", (d) => {
            got = Buffer.concat([got, d]);
            if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
                requests.push(got);
                const answer = respond(got);
                if (answer) sock.end(answer);
                else sock.destroy();
            }
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    try {
        const out = await new Promise<{ code: number | null; out: string }>((resolve) => {
            const p = spawn("bash", ["-c", inSyncProbeScript(port, String(me))]);
            let out = "";
            p.stdout.on("data", (d) => (out += d));
            p.stderr.on("data", (d) => (out += d));
            p.on("exit", (code) => resolve({ code, out: out.trim() }));
        });
        return { ...out, requests };
    } finally {
        server.close();
    }
}

const three = (isr: number[], leader = 0): Partition[] => [0, 1, 2].map((index) => ({ index, leader, replicas: [0, 1, 2], isr }));

describe("the in-sync readiness probe (bash, dd, od, awk against Kafka's wire format)", () => {
    it("sends one Metadata v4 request for all topics, as Kafka's schema lays it out", async () => {
        const { requests } = await probe(0, (req) => metadataV4(req.readInt32BE(8), { brokers: [0], controller: 0, topics: {} }));
        const req = requests[0];
        assert.strictEqual(req.readInt32BE(0), req.length - 4, "the size prefix");
        assert.strictEqual(req.readInt16BE(4), 3, "api_key Metadata");
        assert.strictEqual(req.readInt16BE(6), 4, "api_version 4");
        assert.strictEqual(req.toString("utf8", 14, 14 + req.readInt16BE(12)), "probe", "client_id");
        assert.strictEqual(req.readInt32BE(19), -1, "topics null: every topic");
        assert.strictEqual(req[23], 0, "allow_auto_topic_creation false");
    });

    it("is Ready when the broker is in the ISR of every partition it hosts", async () => {
        const r = await probe(1, () => metadataV4(1, { brokers: [0, 1, 2], controller: 0, topics: { test: three([0, 1, 2]), other: three([2, 1, 0], 2) } }));
        assert.deepStrictEqual([r.code, r.out], [0, "broker 1 is in the ISR of all its 6 partitions"]);
    });

    it("is not Ready while it is out of an ISR, and names the partitions", async () => {
        const r = await probe(2, () => metadataV4(1, { brokers: [0, 1, 2], controller: 0, topics: { test: three([0, 1]), other: three([0, 1, 2]) } }));
        assert.deepStrictEqual([r.code, r.out], [1, "broker 2 is not in the ISR of 3 of its 6 partitions: test-0 test-1 test-2"]);
    });

    it("stays Ready when another broker is down and out of the ISR (no cascade)", async () => {
        const r = await probe(0, () => metadataV4(1, { brokers: [0, 1], controller: 1, topics: { test: three([0, 1], 1) } }));
        assert.strictEqual(r.code, 0, r.out);
    });

    it("ignores partitions it does not host", async () => {
        const parts = [{ index: 0, leader: 1, replicas: [1, 2], isr: [1] }];
        const r = await probe(0, () => metadataV4(1, { brokers: [0, 1, 2], controller: 1, topics: { t: parts } }));
        assert.deepStrictEqual([r.code, r.out], [0, "broker 0 is in the ISR of all its 0 partitions"]);
    });

    it("is not Ready on the empty metadata of a broker that has just started", async () => {
        const noController = await probe(0, () => metadataV4(1, { brokers: [0], controller: -1, topics: {} }));
        assert.deepStrictEqual([noController.code, noController.out], [1, "broker 0 knows no controller yet"]);
        const notListed = await probe(0, () => metadataV4(1, { brokers: [1, 2], controller: 1, topics: {} }));
        assert.deepStrictEqual([notListed.code, notListed.out], [1, "broker 0 is not among the live brokers in its own metadata yet"]);
    });

    // KRaft (Kafka 3.9 core/.../server/metadata/KRaftMetadataCache.scala:455-466, KafkaApis.scala:1426-1439):
    // controller_id is a random unfenced broker's id, never a controller's (3000+), -1 when no broker
    // is unfenced; the brokers array holds the unfenced brokers only (KRaftMetadataCache.scala:379-381).
    it("holds for a KRaft broker, whose controller_id is a random live broker, possibly itself", async () => {
        for (const controller of [0, 1, 2]) {
            const r = await probe(2, () => metadataV4(1, { brokers: [0, 1, 2], controller, topics: { test: three([0, 1, 2]) } }));
            assert.deepStrictEqual([r.code, r.out], [0, "broker 2 is in the ISR of all its 3 partitions"]);
        }
    });

    it("is not Ready while a KRaft broker is fenced: it is missing from the live brokers it reports", async () => {
        const fenced = await probe(2, () => metadataV4(1, { brokers: [0, 1], controller: 1, topics: { test: three([0, 1]) } }));
        assert.deepStrictEqual([fenced.code, fenced.out], [1, "broker 2 is not among the live brokers in its own metadata yet"]);
        const noneUnfenced = await probe(2, () => metadataV4(1, { brokers: [], controller: -1, topics: {} }));
        assert.deepStrictEqual([noneUnfenced.code, noneUnfenced.out], [1, "broker 2 knows no controller yet"]);
    });

    it("fails, saying why, when the broker closes the connection or answers garbage", async () => {
        const closed = await probe(0, () => null);
        assert.deepStrictEqual([closed.code, closed.out], [1, "no answer from the broker"]);
        const garbage = await probe(0, () => Buffer.concat([i32(20), Buffer.alloc(20, 7)]));
        assert.strictEqual(garbage.code, 1);
        assert.match(garbage.out, /unreadable metadata response|no answer/);
    });

    it("fails when nothing listens on the port", async () => {
        const server = net.createServer();
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const port = (server.address() as net.AddressInfo).port;
        await new Promise((r) => server.close(r));
        const code = await new Promise<number | null>((resolve) => spawn("bash", ["-c", inSyncProbeScript(port, "0")]).on("exit", resolve));
        assert.strictEqual(code, 1);
    });
});
