-- The warehouse tables (`StagedLoad` in libs/warehouse/src/warehouse.ts; docs/metrics.md, "Warehouse") as PostgreSQL tables, for the hand-written reference
-- queries in this folder. Same names and columns as the DuckDB/BigQuery warehouse tables.
CREATE TABLE customers (external_id text NOT NULL, name text, email text, segment text, plan text, owner text,
  customer_since date, custom jsonb, loaded_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE products (sku text NOT NULL, name text, category text, price numeric(18,4), custom jsonb,
  loaded_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (external_id text NOT NULL, customer_external_id text NOT NULL, ordered_at timestamptz NOT NULL,
  status text, currency text, total numeric(18,4), custom jsonb, loaded_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE order_items (order_external_id text NOT NULL, line_number bigint, sku text NOT NULL,
  quantity numeric(18,4) NOT NULL, unit_price numeric(18,4) NOT NULL, custom jsonb, loaded_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE subscriptions (external_id text NOT NULL, customer_external_id text NOT NULL, plan text,
  mrr numeric(18,4) NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz, status text, custom jsonb,
  loaded_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE usage_events (external_id text, customer_external_id text NOT NULL, type text NOT NULL,
  occurred_at timestamptz NOT NULL, properties jsonb, custom jsonb, loaded_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE nps_responses (external_id text, customer_external_id text NOT NULL, score bigint NOT NULL,
  responded_at timestamptz NOT NULL, comment text, custom jsonb, loaded_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE support_tickets (external_id text NOT NULL, customer_external_id text NOT NULL, opened_at timestamptz NOT NULL,
  closed_at timestamptz, status text, priority text, custom jsonb, loaded_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE contacts (external_id text NOT NULL, customer_external_id text, name text, email text, role text, custom jsonb,
  loaded_at timestamptz NOT NULL DEFAULT now());
