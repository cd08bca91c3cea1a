-- KPI amounts are sums of collected amounts, and those are NUMERIC(18,4) each (up to 99999999999999.9999,
-- what ingestion accepts): two orders of the largest total, a month of revenue, or one order line of the
-- largest quantity at the largest price (10^28) do not fit 18 digits, and a metrics run that cannot
-- write them back fails as a whole. NUMERIC(38,4) holds every amount the metric catalog computes (its
-- output is DECIMAL(38,4) on DuckDB), and the column still fixes the scale: the API keeps showing money
-- with exactly 4 decimals (an unbounded NUMERIC would keep whatever scale a value was written with).
-- The series value keeps its 6 decimals. Same scale, larger precision: PostgreSQL changes the type
-- without rewriting the table, and rebuilds the indexes on these columns with the same definitions (the
-- API's keyset and band-list indexes keep working), about what one metrics write-back costs.

-- AlterTable
ALTER TABLE "customer_kpis" ALTER COLUMN "revenue_total" SET DATA TYPE DECIMAL(38,4),
ALTER COLUMN "revenue_30d" SET DATA TYPE DECIMAL(38,4),
ALTER COLUMN "revenue_90d" SET DATA TYPE DECIMAL(38,4),
ALTER COLUMN "revenue_365d" SET DATA TYPE DECIMAL(38,4),
ALTER COLUMN "aov" SET DATA TYPE DECIMAL(38,4),
ALTER COLUMN "mrr" SET DATA TYPE DECIMAL(38,4);

-- AlterTable
ALTER TABLE "metric_series" ALTER COLUMN "value" SET DATA TYPE DECIMAL(38,6);

-- AlterTable
ALTER TABLE "product_kpis" ALTER COLUMN "units" SET DATA TYPE DECIMAL(38,4),
ALTER COLUMN "revenue" SET DATA TYPE DECIMAL(38,4);
