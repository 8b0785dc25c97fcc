#!/usr/bin/env bash
# Every test tier, in order, failing on the first broken one. What CI runs (through .ci/run).
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

section "unit tier"
tier unit npx mocha

section "engine tier: real Pulumi CLI + kubernetes provider, render mode"
tier engine scripts/env.sh npx mocha --config test/engine/.mocharc.json

section "cluster tier: local kube-apiserver, controllers, scheduler, etcd, kwok"
tier cluster scripts/env.sh npx mocha --config test/cluster/.mocharc.json

section "pods tier: three real nodes (kubelet, containerd, runc), real ZooKeeper and Kafka JVMs"
tier pods scripts/env.sh npx mocha --config test/pods/.mocharc.json

count() { { grep -hoE "^ +[0-9]+ $1" "$LOGS"/*.log || true; } | awk '{s += $1} END {print s + 0}'; }
passed=$(count passing); failed=$(count failing); pending=$(count pending)
if [[ "$passed" -eq 0 ]]; then echo "no test ran" >&2; exit 1; fi
echo
echo "total: $passed passed, $failed failed, $pending skipped"
