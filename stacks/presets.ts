// Environment presets, kept as code: what a dev, staging and prod stack of the platform look like.
// Applying one sets exactly the keys below in Pulumi.<stack>.yaml (structured config, with --path),
// after checking the result with the program's own config validation, so the same preset always
// gives the same config. Keys a preset does not own are left alone: kafka.partition and
// zookeeper.partition (the rollout's), kafka.image (the release's), brokerConfig, topics,
// namespace.
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { CONFIG_NAMESPACE, parseConfig, projectConfig } from "../components/config";
import { PlanError } from "./plans";
import { isolatedPulumiCommand } from "./pulumi-command";
import { flattenConfig } from "./workspace";

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type EnvName = (typeof ENVIRONMENTS)[number];

export const isEnvName = (s: string | undefined): s is EnvName => !!s && (ENVIRONMENTS as readonly string[]).includes(s);

export interface Preset {
    env: EnvName;
    description: string;
    kafka: {
        /** Brokers by default, and the range the environment allows (--brokers). */
        replicas: number;
        minReplicas: number;
        maxReplicas?: number;
        cpu: string;
        memory: string;
        heapOpts: string;
        storage: string;
        antiAffinity: "required" | "preferred";
    };
    zookeeper: { replicas: number; cpu: string; memory: string; heapOpts: string; storage: string };
    /** The kafka-guardrails policy config the environment is held to: <pack>/config/<policyEnv>.json. */
    policyEnv: string;
}

export const PRESETS: Record<EnvName, Preset> = {
    dev: {
        env: "dev",
        description: "one-node or small clusters: preferred anti-affinity, 1-3 brokers, one ZooKeeper server, small volumes",
        // Preferred anti-affinity so every broker schedules on a single node; dev's policy config allows it.
        kafka: { replicas: 3, minReplicas: 1, maxReplicas: 3, cpu: "250m", memory: "1Gi", heapOpts: "-Xmx512M -Xms512M", storage: "1Gi", antiAffinity: "preferred" },
        // ZooKeeper's anti-affinity is always required (one server per node): one server fits any dev cluster.
        zookeeper: { replicas: 1, cpu: "100m", memory: "512Mi", heapOpts: "-Xmx256M -Xms256M", storage: "1Gi" },
        policyEnv: "dev",
    },
    staging: {
        env: "staging",
        description: "prod's shape at a smaller size: required anti-affinity, 3 brokers, 3 ZooKeeper servers",
        kafka: { replicas: 3, minReplicas: 3, cpu: "500m", memory: "2Gi", heapOpts: "-Xmx1G -Xms1G", storage: "20Gi", antiAffinity: "required" },
        zookeeper: { replicas: 3, cpu: "250m", memory: "1Gi", heapOpts: "-Xmx512M -Xms512M", storage: "5Gi" },
        // Staging is where prod's rules are rehearsed: it is held to prod's policy config.
        policyEnv: "prod",
    },
    prod: {
        env: "prod",
        description: "one broker per node (required anti-affinity), 3 or more brokers, 3 ZooKeeper servers",
        kafka: { replicas: 3, minReplicas: 3, cpu: "1", memory: "4Gi", heapOpts: "-Xmx2G -Xms2G", storage: "100Gi", antiAffinity: "required" },
        zookeeper: { replicas: 3, cpu: "500m", memory: "1Gi", heapOpts: "-Xmx512M -Xms512M", storage: "10Gi" },
        policyEnv: "prod",
    },
};

