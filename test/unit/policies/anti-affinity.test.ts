import * as assert from "assert";
import { podAntiAffinity } from "../../../policies/rules/anti-affinity";
import { validateResource } from "../../helpers/policy-args";
import { kafkaStatefulSet, set, sts, zkStatefulSet } from "./fixtures";

const TERM = "spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution.0";
const FIX =
    "Fix: add a requiredDuringSchedulingIgnoredDuringExecution term with topologyKey kubernetes.io/hostname " +
    "and labelSelector matchExpressions [{key: app, operator: In, values: [kafka]}].";
const POD_LABELS = "app=kafka,app.kubernetes.io/name=kafka,app.kubernetes.io/instance=dev";

const policy = podAntiAffinity();
const check = (props: Record<string, any>, config: object = {}) => validateResource(policy, sts(props), config);
const withSelector = (labelSelector: unknown) => set(kafkaStatefulSet(), `${TERM}.labelSelector`, labelSelector);

/** The fixture with its required term moved to preferredDuringScheduling. */
function preferredOnly(props = kafkaStatefulSet()) {
    const anti = props.spec.template.spec.affinity.podAntiAffinity;
    anti.preferredDuringSchedulingIgnoredDuringExecution = [{ weight: 100, podAffinityTerm: anti.requiredDuringSchedulingIgnoredDuringExecution[0] }];
    delete anti.requiredDuringSchedulingIgnoredDuringExecution;
    return props;
}

