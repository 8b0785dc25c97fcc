#!/usr/bin/env bash
# Builds the local control plane (kube-apiserver, kube-controller-manager, kube-scheduler, etcd,
# kwok) from Go modules into a version-keyed cache outside the repo. Only the Go module proxy is
# reachable here, so release tarballs and images are not an option.
#
#   scripts/build-cluster.sh            build whatever is missing (a warm run takes seconds)
#   scripts/build-cluster.sh paths      print the binary paths (used by cluster/binaries.ts)
#   scripts/build-cluster.sh regen k8s|etcd   regenerate a wrapper go.mod/go.sum for the versions
#                                       below (K8S_VERSION=... / ETCD_VERSION=... to bump)
#
# Versions are pinned by the wrapper modules under tools/k8s/<family>/go.mod (the single source of
# truth); kwok has no replace directives, so it is pinned here and built with `go install mod@ver`.
# Env: KAFKA_PLATFORM_CACHE (default ~/.cache/kafka-platform), BUILD_P (go build -p, default 2).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/tools/k8s"
CACHE="${KAFKA_PLATFORM_CACHE:-$HOME/.cache/kafka-platform}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
# Cluster DNS for real nodes: CoreDNS as a host process (its module has no replace directives).
COREDNS_VERSION="${COREDNS_VERSION:-v1.14.7}"
BUILD_P="${BUILD_P:-2}"

# Static binaries with no build paths baked in; -s -w (in the ldflags below) drops the symbol
# and DWARF tables: smaller binaries and faster links, which matters on 2 cores.
export CGO_ENABLED=0
GOBUILD=(go build -trimpath -p "$BUILD_P")

