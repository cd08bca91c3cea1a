-- The imports whose warehouse loads are not handed over yet (`checkpoint` has a "warehouse" key): every
-- import looks them up as it commits (ingestion's deliverWarehouseLoads), which without an index read the
-- tenant's whole import history each time. Partial, so it holds only those few rows (hand-written: Prisma
-- cannot express it). Additive.
CREATE INDEX "imports_pending_warehouse_idx" ON "imports" ("finished_at", "id") WHERE "checkpoint" ? 'warehouse';
