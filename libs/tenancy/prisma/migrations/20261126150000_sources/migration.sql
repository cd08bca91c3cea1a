-- Sources (issue 8, docs/connectors.md): what a source loads into (entity, mapping), its sealed
-- credentials (SecretBox, AES-256-GCM), the columns recorded at setup for the schema drift check, and
-- the scheduler's bookkeeping. Additive: new nullable or defaulted columns and a new table.

-- AlterTable
ALTER TABLE "sources" ADD COLUMN     "columns" JSONB,
ADD COLUMN     "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "credentials" TEXT,
ADD COLUMN     "entity" TEXT NOT NULL DEFAULT 'customers',
ADD COLUMN     "mapping" JSONB,
ADD COLUMN     "next_sync_at" TIMESTAMPTZ;

-- CreateTable
CREATE TABLE "source_syncs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "source_id" UUID NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "rows_read" BIGINT NOT NULL DEFAULT 0,
    "rows_loaded" BIGINT NOT NULL DEFAULT 0,
    "rows_rejected" BIGINT NOT NULL DEFAULT 0,
    "rows_deleted" BIGINT NOT NULL DEFAULT 0,
    "files_loaded" INTEGER NOT NULL DEFAULT 0,
    "import_ids" UUID[] DEFAULT ARRAY[]::UUID[],
    "error_code" TEXT,
    "error" TEXT,
    "requested_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ,
    "finished_at" TIMESTAMPTZ,

    CONSTRAINT "source_syncs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "source_syncs_source_id_requested_at_idx" ON "source_syncs"("source_id", "requested_at");

-- CreateIndex
CREATE INDEX "sources_next_sync_at_idx" ON "sources"("next_sync_at");

-- AddForeignKey
ALTER TABLE "source_syncs" ADD CONSTRAINT "source_syncs_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "sources"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written (Prisma cannot express these).
ALTER TABLE "source_syncs" ADD CONSTRAINT "source_syncs_trigger_check" CHECK ("trigger" IN ('manual', 'schedule'));
ALTER TABLE "source_syncs" ADD CONSTRAINT "source_syncs_status_check"
  CHECK ("status" IN ('queued', 'running', 'succeeded', 'partially_succeeded', 'failed'));
ALTER TABLE "sources" ADD CONSTRAINT "sources_consecutive_failures_check" CHECK ("consecutive_failures" >= 0);
-- The scheduler's queue of manual runs: only queued rows, oldest first.
CREATE INDEX "source_syncs_queued_idx" ON "source_syncs" ("requested_at") WHERE "status" = 'queued';
