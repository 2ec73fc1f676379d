#!/usr/bin/env bash
# Creates (or updates) one PostgreSQL login role per service, escalation_<service>, and grants it what it needs in one
# database (grant-service-roles.sql). Outside local development the services connect as these roles, which cannot
# change the schema, and start with Database__MigrateAtStartup=false:
#   ConnectionStrings__postgres="Host=db;Database=escalation;Username=escalation_intake;Password=<password>"
# Order on every release: run each service's `migrate` as the schema owner, then this script as the same owner.
# Passwords come from ESCALATION_POSTGRES_PASSWORD_<SERVICE> (e.g. ESCALATION_POSTGRES_PASSWORD_INTAKE); a missing one is
# an error, so no role is created with a guessable password. psql takes the connection from the usual PG* variables.
#   PGHOST=db PGUSER=escalation_owner PGDATABASE=escalation bash infra/postgres/create-roles.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for service in intake triage routing slawatch notification history; do
  variable="ESCALATION_POSTGRES_PASSWORD_$(echo "$service" | tr '[:lower:]' '[:upper:]')"
  password=${!variable:-}
  [ -n "$password" ] || { echo "create-roles: set $variable"; exit 1; }
  psql -X -q -v ON_ERROR_STOP=1 -v role="escalation_$service" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOCREATEDB NOCREATEROLE PASSWORD %L', :'role', :'password') \gexec
SQL
  echo "create-roles: escalation_$service"
done
psql -X -q -v ON_ERROR_STOP=1 -f "$here/grant-service-roles.sql"
echo "create-roles: granted on database $(psql -X -At -c 'SELECT current_database()')"
