#!/usr/bin/env bash
# Lay kafka-guardrails out as a self-contained folder for `pulumi policy publish`, which ships the
# pack's folder alone (through `npm pack`): the platform modules that platform.ts re-exports from
# ../components are copied into vendor/, and platform.ts is pointed at the copies.
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
mkdir -p "$out/vendor"

(cd "$pack" && tar --exclude=./node_modules --exclude=./scripts --exclude=./bin -cf - .) | (cd "$out" && tar -xf -)

for module in $(grep -oE "\.\./components/[a-z0-9-]+" "$pack/platform.ts" | sort -u); do
    file="$root/components/${module##*/}.ts"
    # A vendored module must stand alone: an import would point outside the staged folder.
    if grep -qE "^\s*import\s|require\(" "$file"; then
        echo "stage.sh: $file imports other modules; it cannot be vendored as it is" >&2
        exit 1
    fi
    cp "$file" "$out/vendor/"
done
sed -i "s#\.\./components/#./vendor/#g" "$out/platform.ts"

if grep -rn --include=*.ts --exclude-dir=node_modules "\.\./components/" "$out"; then
    echo "stage.sh: a staged module still imports from outside the pack" >&2
    exit 1
fi

if $install; then
    (cd "$out" && npm ci --ignore-scripts --no-audit --no-fund)
fi
echo "staged kafka-guardrails in $out"
