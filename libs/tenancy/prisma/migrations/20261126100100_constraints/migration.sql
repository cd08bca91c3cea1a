-- Hand-written: what the Prisma schema language cannot express. `prisma migrate diff` ignores CHECK
-- constraints and partial indexes, so later generated migrations leave these alone.
-- No semicolons in comments: the Prisma CLI splits scripts on them when it replays migrations.

-- Value ranges of collected data (a bad value is a rejected row, caught first by ingestion validation:
-- these are the last line of defence for every other writer).
ALTER TABLE "nps_responses" ADD CONSTRAINT "nps_responses_score_check" CHECK ("score" BETWEEN 0 AND 10);
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_line_number_check" CHECK ("line_number" > 0);

-- Pipeline bookkeeping.
ALTER TABLE "imports" ADD CONSTRAINT "imports_row_counts_check"
  CHECK ("rows_received" >= 0 AND "rows_loaded" >= 0 AND "rows_rejected" >= 0);
ALTER TABLE "import_errors" ADD CONSTRAINT "import_errors_line_number_check" CHECK ("line_number" >= 0);
-- Workers pick up work that is not finished yet: a small index over a small subset of a growing table.
CREATE INDEX "imports_unfinished_partial_idx" ON "imports" ("created_at", "id")
  WHERE "status" IN ('queued', 'running');

-- The messaging lib's relay reads unpublished events in id order (same name and shape as in its
-- OUTBOX_TABLE_SQL, so that `CREATE INDEX IF NOT EXISTS` there is a no-op here).
CREATE INDEX "outbox_unpublished_idx" ON "outbox" ("id") WHERE "published_at" IS NULL;

-- Computed data.
ALTER TABLE "customer_kpis" ADD CONSTRAINT "customer_kpis_rfm_check" CHECK (
  ("rfm_recency" IS NULL OR "rfm_recency" BETWEEN 1 AND 5) AND
  ("rfm_frequency" IS NULL OR "rfm_frequency" BETWEEN 1 AND 5) AND
  ("rfm_monetary" IS NULL OR "rfm_monetary" BETWEEN 1 AND 5)
);
ALTER TABLE "customer_kpis" ADD CONSTRAINT "customer_kpis_health_score_check"
  CHECK ("health_score" IS NULL OR "health_score" BETWEEN 0 AND 100);
ALTER TABLE "customer_kpis" ADD CONSTRAINT "customer_kpis_counts_check"
  CHECK ("orders_count" >= 0 AND "open_tickets" >= 0);
ALTER TABLE "customer_kpis" ADD CONSTRAINT "customer_kpis_last_nps_check"
  CHECK ("last_nps" IS NULL OR "last_nps" BETWEEN 0 AND 10);
ALTER TABLE "product_kpis" ADD CONSTRAINT "product_kpis_repeat_buyer_rate_check"
  CHECK ("repeat_buyer_rate" IS NULL OR "repeat_buyer_rate" BETWEEN 0 AND 1);
ALTER TABLE "health_scores" ADD CONSTRAINT "health_scores_score_check" CHECK ("score" BETWEEN 0 AND 100);
ALTER TABLE "scorecards" ADD CONSTRAINT "scorecards_version_check" CHECK ("version" > 0);
-- At most one active scorecard version: activating another is "deactivate old, activate new" in one
-- transaction.
CREATE UNIQUE INDEX "scorecards_one_active_idx" ON "scorecards" ("active") WHERE "active";
