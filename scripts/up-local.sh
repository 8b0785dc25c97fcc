#!/usr/bin/env bash
# The main job on a local control plane: start (or reuse) a local cluster with 3 fake nodes, then
# `up` the dev stack on it. The stack's state lives with the cluster (a fresh cluster, fresh state),
# apart from the state of the dev stack rendered to YAML: a stack is bound to where it deploys, and
# moving it would mean replacing every resource, which `protect` refuses.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh --cluster
CLUSTER_DIR="${KAFKA_PLATFORM_CLUSTER_DIR:-$HOME/.cache/kafka-platform/cluster}"
if scripts/cluster.sh status >/dev/null 2>&1; then
  eval "$(scripts/cluster.sh env)"
else
  eval "$(scripts/cluster.sh start --nodes "${NODES:-3}")"
fi
export KAFKA_PLATFORM_STATE_DIR="$CLUSTER_DIR/pulumi-state"
export PULUMI_BACKEND_URL="file://$KAFKA_PLATFORM_STATE_DIR"
mkdir -p "$KAFKA_PLATFORM_STATE_DIR"
scripts/env.sh ts-node --transpile-only stacks/cli.ts up --stack dev --create
cat <<TXT

The dev stack runs on the local cluster. For the seed's commands and further edits:
  export KUBECONFIG=$KUBECONFIG
  export PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL
  kubectl get po -l app=kafka -w
  scripts/env.sh pulumi config set --path kafka.partition 2 && npm run up:local
Stop the cluster with: npm run cluster -- stop
TXT
