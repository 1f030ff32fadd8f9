-- Issue 14: the evaluation keeps its own record of the calls a trial did not randomise, instead of reading the
-- audit log as business state. The audit event is still written, in the same transaction: the log stays the record.
CREATE TABLE "evaluation_not_randomised" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"trial_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "evaluation_not_randomised" ADD CONSTRAINT "evaluation_not_randomised_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_not_randomised" ADD CONSTRAINT "evaluation_not_randomised_trial_id_evaluation_trials_id_fk" FOREIGN KEY ("trial_id") REFERENCES "public"."evaluation_trials"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "evaluation_not_randomised_trial_idx" ON "evaluation_not_randomised" USING btree ("trial_id");--> statement-breakpoint
CREATE INDEX "evaluation_not_randomised_consultation_idx" ON "evaluation_not_randomised" USING btree ("consultation_id","recorded_at");--> statement-breakpoint
-- Existing installations keep their data: the table is filled from the audit events written before it existed. The
-- joins compare text, so a malformed subject or trial id is skipped rather than failing the migration.
INSERT INTO "evaluation_not_randomised" ("consultation_id", "trial_id", "reason", "recorded_at")
SELECT c.id, t.id, coalesce(e.details->>'reason', 'not_recorded'), e.at
FROM audit_events e
JOIN consultations c ON e.subject = 'consultation:' || c.id::text
JOIN evaluation_trials t ON t.id::text = e.details->>'trialId'
WHERE e.what = 'evaluation.not_randomised'
ORDER BY e.seq;
