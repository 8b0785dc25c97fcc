#!/bin/sh
# kafka-platform local image: the ZooKeeper server launcher, as the distribution's bin/zkServer.sh
# (images/CONTRACT.md lists each behaviour and what is left out). POSIX sh (dash).
ZOOBINDIR=$(cd "$(dirname "$0")" && pwd)
. "$ZOOBINDIR/zkEnv.sh"

# JMX: local only unless JMXPORT asks for the remote variant.
JMXLOCALONLY="${JMXLOCALONLY:-false}"
if [ "$JMXDISABLE" = "" ] || [ "$JMXDISABLE" = "false" ]; then
  if [ -z "$JMXPORT" ]; then
    ZOOMAIN="-Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.local.only=$JMXLOCALONLY org.apache.zookeeper.server.quorum.QuorumPeerMain"
  else
    ZOOMAIN="-Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.port=$JMXPORT -Dcom.sun.management.jmxremote.authenticate=${JMXAUTH:-false} -Dcom.sun.management.jmxremote.ssl=${JMXSSL:-false} -Dzookeeper.jmx.log4j.disable=${JMXLOG4J:-true} org.apache.zookeeper.server.quorum.QuorumPeerMain"
  fi
else
  ZOOMAIN="org.apache.zookeeper.server.quorum.QuorumPeerMain"
fi

JVMFLAGS="$SERVER_JVMFLAGS $JVMFLAGS"

# The config file: the second argument, as a path or a name in ZOOCFGDIR.
if [ -n "$2" ]; then
  case "$2" in
    */*) ZOOCFG="$2" ;;
    *) ZOOCFG="$ZOOCFGDIR/$2" ;;
  esac
fi

ZOO_DATADIR_AUTOCREATE=
if [ "$ZOO_DATADIR_AUTOCREATE_DISABLE" != "" ]; then
  ZOO_DATADIR_AUTOCREATE="-Dzookeeper.datadir.autocreate=false"
fi

ZOO_LOG_FILE="zookeeper-$USER-server-$HOSTNAME.log"
_ZOO_DAEMON_OUT="$ZOO_LOG_DIR/zookeeper-$USER-server-$HOSTNAME.out"
ZOOPIDFILE=$(grep '^[[:space:]]*dataDir' "$ZOOCFG" 2>/dev/null | sed -e 's/.*=//' -e 's/[[:space:]]*$//')/zookeeper_server.pid

# shellcheck disable=SC2086
run() {
  "$JAVA" $ZOO_DATADIR_AUTOCREATE "-Dzookeeper.log.dir=$ZOO_LOG_DIR" "-Dzookeeper.log.file=$ZOO_LOG_FILE" \
    -XX:+HeapDumpOnOutOfMemoryError -XX:OnOutOfMemoryError='kill -9 %p' \
    -cp "$CLASSPATH" $JVMFLAGS $ZOOMAIN "$ZOOCFG"
}

case "$1" in
  start-foreground)
    if [ -z "$ZOO_NOEXEC" ]; then
      # shellcheck disable=SC2086
      exec "$JAVA" $ZOO_DATADIR_AUTOCREATE "-Dzookeeper.log.dir=$ZOO_LOG_DIR" "-Dzookeeper.log.file=$ZOO_LOG_FILE" \
        -XX:+HeapDumpOnOutOfMemoryError -XX:OnOutOfMemoryError='kill -9 %p' \
        -cp "$CLASSPATH" $JVMFLAGS $ZOOMAIN "$ZOOCFG"
    fi
    run
    ;;
  start)
    echo "Starting zookeeper ..."
    mkdir -p "$ZOO_LOG_DIR"
    nohup sh -c "$(command -v "$0") start-foreground '$2'" > "$_ZOO_DAEMON_OUT" 2>&1 < /dev/null &
    echo $! > "$ZOOPIDFILE" && echo STARTED
    ;;
  stop)
    if [ -f "$ZOOPIDFILE" ]; then
      kill "$(cat "$ZOOPIDFILE")" && rm -f "$ZOOPIDFILE" && echo STOPPED
    else
      echo "no zookeeper to stop (could not find file $ZOOPIDFILE)"
    fi
    ;;
  restart)
    shift
    "$0" stop "$@"
    sleep 3
    "$0" start "$@"
    ;;
  version)
    # shellcheck disable=SC2086
    "$JAVA" -cp "$CLASSPATH" $JVMFLAGS org.apache.zookeeper.version.VersionInfoMain 2> /dev/null
    ;;
  print-cmd)
    echo "\"$JAVA\" $ZOO_DATADIR_AUTOCREATE -Dzookeeper.log.dir=\"$ZOO_LOG_DIR\" -Dzookeeper.log.file=\"$ZOO_LOG_FILE\" -XX:+HeapDumpOnOutOfMemoryError -XX:OnOutOfMemoryError='kill -9 %p' -cp \"$CLASSPATH\" $JVMFLAGS $ZOOMAIN \"$ZOOCFG\""
    ;;
  status)
    # The client port from clientPort or a server.N=...;[addr:]port line.
    port=$(grep '^[[:space:]]*clientPort[^[:alpha:]]' "$ZOOCFG" | sed -e 's/.*=//')
    if [ -z "$port" ]; then
      port=$(grep '^[[:space:]]*server\.' "$ZOOCFG" | sed -n 's/.*;\(.*:\)\{0,1\}\([0-9]*\)$/\2/p' | head -1)
    fi
    mode=$(printf srvr | nc -w 2 127.0.0.1 "${port:-2181}" 2> /dev/null | sed -n 's/^Mode: //p')
    if [ -n "$mode" ]; then
      echo "Client port found: $port. Mode: $mode"
    else
      echo "Error contacting service. It is probably not running."
      exit 1
    fi
    ;;
  *)
    echo "Usage: $0 [--config <conf-dir>] {start|start-foreground|stop|version|restart|status|print-cmd}" >&2
    exit 1
    ;;
esac
