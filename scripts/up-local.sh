#!/usr/bin/env bash
# The main job on a local cluster: start (or reuse) a local cluster — three real nodes where this
# machine can run them (root: kubelet, containerd, runc; so `kubectl logs kafka-0` shows a real
# broker), three kwok fake nodes otherwise — then `up` the `local` stack on it (the dev stack's
# topology with the locally assembled images). The stack's state lives with the cluster (a fresh
# cluster, fresh state): a stack is bound to where it deploys, and moving it would mean replacing
# every resource, which `protect` refuses.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ $(id -u) == 0 && "${KWOK:-}" != 1 ]]; then
  bash scripts/setup.sh --real-nodes
  start=(start --real-nodes "${NODES:-3}")
else
  echo "[up:local] not root (or KWOK=1): fake kwok nodes — pods are scheduled but run no container" >&2
  bash scripts/setup.sh --cluster
  start=(start --nodes "${NODES:-3}")
fi
CLUSTER_DIR="${KAFKA_PLATFORM_CLUSTER_DIR:-$HOME/.cache/kafka-platform/cluster}"
if scripts/cluster status >/dev/null 2>&1; then
  eval "$(scripts/cluster env)"
else
  eval "$(scripts/cluster "${start[@]}")"
fi
export KAFKA_PLATFORM_STATE_DIR="$CLUSTER_DIR/pulumi-state"
export PULUMI_BACKEND_URL="file://$KAFKA_PLATFORM_STATE_DIR"
mkdir -p "$KAFKA_PLATFORM_STATE_DIR"
scripts/env.sh node_modules/.bin/ts-node --transpile-only stacks/cli.ts up --stack local --create
cat <<TXT

The local stack runs on the local cluster. For the seed's commands and further edits:
  export KUBECONFIG=$KUBECONFIG
  export PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL
  kubectl get po -l app=kafka -w
  kubectl logs kafka-0
  scripts/env.sh pulumi config set --path kafka.partition 2 --stack local && npm run up:local
Stop the cluster with: npm run cluster -- stop
TXT
