#!/usr/bin/env bash
# A private PostgreSQL cluster for tests, benchmarks and local runs: loopback only, all state in one folder,
# a non-superuser role and database `pressluft`. Idempotent.
#
#   scripts/postgres.sh start [--fsync off]   install (as root, when missing), init and start; prints the connection string
#   scripts/postgres.sh stop                  stop it
#   scripts/postgres.sh crash-restart         stop it as a crash would (-m immediate: no checkpoint, recovery at start), start it again
#   scripts/postgres.sh status                running or not
#   scripts/postgres.sh url                   the connection string
#
# Environment: PRESSLUFT_SERVICES_DIR (default /tmp/pressluft-services), PRESSLUFT_PG_PORT (default 55432).
set -euo pipefail

# Outside the checkout: the postgres user must be able to reach the data folder, and a checkout under /root is not.
base=${PRESSLUFT_SERVICES_DIR:-/tmp/pressluft-services}
port=${PRESSLUFT_PG_PORT:-55432}
data=$base/postgres
log=$base/postgres.log
role=pressluft
password=pressluft

url() { echo "Host=127.0.0.1;Port=$port;Database=pressluft;Username=$role;Password=$password"; }

bin_dir() {
  local version
  version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] && echo "/usr/lib/postgresql/$version/bin"
}

ensure_installed() {
  if [ -n "$(bin_dir)" ] && [ -x "$(bin_dir)/pg_ctl" ]; then return; fi
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: installing postgresql" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "postgres.sh: PostgreSQL is missing. Install it with: sudo apt-get install --no-install-recommends postgresql" >&2
    exit 1
  fi
}

# initdb and pg_ctl refuse to run as root: run them as the postgres user then.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg() { as_owner "$(bin_dir)/$1" "${@:2}"; }

running() { [ -d "$data" ] && pg pg_ctl -D "$data" status >/dev/null 2>&1; }

start() {
  local fsync=on
  if [ "${1:-}" = "--fsync" ]; then fsync=${2:-on}; fi
  ensure_installed
  mkdir -p "$base"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$base"; chmod 755 "$base"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    pg initdb -D "$data" --auth-local=trust --auth-host=scram-sha-256 -U postgres --encoding=UTF8 --locale=C >/dev/null
  fi
  local psql=("$(bin_dir)/psql" -h "$data" -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt)
  # Benchmarks need fsync on, tests may run with it off: restart when the running cluster has the other setting.
  if running && [ "$(as_owner "${psql[@]}" -d postgres -c "show fsync")" != "$fsync" ]; then
    pg pg_ctl -D "$data" -m fast -w stop >/dev/null
  fi
  if ! running; then
    pg pg_ctl -D "$data" -l "$log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=$fsync -c max_connections=200" start >/dev/null
  fi
  if [ "$(as_owner "${psql[@]}" -d postgres -c "select 1 from pg_roles where rolname = '$role'")" != "1" ]; then
    as_owner "${psql[@]}" -d postgres -c "create role $role login password '$password' nosuperuser nocreaterole createdb"
  fi
  if [ "$(as_owner "${psql[@]}" -d postgres -c "select 1 from pg_database where datname = 'pressluft'")" != "1" ]; then
    as_owner "${psql[@]}" -d postgres -c "create database pressluft owner $role"
  fi
  url
}

stop() {
  if running; then pg pg_ctl -D "$data" -m fast -w stop >/dev/null; fi
}

# For the fault-injection suite: the server dies without a shutdown checkpoint and replays its WAL when it starts.
crash_restart() {
  running || { echo "postgres.sh: not running" >&2; exit 1; }
  pg pg_ctl -D "$data" -m immediate -w restart -l "$log" >/dev/null
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  crash-restart) crash_restart ;;
  status) if running; then echo "running on 127.0.0.1:$port"; else echo "stopped"; exit 3; fi ;;
  url) url ;;
  *) sed -n '2,11p' "$0"; exit 2 ;;
esac
