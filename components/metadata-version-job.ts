import * as pulumi from "@pulumi/pulumi";
import { metadataVersionJobMetadata, metadataVersionJobSpec } from "./metadata-version-spec";
import { BrokerJobTarget, brokerToolJob } from "./topics";

export interface MetadataVersionArgs extends BrokerJobTarget {
    /** Validated `kafka.metadataVersion` (KRaft only; config checked it against the image). */
    readonly metadataVersion: string;
}

/**
 * KRaft's metadata.version raised to `kafka.metadataVersion`: a Job running `kafka-features.sh
 * upgrade` once the brokers' rollout stage is over (the controllers' is over before the brokers
 * are applied, so every server then runs the image). One Job per level, so a new level runs a new Job.
 */
export class MetadataVersion extends pulumi.ComponentResource {
    public readonly jobName: pulumi.Output<string>;

    constructor(name: string, args: MetadataVersionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kafka-platform:index:MetadataVersion", name, {}, opts);
        const { name: jobName, annotations } = metadataVersionJobMetadata(args.metadataVersion, args.namespace);
        const job = brokerToolJob(
            `${name}-job`,
            {
                name: jobName,
                namespace: args.namespace,
                annotations,
                brokersReady: args.brokersReady,
                spec: pulumi.output(args.bootstrapServers).apply((bootstrapServers) =>
                    metadataVersionJobSpec({ metadataVersion: args.metadataVersion, bootstrapServers, image: args.image, instance: args.instance }),
                ),
            },
            this,
        );
        this.jobName = job.metadata.name;
        this.registerOutputs({ jobName: this.jobName });
    }
}
