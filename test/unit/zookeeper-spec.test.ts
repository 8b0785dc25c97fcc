import * as assert from "assert";
import { parseConfig } from "../../components/config";
import { selectorMatches } from "../../components/labels";
import {
    ZOO_CFG_HASH_ANNOTATION,
    zooCfg,
    zookeeperClientServiceSpec,
    zookeeperConnect,
    zookeeperHeadlessServiceSpec,
    zookeeperPdbSpec,
    zookeeperStatefulSetSpec,
} from "../../components/zookeeper-spec";

function render(zookeeper: Record<string, unknown> = {}, namespace = "default") {
    const cfg = parseConfig({ zookeeper, namespace });
    return zookeeperStatefulSetSpec({ ...cfg.zookeeper, namespace, instance: "dev" });
}

describe("the ZooKeeper ensemble spec", () => {
    it("lists one server per replica in zoo.cfg, with ids starting at 1", () => {
        const cfg = zooCfg(3, "default");
        assert.match(cfg, /^server\.1=zk-0\.zk-hs\.default\.svc\.cluster\.local:2888:3888;2181$/m);
        assert.match(cfg, /^server\.3=zk-2\.zk-hs\.default\.svc\.cluster\.local:2888:3888;2181$/m);
        assert.doesNotMatch(cfg, /^server\.4=/m);
        assert.strictEqual((zooCfg(5, "kafka").match(/^server\.\d=/gm) ?? []).length, 5);
    });

    it("allows the four-letter word its probes use", () => {
        assert.match(zooCfg(3, "default"), /^4lw\.commands\.whitelist=.*\bruok\b/m);
        const probe = render().template.spec.containers[0].readinessProbe.exec.command.join(" ");
        assert.match(probe, /printf ruok/);
    });

    it("writes myid as the pod ordinal plus one before starting the server", () => {
        const command = render().template.spec.containers[0].command.join(" ");
        assert.match(command, /echo \$\(\( \$\{HOSTNAME##\*-\} \+ 1 \)\) > \/data\/myid && exec zkServer\.sh start-foreground/);
    });

    it("takes replicas, requests and partition from config", () => {
        const spec = render({ replicas: 5, cpu: "250m", memory: "2Gi", partition: 4 });
        assert.strictEqual(spec.replicas, 5);
        assert.deepStrictEqual(spec.template.spec.containers[0].resources.requests, { cpu: "250m", memory: "2Gi" });
        assert.strictEqual(spec.updateStrategy.rollingUpdate.partition, 4);
    });

    it("rolls the ensemble when zoo.cfg changes, through a hash in the pod template", () => {
        const three = render({ replicas: 3 }).template.metadata.annotations[ZOO_CFG_HASH_ANNOTATION];
        const five = render({ replicas: 5 }).template.metadata.annotations[ZOO_CFG_HASH_ANNOTATION];
        assert.notStrictEqual(three, five);
        assert.strictEqual(render({ replicas: 3, partition: 2 }).template.metadata.annotations[ZOO_CFG_HASH_ANNOTATION], three);
    });

    it("spreads pods one per host with an anti-affinity that selects its own pods", () => {
        const spec = render();
        const term = spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution![0];
        assert.strictEqual(term.topologyKey, "kubernetes.io/hostname");
        assert.ok(selectorMatches(term.labelSelector, spec.template.metadata.labels));
        assert.ok(!selectorMatches(term.labelSelector, { app: "kafka" }));
    });

    it("has Services and a PDB whose selectors match the pods", () => {
        const labels = render().template.metadata.labels;
        assert.ok(selectorMatches({ matchLabels: zookeeperHeadlessServiceSpec().selector }, labels));
        assert.ok(selectorMatches({ matchLabels: zookeeperClientServiceSpec().selector }, labels));
        assert.ok(selectorMatches(zookeeperPdbSpec().selector, labels));
        assert.strictEqual(zookeeperPdbSpec().maxUnavailable, 1);
        assert.deepStrictEqual(zookeeperHeadlessServiceSpec().ports.map((p) => p.port), [2888, 3888]);
        assert.strictEqual(zookeeperHeadlessServiceSpec().clusterIP, "None");
        assert.deepStrictEqual(zookeeperClientServiceSpec().ports, [{ name: "client", port: 2181, targetPort: "client" }]);
    });

    it("gives Kafka the client Service's DNS name as connect string", () => {
        assert.strictEqual(zookeeperConnect("default"), "zk-cs.default.svc.cluster.local:2181");
        assert.strictEqual(zookeeperConnect("streaming"), "zk-cs.streaming.svc.cluster.local:2181");
    });

    it("runs as non-root user 1000 with an RWO data claim", () => {
        const spec = render({ storage: "20Gi", storageClass: "fast" });
        assert.deepStrictEqual(spec.template.spec.securityContext, { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true });
        assert.deepStrictEqual(spec.volumeClaimTemplates[0].spec, {
            accessModes: ["ReadWriteOnce"],
            storageClassName: "fast",
            resources: { requests: { storage: "20Gi" } },
        });
    });
});
