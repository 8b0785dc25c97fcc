#!/usr/bin/env bash
# A real, local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) with kwok simulating the nodes and pods, run as plain local processes bound to
# 127.0.0.1 only. The StatefulSet controller, the scheduler, PodDisruptionBudgets and the
# eviction API are the real ones; only kubelets are fake. Binaries come from
# scripts/build-cluster.sh (run automatically when missing).
#
# Usage:
#   scripts/cluster.sh start [--nodes N] [--pod-ready-delay D] [--pod-start-delay D]
#                            [--pod-delete-delay D]
#       Fresh cluster (previous state is wiped) with N fake nodes kwok-node-0..N-1 (default 3).
#       On a running cluster it only scales the fake nodes to N. Prints `export KUBECONFIG=...`
#       on stdout (progress goes to stderr), so `eval "$(scripts/cluster.sh start)"` works.
#       Delays (e.g. 2s, 500ms; env POD_READY_DELAY, POD_START_DELAY, POD_DELETE_DELAY):
#       a scheduled pod is Pending, Running after POD_START_DELAY (1s), Ready
#       POD_READY_DELAY (2s) later; a deleted pod is gone after POD_DELETE_DELAY (1s), whatever
#       its terminationGracePeriodSeconds.
#   scripts/cluster.sh nodes N            scale the fake nodes to N (pods of removed nodes are
#                                         force-deleted, so their controllers recreate them)
#   scripts/cluster.sh status             processes, /readyz and nodes (exit 1 if not healthy)
#   scripts/cluster.sh env                print `export KUBECONFIG=...`
#   scripts/cluster.sh stop               stop every process started here (safe to repeat)
#   scripts/cluster.sh fail-readiness [-n NS] POD
#       Make POD (namespace default) Running-but-not-Ready, as a failing readinessProbe would:
#       the current pod object gets the annotation kwok.x-k8s.io/fail-readiness=true, and
#       NS/POD is added to a name list in the kwok stages, so a pod of that name recreated
#       later (e.g. the StatefulSet canary kafka-2 during a rollout) never becomes Ready
#       either. The pod need not exist yet; if it is running, this returns once it is not Ready.
#   scripts/cluster.sh heal [-n NS] POD   undo fail-readiness; a running pod is Ready again when
#                                         this returns
#
# A test can also annotate a single pod object itself:
#   kubectl annotate pod kafka-2 kwok.x-k8s.io/fail-readiness=true
# (only that object: a recreated pod starts clean), or set per-pod delays with kwok's
# annotations, e.g. pod-ready.stage.kwok.x-k8s.io/delay: 30s (see tools/k8s/stages/pod.yaml).
#
# Env: KAFKA_PLATFORM_CLUSTER_DIR (state, logs, pids, kubeconfig; default
# ~/.cache/kafka-platform/cluster), KAFKA_PLATFORM_CACHE (binaries), and ports
# KAFKA_PLATFORM_API_PORT (6443), KAFKA_PLATFORM_ETCD_PORT (2379; peer port = +1),
# KAFKA_PLATFORM_KCM_PORT (10257), KAFKA_PLATFORM_SCHEDULER_PORT (10259).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STAGES_SRC="$ROOT/tools/k8s/stages"
DIR="${KAFKA_PLATFORM_CLUSTER_DIR:-$HOME/.cache/kafka-platform/cluster}"
PKI="$DIR/pki"
LOGS="$DIR/logs"
PIDS="$DIR/pids"
KCFG="$DIR/kubeconfig"
SETTINGS="$DIR/settings.env"
FAIL_LIST="$DIR/fail-readiness.list"

API_PORT="${KAFKA_PLATFORM_API_PORT:-6443}"
ETCD_PORT="${KAFKA_PLATFORM_ETCD_PORT:-2379}"
ETCD_PEER_PORT=$((ETCD_PORT + 1))
KCM_PORT="${KAFKA_PLATFORM_KCM_PORT:-10257}"
SCHED_PORT="${KAFKA_PLATFORM_SCHEDULER_PORT:-10259}"
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1   # first IP of SERVICE_CIDR: the `kubernetes` Service, in the serving cert

# Start order; stop goes in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }
k() { kubectl --kubeconfig "$KCFG" "$@"; }

