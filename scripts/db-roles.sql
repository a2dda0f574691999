-- Least-privilege PostgreSQL roles for eplan-flow.
--
--   eplan_owner  owns the schema and runs the migrations (EPLAN_MIGRATION_DATABASE_URL);
--                its credentials live with whoever deploys, never in the app's environment.
--   eplan_app    what the app connects as (EPLAN_DATABASE_URL): no superuser, no DDL (it owns
--                nothing and may create nothing), no TRUNCATE anywhere; on audit_event only
--                SELECT and INSERT, on audit_checkpoint SELECT, INSERT and UPDATE (the
--                database also lets a checkpoint only move forward); normal DML elsewhere.
--
-- Run it as a superuser in the app's database, with psql (it is idempotent):
--
--   psql -d eplan -v ON_ERROR_STOP=1 -f scripts/db-roles.sql
--   psql -d eplan -c '\password eplan_owner' -c '\password eplan_app'
--   EPLAN_MIGRATION_DATABASE_URL=postgresql://eplan_owner:...@host/eplan \
--   EPLAN_DATABASE_URL=postgresql://eplan_app:...@host/eplan  flask --app wsgi eplan setup
--   psql -d eplan -v ON_ERROR_STOP=1 -f scripts/db-roles.sql
--
-- and again after every migration: the owner's default privileges give the app DML on the
-- tables a migration creates, and this script takes back what the audit tables must not allow.
-- Run on a database migrated as another role, it hands that role's tables and functions in
-- the public schema to eplan_owner.
--
-- What it cannot stop: a superuser, or eplan_owner (a table's owner may disable its triggers),
-- can still rewrite or empty the audit tables. `flask eplan verify-audit` then names the chains
-- (their HMAC key, EPLAN_AUDIT_KEY, is not in the database).

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eplan_owner') THEN
    CREATE ROLE eplan_owner LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eplan_app') THEN
    CREATE ROLE eplan_app LOGIN;
  END IF;
END $$;
ALTER ROLE eplan_owner NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE eplan_app NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;

DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO eplan_owner, eplan_app', current_database());
  EXECUTE format('REVOKE CREATE, TEMPORARY ON DATABASE %I FROM PUBLIC, eplan_app', current_database());
END $$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM eplan_app;
GRANT USAGE, CREATE ON SCHEMA public TO eplan_owner;
GRANT USAGE ON SCHEMA public TO eplan_app;

-- A database first migrated by another role: eplan_owner takes over its objects.
DO $$
DECLARE
  statement text;
BEGIN
  FOR statement IN
    SELECT format('ALTER TABLE public.%I OWNER TO eplan_owner', tablename)
      FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'eplan_owner'
  LOOP
    EXECUTE statement;
  END LOOP;
  -- After the tables: a sequence that belongs to a column has moved with its table.
  FOR statement IN
    SELECT format('ALTER SEQUENCE public.%I OWNER TO eplan_owner', sequencename)
      FROM pg_sequences WHERE schemaname = 'public' AND sequenceowner <> 'eplan_owner'
  LOOP
    EXECUTE statement;
  END LOOP;
  FOR statement IN
    SELECT format('ALTER FUNCTION %s OWNER TO eplan_owner', p.oid::regprocedure)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> 'eplan_owner'
  LOOP
    EXECUTE statement;
  END LOOP;
END $$;

-- Tables the owner creates from now on: plain DML for the app (and no TRUNCATE).
ALTER DEFAULT PRIVILEGES FOR ROLE eplan_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO eplan_app;
ALTER DEFAULT PRIVILEGES FOR ROLE eplan_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO eplan_app;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM eplan_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO eplan_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO eplan_app;

-- The audit trail: append and read, nothing else. (Before the first migration these tables do
-- not exist yet: run the script again after it.)
DO $$
BEGIN
  IF to_regclass('public.audit_event') IS NOT NULL THEN
    REVOKE ALL ON audit_event FROM eplan_app;
    GRANT SELECT, INSERT ON audit_event TO eplan_app;
  END IF;
  IF to_regclass('public.audit_checkpoint') IS NOT NULL THEN
    REVOKE ALL ON audit_checkpoint FROM eplan_app;
    GRANT SELECT, INSERT, UPDATE ON audit_checkpoint TO eplan_app;
  END IF;
  -- The schema's version is the owner's business.
  IF to_regclass('public.alembic_version') IS NOT NULL THEN
    REVOKE ALL ON alembic_version FROM eplan_app;
    GRANT SELECT ON alembic_version TO eplan_app;
  END IF;
END $$;
