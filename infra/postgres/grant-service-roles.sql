-- What each service's role may do in one database. Run it as the schema owner (the role that ran each service's
-- `migrate`), after every migration: it grants on the tables that exist now. Idempotent.
--
-- The event store (schema events) is shared: every service reads all case streams and appends to them, and keeps its
-- daemon's progress there. No service may delete events, and only History may rewrite one: erasure masks personal data
-- in place. History may also reset projection progress (rebuilds). Each service's own schema (intake, triage, ...) is
-- private to it. The key table (access.api_keys) is read-only for services; escalationctl writes it as the owner.
-- No service may create, alter or drop anything: its role has no CREATE on any schema.
DO $grants$
DECLARE
    service text;
    role text;
BEGIN
    REVOKE ALL ON SCHEMA events, access FROM PUBLIC;
    FOREACH service IN ARRAY ARRAY['intake', 'triage', 'routing', 'slawatch', 'notification', 'history'] LOOP
        role := 'escalation_' || service;
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), role);

        EXECUTE format('GRANT USAGE ON SCHEMA events TO %I', role);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA events TO %I', role);
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON events.mt_events FROM %I', role);
        EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA events TO %I', role);

        EXECUTE format('GRANT USAGE ON SCHEMA access TO %I', role);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA access FROM %I', role);
        EXECUTE format('GRANT SELECT ON access.api_keys TO %I', role);

        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', service);
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', service, role);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA %I TO %I', service, role);
        EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I', service, role);
        -- Tables a later migration adds to the service's schema are its own as soon as they exist.
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO %I', service, role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %I', service, role);
    END LOOP;

    GRANT UPDATE ON events.mt_events TO escalation_history;
    GRANT DELETE ON events.mt_event_progression, events.mt_event_projection_floors, events.mt_doc_deadletterevent TO escalation_history;
END
$grants$;
