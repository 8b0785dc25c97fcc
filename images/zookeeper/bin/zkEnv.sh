#!/bin/sh
# kafka-platform local image: the environment zkServer.sh and zkCli.sh share, as the
# distribution's bin/zkEnv.sh sets it (images/CONTRACT.md, "zkServer.sh / zkEnv.sh / zkCli.sh").
# Sourced, POSIX sh (dash).

ZOOBINDIR="${ZOOBINDIR:-$(cd "$(dirname "$0")" && pwd)}"
ZOOKEEPER_PREFIX="${ZOOBINDIR}/.."

# --config DIR picks the configuration directory.
if [ "$1" = "--config" ]; then
  shift
  ZOOCFGDIR="$1"
  shift
fi
if [ -z "$ZOOCFGDIR" ]; then
  ZOOCFGDIR="$ZOOKEEPER_PREFIX/conf"
fi
if [ -f "$ZOOCFGDIR/zookeeper-env.sh" ]; then
  . "$ZOOCFGDIR/zookeeper-env.sh"
fi
if [ -z "$ZOOCFG" ]; then
  ZOOCFG="zoo.cfg"
fi
ZOOCFG="$ZOOCFGDIR/$ZOOCFG"
if [ -f "$ZOOCFGDIR/java.env" ]; then
  . "$ZOOCFGDIR/java.env"
fi
if [ -z "$ZOO_LOG_DIR" ]; then
  ZOO_LOG_DIR="$ZOOKEEPER_PREFIX/logs"
fi
if [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  JAVA="$JAVA_HOME/bin/java"
elif command -v java > /dev/null 2>&1; then
  JAVA=java
else
  echo "Error: JAVA_HOME is not set and java could not be found in PATH." >&2
  exit 1
fi

# The config directory first (logback.xml), then every jar of lib/ (a JVM wildcard).
CLASSPATH="$ZOOCFGDIR:$ZOOKEEPER_PREFIX/lib/*${CLASSPATH:+:$CLASSPATH}"

# dash does not set HOSTNAME; the log file name uses it.
if [ -z "$HOSTNAME" ]; then
  HOSTNAME=$(cat /proc/sys/kernel/hostname 2>/dev/null || echo localhost)
fi

# Default heaps, placed first so that a -Xmx in JVMFLAGS wins.
SERVER_JVMFLAGS="-Xmx${ZK_SERVER_HEAP:-1000}m $SERVER_JVMFLAGS"
CLIENT_JVMFLAGS="-Xmx${ZK_CLIENT_HEAP:-256}m $CLIENT_JVMFLAGS"
