// The gates of each migration phase, made from the stack (its namespace, kubeconfig, controller
// count). Which gate reads what is rollout/'s; this file only picks them per phase.
import { controllersRun } from "../../components/migration";
import { labelQuery } from "../../components/labels";
import { CONTROLLER_NAMES } from "../../components/kafka-controller-spec";
import { ExecFn, Gate, KAFKA_GATE_DESCRIPTION, KUBERNETES_GATE_DESCRIPTION, kafkaGate, kubernetesGate, offGate } from "../../rollout/gates";
import { KubeAccess, StageReader, kubectlArgs } from "../../rollout/kube";
import { MIGRATION_GATE_DESCRIPTION, QUORUM_GATE_DESCRIPTION, migrationGate, quorumGate } from "../../rollout/migration-gate";
import type { StackState } from "../workspace";
import type { Position } from "./plan";

export interface MigrationGateChoice {
    kafkaGate?: "on" | "off";
    k8sGate?: "on" | "off";
    /** `--migration-gate off`: the JMX and quorum gates (fake nodes run no JVM to ask). */
    migrationGate?: "on" | "off";
    /** Injected by tests. */
    exec?: ExecFn;
    kubeReader?: StageReader;
}

const CONTROLLERS_K8S_DESCRIPTION = KUBERNETES_GATE_DESCRIPTION.replace("StatefulSet kafka", `StatefulSet ${CONTROLLER_NAMES.statefulSet}`);

/**
 * A phase's gates, in the order they run: the StatefulSets rolled and Ready, the quorum, the
 * controllers' migration state, then the brokers' partitions. What each phase waits for is the
 * README's table: controllers — quorum and PRE_MIGRATION; brokers-migrating — MIGRATION and no
 * under-replicated partitions; brokers-kraft — MigratingZkBrokerCount 0 and none under-replicated;
 * finalized — POST_MIGRATION; kraft — quorum and none under-replicated; none and
 * controllers-removed (no controllers) — the brokers only.
 */
export function phaseGates(phase: Position, state: StackState, c: MigrationGateChoice): Gate[] {
    const namespace = state.namespace;
    const controllers = state.config.kafka.controllers.replicas;
    const withControllers = phase === "kraft" || controllersRun("zookeeper", phase);
    const brokersRoll = phase !== "controllers" && phase !== "finalized";
    const needsCluster = (what: string, flag: string) => {
        if (!state.kubeconfig && !c.exec && !c.kubeReader) {
            throw new Error(`the stack has no cluster (it renders YAML, or there is no kubeconfig), so ${what} cannot run: configure one, or pass ${flag} off`);
        }
    };
    const gates: Gate[] = [];

    if (c.k8sGate === "off") {
        gates.push(offGate("kubernetes", KUBERNETES_GATE_DESCRIPTION, "--k8s-gate off"));
        if (withControllers) gates.push(offGate("kubernetes-controllers", CONTROLLERS_K8S_DESCRIPTION, "--k8s-gate off"));
    } else {
        needsCluster("the kubernetes gate", "--k8s-gate");
        const reader = c.kubeReader ?? KubeAccess.load(state.kubeconfig);
        // The brokers are gated in every phase: one that rolls them, and one that only must not break them.
        gates.push(kubernetesGate({ reader, namespace }));
        if (withControllers) {
            const g = kubernetesGate({ reader, namespace, name: CONTROLLER_NAMES.statefulSet, labelQuery: labelQuery("kafka-controller") });
            gates.push({ ...g, name: "kubernetes-controllers", description: CONTROLLERS_K8S_DESCRIPTION });
        }
    }

    const args = { namespace, controllers, kubectlArgs: kubectlArgs(state.kubeconfig), exec: c.exec };
    const wantsQuorum = phase === "controllers" || phase === "finalized" || phase === "kraft";
    const jmx = phase === "kraft" ? undefined : migrationGate({ ...args, phase });
    if (c.migrationGate === "off") {
        if (wantsQuorum) gates.push(offGate("quorum", QUORUM_GATE_DESCRIPTION, "--migration-gate off"));
        if (jmx) gates.push(offGate("migration", MIGRATION_GATE_DESCRIPTION, "--migration-gate off"));
    } else {
        if (wantsQuorum || jmx) needsCluster("the migration gates", "--migration-gate");
        if (wantsQuorum) gates.push(quorumGate(args));
        if (jmx) gates.push(jmx);
    }

    // No controller to answer for the brokers in controllers-removed until the znodes go; the
    // controllers phase leaves the brokers byte-identical.
    const wantsPartitions = brokersRoll && phase !== "controllers-removed";
    if (wantsPartitions) {
        if (c.kafkaGate === "off") gates.push(offGate("kafka", KAFKA_GATE_DESCRIPTION, "--kafka-gate off"));
        else {
            needsCluster("the kafka gate", "--kafka-gate");
            gates.push(kafkaGate(args));
        }
    }
    return gates;
}

