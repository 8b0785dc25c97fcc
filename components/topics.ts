import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { TopicConfig } from "./config";
import { topicsJobName, topicsJobSpec } from "./topics-spec";

export interface TopicsArgs {
    /** Validated `topics` stack config. */
    readonly topics: TopicConfig[];
    readonly namespace: string;
    readonly instance: string;
    /** The brokers to create topics on. */
    readonly bootstrapServers: pulumi.Input<string>;
    /** Image with kafka-topics.sh; the brokers' image. */
    readonly image: string;
    /** Resolves when the brokers' rollout stage is over; the Job waits for it. */
    readonly brokersReady: pulumi.Output<{ failed?: string }>;
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
        const jobName = topicsJobName(args.topics);
        const job = new k8s.batch.v1.Job(
            `${name}-job`,
            {
                // Taking the name through brokersReady makes the Job wait for the brokers' rollout stage.
                // When the stage failed the update fails anyway: do not also wait on the Job.
                metadata: {
                    name: args.brokersReady.apply(() => jobName),
                    namespace: args.namespace,
                    annotations: args.brokersReady.apply((r): Record<string, string> => (r.failed ? { "pulumi.com/skipAwait": "true" } : {})),
                },
                spec: pulumi.output(args.bootstrapServers).apply((bootstrapServers) =>
                    topicsJobSpec({ topics: args.topics, bootstrapServers, image: args.image, instance: args.instance }),
                ),
            },
            { parent: this, deleteBeforeReplace: false },
        );
        this.jobName = job.metadata.name;
        this.registerOutputs({ jobName: this.jobName });
    }
}
