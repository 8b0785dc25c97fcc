import * as assert from "assert";
import { allowedDisruptions, podDisruptionBudget } from "../../../policies/rules/pdb";
import { ResourceInput, urnOf, validateStack } from "../../helpers/policy-args";
import { NAMESPACE, kafkaStatefulSet, pdb, pdbInput, sts, zkStatefulSet } from "./fixtures";

const policy = podDisruptionBudget();
const PREFIX = "StatefulSet streaming/kafka violates pod-disruption-budget:";
const POD_LABELS = "app=kafka,app.kubernetes.io/name=kafka,app.kubernetes.io/instance=dev";
const CREATE = "Fix: create one policy/v1 PodDisruptionBudget in namespace streaming with selector app=kafka and maxUnavailable: 1.";

/** The platform's objects with the kafka PDB given; zk always has its compliant one. */
function stack(kafkaPdb: Record<string, any> | undefined, kafka = kafkaStatefulSet()): ResourceInput[] {
    return [sts(kafka), sts(zkStatefulSet()), pdbInput(pdb("zk")), ...(kafkaPdb ? [pdbInput(kafkaPdb)] : [])];
}
const check = (resources: ResourceInput[], config: object = {}) => validateStack(policy, resources, config);

describe("policy pod-disruption-budget", () => {
    it("passes one maxUnavailable: 1 PDB per StatefulSet in its namespace", async () => {
        assert.deepStrictEqual((await check(stack(pdb("kafka")))).violations, []);
    });

    it("treats a missing metadata.namespace as default on both sides", async () => {
        const kafka = kafkaStatefulSet();
        delete kafka.metadata.namespace;
        const zk = zkStatefulSet();
        delete zk.metadata.namespace;
        const resources = [sts(kafka), sts(zk), pdbInput(pdb("kafka", undefined, null)), pdbInput(pdb("zk", undefined, "default"))];
        assert.deepStrictEqual((await check(resources)).violations, []);
    });

    it("fails a StatefulSet without a PDB, reporting it against the StatefulSet's URN", async () => {
        const result = await check(stack(undefined));
        assert.deepStrictEqual(result.violations, [
            `${PREFIX} no PodDisruptionBudget in namespace streaming selects its pods (${POD_LABELS}), so a node drain may evict ` +
                `all of them at once (streaming/zk-pdb selects app=zk, which matches none of them). ${CREATE}`,
        ]);
        assert.deepStrictEqual(result.urns, [urnOf("kubernetes:apps/v1:StatefulSet", "kafka-statefulset")]);
    });

    it("fails a PDB in another namespace, which cannot cover the pods", async () => {
        const result = await check(stack(pdb("kafka", { maxUnavailable: 1 }, "default")));
        assert.deepStrictEqual(result.violations, [
            `${PREFIX} no PodDisruptionBudget in namespace streaming selects its pods (${POD_LABELS}), so a node drain may evict ` +
                `all of them at once (default/kafka-pdb selects them from another namespace, but a PodDisruptionBudget covers only pods ` +
                `in its own namespace; streaming/zk-pdb selects app=zk, which matches none of them). ${CREATE}`,
        ]);
    });

    it("fails a PDB whose selector matches nothing", async () => {
        const broken = pdb("kafka");
        broken.spec.selector = { matchLabels: { "app.kubernetes.io/name": "broker" } };
        const [message] = (await check(stack(broken))).violations;
        assert.match(message, /\(streaming\/zk-pdb selects app=zk, which matches none of them; streaming\/kafka-pdb selects app\.kubernetes\.io\/name=broker, which matches none of them\)/);
    });

    it("fails two PDBs over the same pods, which stall every eviction", async () => {
        const second = pdb("kafka");
        second.metadata.name = "kafka-pdb-2";
        const result = await check([...stack(pdb("kafka")), pdbInput(second)]);
        assert.deepStrictEqual(result.violations, [
            `${PREFIX} 2 PodDisruptionBudgets select its pods (kafka-pdb, kafka-pdb-2); the eviction API refuses to evict a pod ` +
                `covered by more than one, so node drains stall. Fix: keep exactly one.`,
        ]);
    });

    it("counts a PDB with an empty selector as covering every pod of its namespace", async () => {
        const everything = { metadata: { name: "all-pdb", namespace: NAMESPACE }, spec: { selector: {}, maxUnavailable: 1 } };
        const result = await check([...stack(pdb("kafka")), pdbInput(everything)]);
        assert.strictEqual(result.violations.length, 2);
        assert.match(result.violations[0], /2 PodDisruptionBudgets select its pods \(kafka-pdb, all-pdb\)/);
    });

    it("fails minAvailable equal to replicas, which blocks node drains", async () => {
        const result = await check(stack(pdb("kafka", { minAvailable: 3 })));
        assert.deepStrictEqual(result.violations, [
            `${PREFIX} its PodDisruptionBudget kafka-pdb allows 0 voluntary disruptions (minAvailable 3 of 3 replicas), so every node ` +
                `drain blocks until someone deletes a pod by hand. Fix: use maxUnavailable: 1 instead.`,
        ]);
    });

    it("fails maxUnavailable 50% of 3 replicas, which rounds up to 2 disruptions", async () => {
        const result = await check(stack(pdb("kafka", { maxUnavailable: "50%" })));
        assert.deepStrictEqual(result.violations, [
            `${PREFIX} its PodDisruptionBudget kafka-pdb allows 2 voluntary disruptions (maxUnavailable "50%" of 3 replicas ` +
                `(rounded up to 2)), more than the 1 this policy allows. Fix: use maxUnavailable: 1.`,
        ]);
    });

    it("passes 2 disruptions when policy config raises maxUnavailable to 2", async () => {
        assert.deepStrictEqual((await check(stack(pdb("kafka", { maxUnavailable: "50%" })), { maxUnavailable: 2 })).violations, []);
    });

    it("asks in its fixes for the maxUnavailable its policy config allows", async () => {
        const config = { maxUnavailable: 2 };
        const [missing] = (await check(stack(undefined), config)).violations;
        assert.match(missing, /Fix: create one policy\/v1 PodDisruptionBudget in namespace streaming with selector app=kafka and maxUnavailable: 2\.$/);
        const [zero] = (await check(stack(pdb("kafka", { maxUnavailable: 0 })), config)).violations;
        assert.match(zero, /allows 0 voluntary disruptions .* Fix: use maxUnavailable: 2 instead\.$/);
        const [both] = (await check(stack(pdb("kafka", { maxUnavailable: 1, minAvailable: 2 })), config)).violations;
        assert.match(both, /is invalid: .* Fix: set only maxUnavailable: 2\.$/);
    });

    it("fails maxUnavailable 0", async () => {
        const [message] = (await check(stack(pdb("kafka", { maxUnavailable: 0 })))).violations;
        assert.match(message, /allows 0 voluntary disruptions \(maxUnavailable 0 of 3 replicas\)/);
    });

    it("fails a minAvailable percentage that rounds up to every replica", async () => {
        const [message] = (await check(stack(pdb("kafka", { minAvailable: "67%" })))).violations;
        assert.match(message, /allows 0 voluntary disruptions \(minAvailable "67%" of 3 replicas \(rounded up to 3\)\)/);
    });

    it("passes minAvailable forms that leave exactly one disruption", async () => {
        assert.deepStrictEqual((await check(stack(pdb("kafka", { minAvailable: 2 })))).violations, []);
        assert.deepStrictEqual((await check(stack(pdb("kafka", { minAvailable: "34%" })))).violations, []);
    });

    it("fails a PDB that sets neither field, which lets every pod go", async () => {
        const [message] = (await check(stack(pdb("kafka", { maxUnavailable: undefined })))).violations;
        assert.strictEqual(
            message,
            `${PREFIX} its PodDisruptionBudget kafka-pdb allows 3 voluntary disruptions (it sets neither maxUnavailable nor ` +
                `minAvailable, which lets all 3 replicas go), more than the 1 this policy allows. Fix: use maxUnavailable: 1.`,
        );
    });

    it("fails a PDB that sets both fields or a value Kubernetes rejects", async () => {
        const [both] = (await check(stack(pdb("kafka", { maxUnavailable: 1, minAvailable: 2 })))).violations;
        assert.strictEqual(
            both,
            `${PREFIX} its PodDisruptionBudget kafka-pdb is invalid: it sets both maxUnavailable and minAvailable, which the API ` +
                `server rejects. Fix: set only maxUnavailable: 1.`,
        );
        const [text] = (await check(stack(pdb("kafka", { maxUnavailable: "1" })))).violations;
        assert.match(text, /is invalid: its maxUnavailable is "1", neither a non-negative integer nor a percentage such as "20%"/);
    });

    it("counts disruptions against the StatefulSet's replicas, 1 when unset", async () => {
        const single = kafkaStatefulSet();
        delete single.spec.replicas;
        assert.deepStrictEqual((await check(stack(pdb("kafka"), single))).violations, []);
        const [message] = (await check(stack(pdb("kafka", { minAvailable: 1 }), single))).violations;
        assert.match(message, /allows 0 voluntary disruptions \(minAvailable 1 of 1 replica\)/);
    });

    it("fails a policy/v1beta1 PDB, which Kubernetes 1.25 removed", async () => {
        const old: ResourceInput = { ...pdbInput(pdb("kafka")), type: "kubernetes:policy/v1beta1:PodDisruptionBudget" };
        const result = await check([...stack(undefined), old]);
        assert.deepStrictEqual(result.violations, [
            `${PREFIX} its PodDisruptionBudget kafka-pdb is policy/v1beta1, which Kubernetes 1.25 removed. Fix: use policy/v1.`,
        ]);
    });
});

describe("allowedDisruptions", () => {
    const cases: Array<[object, number, number]> = [
        [{ maxUnavailable: 1 }, 3, 1],
        [{ maxUnavailable: 5 }, 3, 3],
        [{ maxUnavailable: "33%" }, 3, 1],
        [{ maxUnavailable: "34%" }, 3, 2],
        [{ maxUnavailable: "50%" }, 3, 2],
        [{ maxUnavailable: "100%" }, 5, 5],
        [{ minAvailable: 3 }, 3, 0],
        [{ minAvailable: 2 }, 3, 1],
        [{ minAvailable: "50%" }, 3, 1],
        [{ minAvailable: "67%" }, 3, 0],
        [{ minAvailable: 5 }, 3, 0],
        [{}, 3, 3],
    ];
    for (const [spec, replicas, allowed] of cases) {
        it(`allows ${allowed} of ${replicas} replicas for ${JSON.stringify(spec)}, rounding percentages up like the disruption controller`, () => {
            const result = allowedDisruptions(spec, replicas);
            assert.ok("allowed" in result, JSON.stringify(result));
            assert.strictEqual(result.allowed, allowed);
        });
    }
});
