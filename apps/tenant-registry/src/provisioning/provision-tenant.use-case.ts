import { Inject, Injectable, Optional } from '@nestjs/common';
import { tenantProvisionedV1 } from '@pulse/contracts';
import { SecretBox } from '@pulse/crypto';
import { migrateTenantDatabase, tenantDatabaseUrl } from '@pulse/tenancy';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from '../config/tenant-registry.config';
import { ControlPlaneClient } from '../database/control-plane-client';
import type { Actor } from '../shared/actor';
import { audit, enqueue, recordTransition } from '../shared/control-plane-writes';
import { invalidTransition, provisioningFailed, tenantNotFound } from '../shared/registry-errors';
import { DatabaseAdmin } from './database-admin';
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
    try {
      await this.admin.ensureRole(spec);
      await this.hooks?.afterStep('role', slug);
      await this.admin.ensureDatabase(spec);
      await this.hooks?.afterStep('database', slug);
      const report = await migrateTenantDatabase({ tenantId: tenant.id, connectionString: tenantDatabaseUrl(database, this.box) });
      if (report.status !== 'ok') throw new Error(`tenant schema migration failed: ${report.error ?? 'unknown error'}`);
      await this.hooks?.afterStep('schema', slug);

      await this.db.$transaction(async (tx) => {
        await tx.tenantDatabase.update({ where: { tenantId: tenant.id }, data: { schemaVersion: report.schemaVersion } });
        await tx.tenant.update({ where: { id: tenant.id }, data: { status: 'onboarding', provisioningError: null } });
        await recordTransition(tx, tenant.id, tenant.status, 'onboarding', actor, 'provisioned');
        await audit(tx, actor, 'tenant.provisioned', slug, { database: database.databaseName, schemaVersion: report.schemaVersion });
        await enqueue(
          tx,
          tenantProvisionedV1,
          { slug, name: tenant.name, plan: tenant.plan, databaseName: database.databaseName, tenantSchemaVersion: report.schemaVersion ?? '' },
          tenant.id,
          actor,
        );
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await this.db.$transaction(async (tx) => {
        await tx.tenant.update({ where: { id: tenant.id }, data: { status: 'provisioning_failed', provisioningError: reason } });
        if (tenant.status !== 'provisioning_failed') await recordTransition(tx, tenant.id, tenant.status, 'provisioning_failed', actor, reason);
        await audit(tx, actor, 'tenant.provisioning_failed', slug, { reason });
      });
      throw provisioningFailed(slug, reason, error);
    }
  }
}
