import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { TopicConfig } from "./config";
import { topicsJobName, topicsJobSpec } from "./topics-spec";

/** What a one-shot Job against the brokers (topics, metadata.version) is given by the program. */
export interface BrokerJobTarget {
    readonly namespace: string;
    readonly instance: string;
    /** The brokers to run the tool against. */
    readonly bootstrapServers: pulumi.Input<string>;
    /** Image with the Kafka tools; the brokers' image. */
    readonly image: string;
    /** Resolves when the brokers' rollout stage is over; the Job waits for it. */
    readonly brokersReady: pulumi.Output<{ failed?: string }>;
}

export interface TopicsArgs extends BrokerJobTarget {
    /** Validated `topics` stack config. */
    readonly topics: TopicConfig[];
}

/**
 * Declarative topics: a Job running `kafka-topics.sh --create --if-not-exists` for every configured
 * topic. The Job is named by a hash of the topic list, so a changed list creates a new Job (and the
 * old one is removed); an unchanged list leaves the finished Job alone.
 */
export class Topics extends pulumi.ComponentResource {
    public readonly jobName: pulumi.Output<string>;

    constructor(name: string, args: TopicsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kafka-platform:index:Topics", name, {}, opts);
        const job = brokerToolJob(
            `${name}-job`,
            {
                name: topicsJobName(args.topics),
                namespace: args.namespace,
                brokersReady: args.brokersReady,
                spec: pulumi.output(args.bootstrapServers).apply((bootstrapServers) =>
                    topicsJobSpec({ topics: args.topics, bootstrapServers, image: args.image, instance: args.instance }),
                ),
            },
            this,
        );
        this.jobName = job.metadata.name;
        this.registerOutputs({ jobName: this.jobName });
    }
}

export interface BrokerToolJobArgs {
    readonly name: string;
    readonly namespace: string;
    /** Annotations of the Job itself. */
    readonly annotations?: Record<string, string>;
    readonly spec: pulumi.Input<k8s.types.input.batch.v1.JobSpec>;
    /** Resolves when the brokers' rollout stage is over; the Job waits for it. */
    readonly brokersReady: pulumi.Output<{ failed?: string }>;
}

/** A one-shot Job against the brokers, applied once their rollout stage is over. */
export function brokerToolJob(name: string, a: BrokerToolJobArgs, parent: pulumi.Resource): k8s.batch.v1.Job {
    return new k8s.batch.v1.Job(
        name,
        {
            // Taking the name through brokersReady makes the Job wait for the brokers' rollout stage.
            // When the stage failed the update fails anyway: do not also wait on the Job.
            metadata: {
                name: a.brokersReady.apply(() => a.name),
                namespace: a.namespace,
                annotations: a.brokersReady.apply((r): Record<string, string> => ({ ...(a.annotations ?? {}), ...(r.failed ? { "pulumi.com/skipAwait": "true" } : {}) })),
            },
            spec: a.spec,
        },
        // A Job's template is immutable, so any change to it (the brokers' image, which the Job runs)
        // replaces the Job. Under the same name the new one cannot be created beside the old one
        // (seen on real pods at the 4.x image step: a Server-Side Apply conflict on the container's
        // image), so the old one goes first. Safe: both Jobs are one-shot and idempotent (topics
        // --if-not-exists; an upgrade to the level the cluster has).
        { parent, deleteBeforeReplace: true },
    );
}
