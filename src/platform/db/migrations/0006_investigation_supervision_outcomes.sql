CREATE TABLE "call_observations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"call_id" uuid NOT NULL,
	"participant_id" uuid,
	"observer_id" uuid NOT NULL,
	"justification" text NOT NULL,
	"victim_notified" boolean NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "consultation_outcomes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"details" jsonb NOT NULL,
	"recorded_by" uuid,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "enquiry_lines" (
	"consultation_id" uuid NOT NULL,
	"line" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"evidence_item_ids" jsonb,
	"updated_by" uuid,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "enquiry_lines_consultation_id_line_pk" PRIMARY KEY("consultation_id","line")
);
--> statement-breakpoint
CREATE TABLE "evaluation_allocations" (
	"consultation_id" uuid PRIMARY KEY NOT NULL,
	"trial_id" uuid NOT NULL,
	"sequence" integer NOT NULL,
	"arm" text NOT NULL,
	"allocated_at" timestamp with time zone NOT NULL,
	"allocated_by" uuid
);
--> statement-breakpoint
CREATE TABLE "evaluation_trials" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seed" text NOT NULL,
	"block_size" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"started_by" uuid,
	"stopped_at" timestamp with time zone,
	"stopped_by" uuid,
	"note" text
);
--> statement-breakpoint
CREATE TABLE "quality_reviews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"sampled_because" text NOT NULL,
	"sampled_at" timestamp with time zone NOT NULL,
	"officer_id" uuid,
	"state" text NOT NULL,
	"reviewer_id" uuid,
	"scores" jsonb,
	"feedback" text,
	"completed_at" timestamp with time zone,
	"feedback_seen_at" timestamp with time zone,
	CONSTRAINT "quality_reviews_consultation_id_unique" UNIQUE("consultation_id")
);
--> statement-breakpoint
CREATE TABLE "risk_assessments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"form_version" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"supersedes_id" uuid,
	"amendment_reason" text,
	"state" text NOT NULL,
	"answers" jsonb NOT NULL,
	"prior_incidents_12_months" integer,
	"last_marac_referral_at" timestamp with time zone,
	"victim_age_band" text,
	"grade" text,
	"judgement_referral" boolean DEFAULT false NOT NULL,
	"judgement_reason" text,
	"yes_count" integer,
	"actuarial_grade" text,
	"marac_referral" boolean,
	"marac_reasons" jsonb,
	"high_risk_flags" jsonb,
	"routing" text,
	"scoring_settings" jsonb,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	"completed_by" uuid,
	"signed_off_at" timestamp with time zone,
	"signed_off_by" uuid,
	"sign_off_note" text,
	"evidence_item_id" uuid
);
--> statement-breakpoint
CREATE TABLE "safety_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"call_id" uuid,
	"participant_id" uuid,
	"raised_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" uuid,
	"escalated_at" timestamp with time zone,
	"escalated_by" uuid,
	"outcome_id" uuid
);
--> statement-breakpoint
CREATE TABLE "satisfaction_surveys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"state" text NOT NULL,
	"send_after" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"provider" text,
	"provider_message_id" text,
	"send_error" text,
	"answered_at" timestamp with time zone,
	"rating" integer,
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "satisfaction_surveys_consultation_id_unique" UNIQUE("consultation_id"),
	CONSTRAINT "satisfaction_surveys_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "victim_statements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"state" text NOT NULL,
	"text" text NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"shared_at" timestamp with time zone,
	"corrections" jsonb NOT NULL,
	"confirmed_text" text,
	"confirmed_sha256" text,
	"signature_name" text,
	"confirmed_at" timestamp with time zone,
	"evidence_item_id" uuid,
	"updated_by" uuid,
	"updated_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "victim_statements_consultation_id_unique" UNIQUE("consultation_id")
);
--> statement-breakpoint
ALTER TABLE "call_observations" ADD CONSTRAINT "call_observations_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_observations" ADD CONSTRAINT "call_observations_participant_id_call_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."call_participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_observations" ADD CONSTRAINT "call_observations_observer_id_users_id_fk" FOREIGN KEY ("observer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultation_outcomes" ADD CONSTRAINT "consultation_outcomes_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultation_outcomes" ADD CONSTRAINT "consultation_outcomes_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enquiry_lines" ADD CONSTRAINT "enquiry_lines_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enquiry_lines" ADD CONSTRAINT "enquiry_lines_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_allocations" ADD CONSTRAINT "evaluation_allocations_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_allocations" ADD CONSTRAINT "evaluation_allocations_trial_id_evaluation_trials_id_fk" FOREIGN KEY ("trial_id") REFERENCES "public"."evaluation_trials"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_allocations" ADD CONSTRAINT "evaluation_allocations_allocated_by_users_id_fk" FOREIGN KEY ("allocated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_trials" ADD CONSTRAINT "evaluation_trials_started_by_users_id_fk" FOREIGN KEY ("started_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_trials" ADD CONSTRAINT "evaluation_trials_stopped_by_users_id_fk" FOREIGN KEY ("stopped_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_reviews" ADD CONSTRAINT "quality_reviews_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_reviews" ADD CONSTRAINT "quality_reviews_officer_id_users_id_fk" FOREIGN KEY ("officer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_reviews" ADD CONSTRAINT "quality_reviews_reviewer_id_users_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_assessments" ADD CONSTRAINT "risk_assessments_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_assessments" ADD CONSTRAINT "risk_assessments_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_assessments" ADD CONSTRAINT "risk_assessments_completed_by_users_id_fk" FOREIGN KEY ("completed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_assessments" ADD CONSTRAINT "risk_assessments_signed_off_by_users_id_fk" FOREIGN KEY ("signed_off_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_assessments" ADD CONSTRAINT "risk_assessments_evidence_item_id_evidence_items_id_fk" FOREIGN KEY ("evidence_item_id") REFERENCES "public"."evidence_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "safety_alerts" ADD CONSTRAINT "safety_alerts_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "safety_alerts" ADD CONSTRAINT "safety_alerts_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "safety_alerts" ADD CONSTRAINT "safety_alerts_participant_id_call_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."call_participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "safety_alerts" ADD CONSTRAINT "safety_alerts_acknowledged_by_users_id_fk" FOREIGN KEY ("acknowledged_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "safety_alerts" ADD CONSTRAINT "safety_alerts_escalated_by_users_id_fk" FOREIGN KEY ("escalated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "safety_alerts" ADD CONSTRAINT "safety_alerts_outcome_id_consultation_outcomes_id_fk" FOREIGN KEY ("outcome_id") REFERENCES "public"."consultation_outcomes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satisfaction_surveys" ADD CONSTRAINT "satisfaction_surveys_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "victim_statements" ADD CONSTRAINT "victim_statements_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "victim_statements" ADD CONSTRAINT "victim_statements_evidence_item_id_evidence_items_id_fk" FOREIGN KEY ("evidence_item_id") REFERENCES "public"."evidence_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "victim_statements" ADD CONSTRAINT "victim_statements_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "call_observations_call_idx" ON "call_observations" USING btree ("call_id");--> statement-breakpoint
CREATE INDEX "consultation_outcomes_consultation_idx" ON "consultation_outcomes" USING btree ("consultation_id","recorded_at");--> statement-breakpoint
CREATE INDEX "consultation_outcomes_kind_idx" ON "consultation_outcomes" USING btree ("kind","recorded_at");--> statement-breakpoint
CREATE UNIQUE INDEX "evaluation_allocations_sequence_idx" ON "evaluation_allocations" USING btree ("trial_id","sequence");--> statement-breakpoint
CREATE INDEX "quality_reviews_state_idx" ON "quality_reviews" USING btree ("state","sampled_at");--> statement-breakpoint
CREATE INDEX "quality_reviews_officer_idx" ON "quality_reviews" USING btree ("officer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "risk_assessments_version_idx" ON "risk_assessments" USING btree ("consultation_id","version");--> statement-breakpoint
CREATE INDEX "risk_assessments_state_idx" ON "risk_assessments" USING btree ("state");--> statement-breakpoint
CREATE INDEX "safety_alerts_consultation_idx" ON "safety_alerts" USING btree ("consultation_id");--> statement-breakpoint
CREATE INDEX "satisfaction_surveys_state_idx" ON "satisfaction_surveys" USING btree ("state","send_after");--> statement-breakpoint
-- Issue 7: a randomised allocation can't be changed after the fact (allocation tampering is refused).
CREATE FUNCTION evaluation_allocations_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'evaluation_allocations is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER evaluation_allocations_append_only BEFORE UPDATE OR DELETE ON evaluation_allocations
  FOR EACH ROW EXECUTE FUNCTION evaluation_allocations_refuse_change();
--> statement-breakpoint
CREATE TRIGGER evaluation_allocations_no_truncate BEFORE TRUNCATE ON evaluation_allocations
  FOR EACH STATEMENT EXECUTE FUNCTION evaluation_allocations_refuse_change();
