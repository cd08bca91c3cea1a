import { Inject, Injectable } from '@nestjs/common';
import { tenantOffboardedV1 } from '@pulse/contracts';
import { SecretBox } from '@pulse/crypto';
import { tenantDatabaseUrl } from '@pulse/tenancy';
import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from '../config/tenant-registry.config';
import { ControlPlaneClient } from '../database/control-plane-client';
import { writeTenantExport } from '../export/tenant-export';
import { DatabaseAdmin } from '../provisioning/database-admin';
import type { Actor } from '../shared/actor';
import { audit, enqueue, recordTransition } from '../shared/control-plane-writes';
import { tenantNotFound } from '../shared/registry-errors';

/**
 * Offboarding: export the tenant's data, then mark it offboarded (keys revoked, hostnames released, the
 * row kept as a tombstone) and announce it, then drop its database and role. The order means a crash
 * can leave an orphan database behind a tombstone — finished by calling again — but never a tenant that
 * looks alive without its data.
 */
@Injectable()
export class OffboardTenantUseCase {
  constructor(
    private readonly db: ControlPlaneClient,
    private readonly admin: DatabaseAdmin,
    private readonly box: SecretBox,
    @Inject(TENANT_REGISTRY_CONFIG) private readonly config: TenantRegistryConfig,
  ) {}

  async execute(slug: string, actor: Actor): Promise<void> {
    const tenant = await this.db.tenant.findUnique({ where: { slug }, include: { database: true } });
    if (!tenant) throw tenantNotFound(slug);
    const database = tenant.database;

    let exportUri = tenant.exportUri;
    if (tenant.status !== 'offboarded') {
      if (database && (await this.admin.databaseExists(database.databaseName))) {
        exportUri = await this.exportToFile(slug, tenantDatabaseUrl(database, this.box));
      }
      const offboardedAt = new Date();
      await this.db.$transaction(async (tx) => {
        await tx.tenant.update({ where: { id: tenant.id }, data: { status: 'offboarded', offboardedAt, exportUri } });
        await tx.apiKey.updateMany({ where: { tenantId: tenant.id, revokedAt: null }, data: { revokedAt: offboardedAt } });
        await tx.tenantHostname.deleteMany({ where: { tenantId: tenant.id } });
        await recordTransition(tx, tenant.id, tenant.status, 'offboarded', actor, 'offboarded');
        await audit(tx, actor, 'tenant.offboard', slug, { exportUri });
        await enqueue(tx, tenantOffboardedV1, { slug, exportUri: exportUri ?? '', offboardedAt: offboardedAt.toISOString() }, tenant.id, actor);
      });
    }

    if (database && !database.droppedAt) {
      await this.admin.dropTenantDatabase(database);
      await this.db.tenantDatabase.update({ where: { tenantId: tenant.id }, data: { droppedAt: new Date() } });
    }
  }

  /** Written under a temporary name and renamed, so a half-written export is never taken for a whole one. */
  private async exportToFile(slug: string, connectionString: string): Promise<string> {
    const directory = path.resolve(this.config.exportDir);
    await mkdir(directory, { recursive: true });
    const file = path.join(directory, `${slug}-${new Date().toISOString().replace(/[:.]/g, '-')}.zip`);
    await writeTenantExport(connectionString, createWriteStream(`${file}.partial`), { slug });
    await rename(`${file}.partial`, file);
    return pathToFileURL(file).toString();
  }
}
