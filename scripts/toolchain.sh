#!/usr/bin/env bash
# Builds the Pulumi toolchain from Go modules (the only source reachable offline) into
# $KAFKA_PLATFORM_CACHE/pulumi/<version>/ and registers plugins in its PULUMI_HOME.
# Idempotent: whatever already exists in the cache is skipped, so a warm run takes seconds.
# Writes nothing into the repo; tools/pulumi/<family>/go.mod pins what is built.
#
# Cold build on 2 shared cores: pulumi CLI ~7 min, kubernetes provider ~9-10 min.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
TOOLS="$ROOT/tools/pulumi"
PREFIX="$KAFKA_PLATFORM_PULUMI_PREFIX"
BIN="$PREFIX/bin"
BUILD="$KAFKA_PLATFORM_CACHE/pulumi/build"
PV="$KAFKA_PLATFORM_PULUMI_VERSION"
KV="$KAFKA_PLATFORM_K8S_PROVIDER_VERSION"

# One build at a time per cache (setup runs it beside build-cluster.sh; a second setup waits).
mkdir -p "$KAFKA_PLATFORM_CACHE"
exec 9>"$KAFKA_PLATFORM_CACHE/.toolchain.lock"
flock 9

# Static, reproducible binaries; -mod=mod lets the wrappers' go.sum be the only lock.
# Two cores are shared with other builds: keep the package parallelism at 2.
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
GOBUILD=(go build -p 2 -trimpath)

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

# step NAME CMD... : run CMD, print how long it took.
step() {
  local name="$1" t0=$SECONDS; shift
  log "==> $name"
  "$@"
  log "<== $name ($((SECONDS - t0))s)"
}

# Module@version a wrapper pins (the single place versions are written down).
modver() { (cd "$TOOLS/$1" && go list -m -f '{{.Path}}@{{.Version}}' "$2"); }

# fetch FAMILY MODULE... : download the pinned modules first, so a miss names the module@version.
fetch() {
  local family="$1" m mv; shift
  for m in "$@"; do
    mv="$(modver "$family" "$m" 2>/dev/null || echo "$m")"
    (cd "$TOOLS/$family" && go mod download "$m") || die "could not fetch $mv from the Go module proxy"
  done
}

