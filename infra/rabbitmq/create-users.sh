#!/usr/bin/env bash
# Creates (or updates) one RabbitMQ user per service, and a "channel" user for upstream channels that publish contacts,
# with the permissions of infra/rabbitmq/service-permissions.json on one virtual host. Outside local development the
# services connect as these users, never as guest:
#   ConnectionStrings__rabbitmq=amqp://escalation-intake:<password>@broker:5672/<vhost>
# Passwords come from ESCALATION_RABBITMQ_PASSWORD_<NAME> (e.g. ESCALATION_RABBITMQ_PASSWORD_INTAKE); a missing one is an
# error, so no account is created with a guessable password.
#   bash infra/rabbitmq/create-users.sh [vhost=/]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vhost=${1:-/}
python3 - "$here/service-permissions.json" <<'PY' | while IFS=$'\t' read -r name configure write read; do
import json, sys
for name, p in json.load(open(sys.argv[1])).items():
    if not name.startswith("_"):
        print("\t".join([name, p["configure"], p["write"], p["read"]]))
PY
  variable="ESCALATION_RABBITMQ_PASSWORD_$(echo "$name" | tr '[:lower:]' '[:upper:]')"
  password=${!variable:-}
  [ -n "$password" ] || { echo "create-users: set $variable"; exit 1; }
  user="escalation-$name"
  rabbitmqctl -q add_user "$user" "$password" </dev/null 2>/dev/null || rabbitmqctl -q change_password "$user" "$password" </dev/null
  rabbitmqctl -q set_permissions -p "$vhost" "$user" "$configure" "$write" "$read" </dev/null
  echo "create-users: $user on $vhost"
done
