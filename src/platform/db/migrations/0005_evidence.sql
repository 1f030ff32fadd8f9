CREATE TABLE "evidence_disposals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dry_run" boolean NOT NULL,
	"ran_at" timestamp with time zone NOT NULL,
	"ran_by" text NOT NULL,
	"items" jsonb NOT NULL,
	"certificate" text NOT NULL,
	"certificate_sha256" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evidence_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"call_id" uuid,
	"kind" text NOT NULL,
	"source_id" text NOT NULL,
	"label" text NOT NULL,
	"file_key" text NOT NULL,
	"media_type" text NOT NULL,
	"sha256" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"captured_at" timestamp with time zone NOT NULL,
	"captured_by" text NOT NULL,
	"owner_id" uuid,
	"classification" text DEFAULT 'OFFICIAL-SENSITIVE' NOT NULL,
	"derived_from" jsonb,
	"state" text DEFAULT 'present' NOT NULL,
	"restricted_at" timestamp with time zone,
	"restriction_reason" text,
	"retention_basis" text DEFAULT 'Not yet assessed' NOT NULL,
	"review_due_at" timestamp with time zone,
	"disposal_eligible_at" timestamp with time zone,
	"integrity" text DEFAULT 'unverified' NOT NULL,
	"integrity_checked_at" timestamp with time zone,
	"disposed_at" timestamp with time zone,
	"disposal_id" uuid,
	CONSTRAINT "evidence_items_source_id_unique" UNIQUE("source_id"),
	CONSTRAINT "evidence_items_file_key_unique" UNIQUE("file_key")
);
--> statement-breakpoint
CREATE TABLE "evidence_retention" (
	"consultation_id" uuid PRIMARY KEY NOT NULL,
	"evidential" boolean DEFAULT true NOT NULL,
	"mopi_group" text,
	"case_status" jsonb NOT NULL,
	"complaint_or_claim" boolean DEFAULT false NOT NULL,
	"clear_period_start" timestamp with time zone,
	"last_review_retain_until" timestamp with time zone,
	"nrac_dispose_decided_at" timestamp with time zone,
	"schedule_version" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"updated_by" uuid
);
--> statement-breakpoint
CREATE TABLE "evidence_tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"consultation_id" uuid NOT NULL,
	"state" text NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"item_ids" jsonb NOT NULL,
	"result_item_id" uuid,
	"sink" text,
	"manifest_sha256" text,
	"receipt" jsonb,
	"error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"requested_by" uuid,
	"requested_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"purge_after" timestamp with time zone,
	"purged_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "legal_holds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"type" text NOT NULL,
	"rationale" text NOT NULL,
	"placed_by" uuid NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	"released_by" uuid,
	"released_at" timestamp with time zone,
	"release_rationale" text
);
--> statement-breakpoint
CREATE TABLE "retention_reviews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"reviewer_id" uuid NOT NULL,
	"answers" jsonb NOT NULL,
	"decision" text NOT NULL,
	"rationale" text NOT NULL,
	"next_review_at" timestamp with time zone,
	"decided_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "evidence_items" ADD CONSTRAINT "evidence_items_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_items" ADD CONSTRAINT "evidence_items_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_items" ADD CONSTRAINT "evidence_items_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_retention" ADD CONSTRAINT "evidence_retention_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_retention" ADD CONSTRAINT "evidence_retention_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_tasks" ADD CONSTRAINT "evidence_tasks_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_tasks" ADD CONSTRAINT "evidence_tasks_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "legal_holds" ADD CONSTRAINT "legal_holds_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "legal_holds" ADD CONSTRAINT "legal_holds_placed_by_users_id_fk" FOREIGN KEY ("placed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "legal_holds" ADD CONSTRAINT "legal_holds_released_by_users_id_fk" FOREIGN KEY ("released_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "retention_reviews" ADD CONSTRAINT "retention_reviews_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "retention_reviews" ADD CONSTRAINT "retention_reviews_reviewer_id_users_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "evidence_items_consultation_idx" ON "evidence_items" USING btree ("consultation_id");--> statement-breakpoint
CREATE INDEX "evidence_items_disposal_idx" ON "evidence_items" USING btree ("state","disposal_eligible_at");--> statement-breakpoint
CREATE INDEX "evidence_tasks_consultation_idx" ON "evidence_tasks" USING btree ("consultation_id");--> statement-breakpoint
CREATE INDEX "evidence_tasks_state_idx" ON "evidence_tasks" USING btree ("state");--> statement-breakpoint
CREATE INDEX "legal_holds_consultation_idx" ON "legal_holds" USING btree ("consultation_id");--> statement-breakpoint
CREATE INDEX "retention_reviews_consultation_idx" ON "retention_reviews" USING btree ("consultation_id");