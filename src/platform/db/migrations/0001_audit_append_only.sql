-- DP-01: the audit log is append-only. The hash chain proves tampering after the fact; this trigger
-- stops the application (or a careless operator) from changing history in the first place.
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
--> statement-breakpoint
INSERT INTO roles (name, description) VALUES
  ('call_handler', 'Control-room call handler: takes incidents, triages eligibility, hands over to the RVR queue'),
  ('rvr_officer', 'RVR officer: accepts queued consultations and conducts the video response'),
  ('supervisor', 'Supervisor: oversees the queue, overrides eligibility with a rationale, reviews quality'),
  ('investigator', 'Investigator: views evidence of their own cases'),
  ('evidence_manager', 'Evidence and records staff: exports, retention, legal holds'),
  ('dpo', 'Data protection officer: audit log, subject access, restrictions'),
  ('admin', 'Administrator: users and settings; no evidence access unless also given an evidence role');
