-- product_kpis, hand-written for DuckDB from the definitions in docs/metrics.md (not generated).
-- $1 as_of date, $2 IANA timezone, $3 churn window days (unused here), $4 excluded order statuses (text[], lower case)
WITH p AS (
  SELECT $1::date AS as_of, $2::text AS tz, $3::int AS churn_window_days, $4::VARCHAR[] AS excluded,
         (($1::date + 1)::timestamp AT TIME ZONE $2::text) AS as_of_end
),
lines AS (
  SELECT i.sku, o.customer_external_id AS buyer, o.ordered_at, (o.ordered_at AT TIME ZONE p.tz)::date AS day,
         i.quantity, i.unit_price
  FROM order_items i
  JOIN orders o ON o.external_id = i.order_external_id
  CROSS JOIN p
  WHERE o.ordered_at < p.as_of_end AND (o.status IS NULL OR NOT list_contains(p.excluded, lower(o.status)))
),
per_sku AS (
  SELECT sku, min(ordered_at) AS first_purchase_at, max(ordered_at) AS last_purchase_at,
         sum(quantity) AS units, sum(quantity * unit_price) AS revenue, count(DISTINCT buyer) AS distinct_buyers
  FROM lines GROUP BY sku
),
buyer_days AS (
  SELECT DISTINCT sku, buyer, day FROM lines
),
repeaters AS (
  SELECT sku, count(*) AS repeat_buyers
  FROM (SELECT sku, buyer FROM buyer_days GROUP BY sku, buyer HAVING count(*) >= 2) r
  GROUP BY sku
),
gaps AS (
  SELECT sku, day - lag(day) OVER (PARTITION BY sku, buyer ORDER BY day) AS gap FROM buyer_days
),
medians AS (
  SELECT sku, percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_gap
  FROM gaps WHERE gap IS NOT NULL GROUP BY sku
),
-- listed products, and SKUs on lines of orders placed up to the as-of day in any status
skus AS (
  SELECT sku FROM products
  UNION
  SELECT i.sku FROM order_items i JOIN orders o ON o.external_id = i.order_external_id CROSS JOIN p
  WHERE o.ordered_at < p.as_of_end
)
SELECT k.sku,
       strftime(s.first_purchase_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS first_purchase_at,
       strftime(s.last_purchase_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS last_purchase_at,
       p.as_of - (s.last_purchase_at AT TIME ZONE p.tz)::date AS days_since_last_purchase,
       round(coalesce(s.units, 0), 4) AS units,
       round(coalesce(s.revenue, 0), 4) AS revenue,
       coalesce(s.distinct_buyers, 0) AS distinct_buyers,
       round(coalesce(r.repeat_buyers, 0)::DECIMAL(38,6) / nullif(s.distinct_buyers, 0), 6) AS repeat_buyer_rate,
       round(m.median_gap::DECIMAL(38,6), 2) AS median_reorder_interval_days
FROM skus k
CROSS JOIN p
LEFT JOIN per_sku s ON s.sku = k.sku
LEFT JOIN repeaters r ON r.sku = k.sku
LEFT JOIN medians m ON m.sku = k.sku
ORDER BY k.sku;
