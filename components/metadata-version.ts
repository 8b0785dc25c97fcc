// KRaft's `metadata.version` feature (`kafka.metadataVersion`), once, for both places that enforce
// its rules: stack config validation (config.ts, what config alone can tell) and the policy pack's
// kafka-metadata-version rule (policies/rules/kafka-metadata-version.ts, which is also told the
// image and level deployed before, as kafka-migration is told the previous step).
//
// This module imports nothing: the policy pack loads it from its own package (policies/platform.ts).

/**
 * The metadata.version levels this platform accepts, oldest first: name (as kafka-features.sh
 * prints it) and feature level (the number the controllers store).
 * - 3.3-IV3 .. 3.9-IV0: Kafka 3.9 server-common/src/main/java/org/apache/kafka/server/common/MetadataVersion.java:165-209
 *   (3.9 branch); 3.3-IV3 is the oldest level Kafka 4.x still knows (MINIMUM_VERSION), so the
 *   only levels both lines accept start there.
 * - 4.0-IV0 .. 4.4-IV2: the production levels of the 4.4.0 release, read by running
 *   MetadataVersion.VERSIONS / isProduction() from kafka-server-common-4.4.0.jar (Maven Central,
 *   the jar our 4.4.0 image is built from): no 4.x release branch is in the source mirror here.
 *   Its LATEST_PRODUCTION is 4.4-IV2; 4.5-IV0 exists but is not production, so it is not listed.
 * A level of a later release is refused until this table is extended from that release's enum.
 */
export const METADATA_LEVELS: ReadonlyArray<readonly [string, number]> = [
    ["3.3-IV3", 7], ["3.4-IV0", 8], ["3.5-IV0", 9], ["3.5-IV1", 10], ["3.5-IV2", 11],
    ["3.6-IV0", 12], ["3.6-IV1", 13], ["3.6-IV2", 14],
    ["3.7-IV0", 15], ["3.7-IV1", 16], ["3.7-IV2", 17], ["3.7-IV3", 18], ["3.7-IV4", 19],
    ["3.8-IV0", 20], ["3.9-IV0", 21],
    ["4.0-IV0", 22], ["4.0-IV1", 23], ["4.0-IV2", 24], ["4.0-IV3", 25],
    ["4.1-IV0", 26], ["4.1-IV1", 27], ["4.2-IV0", 28], ["4.2-IV1", 29], ["4.3-IV0", 30],
    ["4.4-IV0", 31], ["4.4-IV1", 32], ["4.4-IV2", 33],
];

/** A metadata.version as written (`4.0`) and what it means (`4.0-IV3`, feature level 25). */
export interface MetadataLevel {
    given: string;
    name: string;
    level: number;
    /** The Kafka release line that introduced it: a server of an older line does not know it. */
    major: number;
    minor: number;
}

/**
 * Parse `3.9`, `4.0` or `3.9-IV0` the way kafka-features.sh does (MetadataVersion.fromVersionString):
 * a release alone means its newest production level (`4.0` → 4.0-IV3, `3.9` → 3.9-IV0), a full
 * name means itself. Undefined for anything else, including levels this table does not hold.
 */
export function parseMetadataLevel(given: string): MetadataLevel | undefined {
    const m = /^(\d+)\.(\d+)(-IV\d+)?$/.exec(given);
    if (!m) return undefined;
    const release = `${m[1]}.${m[2]}`;
    const matches = METADATA_LEVELS.filter(([name]) => (m[3] ? name === given : name.startsWith(`${release}-`)));
    if (matches.length === 0) return undefined;
    const [name, level] = matches[matches.length - 1];
    return { given, name, level, major: Number(m[1]), minor: Number(m[2]) };
}

/** The accepted values, for errors: the releases, and where their levels are listed. */
export function describeAcceptedLevels(): string {
    const releases = Array.from(new Set(METADATA_LEVELS.map(([name]) => name.split("-")[0])));
    return `a release (${releases.join(", ")}) or one of its levels as kafka-features.sh names them (e.g. 3.9-IV0, 4.0-IV3; ${METADATA_LEVELS[0][0]} to ${METADATA_LEVELS[METADATA_LEVELS.length - 1][0]})`;
}

