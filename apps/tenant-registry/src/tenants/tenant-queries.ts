import { Inject, Injectable } from '@nestjs/common';
import type { TenantDto } from '@pulse/contracts';
import { ValidationError } from '@pulse/errors';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from '../config/tenant-registry.config';
import { ControlPlaneClient } from '../database/control-plane-client';
import type { TenantStatus } from '../generated/prisma/client';
import { tenantNotFound } from '../shared/registry-errors';
import { toTenantDto } from './tenant-view';

/** Opaque cursors: the slug of the last item seen, so pages stay stable while tenants are added. */
function encodeCursor(slug: string): string {
  return Buffer.from(slug, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const slug = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[a-z][a-z0-9-]{1,39}$/.test(slug)) {
    throw new ValidationError([{ field: 'query.cursor', code: 'invalid_cursor', message: 'is not a cursor returned by this API' }]);
  }
  return slug;
}

@Injectable()
export class TenantQueries {
  constructor(
    private readonly db: ControlPlaneClient,
    @Inject(TENANT_REGISTRY_CONFIG) private readonly config: TenantRegistryConfig,
  ) {}

  async findBySlugOrThrow(slug: string): Promise<TenantDto> {
    const tenant = await this.db.tenant.findUnique({ where: { slug }, include: { database: true } });
    if (!tenant) throw tenantNotFound(slug);
    return toTenantDto(tenant, this.config.tenantDatabases.baseDomain);
  }

  async list(query: { limit: number; cursor?: string; status?: TenantStatus }): Promise<{ items: TenantDto[]; nextCursor: string | null }> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.db.tenant.findMany({
      where: { ...(after ? { slug: { gt: after } } : {}), ...(query.status ? { status: query.status } : {}) },
      include: { database: true },
      orderBy: { slug: 'asc' },
      take: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((tenant) => toTenantDto(tenant, this.config.tenantDatabases.baseDomain)),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.slug) : null,
    };
  }
}