/** The preset as `pulumi config set --path` keys and values. */
export function presetConfig(env: EnvName, opts: { brokers?: number } = {}): Record<string, string> {
    const p = PRESETS[env];
    const brokers = opts.brokers ?? p.kafka.replicas;
    if (!Number.isInteger(brokers) || brokers < p.kafka.minReplicas || (p.kafka.maxReplicas !== undefined && brokers > p.kafka.maxReplicas)) {
        const range = p.kafka.maxReplicas !== undefined ? `${p.kafka.minReplicas}-${p.kafka.maxReplicas}` : `${p.kafka.minReplicas} or more`;
        throw new PlanError("--brokers", String(opts.brokers), `the ${env} preset allows ${range} brokers`);
    }
    return {
        "kafka.replicas": String(brokers),
        "kafka.cpu": p.kafka.cpu,
        "kafka.memory": p.kafka.memory,
        "kafka.heapOpts": p.kafka.heapOpts,
        "kafka.storage": p.kafka.storage,
        "kafka.antiAffinity": p.kafka.antiAffinity,
        "zookeeper.replicas": String(p.zookeeper.replicas),
        "zookeeper.cpu": p.zookeeper.cpu,
        "zookeeper.memory": p.zookeeper.memory,
        "zookeeper.heapOpts": p.zookeeper.heapOpts,
        "zookeeper.storage": p.zookeeper.storage,
    };
}

/** A structured config value by dotted path (kafka.replicas). */
function getPath(raw: Record<string, unknown>, key: string): unknown {
    return key.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), raw);
}

/** raw with each dotted key set (numbers for integer strings, as `config set --path` stores them). */
export function withPreset(raw: Record<string, unknown>, values: Record<string, string>): Record<string, unknown> {
    const out = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
    for (const [key, value] of Object.entries(values)) {
        const parts = key.split(".");
        let node = out;
        for (const part of parts.slice(0, -1)) {
            if (!node[part] || typeof node[part] !== "object") node[part] = {};
            node = node[part] as Record<string, unknown>;
        }
        node[parts[parts.length - 1]] = /^\d+$/.test(value) ? Number(value) : value;
    }
    return out;
}

export interface PresetChange {
    key: string;
    before?: string;
    after: string;
}

/** What applying `values` over `raw` changes. Throws ConfigError if the result is not a valid stack config. */
export function planPreset(raw: Record<string, unknown>, values: Record<string, string>): PresetChange[] {
    parseConfig(withPreset(raw, values));
    return Object.entries(values).map(([key, after]) => {
        const b = getPath(raw, key);
        return { key, before: b === undefined ? undefined : String(b), after };
    });
}

/** The Stack methods applying a preset uses. */
export interface PresetStack {
    name: string;
    getAllConfig(): Promise<Record<string, { value: string; secret?: boolean }>>;
    setAllConfig(config: Record<string, { value: string; secret?: boolean }>, path?: boolean): Promise<void>;
}

export interface ApplyPresetOptions {
    stack: string;
    env: EnvName;
    /** The project folder (Pulumi.yaml). */
    workDir: string;
    brokers?: number;
    /** Show the changes, write nothing. */
    dryRun?: boolean;
    pulumiRoot?: string;
    /** Injected by tests; by default LocalWorkspace.createOrSelectStack. */
    openStack?: (stack: string, workDir: string) => Promise<PresetStack>;
}

export interface ApplyPresetResult {
    stack: string;
    env: EnvName;
    changes: PresetChange[];
    written: boolean;
}

/** Create or select the stack and set the preset's keys (validated first; nothing is written on error). */
export async function applyPreset(o: ApplyPresetOptions): Promise<ApplyPresetResult> {
    const values = presetConfig(o.env, { brokers: o.brokers });
    const open =
        o.openStack ??
        (async (stackName: string, workDir: string) =>
            LocalWorkspace.createOrSelectStack({ stackName, workDir }, { pulumiCommand: await isolatedPulumiCommand(o.pulumiRoot) }));
    const stack = await open(o.stack, o.workDir);
    const raw = projectConfig(flattenConfig(await stack.getAllConfig()), CONFIG_NAMESPACE);
    const changes = planPreset(raw, values);
    const changed = changes.filter((c) => c.before !== c.after);
    if (!o.dryRun && changed.length > 0) {
        await stack.setAllConfig(Object.fromEntries(changed.map((c) => [c.key, { value: c.after }])), true);
    }
    return { stack: stack.name, env: o.env, changes, written: !o.dryRun && changed.length > 0 };
}
