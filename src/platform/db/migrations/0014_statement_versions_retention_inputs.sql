CREATE TABLE "victim_statement_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"statement_id" uuid NOT NULL,
	"consultation_id" uuid NOT NULL,
	"revision" integer NOT NULL,
	"text" text NOT NULL,
	"sha256" text NOT NULL,
	"shown_at" timestamp with time zone NOT NULL,
	"shown_by" uuid
);
--> statement-breakpoint
ALTER TABLE "evidence_retention" ADD COLUMN "subject_date_of_birth" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "evidence_retention" ADD COLUMN "child_under_10" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "evidence_retention" ADD COLUMN "review_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "victim_statement_versions" ADD CONSTRAINT "victim_statement_versions_statement_id_victim_statements_id_fk" FOREIGN KEY ("statement_id") REFERENCES "public"."victim_statements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "victim_statement_versions" ADD CONSTRAINT "victim_statement_versions_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "victim_statement_versions" ADD CONSTRAINT "victim_statement_versions_shown_by_users_id_fk" FOREIGN KEY ("shown_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "victim_statement_versions_statement_idx" ON "victim_statement_versions" USING btree ("statement_id","shown_at");