import {
    DEFAULT_ENFORCEMENT,
    EnforcementLevel,
    ResourceValidationPolicy,
    configSchema,
    containerScript,
    plural,
    validateStatefulSets,
    violation,
} from "./common";

export const ZOOKEEPER_ENSEMBLE = "zookeeper-ensemble";

export interface EnsembleConfig {
    /** The fewest servers accepted; dev may lower it to 1. */
    minEnsemble: number;
    /** Reject even sizes, which add a server without adding a tolerated failure. */
    requireOdd: boolean;
}

export const ENSEMBLE_DEFAULTS: EnsembleConfig = { minEnsemble: 3, requireOdd: true };

/** Marks a ZooKeeper container: the start script of the official image and the seed's. */
const SERVER_START = "zkServer.sh";

/** Servers that may fail while a majority (the quorum) remains. */
const tolerated = (servers: number) => Math.max(0, Math.floor((servers - 1) / 2));

/**
 * A ZooKeeper ensemble has an odd number of servers, at least minEnsemble (3), so that it keeps a
 * quorum while one server is down.
 *
 * @severity high
 * @topics availability, zookeeper
 */
export function zookeeperEnsemble(
    enforcementLevel: EnforcementLevel = DEFAULT_ENFORCEMENT,
    config: Partial<EnsembleConfig> = {},
): ResourceValidationPolicy {
    const defaults: EnsembleConfig = { ...ENSEMBLE_DEFAULTS, ...config };
    return {
        name: ZOOKEEPER_ENSEMBLE,
        description: "A ZooKeeper ensemble has an odd number of servers, at least minEnsemble (3), so that it keeps a quorum while one server is down.",
        enforcementLevel,
        severity: "high",
        tags: ["availability", "zookeeper"],
        configSchema: configSchema(defaults, {
            minEnsemble: { type: "integer", minimum: 1, description: "The fewest ZooKeeper servers accepted (dev may use 1)." },
            requireOdd: { type: "boolean", description: "Reject even ensemble sizes." },
        }),
        validateResource: validateStatefulSets(defaults, (sts, cfg, report, args) => {
            const isZooKeeper = sts.app === "zk" || sts.containers.some((c) => containerScript(c).includes(SERVER_START));
            if (!isZooKeeper) args.notApplicable("not a ZooKeeper StatefulSet");
            const n = sts.replicas;
            const fix = (...sizes: number[]) => `set replicas to ${sizes.join(" or ")} (zookeeper.replicas)`;
            if (n < cfg.minEnsemble) {
                const size = cfg.minEnsemble % 2 === 1 || !cfg.requireOdd ? cfg.minEnsemble : cfg.minEnsemble + 1;
                report(
                    violation(
                        sts.subject,
                        ZOOKEEPER_ENSEMBLE,
                        `it runs ${plural(n, "server")}, fewer than ${cfg.minEnsemble}, so it tolerates ${plural(tolerated(n), "failure")}` +
                            (tolerated(n) === 0 ? ": any restart, including each step of a rolling update, loses the quorum" : ""),
                        `${fix(size)}, or lower minEnsemble in this policy's config (dev)`,
                    ),
                );
            } else if (cfg.requireOdd && n % 2 === 0) {
                report(
                    violation(
                        sts.subject,
                        ZOOKEEPER_ENSEMBLE,
                        `it runs ${plural(n, "server")}, an even number: its quorum is ${n / 2 + 1}, so it tolerates ` +
                            `${plural(tolerated(n), "failure")}, no more than ${plural(n - 1, "server")} would`,
                        n - 1 >= cfg.minEnsemble ? fix(n - 1, n + 1) : fix(n + 1),
                    ),
                );
            }
        }),
    };
}
