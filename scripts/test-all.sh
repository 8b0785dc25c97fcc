#!/usr/bin/env bash
# Every test tier; any broken one fails the run. What CI runs (through .ci/run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
section() { printf '\n==== %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }

# Each tier's output is kept so the closing line can add up what mocha counted.
LOGS="$(mktemp -d)"
trap 'rm -rf "$LOGS"' EXIT
tier() { local name="$1"; shift; "$@" 2>&1 | tee "$LOGS/$name.log"; }

# The real-pod tier runs kubelets, containerd and bridges on this machine: root only, never skipped.
[[ $(id -u) == 0 ]] || { echo "test-all: the real-pod tier needs root (kubelet, containerd, network namespaces)" >&2; exit 1; }

section "setup: npm dependencies, Pulumi toolchain, control plane and node binaries, images"
bash scripts/setup.sh --real-nodes

section "typecheck: program, stacks, tests, policy pack"
npx tsc --noEmit -p .
npx tsc --noEmit -p policies

# The unit tier, the engine tier (render mode, ~10 min with its migration walks), then the kwok
# tier, run beside the real-pod tier (their clusters on other ports; the real-node cluster is the
# only one holding the node network). One after the other they would not fit CI's budget with a
# cold machine's builds. Their output is shown when the pods tier ends.
section "unit tier, engine tier, then cluster tier (kwok fake nodes), beside the pods tier (real nodes)"
(
  rc=0
  npx mocha > "$LOGS/unit.log" 2>&1 || rc=4
  scripts/env.sh npx mocha --config test/engine/.mocharc.json > "$LOGS/engine.log" 2>&1 || rc=$((rc | 1))
  KAFKA_PLATFORM_TEST_PORT_OFFSET=100 scripts/env.sh npx mocha --config test/cluster/.mocharc.json > "$LOGS/cluster.log" 2>&1 || rc=$((rc | 2))
  exit "$rc"
) &
beside_pid=$!
pods_rc=0
tier pods scripts/env.sh bash scripts/test-pods.sh || pods_rc=$?
beside_rc=0
wait "$beside_pid" || beside_rc=$?
section "unit tier output"
cat "$LOGS/unit.log"
section "engine tier output"
cat "$LOGS/engine.log"
section "cluster tier output"
cat "$LOGS/cluster.log"
# CI shows the end of this output: repeat every mocha failure report there, so a failing pods
# test (whose output scrolled past long before) is named where it is read.
failures() {
  local log
  for log in "$LOGS"/*.log; do
    if grep -qE '^ +[0-9]+ failing' "$log"; then
      section "failures in the $(basename "$log" .log) tier"
      awk '/^ +[0-9]+ failing/ {on = 1; n = 0} /^(==== |test-pods: )/ {on = 0} on && n++ < 150' "$log"
    fi
  done
}
if ((pods_rc || beside_rc)); then
  failures
  echo "test-all: failed tiers:$( ((beside_rc & 4)) && echo " unit")$( ((beside_rc & 1)) && echo " engine")$( ((beside_rc & 2)) && echo " cluster")$( ((pods_rc)) && echo " pods")" >&2
  exit 1
fi

count() { { grep -hoE "^ +[0-9]+ $1" "$LOGS"/*.log || true; } | awk '{s += $1} END {print s + 0}'; }
passed=$(count passing); failed=$(count failing); pending=$(count pending)
if [[ "$passed" -eq 0 ]]; then echo "no test ran" >&2; exit 1; fi
echo
echo "total: $passed passed, $failed failed, $pending skipped"
