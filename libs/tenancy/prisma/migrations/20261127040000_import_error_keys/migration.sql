-- A line the parser rejected keeps the key fields it gave readably ({ "external_id": "c2" }): the row it
-- was meant for, which a replace must not delete and an order's line numbering must count
-- (docs/ingestion.md). Additive: a new nullable column.

-- AlterTable
ALTER TABLE "import_errors" ADD COLUMN     "key" JSONB;
