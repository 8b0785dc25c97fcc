// Deployment settings against a fake fetch: there is no Pulumi Cloud here.
import * as assert from "assert";
import { FetchFn, applyDeploymentSettings, deploymentSettings, githubRepository, stackConfigPath } from "../../../stacks/deployments";
import { ENVIRONMENTS } from "../../../stacks/presets";

const REPO = "https://github.com/acme/kafka-platform.git";

describe("Pulumi Deployments settings", () => {
    it("deploys each environment on push only when its own stack config file changes, and previews every PR", () => {
        for (const env of ENVIRONMENTS) {
            const s = deploymentSettings({ env, org: "acme", repoUrl: REPO });
            assert.deepStrictEqual(s.gitHub, {
                repository: "acme/kafka-platform",
                deployCommits: true,
                previewPullRequests: true,
                pullRequestTemplate: false,
                paths: [`Pulumi.${env}.yaml`],
            });
            assert.deepStrictEqual(s.sourceContext, { git: { repoURL: REPO, branch: "main" } });
        }
    });

    it("filters on the stack config file under the project folder when Pulumi.yaml is not at the root", () => {
        const s = deploymentSettings({ env: "prod", org: "acme", repoUrl: REPO, repoDir: "infra/kafka/", branch: "release" });
        assert.deepStrictEqual(s.gitHub?.paths, ["infra/kafka/Pulumi.prod.yaml"]);
        assert.deepStrictEqual(s.sourceContext.git, { repoURL: REPO, branch: "release", repoDir: "infra/kafka/" });
        assert.strictEqual(stackConfigPath("prod", "./"), "Pulumi.prod.yaml");
    });

    it("checks every deployment against the policy pack first, told the deployed partition", () => {
        const s = deploymentSettings({ env: "prod", org: "acme", repoUrl: REPO });
        assert.deepStrictEqual(s.operationContext.preRunCommands, [
            "npm ci",
            "npm ci --prefix policies",
            "npx ts-node --transpile-only stacks/cli.ts policy-config --stack acme/kafka-platform/prod --env prod --out /tmp/kafka-guardrails-policy-config.json",
            "pulumi preview --stack acme/kafka-platform/prod --policy-pack policies --policy-pack-config /tmp/kafka-guardrails-policy-config.json --non-interactive",
        ]);
        assert.deepStrictEqual(s.operationContext.environmentVariables, {
            KAFKA_PLATFORM_ENV: "prod",
            KAFKA_PLATFORM_POLICY_CONFIG: "policies/config/prod.json",
            PULUMI_SKIP_UPDATE_CHECK: "true",
        });
        assert.strictEqual(s.operationContext.operation, "update");
        // Every merged partition change is a stage: queued ones must not be skipped.
        assert.strictEqual(s.operationContext.options.skipIntermediateDeployments, false);
        assert.strictEqual(deploymentSettings({ env: "dev", org: "acme", repoUrl: REPO }).operationContext.environmentVariables.KAFKA_PLATFORM_POLICY_CONFIG, "policies/config/dev.json");
    });

    it("leaves out the GitHub app settings for a repository that is not on GitHub", () => {
        assert.strictEqual(deploymentSettings({ env: "dev", org: "acme", repoUrl: "https://git.example.com/kafka.git" }).gitHub, undefined);
        assert.strictEqual(githubRepository("git@github.com:acme/kafka-platform.git"), "acme/kafka-platform");
        assert.strictEqual(githubRepository("https://github.com/acme/kafka-platform"), "acme/kafka-platform");
    });

    it("POSTs the settings to the stack's deployments/settings route with the access token", async () => {
        const requests: Array<{ url: string; init: Parameters<FetchFn>[1] }> = [];
        const fetch: FetchFn = async (url, init) => {
            requests.push({ url, init });
            return { ok: true, status: 200, text: async () => "{}" };
        };
        const settings = deploymentSettings({ env: "staging", org: "acme", repoUrl: REPO });
        const r = await applyDeploymentSettings({ org: "acme", stack: "staging", settings, token: "pul-123", api: "https://api.example.com/", fetch });
        assert.strictEqual(r.status, 200);
        assert.strictEqual(requests.length, 1);
        assert.strictEqual(requests[0].url, "https://api.example.com/api/stacks/acme/kafka-platform/staging/deployments/settings");
        assert.strictEqual(requests[0].init.method, "POST");
        assert.strictEqual(requests[0].init.headers.Authorization, "token pul-123");
        assert.strictEqual(requests[0].init.headers["Content-Type"], "application/json");
        assert.deepStrictEqual(JSON.parse(requests[0].init.body), settings);
    });

    it("reports the API's refusal with its status and body, and a missing token by name", async () => {
        const fetch: FetchFn = async () => ({ ok: false, status: 402, text: async () => '{"code":402,"message":"Deployments requires a paid plan"}' });
        const settings = deploymentSettings({ env: "dev", org: "acme", repoUrl: REPO });
        await assert.rejects(applyDeploymentSettings({ org: "acme", stack: "dev", settings, token: "t", fetch }), /HTTP 402: .*paid plan/);
        const saved = process.env.PULUMI_ACCESS_TOKEN;
        delete process.env.PULUMI_ACCESS_TOKEN;
        try {
            await assert.rejects(applyDeploymentSettings({ org: "acme", stack: "dev", settings, fetch }), /^Error: PULUMI_ACCESS_TOKEN is not set/);
        } finally {
            if (saved !== undefined) process.env.PULUMI_ACCESS_TOKEN = saved;
        }
    });
});
