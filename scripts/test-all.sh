#!/usr/bin/env bash
# Every test tier, in order, failing on the first broken one. What CI runs (through .ci/run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
section() { printf '\n==== %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }

section "setup: npm dependencies, Pulumi toolchain, control plane binaries"
bash scripts/setup.sh --cluster

section "typecheck: program, stacks, tests, policy pack"
npx tsc --noEmit -p .
npx tsc --noEmit -p policies

section "unit tier"
npx mocha

section "engine tier: real Pulumi CLI + kubernetes provider, render mode"
scripts/env.sh npx mocha --config test/engine/.mocharc.json

section "cluster tier: local kube-apiserver, controllers, scheduler, etcd, kwok"
scripts/env.sh npx mocha --config test/cluster/.mocharc.json
