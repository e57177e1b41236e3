-- Databases projected before this index may hold repeated "completed" rows for one (document,
-- version, stage); the first completion stays, as the projector keeps it from now on.
DELETE FROM "processing_tasks" AS later USING "processing_tasks" AS first
WHERE later.status = 'completed' AND first.status = 'completed'
  AND later.document_id = first.document_id AND later.version = first.version AND later.stage = first.stage
  AND (later.finished_at, later.id) > (first.finished_at, first.id);--> statement-breakpoint
CREATE UNIQUE INDEX "processing_tasks_completed_once" ON "processing_tasks" USING btree ("document_id","version","stage") WHERE status = 'completed';
