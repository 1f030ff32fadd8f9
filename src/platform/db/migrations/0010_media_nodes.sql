CREATE TABLE "media_nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"internal_url" text NOT NULL,
	"roles" jsonb NOT NULL,
	"capacity" integer NOT NULL,
	"load" integer DEFAULT 0 NOT NULL,
	"state" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"heartbeat_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "media_node_id" text;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "media_node_id" text;--> statement-breakpoint
CREATE INDEX "media_nodes_state_idx" ON "media_nodes" USING btree ("state");--> statement-breakpoint
ALTER TABLE "calls" ADD CONSTRAINT "calls_media_node_id_media_nodes_id_fk" FOREIGN KEY ("media_node_id") REFERENCES "public"."media_nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recordings" ADD CONSTRAINT "recordings_media_node_id_media_nodes_id_fk" FOREIGN KEY ("media_node_id") REFERENCES "public"."media_nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "calls_open_by_node_idx" ON "calls" USING btree ("media_node_id") WHERE state = 'open';