#!/usr/bin/env bash
# Smoke test of the local control plane (cluster/, through scripts/cluster): checks, against the real
# controllers, the behaviours the rollout tests rely on. Starts a fresh 3-node cluster and stops
# it at the end (KEEP_CLUSTER=1 leaves it running).
#   1. a Parallel StatefulSet with required hostname anti-affinity gets 3 Ready pods
#   2. a template change replaces pods in order 2,1,0 despite terminationGracePeriodSeconds 300
#   3. partition 2 updates only pod 2
#   4. fail-readiness by name keeps a recreated canary not Ready, and the rollout stops there
#   5. the eviction API refuses an eviction the PDB (maxUnavailable 1) does not allow, and
#      allows it again after heal
#   6. with 2 nodes the third pod stays Pending as Unschedulable
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER="$ROOT/scripts/cluster"
MANIFEST="$ROOT/tools/k8s/smoke/kafka-like.yaml"
WORK=$(mktemp -d)
passed=0 failed=0

ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
quiet() { "$@" > /dev/null; }
cleanup() {
  if [[ -n "${WATCH_PID:-}" ]]; then kill "$WATCH_PID" 2> /dev/null || true; fi
  [[ "${KEEP_CLUSTER:-}" == 1 ]] || "$CLUSTER" stop > /dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cpu_of() { kubectl get pod "$1" -o jsonpath='{.spec.containers[0].resources.requests.cpu}'; }
ready_of() { kubectl get pod "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'; }
set_cpu() {
  kubectl patch sts kafka --type=json \
    -p="[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/resources/requests/cpu\",\"value\":\"$1\"}]" > /dev/null
}
set_partition() {
  kubectl patch sts kafka --type=merge -p "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":{\"partition\":$1}}}}" > /dev/null
}
evict() {
  printf '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"%s","namespace":"default"}}' "$1" |
    kubectl create --raw "/api/v1/namespaces/default/pods/$1/eviction" -f - 2>&1
}

eval "$("$CLUSTER" start --nodes 3)"

t0=$SECONDS
kubectl apply -f "$MANIFEST" > /dev/null
check "3 pods Ready" quiet kubectl rollout status sts/kafka --timeout=60s
echo "     $((SECONDS - t0))s after apply"

# Record pod deletions while the template changes (the order the controller replaces them in).
kubectl get pods -w --output-watch-events --no-headers \
  -o custom-columns=EVENT:.type,NAME:.object.metadata.name > "$WORK/watch" 2>&1 &
WATCH_PID=$!
sleep 1
t0=$SECONDS
set_cpu 750m
check "rolling update finished" quiet kubectl rollout status sts/kafka --timeout=120s
echo "     rolling update of 3 pods took $((SECONDS - t0))s"
kill "$WATCH_PID"; WATCH_PID=
order=$(awk '$1 == "DELETED" { printf "%s ", $2 }' "$WORK/watch")
check "pods replaced in order 2,1,0 (got: $order)" [ "$order" = "kafka-2 kafka-1 kafka-0 " ]

set_partition 2
set_cpu 1
kubectl rollout status sts/kafka --timeout=60s > /dev/null
check "partition 2: only kafka-2 updated (cpu: $(cpu_of kafka-0) $(cpu_of kafka-1) $(cpu_of kafka-2))" \
  [ "$(cpu_of kafka-0) $(cpu_of kafka-1) $(cpu_of kafka-2)" = "750m 750m 1" ]

# Canary by name: kafka-1 is recreated by the rollout and must never become Ready.
"$CLUSTER" fail-readiness kafka-1 2> /dev/null
set_partition 0
sleep 10
check "canary kafka-1 (recreated: cpu $(cpu_of kafka-1)) stays not Ready" \
  [ "$(cpu_of kafka-1) $(ready_of kafka-1)" = "1 False" ]
check "rollout stopped at the canary: kafka-0 not updated" [ "$(cpu_of kafka-0)" = "750m" ]
out=$(evict kafka-0 || true)
check "eviction of kafka-0 refused while kafka-1 is not Ready ($out)" \
  grep -q "would violate the pod's disruption budget" <<< "$out"

"$CLUSTER" heal kafka-1 2> /dev/null
check "after heal the rollout completes" quiet kubectl rollout status sts/kafka --timeout=60s
sleep 1   # the PDB controller recounts healthy pods
check "eviction of kafka-0 allowed with all pods Ready" quiet evict kafka-0
kubectl rollout status sts/kafka --timeout=60s > /dev/null

"$CLUSTER" nodes 2 2> /dev/null
sleep 3
pending=$(kubectl get pods --field-selector=status.phase=Pending -o name)
reason=$(kubectl get pods --field-selector=status.phase=Pending \
  -o jsonpath='{.items[*].status.conditions[?(@.type=="PodScheduled")].reason}')
check "with 2 nodes one pod is Pending as Unschedulable ($pending: $reason)" \
  [ "$(wc -w <<< "$pending") $reason" = "1 Unschedulable" ]

echo "$passed passed, $failed failed"
((failed == 0))