describe("policy pod-anti-affinity", () => {
    it("passes the brokers and the ensemble with a required per-host term that selects their pods", async () => {
        assert.deepStrictEqual((await check(kafkaStatefulSet())).violations, []);
        assert.deepStrictEqual((await check(zkStatefulSet())).violations, []);
    });

    it("accepts the selector written as matchLabels", async () => {
        assert.deepStrictEqual((await check(withSelector({ matchLabels: { app: "kafka" } }))).violations, []);
    });

    it("accepts Exists and DoesNotExist expressions that hold for the pod labels", async () => {
        const selector = { matchExpressions: [{ key: "app", operator: "Exists" }, { key: "legacy", operator: "DoesNotExist" }] };
        assert.deepStrictEqual((await check(withSelector(selector))).violations, []);
    });

    it("accepts a NotIn expression that the pods' labels satisfy", async () => {
        const selector = { matchExpressions: [{ key: "app", operator: "NotIn", values: ["zk"] }, { key: "app", operator: "In", values: ["kafka"] }] };
        assert.deepStrictEqual((await check(withSelector(selector))).violations, []);
    });

    it("fails a selector that matches nothing, the tutorial's app.kubernetes.io/name bug", async () => {
        const result = await check(withSelector({ matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["zk"] }] }));
        assert.deepStrictEqual(result.violations, [
            "StatefulSet streaming/kafka violates pod-anti-affinity: no required term spreads its own pods (required term 1: its labelSelector " +
                `(app.kubernetes.io/name in (zk)) does not select the pod template's labels (${POD_LABELS}), so it keeps nothing apart). ${FIX}`,
        ]);
    });

    it("fails a NotIn expression that excludes the StatefulSet's own pods", async () => {
        const result = await check(withSelector({ matchExpressions: [{ key: "app", operator: "NotIn", values: ["kafka"] }] }));
        assert.match(result.violations[0], /required term 1: its labelSelector \(app notin \(kafka\)\) does not select the pod template's labels/);
    });

    it("fails a DoesNotExist expression on a label the pods carry", async () => {
        const result = await check(withSelector({ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }));
        assert.match(result.violations[0], /its labelSelector \(!app\) does not select/);
    });

    it("fails a term without a labelSelector, which selects no pod", async () => {
        const result = await check(withSelector(undefined));
        assert.match(result.violations[0], /its labelSelector \(no selector\) does not select/);
    });

    it("fails a pod template without podAntiAffinity", async () => {
        const result = await check(set(kafkaStatefulSet(), "spec.template.spec.affinity", undefined));
        assert.deepStrictEqual(result.violations, [
            "StatefulSet streaming/kafka violates pod-anti-affinity: its pod template has no podAntiAffinity, " +
                `so one node can run several of its pods and take them all down at once. ${FIX}`,
        ]);
    });

    it("fails preferred-only anti-affinity at the default config, naming the stack setting and the relaxation", async () => {
        const result = await check(preferredOnly());
        assert.deepStrictEqual(result.violations, [
            "StatefulSet streaming/kafka violates pod-anti-affinity: its podAntiAffinity is only preferred, which the scheduler drops " +
                "when nodes are short, putting two of its pods on one node. " +
                FIX.replace(/\.$/, "") +
                " (kafka.antiAffinity: required), or set allowPreferred: true in this policy's config where nodes are fewer than replicas (dev).",
        ]);
    });

    it("fails preferred-only anti-affinity that matches nothing, saying both", async () => {
        const [message] = (await check(preferredOnly(withSelector({ matchLabels: { app: "kafak" } })))).violations;
        assert.match(message, /only preferred, .* on one node; and even so preferred term 1: its labelSelector \(app=kafak\) does not select/);
    });

    it("passes preferred-only anti-affinity when policy config sets allowPreferred", async () => {
        assert.deepStrictEqual((await check(preferredOnly(), { allowPreferred: true })).violations, []);
    });

    it("still fails a preferred term that matches nothing when allowPreferred is set", async () => {
        const props = preferredOnly(withSelector({ matchLabels: { app: "kafak" } }));
        const result = await check(props, { allowPreferred: true });
        assert.deepStrictEqual(result.violations, [
            "StatefulSet streaming/kafka violates pod-anti-affinity: no term spreads its own pods (preferred term 1: its labelSelector " +
                `(app=kafak) does not select the pod template's labels (${POD_LABELS}), so it keeps nothing apart). ${FIX}`,
        ]);
    });

    it("fails a topology key outside the allowed list, and passes it once policy config allows it", async () => {
        const props = set(kafkaStatefulSet(), `${TERM}.topologyKey`, "topology.kubernetes.io/zone");
        assert.deepStrictEqual((await check(props)).violations, [
            "StatefulSet streaming/kafka violates pod-anti-affinity: no required term spreads its own pods (required term 1: its topologyKey is " +
                `"topology.kubernetes.io/zone", not kubernetes.io/hostname). ${FIX}`,
        ]);
        assert.deepStrictEqual((await check(props, { topologyKeys: ["topology.kubernetes.io/zone"] })).violations, []);
    });

    it("passes when one of several required terms spreads the pods and another keeps other apps away", async () => {
        const props = kafkaStatefulSet();
        const terms = props.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
        terms.unshift({ labelSelector: { matchLabels: { app: "batch" } }, topologyKey: "kubernetes.io/hostname" });
        assert.deepStrictEqual((await check(props)).violations, []);
    });

    it("lists every term's problem when none spreads the pods", async () => {
        const props = set(kafkaStatefulSet(), `${TERM}.topologyKey`, "rack");
        const terms = props.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
        terms.push({ labelSelector: { matchLabels: { app: "batch" } }, topologyKey: "kubernetes.io/hostname" });
        const [message] = (await check(props)).violations;
        assert.match(message, /\(required term 1: its topologyKey is "rack", not kubernetes\.io\/hostname; required term 2: its labelSelector \(app=batch\)/);
    });

    it("fails a term whose namespaces leave out the StatefulSet's own namespace", async () => {
        const result = await check(set(kafkaStatefulSet(), `${TERM}.namespaces`, ["other"]));
        assert.deepStrictEqual(result.violations, [
            "StatefulSet streaming/kafka violates pod-anti-affinity: no required term spreads its own pods (required term 1: its namespaces do not " +
                `include the StatefulSet's namespace streaming). ${FIX}`,
        ]);
    });

    it("passes a term whose namespaces or namespaceSelector cover the StatefulSet's namespace", async () => {
        assert.deepStrictEqual((await check(set(kafkaStatefulSet(), `${TERM}.namespaces`, ["other", "streaming"]))).violations, []);
        assert.deepStrictEqual((await check(set(kafkaStatefulSet(), `${TERM}.namespaceSelector`, {}))).violations, []);
        const byName = { matchLabels: { "kubernetes.io/metadata.name": "streaming" } };
        assert.deepStrictEqual((await check(set(kafkaStatefulSet(), `${TERM}.namespaceSelector`, byName))).violations, []);
    });

    it("names a StatefulSet without metadata.namespace as being in default", async () => {
        const props = set(kafkaStatefulSet(), "spec.template.spec.affinity", undefined);
        delete props.metadata.namespace;
        assert.match((await check(props)).violations[0], /^StatefulSet default\/kafka violates pod-anti-affinity:/);
    });

    it("does not apply to other kinds", async () => {
        const result = await validateResource(policy, { type: "kubernetes:apps/v1:Deployment", props: kafkaStatefulSet() });
        assert.deepStrictEqual(result, { violations: [], notApplicable: "applies to kubernetes:apps/v1:StatefulSet only", urns: [] });
    });

    it("takes its level and defaults from the factory and publishes them in its config schema", () => {
        const relaxed = podAntiAffinity("advisory", { allowPreferred: true });
        assert.strictEqual(relaxed.enforcementLevel, "advisory");
        assert.deepStrictEqual(relaxed.configSchema?.properties.allowPreferred, {
            type: "boolean",
            description: "Accept preferredDuringScheduling anti-affinity (single-node dev clusters); the term must still select the pods.",
            default: true,
        });
        assert.deepStrictEqual((relaxed.configSchema?.properties.topologyKeys as { default: unknown }).default, ["kubernetes.io/hostname"]);
    });
});
