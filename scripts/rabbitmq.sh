#!/usr/bin/env bash
# A private RabbitMQ node with the management console for tests and local runs: loopback only, all state in one
# folder, a dedicated user and vhost. Idempotent. RabbitMQ here has no delayed-message plugin; the service does not
# need one (its own relay delivers due messages).
#
#   scripts/rabbitmq.sh start    install (as root, when missing) and start; prints the connection settings
#   scripts/rabbitmq.sh stop     stop it
#   scripts/rabbitmq.sh status   running or not
#   scripts/rabbitmq.sh url      the AMQP URL
#
# Environment: PRESSLUFT_SERVICES_DIR (default /tmp/pressluft-services), PRESSLUFT_RABBIT_PORT (default 56720),
# PRESSLUFT_RABBIT_MANAGEMENT_PORT (default 15680). The Erlang node is named after the AMQP port and lives in a folder
# of its own, so several private brokers (the test command's, an operator's, a fault scenario's) run side by side.
set -euo pipefail

# Outside the checkout: the postgres user must be able to reach the data folder, and a checkout under /root is not.
base=${PRESSLUFT_SERVICES_DIR:-/tmp/pressluft-services}
port=${PRESSLUFT_RABBIT_PORT:-56720}
management=${PRESSLUFT_RABBIT_MANAGEMENT_PORT:-15680}
dist_port=$((port - 30000))
home=$base/rabbitmq-$port
node=pressluft-$port@localhost
user=pressluft
password=pressluft
vhost=pressluft
bin=/usr/lib/rabbitmq/bin

url() { echo "amqp://$user:$password@127.0.0.1:$port/$vhost"; }

ensure_installed() {
  if [ -x "$bin/rabbitmq-server" ]; then return; fi
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "rabbitmq.sh: installing rabbitmq-server" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
    # The package may start a system node of its own; this script runs a private one.
    service rabbitmq-server stop >/dev/null 2>&1 || true
  else
    echo "rabbitmq.sh: RabbitMQ is missing. Install it with: sudo apt-get install --no-install-recommends rabbitmq-server" >&2
    exit 1
  fi
}

node_env() {
  export HOME=$home RABBITMQ_BASE=$home RABBITMQ_NODENAME=$node \
    RABBITMQ_CONFIG_FILE=$home/rabbitmq RABBITMQ_ENABLED_PLUGINS_FILE=$home/enabled_plugins \
    RABBITMQ_MNESIA_BASE=$home/mnesia RABBITMQ_LOG_BASE=$home/log RABBITMQ_PID_FILE=$home/rabbitmq.pid \
    ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=$dist_port
}

ctl() { node_env; "$bin/rabbitmqctl" -n "$node" "$@"; }

running() { [ -d "$home" ] && ctl status >/dev/null 2>&1; }

start() {
  ensure_installed
  mkdir -p "$home/log" "$home/mnesia"
  cat > "$home/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$port
management.tcp.ip = 127.0.0.1
management.tcp.port = $management
loopback_users = none
log.console = false
log.file.level = warning
CONF
  echo "[rabbitmq_management]." > "$home/enabled_plugins"
  if ! running; then
    node_env
    nohup "$bin/rabbitmq-server" > "$home/log/startup.log" 2>&1 &
    # await_startup fails at once until the node has registered with epmd: retry.
    for _ in $(seq 1 60); do
      if ctl await_startup --timeout 5 >/dev/null 2>&1; then break; fi
      sleep 1
    done
    running || { echo "rabbitmq.sh: the node did not start; see $home/log" >&2; exit 1; }
  fi
  ctl list_vhosts -q 2>/dev/null | grep -qx "$vhost" || ctl add_vhost "$vhost" >/dev/null
  if ! ctl list_users -q 2>/dev/null | awk '{print $1}' | grep -qx "$user"; then
    ctl add_user "$user" "$password" >/dev/null
  fi
  ctl set_user_tags "$user" administrator >/dev/null
  ctl set_permissions -p "$vhost" "$user" ".*" ".*" ".*" >/dev/null
  url
}

stop() {
  if running; then ctl stop >/dev/null 2>&1 || true; fi
  node_env
  # epmd serves every Erlang node on the machine: stop it only when no other node is registered with it.
  if ! epmd -names 2>/dev/null | grep -q '^name '; then
    epmd -kill >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running: amqp 127.0.0.1:$port, console http://127.0.0.1:$management/ ($user/$password)"; else echo "stopped"; exit 3; fi ;;
  url) url ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
