#!/usr/bin/env bash
# Everything the project needs on a fresh machine, idempotent: npm dependencies (root and the
# policy pack, from their lockfiles), the Pulumi toolchain, with --cluster the local cluster's
# binaries, and with --real-nodes also the Debian packages a real node runs on (containerd, runc,
# CNI plugins, iptables; root only) and the locally assembled images. Heavy builds are cached under
# ~/.cache/kafka-platform keyed by version.
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

# The Debian packages of a real node (cluster/binaries.ts NODE_PACKAGES), installed when missing.
NODE_PACKAGES=(containerd runc containernetworking-plugins iptables mmdebstrap conntrack)
node_packages() {
  local missing=() p
  for p in "${NODE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    log "node packages are installed"
    return
  fi
  [[ $(id -u) == 0 ]] || { log "ERROR: real nodes need root to install ${missing[*]}"; exit 1; }
  log "apt-get install ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

mode="${1:-}"
npm_ci "$ROOT"
npm_ci "$ROOT/policies"
# The Go builds (Pulumi toolchain, cluster binaries) and the images run side by side: compiling is
# CPU-bound while module downloads, apt and Maven wait on the network, so together they finish
# well before the sum of their times (measured in README.md, Toolchain and caches). Each job logs
# to stderr and any failure fails setup, after all of them have stopped.
pids=() names=()
job() { local name="$1"; shift; "$@" >&2 & pids+=($!); names+=("$name"); }
job toolchain bash "$ROOT/scripts/toolchain.sh"
if [[ "$mode" == "--cluster" || "$mode" == "--real-nodes" ]]; then
  job build-cluster bash "$ROOT/scripts/build-cluster.sh"
fi
if [[ "$mode" == "--real-nodes" ]]; then
  # apt first (mmdebstrap is one of the packages), then the images.
  images() { node_packages && "$ROOT/node_modules/.bin/ts-node" --transpile-only "$ROOT/images/build.ts" > /dev/null; }
  job images images
fi
failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done
if ((${#failed[@]})); then
  log "ERROR: ${failed[*]} failed (see above)"
  exit 1
fi
