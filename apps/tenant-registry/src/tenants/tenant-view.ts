import type { ApiKeyDto, TenantDto } from '@pulse/contracts';
import type { ApiKey, Tenant, TenantDatabase } from '../generated/prisma/client';

type TenantRow = Tenant & { database: TenantDatabase | null };

/** Control-plane rows as the operator API shows them (never the ORM rows themselves). */
export function toTenantDto(tenant: TenantRow, baseDomain: string): TenantDto {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    status: tenant.status,
    plan: tenant.plan,
    hostnames: [`${tenant.slug}.${baseDomain}`, ...tenant.hostnames],
    settings: (tenant.settings ?? {}) as Record<string, unknown>,
    database: tenant.database && !tenant.database.droppedAt ? { name: tenant.database.databaseName, schemaVersion: tenant.database.schemaVersion } : null,
    provisioningError: tenant.provisioningError,
    exportUri: tenant.exportUri,
    createdAt: tenant.createdAt.toISOString(),
    updatedAt: tenant.updatedAt.toISOString(),
    offboardedAt: tenant.offboardedAt?.toISOString() ?? null,
    erasedAt: tenant.erasedAt?.toISOString() ?? null,
  };
}

export function toApiKeyDto(key: ApiKey): ApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    prefix: `pulse_${key.prefix}`,
    scopes: key.scopes,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
