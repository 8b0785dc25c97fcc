#!/usr/bin/env bash
# The real-pod tier (`npm run test:pods`, and test-all.sh): one local cluster with three real nodes,
# started here and stopped on exit, shared by two mocha processes:
#   - the shared stack's scenarios (real-pods.test.ts), then pacing (pacing.test.ts);
#   - beside them, the files with a stack of their own in a namespace of their own (kraft.test.ts,
#     migration.test.ts).
# Pacing's drain run waits for the second process to end: a drain evicts every pod of a node,
# theirs too. Its other runs go beside them. One after the other the files took ~66 min here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[[ $(id -u) == 0 ]] || { echo "test-pods: real nodes need root (kubelet, containerd, network namespaces)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kafka-platform-pods-XXXXXX")"
export KAFKA_PLATFORM_CLUSTER_DIR="$WORK/cluster"
# The test ports (test/helpers/cluster.ts), so a developer's cluster on the default ports keeps running.
export KAFKA_PLATFORM_API_PORT=16443 KAFKA_PLATFORM_ETCD_PORT=12379 KAFKA_PLATFORM_KCM_PORT=20257 KAFKA_PLATFORM_SCHEDULER_PORT=20259
stop_cluster() { npx ts-node --transpile-only cluster/cli.ts stop > /dev/null 2>&1 || true; rm -rf "$WORK"; }
trap stop_cluster EXIT

started=$(date +%s)
npx ts-node --transpile-only cluster/cli.ts start --real-nodes 3 > /dev/null
echo "test-pods: cluster with 3 real nodes in $(($(date +%s) - started))s ($KAFKA_PLATFORM_CLUSTER_DIR)"
export KAFKA_PLATFORM_POD_CLUSTER_DIR="$KAFKA_PLATFORM_CLUSTER_DIR"

RESULTS="${KAFKA_PLATFORM_POD_RESULTS:-${TMPDIR:-/tmp}/kafka-platform-real-pods.json}"
mocha=(npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 3600000 --reporter spec)

# The marker is written however the second process ends, so the drain never waits in vain.
(
  rc=0
  KAFKA_PLATFORM_POD_RESULTS="${RESULTS%.json}-beside.json" "${mocha[@]}" test/pods/kraft.test.ts test/pods/migration.test.ts > "$WORK/beside.log" 2>&1 || rc=$?
  echo "$rc" > "$WORK/beside.rc"
  touch "$WORK/beside.done"
) &
beside=$!

main_rc=0
KAFKA_PLATFORM_POD_RESULTS="$RESULTS" KAFKA_PLATFORM_POD_EXCLUSIVE_AFTER="$WORK/beside.done" \
  "${mocha[@]}" test/pods/real-pods.test.ts test/pods/pacing.test.ts || main_rc=$?
wait "$beside" || true
echo
echo "==== beside: kraft.test.ts, migration.test.ts (own namespaces, same cluster)"
cat "$WORK/beside.log"
beside_rc=$(cat "$WORK/beside.rc" 2> /dev/null || echo 1)
echo "test-pods: $(($(date +%s) - started))s in all; figures in $RESULTS and ${RESULTS%.json}-beside.json"
if ((main_rc || beside_rc)); then
  echo "test-pods: failed:$( ((main_rc)) && echo " real-pods/pacing (exit $main_rc)")$( ((beside_rc)) && echo " kraft/migration (exit $beside_rc)")" >&2
  exit 1
fi