load_binaries() {
  eval "$("$ROOT/scripts/build-cluster.sh" paths)"
  local b
  for b in "$ETCD" "$KUBE_APISERVER" "$KUBE_CONTROLLER_MANAGER" "$KUBE_SCHEDULER" "$KWOK" "$KWOK_STAGE_CRD"; do
    if [[ ! -e "$b" ]]; then
      log "missing $b: running scripts/build-cluster.sh (a cold build takes a while)"
      "$ROOT/scripts/build-cluster.sh" >&2 || die "scripts/build-cluster.sh failed"
      break
    fi
  done
}

# "2s" / "500ms" / "1.5s" / "1m" / "3" (seconds) -> milliseconds.
to_ms() {
  local v=$1
  [[ "$v" =~ ^([0-9]+(\.[0-9]+)?)(ms|s|m)?$ ]] || die "bad duration '$v' (use e.g. 2s, 500ms)"
  case "${BASH_REMATCH[3]}" in
    ms) awk -v n="${BASH_REMATCH[1]}" 'BEGIN { printf "%d", n }' ;;
    m) awk -v n="${BASH_REMATCH[1]}" 'BEGIN { printf "%d", n * 60000 }' ;;
    *) awk -v n="${BASH_REMATCH[1]}" 'BEGIN { printf "%d", n * 1000 }' ;;
  esac
}

# ---------------------------------------------------------------- processes

pid_of() { [[ -f "$PIDS/$1.pid" ]] && cat "$PIDS/$1.pid"; }

# True when the component's recorded pid is alive and still runs the binary we started
# (a stale pid file must never make us signal an unrelated process that reused the pid).
alive() {
  local pid
  pid=$(pid_of "$1") || return 1
  [[ -n "$pid" && -d /proc/$pid ]] || return 1
  [[ "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" == *"/$1 "* ]]
}

# Looser than alive, for right after launch: the pid exists (it may not have exec'd yet).
started() { local pid; pid=$(pid_of "$1") && [[ -n "$pid" && -d /proc/$pid ]]; }

launch() {
  local name=$1; shift
  # setsid: own session, so a Ctrl-C in the caller's terminal does not take the cluster down.
  setsid "$@" > "$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}

# wait_for WHAT TIMEOUT_S COMPONENT CMD...: poll CMD until it succeeds; fail early (with the
# component's log tail) if COMPONENT died meanwhile.
wait_for() {
  local what=$1 timeout=$2 comp=$3; shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" > /dev/null 2>&1; do
    if [[ -n "$comp" ]] && ! started "$comp"; then
      tail -n 30 "$LOGS/$comp.log" >&2 || true
      die "$comp exited while waiting for $what (log: $LOGS/$comp.log)"
    fi
    ((SECONDS < deadline)) || die "timed out after ${timeout}s waiting for $what (logs: $LOGS)"
    sleep 0.2
  done
}

port_in_use() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }

do_stop() {
  local i name pid n
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    name=${COMPONENTS[i]}
    if alive "$name"; then
      pid=$(pid_of "$name")
      kill -TERM "$pid" 2> /dev/null || true
      for ((n = 0; n < 100; n++)); do   # up to 10s for a clean shutdown (etcd flushes)
        [[ -d /proc/$pid ]] || break
        sleep 0.1
      done
      if [[ -d /proc/$pid ]]; then kill -KILL "$pid" 2> /dev/null || true; fi
      log "stopped $name (pid $pid)"
    fi
    rm -f "$PIDS/$name.pid"
  done
}

# ---------------------------------------------------------------- certificates, kubeconfig

gen_pki() {
  mkdir -p "$PKI"
  (
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj "/CN=kafka-platform-local-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    # cert NAME SUBJECT EXTENSIONS: a leaf signed by the CA.
    cert() {
      openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -out "$1.crt" -extfile <(printf '%s\n' "$3" "keyUsage=critical,digitalSignature,keyEncipherment")
      rm -f "$1.csr"
    }
    cert apiserver "/CN=kube-apiserver" \
      "$(printf '%s\n' "extendedKeyUsage=serverAuth" \
        "subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local")"
    # One admin identity (system:masters) for kubectl and the components: everything is local.
    cert admin "/O=system:masters/CN=kubernetes-admin" "extendedKeyUsage=clientAuth"
    # Service account tokens: the apiserver signs with sa.key, the controller-manager's
    # token controller too; sa.pub verifies.
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
  ) > "$LOGS/pki.log" 2>&1 || die "certificate generation failed (see $LOGS/pki.log)"
}

