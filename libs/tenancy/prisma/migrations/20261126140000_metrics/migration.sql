-- AlterTable
ALTER TABLE "metric_runs" ADD COLUMN     "covered_by_run_id" UUID,
ADD COLUMN     "data_watermark" TEXT,
ADD COLUMN     "params" JSONB;

-- CreateIndex
CREATE INDEX "metric_runs_covered_by_run_id_idx" ON "metric_runs"("covered_by_run_id");

-- CreateIndex
CREATE INDEX "metric_runs_status_requested_at_idx" ON "metric_runs"("status", "requested_at");

-- AddForeignKey
ALTER TABLE "metric_runs" ADD CONSTRAINT "metric_runs_covered_by_run_id_fkey" FOREIGN KEY ("covered_by_run_id") REFERENCES "metric_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

