ALTER TABLE "consultations" ADD COLUMN "language" text DEFAULT 'en' NOT NULL;--> statement-breakpoint
ALTER TABLE "call_consents" ADD COLUMN "language" text DEFAULT 'en' NOT NULL;--> statement-breakpoint
ALTER TABLE "call_invites" ADD COLUMN "language" text DEFAULT 'en' NOT NULL;