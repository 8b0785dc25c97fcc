// The command line over stacks/: a thin commander shell. Run from the project folder, in the
// environment of scripts/env.sh (pulumi on PATH or PULUMI_ROOT, PULUMI_BACKEND_URL, passphrase):
//
//   npx ts-node --transpile-only stacks/cli.ts rollout --stack dev --plan canary --kafka-gate off
//   npx ts-node --transpile-only stacks/cli.ts migrate --stack dev --to finalized
//
// Exit codes: 0 done (or nothing to do), 1 failed, 2 refused (bad flags or plan, nothing changed),
// 3 not approved, 4 (migrate) stopped before a step left to the operator, 130 stopped by Ctrl-C.
import * as fs from "fs";
import * as readline from "readline";
import { Command, InvalidArgumentError, Option } from "commander";
import { ConfigError } from "../components/config";
import { shellQuote } from "../components/shell";
import { PROJECT_DIR, gate, migrate, policyConfigFor, preview, rollout, up } from "./commands";
import { DEFAULT_TARGET, FORWARD_TARGETS } from "./migrate";
import { applyDeploymentSettings, deploymentSettings, qualifiedStack } from "./deployments";
import { PlanError } from "./plans";
import { ENVIRONMENTS, EnvName, applyPreset, isEnvName } from "./presets";
import { Interrupt, describeChanges } from "./rollout";

const err = (line: string) => process.stderr.write(line + "\n");

/** A commander parser for whole numbers, naming the flag and value when it refuses. */
const wholeNumber = (min: number) => (value: string) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}`);
    return Number(value);
};

/** How to run this exact command again (the resume command). */
export function commandLine(argv: string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
    const args = argv.slice(2);
    const event = env.npm_lifecycle_event;
    // `npm run rollout -- ...` runs "ts-node stacks/cli.ts rollout ...": say it the same way.
    if (event && args[0] === event) return `npm run ${event} -- ${args.slice(1).map(shellQuote).join(" ")}`.trim();
    return `npx ts-node --transpile-only stacks/cli.ts ${args.map(shellQuote).join(" ")}`;
}

/** y/N on the terminal; Ctrl-C at the prompt counts as Ctrl-C. */
function prompt(interrupt: Interrupt) {
    return (question: string, signal: AbortSignal) =>
        new Promise<boolean>((resolve) => {
            const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
            const done = (yes: boolean) => {
                signal.removeEventListener("abort", onAbort);
                rl.close();
                resolve(yes);
            };
            const onAbort = () => done(false);
            signal.addEventListener("abort", onAbort, { once: true });
            rl.on("SIGINT", () => interrupt.request());
            rl.question(`${question} [y/N] `, (answer) => done(/^y(es)?$/i.test(answer.trim())));
        });
}

/** Ctrl-C: first stops after the current step, second cancels it, third exits at once. */
function installInterrupt(): Interrupt {
    const interrupt = new Interrupt();
    process.on("SIGINT", () => interrupt.request());
    interrupt.onRequest((count) => {
        if (count === 1) err("\n■ Ctrl-C: stopping after the current step (Ctrl-C again cancels the running operation)");
        else if (count === 2) err("\n■ Ctrl-C again: cancelling the running operation (stack.cancel())");
        else {
            err("\n■ Ctrl-C a third time: exiting now; the stack may be locked (`pulumi cancel`) and mid-update");
            process.exit(130);
        }
    });
    return interrupt;
}

/** Ctrl-C for a single operation: the first cancels it (SIGINT to the Pulumi CLI), the second exits. */
function cancelOnCtrlC(what: string): AbortSignal {
    const ac = new AbortController();
    process.on("SIGINT", () => {
        if (!ac.signal.aborted) {
            err(`\n■ Ctrl-C: cancelling ${what} (Ctrl-C again exits at once)`);
            ac.abort();
        } else process.exit(130);
    });
    return ac.signal;
}

function fail(e: unknown): never {
    const known = e instanceof PlanError || e instanceof ConfigError || e instanceof InvalidArgumentError;
    err(`✖ ${e instanceof Error ? e.message : String(e)}`);
    process.exit(known ? 2 : 1);
}

const stackOption = () => new Option("--stack <name>", "stack name (org/kafka-platform/<stack> with --remote)").makeOptionMandatory();
/** The options of a command on a local stack. */
const local = (c: Command) =>
    c
        .addOption(stackOption())
        .option("--env <env>", `environment whose policy config applies (${ENVIRONMENTS.join(", ")}); defaults to the stack's name`)
        .option("--work-dir <dir>", "project folder (Pulumi.yaml)", PROJECT_DIR)
        .option("--policy-pack <dir>", "policy pack folder, relative to the work dir", "policies")
        .option("--log-dir <dir>", "where operation logs and generated policy configs go (a temp folder by default)");
