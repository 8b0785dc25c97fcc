// The policy list of the kafka-guardrails pack, one factory per rule (rules/*.ts). index.ts serves
// it; tests import it directly. Every policy is mandatory unless a level is passed here or set in
// policy config (config/dev.json, config/prod.json).
import { podAntiAffinity } from "./rules/anti-affinity";
import { EnforcementLevel, Policies } from "./rules/common";
import { kafkaDurability } from "./rules/durability";
import { kafkaMetadata } from "./rules/kafka-metadata";
import { kafkaMetadataVersion } from "./rules/kafka-metadata-version";
import { kafkaMigration } from "./rules/kafka-migration";
import { podDisruptionBudget } from "./rules/pdb";
import { podSecurity } from "./rules/pod-security";
import { statefulSetProtection } from "./rules/protect";
import { rolloutPartitionStep } from "./rules/rollout-step";
import { zookeeperEnsemble } from "./rules/zookeeper-ensemble";

export { podAntiAffinity, kafkaDurability, kafkaMetadata, kafkaMetadataVersion, kafkaMigration, podDisruptionBudget, podSecurity, statefulSetProtection, rolloutPartitionStep, zookeeperEnsemble };

export const PACK_NAME = "kafka-guardrails";

/** Every rule of the pack at one enforcement level, with the factories' default thresholds. */
export function guardrails(enforcementLevel: EnforcementLevel = "mandatory"): Policies {
    return [
        podAntiAffinity(enforcementLevel),
        podDisruptionBudget(enforcementLevel),
        rolloutPartitionStep(enforcementLevel),
        kafkaDurability(enforcementLevel),
        kafkaMetadata(enforcementLevel),
        kafkaMigration(enforcementLevel),
        kafkaMetadataVersion(enforcementLevel),
        zookeeperEnsemble(enforcementLevel),
        podSecurity(enforcementLevel),
        statefulSetProtection(enforcementLevel),
    ];
}

export const policies: Policies = guardrails();
