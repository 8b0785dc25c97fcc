#!/bin/sh
# kafka-platform local image (Kafka 3.x only): ZooKeeper shell with Kafka's TLS support,
# as the distribution's bin/zookeeper-shell.sh (apache/kafka 3.9 bin/zookeeper-shell.sh:17-23).

if [ $# -lt 1 ]; then
  echo "USAGE: $0 zookeeper_host:port[/path] [-zk-tls-config-file file] [args...]"
  exit 1
fi

exec "$(dirname "$0")/kafka-run-class.sh" org.apache.zookeeper.ZooKeeperMainWithTlsSupportForKafka -server "$@"