const common = (c: Command) =>
    local(c)
        .option("--remote", "run as Pulumi Deployments (RemoteWorkspace) from the git repository")
        .option("--repo-url <url>", "git repository for --remote (or KAFKA_PLATFORM_REPO_URL)")
        .option("--branch <branch>", "branch for --remote", "main")
        .option("--project-path <dir>", "folder of Pulumi.yaml in the repository, for --remote");

const gateOptions = (c: Command) =>
    c
        .addOption(new Option("--kafka-gate <on|off>", "check for under-replicated and offline partitions (off on fake nodes)").choices(["on", "off"]).default("on"))
        .addOption(new Option("--k8s-gate <on|off>", "check the StatefulSet's pods are updated and Ready").choices(["on", "off"]).default("on"))
        .option("--timeout <s>", "seconds each gate may take to pass", wholeNumber(1), 600);

/** The drivers' run options (rollout, migrate); `unit` is what each approval is for. */
const runOptions = (c: Command, unit: "stage" | "phase") =>
    c
        .option("--approve", `ask y/N before each ${unit} (needs a terminal, or --yes)`)
        .option("--yes", "answer yes to every approval")
        .option("--summary-json <file>", "write a JSON summary of the run here");

/**
 * What a driver command takes from the flags both drivers have and from the terminal: Ctrl-C,
 * the renderer (simple when not a terminal), the y/N prompt and the command to rerun.
 */
function driverFlags(opts: Record<string, any>) {
    const interrupt = installInterrupt();
    return {
        stack: opts.stack as string,
        env: opts.env as string | undefined,
        workDir: opts.workDir as string,
        policyPack: opts.policyPack as string,
        logDir: opts.logDir as string | undefined,
        kafkaGate: opts.kafkaGate as "on" | "off",
        k8sGate: opts.k8sGate as "on" | "off",
        approve: opts.approve as boolean | undefined,
        yes: opts.yes as boolean | undefined,
        timeout: opts.timeout as number,
        summaryJson: opts.summaryJson as string | undefined,
        command: commandLine(),
        interrupt,
        renderer: (process.stdout.isTTY ? "default" : "simple") as "default" | "simple",
        stdinIsTTY: !!process.stdin.isTTY,
        ask: prompt(interrupt),
    };
}

