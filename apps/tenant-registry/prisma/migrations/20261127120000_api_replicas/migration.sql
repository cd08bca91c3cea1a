-- CreateTable
CREATE TABLE "api_replicas" (
    "instance_id" TEXT NOT NULL,
    "replica_group" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "api_replicas_pkey" PRIMARY KEY ("instance_id")
);

-- CreateIndex
CREATE INDEX "api_replicas_replica_group_last_seen_at_idx" ON "api_replicas"("replica_group", "last_seen_at");
