-- The tenant's imports queued or running: counted before every upload (the api's cap on pending imports,
-- IMPORT_MAX_PENDING_PER_TENANT), which without an index read the whole import history (source syncs add
-- an import per batch). Partial, so it holds only those few rows (hand-written: Prisma cannot express it).
-- Additive.
CREATE INDEX "imports_pending_idx" ON "imports" ("status") WHERE "status" IN ('queued', 'running');
