import { z } from 'zod';

/** REST DTOs of the tenant registry's operator API (also read by tools/deploy). */

/**
 * Names under the tenant base domain that are never a tenant's (`api.<base domain>` is the bare API host):
 * no tenant may take them as its slug.
 */
const RESERVED_SLUGS: readonly string[] = ['api', 'www', 'admin', 'app', 'docs', 'status', 'mail', 'static', 'internal'];

export function isReservedSlug(label: string): boolean {
  return RESERVED_SLUGS.includes(label);
}

export const tenantSlugSchema = z
  .string()
  .min(3, 'must be at least 3 characters')
  .max(40, 'must be at most 40 characters')
  .regex(/^[a-z][a-z0-9-]*[a-z0-9]$/, 'must be lowercase letters, digits and dashes, starting with a letter and not ending with a dash')
  .refine((slug) => !slug.includes('--'), 'must not contain two dashes in a row')
  .refine((slug) => !isReservedSlug(slug), 'is reserved');

export const hostnameSchema = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lowercase DNS hostname such as analytics.acme.com');

export const tenantStatusSchema = z.enum(['provisioning', 'provisioning_failed', 'onboarding', 'active', 'suspended', 'offboarded']);

export const createTenantRequestSchema = z.strictObject({
  slug: tenantSlugSchema,
  name: z.string().trim().min(1).max(200),
  plan: z.string().trim().min(1).max(50).optional(),
  hostnames: z.array(hostnameSchema).max(20).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});

/**
 * PATCH /v1/tenants/{slug}: a JSON merge patch (RFC 7396) of the fields an operator may change after
 * creation, validated as POST validates them. `hostnames` replaces the list; `settings` is merged key by
 * key (nested objects likewise), a null value removing the key. Omitted fields stay as they are.
 */
export const updateTenantRequestSchema = z.strictObject({
  plan: createTenantRequestSchema.shape.plan,
  hostnames: createTenantRequestSchema.shape.hostnames,
  settings: createTenantRequestSchema.shape.settings,
});

export const tenantSchema = z.object({
  id: z.uuid(),
  slug: z.string(),
  name: z.string(),
  status: tenantStatusSchema,
  plan: z.string(),
  /** `<slug>.<base domain>` first, then custom hostnames. */
  hostnames: z.array(z.string()),
  settings: z.record(z.string(), z.unknown()),
  database: z
    .object({ name: z.string(), schemaVersion: z.string().nullable() })
    .nullable(),
  provisioningError: z.string().nullable(),
  exportUri: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  offboardedAt: z.iso.datetime().nullable(),
  /**
   * When offboarding last finished erasing the tenant (database and role dropped, files in object storage
   * deleted); null while it has not: an offboarded tenant without it needs DELETE again.
   */
  erasedAt: z.iso.datetime().nullable(),
});

export const apiKeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  /** The public part of the key (`pulse_<prefix>_...`), to recognise it; the secret is never shown again. */
  prefix: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});

export const issueApiKeyRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).default('default'),
  scopes: z.array(z.enum(['read', 'write'])).min(1).default(['read', 'write']),
});

/** The answer when a key is created: the only time its secret is shown. */
export const issuedApiKeySchema = apiKeySchema.extend({ key: z.string() });

export const createdTenantSchema = z.object({ tenant: tenantSchema, apiKey: issuedApiKeySchema });

export const tenantPageSchema = z.object({ items: z.array(tenantSchema), nextCursor: z.string().nullable() });

export type CreateTenantRequest = z.infer<typeof createTenantRequestSchema>;
export type UpdateTenantRequest = z.infer<typeof updateTenantRequestSchema>;
export type TenantDto = z.infer<typeof tenantSchema>;
export type ApiKeyDto = z.infer<typeof apiKeySchema>;
export type IssuedApiKeyDto = z.infer<typeof issuedApiKeySchema>;
export type IssueApiKeyRequest = z.infer<typeof issueApiKeyRequestSchema>;
