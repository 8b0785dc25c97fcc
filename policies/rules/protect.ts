import {
    DEFAULT_ENFORCEMENT,
    EnforcementLevel,
    ResourceValidationPolicy,
    configSchema,
    validateStatefulSets,
    violation,
} from "./common";

export const STATEFULSET_PROTECTION = "statefulset-protection";

export interface ProtectionConfig {
    /** StatefulSets carry protect: true or the orphan deletion propagation policy. */
    requireProtect: boolean;
    /** StatefulSets keep their PersistentVolumeClaims when deleted or scaled down. */
    requireRetainedVolumes: boolean;
}

export const PROTECTION_DEFAULTS: ProtectionConfig = { requireProtect: true, requireRetainedVolumes: true };

/**
 * @pulumi/kubernetes (4.12+) deletes with this propagation policy; `orphan` leaves the pods running
 * when the StatefulSet object goes, so a replacement adopts them instead of starting from none.
 */
export const DELETION_PROPAGATION_ANNOTATION = "pulumi.com/deletionPropagationPolicy";

/**
 * A StatefulSet cannot be deleted or replaced with its pods by accident: it is protected (or
 * orphans its pods on delete) and keeps its PersistentVolumeClaims.
 *
 * @severity critical
 * @topics durability, operations
 */
export function statefulSetProtection(
    enforcementLevel: EnforcementLevel = DEFAULT_ENFORCEMENT,
    config: Partial<ProtectionConfig> = {},
): ResourceValidationPolicy {
    const defaults: ProtectionConfig = { ...PROTECTION_DEFAULTS, ...config };
    return {
        name: STATEFULSET_PROTECTION,
        description:
            "A StatefulSet cannot be deleted or replaced with its pods by accident: it is protected (or orphans its pods on delete) and keeps its PersistentVolumeClaims.",
        enforcementLevel,
        severity: "critical",
        tags: ["durability", "operations"],
        configSchema: configSchema(defaults, {
            requireProtect: {
                type: "boolean",
                description: `Require the protect resource option or the ${DELETION_PROPAGATION_ANNOTATION}: orphan annotation (off for throwaway dev stacks).`,
            },
            requireRetainedVolumes: {
                type: "boolean",
                description: "Reject persistentVolumeClaimRetentionPolicy Delete, which removes the data volumes with the pods.",
            },
        }),
        validateResource: validateStatefulSets(defaults, (sts, cfg, report, args) => {
            const fail = (found: string, fix: string) => report(violation(sts.subject, STATEFULSET_PROTECTION, found, fix));
            const orphans = String(sts.annotations[DELETION_PROPAGATION_ANNOTATION] ?? "").toLowerCase() === "orphan";
            if (cfg.requireProtect && args.opts?.protect !== true && !orphans) {
                fail(
                    `it is neither protected nor annotated ${DELETION_PROPAGATION_ANNOTATION}: orphan, so a replacement ` +
                        `(a change to serviceName, selector, podManagementPolicy or volumeClaimTemplates) or a destroy deletes every pod at once`,
                    `pass protect: true in its resource options (the Kafka and ZooKeeper components do by default), ` +
                        `or annotate it ${DELETION_PROPAGATION_ANNOTATION}: orphan; set requireProtect: false in this policy's config for throwaway stacks`,
                );
            }
            const retention = sts.spec.persistentVolumeClaimRetentionPolicy ?? {};
            if (cfg.requireRetainedVolumes) {
                for (const when of ["whenDeleted", "whenScaled"] as const) {
                    if (retention[when] === "Delete") {
                        fail(
                            `its persistentVolumeClaimRetentionPolicy.${when} is Delete, so ${when === "whenDeleted" ? "deleting it" : "scaling it down"} deletes the data volumes`,
                            `set persistentVolumeClaimRetentionPolicy.${when}: Retain (the default)`,
                        );
                    }
                }
            }
        }),
    };
}
