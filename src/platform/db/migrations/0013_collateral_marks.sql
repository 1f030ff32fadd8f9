CREATE TABLE "collateral_marks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"call_id" uuid NOT NULL,
	"consultation_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"started_by" uuid NOT NULL,
	"ended_at" timestamp with time zone,
	"ended_by" text
);
--> statement-breakpoint
ALTER TABLE "collateral_marks" ADD CONSTRAINT "collateral_marks_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collateral_marks" ADD CONSTRAINT "collateral_marks_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collateral_marks" ADD CONSTRAINT "collateral_marks_started_by_users_id_fk" FOREIGN KEY ("started_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "collateral_marks_call_idx" ON "collateral_marks" USING btree ("call_id","started_at");--> statement-breakpoint
CREATE INDEX "collateral_marks_consultation_idx" ON "collateral_marks" USING btree ("consultation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "collateral_marks_one_open_idx" ON "collateral_marks" USING btree ("call_id","kind") WHERE ended_at is null;