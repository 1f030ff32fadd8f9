CREATE TABLE "system_owner_appointments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"proposed_by" uuid,
	"proposed_at" timestamp with time zone NOT NULL,
	"note" text,
	"accepted_at" timestamp with time zone,
	"declined_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "training_records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"course" text NOT NULL,
	"completed_on" date NOT NULL,
	"expires_on" date,
	"recorded_by" uuid,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "consultations" ADD COLUMN "purpose_code" text DEFAULT 'DA_RVR_INVESTIGATION' NOT NULL;--> statement-breakpoint
ALTER TABLE "evidence_items" ADD COLUMN "purpose_code" text DEFAULT 'DA_RVR_INVESTIGATION' NOT NULL;--> statement-breakpoint
ALTER TABLE "system_owner_appointments" ADD CONSTRAINT "system_owner_appointments_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "system_owner_appointments" ADD CONSTRAINT "system_owner_appointments_proposed_by_users_id_fk" FOREIGN KEY ("proposed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_records" ADD CONSTRAINT "training_records_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_records" ADD CONSTRAINT "training_records_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "system_owner_appointments_user_idx" ON "system_owner_appointments" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "training_records_user_idx" ON "training_records" USING btree ("user_id");