// The only module of the pack that reaches outside policies/: the platform's own label,
// broker-config and partition helpers, so a policy and a component (or the rollout driver) can
// never disagree about which pods a selector covers, how the broker's `--override` flags read or
// how many pods a partition step rolls. Each module imports nothing outside the vendored set.
// scripts/stage.sh vendors them next to this file (and rewrites these paths) for
// `pulumi policy publish`, which packs this folder alone.
export { HOSTNAME_TOPOLOGY_KEY, selectorLabels, selectorMatches } from "../components/labels";
export type { App, LabelSelector, LabelSelectorRequirement } from "../components/labels";
export { parseOverrides } from "../components/broker-config";
export { effectivePartition, partitionStep } from "../rollout/partitions";
export type { PartitionStep } from "../rollout/partitions";
export { KAFKA_DEFAULTS, durabilityFindings, kafkaImageMajor, kafkaImageVersion, metadataFindings } from "../components/durability";
export type { DurabilityFinding, MetadataFinding, MetadataMode, Setting } from "../components/durability";
export { MIGRATION_FLAG, NEXT_STEPS, configuredStep, migrationStepFindings, renderedStep } from "../components/migration";
export type { MigrationFinding, MigrationStep, RenderedServers } from "../components/migration";
export { METADATA_VERSION_ANNOTATION, metadataLevelFindings, metadataVersionChangeFindings, parseMetadataLevel } from "../components/metadata-version";
export type { MetadataVersionFinding } from "../components/metadata-version";