log() { printf '[build-cluster] %s\n' "$*" >&2; }
die() { printf '[build-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# Version of MODULE as required by the wrapper go.mod in DIR (FALLBACK before a first regen).
wrapper_version() {
  [[ -f "$1/go.mod" ]] || { echo "$3"; return; }
  go mod edit -json "$1/go.mod" | jq -r --arg m "$2" '.Require[] | select(.Path == $m) | .Version'
}

K8S_VERSION="${K8S_VERSION:-$(wrapper_version "$TOOLS/kubernetes" k8s.io/kubernetes v1.34.4)}"
ETCD_VERSION="${ETCD_VERSION:-$(wrapper_version "$TOOLS/etcd" go.etcd.io/etcd/server/v3 v3.6.16)}"

K8S_BIN="$CACHE/k8s/$K8S_VERSION/bin"
# The control plane, then what a real node runs (kubelet; one kube-proxy serves every node here).
K8S_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
ETCD_BIN="$CACHE/etcd/$ETCD_VERSION/bin"
KWOK_BIN="$CACHE/kwok/$KWOK_VERSION/bin"
KWOK_CRD="$CACHE/kwok/$KWOK_VERSION/crd/kwok.x-k8s.io_stages.yaml"
COREDNS_BIN="$CACHE/coredns/$COREDNS_VERSION/bin"

# step OUT WHAT CMD...: run CMD... OUT.tmp as a timed step, then move it into place (so an
# interrupted build never leaves a half-written binary that a later run would skip).
# Skipped when OUT already exists: binaries are keyed by version, so existing means current.
step() {
  local out=$1 what=$2; shift 2
  if [[ -e "$out" ]]; then
    log "skip  $what (exists: $out)"
    return 0
  fi
  mkdir -p "$(dirname "$out")"
  local t0=$SECONDS
  log "build $what -> $out"
  "$@" "$out.tmp" || die "building $what failed (see the go output above)"
  mv "$out.tmp" "$out"
  log "done  $what in $((SECONDS - t0))s"
}

# A field of `go mod download -json MODULE@VERSION` (e.g. .GoMod, .Dir).
mod_info() {
  go mod download -json "$1" | jq -r "$2" || die "go mod download $1 failed"
}

build_k8s() {
  local ver=$K8S_VERSION minor major date cmd
  local all=1
  for cmd in "${K8S_CMDS[@]}"; do [[ -e "$K8S_BIN/$cmd" ]] || all=0; done
  if ((all)); then
    log "skip  k8s.io/kubernetes@$ver (${K8S_CMDS[*]} exist in $K8S_BIN)"
    return
  fi
  major=${ver#v}; major=${major%%.*}
  minor=${ver#v*.}; minor=${minor%%.*}
  # Stamp the version (and the tag's date) as upstream's hack/lib/version.sh does, so
  # `kubectl version` and kwok's flag detection see v1.34.x rather than v0.0.0-master. The
  # commit is left empty: the module proxy does not tell it.
  date=$(cd "$TOOLS/kubernetes" && go list -m -json "k8s.io/kubernetes@$ver" | jq -r .Time) ||
    die "cannot resolve k8s.io/kubernetes@$ver from the module proxy"
  local ld="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$ver -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  # kube-apiserver first: it compiles most of the shared packages, so the other two are
  # mostly link time. Tags as upstream's hack/lib/golang.sh uses them.
  for cmd in "${K8S_CMDS[@]}"; do
    step "$K8S_BIN/$cmd" "k8s.io/kubernetes@$ver cmd/$cmd" \
      in_dir "$TOOLS/kubernetes" "${GOBUILD[@]}" -tags selinux,notest,grpcnotrace -ldflags "$ld" \
      "k8s.io/kubernetes/cmd/$cmd"
  done
}

build_etcd() {
  # The etcd main package is the server module root; -o names the binary (else "v3").
  step "$ETCD_BIN/etcd" "go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
    in_dir "$TOOLS/etcd" "${GOBUILD[@]}" -ldflags "-s -w" go.etcd.io/etcd/server/v3
}

build_kwok() {
  # kwok's go.mod has no replace directives, so `go install mod@version` builds it with exactly
  # the dependency versions it was released with. GOBIN points at a temp dir for atomicity.
  step "$KWOK_BIN/kwok" "sigs.k8s.io/kwok@$KWOK_VERSION cmd/kwok" go_install_to "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # cluster/kwok.ts runs kwok with its Stage CRD (so stages can be changed live); the CRD manifest
  # ships in the same module, so keep a copy next to the binary.
  step "$KWOK_CRD" "sigs.k8s.io/kwok@$KWOK_VERSION Stage CRD" copy_kwok_crd
}

build_coredns() {
  step "$COREDNS_BIN/coredns" "github.com/coredns/coredns@$COREDNS_VERSION" go_install_to "github.com/coredns/coredns@$COREDNS_VERSION"
}

copy_kwok_crd() {
  local dir
  dir=$(cd /tmp && mod_info "sigs.k8s.io/kwok@$KWOK_VERSION" '.Dir')
  cp "$dir/kustomize/crd/bases/kwok.x-k8s.io_stages.yaml" "$1"
}

# in_dir DIR GOBUILD... PKG OUT: go build PKG into OUT from inside the wrapper module DIR.
in_dir() {
  local dir=$1; shift
  local out=${*: -1} pkg=${*: -2:1}
  (cd "$dir" && "${@:1:$#-2}" -o "$out" "$pkg")
}

# go_install_to MOD@VER OUT: go install into a temp GOBIN, then move the binary to OUT.
go_install_to() {
  local tmp
  tmp=$(mktemp -d "$2.XXXX")
  local rc=0
  GOBIN="$tmp" go install -trimpath -p "$BUILD_P" -ldflags "-s -w" "$1" &&
    mv "$tmp/$(basename "${1%@*}")" "$2" || rc=$?
  rm -rf "$tmp"
  return "$rc"
}

# Regenerate tools/k8s/kubernetes/go.mod: k8s.io/kubernetes requires its staging modules at
# v0.0.0 with ./staging replaces that only apply in its own repo, so the wrapper replaces each
# of them with the matching published v0.X.Y tag (list derived from upstream's go.mod).
regen_k8s() {
  local ver=$K8S_VERSION dir="$TOOLS/kubernetes" gomod staging_ver
  staging_ver="v0.${ver#v1.}"
  mkdir -p "$dir"
  gomod=$(cd /tmp && mod_info "k8s.io/kubernetes@$ver" '.GoMod')
  {
    echo "// Generated by scripts/build-cluster.sh regen k8s: a build wrapper, not a library."
    echo "module kafka-platform/tools/k8s/kubernetes"
    echo
    echo "go $(go mod edit -json "$gomod" | jq -r .Go)"
    echo
    # Keep upstream's GODEBUG defaults: only the main module's godebug lines apply.
    go mod edit -json "$gomod" | jq -r '(.GoDebug // [])[] | "godebug \(.Key)=\(.Value)"'
    echo
    echo "require k8s.io/kubernetes $ver"
    echo
    echo "tool ("
    printf '\tk8s.io/kubernetes/cmd/%s\n' "${K8S_CMDS[@]}"
    echo ")"
    echo
    echo "replace ("
    go mod edit -json "$gomod" | jq -r --arg v "$staging_ver" \
      '.Replace[] | select(.New.Path | startswith("./staging/")) | "\t\(.Old.Path) => \(.Old.Path) \($v)"'
    echo ")"
  } > "$dir/go.mod"
  rm -f "$dir/go.sum"
  (cd "$dir" && go mod tidy) || die "go mod tidy for k8s.io/kubernetes@$ver failed"
  log "regenerated $dir/go.mod"
}

regen_etcd() {
  # The etcd server module only replaces its sibling modules with ../ paths; they are all
  # published at the same tag, so a plain require of server/v3 resolves them.
  local ver=$ETCD_VERSION dir="$TOOLS/etcd"
  mkdir -p "$dir"
  printf '%s\n' \
    "// Generated by scripts/build-cluster.sh regen etcd: a build wrapper, not a library." \
    "module kafka-platform/tools/k8s/etcd" "" "go 1.26.0" "" \
    "require go.etcd.io/etcd/server/v3 $ver" "" "tool go.etcd.io/etcd/server/v3" > "$dir/go.mod"
  rm -f "$dir/go.sum"
  (cd "$dir" && go mod tidy) || die "go mod tidy for go.etcd.io/etcd/server/v3@$ver failed"
  log "regenerated $dir/go.mod"
}

case "${1:-build}" in
  build)
    command -v go >/dev/null || die "go not found on PATH"
    # One build at a time per cache (setup runs it beside the toolchain; a second setup waits).
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.build-cluster.lock"
    flock 9
    t0=$SECONDS
    build_etcd
    build_kwok
    build_k8s
    build_coredns
    log "all binaries ready in $((SECONDS - t0))s"
    ;;
  paths)
    printf 'KUBE_APISERVER=%q\nKUBE_CONTROLLER_MANAGER=%q\nKUBE_SCHEDULER=%q\nETCD=%q\nKWOK=%q\nKWOK_STAGE_CRD=%q\nK8S_VERSION=%q\nKUBELET=%q\nKUBE_PROXY=%q\nCOREDNS=%q\n' \
      "$K8S_BIN/kube-apiserver" "$K8S_BIN/kube-controller-manager" "$K8S_BIN/kube-scheduler" \
      "$ETCD_BIN/etcd" "$KWOK_BIN/kwok" "$KWOK_CRD" "$K8S_VERSION" "$K8S_BIN/kubelet" "$K8S_BIN/kube-proxy" "$COREDNS_BIN/coredns"
    ;;
  regen)
    case "${2:-}" in
      k8s) regen_k8s ;;
      etcd) regen_etcd ;;
      *) die "usage: $0 regen k8s|etcd" ;;
    esac
    ;;
  *) die "usage: $0 [build|paths|regen k8s|etcd]" ;;
esac
