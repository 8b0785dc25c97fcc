import * as assert from "assert";
import { podLabels, podSelector, podSelectorExpressions, selectorMatches } from "../../components/labels";

describe("label selectors", () => {
    const labels = { app: "kafka", tier: "data" };

    it("match on every matchLabels pair", () => {
        assert.ok(selectorMatches({ matchLabels: { app: "kafka" } }, labels));
        assert.ok(!selectorMatches({ matchLabels: { app: "kafka", tier: "web" } }, labels));
    });

    it("implement In, NotIn, Exists and DoesNotExist as the API server does", () => {
        assert.ok(selectorMatches({ matchExpressions: [{ key: "app", operator: "In", values: ["zk", "kafka"] }] }, labels));
        assert.ok(!selectorMatches({ matchExpressions: [{ key: "app", operator: "In", values: ["zk"] }] }, labels));
        assert.ok(!selectorMatches({ matchExpressions: [{ key: "app", operator: "NotIn", values: ["kafka"] }] }, labels));
        assert.ok(selectorMatches({ matchExpressions: [{ key: "missing", operator: "NotIn", values: ["x"] }] }, labels));
        assert.ok(selectorMatches({ matchExpressions: [{ key: "tier", operator: "Exists" }] }, labels));
        assert.ok(!selectorMatches({ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, labels));
        assert.ok(!selectorMatches({ matchExpressions: [{ key: "tier", operator: "Gt", values: ["1"] }] }, labels));
    });

    it("select everything when empty and nothing when absent", () => {
        assert.ok(selectorMatches({}, labels));
        assert.ok(!selectorMatches(undefined, labels));
    });

    it("catch the ZooKeeper tutorial's bug: a selector on app that pods labelled only app.kubernetes.io/name do not carry", () => {
        assert.ok(!selectorMatches(podSelectorExpressions("zk"), { "app.kubernetes.io/name": "zk" }));
    });

    it("built for an app select that app's pod labels and not the other's", () => {
        assert.ok(selectorMatches(podSelector("kafka"), podLabels("kafka", "dev")));
        assert.ok(selectorMatches(podSelectorExpressions("zk"), podLabels("zk", "dev")));
        assert.ok(!selectorMatches(podSelector("kafka"), podLabels("zk", "dev")));
    });
});
