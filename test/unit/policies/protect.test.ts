import * as assert from "assert";
import { statefulSetProtection } from "../../../policies/rules/protect";
import { validateResource } from "../../helpers/policy-args";
import { kafkaStatefulSet, set, sts } from "./fixtures";

const policy = statefulSetProtection();
const check = (props: Record<string, any>, protect: boolean, config: object = {}) => validateResource(policy, sts(props, { protect }), config);

describe("policy statefulset-protection", () => {
    it("passes a protected StatefulSet", async () => {
        assert.deepStrictEqual((await check(kafkaStatefulSet(), true)).violations, []);
    });

    it("fails an unprotected StatefulSet", async () => {
        assert.deepStrictEqual((await check(kafkaStatefulSet(), false)).violations, [
            "StatefulSet streaming/kafka violates statefulset-protection: it is neither protected nor annotated " +
                "pulumi.com/deletionPropagationPolicy: orphan, so a replacement (a change to serviceName, selector, podManagementPolicy " +
                "or volumeClaimTemplates) or a destroy deletes every pod at once. Fix: pass protect: true in its resource options " +
                "(the Kafka and ZooKeeper components do by default), or annotate it pulumi.com/deletionPropagationPolicy: orphan; " +
                "set requireProtect: false in this policy's config for throwaway stacks.",
        ]);
    });

    it("passes an unprotected StatefulSet that orphans its pods on delete", async () => {
        const props = set(kafkaStatefulSet(), "metadata.annotations", { "pulumi.com/deletionPropagationPolicy": "orphan" });
        assert.deepStrictEqual((await check(props, false)).violations, []);
    });

    it("passes an unprotected StatefulSet where policy config sets requireProtect false", async () => {
        assert.deepStrictEqual((await check(kafkaStatefulSet(), false, { requireProtect: false })).violations, []);
    });

    it("fails a claim retention policy that deletes the data volumes", async () => {
        const props = set(kafkaStatefulSet(), "spec.persistentVolumeClaimRetentionPolicy", { whenDeleted: "Delete", whenScaled: "Retain" });
        assert.deepStrictEqual((await check(props, true)).violations, [
            "StatefulSet streaming/kafka violates statefulset-protection: its persistentVolumeClaimRetentionPolicy.whenDeleted is Delete, " +
                "so deleting it deletes the data volumes. Fix: set persistentVolumeClaimRetentionPolicy.whenDeleted: Retain (the default).",
        ]);
        set(props, "spec.persistentVolumeClaimRetentionPolicy.whenScaled", "Delete");
        assert.match((await check(props, true)).violations[1], /whenScaled is Delete, so scaling it down deletes the data volumes/);
        assert.deepStrictEqual((await check(props, true, { requireRetainedVolumes: false })).violations, []);
    });
});
