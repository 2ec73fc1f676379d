#!/usr/bin/env bash
# README command (1): starts PostgreSQL and RabbitMQ, builds, starts the six services (and smtp-sink for mail),
# drives a demo contact through the pipeline and prints the case history.
#   bash infra/demo.sh          start (or reuse) everything and run the demo
#   bash infra/demo.sh stop     stop the services and smtp-sink started here
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
run="$root/.run"
services=(Intake Triage Routing SlaWatch Notification History)
declare -A ports=([Intake]=5101 [Triage]=5102 [Routing]=5103 [SlaWatch]=5104 [Notification]=5105 [History]=5106)

stop() {
  for pidfile in "$run"/pids/*.pid; do
    [ -f "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  echo "demo: stopped"
}
[ "${1:-}" = "stop" ] && { stop; exit 0; }

running() { [ -f "$run/pids/$1.pid" ] && kill -0 "$(cat "$run/pids/$1.pid")" 2>/dev/null; }

bash infra/start-dependencies.sh
bash infra/build.sh Release
mkdir -p "$run/logs" "$run/pids" "$run/mail"
chmod 755 "$run"; chmod 777 "$run/mail"   # smtp-sink writes as 'nobody'

if ! running smtp-sink; then
  # Each start keeps only its own mail: a bench run leaves thousands of messages, and past a few hundred thousand
  # files the customer-mail lookup below no longer fits on a command line.
  find "$run/mail" -type f -delete
  smtp-sink -u nobody -d "$run/mail/%Y%m%d%H%M%S." 127.0.0.1:2525 100 >"$run/logs/smtp-sink.log" 2>&1 &
  echo $! >"$run/pids/smtp-sink.pid"
fi

# Loopback: TLS to the local Postgres (Debian turns ssl on with a snakeoil certificate) only costs CPU on both ends;
# a remote database keeps Npgsql's default (TLS when the server offers it).
export ConnectionStrings__postgres=${ConnectionStrings__postgres:-"Host=localhost;Port=5432;Database=escalation;Username=postgres;Password=postgres;SSL Mode=Disable"}
export ConnectionStrings__rabbitmq=${ConnectionStrings__rabbitmq:-"amqp://guest:guest@localhost:5672/"}
# API keys (hashed in the database; the tokens live only in .run/keys): one for this script, the CLI and the bench, and
# one for notification to read routing's directory. Delete .run/keys after wiping the database.
ctl() { dotnet tools/Escalation.Ctl/bin/Release/net10.0/escalationctl.dll "$@"; }
mkdir -p "$run/keys"; chmod 700 "$run/keys"
[ -s "$run/keys/operator" ] || ctl keys issue --client demo-operator --scope contacts:submit cases:read cases:write platform:admin \
  --contacts-per-second 100000 >"$run/keys/operator"
[ -s "$run/keys/notification" ] || ctl keys issue --client notification --scope cases:read >"$run/keys/notification"
export ESCALATION_API_KEY; ESCALATION_API_KEY=$(cat "$run/keys/operator")
export Notification__DirectoryApiKey; Notification__DirectoryApiKey=$(cat "$run/keys/notification")

start_service() {
  local service=$1
  running "$service" && return 0
  (cd "services/Escalation.$service/bin/Release/net10.0" && exec dotnet "Escalation.$service.dll") >"$run/logs/$service.log" 2>&1 &
  echo $! >"$run/pids/$service.pid"
}
wait_ready() {
  local service=$1
  for _ in $(seq 1 180); do
    curl -sf "http://localhost:${ports[$service]}/health/ready" >/dev/null && return 0
    running "$service" || { echo "demo: $service exited; last log lines:"; tail -20 "$run/logs/$service.log"; exit 1; }
    sleep 0.5
  done
  echo "demo: $service not ready after 90 s; see $run/logs/$service.log"; exit 1
}

# Intake first: its start-up migration creates the shared events schema; then the rest together.
start_service Intake; wait_ready Intake
for service in "${services[@]:1}"; do start_service "$service"; done
for service in "${services[@]:1}"; do wait_ready "$service"; done
echo "demo: all six services ready (logs in .run/logs)"

conversation="demo-$(date +%s)"
contact=$(cat <<JSON
{
  "contactId": "$conversation-1",
  "conversationId": "$conversation",
  "channel": "Chatbot",
  "customer": { "id": "cust-1042", "name": "山田 花子", "tier": "Vip", "language": "ja", "email": "hanako@example.jp" },
  "author": "Customer",
  "text": "人と話したいです。先月の請求が二重になっていて、ボットでは解決できませんでした。",
  "occurredAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "category": "billing",
  "botConfidence": 0.31,
  "intent": { "name": "billing.double_charge", "matched": false },
  "sentiment": { "score": -0.6, "source": "channel" },
  "entities": { "orderId": "ORD-2026-1107", "amount": { "amount": 12800, "currency": "JPY" } }
}
JSON
)
echo "demo: POST /api/contacts"
accepted=$(curl -sf -X POST http://localhost:5101/api/contacts -H "Authorization: Bearer $ESCALATION_API_KEY" \
  -H 'Content-Type: application/json' -H "Idempotency-Key: $conversation" -d "$contact")
echo "  $accepted"
case_id=$(echo "$accepted" | sed -E 's/.*"caseId":"([^"]+)".*/\1/')

ctl history "$case_id" --history-url http://localhost:5107 --wait-for NotificationSent --timeout 60
mail=$(grep -l "$(echo "$accepted" | sed -E 's/.*"reference":"([^"]+)".*/\1/')" "$run"/mail/* 2>/dev/null | head -1 || true)
[ -n "$mail" ] && echo "customer mail: $mail"
echo "demo: services keep running; stop them with: bash infra/demo.sh stop"
echo "demo: the operator's API key is in .run/keys/operator (export ESCALATION_API_KEY=\$(cat .run/keys/operator) for escalationctl and bench)"
