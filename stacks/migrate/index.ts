// The ZooKeeper → KRaft migration driver (`npm run migrate`), beside the rollout driver whose stage
// runner, summary and Ctrl-C it reuses: plan.ts picks the phases and refuses, gates.ts picks each
// phase's gates, advice.ts says how to resume or go back, driver.ts orchestrates.
export { runMigration } from "./driver";
export type { MigrateOptions, MigrationFlags } from "./driver";
export { phaseGates } from "./gates";
export type { MigrationGateChoice } from "./gates";
export { planMigration, DEFAULT_TARGET, FORWARD_TARGETS } from "./plan";
export type { Position, MigrationPlan } from "./plan";
export { rollbackAdvice, controllerPvcCommand, znodeCommands } from "./advice";
