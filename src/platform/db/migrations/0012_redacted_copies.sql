CREATE TABLE "evidence_redactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid NOT NULL,
	"source_item_id" uuid NOT NULL,
	"spec" jsonb NOT NULL,
	"state" text NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"result_item_id" uuid,
	"requested_by" uuid NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"decision_reason" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "evidence_redactions" ADD CONSTRAINT "evidence_redactions_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_redactions" ADD CONSTRAINT "evidence_redactions_source_item_id_evidence_items_id_fk" FOREIGN KEY ("source_item_id") REFERENCES "public"."evidence_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_redactions" ADD CONSTRAINT "evidence_redactions_result_item_id_evidence_items_id_fk" FOREIGN KEY ("result_item_id") REFERENCES "public"."evidence_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_redactions" ADD CONSTRAINT "evidence_redactions_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_redactions" ADD CONSTRAINT "evidence_redactions_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "evidence_redactions_consultation_idx" ON "evidence_redactions" USING btree ("consultation_id");--> statement-breakpoint
CREATE INDEX "evidence_redactions_source_idx" ON "evidence_redactions" USING btree ("source_item_id");