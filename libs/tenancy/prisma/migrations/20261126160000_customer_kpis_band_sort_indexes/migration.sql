-- Hand-written (partial indexes, which `prisma migrate diff` ignores, so the schema needs no change).
-- No semicolons in comments: the Prisma CLI splits scripts on them when it replays migrations.
--
-- "Customers of one health band, sorted by a KPI" is the API's main list (GET /v1/customers?healthBand=red
-- &sort=-revenue90d). With only (kpi, customer_id) indexes the plan walks the KPI index and throws away the
-- rows of the other bands (two of three), and sorting the band by score is all (health_band, health_score,
-- customer_id) serves. These (health_band, kpi, customer_id) indexes give the page straight from the index,
-- in either direction, with the keyset cursor as an index condition. Partial: a customer without a band is
-- never found by a band filter. The KPIs are the ones lists of at-risk customers are sorted by (revenue,
-- MRR, recency of the last order). customer_kpis is rebuilt with its indexes by the metrics write-back.
CREATE INDEX "customer_kpis_band_revenue_90d_idx" ON "customer_kpis" ("health_band", "revenue_90d", "customer_id")
  WHERE "health_band" IS NOT NULL;
CREATE INDEX "customer_kpis_band_revenue_total_idx" ON "customer_kpis" ("health_band", "revenue_total", "customer_id")
  WHERE "health_band" IS NOT NULL;
CREATE INDEX "customer_kpis_band_mrr_idx" ON "customer_kpis" ("health_band", "mrr", "customer_id")
  WHERE "health_band" IS NOT NULL;
CREATE INDEX "customer_kpis_band_last_order_at_idx" ON "customer_kpis" ("health_band", "last_order_at", "customer_id")
  WHERE "health_band" IS NOT NULL;
