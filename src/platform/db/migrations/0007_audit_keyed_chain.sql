-- DP-01 (issue 12): the audit chain becomes an HMAC with a key the database never holds. Each event names the key
-- that made its hash, so keys can be rotated; events already written keep key_id NULL and are verified as the plain
-- SHA-256 chain they were written as (accepted only before the first keyed event).
-- Adding a column fires no UPDATE trigger: the append-only triggers of migration 0001 stay as they are.
ALTER TABLE "audit_events" ADD COLUMN "key_id" text;
