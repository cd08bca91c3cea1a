import { z } from 'zod';
import { defineEvent } from './event-contract';

const tenantStatus = z.enum(['provisioning', 'provisioning_failed', 'onboarding', 'active', 'suspended', 'offboarded']);

export const tenantProvisionedV1 = defineEvent({
  topic: 'tenant.provisioned.v1',
  description: "A tenant's database and role exist and carry the current tenant schema; the tenant is onboarding.",
  payload: z.object({
    slug: z.string(),
    name: z.string(),
    plan: z.string(),
    databaseName: z.string(),
    tenantSchemaVersion: z.string(),
  }),
});

export const tenantUpdatedV1 = defineEvent({
  topic: 'tenant.updated.v1',
  description: 'A tenant changed status, plan, hostnames or settings; caches of tenant resolution must refresh.',
  payload: z.object({
    slug: z.string(),
    status: tenantStatus,
    plan: z.string(),
    hostnames: z.array(z.string()),
    /** Names of the fields that changed, e.g. ["status"]. */
    changed: z.array(z.string()),
  }),
});

export const tenantOffboardedV1 = defineEvent({
  topic: 'tenant.offboarded.v1',
  description: "A tenant's data was exported and its database and role dropped; only a tombstone remains.",
  payload: z.object({
    slug: z.string(),
    exportUri: z.string(),
    offboardedAt: z.iso.datetime(),
  }),
});
