CREATE TABLE "processing_restrictions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"request_id" uuid,
	"reason" text NOT NULL,
	"placed_by" uuid NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	"lifted_by" uuid,
	"lifted_at" timestamp with time zone,
	"lift_reason" text
);
--> statement-breakpoint
CREATE TABLE "subject_rectifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" uuid NOT NULL,
	"consultation_id" uuid NOT NULL,
	"field" text NOT NULL,
	"mode" text NOT NULL,
	"original_value" text,
	"corrected_value" text NOT NULL,
	"reason" text NOT NULL,
	"rectified_by" uuid NOT NULL,
	"rectified_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subject_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"reference" text NOT NULL,
	"kind" text NOT NULL,
	"subject_name" text NOT NULL,
	"subject_phone" text,
	"subject_contact" text,
	"details" text,
	"received_on" date NOT NULL,
	"identity_requested_on" date,
	"identity_received_on" date,
	"identity_check" text,
	"extension_months" integer DEFAULT 0 NOT NULL,
	"extension_reason" text,
	"extension_noticed_on" date,
	"paused_days" integer DEFAULT 0 NOT NULL,
	"paused_since" date,
	"restriction_grounds" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"restriction_reason" text,
	"consultation_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"decision" text,
	"decision_reason" text,
	"notice_sent_on" date,
	"disclosure_sha256" text,
	"disclosed_at" timestamp with time zone,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "subject_requests_reference_unique" UNIQUE("reference")
);
--> statement-breakpoint
ALTER TABLE "processing_restrictions" ADD CONSTRAINT "processing_restrictions_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "processing_restrictions" ADD CONSTRAINT "processing_restrictions_request_id_subject_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."subject_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "processing_restrictions" ADD CONSTRAINT "processing_restrictions_placed_by_users_id_fk" FOREIGN KEY ("placed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "processing_restrictions" ADD CONSTRAINT "processing_restrictions_lifted_by_users_id_fk" FOREIGN KEY ("lifted_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subject_rectifications" ADD CONSTRAINT "subject_rectifications_request_id_subject_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."subject_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subject_rectifications" ADD CONSTRAINT "subject_rectifications_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subject_rectifications" ADD CONSTRAINT "subject_rectifications_rectified_by_users_id_fk" FOREIGN KEY ("rectified_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subject_requests" ADD CONSTRAINT "subject_requests_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "processing_restrictions_consultation_idx" ON "processing_restrictions" USING btree ("consultation_id");--> statement-breakpoint
CREATE INDEX "subject_rectifications_consultation_idx" ON "subject_rectifications" USING btree ("consultation_id");--> statement-breakpoint
CREATE INDEX "subject_requests_received_idx" ON "subject_requests" USING btree ("received_on");