#!/bin/sh
# kafka-platform local image: the ZooKeeper command-line client, as the distribution's bin/zkCli.sh.
ZOOBINDIR=$(cd "$(dirname "$0")" && pwd)
. "$ZOOBINDIR/zkEnv.sh"
# shellcheck disable=SC2086
exec "$JAVA" "-Dzookeeper.log.dir=$ZOO_LOG_DIR" "-Dzookeeper.log.file=zookeeper-$USER-cli-$HOSTNAME.log" \
  -cp "$CLASSPATH" $CLIENT_JVMFLAGS $JVMFLAGS org.apache.zookeeper.ZooKeeperMain "$@"
