#!/usr/bin/env bash
# Starts what the platform needs: PostgreSQL 15 and RabbitMQ 3.10 (and Postfix's smtp-sink for mail).
# With a Docker engine that answers: docker compose. Without one: the Debian packages, installed if missing.
# Idempotent: running it again leaves running servers alone. Prints the connection settings it used.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

PG_PORT=${ESCALATION_PG_PORT:-5432}
PG_PASSWORD=${ESCALATION_PG_PASSWORD:-postgres}
PG_DATABASE=${ESCALATION_PG_DATABASE:-escalation}

fail() { echo "start-dependencies: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  echo "start-dependencies: installing $* (Debian packages)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || fail "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || fail "apt-get install $* failed"
}

if docker info >/dev/null 2>&1; then
  echo "start-dependencies: Docker engine found, using docker compose"
  docker compose -f "$root/docker-compose.yml" up -d --wait postgres rabbitmq otel-collector jaeger || fail "docker compose up failed"
  docker compose -f "$root/docker-compose.yml" exec -T rabbitmq bash -s / <"$here/rabbitmq/set-policies.sh" >/dev/null \
    || echo "start-dependencies: could not set the RabbitMQ policies (infra/rabbitmq/set-policies.sh)" >&2
else
  # --- PostgreSQL 15 (Debian cluster 15/main) ---
  command -v pg_ctlcluster >/dev/null || apt_install postgresql-15
  if ! pg_lsclusters -h 2>/dev/null | awk '$1=="15" && $2=="main"' | grep -q .; then
    as_root pg_createcluster 15 main >/dev/null || fail "could not create the PostgreSQL 15 cluster"
  fi
  conf=/etc/postgresql/15/main/conf.d/escalation.conf
  if [ ! -f "$conf" ]; then
    # Six services, each with a connection pool and an async daemon, plus parallel tests.
    printf "port = %s\nmax_connections = 400\nlisten_addresses = 'localhost'\n" "$PG_PORT" | as_root tee "$conf" >/dev/null
    as_root pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
  fi
  if ! pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}' | grep -q online; then
    as_root pg_ctlcluster 15 main start || fail "PostgreSQL did not start; see /var/log/postgresql/postgresql-15-main.log"
  fi
  for _ in $(seq 1 60); do pg_isready -q -h localhost -p "$PG_PORT" && break; sleep 0.5; done
  pg_isready -q -h localhost -p "$PG_PORT" || fail "PostgreSQL is not accepting connections on port $PG_PORT"
  as_root su postgres -c "psql -q -p $PG_PORT -c \"ALTER USER postgres PASSWORD '$PG_PASSWORD'\"" >/dev/null
  if ! as_root su postgres -c "psql -p $PG_PORT -tAc \"SELECT 1 FROM pg_database WHERE datname='$PG_DATABASE'\"" | grep -q 1; then
    as_root su postgres -c "createdb -p $PG_PORT $PG_DATABASE" || fail "could not create database $PG_DATABASE"
  fi

  # --- RabbitMQ 3.10 ---
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  # Queue statistics every 500 ms instead of 5 s: the tests watch queues drain through the management API.
  grep -qs collect_statistics_interval /etc/rabbitmq/rabbitmq.conf \
    || echo "collect_statistics_interval = 500" | as_root tee -a /etc/rabbitmq/rabbitmq.conf >/dev/null
  if ! as_root rabbitmqctl -q status >/dev/null 2>&1; then
    as_root rabbitmq-plugins -q enable --offline rabbitmq_management >/dev/null 2>&1 || true
    as_root rabbitmq-server -detached || fail "rabbitmq-server did not start"
  fi
  # -detached returns before the node registers with epmd, and await_startup fails at once until it has.
  for _ in $(seq 1 120); do as_root rabbitmqctl -q ping >/dev/null 2>&1 && break; sleep 0.5; done
  as_root rabbitmqctl -q await_startup --timeout 120 || fail "RabbitMQ did not finish starting; see /var/log/rabbitmq/"
  # The management API (port 15672) is how the tests create a virtual host per run and watch queues drain.
  as_root rabbitmq-plugins -q enable rabbitmq_management >/dev/null || fail "could not enable rabbitmq_management"
  as_root rabbitmqctl -q eval 'application:set_env(rabbit, collect_statistics_interval, 500).' >/dev/null || true
  as_root bash "$here/rabbitmq/set-policies.sh" / >/dev/null
fi

# --- smtp-sink (Postfix's test SMTP server) for notification mail in the demo and the tests ---
if ! command -v smtp-sink >/dev/null; then
  echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
  apt_install postfix
fi

cat <<INFO
start-dependencies: ready
  ConnectionStrings__postgres=Host=localhost;Port=$PG_PORT;Database=$PG_DATABASE;Username=postgres;Password=$PG_PASSWORD
  ConnectionStrings__rabbitmq=amqp://guest:guest@localhost:5672/
  RabbitMQ management: http://localhost:15672/ (guest/guest)
INFO
