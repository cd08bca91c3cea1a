-- GET /v1/customers sorts on every KPI, and every sort must page through an index (keyset pagination:
-- the first page and each next one read 51 index entries, not a sort of every customer). These KPIs had
-- none: a page sorted by openTickets, lastNps, an RFM score, firstOrderAt or daysSinceLastOrder sorted every
-- customer with KPIs to give one page. days_since_last_order orders like last_order_at reversed
-- within one run, but not across the ties of one day, so the keyset needs its own index.
-- customer_kpis is rebuilt with the live table's indexes by each metrics write-back.

-- CreateIndex
CREATE INDEX "customer_kpis_first_order_at_idx" ON "customer_kpis"("first_order_at", "customer_id");

-- CreateIndex
CREATE INDEX "customer_kpis_days_since_last_order_idx" ON "customer_kpis"("days_since_last_order", "customer_id");

-- CreateIndex
CREATE INDEX "customer_kpis_rfm_recency_idx" ON "customer_kpis"("rfm_recency", "customer_id");

-- CreateIndex
CREATE INDEX "customer_kpis_rfm_frequency_idx" ON "customer_kpis"("rfm_frequency", "customer_id");

-- CreateIndex
CREATE INDEX "customer_kpis_rfm_monetary_idx" ON "customer_kpis"("rfm_monetary", "customer_id");

-- CreateIndex
CREATE INDEX "customer_kpis_last_nps_idx" ON "customer_kpis"("last_nps", "customer_id");

-- CreateIndex
CREATE INDEX "customer_kpis_open_tickets_idx" ON "customer_kpis"("open_tickets", "customer_id");
