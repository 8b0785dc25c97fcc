#!/bin/sh
# kafka-platform local image: runs a Kafka main class the way the distribution's
# bin/kafka-run-class.sh does (images/CONTRACT.md, "Launch scripts", lists each behaviour with
# its source line). POSIX sh: the image's /bin/sh is dash.
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] [-name servicename] [-loggc] classname [opts]"
  exit 1
fi

base_dir=$(cd "$(dirname "$0")/.." && pwd)

# Classpath: $CLASSPATH, then every jar of libs/ in glob order, without test/source/javadoc jars.
cp="$CLASSPATH"
for jar in "$base_dir"/libs/*; do
  case "$jar" in
    *-test.jar|*-tests.jar|*-sources.jar|*-javadoc.jar|*-scaladoc.jar|*.asc) continue ;;
  esac
  [ -f "$jar" ] || continue
  if [ -z "$cp" ]; then cp="$jar"; else cp="$cp:$jar"; fi
done

if [ -z "$KAFKA_JMX_OPTS" ]; then
  KAFKA_JMX_OPTS="-Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false"
fi
if [ -n "$JMX_PORT" ]; then
  KAFKA_JMX_OPTS="$KAFKA_JMX_OPTS -Dcom.sun.management.jmxremote.port=$JMX_PORT"
  if [ -z "$RMI_HOSTNAME" ]; then :; else KAFKA_JMX_OPTS="$KAFKA_JMX_OPTS -Djava.rmi.server.hostname=$RMI_HOSTNAME"; fi
  KAFKA_JMX_OPTS="$KAFKA_JMX_OPTS -Dcom.sun.management.jmxremote.rmi.port=$JMX_PORT"
fi

if [ -z "$LOG_DIR" ]; then
  LOG_DIR="$base_dir/logs"
fi

if [ -z "$KAFKA_LOG4J_OPTS" ]; then
  if [ "@KAFKA_LOG4J_FLAVOUR@" = "log4j2" ]; then
    KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=$base_dir/config/tools-log4j2.yaml"
  else
    KAFKA_LOG4J_OPTS="-Dlog4j.configuration=file:$base_dir/config/tools-log4j.properties"
  fi
else
  # A log4j config was given: it may write files under LOG_DIR.
  mkdir -p "$LOG_DIR" 2>/dev/null || true
fi
KAFKA_LOG4J_OPTS="-Dkafka.logs.dir=$LOG_DIR $KAFKA_LOG4J_OPTS"

if [ -n "$KAFKA_DEBUG" ]; then
  [ -n "$JAVA_DEBUG_PORT" ] || JAVA_DEBUG_PORT=5005
  [ -n "$DEBUG_SUSPEND_FLAG" ] || DEBUG_SUSPEND_FLAG=n
  [ -n "$JAVA_DEBUG_OPTS" ] || JAVA_DEBUG_OPTS="-agentlib:jdwp=transport=dt_socket,server=y,suspend=$DEBUG_SUSPEND_FLAG,address=$JAVA_DEBUG_PORT"
  KAFKA_OPTS="$JAVA_DEBUG_OPTS $KAFKA_OPTS"
fi

if [ -z "$JAVA_HOME" ]; then JAVA="java"; else JAVA="$JAVA_HOME/bin/java"; fi

if [ -z "$KAFKA_HEAP_OPTS" ]; then
  KAFKA_HEAP_OPTS="-Xmx256M"
fi
if [ -z "$KAFKA_JVM_PERFORMANCE_OPTS" ]; then
  KAFKA_JVM_PERFORMANCE_OPTS="-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true"
fi

DAEMON_MODE=false
GC_LOG_ENABLED=false
DAEMON_NAME=
while [ $# -gt 0 ]; do
  case "$1" in
    -name) DAEMON_NAME="$2"; CONSOLE_OUTPUT_FILE="$LOG_DIR/$DAEMON_NAME.out"; shift 2 ;;
    -loggc) GC_LOG_ENABLED=true; shift ;;
    -daemon) DAEMON_MODE=true; shift ;;
    *) break ;;
  esac
done

# GC log in LOG_DIR, ten files of at most 100 MB (the JVMs here are all Java 9 or later).
KAFKA_GC_LOG_OPTS=
if [ "$GC_LOG_ENABLED" = true ] && [ -n "$DAEMON_NAME" ]; then
  KAFKA_GC_LOG_OPTS="-Xlog:gc*:file=$LOG_DIR/$DAEMON_NAME-gc.log:time,tags:filecount=10,filesize=100M"
fi

# Word splitting of the *_OPTS variables is intended, as in the distribution's script.
# shellcheck disable=SC2086
if [ "$DAEMON_MODE" = true ]; then
  mkdir -p "$LOG_DIR"
  nohup "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS $KAFKA_GC_LOG_OPTS $KAFKA_JMX_OPTS $KAFKA_LOG4J_OPTS -cp "$cp" $KAFKA_OPTS "$@" > "$CONSOLE_OUTPUT_FILE" 2>&1 < /dev/null &
else
  exec "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS $KAFKA_GC_LOG_OPTS $KAFKA_JMX_OPTS $KAFKA_LOG4J_OPTS -cp "$cp" $KAFKA_OPTS "$@"
fi
