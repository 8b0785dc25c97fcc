#!/usr/bin/env bash
# Everything the project needs on a fresh machine, idempotent: npm dependencies (root and the
# policy pack, from their lockfiles), the Pulumi toolchain and, with --cluster, the local control
# plane's binaries. Heavy builds are cached under ~/.cache/kafka-platform keyed by version.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[setup] %s\n' "$*" >&2; }

# npm ci only when the lockfile changed since our last install (a stamp inside node_modules).
npm_ci() {
  local dir="$1" stamp="$1/node_modules/.kafka-platform-lock.sha256" sum
  sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$sum" ]]; then
    log "npm dependencies of ${dir#"$ROOT"/} are current"
  else
    log "npm ci in ${dir#"$ROOT"/}"
    (cd "$dir" && npm ci --no-audit --no-fund >&2)
    echo "$sum" > "$stamp"
  fi
}

npm_ci "$ROOT"
npm_ci "$ROOT/policies"
bash "$ROOT/scripts/toolchain.sh" >&2
if [[ "${1:-}" == "--cluster" ]]; then
  bash "$ROOT/scripts/build-cluster.sh" >&2
fi
