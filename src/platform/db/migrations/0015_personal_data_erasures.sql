CREATE TABLE "personal_data_erasures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"basis" text NOT NULL,
	"disposal_id" uuid,
	"justification" text,
	"erased_by" text NOT NULL,
	"erased_at" timestamp with time zone NOT NULL,
	"summary" jsonb NOT NULL,
	"certificate" text NOT NULL,
	"certificate_sha256" text NOT NULL,
	CONSTRAINT "personal_data_erasures_consultation_id_unique" UNIQUE("consultation_id")
);
--> statement-breakpoint
ALTER TABLE "personal_data_erasures" ADD CONSTRAINT "personal_data_erasures_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "personal_data_erasures_erased_at_idx" ON "personal_data_erasures" USING btree ("erased_at");