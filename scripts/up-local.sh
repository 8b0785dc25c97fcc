#!/usr/bin/env bash
# The main job on a local control plane: start (or reuse) a 3-node local cluster, then `up` the dev
# stack on it. The seed's kubectl commands work after `export KUBECONFIG=...` as printed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh --cluster
if scripts/cluster.sh status >/dev/null 2>&1; then
  eval "$(scripts/cluster.sh env)"
else
  eval "$(scripts/cluster.sh start --nodes "${NODES:-3}")"
fi
scripts/env.sh ts-node --transpile-only stacks/cli.ts up --stack dev --create
echo
echo "The dev stack runs on the local cluster. To use the seed's commands:"
echo "  export KUBECONFIG=$KUBECONFIG"
echo "  kubectl get po -l app=kafka -w"
echo "Stop the cluster with: npm run cluster -- stop"
