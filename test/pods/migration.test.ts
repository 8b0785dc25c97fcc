// The ZooKeeper → KRaft migration on real pods, as users run it: `npm run migrate` walking
// `kafka.migration` one phase per up (the policy pack told the step deployed before, each phase
// gated on the quorum, the controllers' ZkMigrationState over JMX and no under-replicated
// partitions), a numbered acks=all producer writing the whole time, every acknowledged message
// read back at the end of each part.
//
// A ZooKeeper-mode stack (Kafka 3.9.1, ZooKeeper 3.9.3) in a namespace of its own, holding a topic
// with a config of its own and a consumer group's committed offsets:
//   1. the way back from the dual-write phase: `migrate --to brokers-migrating --cluster-id <id>`,
//      then `migrate --rollback --unprotect-controllers --delete-migration-znodes` (→
//      controllers-removed, /controller and /migration deleted, → none): a working ZooKeeper-mode
//      cluster;
//   2. the migration to its end: `migrate --to kraft --unprotect-zookeeper` (controllers →
//      brokers-migrating → brokers-kraft → finalized → ZooKeeper removed);
//   3. the upgrade to Kafka 4.4.0 with our `up` (the image, then metadata.version in an update of
//      its own; not a migration phase).
// After each part the topic, its config, its messages and the group's offsets are checked.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { kafkaGate, runGate } from "../../rollout/gates";
import { cli, cliWatching, lastLines } from "../helpers/cli";
import { StackHandle, newStack, setPath } from "../helpers/engine";
import { committedOffsets, KAFKA_BIN, Kube, readAll, startClientPod } from "../helpers/kafka-load";
import { TestCluster } from "../helpers/cluster";
import { KAFKA_IMAGE, LoadRun, ZK_IMAGE, kubectlJson, kubectlWaiting, namespaceTools, ready, removeNamespace, results, sharedCluster, show, underLoad } from "./platform";

const NS = "migration";
const KAFKA4_IMAGE = "kafka-platform.local/kafka:4.4.0";
const CLIENT = "client";
const KEPT = "kept";
const GROUP = "kept-group";
const KEPT_MESSAGES = 1000;
/** A topic config of its own, so "topic configs survive" has something to check. */
const KEPT_RETENTION_MS = "123456789";

