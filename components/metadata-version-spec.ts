// Pure builder for the Job that raises KRaft's metadata.version (`kafka.metadataVersion`) once
// every server runs an image that knows the level.
import { KAFKA_HOME } from "./kafka-spec";
import { METADATA_VERSION_ANNOTATION, metadataVersionJobName, parseMetadataLevel } from "./metadata-version";
import { shellQuote } from "./shell";
import { kafkaToolJobSpec } from "./topics-spec";

/**
 * `kafka-features.sh --bootstrap-server <brokers> upgrade --feature metadata.version=<level>`.
 * The numeric `--feature` form, not `--metadata <name>`: both are in 3.9 (tools/src/main/java/org/
 * apache/kafka/tools/FeatureCommand.java:129-136 on the 3.9 branch), but 4.4.0's help marks
 * `--metadata` DEPRECATED (`kafka-features.sh upgrade --help` with the 4.4.0 jars), while
 * `--feature metadata.version=N` is the form both lines document. Upgrading to the level the
 * cluster already has succeeds, so a rerun of the Job is harmless.
 */
export function metadataVersionScript(given: string, bootstrapServers: string): string {
    const level = parseMetadataLevel(given);
    if (!level) throw new Error(`not a metadata.version this platform knows: ${JSON.stringify(given)} (config validation should have refused it)`);
    return [
        "set -e",
        `echo ${shellQuote(`raising metadata.version to ${level.name} (feature level ${level.level})`)}`,
        `${KAFKA_HOME}/bin/kafka-features.sh --bootstrap-server ${shellQuote(bootstrapServers)} upgrade --feature metadata.version=${level.level}`,
        `${KAFKA_HOME}/bin/kafka-features.sh --bootstrap-server ${shellQuote(bootstrapServers)} describe`,
    ].join("\n");
}

export interface MetadataVersionJobArgs {
    metadataVersion: string;
    bootstrapServers: string;
    image: string;
    instance: string;
}

/** The Job's metadata: a name per level (a Job cannot be edited) and the level for the policy pack. */
export function metadataVersionJobMetadata(metadataVersion: string, namespace: string) {
    return {
        name: metadataVersionJobName(metadataVersion),
        namespace,
        annotations: { [METADATA_VERSION_ANNOTATION]: metadataVersion },
    };
}

export function metadataVersionJobSpec(a: MetadataVersionJobArgs) {
    return kafkaToolJobSpec({
        app: "kafka-metadata-version",
        instance: a.instance,
        container: "upgrade-metadata-version",
        image: a.image,
        script: metadataVersionScript(a.metadataVersion, a.bootstrapServers),
    });
}
