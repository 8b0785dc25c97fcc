// Pulumi Deployments settings per environment, as code, and the call that applies them.
//
// The GitOps flow: a pull request that edits Pulumi.<env>.yaml (say kafka.partition 3 → 2 in
// Pulumi.prod.yaml) is previewed by Deployments on the PR; merged, it is deployed by push-to-deploy.
// Push-to-deploy fires only for changes to that environment's stack config file (the paths
// filter), so a change to the program reaches prod only through a reviewed edit of
// Pulumi.prod.yaml — typically staging it with kafka.partition at the broker count first.
//
// Every deployment (PR preview or push) first runs the kafka-guardrails pack in a pre-run
// `pulumi preview`, with the step policy told the partition the stack has deployed (its
// kafkaPartition output): a PR that lowers the partition by more than maxStep fails its preview.
//
// The body follows the Deployments REST API "Patch Settings" route
// (POST /api/stacks/{org}/{project}/{stack}/deployments/settings) and the field names of
// pulumi/pulumi's apitype.DeploymentSettings (sourceContext.git.repoURL, gitHub.paths,
// operationContext.preRunCommands, ...). Tested against a fake fetch only: no Pulumi Cloud here.
import { PROJECT_NAME } from "../components/project";
import { EnvName, PRESETS } from "./presets";
import { REMOTE_POLICY_CONFIG_FILE, dependencyCommands, policyPreviewCommand } from "./remote";

export const PROJECT = PROJECT_NAME;
export const DEFAULT_API = "https://api.pulumi.com";

/** A possibly secret value, as the API takes it: a string, or {secret} to be encrypted. */
export type SecretValue = string | { secret: string };

export interface DeploymentSettings {
    sourceContext: { git: { repoURL: string; branch: string; repoDir?: string } };
    gitHub?: {
        repository: string;
        deployCommits: boolean;
        previewPullRequests: boolean;
        pullRequestTemplate: boolean;
        paths: string[];
    };
    operationContext: {
        operation: "update";
        preRunCommands: string[];
        environmentVariables: Record<string, SecretValue>;
        options: { skipInstallDependencies: boolean; skipIntermediateDeployments: boolean };
    };
}

export interface DeploymentSettingsArgs {
    env: EnvName;
    org: string;
    /** Stack name within the project; defaults to the environment's name. */
    stack?: string;
    /** The repository Deployments clones. */
    repoUrl: string;
    branch?: string;
    /** Folder of Pulumi.yaml inside the repository, if not the root. */
    repoDir?: string;
    /** owner/repo for the GitHub app (PR previews, push-to-deploy); derived from a GitHub repoUrl. */
    repository?: string;
    /** Extra environment variables for the deployments (e.g. {KUBECONFIG_DATA: {secret: ...}}). */
    environmentVariables?: Record<string, SecretValue>;
}

/** owner/repo of a GitHub URL (https or ssh), if it is one. */
export function githubRepository(url: string): string | undefined {
    const m = /github\.com[/:]([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
    return m ? `${m[1]}/${m[2]}` : undefined;
}

/** The fully qualified stack name of an environment. */
export const qualifiedStack = (org: string, stack: string) => `${org}/${PROJECT}/${stack}`;

/** The stack config file whose changes deploy the environment, as a path from the repository root. */
export function stackConfigPath(stack: string, repoDir?: string): string {
    const dir = (repoDir ?? "").replace(/^\.?\/*|\/+$/g, "");
    return dir ? `${dir}/Pulumi.${stack}.yaml` : `Pulumi.${stack}.yaml`;
}

/** The commands that check a deployment against the pack before it runs. */
export function guardrailCommands(a: { org: string; stack: string; env: EnvName }): string[] {
    const fq = qualifiedStack(a.org, a.stack);
    return [
        ...dependencyCommands(),
        // The policy config of the environment, with the step policy told what is deployed now.
        `npx ts-node --transpile-only stacks/cli.ts policy-config --stack ${fq} --env ${a.env} --out ${REMOTE_POLICY_CONFIG_FILE}`,
        policyPreviewCommand(fq),
    ];
}

/** The settings of one environment's stack. */
export function deploymentSettings(a: DeploymentSettingsArgs): DeploymentSettings {
    const stack = a.stack ?? a.env;
    const repository = a.repository ?? githubRepository(a.repoUrl);
    const repoDir = a.repoDir && a.repoDir !== "." ? a.repoDir : undefined;
    return {
        sourceContext: { git: { repoURL: a.repoUrl, branch: a.branch ?? "main", ...(repoDir ? { repoDir } : {}) } },
        ...(repository
            ? {
                  gitHub: {
                      repository,
                      // Push-to-deploy, only when this environment's stack config changes.
                      deployCommits: true,
                      previewPullRequests: true,
                      pullRequestTemplate: false,
                      paths: [stackConfigPath(stack, repoDir)],
                  },
              }
            : {}),
        operationContext: {
            operation: "update",
            preRunCommands: guardrailCommands({ org: a.org, stack, env: a.env }),
            environmentVariables: {
                KAFKA_PLATFORM_ENV: a.env,
                KAFKA_PLATFORM_POLICY_CONFIG: `policies/config/${PRESETS[a.env].policyEnv}.json`,
                PULUMI_SKIP_UPDATE_CHECK: "true",
                ...(a.environmentVariables ?? {}),
            },
            options: {
                skipInstallDependencies: false,
                // Each merged partition change is a rollout stage: none may be skipped, even if another is queued.
                skipIntermediateDeployments: false,
            },
        },
    };
}

/** The subset of fetch used here. */
export type FetchFn = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface ApplySettingsArgs {
    org: string;
    stack: string;
    project?: string;
    settings: DeploymentSettings;
    /** PULUMI_ACCESS_TOKEN. */
    token?: string;
    /** Pulumi Cloud API; https://api.pulumi.com by default. */
    api?: string;
    fetch?: FetchFn;
}

/** POST the settings to Pulumi Cloud. Throws with the status and body when the API refuses. */
export async function applyDeploymentSettings(a: ApplySettingsArgs): Promise<{ status: number; body: string }> {
    const token = a.token ?? process.env.PULUMI_ACCESS_TOKEN;
    if (!token) throw new Error("PULUMI_ACCESS_TOKEN is not set: the deployment settings API needs a Pulumi Cloud access token");
    const api = (a.api ?? process.env.PULUMI_API ?? DEFAULT_API).replace(/\/+$/, "");
    const url = `${api}/api/stacks/${encodeURIComponent(a.org)}/${encodeURIComponent(a.project ?? PROJECT)}/${encodeURIComponent(a.stack)}/deployments/settings`;
    const doFetch: FetchFn = a.fetch ?? ((u, init) => fetch(u, init));
    const res = await doFetch(url, {
        method: "POST",
        headers: {
            Authorization: `token ${token}`,
            "Content-Type": "application/json",
            Accept: "application/vnd.pulumi+8",
        },
        body: JSON.stringify(a.settings),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}: ${body.slice(0, 500)}`);
    return { status: res.status, body };
}