export function program(): Command {
    const cli = new Command("stacks").description("kafka-platform stacks: staged rollouts, presets, Pulumi Deployments settings");
    // Usage errors (unknown flag, bad value) exit 2 like a refused plan; help exits 0. Inherited by the subcommands.
    cli.exitOverride((e) => process.exit(e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.exitCode === 0 ? 0 : 2));

    runOptions(gateOptions(common(cli.command("rollout").description("walk kafka.partition down a plan, gating each stage"))), "stage")
        .requiredOption("--plan <plan>", "canary | linear | geometric | a descending list such as 100,99,90,50,0")
        .option("--max-step <n>", "most brokers one stage may roll (the rollout-partition-step policy's maxStep)", wholeNumber(1))
        .option("--pause <s>", "seconds to wait between stages (the canary waits 60 unless given)", wholeNumber(0))
        .action(async (opts) => {
            const summary = await rollout({
                ...driverFlags(opts),
                remote: opts.remote,
                repoUrl: opts.repoUrl,
                branch: opts.branch,
                projectPath: opts.projectPath,
                plan: opts.plan,
                maxStep: opts.maxStep,
                pause: opts.pause,
            }).catch(fail);
            process.exitCode = summary.exit.code;
        });

    // Local stacks only (no --remote): the znode deletion and `pulumi state unprotect` run from here.
    runOptions(gateOptions(local(cli.command("migrate").description("walk the ZooKeeper → KRaft migration (kafka.migration) one phase at a time, gating each; or --rollback"))), "phase")
        .option("--to <step>", `the step to stop at: ${FORWARD_TARGETS.join(", ")} (kraft also removes ZooKeeper); with --rollback: brokers-migrating, controllers-removed, none`)
        .option("--cluster-id <id>", "ZooKeeper's cluster id (zkCli.sh get /cluster/id), set as kafka.clusterId with the first phase when stack config has none")
        .option("--rollback", "walk the docs' revert from where the stack is (brokers-kraft → brokers-migrating → controllers-removed → none, or controllers → none)")
        .option("--unprotect-zookeeper", "with --to kraft: run `pulumi state unprotect` for the zk StatefulSet (printed) instead of stopping")
        .option("--unprotect-controllers", "with --rollback: run `pulumi state unprotect` for the kafka-controller StatefulSet (printed) instead of stopping")
        .option("--delete-migration-znodes", "with --rollback: delete /controller and /migration with zkCli.sh in zk-0 (each command printed) instead of stopping")
        .addOption(new Option("--migration-gate <on|off>", "read ZkMigrationState / MigratingZkBrokerCount and the quorum in the controllers (off on fake nodes)").choices(["on", "off"]).default("on"))
        .action(async (opts) => {
            const summary = await migrate({
                ...driverFlags(opts),
                to: opts.to ?? (opts.rollback ? undefined : DEFAULT_TARGET),
                clusterId: opts.clusterId,
                rollback: opts.rollback,
                unprotectZookeeper: opts.unprotectZookeeper,
                unprotectControllers: opts.unprotectControllers,
                deleteMigrationZnodes: opts.deleteMigrationZnodes,
                migrationGate: opts.migrationGate,
            }).catch(fail);
            process.exitCode = summary.exit.code;
        });

    for (const kind of ["preview", "up"] as const) {
        common(cli.command(kind).description(`${kind} the stack as configured, with the policy pack (step policy told the deployed partition)`))
            .option("--create", "create the local stack if it does not exist yet")
            .action(async (opts) => {
            const signal = cancelOnCtrlC(kind);
            const result = await (kind === "preview" ? preview : up)({
                ...opts,
                stack: opts.stack,
                onOutput: (l) => process.stdout.write(l + "\n"),
                print: err,
                signal,
            }).catch(fail);
            for (const w of result.warnings) err(`! ${w}`);
            if (!result.ok) {
                for (const r of result.reasons) err(`✖ ${r}`);
                if (result.logFile) err(`  log: ${result.logFile}`);
                process.exitCode = 1;
            } else err(`✔ ${kind}: ${describeChanges(result.changes)}`);
        });
    }

    gateOptions(common(cli.command("gate").description("run the gates once at the stack's current partition; changes nothing"))).action(async (opts) => {
        const signal = cancelOnCtrlC("the gates");
        const outcomes = await gate({ ...opts, stack: opts.stack, signal, onProgress: (g, line) => err(`  gate ${g}: ${line}`) }).catch(fail);
        for (const o of outcomes) err(`${o.result === "passed" ? "✔" : o.result === "off" ? "!" : "✖"} gate ${o.gate}: ${o.result}${o.reason ? ` — ${o.reason}` : ""}`);
        process.exitCode = outcomes.every((o) => o.result === "passed" || o.result === "off") ? 0 : 1;
    });

    cli.command("preset")
        .description("create or select a stack and apply an environment preset")
        .addOption(stackOption())
        .addOption(new Option("--env <env>", "the preset").choices([...ENVIRONMENTS]).makeOptionMandatory())
        .option("--brokers <n>", "kafka.replicas within the preset's range", wholeNumber(1))
        .option("--work-dir <dir>", "project folder (Pulumi.yaml)", PROJECT_DIR)
        .option("--dry-run", "show the changes, write nothing")
        .action(async (opts) => {
            const r = await applyPreset({ stack: opts.stack, env: opts.env as EnvName, workDir: opts.workDir, brokers: opts.brokers, dryRun: opts.dryRun }).catch(fail);
            for (const c of r.changes) err(`  ${c.key}: ${c.before === c.after ? `${c.after} (unchanged)` : `${c.before ?? "(unset)"} → ${c.after}`}`);
            err(`${r.written ? "✔ applied" : opts.dryRun ? "(dry run) would apply" : "✔ already matches"} preset ${r.env} to stack ${r.stack}`);
        });

    cli.command("deployment-settings")
        .description("print (or --apply) the Pulumi Deployments settings of an environment")
        .addOption(new Option("--env <env>", "environment").choices([...ENVIRONMENTS]).makeOptionMandatory())
        .requiredOption("--org <org>", "Pulumi Cloud organization")
        .option("--stack <name>", "stack name in the project (defaults to the environment)")
        .option("--repo-url <url>", "git repository Deployments clones (or KAFKA_PLATFORM_REPO_URL)")
        .option("--branch <branch>", "branch to deploy", "main")
        .option("--repo-dir <dir>", "folder of Pulumi.yaml in the repository")
        .option("--repository <owner/repo>", "GitHub repository (derived from a GitHub --repo-url)")
        .option("--api <url>", "Pulumi Cloud API (or PULUMI_API)")
        .option("--apply", "POST the settings (needs PULUMI_ACCESS_TOKEN)")
        .action(async (opts) => {
            const repoUrl = opts.repoUrl ?? process.env.KAFKA_PLATFORM_REPO_URL;
            if (!repoUrl) fail(new InvalidArgumentError("--repo-url is required (or KAFKA_PLATFORM_REPO_URL)"));
            const stack = opts.stack ?? opts.env;
            const settings = deploymentSettings({ env: opts.env, org: opts.org, stack, repoUrl, branch: opts.branch, repoDir: opts.repoDir, repository: opts.repository });
            process.stdout.write(JSON.stringify(settings, null, 2) + "\n");
            if (opts.apply) {
                const r = await applyDeploymentSettings({ org: opts.org, stack, settings, api: opts.api }).catch(fail);
                err(`✔ deployment settings of ${qualifiedStack(opts.org, stack)} applied (HTTP ${r.status})`);
            }
        });

    cli.command("policy-config")
        .description("write the policy config for `pulumi preview/up --policy-pack`: the environment's, with the step policy told the deployed partition")
        .addOption(stackOption())
        .option("--env <env>", "environment (defaults to the stack's name)")
        .option("--previous <n>", "the partition deployed now (read from the stack's kafkaPartition output if not given)", wholeNumber(0))
        .option("--max-step <n>", "override the step policy's maxStep", wholeNumber(1))
        .option("--work-dir <dir>", "project folder (Pulumi.yaml)", PROJECT_DIR)
        .option("--policy-pack <dir>", "policy pack folder, relative to the work dir", "policies")
        .option("--out <file>", "write here instead of stdout")
        .action(async (opts) => {
            if (opts.env && !isEnvName(opts.env)) err(`! --env ${opts.env} is not a preset; looking for policies/config/${opts.env}.json`);
            const config = await policyConfigFor({
                stack: opts.stack,
                env: opts.env,
                workDir: opts.workDir,
                policyPack: opts.policyPack,
                previous: opts.previous,
                maxStep: opts.maxStep,
            }).catch(fail);
            const text = JSON.stringify(config, null, 2) + "\n";
            if (opts.out) fs.writeFileSync(opts.out, text);
            else process.stdout.write(text);
        });

    return cli;
}

if (require.main === module) {
    program()
        .parseAsync(process.argv)
        .catch(fail);
}
