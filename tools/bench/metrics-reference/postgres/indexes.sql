-- Indexes a PostgreSQL engineer would add for the reference queries (run after loading the data).
CREATE INDEX ON orders (customer_external_id);
CREATE INDEX ON orders (external_id);
CREATE INDEX ON order_items (order_external_id);
CREATE INDEX ON subscriptions (customer_external_id);
ANALYZE;
