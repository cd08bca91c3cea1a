-- customer_kpis, hand-written for DuckDB from the definitions in docs/metrics.md (not generated).
-- (DuckDB: `/` divides as floating point; `//` is integer division.)
-- $1 as_of date, $2 IANA timezone, $3 churn window days (unused here), $4 excluded order statuses (text[], lower case)
WITH p AS (
  SELECT $1::date AS as_of,
         $2::text AS tz,
         $3::int AS churn_window_days,
         $4::VARCHAR[] AS excluded,
         (($1::date + 1)::timestamp AT TIME ZONE $2::text) AS as_of_end,
         (($1::date - 29)::timestamp AT TIME ZONE $2::text) AS since_30d,
         (($1::date - 89)::timestamp AT TIME ZONE $2::text) AS since_90d,
         (($1::date - 364)::timestamp AT TIME ZONE $2::text) AS since_365d
),
good_orders AS (
  SELECT o.customer_external_id, o.ordered_at, coalesce(o.total, 0) AS total
  FROM orders o CROSS JOIN p
  WHERE o.ordered_at < p.as_of_end AND (o.status IS NULL OR NOT list_contains(p.excluded, lower(o.status)))
),
order_stats AS (
  SELECT g.customer_external_id,
         count(*) AS orders_count,
         min(g.ordered_at) AS first_order_at,
         max(g.ordered_at) AS last_order_at,
         sum(g.total) AS revenue_total,
         coalesce(sum(g.total) FILTER (WHERE g.ordered_at >= p.since_30d), 0) AS revenue_30d,
         coalesce(sum(g.total) FILTER (WHERE g.ordered_at >= p.since_90d), 0) AS revenue_90d,
         coalesce(sum(g.total) FILTER (WHERE g.ordered_at >= p.since_365d), 0) AS revenue_365d,
         count(*) FILTER (WHERE g.ordered_at >= p.since_30d) AS orders_30d
  FROM good_orders g CROSS JOIN p
  GROUP BY g.customer_external_id
),
mrr AS (
  SELECT s.customer_external_id, sum(s.mrr) AS mrr
  FROM subscriptions s CROSS JOIN p
  WHERE s.started_at < p.as_of_end AND (s.ended_at IS NULL OR s.ended_at >= p.as_of_end)
  GROUP BY s.customer_external_id
),
last_nps AS (
  -- latest response; several at the same instant: the highest score
  SELECT DISTINCT ON (n.customer_external_id) n.customer_external_id, n.score
  FROM nps_responses n CROSS JOIN p
  WHERE n.responded_at < p.as_of_end
  ORDER BY n.customer_external_id, n.responded_at DESC, n.score DESC
),
tickets AS (
  SELECT t.customer_external_id, count(*) AS open_tickets
  FROM support_tickets t CROSS JOIN p
  WHERE t.opened_at < p.as_of_end
    AND (t.closed_at >= p.as_of_end
         OR (t.closed_at IS NULL AND (t.status IS NULL OR lower(t.status) NOT IN ('closed', 'resolved', 'solved'))))
  GROUP BY t.customer_external_id
),
usage_30d AS (
  SELECT DISTINCT u.customer_external_id
  FROM usage_events u CROSS JOIN p
  WHERE u.occurred_at >= p.since_30d AND u.occurred_at < p.as_of_end
),
base AS (
  SELECT c.external_id,
         coalesce(s.orders_count, 0) AS orders_count,
         s.first_order_at,
         s.last_order_at,
         p.as_of - (s.last_order_at AT TIME ZONE p.tz)::date AS days_since_last_order,
         coalesce(s.revenue_total, 0) AS revenue_total,
         coalesce(s.revenue_30d, 0) AS revenue_30d,
         coalesce(s.revenue_90d, 0) AS revenue_90d,
         coalesce(s.revenue_365d, 0) AS revenue_365d,
         s.revenue_total / nullif(s.orders_count, 0) AS aov,
         coalesce(m.mrr, 0) AS mrr,
         n.score AS last_nps,
         coalesce(t.open_tickets, 0) AS open_tickets,
         (coalesce(s.orders_30d, 0) > 0 OR u.customer_external_id IS NOT NULL) AS active_30d
  FROM (SELECT DISTINCT external_id FROM customers WHERE customer_since IS NULL OR customer_since <= $1::date) c
  CROSS JOIN p
  LEFT JOIN order_stats s ON s.customer_external_id = c.external_id
  LEFT JOIN mrr m ON m.customer_external_id = c.external_id
  LEFT JOIN last_nps n ON n.customer_external_id = c.external_id
  LEFT JOIN tickets t ON t.customer_external_id = c.external_id
  LEFT JOIN usage_30d u ON u.customer_external_id = c.external_id
),
-- Quintiles among customers with orders: 1 + floor(5 * (rank - 1) / n); ties share the lowest rank.
scored AS (
  SELECT b.*,
         1 + (5 * (rank() OVER (ORDER BY days_since_last_order DESC) - 1)) // count(*) OVER () AS r,
         1 + (5 * (rank() OVER (ORDER BY orders_count) - 1)) // count(*) OVER () AS f,
         1 + (5 * (rank() OVER (ORDER BY revenue_total) - 1)) // count(*) OVER () AS m
  FROM base b WHERE orders_count > 0
),
segmented AS (
  SELECT s.external_id, s.r, s.f, s.m,
         CASE
           WHEN s.r = 5 AND (s.f + s.m + 1) // 2 >= 4 THEN 'Champions'
           WHEN s.r IN (3, 4) AND (s.f + s.m + 1) // 2 >= 4 THEN 'Loyal'
           WHEN s.r >= 4 AND (s.f + s.m + 1) // 2 IN (2, 3) THEN 'Potential Loyalists'
           WHEN s.r = 5 AND (s.f + s.m + 1) // 2 = 1 THEN 'New Customers'
           WHEN s.r = 4 AND (s.f + s.m + 1) // 2 = 1 THEN 'Promising'
           WHEN s.r = 3 AND (s.f + s.m + 1) // 2 = 3 THEN 'Need Attention'
           WHEN s.r = 3 AND (s.f + s.m + 1) // 2 <= 2 THEN 'About to Sleep'
           WHEN s.r <= 2 AND (s.f + s.m + 1) // 2 = 5 THEN 'Can''t Lose Them'
           WHEN s.r <= 2 AND (s.f + s.m + 1) // 2 IN (3, 4) THEN 'At Risk'
           WHEN s.r <= 2 AND (s.f + s.m + 1) // 2 <= 2 THEN 'Hibernating'
         END AS segment
  FROM scored s
)
SELECT b.external_id AS customer_external_id,
       b.orders_count,
       strftime(b.first_order_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS first_order_at,
       strftime(b.last_order_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS last_order_at,
       b.days_since_last_order,
       round(b.revenue_total, 4) AS revenue_total,
       round(b.revenue_30d, 4) AS revenue_30d,
       round(b.revenue_90d, 4) AS revenue_90d,
       round(b.revenue_365d, 4) AS revenue_365d,
       round(b.aov, 4) AS aov,
       sg.r AS rfm_recency,
       sg.f AS rfm_frequency,
       sg.m AS rfm_monetary,
       sg.segment AS rfm_segment,
       round(b.mrr, 4) AS mrr,
       b.last_nps,
       b.open_tickets,
       b.active_30d
FROM base b
LEFT JOIN segmented sg ON sg.external_id = b.external_id
ORDER BY b.external_id;
