export * from "./config";
export * from "./labels";
export * from "./kafka";
export * from "./topics";
export * from "./zookeeper";
export * from "./kafka-controller";
