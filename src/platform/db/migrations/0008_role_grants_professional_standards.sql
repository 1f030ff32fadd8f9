-- Issue 12 item 6 (SEC-11, EVD-13): the Professional Standards role, and role grants that wait for a second administrator.
INSERT INTO roles (name, description) VALUES
  ('professional_standards', 'Professional Standards (PSD): complaint, conduct and DSI holds on evidence; views evidence with a reason')
ON CONFLICT (name) DO NOTHING;
--> statement-breakpoint
CREATE TABLE "role_grant_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"role" text NOT NULL,
	"requested_by" uuid NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"decision_reason" text,
	CONSTRAINT "role_grant_requests_state_check" CHECK ("state" IN ('pending', 'approved', 'refused', 'withdrawn'))
);
--> statement-breakpoint
ALTER TABLE "role_grant_requests" ADD CONSTRAINT "role_grant_requests_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_grant_requests" ADD CONSTRAINT "role_grant_requests_role_roles_name_fk" FOREIGN KEY ("role") REFERENCES "public"."roles"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_grant_requests" ADD CONSTRAINT "role_grant_requests_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_grant_requests" ADD CONSTRAINT "role_grant_requests_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "role_grant_requests_one_pending_idx" ON "role_grant_requests" USING btree ("user_id","role") WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX "role_grant_requests_state_idx" ON "role_grant_requests" USING btree ("state");
