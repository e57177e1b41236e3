ALTER TABLE "events" ADD COLUMN "superseded" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Archives written before this index may hold a stage output twice for one (document, version)
-- (a re-run after a failover); the first archived stays, the later ones are marked, not deleted.
UPDATE "events" AS later SET "superseded" = true FROM "events" AS first
WHERE later.type IN ('document.submitted', 'document.text_extracted', 'document.classified', 'document.chunked', 'document.entities_extracted', 'document.entities_resolved', 'document.completed')
  AND first.type = later.type AND first.document_id = later.document_id AND first.version = later.version
  AND first.id < later.id;--> statement-breakpoint
CREATE UNIQUE INDEX "events_output_once" ON "events" USING btree ("type","document_id","version") WHERE NOT superseded AND type IN ('document.submitted', 'document.text_extracted', 'document.classified', 'document.chunked', 'document.entities_extracted', 'document.entities_resolved', 'document.completed');
