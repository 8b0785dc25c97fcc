#!/usr/bin/env bash
# Lay kafka-guardrails out as a self-contained folder for `pulumi policy publish`, which ships the
# pack's folder alone (through `npm pack`): the platform modules that platform.ts re-exports from
# ../components and ../rollout, and the platform modules those import in turn, are copied into
# vendor/components and vendor/rollout, and platform.ts is pointed at the copies.
#
# Usage: bash policies/scripts/stage.sh OUT_DIR [--no-install]
#   then:  cd OUT_DIR && pulumi policy publish <org>
set -euo pipefail

pack="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$pack/.." && pwd)"
out="${1:?usage: stage.sh OUT_DIR [--no-install]}"
install=true
[[ "${2:-}" == "--no-install" ]] && install=false

# Only ever replace an earlier stage, never an unrelated folder.
if [[ -e "$out" && ! -f "$out/PulumiPolicy.yaml" && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
    echo "stage.sh: $out exists and is not a staged policy pack; choose an empty or new folder" >&2
    exit 1
fi
rm -rf "$out"
mkdir -p "$out"

(cd "$pack" && tar --exclude=./node_modules --exclude=./scripts --exclude=./bin -cf - .) | (cd "$out" && tar -xf -)

# Vendor platform.ts's modules and, transitively, the platform modules they import. A vendored
# module may import only other platform modules (relative paths): anything else would point
# outside the staged folder.
queue=($(grep -oE "\.\./(components|rollout)/[a-z0-9-]+" "$pack/platform.ts" | sed 's#^\.\./##' | sort -u))
declare -A vendored=()
while ((${#queue[@]} > 0)); do
    module="${queue[0]}"
    queue=("${queue[@]:1}")
    [[ -n "${vendored[$module]:-}" ]] && continue
    vendored[$module]=1
    file="$root/$module.ts"
    if grep -qE "require\(" "$file"; then
        echo "stage.sh: $file calls require(); it cannot be vendored as it is" >&2
        exit 1
    fi
    for spec in $(grep -E "^\s*(import|export)\b.*from\s+['\"]" "$file" | sed -E "s/.*from\s+['\"]([^'\"]+)['\"].*/\1/"); do
        target=""
        [[ "$spec" == ./* || "$spec" == ../* ]] && target="$(realpath -m --relative-to="$root" "$(dirname "$file")/$spec")"
        case "$target" in
            components/* | rollout/*) queue+=("$target") ;;
            *)
                echo "stage.sh: $file imports $spec, which is not a platform module; it cannot be vendored as it is" >&2
                exit 1
                ;;
        esac
    done
    mkdir -p "$out/vendor/$(dirname "$module")"
    cp "$file" "$out/vendor/$module.ts"
done
sed -i -e "s#\.\./components/#./vendor/components/#g" -e "s#\.\./rollout/#./vendor/rollout/#g" "$out/platform.ts"

if grep -rn --include=*.ts --exclude-dir=node_modules --exclude-dir=vendor -E "\.\./(components|rollout)/" "$out"; then
    echo "stage.sh: a staged module still imports from outside the pack" >&2
    exit 1
fi

if $install; then
    (cd "$out" && npm ci --ignore-scripts --no-audit --no-fund)
fi
echo "staged kafka-guardrails in $out"
