// The Pulumi project's name, once: Pulumi.yaml's `name`, the namespace of its stack config keys
// (`kafka-platform:kafka`), and the project of every stack the Automation API opens or Pulumi
// Deployments runs. A unit test holds it equal to Pulumi.yaml.
export const PROJECT_NAME = "kafka-platform";
