-- AlterTable
ALTER TABLE "tenants" ADD COLUMN "erased_at" TIMESTAMPTZ(3);
