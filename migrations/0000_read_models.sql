CREATE TABLE "blobs" (
	"ref" text PRIMARY KEY NOT NULL,
	"bytes" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "canonical_entities" (
	"id" text PRIMARY KEY NOT NULL,
	"project" text NOT NULL,
	"type" text NOT NULL,
	"name" text NOT NULL,
	"aliases" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chunks" (
	"document_id" text NOT NULL,
	"version" integer NOT NULL,
	"index" integer NOT NULL,
	"text" text NOT NULL,
	"heading" text,
	"page_start" integer,
	"page_end" integer,
	"char_start" integer NOT NULL,
	"char_end" integer NOT NULL,
	CONSTRAINT "chunks_document_id_version_index_pk" PRIMARY KEY("document_id","version","index")
);
--> statement-breakpoint
CREATE TABLE "document_texts" (
	"document_id" text NOT NULL,
	"version" integer NOT NULL,
	"text_ref" text NOT NULL,
	"text" text NOT NULL,
	"pages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	CONSTRAINT "document_texts_document_id_version_pk" PRIMARY KEY("document_id","version")
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" text PRIMARY KEY NOT NULL,
	"project" text NOT NULL,
	"status" text NOT NULL,
	"current_stage" text,
	"version" integer NOT NULL,
	"category" text,
	"source" text NOT NULL,
	"filename" text,
	"content_type" text,
	"sha256" text,
	"correlation_id" text NOT NULL,
	"error" text,
	"submitted_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "entity_mentions" (
	"document_id" text NOT NULL,
	"version" integer NOT NULL,
	"chunk_index" integer NOT NULL,
	"ordinal" integer NOT NULL,
	"type" text NOT NULL,
	"text" text NOT NULL,
	"role" text,
	"char_start" integer NOT NULL,
	"char_end" integer NOT NULL,
	"confidence" real NOT NULL,
	"canonical_id" text,
	CONSTRAINT "entity_mentions_document_id_version_chunk_index_ordinal_pk" PRIMARY KEY("document_id","version","chunk_index","ordinal")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"stream" text NOT NULL,
	"entry_id" text NOT NULL,
	"type" text NOT NULL,
	"document_id" text,
	"version" integer,
	"payload" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "processing_tasks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"document_id" text NOT NULL,
	"version" integer NOT NULL,
	"stage" text NOT NULL,
	"consumer" text,
	"attempt" integer NOT NULL,
	"status" text NOT NULL,
	"input_entry" text NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone NOT NULL,
	"duration_ms" integer,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "relationships" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"project" text NOT NULL,
	"type" text NOT NULL,
	"source_id" text NOT NULL,
	"target_id" text NOT NULL,
	"document_id" text NOT NULL,
	"version" integer NOT NULL,
	"evidence" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "canonical_entities_project_type" ON "canonical_entities" USING btree ("project","type");--> statement-breakpoint
CREATE INDEX "documents_project_status" ON "documents" USING btree ("project","status");--> statement-breakpoint
CREATE INDEX "entity_mentions_canonical" ON "entity_mentions" USING btree ("canonical_id");--> statement-breakpoint
CREATE UNIQUE INDEX "events_stream_entry" ON "events" USING btree ("stream","entry_id");--> statement-breakpoint
CREATE INDEX "events_document" ON "events" USING btree ("document_id","version");--> statement-breakpoint
CREATE INDEX "events_occurred_at" ON "events" USING btree ("occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "processing_tasks_attempt" ON "processing_tasks" USING btree ("input_entry","stage","attempt");--> statement-breakpoint
CREATE INDEX "processing_tasks_document" ON "processing_tasks" USING btree ("document_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "relationships_edge" ON "relationships" USING btree ("project","type","source_id","target_id","document_id","version");