CREATE TABLE "registry_entities" (
	"project" text NOT NULL,
	"id" text NOT NULL,
	"type" text NOT NULL,
	"name" text NOT NULL,
	"aliases" jsonb NOT NULL,
	"roles" jsonb NOT NULL,
	CONSTRAINT "registry_entities_project_id_pk" PRIMARY KEY("project","id")
);
--> statement-breakpoint
CREATE TABLE "registry_keys" (
	"project" text NOT NULL,
	"key" text NOT NULL,
	"entity_id" text NOT NULL,
	CONSTRAINT "registry_keys_project_key_entity_id_pk" PRIMARY KEY("project","key","entity_id")
);
--> statement-breakpoint
CREATE TABLE "registry_revisions" (
	"project" text PRIMARY KEY NOT NULL,
	"revision" bigint NOT NULL
);