write_kubeconfig() {
  local b64="base64 -w0"
  cat > "$KCFG" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kafka-platform-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $($b64 "$PKI/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $($b64 "$PKI/admin.crt")
    client-key-data: $($b64 "$PKI/admin.key")
contexts:
- name: kafka-platform-local
  context:
    cluster: kafka-platform-local
    user: admin
    namespace: default
current-context: kafka-platform-local
EOF
  chmod 600 "$KCFG"
}

apiserver_ready() {
  curl -fsS --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$API_PORT/readyz"
}

# ---------------------------------------------------------------- kwok stages and nodes

# Render tools/k8s/stages/*.yaml with the current delays and fail-readiness list, then apply.
apply_stages() {
  # shellcheck source=/dev/null
  source "$SETTINGS"
  local names='"-"' entry   # "-" keeps the In/NotIn value lists non-empty, as kwok requires
  if [[ -s "$FAIL_LIST" ]]; then
    while IFS= read -r entry; do names+=", \"$entry\""; done < "$FAIL_LIST"
  fi
  mkdir -p "$DIR/stages"
  local f
  for f in "$STAGES_SRC"/*.yaml; do
    sed -e "s|@POD_START_DELAY_MS@|$POD_START_DELAY_MS|g" \
      -e "s|@POD_READY_DELAY_MS@|$POD_READY_DELAY_MS|g" \
      -e "s|@POD_UNREADY_DELAY_MS@|$POD_UNREADY_DELAY_MS|g" \
      -e "s|@POD_DELETE_DELAY_MS@|$POD_DELETE_DELAY_MS|g" \
      -e "s|@FAIL_READINESS_PODS@|[$names]|g" "$f" > "$DIR/stages/$(basename "$f")"
  done
  k apply -f "$DIR/stages" > /dev/null
}

node_manifest() {
  local i=$1 zones=(zone-a zone-b zone-c)
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake        # what kwok --manage-nodes-with-annotation-selector picks
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: ${zones[i % 3]}
    type: kwok
status:
  # A loopback InternalIP: anything that tries the fake kubelet (kubectl logs/exec go through
  # the apiserver to it) is refused locally instead of leaving the machine.
  addresses:
  - {type: InternalIP, address: 127.0.1.$((i % 250 + 1))}
  - {type: Hostname, address: kwok-node-$i}
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
---
EOF
}

scale_nodes() {
  local n=$1 i name
  [[ "$n" =~ ^[0-9]+$ ]] || die "node count must be a number, got '$n'"
  if ((n > 0)); then
    for ((i = 0; i < n; i++)); do node_manifest "$i"; done | k apply -f - > /dev/null
  fi
  for name in $(k get nodes -l type=kwok -o name); do
    i=${name##*kwok-node-}
    if [[ "$i" =~ ^[0-9]+$ ]] && ((i >= n)); then
      k delete "$name" --wait=false > /dev/null
      # The node is gone for good: drop its pods now rather than after the pod GC's 40s
      # quarantine, so controllers recreate them (and they go Pending if nothing fits).
      k delete pods -A --field-selector "spec.nodeName=${name#node/}" --force --grace-period=0 \
        > /dev/null 2>&1 || true
      log "deleted $name and its pods"
    fi
  done
  if ((n > 0)); then
    k wait --for=condition=Ready node -l type=kwok --timeout=60s > /dev/null ||
      die "fake nodes did not become Ready (kwok log: $LOGS/kwok.log)"
  fi
  log "$n fake node(s) Ready"
}

# ---------------------------------------------------------------- commands

cmd_start() {
  local nodes=3
  POD_READY_DELAY="${POD_READY_DELAY:-2s}"
  POD_START_DELAY="${POD_START_DELAY:-1s}"
  POD_DELETE_DELAY="${POD_DELETE_DELAY:-1s}"
  while (($#)); do
    case "$1" in
      --nodes) nodes=${2:?--nodes needs a value}; shift 2 ;;
      --nodes=*) nodes=${1#*=}; shift ;;
      --pod-ready-delay) POD_READY_DELAY=${2:?}; shift 2 ;;
      --pod-start-delay) POD_START_DELAY=${2:?}; shift 2 ;;
      --pod-delete-delay) POD_DELETE_DELAY=${2:?}; shift 2 ;;
      *) die "unknown start option '$1'" ;;
    esac
  done

  if alive kube-apiserver; then
    log "already running; scaling fake nodes to $nodes"
    scale_nodes "$nodes"
    cmd_env
    return
  fi

  local t0=$SECONDS start_ms ready_ms delete_ms
  # Parsed up front: a bad value must stop us before anything is wiped or started.
  start_ms=$(to_ms "$POD_START_DELAY")
  ready_ms=$(to_ms "$POD_READY_DELAY")
  delete_ms=$(to_ms "$POD_DELETE_DELAY")
  load_binaries
  do_stop   # leftovers of a crashed run
  local p
  for p in "$API_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" "$KCM_PORT" "$SCHED_PORT"; do
    port_in_use "$p" && die "127.0.0.1:$p is already in use (another cluster? see KAFKA_PLATFORM_*_PORT)"
  done

  # Always a fresh cluster: tests must not depend on what an earlier run left in etcd. The
  # marker guards against wiping a directory this script did not create.
  if [[ -d "$DIR" && -n "$(ls -A "$DIR")" && ! -f "$DIR/.kafka-platform-cluster" && ! -f "$SETTINGS" ]]; then
    die "$DIR is not empty and was not created by $0; refusing to wipe it"
  fi
  rm -rf "$DIR"
  mkdir -p "$PKI" "$LOGS" "$PIDS" "$DIR/kwok-home"
  touch "$DIR/.kafka-platform-cluster"
  mkdir -m 700 "$DIR/etcd"   # etcd warns about a group/world-readable data dir
  : > "$FAIL_LIST"
  cat > "$SETTINGS" <<EOF
POD_START_DELAY_MS=$start_ms
POD_READY_DELAY_MS=$ready_ms
POD_UNREADY_DELAY_MS=1000
POD_DELETE_DELAY_MS=$delete_ms
EOF
  gen_pki
  write_kubeconfig
  # Whatever fails from here on (die exits), do not leave half a cluster running.
  trap 'rc=$?; if ((rc != 0)); then log "start failed: stopping what was started"; do_stop; fi' EXIT

  # fsync off: this etcd holds throwaway test state, and fsync latency dominates on a busy disk.
  launch etcd "$ETCD" --name local --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --log-level warn
  wait_for "etcd health" 30 etcd curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"
  log "etcd up ($((SECONDS - t0))s)"

  # --advertise-address: there is no default route offline, so the apiserver cannot pick one.
  # --endpoint-reconciler-type=none: it would publish 127.0.0.1 as the `kubernetes` Service
  # endpoint, which endpoint validation rejects (loopback) and logs forever; nothing in a kwok
  # cluster connects to it anyway.
  launch kube-apiserver "$KUBE_APISERVER" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --authorization-mode Node,RBAC --allow-privileged=true \
    --kubelet-preferred-address-types InternalIP \
    --endpoint-reconciler-type none --profiling=false
  wait_for "kube-apiserver /readyz" 90 kube-apiserver apiserver_ready
  log "kube-apiserver ready ($((SECONDS - t0))s)"

  # The SA key and root CA feed the token/`kube-root-ca.crt` controllers; without them the
  # `default` ServiceAccount's namespace setup is incomplete and pods cannot be admitted.
  # No --authentication/authorization-kubeconfig: their only use is authenticating callers of
  # the components' own /metrics; /healthz stays open and the apiserver has no request-header
  # CA for them to load (they would log errors about it every few seconds).
  launch kube-controller-manager "$KUBE_CONTROLLER_MANAGER" --kubeconfig "$KCFG" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --leader-elect=false \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --use-service-account-credentials=false --profiling=false
  launch kube-scheduler "$KUBE_SCHEDULER" --kubeconfig "$KCFG" \
    --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false --profiling=false

  # kwok reads its Stages from the API (--enable-crds=Stage) so fail-readiness/heal can change
  # them live; the CRD must be established before kwok starts.
  k apply -f "$KWOK_STAGE_CRD" > /dev/null
  k wait --for=condition=Established crd/stages.kwok.x-k8s.io --timeout=30s > /dev/null
  apply_stages
  # HOME: kwok merges ~/.kwok/kwok.yaml if present; keep a developer's file out of the tests.
  launch kwok env HOME="$DIR/kwok-home" "$KWOK" --kubeconfig "$KCFG" \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds 40 --enable-crds Stage --cidr 10.244.0.0/16
  scale_nodes "$nodes"

  # Pods are only admitted once the controller-manager created the namespace's `default`
  # ServiceAccount.
  wait_for "ServiceAccount default/default" 60 kube-controller-manager k get serviceaccount default -n default
  local name
  for name in "${COMPONENTS[@]}"; do
    alive "$name" || die "$name exited (log: $LOGS/$name.log)"
  done
  trap - EXIT
  log "cluster ready in $((SECONDS - t0))s ($K8S_VERSION, $nodes node(s), state in $DIR)"
  cmd_env
}

cmd_env() { echo "export KUBECONFIG=$KCFG"; }

cmd_status() {
  local ok=0 name
  for name in "${COMPONENTS[@]}"; do
    if alive "$name"; then
      printf '%-24s running (pid %s)\n' "$name" "$(pid_of "$name")"
    else
      printf '%-24s not running\n' "$name"; ok=1
    fi
  done
  if [[ -f "$KCFG" ]] && apiserver_ready > /dev/null 2>&1; then
    echo "readyz                   ok"
    k get nodes -l type=kwok || ok=1
  else
    echo "readyz                   unreachable"; ok=1
  fi
  return $ok
}

# Parse [-n NS] POD for fail-readiness/heal into NS and POD.
parse_pod_args() {
  NS=default POD=
  while (($#)); do
    case "$1" in
      -n | --namespace) NS=${2:?}; shift 2 ;;
      --namespace=*) NS=${1#*=}; shift ;;
      *) [[ -z "$POD" ]] || die "one pod at a time"; POD=$1; shift ;;
    esac
  done
  [[ -n "$POD" ]] || die "usage: $0 fail-readiness|heal [-n NAMESPACE] POD"
  alive kube-apiserver || die "cluster is not running"
}

pod_phase() { k get pod -n "$NS" "$POD" -o jsonpath='{.status.phase}' 2> /dev/null; }

cmd_fail_readiness() {
  parse_pod_args "$@"
  grep -qxF "$NS/$POD" "$FAIL_LIST" || echo "$NS/$POD" >> "$FAIL_LIST"
  apply_stages
  # The annotation acts on the current object at once (a stage change alone does not make kwok
  # revisit a pod that is not changing); the list covers pods recreated under this name.
  if [[ -n "$(pod_phase)" ]]; then
    k annotate pod -n "$NS" "$POD" kwok.x-k8s.io/fail-readiness=true --overwrite > /dev/null
    # Return only once a running pod has actually turned not Ready, so callers can rely on it.
    if [[ "$(pod_phase)" == Running ]]; then
      k wait pod -n "$NS" "$POD" --for=condition=Ready=false --timeout=30s > /dev/null ||
        die "$NS/$POD did not turn not Ready (kwok log: $LOGS/kwok.log)"
    fi
  fi
  log "readiness of $NS/$POD now fails (also for pods recreated with that name)"
}

cmd_heal() {
  parse_pod_args "$@"
  local tmp attempt
  tmp=$(grep -vxF "$NS/$POD" "$FAIL_LIST" || true)
  printf '%s' "${tmp:+$tmp$'\n'}" > "$FAIL_LIST"
  apply_stages
  [[ -n "$(pod_phase)" ]] || { log "readiness of $NS/$POD healed (no such pod now)"; return; }
  # source: POD_READY_DELAY_MS, for how long to wait.
  # shellcheck source=/dev/null
  source "$SETTINGS"
  # Changing the pod is what makes kwok re-run its stages on it (now without the name in the
  # list). The stage update and the pod update reach kwok on separate watches, so a running
  # pod that does not turn Ready is touched again, a few times.
  for attempt in 1 2 3; do
    k annotate pod -n "$NS" "$POD" kwok.x-k8s.io/fail-readiness- \
      "kwok.x-k8s.io/healed-at=$(date +%s%N)" --overwrite > /dev/null
    [[ "$(pod_phase)" == Running ]] || break   # not running yet: the normal stages take it
    if k wait pod -n "$NS" "$POD" --for=condition=Ready \
      --timeout="$((POD_READY_DELAY_MS / 1000 + 5))s" > /dev/null 2>&1; then
      break
    fi
    ((attempt < 3)) || die "$NS/$POD did not become Ready again (kwok log: $LOGS/kwok.log)"
  done
  log "readiness of $NS/$POD healed"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) do_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  nodes) alive kube-apiserver || die "cluster is not running"; scale_nodes "${2:?usage: $0 nodes N}" ;;
  fail-readiness) shift; cmd_fail_readiness "$@" ;;
  heal) shift; cmd_heal "$@" ;;
  *) die "usage: $0 start [--nodes N] [--pod-ready-delay D] | status | stop | env | nodes N | fail-readiness [-n NS] POD | heal [-n NS] POD" ;;
esac