/** A Kafka line as an image's tag names it; undefined minor when the tag names the major only. */
export interface KafkaLine {
    major: number;
    minor?: number;
}

export type MetadataVersionFinding =
    /** Not a level this platform knows (a typo, a level before 3.3-IV3, or of a release not in the table). */
    | { rule: "unknown-level"; given: string }
    /** A level of a later Kafka line than the image's: its servers do not know it, the upgrade fails. */
    | { rule: "level-above-image"; level: MetadataLevel; image: string; line: string }
    /** A lower level than the one set before: not done here (see metadataVersionChangeFindings). */
    | { rule: "downgrade"; level: MetadataLevel; previous: MetadataLevel }
    /** The level changes in the same update as the servers' image. */
    | { rule: "changed-with-image"; previousLevel: string; level: string; previousImage: string; image: string };

/**
 * The findings for a level on servers of one image. The line comes from the image's tag
 * (components/durability.ts kafkaImageVersion); a tag that names no minor (`kafka:4`) or no
 * version is not judged.
 */
export function metadataLevelFindings(given: string, image: string, line: KafkaLine | undefined): MetadataVersionFinding[] {
    const level = parseMetadataLevel(given);
    if (!level) return [{ rule: "unknown-level", given }];
    if (line?.minor === undefined) return [];
    if (level.major > line.major || (level.major === line.major && level.minor > line.minor)) {
        return [{ rule: "level-above-image", level, image, line: `${line.major}.${line.minor}` }];
    }
    return [];
}

/** What the last update deployed, as the stack's outputs record it (kafkaImage, metadataVersion). */
export interface DeployedMetadata {
    image: string;
    /** Undefined when kafka.metadataVersion was not set. */
    metadataVersion?: string;
}

/**
 * The findings of a move from what the last update deployed to `next`:
 * - a downgrade: kafka-features.sh `upgrade` cannot lower a level ("Can't downgrade the version of
 *   this feature without setting the upgrade type to either safe or unsafe downgrade",
 *   Kafka 3.9 metadata/src/main/java/org/apache/kafka/controller/FeatureControlManager.java:228-232),
 *   and its `downgrade` refuses any step across a level that changed the metadata format
 *   ("Refusing to perform the requested downgrade because it might delete metadata
 *   information", FeatureControlManager.java:341-354; unsafe downgrade is not implemented,
 *   KAFKA-13896). The few it allows change nothing the platform needs, so none is offered.
 * - the level changed in the same update as the image: a level is raised only once every server
 *   runs the new image, and a rollback of the image is only safe while the level is still one the
 *   old image knows. Image first, in an update of its own, then the level.
 * Removing kafka.metadataVersion is no change of the cluster's level (nothing runs), so it is allowed.
 */
export function metadataVersionChangeFindings(previous: DeployedMetadata, next: { images: string[]; metadataVersion?: string }): MetadataVersionFinding[] {
    if (next.metadataVersion === undefined || next.metadataVersion === previous.metadataVersion) return [];
    const level = parseMetadataLevel(next.metadataVersion);
    const before = previous.metadataVersion === undefined ? undefined : parseMetadataLevel(previous.metadataVersion);
    // `4.0` and `4.0-IV3` are one level: rewriting the key runs a Job but changes nothing.
    if (level && before && level.level === before.level) return [];
    const findings: MetadataVersionFinding[] = [];
    const changedImage = next.images.find((image) => image !== previous.image);
    if (changedImage !== undefined) {
        findings.push({
            rule: "changed-with-image",
            previousLevel: previous.metadataVersion ?? "",
            level: next.metadataVersion,
            previousImage: previous.image,
            image: changedImage,
        });
    }
    if (level && before && level.level < before.level) findings.push({ rule: "downgrade", level, previous: before });
    return findings;
}

/**
 * The name of the Job that raises the level: one per level (`4.0-IV3` → kafka-metadata-version-4-0-iv3),
 * so a changed level creates a new Job (a Job's template cannot be edited) and an unchanged one
 * leaves the finished Job alone.
 */
export function metadataVersionJobName(given: string): string {
    return `kafka-metadata-version-${given.toLowerCase().replace(/\./g, "-")}`;
}

/** The annotation that carries the level on the Job, for the pack to read. */
export const METADATA_VERSION_ANNOTATION = "kafka-platform/metadata-version";
