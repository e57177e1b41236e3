ALTER TABLE "canonical_entities" ADD COLUMN "roles" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "entity_mentions" ADD COLUMN "normalized" text;--> statement-breakpoint
ALTER TABLE "entity_mentions" ADD COLUMN "defined_as" text;--> statement-breakpoint
ALTER TABLE "entity_mentions" ADD COLUMN "represents" text;--> statement-breakpoint
ALTER TABLE "relationships" ADD COLUMN "confidence" real;