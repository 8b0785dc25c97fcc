import * as assert from "assert";
import { zookeeperEnsemble } from "../../../policies/rules/zookeeper-ensemble";
import { validateResource } from "../../helpers/policy-args";
import { kafkaStatefulSet, set, sts, zkStatefulSet } from "./fixtures";

const policy = zookeeperEnsemble();
const ensemble = (replicas: number | undefined) => set(zkStatefulSet(), "spec.replicas", replicas);
const check = (props: Record<string, any>, config: object = {}) => validateResource(policy, sts(props), config);

describe("policy zookeeper-ensemble", () => {
    it("passes ensembles of 3 and 5 servers", async () => {
        assert.deepStrictEqual((await check(ensemble(3))).violations, []);
        assert.deepStrictEqual((await check(ensemble(5))).violations, []);
    });

    it("fails a single server, which loses its quorum at every restart", async () => {
        assert.deepStrictEqual((await check(ensemble(1))).violations, [
            "StatefulSet streaming/zk violates zookeeper-ensemble: it runs 1 server, fewer than 3, so it tolerates 0 failures: any restart, " +
                "including each step of a rolling update, loses the quorum. Fix: set replicas to 3 (zookeeper.replicas), or lower minEnsemble in this policy's config (dev).",
        ]);
    });

    it("counts an unset replicas as the single server Kubernetes defaults to", async () => {
        assert.match((await check(ensemble(undefined))).violations[0], /it runs 1 server, fewer than 3/);
    });

    it("fails an even ensemble, which tolerates no more failures than one server fewer", async () => {
        assert.deepStrictEqual((await check(ensemble(4))).violations, [
            "StatefulSet streaming/zk violates zookeeper-ensemble: it runs 4 servers, an even number: its quorum is 3, so it tolerates " +
                "1 failure, no more than 3 servers would. Fix: set replicas to 3 or 5 (zookeeper.replicas).",
        ]);
    });

    it("reports a 2-server ensemble once, as too small", async () => {
        const result = await check(ensemble(2));
        assert.strictEqual(result.violations.length, 1);
        assert.match(result.violations[0], /it runs 2 servers, fewer than 3, so it tolerates 0 failures/);
    });

    it("passes a single dev server where policy config sets minEnsemble 1", async () => {
        assert.deepStrictEqual((await check(ensemble(1), { minEnsemble: 1 })).violations, []);
    });

    it("suggests only sizes the policy accepts", async () => {
        const [message] = (await check(ensemble(2), { minEnsemble: 1 })).violations;
        assert.match(message, /it runs 2 servers, an even number: its quorum is 2, so it tolerates 0 failures, no more than 1 server would\. Fix: set replicas to 1 or 3/);
        assert.match((await check(ensemble(4), { minEnsemble: 5 })).violations[0], /fewer than 5, so it tolerates 1 failure\. Fix: set replicas to 5/);
    });

    it("passes an even ensemble where policy config turns requireOdd off", async () => {
        assert.deepStrictEqual((await check(ensemble(4), { requireOdd: false })).violations, []);
    });

    it("finds the ensemble by its zkServer.sh command when its labels differ", async () => {
        const props = ensemble(4);
        props.spec.template.metadata.labels = { "app.kubernetes.io/name": "zookeeper" };
        assert.strictEqual((await check(props)).violations.length, 1);
    });

    it("does not apply to the brokers", async () => {
        assert.deepStrictEqual(await check(set(kafkaStatefulSet(), "spec.replicas", 4)), {
            violations: [],
            notApplicable: "not a ZooKeeper StatefulSet",
            urns: [],
        });
    });
});
