-- An Idempotency-Key replay must be the first response, byte for byte: `json` keeps the text as written,
-- where `jsonb` reordered its keys. The table holds only keys younger than their TTL (hours), so the
-- rewrite is small.

-- AlterTable
ALTER TABLE "idempotency_keys" ALTER COLUMN "response_body" SET DATA TYPE JSON USING "response_body"::json;
