#!/usr/bin/env bash
# shellcheck shell=bash
# Pulumi environment for kafka-platform: the toolchain built by scripts/toolchain.sh,
# a local file backend and no network use by the engine.
#
#   source scripts/env.sh            # in an interactive shell or another script
#   scripts/env.sh pulumi preview    # run one command in that environment
#
# Everything lives outside the repo, under KAFKA_PLATFORM_CACHE (default ~/.cache/kafka-platform).

# Versions of the toolchain; scripts/toolchain.sh reads them from here so the two never disagree.
# KAFKA_PLATFORM_K8S_PROVIDER_VERSION must equal the @pulumi/kubernetes version in package.json:
# the SDK asks the engine for exactly that plugin version and nothing may be downloaded.
export KAFKA_PLATFORM_PULUMI_VERSION=3.248.0
export KAFKA_PLATFORM_K8S_PROVIDER_VERSION=4.25.0

export KAFKA_PLATFORM_CACHE="${KAFKA_PLATFORM_CACHE:-$HOME/.cache/kafka-platform}"
export KAFKA_PLATFORM_PULUMI_PREFIX="$KAFKA_PLATFORM_CACHE/pulumi/$KAFKA_PLATFORM_PULUMI_VERSION"

# Plugins (the kubernetes provider) are installed into this PULUMI_HOME, never ~/.pulumi, so a
# machine-wide Pulumi install cannot leak other plugin versions in.
export PULUMI_HOME="$KAFKA_PLATFORM_PULUMI_PREFIX/home"
case ":$PATH:" in
  *":$KAFKA_PLATFORM_PULUMI_PREFIX/bin:"*) ;;
  *) export PATH="$KAFKA_PLATFORM_PULUMI_PREFIX/bin:$PATH" ;;
esac

# Local state (the file backend) outside the repo, kept across toolchain versions.
KAFKA_PLATFORM_STATE_DIR="${KAFKA_PLATFORM_STATE_DIR:-$KAFKA_PLATFORM_CACHE/state}"
mkdir -p "$KAFKA_PLATFORM_STATE_DIR"
export KAFKA_PLATFORM_STATE_DIR
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$KAFKA_PLATFORM_STATE_DIR}"
if [[ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-kafka-platform-local}"
fi

# Offline: no update check, and a missing plugin is an error instead of a download attempt.
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

# Executed rather than sourced: run the given command in this environment.
if [[ "${BASH_SOURCE[0]}" == "$0" && $# -gt 0 ]]; then
  exec "$@"
fi
