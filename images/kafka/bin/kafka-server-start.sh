#!/bin/sh
# kafka-platform local image: starts a broker the way the distribution's bin/kafka-server-start.sh
# does (images/CONTRACT.md, "Launch scripts"). kafka.Kafka reads --override itself.
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*"
  exit 1
fi
base_dir=$(dirname "$0")

if [ -z "$KAFKA_LOG4J_OPTS" ]; then
  if [ "@KAFKA_LOG4J_FLAVOUR@" = "log4j2" ]; then
    export KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=$base_dir/../config/log4j2.yaml"
  else
    export KAFKA_LOG4J_OPTS="-Dlog4j.configuration=file:$base_dir/../config/log4j.properties"
  fi
fi

if [ -z "$KAFKA_HEAP_OPTS" ]; then
  export KAFKA_HEAP_OPTS="-Xmx1G -Xms1G"
fi

# Set but empty keeps it empty: only an unset EXTRA_ARGS gets the default.
EXTRA_ARGS=${EXTRA_ARGS-'-name kafkaServer -loggc'}

COMMAND=$1
case $COMMAND in
  -daemon) EXTRA_ARGS="-daemon $EXTRA_ARGS"; shift ;;
esac

# shellcheck disable=SC2086
exec "$base_dir/kafka-run-class.sh" $EXTRA_ARGS kafka.Kafka "$@"
