#!/bin/sh
# kafka-platform local image: /docker-entrypoint.sh of the ZooKeeper image.
# Does what zookeeper-docker 3.9.3/docker-entrypoint.sh does (see images/CONTRACT.md):
#  1. started as root with zkServer.sh: give the data/log dirs to zookeeper and re-run
#     itself as that user (setpriv from util-linux here; the official image uses gosu);
#  2. write $ZOO_CONF_DIR/zoo.cfg from the ZOO_* variables, only if it does not exist;
#  3. write $ZOO_DATA_DIR/myid (ZOO_MY_ID, default 1), only if it does not exist;
#  4. exec the command.
set -e

if [ "$1" = zkServer.sh ] && [ "$(id -u)" = 0 ]; then
  chown -R zookeeper "$ZOO_DATA_DIR" "$ZOO_DATA_LOG_DIR" "$ZOO_LOG_DIR"
  HOME=$(getent passwd zookeeper | cut -d: -f6)
  export HOME
  exec setpriv --reuid=zookeeper --regid=zookeeper --init-groups "$0" "$@"
fi

if [ ! -f "$ZOO_CONF_DIR/zoo.cfg" ]; then
  config="$ZOO_CONF_DIR/zoo.cfg"
  {
    echo "dataDir=$ZOO_DATA_DIR"
    echo "dataLogDir=$ZOO_DATA_LOG_DIR"

    echo "tickTime=$ZOO_TICK_TIME"
    echo "initLimit=$ZOO_INIT_LIMIT"
    echo "syncLimit=$ZOO_SYNC_LIMIT"

    echo "autopurge.snapRetainCount=$ZOO_AUTOPURGE_SNAPRETAINCOUNT"
    echo "autopurge.purgeInterval=$ZOO_AUTOPURGE_PURGEINTERVAL"
    echo "maxClientCnxns=$ZOO_MAX_CLIENT_CNXNS"
    echo "standaloneEnabled=$ZOO_STANDALONE_ENABLED"
    echo "admin.enableServer=$ZOO_ADMINSERVER_ENABLED"
  } >> "$config"

  # Blank-separated server lines; one local server by default.
  for server in ${ZOO_SERVERS:-server.1=localhost:2888:3888;2181}; do
    echo "$server" >> "$config"
  done

  if [ -n "$ZOO_4LW_COMMANDS_WHITELIST" ]; then
    echo "4lw.commands.whitelist=$ZOO_4LW_COMMANDS_WHITELIST" >> "$config"
  fi

  for entry in $ZOO_CFG_EXTRA; do
    echo "$entry" >> "$config"
  done
fi

if [ ! -f "$ZOO_DATA_DIR/myid" ]; then
  echo "${ZOO_MY_ID:-1}" > "$ZOO_DATA_DIR/myid"
fi

exec "$@"
