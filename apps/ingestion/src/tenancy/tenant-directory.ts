import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@pulse/errors';
import { POSTGRES_POOL } from '@pulse/service-runtime';
import { createTenantContext, type TenantContext } from '@pulse/tenancy';
import type { Pool } from 'pg';

/** What the loader needs to know about a tenant beyond its id: its context and its timezone setting. */
export interface TenantProfile {
  context: TenantContext;
  /** IANA zone for timestamps without an offset (tenant setting `timezone`, default UTC). */
  timezone: string;
}

/** Reads tenants from the control plane (events carry only the tenant id). */
@Injectable()
export class TenantDirectory {
  constructor(@Inject(POSTGRES_POOL) private readonly controlPlane: Pool) {}

  async findOrThrow(tenantId: string, correlationId: string): Promise<TenantProfile> {
    const { rows } = await this.controlPlane.query<{ slug: string; status: string; timezone: string }>(
      `SELECT slug, status, COALESCE(settings ->> 'timezone', 'UTC') AS timezone FROM tenants WHERE id = $1`,
      [tenantId],
    );
    const row = rows[0];
    // Not retryable: the event names a tenant that does not exist (or no longer may be written to).
    if (!row) throw new DomainError('not_found', 'tenant.not_found', `No tenant with id ${tenantId}.`);
    // A suspension is temporary: the tenant's waiting imports run when it is reactivated (TenantReactivatedHandler).
    if (row.status === 'suspended') {
      throw new DomainError('forbidden', 'tenant.suspended', `Tenant "${row.slug}" is suspended; its imports wait until it is reactivated.`);
    }
    if (row.status !== 'active' && row.status !== 'onboarding') {
      throw new DomainError('forbidden', 'tenant.not_writable', `Tenant "${row.slug}" is ${row.status}; its imports are not loaded.`);
    }
    return { context: createTenantContext({ tenantId, slug: row.slug, correlationId }), timezone: row.timezone };
  }

  /** findOrThrow, except that a suspended tenant is undefined: its imports wait for its reactivation. */
  async findUnlessSuspended(tenantId: string, correlationId: string): Promise<TenantProfile | undefined> {
    try {
      return await this.findOrThrow(tenantId, correlationId);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'tenant.suspended') return undefined;
      throw error;
    }
  }
}
