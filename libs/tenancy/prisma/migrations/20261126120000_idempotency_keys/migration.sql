-- Idempotency-Key records of the public API (POSTs that create work). They live in the tenant's own
-- database, so keys are scoped per tenant by construction. Additive: a new table only.
CREATE TABLE "idempotency_keys" (
    "key" TEXT NOT NULL,
    -- sha256 of method, path and canonical JSON body: the same key with another request is refused.
    "request_hash" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'in_progress',
    "response_status" INTEGER,
    "response_body" JSONB,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "completed_at" TIMESTAMPTZ,
    "expires_at" TIMESTAMPTZ NOT NULL,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("key"),
    CONSTRAINT "idempotency_keys_status_check" CHECK ("status" IN ('in_progress', 'completed')),
    CONSTRAINT "idempotency_keys_key_check" CHECK (char_length("key") BETWEEN 1 AND 255),
    CONSTRAINT "idempotency_keys_completed_check" CHECK (("status" = 'completed') = ("response_status" IS NOT NULL))
);

-- For the purge of expired keys.
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys" ("expires_at");
