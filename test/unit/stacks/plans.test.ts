import * as assert from "assert";
import { PlanError, checkMaxStep, computePlan, parsePlanSpec, planStages } from "../../../stacks/plans";

const partitions = (kind: Parameters<typeof planStages>[0], replicas: number, list?: number[]) => planStages(kind, replicas, list).map((s) => s.partition);
const remaining = (spec: string, replicas: number, current: number) => computePlan({ spec, replicas, current }).remaining.map((s) => s.partition);

describe("rollout plans", () => {
    describe("plan kinds", () => {
        it("stages a canary as replicas, replicas-1 with a pause, then 0", () => {
            const stages = planStages("canary", 3);
            assert.deepStrictEqual(stages.map((s) => s.partition), [3, 2, 0]);
            assert.deepStrictEqual(stages.map((s) => s.pauseAfter), [false, true, false]);
            assert.deepStrictEqual(stages.map((s) => s.updated), [0, 1, 3]);
        });

        it("rolls one broker per stage in a linear plan", () => {
            assert.deepStrictEqual(partitions("linear", 3), [3, 2, 1, 0]);
            assert.deepStrictEqual(partitions("linear", 5), [5, 4, 3, 2, 1, 0]);
        });

        it("doubles the updated brokers each stage in a geometric plan", () => {
            assert.deepStrictEqual(partitions("geometric", 3), [3, 2, 1, 0]);
            assert.deepStrictEqual(partitions("geometric", 10), [10, 9, 8, 6, 2, 0]);
            assert.deepStrictEqual(
                planStages("geometric", 100).map((s) => s.updated),
                [0, 1, 2, 4, 8, 16, 32, 64, 100],
            );
        });

        it("takes the seed's explicit 100,99,90,50,0 as it is", () => {
            assert.deepStrictEqual(parsePlanSpec("100,99,90,50,0"), { kind: "list", list: [100, 99, 90, 50, 0] });
            assert.deepStrictEqual(parsePlanSpec(" 100, 99 ,90,50,0 ").list, [100, 99, 90, 50, 0]);
            assert.deepStrictEqual(remaining("100,99,90,50,0", 100, 100), [99, 90, 50, 0]);
        });
    });

    describe("edge cases", () => {
        it("plans a single broker as staged then rolled, with no separate canary pause", () => {
            for (const kind of ["canary", "linear", "geometric"] as const) {
                const stages = planStages(kind, 1);
                assert.deepStrictEqual(stages.map((s) => s.partition), [1, 0], kind);
                assert.ok(stages.every((s) => !s.pauseAfter), kind);
            }
            assert.deepStrictEqual(remaining("canary", 1, 1), [0]);
        });

        it("resumes the seed's plan mid-way: at 90 only 50 and 0 are left", () => {
            const plan = computePlan({ spec: "100,99,90,50,0", replicas: 100, current: 90 });
            assert.deepStrictEqual(plan.done, [100, 99, 90]);
            assert.deepStrictEqual(plan.remaining.map((s) => s.partition), [50, 0]);
            assert.strictEqual(plan.nothingToDo, undefined);
        });

        it("resumes from a partition that is not a stage of the plan", () => {
            assert.deepStrictEqual(remaining("100,99,90,50,0", 100, 95), [90, 50, 0]);
            assert.deepStrictEqual(remaining("linear", 3, 2), [1, 0]);
        });

        it("has nothing to do when the partition is already 0, and says how to stage a change", () => {
            const plan = computePlan({ spec: "canary", replicas: 3, current: 0, stack: "prod" });
            assert.deepStrictEqual(plan.remaining, []);
            assert.match(plan.nothingToDo!, /kafka\.partition of stack prod is already 0/);
            assert.match(plan.nothingToDo!, /set kafka\.partition to 3/);
        });

        it("treats a partition at or above replicas as staged: nothing rolled yet", () => {
            assert.deepStrictEqual(remaining("canary", 3, 3), [2, 0]);
            assert.deepStrictEqual(remaining("canary", 3, 7), [2, 0]);
            assert.deepStrictEqual(computePlan({ spec: "canary", replicas: 3, current: 7 }).done, [3]);
        });

        it("collapses stages above replicas into one staged step and warns", () => {
            const plan = computePlan({ spec: "100,99,90,50,0", replicas: 3, current: 3 });
            assert.deepStrictEqual(plan.remaining.map((s) => s.partition), [0]);
            assert.match(plan.warnings[0], /stages 100, 99, 90, 50 are above kafka\.replicas \(3\)/);
        });
    });

    describe("refusals", () => {
        it("refuses a list that does not strictly descend, naming the flag and value", () => {
            assert.throws(() => parsePlanSpec("3,2,2,0"), (e: PlanError) => e instanceof PlanError && e.flag === "--plan" && /"3,2,2,0": .*2 is followed by 2/.test(e.message));
            assert.throws(() => parsePlanSpec("0,1,2,3"), /--plan "0,1,2,3": partitions must strictly descend .* 0 is followed by 1/);
        });

        it("refuses what is neither a plan kind nor a list of partitions", () => {
            assert.throws(() => parsePlanSpec("blue-green"), /--plan "blue-green": expected canary, linear, geometric or a descending list/);
            assert.throws(() => parsePlanSpec("3,-1"), /--plan "3,-1": "-1" is not a partition/);
            assert.throws(() => parsePlanSpec("3,two,0"), /"two" is not a partition/);
        });

        it("refuses a plan whose every stage is above the current partition, since it would raise it", () => {
            assert.throws(
                () => computePlan({ spec: "3,2", replicas: 3, current: 1, stack: "dev" }),
                (e: Error) =>
                    e instanceof PlanError &&
                    e.message.startsWith("--plan 3,2: its last stage (2) is above the current partition 1 (kafka.partition of stack dev)") &&
                    /would raise the partition/.test(e.message),
            );
        });

        it("accepts a plan that ends at the current partition as complete", () => {
            const plan = computePlan({ spec: "3,2", replicas: 3, current: 2 });
            assert.deepStrictEqual(plan.remaining, []);
            assert.match(plan.nothingToDo!, /the plan is complete/);
        });

        it("refuses a step that rolls more brokers than --max-step allows, counting pods not numbers", () => {
            assert.throws(
                () => checkMaxStep({ from: 100, partitions: [99, 90, 50, 0], replicas: 100, maxStep: 10 }),
                /--max-step 10: the step from partition 90 to 50 rolls 40 brokers at once \(ordinals 50\.\.89\).*this plan needs --max-step 50/,
            );
            checkMaxStep({ from: 100, partitions: [99, 90, 50, 0], replicas: 100, maxStep: 50 });
            // 100 → 3 on a 3-broker set rolls nothing: partitions at or above replicas are equal.
            checkMaxStep({ from: 100, partitions: [3, 2], replicas: 3, maxStep: 1 });
            assert.throws(() => checkMaxStep({ from: 3, partitions: [2, 0], replicas: 3, maxStep: 1 }), /from partition 2 to 0 rolls 2 brokers/);
        });
    });
});