# --- 1. pulumi CLI ---------------------------------------------------------------------
build_cli() {
  local mv; mv="$(modver cli github.com/pulumi/pulumi/pkg/v3)"
  fetch cli github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3
  (cd "$TOOLS/cli" && "${GOBUILD[@]}" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PV" \
      -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) \
    || die "could not build $mv (cmd/pulumi)"
  mv "$BIN/pulumi.tmp" "$BIN/pulumi"
}

# --- 2. Node.js support ----------------------------------------------------------------
# pulumi-language-nodejs is NOT built: the proxy refuses every version of
# github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 (403, list included), so
# `pulumi up` on a `runtime: nodejs` project cannot start the program. Programs run through the
# Automation API instead (an inline program: the engine talks to a language server inside the
# node process via --client, no language host binary). Two small plugins make the rest work:
#  - pulumi-analyzer-policy-nodejs: with no nodejs language host the engine starts a Node.js
#    policy pack through this analyzer plugin (args: <engine-address> . [runtime options],
#    cwd = the pack's folder), i.e. @pulumi/pulumi/cmd/run-policy-pack from the pack's node_modules.
#    Installed into PULUMI_HOME, not PATH: ambient plugins on PATH cause a warning on every run.
#  - pulumi-resource-pulumi-nodejs: dynamic providers; a "bundled" plugin looked up next to the
#    pulumi binary. The script ships in the sdk/v3 module (nodejs/dist) and is copied from there.
install_policy_plugin() {
  local shim="$BUILD/pulumi-analyzer-policy-nodejs"
  mkdir -p "$BUILD"
  printf '%s\n' '#!/bin/sh' 'exec node ./node_modules/@pulumi/pulumi/cmd/run-policy-pack "$@"' > "$shim"
  chmod +x "$shim"
  "$BIN/pulumi" plugin install analyzer policy-nodejs "v$PV" --file "$shim" --reinstall
  rm -f "$shim"
}
install_dynamic_provider_shim() {
  local sdk; sdk="$(cd "$TOOLS/cli" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
  install -m 0755 "$sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"
}

# --- 3. kubernetes provider ------------------------------------------------------------
# cmd/pulumi-resource-kubernetes embeds schema-embed.json and terraform-mapping-embed.json,
# which its generate.go writes next to main.go and which the module zip lacks. The module
# cache is read-only and -overlay may not point into it, so the module is copied to a
# scratch dir in the cache, generated there, and built through a replace in a scratch modfile.
# The binary goes only into PULUMI_HOME, never on PATH: a pulumi-resource-kubernetes on PATH is
# an "ambient" plugin the engine would use for every requested version (with a warning), which
# would hide a mismatch with the @pulumi/kubernetes version in package.json.
K8S_PLUGIN="$PULUMI_HOME/plugins/resource-kubernetes-v$KV/pulumi-resource-kubernetes"
build_k8s() {
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4 mv src work
  mv="$(modver kubernetes $mod)"
  fetch kubernetes $mod github.com/pulumi/pulumi-kubernetes/sdk/v4
  src="$(cd "$TOOLS/kubernetes" && go list -m -f '{{.Dir}}' $mod)"
  work="$BUILD/kubernetes-${mv##*@}"
  rm -rf "$work"; mkdir -p "$work"
  cp -r "$src" "$work/provider"; chmod -R u+w "$work/provider"
  (cd "$TOOLS/kubernetes" && "${GOBUILD[@]}" -o "$work/generate" \
      "$src/cmd/pulumi-resource-kubernetes/generate.go") || die "could not build generate.go of $mv"
  # The schema carries the version the engine and SDKs see: the npm release this commit shipped in.
  (cd "$work/provider/cmd/pulumi-resource-kubernetes" && VERSION="$KV" "$work/generate") \
    || die "generate.go of $mv failed"
  cp "$TOOLS/kubernetes/go.mod" "$work/go.mod"; cp "$TOOLS/kubernetes/go.sum" "$work/go.sum"
  go mod edit -replace "$mod=$work/provider" "$work/go.mod"
  (cd "$TOOLS/kubernetes" && "${GOBUILD[@]}" -modfile="$work/go.mod" \
      -ldflags "-s -w -X $mod/pkg/version.Version=$KV" \
      -o "$work/pulumi-resource-kubernetes" $mod/cmd/pulumi-resource-kubernetes) \
    || die "could not build $mv (cmd/pulumi-resource-kubernetes)"
  # Registers the local binary, so the engine never tries to download kubernetes v$KV.
  "$BIN/pulumi" plugin install resource kubernetes "v$KV" \
    --file "$work/pulumi-resource-kubernetes" --reinstall
  rm -rf "$work"
}

mkdir -p "$BIN" "$BUILD"
T0=$SECONDS
log "Pulumi toolchain v$PV, kubernetes provider v$KV -> $PREFIX"

if [[ -x "$BIN/pulumi" ]] && [[ "$("$BIN/pulumi" version 2>/dev/null)" == "v$PV" ]]; then
  log "skip pulumi CLI: $BIN/pulumi is v$PV"
else
  step "build pulumi CLI ($(modver cli github.com/pulumi/pulumi/pkg/v3))" build_cli
fi

if [[ -x "$PULUMI_HOME/plugins/analyzer-policy-nodejs-v$PV/pulumi-analyzer-policy-nodejs" ]]; then
  log "skip policy analyzer plugin: policy-nodejs v$PV is in $PULUMI_HOME"
else
  step "install analyzer plugin policy-nodejs v$PV (runs Node.js policy packs)" install_policy_plugin
fi

if [[ -x "$BIN/pulumi-resource-pulumi-nodejs" ]]; then
  log "skip pulumi-resource-pulumi-nodejs: present"
else
  step "install pulumi-resource-pulumi-nodejs (dynamic providers)" install_dynamic_provider_shim
fi

if [[ -x "$K8S_PLUGIN" ]]; then
  log "skip kubernetes provider: resource kubernetes v$KV is in $PULUMI_HOME"
else
  step "build + install pulumi-resource-kubernetes v$KV ($(modver kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4))" build_k8s
fi

log "note: pulumi-language-nodejs is not built (module not served); run programs via the Automation API"
log "done in $((SECONDS - T0))s; cache: $(du -sh "$PREFIX" | cut -f1) in $PREFIX"
