-- How many rows an import deleted: a replace's rows the file does not have, a source full read's rows the
-- source no longer has (GET /v1/imports/{id} rowsDeleted). Before, a replace reported its upserts only.
-- Additive: a new column with a default (earlier imports show 0).

-- AlterTable
ALTER TABLE "imports" ADD COLUMN     "rows_deleted" BIGINT NOT NULL DEFAULT 0;
