#!/usr/bin/env bash
# Runs the whole test suite against real PostgreSQL and RabbitMQ (started natively, or by docker compose when a
# Docker engine answers). Set ESCALATION_POSTGRES / ESCALATION_RABBITMQ / ESCALATION_RABBITMQ_MANAGEMENT to use
# servers of your own; unset, and with no local servers, the fixtures fall back to Testcontainers.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash infra/start-dependencies.sh
export ESCALATION_POSTGRES=${ESCALATION_POSTGRES:-"Host=localhost;Port=5432;Database=postgres;Username=postgres;Password=postgres;SSL Mode=Disable"}
export ESCALATION_RABBITMQ=${ESCALATION_RABBITMQ:-"amqp://guest:guest@localhost:5672/"}
export ESCALATION_RABBITMQ_MANAGEMENT=${ESCALATION_RABBITMQ_MANAGEMENT:-"http://guest:guest@localhost:15672/"}

bash infra/build.sh Release
rm -f TestResults/fault-drills.md
status=0
dotnet test --solution Escalation.Platform.sln -c Release --no-build --no-progress || status=$?
# The fault drills (PlatformFaultTests) write what they measured; print it with the run.
[ -f TestResults/fault-drills.md ] && { echo "Fault drills:"; cat TestResults/fault-drills.md; }
exit $status
