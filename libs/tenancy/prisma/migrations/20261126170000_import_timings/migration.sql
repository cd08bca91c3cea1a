-- Imports record how long each loading step took: GET /v1/imports/{id} `timings` (docs/ingestion.md).
-- Additive: a new defaulted column.

-- AlterTable
ALTER TABLE "imports" ADD COLUMN     "timings" JSONB NOT NULL DEFAULT '{}';
