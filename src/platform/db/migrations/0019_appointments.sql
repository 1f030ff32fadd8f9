CREATE TABLE "appointments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"officer_id" uuid NOT NULL,
	"slot" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"page_token_hash" text NOT NULL,
	"reminder_token_hash" text,
	"booked_by" uuid NOT NULL,
	"booking_text_sent_at" timestamp with time zone,
	"reminder_sent_at" timestamp with time zone,
	"send_error" text,
	"joined_at" timestamp with time zone,
	"missed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"change_requests" integer DEFAULT 0 NOT NULL,
	"requested_slot" timestamp with time zone,
	"requested_best_time" text,
	"change_requested_at" timestamp with time zone,
	"follow_up_done_at" timestamp with time zone,
	"follow_up_done_by" uuid,
	"follow_up_note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "appointments_page_token_hash_unique" UNIQUE("page_token_hash"),
	CONSTRAINT "appointments_reminder_token_hash_unique" UNIQUE("reminder_token_hash")
);
--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_officer_id_users_id_fk" FOREIGN KEY ("officer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_booked_by_users_id_fk" FOREIGN KEY ("booked_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_follow_up_done_by_users_id_fk" FOREIGN KEY ("follow_up_done_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "appointments_status_slot_idx" ON "appointments" USING btree ("status","slot");--> statement-breakpoint
CREATE INDEX "appointments_consultation_idx" ON "appointments" USING btree ("consultation_id");