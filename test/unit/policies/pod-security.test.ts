import * as assert from "assert";
import { podSecurity } from "../../../policies/rules/pod-security";
import { validateResource } from "../../helpers/policy-args";
import { CONTAINER, kafkaStatefulSet, set, sts, zkStatefulSet } from "./fixtures";

const policy = podSecurity();
const PREFIX = 'StatefulSet streaming/kafka violates pod-security: container "k8skafka"';
const POD = "spec.template.spec.securityContext";
const check = (props: Record<string, any>, config: object = {}) => validateResource(policy, sts(props), config);
const kafkaWith = (dotted: string, value: unknown) => set(kafkaStatefulSet(), dotted, value);

describe("policy pod-security", () => {
    it("passes the brokers and the ensemble running as user 1000 without privilege escalation, with requests and probes", async () => {
        assert.deepStrictEqual((await check(kafkaStatefulSet())).violations, []);
        assert.deepStrictEqual((await check(zkStatefulSet())).violations, []);
    });

    it("fails a container running as root", async () => {
        assert.deepStrictEqual((await check(kafkaWith(`${CONTAINER}.securityContext.runAsUser`, 0))).violations, [
            `${PREFIX} runs as root (runAsUser 0). Fix: run it as a non-root user, e.g. runAsUser: 1000 with runAsNonRoot: true.`,
        ]);
    });

    it("fails a pod that sets neither runAsNonRoot nor a user", async () => {
        assert.deepStrictEqual((await check(kafkaWith(POD, {}))).violations, [
            `${PREFIX} sets neither runAsNonRoot: true nor a non-zero runAsUser, so it runs as whatever user the image names, often root. ` +
                "Fix: set securityContext.runAsNonRoot: true and runAsUser: 1000 on the pod or the container.",
        ]);
    });

    it("accepts runAsNonRoot alone, and a non-zero runAsUser alone, at pod or container level", async () => {
        assert.deepStrictEqual((await check(kafkaWith(POD, { runAsNonRoot: true }))).violations, []);
        assert.deepStrictEqual((await check(kafkaWith(POD, { runAsUser: 1000 }))).violations, []);
        const containerLevel = set(kafkaWith(POD, {}), `${CONTAINER}.securityContext.runAsNonRoot`, true);
        assert.deepStrictEqual((await check(containerLevel)).violations, []);
    });

    it("lets a container's runAsUser 0 override the pod's non-root user", async () => {
        assert.match((await check(kafkaWith(`${CONTAINER}.securityContext.runAsUser`, 0))).violations[0], /runs as root/);
    });

    it("fails a container that does not set allowPrivilegeEscalation: false", async () => {
        assert.deepStrictEqual((await check(kafkaWith(`${CONTAINER}.securityContext`, undefined))).violations, [
            `${PREFIX} does not set allowPrivilegeEscalation: false, so a setuid binary in the image can gain privileges its process did ` +
                "not start with. Fix: set securityContext.allowPrivilegeEscalation: false on the container.",
        ]);
        assert.match((await check(kafkaWith(`${CONTAINER}.securityContext.allowPrivilegeEscalation`, true))).violations[0], /sets allowPrivilegeEscalation: true/);
    });

    it("fails a privileged container", async () => {
        assert.deepStrictEqual((await check(kafkaWith(`${CONTAINER}.securityContext.privileged`, true))).violations, [
            `${PREFIX} is privileged, which gives it the host's devices and every capability. Fix: remove securityContext.privileged.`,
        ]);
    });

    it("fails a container without a memory request, naming the stack setting", async () => {
        assert.deepStrictEqual((await check(kafkaWith(`${CONTAINER}.resources.requests.memory`, undefined))).violations, [
            `${PREFIX} requests no memory, so the scheduler can pack it onto a node that cannot run it and it is evicted first under ` +
                "pressure. Fix: set resources.requests.memory (kafka.memory).",
        ]);
    });

    it("fails a container without requests at all, once per resource", async () => {
        const messages = (await check(kafkaWith(`${CONTAINER}.resources`, undefined))).violations;
        assert.deepStrictEqual(messages.map((m) => /requests no (\w+)/.exec(m)?.[1]), ["cpu", "memory"]);
    });

    it("accepts a limit without a request, which Kubernetes turns into the request", async () => {
        const props = kafkaWith(`${CONTAINER}.resources`, { limits: { cpu: "1", memory: "2Gi" } });
        assert.deepStrictEqual((await check(props)).violations, []);
    });

    it("fails a container without a readiness probe", async () => {
        assert.deepStrictEqual((await check(kafkaWith(`${CONTAINER}.readinessProbe`, undefined))).violations, [
            `${PREFIX} has no readinessProbe, so it counts as Ready as soon as it starts and a rolling update moves on before it serves. ` +
                "Fix: add a readinessProbe that checks the server answers.",
        ]);
    });

    it("checks init containers for user and privilege escalation only", async () => {
        const props = kafkaStatefulSet();
        props.spec.template.spec.initContainers = [{ name: "init", image: "busybox", securityContext: { runAsUser: 0 } }];
        assert.deepStrictEqual(
            (await check(props)).violations.map((m) => m.replace(/\. Fix:.*/, "")),
            [
                'StatefulSet streaming/kafka violates pod-security: init container "init" runs as root (runAsUser 0)',
                'StatefulSet streaming/kafka violates pod-security: init container "init" does not set allowPrivilegeEscalation: false, ' +
                    "so a setuid binary in the image can gain privileges its process did not start with",
            ],
        );
    });

    it("relaxes each check through policy config", async () => {
        const props = kafkaWith(POD, {});
        set(props, `${CONTAINER}.securityContext`, undefined);
        set(props, `${CONTAINER}.resources`, undefined);
        set(props, `${CONTAINER}.readinessProbe`, undefined);
        const relaxed = { requireNonRoot: false, requireNoPrivilegeEscalation: false, requiredRequests: [], requireReadinessProbe: false };
        assert.deepStrictEqual((await check(props, relaxed)).violations, []);
        assert.strictEqual((await check(props)).violations.length, 5);
    });
});
