import type { Pool } from 'pg';

/** Tenant settings that shape a KPI run (control plane `tenants.settings`), with DESIGN.md's defaults. */
export interface TenantKpiSettings {
  /** IANA timezone days, weeks and months are cut in (`settings.timezone`, default UTC). */
  timezone: string;
  /** Days without an order after which a customer counts as churned (`settings.churnWindowDays`, default 90). */
  churnWindowDays: number;
  /** Order statuses that count toward nothing (`settings.excludedOrderStatuses`, default canceled/cancelled/refunded). */
  excludedOrderStatuses: string[];
}

export interface LiveTenant {
  tenantId: string;
  slug: string;
  /** The raw settings values; invalid ones fail the run with a message naming them (see toKpiParams). */
  settings: Partial<Record<keyof TenantKpiSettings, unknown>>;
}

interface TenantRow {
  id: string;
  slug: string;
  settings: Record<string, unknown> | null;
}

const LIVE_TENANTS = `
  SELECT t.id, t.slug, t.settings FROM tenants t
    JOIN tenant_databases d ON d.tenant_id = t.id AND d.dropped_at IS NULL
   WHERE t.status IN ('onboarding', 'active')`;

function toLiveTenant(row: TenantRow): LiveTenant {
  const settings = row.settings ?? {};
  return {
    tenantId: row.id,
    slug: row.slug,
    settings: { timezone: settings['timezone'], churnWindowDays: settings['churnWindowDays'], excludedOrderStatuses: settings['excludedOrderStatuses'] },
  };
}

/**
 * The control plane as the metrics service reads it: which tenants are live (they have a database that
 * may be used) and their settings. Read fresh for every run, so a settings change applies to the next one.
 */
export class TenantDirectory {
  constructor(private readonly controlPlane: Pool) {}

  async findLiveTenant(tenantId: string): Promise<LiveTenant | undefined> {
    const { rows } = await this.controlPlane.query<TenantRow>(`${LIVE_TENANTS} AND t.id = $1`, [tenantId]);
    return rows[0] ? toLiveTenant(rows[0]) : undefined;
  }

  /** The tenant, as the control plane names it, when it is offboarded (its row stays, as a tombstone). */
  async findOffboardedTenant(tenantId: string): Promise<{ tenantId: string; slug: string } | undefined> {
    const { rows } = await this.controlPlane.query<{ id: string; slug: string }>(`SELECT id, slug FROM tenants WHERE id = $1 AND status = 'offboarded'`, [tenantId]);
    return rows[0] ? { tenantId: rows[0].id, slug: rows[0].slug } : undefined;
  }

  async listLiveTenants(): Promise<LiveTenant[]> {
    const { rows } = await this.controlPlane.query<TenantRow>(`${LIVE_TENANTS} ORDER BY t.id`);
    return rows.map(toLiveTenant);
  }
}
