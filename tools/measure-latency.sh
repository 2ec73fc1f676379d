#!/usr/bin/env bash
# Bounded load run against a running platform (start it with infra/demo.sh): posts N escalating contacts to Intake
# on localhost at a fixed rate, waits until each is routed, and prints percentiles of contact → routed and of each
# hop (commit of the cause → commit of the effect: relay + broker + consumer) from the event store's timestamps.
#   tools/measure-latency.sh [N=200] [rate per second=10]
set -euo pipefail
count=${1:-200}
rate=${2:-10}
intake=${INTAKE_URL:-http://localhost:5101}
api_key=${ESCALATION_API_KEY:-$(cat "$(dirname "$0")/../.run/keys/operator" 2>/dev/null || true)}
[ -n "$api_key" ] || { echo "measure-latency: set ESCALATION_API_KEY (a contacts:submit key) or run infra/demo.sh first"; exit 2; }
export PGPASSWORD=${PGPASSWORD:-postgres}
psql_run() { psql -h localhost -U postgres -d escalation -v ON_ERROR_STOP=1 -qtA "$@"; }
run="load-$(date +%s)"

for i in $(seq 1 "$count"); do
  curl -sf -o /dev/null -X POST "$intake/api/contacts" -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' -d @- <<JSON &
{"contactId":"$run-$i","conversationId":"$run-$i","channel":"Chatbot","customer":{"id":"c-$i","tier":"Standard","language":"en","email":"c$i@example.com"},"author":"Customer","text":"I want to talk to a human","occurredAt":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","category":"billing"}
JSON
  sleep "$(awk "BEGIN{print 1/$rate}")"
done
wait

deadline=$(( $(date +%s) + 120 ))
while :; do
  routed=$(psql_run -c "SELECT count(*) FROM events.mt_events r JOIN events.mt_events c ON c.stream_id = r.stream_id
    WHERE r.type = 'escalation_routed' AND c.type = 'contact_received' AND c.data->>'contactId' LIKE '$run-%'")
  [ "$routed" -ge "$count" ] && break
  [ "$(date +%s)" -ge "$deadline" ] && { echo "only $routed of $count routed after 120 s"; break; }
  sleep 1
done

echo "$count contacts at $rate/s (run $run); milliseconds:"
psql_run -F $'\t' <<SQL
WITH cases AS (
  SELECT stream_id FROM events.mt_events WHERE type = 'contact_received' AND data->>'contactId' LIKE '$run-%'
), hops AS (
  SELECT e.type AS hop, extract(epoch FROM e.timestamp - cause.timestamp) * 1000 AS ms
  FROM events.mt_events e JOIN events.mt_events cause ON cause.id::text = e.causation_id
  WHERE e.stream_id IN (SELECT stream_id FROM cases)
  UNION ALL
  SELECT 'contact → routed', extract(epoch FROM r.timestamp - c.timestamp) * 1000
  FROM events.mt_events c JOIN events.mt_events r ON r.stream_id = c.stream_id AND r.type = 'escalation_routed'
  WHERE c.type = 'contact_received' AND c.stream_id IN (SELECT stream_id FROM cases)
)
SELECT rpad(hop, 22), count(*) AS n,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS p50,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS p90,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS p99,
       round(max(ms)::numeric, 1) AS max
FROM hops GROUP BY hop ORDER BY p50;
SQL
