-- Hand-written: what the other services' control-plane login (pulse_app, docs/deploy.md) may do.
-- They read the control plane to resolve tenants (API keys, hostnames) and to find tenant databases,
-- and record when an API key was last used. Nothing else: tenants are changed only by the registry.
-- Where no pulse_app role exists (local development, tests) every service uses one login and this is a no-op.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_app') THEN
    GRANT USAGE ON SCHEMA public TO pulse_app;
    GRANT SELECT ON "tenants", "tenant_hostnames", "api_keys", "tenant_databases" TO pulse_app;
    GRANT UPDATE ("last_used_at") ON "api_keys" TO pulse_app;
  END IF;
END
$$;
