CREATE TABLE "dpia_records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"reference" text NOT NULL,
	"approved_by" text,
	"approved_on" date,
	"review_due" date NOT NULL,
	"recorded_by" uuid NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "covert_surveillance_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"description" text NOT NULL,
	"reported_by" uuid NOT NULL,
	"reporter_role" text NOT NULL,
	"reported_at" timestamp with time zone NOT NULL,
	"hold_id" uuid NOT NULL,
	"cab_reference" text,
	"ipco_reported_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "breach_subject_notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"breach_id" uuid NOT NULL,
	"subjects" text NOT NULL,
	"method" text NOT NULL,
	"notified_at" timestamp with time zone NOT NULL,
	"recorded_by" uuid NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "personal_data_breaches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" text NOT NULL,
	"nature" text NOT NULL,
	"categories" text NOT NULL,
	"approx_subjects" integer,
	"approx_records" integer,
	"occurred_at" timestamp with time zone,
	"aware_at" timestamp with time zone NOT NULL,
	"recorded_by" uuid NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	"risk" text,
	"consequences" text,
	"measures" text,
	"assessed_by" uuid,
	"assessed_at" timestamp with time zone,
	"decision" text,
	"decision_reason" text,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"ico_notified_at" timestamp with time zone,
	"ico_reference" text,
	"late_reason" text
);
--> statement-breakpoint
ALTER TABLE "dpia_records" ADD CONSTRAINT "dpia_records_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "covert_surveillance_reports" ADD CONSTRAINT "covert_surveillance_reports_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "covert_surveillance_reports" ADD CONSTRAINT "covert_surveillance_reports_reported_by_users_id_fk" FOREIGN KEY ("reported_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "covert_surveillance_reports" ADD CONSTRAINT "covert_surveillance_reports_hold_id_legal_holds_id_fk" FOREIGN KEY ("hold_id") REFERENCES "public"."legal_holds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "breach_subject_notifications" ADD CONSTRAINT "breach_subject_notifications_breach_id_personal_data_breaches_id_fk" FOREIGN KEY ("breach_id") REFERENCES "public"."personal_data_breaches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "breach_subject_notifications" ADD CONSTRAINT "breach_subject_notifications_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "personal_data_breaches" ADD CONSTRAINT "personal_data_breaches_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "personal_data_breaches" ADD CONSTRAINT "personal_data_breaches_assessed_by_users_id_fk" FOREIGN KEY ("assessed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "personal_data_breaches" ADD CONSTRAINT "personal_data_breaches_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "covert_surveillance_reports_consultation_idx" ON "covert_surveillance_reports" USING btree ("consultation_id");--> statement-breakpoint
CREATE INDEX "breach_subject_notifications_breach_idx" ON "breach_subject_notifications" USING btree ("breach_id");--> statement-breakpoint
CREATE INDEX "personal_data_breaches_aware_at_idx" ON "personal_data_breaches" USING btree ("aware_at");