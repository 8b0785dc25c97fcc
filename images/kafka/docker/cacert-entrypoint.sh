#!/bin/sh
# kafka-platform local image: /__cacert_entrypoint.sh, the image's ENTRYPOINT.
# The official image inherits ENTRYPOINT ["/__cacert_entrypoint.sh"] from eclipse-temurin,
# which imports extra CA certificates only when USE_SYSTEM_CA_CERTS is set and otherwise
# just runs its arguments. This one runs its arguments; the CA import is not provided.
if [ -n "$USE_SYSTEM_CA_CERTS" ]; then
  echo "/__cacert_entrypoint.sh: USE_SYSTEM_CA_CERTS is not supported by this local image; ignoring it" >&2
fi
exec "$@"
