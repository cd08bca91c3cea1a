import { Inject, Injectable, Optional } from '@nestjs/common';
import { tenantProvisionedV1 } from '@pulse/contracts';
import { SecretBox } from '@pulse/crypto';
import { migrateTenantDatabase, tenantDatabaseUrl } from '@pulse/tenancy';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from '../config/tenant-registry.config';
import { ControlPlaneClient } from '../database/control-plane-client';
import type { TenantStatus } from '../generated/prisma/client';
import type { Actor } from '../shared/actor';
import { audit, enqueue, recordTransition } from '../shared/control-plane-writes';
import { invalidTransition, provisioningFailed, tenantNotFound } from '../shared/registry-errors';
import { DatabaseAdmin, type TenantDatabaseSpec } from './database-admin';
import { PROVISIONING_HOOKS, type ProvisioningHooks } from './provisioning.tokens';

/**
 * Creates a tenant's role and database, applies the tenant schema and marks the tenant onboarding, then
 * announces tenant.provisioned.v1 (through the outbox, in the same transaction as the status change).
 * Every step is idempotent, so running this again after a crash or a failure finishes the job; until it
 * has finished, the tenant is `provisioning` or `provisioning_failed` (with the reason), never ready.
 */
@Injectable()
export class ProvisionTenantUseCase {
  constructor(
    private readonly db: ControlPlaneClient,
    private readonly admin: DatabaseAdmin,
    private readonly box: SecretBox,
    @Inject(TENANT_REGISTRY_CONFIG) private readonly config: TenantRegistryConfig,
    @Optional() @Inject(PROVISIONING_HOOKS) private readonly hooks?: ProvisioningHooks,
  ) {}

  async execute(slug: string, actor: Actor): Promise<void> {
    const tenant = await this.db.tenant.findUnique({ where: { slug }, include: { database: true } });
    if (!tenant || !tenant.database) throw tenantNotFound(slug);
    if (tenant.status === 'offboarded') throw invalidTransition(slug, tenant.status, 'provisioned');
    if (tenant.status !== 'provisioning' && tenant.status !== 'provisioning_failed') return; // already done

    const database = tenant.database;
    const spec = {
      databaseName: database.databaseName,
      roleName: database.roleName,
      password: this.box.decrypt(database.passwordEncrypted),
      connectionLimit: this.config.tenantDatabases.connectionLimit,
    };
    let provisioned: boolean;
    try {
      await this.admin.ensureRole(spec);
      await this.hooks?.afterStep('role', slug);
      await this.admin.ensureDatabase(spec);
      await this.hooks?.afterStep('database', slug);
      const report = await migrateTenantDatabase({ tenantId: tenant.id, connectionString: tenantDatabaseUrl(database, this.box) });
      if (report.status !== 'ok') throw new Error(`tenant schema migration failed: ${report.error ?? 'unknown error'}`);
      await this.hooks?.afterStep('schema', slug);

      provisioned = await this.db.$transaction(async (tx) => {
        const moved = await tx.tenant.updateMany({ where: { id: tenant.id, status: { in: PROVISIONING_STATUSES } }, data: { status: 'onboarding', provisioningError: null } });
        if (moved.count === 0) return false;
        await tx.tenantDatabase.update({ where: { tenantId: tenant.id }, data: { schemaVersion: report.schemaVersion } });
        await recordTransition(tx, tenant.id, tenant.status, 'onboarding', actor, 'provisioned');
        await audit(tx, actor, 'tenant.provisioned', slug, { database: database.databaseName, schemaVersion: report.schemaVersion });
        await enqueue(
          tx,
          tenantProvisionedV1,
          { slug, name: tenant.name, plan: tenant.plan, databaseName: database.databaseName, tenantSchemaVersion: report.schemaVersion ?? '' },
          tenant.id,
          actor,
        );
        return true;
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const recorded = await this.db.$transaction(async (tx) => {
        const moved = await tx.tenant.updateMany({ where: { id: tenant.id, status: { in: PROVISIONING_STATUSES } }, data: { status: 'provisioning_failed', provisioningError: reason } });
        if (moved.count === 0) return false;
        if (tenant.status !== 'provisioning_failed') await recordTransition(tx, tenant.id, tenant.status, 'provisioning_failed', actor, reason);
        await audit(tx, actor, 'tenant.provisioning_failed', slug, { reason });
        return true;
      });
      // Offboarded meanwhile (its database dropped under this run, most likely what failed it), or
      // provisioned by another run, whose success stands.
      if (!recorded) return this.afterAnotherTransition(tenant.id, slug, spec);
      throw provisioningFailed(slug, reason, error);
    }
    if (!provisioned) await this.afterAnotherTransition(tenant.id, slug, spec);
  }

  /**
   * The tenant left the provisioning statuses while this run worked. Either another run finished first
   * (an operator's retry while this one was still migrating): the tenant is ready, and its database and
   * role are in use, so this run is done too. Or the tenant was offboarded: see undoForOffboardedTenant.
   */
  private async afterAnotherTransition(tenantId: string, slug: string, spec: Pick<TenantDatabaseSpec, 'databaseName' | 'roleName'>): Promise<void> {
    const now = await this.db.tenant.findUnique({ where: { id: tenantId }, select: { status: true } });
    if (now === null || now.status === 'offboarded') await this.undoForOffboardedTenant(slug, spec);
  }

  /**
   * The tenant was offboarded while this run provisioned it: offboarding is final, so the run neither
   * marks it onboarding (or provisioning_failed) nor leaves behind what it created, which an offboarding
   * that dropped the database before this run created it would never drop.
   */
  private async undoForOffboardedTenant(slug: string, spec: Pick<TenantDatabaseSpec, 'databaseName' | 'roleName'>): Promise<never> {
    await this.admin.dropTenantDatabase(spec);
    throw invalidTransition(slug, 'offboarded', 'provisioned');
  }
}

/** The statuses a provisioning run may move a tenant from: anything else (offboarded) it leaves alone. */
const PROVISIONING_STATUSES: TenantStatus[] = ['provisioning', 'provisioning_failed'];
