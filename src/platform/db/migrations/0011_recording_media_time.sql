ALTER TABLE "recordings" ADD COLUMN "media_started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "media_clock" jsonb;