interface PhaseFigure { phase: string; upSeconds: number; gateSeconds?: number }
/** The driver's own output lines (phases, what it ran, what is left, the znode it read), not listr2's redraws. */
const DRIVER_LINE = /^\s*(▶|✔|✖|■|\$|!|next:|summary:)|kafka\.migration|^\s*[{\[]/;

describe("migration: ZooKeeper → KRaft on real pods, and back from dual-write, under acks=all load", function () {
    this.timeout(3_600_000);
    // Each part starts where the one before left the stack.
    this.bail(true);
    let p: { cluster: TestCluster };
    let h: StackHandle;
    let k: Kube;
    let bootstrap: string;
    const figures: Record<string, unknown> = {};
    const { inNs, exec, tool } = namespaceTools(() => p.cluster, NS, CLIENT, () => bootstrap);
    const zk = (cmd: string) => exec("zk-0", `zkCli.sh -server localhost:2181 ${cmd} 2>/dev/null`);

    /** Our `up`: preview with the pack (told the step deployed before), then up. Fails with the output's tail. */
    async function up(what: string): Promise<number> {
        const run = await cli(h, p.cluster, "up", "--env", "dev");
        if (run.code !== 0) throw new Error(`up (${what}) exited ${run.code}:\n${lastLines(run.out, 30)}`);
        return run.seconds;
    }

    async function noUnderReplicated() {
        const g = kafkaGate({ namespace: NS, kubectlArgs: ["--kubeconfig", p.cluster.kubeconfig] });
        const r = await runGate(g, { partition: 0, replicas: 3 }, { timeoutSeconds: 300, pollMs: 3000 });
        assert.strictEqual(r.result, "passed", r.reason);
    }

    /** A config edit and our `up` (the 4.x upgrade, which is not a migration phase); timed. */
    async function configUp(name: string, config: Record<string, string>, phases: PhaseFigure[]) {
        for (const [key, value] of Object.entries(config)) await setPath(h.stack, key, value);
        const upSeconds = await up(name);
        phases.push({ phase: name, upSeconds: Math.round(upSeconds) });
        console.log(`      ${name}: up ${upSeconds.toFixed(0)}s`);
    }

    const stepSeconds = (step?: { startedAt?: string; endedAt?: string }) =>
        step?.startedAt && step.endedAt ? Math.round((Date.parse(step.endedAt) - Date.parse(step.startedAt)) / 1000) : undefined;

    /**
     * `npm run migrate -- --stack migration --env dev ...` as a user runs it; its progress lines
     * (phases, the commands it runs for the operator, what is left to do) printed as they come.
     * Fails on any exit but 0; returns its JSON summary and the per-phase figures from it.
     */
    async function migrate(label: string, phases: PhaseFigure[], args: string[], onOutput: (soFar: string) => void = () => undefined) {
        const summaryFile = path.join(h.project.dir, `migrate-${label}.json`);
        let shown = 0;
        const run = await cliWatching(
            h,
            p.cluster,
            (soFar) => {
                // Whole lines only, the driver's own (not listr2's step redraws).
                const lines = soFar.slice(0, soFar.lastIndexOf("\n") + 1).split("\n").slice(0, -1);
                for (const l of lines.slice(shown)) if (DRIVER_LINE.test(l)) console.log(`        | ${l}`);
                shown = lines.length;
                onOutput(soFar);
            },
            "migrate", "--env", "dev", "--timeout", "300", "--summary-json", summaryFile, ...args,
        );
        if (run.code !== 0) throw new Error(`migrate ${args.join(" ")} exited ${run.code}:\n${lastLines(run.out, 40)}`);
        const summary = JSON.parse(fs.readFileSync(summaryFile, "utf8"));
        assert.strictEqual(summary.exit.code, 0, JSON.stringify(summary.exit));
        for (const st of summary.stages) {
            const up = stepSeconds(st.steps.find((x: any) => x.name === "up"));
            const gates = st.gates.filter((g: any) => g.result !== "off");
            assert.ok(gates.every((g: any) => g.result === "passed"), `${st.phase}: ${JSON.stringify(st.gates)}`);
            phases.push({
                phase: st.kind === "baseline" ? `${st.phase} (re-applied)` : st.phase,
                upSeconds: up ?? 0,
                gateSeconds: Math.round(gates.reduce((t: number, g: any) => t + (g.elapsedSeconds ?? 0), 0)),
            });
        }
        figures[`migrate ${label}`] = { seconds: Math.round(run.seconds), command: `npm run migrate -- --stack migration ${args.join(" ")}`, output: run.out.split("\n").filter((l) => DRIVER_LINE.test(l)) };
        return { summary, out: run.out };
    }

    /** The kept topic as Kafka describes it, its config, its messages and the group's offsets. */
    async function keptState() {
        const describe = await tool("kafka-topics.sh", `--describe --topic ${KEPT}`);
        const summary = /PartitionCount:\s*(\d+)\s+ReplicationFactor:\s*(\d+)/.exec(describe);
        const config = await tool("kafka-configs.sh", `--describe --entity-type topics --entity-name ${KEPT}`);
        const offsets = await committedOffsets(k, CLIENT, bootstrap, GROUP);
        const messages = await readAll(k, CLIENT, KEPT, bootstrap);
        return {
            partitions: Number(summary?.[1]), replicationFactor: Number(summary?.[2]),
            retentionMs: /retention\.ms=(\d+)/.exec(config)?.[1], offsets, messages: messages.length, distinct: new Set(messages).size,
        };
    }

    let kept: Awaited<ReturnType<typeof keptState>>;
    let clusterId: string;
    const assertKept = async (when: string) => {
        assert.deepStrictEqual(await keptState(), kept, `the kept topic, its config, its messages and the group's offsets ${when}`);
    };

    const target = () => ({ cluster: p.cluster, k, bootstrap, client: CLIENT });
    const report = (name: string, run: LoadRun, phases: PhaseFigure[]) => {
        figures[name] = { ...run.figures, phases };
        console.log(`      ${name}: ${show(run.figures)}`);
        assert.strictEqual(run.figures.lost, 0, "no acknowledged message lost");
        assert.strictEqual(run.figures.failedSends, 0, "no failed send");
    };

    before(async () => {
        p = { cluster: await sharedCluster() };
        h = await newStack(
            "migration",
            {
                namespace: NS,
                kafka: {
                    // kafka.controllers.* keep their defaults: config refuses them outside KRaft and migration.
                    replicas: 3, cpu: "250m", memory: "1Gi", partition: 0, image: KAFKA_IMAGE, rolloutTimeoutSeconds: 600,
                },
                zookeeper: { replicas: 3, cpu: "100m", image: ZK_IMAGE, rolloutTimeoutSeconds: 600 },
            },
            { env: { KUBECONFIG: p.cluster.kubeconfig }, extra: { "kubernetes:kubeconfig": p.cluster.kubeconfig } },
        );
        k = { kubeconfig: p.cluster.kubeconfig, namespace: NS, kubectl: (...args) => kubectlWaiting(p.cluster, 600_000, "-n", NS, ...args) };
    });

    after(async function () {
        this.timeout(300_000);
        results.migration = figures;
        if (p) await removeNamespace(p.cluster, NS);
        h?.project.cleanup();
    });

    it("a ZooKeeper-mode stack holding a topic with its own config, messages and a group's committed offsets", async () => {
        const seconds = await up("fresh, ZooKeeper mode");
        figures.freshUpSeconds = Math.round(seconds);
        const outputs = await h.stack.outputs();
        bootstrap = outputs.bootstrapServers.value;
        await startClientPod(k, CLIENT, KAFKA_IMAGE);
        await tool("kafka-topics.sh", `--create --topic ${KEPT} --partitions 3 --replication-factor 3 --config retention.ms=${KEPT_RETENTION_MS}`);
        await exec(CLIENT, `KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-verifiable-producer.sh --bootstrap-server ${bootstrap} --topic ${KEPT} --acks -1 --max-messages ${KEPT_MESSAGES} > /dev/null`);
        assert.strictEqual(new Set(await readAll(k, CLIENT, KEPT, bootstrap, GROUP)).size, KEPT_MESSAGES);
        kept = await keptState();
        assert.strictEqual(kept.offsets.length, 3, `the group's committed offsets: ${kept.offsets.join("; ")}`);
        assert.deepStrictEqual([kept.partitions, kept.replicationFactor, kept.retentionMs], [3, 3, KEPT_RETENTION_MS]);

        // The id the controllers must be formatted with: the one ZooKeeper already holds.
        const id = /"id":"([^"]+)"/.exec(await zk("get /cluster/id"))?.[1];
        assert.ok(id, "ZooKeeper's /cluster/id");
        clusterId = id!;
        figures.clusterId = id;
        console.log(`      fresh ZooKeeper-mode up ${seconds.toFixed(0)}s; cluster id ${id}`);
    });

    it("back from dual-write (brokers-migrating → controllers-removed → none): a working ZooKeeper-mode cluster, nothing lost", async () => {
        const phases: PhaseFigure[] = [];
        await tool("kafka-topics.sh", "--create --topic load-back --partitions 3 --replication-factor 3");
        let migrationZnode: string | undefined;
        const run = await underLoad(target(), "load-back", async () => {
            // To dual-write, ZooKeeper's cluster id set as kafka.clusterId with the first phase.
            const there = await migrate("to-dual-write", phases, ["--to", "brokers-migrating", "--cluster-id", clusterId]);
            assert.deepStrictEqual(there.summary.migration.phases, ["controllers", "brokers-migrating"]);
            // The docs' revert from dual-write: deprovision the quorum (protect lifted by the
            // driver), then at once delete /controller and /migration, then roll the brokers back.
            const t = Date.now();
            const back = await migrate("rollback", phases, ["--rollback", "--unprotect-controllers", "--delete-migration-znodes"]);
            assert.deepStrictEqual(back.summary.migration.phases, ["controllers-removed", "none"]);
            for (const c of ["pulumi state unprotect", "delete /controller", "get /migration", "delete /migration"]) assert.ok(back.out.includes(c), `the driver printed what it ran: ${c}`);
            // zkCli prints the znode's data as a line of its own among its log lines.
            migrationZnode = back.out.split("\n").map((l) => l.trim()).find((l) => l.startsWith("{") && l.includes("kraft"));
            // The controller volumes go before another attempt (the driver's last "next:" line).
            assert.match(back.out, /next: before another migration attempt, delete the controllers' PVCs/);
            // A claim still terminating would be bound again by the next attempt's controller.
            await kubectlWaiting(p.cluster, 200_000, "-n", NS, "delete", "pvc", "datadir-kafka-controller-0", "datadir-kafka-controller-1", "datadir-kafka-controller-2", "--timeout=180s");
            figures.rollbackSeconds = Math.round((Date.now() - t) / 1000);
        });
        figures.rollbackMigrationZnode = migrationZnode;
        report("rollbackFromDualWrite", run, phases);
        // ZooKeeper mode again: a ZooKeeper-elected controller among the brokers, no migration flag.
        const controller = await zk("get /controller");
        assert.match(controller, /"brokerid":[012]\b/, controller);
        const props = await exec("kafka-0", "cat /opt/kafka/config/server.properties 2>/dev/null; ps -ef | grep -o 'zookeeper.metadata.migration.enable=[a-z]*' | head -1; true");
        assert.doesNotMatch(props, /migration\.enable=true/, "kafka-0 runs without the migration flag");
        await noUnderReplicated();
        await assertKept("after the rollback");
    });

    it("ZooKeeper → KRaft (controllers → brokers-migrating → brokers-kraft → finalized → ZooKeeper removed) under load, nothing lost", async () => {
        const phases: PhaseFigure[] = [];
        await tool("kafka-topics.sh", "--create --topic load-forward --partitions 3 --replication-factor 3");
        let logRead: Promise<string> | undefined;
        const run = await underLoad(target(), "load-forward", async () => {
            // One command to the end; kafka.clusterId is in stack config from the first attempt.
            const walk = await migrate("to-kraft", phases, ["--to", "kraft", "--unprotect-zookeeper"], (soFar) => {
                // Read as soon as dual-write is gated: `finalized` replaces the controller pods, and their logs with them.
                if (!logRead && /✔ phase \d+\/\d+ brokers-migrating: passed/.test(soFar)) {
                    logRead = inNs("logs", "-l", "app=kafka-controller", "--tail=-1", "--prefix");
                }
            });
            assert.deepStrictEqual(walk.summary.migration.phases, ["controllers", "brokers-migrating", "brokers-kraft", "finalized", "kraft"]);
            assert.ok(walk.out.includes("pulumi state unprotect"), "the driver lifted the zk StatefulSet's protect (printed)");
            assert.deepStrictEqual(walk.summary.gates.filter((g: any) => !g.on).map((g: any) => g.name), [], "every gate on");
            assert.deepStrictEqual(walk.summary.gates.map((g: any) => g.name).sort(), ["kafka", "kubernetes", "kubernetes-controllers", "migration", "quorum"]);
        });
        assert.ok(logRead, "the controllers' logs were read after brokers-migrating passed");
        const completed = (await logRead!).split("\n").filter((l) => /Completed migration of metadata from ZooKeeper to KRaft/.test(l));
        report("zookeeperToKraft", run, phases);
        assert.ok(completed.length >= 1, "the active controller logged the completed migration");
        figures.completedMigrationLog = completed[0]?.slice(0, 300);
        assert.strictEqual((await kubectlJson(p.cluster, "-n", NS, "get", "pods", "-l", "app=zk")).items.length, 0, "ZooKeeper's pods are gone");
        const pvcs = (await kubectlJson(p.cluster, "-n", NS, "get", "pvc")).items.map((x: any) => x.metadata.name);
        assert.ok(["datadir-zk-0", "datadir-zk-1", "datadir-zk-2"].every((n) => pvcs.includes(n)), `ZooKeeper's PVCs are kept: ${pvcs.join(", ")}`);
        const status = await tool("kafka-metadata-quorum.sh", "describe --status");
        console.log(status.replace(/^/gm, "        | "));
        figures.quorumAfter = status.trim().split("\n").filter((l) => /LeaderId|CurrentVoters|CurrentObservers/.test(l));
        await noUnderReplicated();
        await assertKept("after the migration");
    });

    it("the upgrade to Kafka 4.4.0: the image, then metadata.version, under load, nothing lost", async () => {
        const phases: PhaseFigure[] = [];
        let metadataLevel = 0;
        // A topic of its own: the producer numbers from 0 again, and the read-back matches numbers.
        await tool("kafka-topics.sh", "--create --topic load-upgrade --partitions 3 --replication-factor 3");
        const run = await underLoad(target(), "load-upgrade", async () => {
            await configUp("image 4.4.0", { "kafka.image": KAFKA4_IMAGE }, phases);
            await noUnderReplicated();
            // The level kafka.metadataVersion "4.4" stands for: the newest production level of the
            // 4.4 release, as the image's own kafka-features.sh maps it (the client pod's 3.9 tools
            // do not know 4.x levels).
            const mapping = await exec("kafka-0", `KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-features.sh version-mapping --release-version 4.4`);
            const level = /metadata\.version=(\d+)\s*\(([^)]+)\)/.exec(mapping);
            assert.ok(level, `version-mapping: ${mapping}`);
            metadataLevel = Number(level[1]);
            figures.metadataLevel = `${level[2]} (${level[1]})`;
            // An update of its own (the pack refuses it with the image change): the program's Job runs kafka-features.sh.
            await configUp("metadataVersion 4.4", { "kafka.metadataVersion": "4.4" }, phases);
        });
        report("upgradeTo4", run, phases);
        const job = await kubectlJson(p.cluster, "-n", NS, "get", "job", "kafka-metadata-version-4-4");
        assert.strictEqual(job.status?.succeeded, 1, `the metadata.version Job: ${JSON.stringify(job.status)}`);
        figures.metadataVersionJobLog = (await inNs("logs", "job/kafka-metadata-version-4-4")).trim().split("\n").filter((l) => /metadata\.version/.test(l));
        for (const pod of ["kafka-0", "kafka-controller-0"]) {
            const x = await kubectlJson(p.cluster, "-n", NS, "get", "pod", pod);
            assert.strictEqual(x.spec.containers[0].image, KAFKA4_IMAGE, pod);
            assert.ok(ready(x), `${pod} Ready`);
        }
        // The Job's own words: "raising metadata.version to <name> (feature level <n>)".
        const raised = /raising metadata\.version to (\S+) \(feature level (\d+)\)/.exec((figures.metadataVersionJobLog as string[]).join("\n"));
        assert.ok(raised, `the Job's log: ${figures.metadataVersionJobLog}`);
        assert.strictEqual(Number(raised[2]), metadataLevel, "the Job raised the level version-mapping gives for 4.4");
        // Described by the brokers' own 4.4 tools (the client pod's 3.9 ones print "UNKNOWN 33").
        const features = await exec("kafka-0", `KAFKA_HEAP_OPTS=-Xmx128M ${KAFKA_BIN}/kafka-features.sh --bootstrap-server localhost:9093 describe`);
        figures.features = features.trim().split("\n").filter((l) => /metadata\.version/.test(l));
        assert.strictEqual(/Feature: metadata\.version\s.*FinalizedVersionLevel:\s*(\S+)/.exec(features)?.[1], raised[1], features);
        await noUnderReplicated();
        await assertKept("after the upgrade to 4.4.0");
    });
});
