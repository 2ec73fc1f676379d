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
services=(intake triage routing slawatch notification history)
password_of() { local variable="ESCALATION_POSTGRES_PASSWORD_${1^^}"; echo "${!variable:-}"; }
for service in "${services[@]}"; do # all or nothing: check every password before changing a role
  [ -n "$(password_of "$service")" ] || { echo "create-roles: set ESCALATION_POSTGRES_PASSWORD_${service^^}"; exit 1; }
done
for service in "${services[@]}"; do
  password=$(password_of "$service")
  psql -X -q -v ON_ERROR_STOP=1 -v role="escalation_$service" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOCREATEDB NOCREATEROLE PASSWORD %L', :'role', :'password') \gexec
SQL
  echo "create-roles: escalation_$service"
done
psql -X -q -v ON_ERROR_STOP=1 -f "$here/grant-service-roles.sql"
echo "create-roles: granted on database $(psql -X -At -c 'SELECT current_database()')"
