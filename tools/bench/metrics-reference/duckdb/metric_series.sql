-- metric_series, hand-written for DuckDB from the definitions in docs/metrics.md (not generated).
-- $1 as_of date, $2 IANA timezone, $3 churn window days, $4 excluded order statuses (text[], lower case)
-- Output: one row per (metric, grain, period_start) from the first period with data to the as-of period.
WITH p AS (
  SELECT $1::date AS as_of, $2::text AS tz, $3::int AS w, $4::VARCHAR[] AS excluded,
         (($1::date + 1)::timestamp AT TIME ZONE $2::text) AS as_of_end
),
good AS (
  SELECT o.customer_external_id AS cid, (o.ordered_at AT TIME ZONE p.tz)::date AS day, coalesce(o.total, 0) AS total
  FROM orders o CROSS JOIN p
  WHERE o.ordered_at < p.as_of_end AND (o.status IS NULL OR NOT list_contains(p.excluded, lower(o.status)))
),
usage_days AS (
  SELECT DISTINCT u.customer_external_id AS cid, (u.occurred_at AT TIME ZONE p.tz)::date AS day
  FROM usage_events u CROSS JOIN p WHERE u.occurred_at < p.as_of_end
),
subs AS (
  SELECT s.customer_external_id AS cid, s.mrr, (s.started_at AT TIME ZONE p.tz)::date AS start_day,
         CASE WHEN s.ended_at < p.as_of_end THEN (s.ended_at AT TIME ZONE p.tz)::date END AS end_day
  FROM subscriptions s CROSS JOIN p
  WHERE s.started_at < p.as_of_end AND (s.ended_at IS NULL OR s.ended_at >= s.started_at)
),
nps AS (
  SELECT (n.responded_at AT TIME ZONE p.tz)::date AS day, n.score
  FROM nps_responses n CROSS JOIN p WHERE n.responded_at < p.as_of_end
),
first_day AS (
  SELECT least((SELECT min(day) FROM good), (SELECT min(day) FROM usage_days),
               (SELECT min(start_day) FROM subs), (SELECT min(day) FROM nps)) AS day
),
periods AS (
  SELECT g.grain, d::date AS period_start,
         least((d + ('1 ' || g.grain)::interval)::date - 1, p.as_of) AS period_end
  FROM (VALUES ('day'), ('week'), ('month')) AS g(grain)
  CROSS JOIN first_day f CROSS JOIN p
  CROSS JOIN LATERAL generate_series(date_trunc(g.grain, f.day::timestamp), date_trunc(g.grain, p.as_of::timestamp),
                                     ('1 ' || g.grain)::interval) AS gs(d)
  WHERE f.day IS NOT NULL
),
order_days AS (
  SELECT cid, day, lead(day) OVER (PARTITION BY cid ORDER BY day) AS next_day
  FROM (SELECT DISTINCT cid, day FROM good) x
),
grains AS (
  SELECT grain FROM (VALUES ('day'), ('week'), ('month')) AS g(grain)
),
-- per day: orders, revenue; alive-customer changes (+1 on an order day, -1 when the customer leaves the
-- churn window or orders again); MRR changes. Then summed per period of each grain.
day_facts AS (
  SELECT day, sum(revenue) AS revenue, sum(orders) AS orders, sum(alive_delta) AS alive_delta, sum(mrr_delta) AS mrr_delta
  FROM (
    SELECT day, total AS revenue, 1 AS orders, 0 AS alive_delta, 0::DECIMAL(38,6) AS mrr_delta FROM good
    UNION ALL
    SELECT day, 0, 0, 1, 0 FROM order_days
    UNION ALL
    SELECT least(day + p.w + 1, coalesce(next_day, day + p.w + 1)), 0, 0, -1, 0
    FROM order_days CROSS JOIN p WHERE least(day + p.w + 1, coalesce(next_day, day + p.w + 1)) <= p.as_of
    UNION ALL
    SELECT start_day, 0, 0, 0, mrr FROM subs
    UNION ALL
    SELECT end_day, 0, 0, 0, -mrr FROM subs WHERE end_day IS NOT NULL
  ) facts
  GROUP BY day
),
period_facts AS (
  SELECT pr.grain, pr.period_start, f.revenue, f.orders, f.alive_delta, f.mrr_delta
  FROM periods pr
  LEFT JOIN (
    SELECT g.grain, date_trunc(g.grain, d.day::timestamp)::date AS period_start,
           sum(d.revenue) AS revenue, sum(d.orders) AS orders, sum(d.alive_delta) AS alive_delta, sum(d.mrr_delta) AS mrr_delta
    FROM day_facts d CROSS JOIN grains g
    GROUP BY 1, 2
  ) f USING (grain, period_start)
),
running AS (
  SELECT grain, period_start, coalesce(revenue, 0) AS revenue, coalesce(orders, 0) AS orders,
         coalesce(sum(alive_delta) OVER w_before, 0) AS customers_at_start,
         coalesce(sum(mrr_delta) OVER w_through, 0) AS mrr_end,
         coalesce(sum(mrr_delta) OVER w_before, 0) AS mrr_start
  FROM period_facts
  WINDOW w_before AS (PARTITION BY grain ORDER BY period_start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
         w_through AS (PARTITION BY grain ORDER BY period_start ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
active AS (
  SELECT g.grain, date_trunc(g.grain, a.day::timestamp)::date AS period_start, count(DISTINCT a.cid) AS n
  FROM (SELECT cid, day FROM good UNION SELECT cid, day FROM usage_days) a CROSS JOIN grains g
  GROUP BY 1, 2
),
newcomers AS (
  SELECT g.grain, date_trunc(g.grain, f.day::timestamp)::date AS period_start, count(*) AS n
  FROM (SELECT cid, min(day) AS day FROM good GROUP BY cid) f CROSS JOIN grains g
  GROUP BY 1, 2
),
churns AS (
  SELECT g.grain, date_trunc(g.grain, c.day::timestamp)::date AS period_start, count(DISTINCT c.cid) AS n
  FROM (SELECT cid, day + p.w + 1 AS day FROM order_days CROSS JOIN p
        WHERE (next_day IS NULL OR next_day - day > p.w) AND day + p.w + 1 <= p.as_of) c
  CROSS JOIN grains g
  GROUP BY 1, 2
),
-- NRR/GRR: for each customer whose MRR changed in the period, its MRR at the period start (subscriptions
-- running at the end of the day before) and at the period end, straight from the subscriptions.
movers AS (
  SELECT DISTINCT g.grain, date_trunc(g.grain, x.day::timestamp)::date AS period_start, x.cid
  FROM (SELECT cid, start_day AS day FROM subs UNION SELECT cid, end_day FROM subs WHERE end_day IS NOT NULL) x
  CROSS JOIN grains g
),
mover_levels AS (
  SELECT m.grain, m.period_start,
         coalesce(sum(s.mrr) FILTER (WHERE s.start_day < m.period_start AND (s.end_day IS NULL OR s.end_day >= m.period_start)), 0) AS start_mrr,
         coalesce(sum(s.mrr) FILTER (WHERE s.start_day <= pr.period_end AND (s.end_day IS NULL OR s.end_day > pr.period_end)), 0) AS end_mrr
  FROM movers m
  JOIN periods pr USING (grain, period_start)
  JOIN subs s ON s.cid = m.cid
  GROUP BY m.grain, m.period_start, m.cid
),
retention AS (
  SELECT grain, period_start,
         sum(greatest(end_mrr - start_mrr, 0)) FILTER (WHERE start_mrr > 0) AS expansion,
         sum(start_mrr - end_mrr) FILTER (WHERE start_mrr > 0 AND end_mrr > 0 AND end_mrr < start_mrr) AS contraction,
         sum(start_mrr) FILTER (WHERE start_mrr > 0 AND end_mrr <= 0) AS churned
  FROM mover_levels GROUP BY grain, period_start
),
nps_periods AS (
  SELECT g.grain, date_trunc(g.grain, n.day::timestamp)::date AS period_start,
         100.0 * (count(*) FILTER (WHERE n.score >= 9) - count(*) FILTER (WHERE n.score <= 6)) / count(*) AS nps
  FROM nps n CROSS JOIN grains g
  GROUP BY 1, 2
),
wide AS (
  SELECT r.grain, r.period_start, r.revenue, r.orders,
         coalesce(a.n, 0) AS active_customers, coalesce(nc.n, 0) AS new_customers, coalesce(c.n, 0) AS churned_customers,
         coalesce(c.n, 0)::DECIMAL(38,6) / nullif(r.customers_at_start, 0) AS churn_rate,
         r.mrr_end AS mrr,
         (r.mrr_start + coalesce(rt.expansion, 0) - coalesce(rt.contraction, 0) - coalesce(rt.churned, 0)) / nullif(r.mrr_start, 0) AS nrr,
         (r.mrr_start - coalesce(rt.contraction, 0) - coalesce(rt.churned, 0)) / nullif(r.mrr_start, 0) AS grr,
         np.nps
  FROM running r
  LEFT JOIN active a USING (grain, period_start)
  LEFT JOIN newcomers nc USING (grain, period_start)
  LEFT JOIN churns c USING (grain, period_start)
  LEFT JOIN retention rt USING (grain, period_start)
  LEFT JOIN nps_periods np USING (grain, period_start)
)
SELECT v.metric, w.grain, w.period_start, round(v.value, 6) AS value
FROM wide w
CROSS JOIN LATERAL (VALUES
  ('revenue', w.revenue::DECIMAL(38,6)), ('orders', w.orders::DECIMAL(38,6)), ('active_customers', w.active_customers::DECIMAL(38,6)),
  ('new_customers', w.new_customers::DECIMAL(38,6)), ('churned_customers', w.churned_customers::DECIMAL(38,6)),
  ('churn_rate', w.churn_rate), ('mrr', w.mrr), ('nrr', w.nrr), ('grr', w.grr), ('nps', w.nps)
) AS v(metric, value)
ORDER BY v.metric, w.grain, w.period_start;
