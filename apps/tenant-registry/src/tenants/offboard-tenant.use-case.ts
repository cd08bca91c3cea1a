import { Inject, Injectable } from '@nestjs/common';
import { tenantOffboardedV1 } from '@pulse/contracts';
import { SecretBox } from '@pulse/crypto';
import { deleteObjectsUnder, tenantPrefix, type ObjectStorage } from '@pulse/object-storage';
import { tenantDatabaseUrl } from '@pulse/tenancy';
import { Client } from 'pg';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from '../config/tenant-registry.config';
import { ControlPlaneClient } from '../database/control-plane-client';
import { writeTenantExport } from '../export/tenant-export';
import { DatabaseAdmin } from '../provisioning/database-admin';
import type { Actor } from '../shared/actor';
import { audit, enqueue, recordTransition } from '../shared/control-plane-writes';
import { offboardingIncomplete, offboardingWaiting, tenantNotFound } from '../shared/registry-errors';
import { OBJECT_STORAGE } from '../storage/object-storage.provider';
import type { TenantStatus } from '../generated/prisma/client';
import { ChangeTenantStatusUseCase } from './change-tenant-status.use-case';

/**
 * Offboarding: export the tenant's data, then mark it offboarded (keys revoked, hostnames released, the
 * row kept as a tombstone) and announce it, then erase: drop its database and role, and delete its files
 * in object storage (everything under tenants/<id>/: uploads, staged files, source sync batches; the
 * warehouse copy is dropped by metrics on tenant.offboarded.v1). The order means a crash or a failure can
 * leave an orphan database or orphan files behind a tombstone — finished by calling again, which answers
 * 503 tenant.offboarding_incomplete until it has — but never a tenant that looks alive without its data.
 * The export is kept in EXPORT_DIR, never in the object storage, so the erasure cannot reach it.
 */
@Injectable()
export class OffboardTenantUseCase {
  constructor(
    private readonly db: ControlPlaneClient,
    private readonly admin: DatabaseAdmin,
    private readonly box: SecretBox,
    @Inject(TENANT_REGISTRY_CONFIG) private readonly config: TenantRegistryConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly changeStatus: ChangeTenantStatusUseCase,
  ) {}

  async execute(slug: string, actor: Actor): Promise<void> {
    const tenant = await this.db.tenant.findUnique({ where: { slug }, include: { database: true } });
    if (!tenant) throw tenantNotFound(slug);
    const database = tenant.database;

    let exportUri = tenant.exportUri;
    if (tenant.status !== 'offboarded') {
      // A live tenant is suspended first: its keys stop (tenant.updated.v1), ingestion holds its imports
      // and metrics its runs, so what it writes is not accepted after the export's snapshot and then
      // erased without being in the export. A failure below leaves it suspended: call again to finish.
      if (tenant.status === 'onboarding' || tenant.status === 'active') await this.changeStatus.execute(slug, 'suspend', actor, 'offboarding');
      let ownExport: string | null = null;
      if (database && (await this.admin.databaseExists(database.databaseName))) {
        try {
          await this.waitForWorkInProgress(slug, tenantDatabaseUrl(database, this.box));
          ownExport = await this.exportToFile(slug, tenantDatabaseUrl(database, this.box));
        } catch (error) {
          // Another offboarding of the tenant (a retry after a client timeout) finished first and dropped
          // the database under this export: its export stands, and the erasure below is idempotent.
          if ((await this.db.tenant.findUnique({ where: { id: tenant.id } }))?.status !== 'offboarded') throw error;
        }
        exportUri = ownExport ?? exportUri;
      }
      const offboardedAt = new Date();
      await this.db.$transaction(async (tx) => {
        // Row lock: of two offboardings at once, one records it (one lifecycle event, one announcement).
        const [locked] = await tx.$queryRaw<Array<{ status: TenantStatus }>>`SELECT status FROM tenants WHERE id = ${tenant.id}::uuid FOR UPDATE`;
        if (!locked || locked.status === 'offboarded') {
          exportUri = (await tx.tenant.findUnique({ where: { id: tenant.id } }))?.exportUri ?? null;
          return;
        }
        await tx.tenant.update({ where: { id: tenant.id }, data: { status: 'offboarded', offboardedAt, exportUri } });
        await tx.apiKey.updateMany({ where: { tenantId: tenant.id, revokedAt: null }, data: { revokedAt: offboardedAt } });
        await tx.tenantHostname.deleteMany({ where: { tenantId: tenant.id } });
        await recordTransition(tx, tenant.id, locked.status, 'offboarded', actor, 'offboarded');
        await audit(tx, actor, 'tenant.offboard', slug, { exportUri });
        await enqueue(tx, tenantOffboardedV1, { slug, exportUri: exportUri ?? '', offboardedAt: offboardedAt.toISOString() }, tenant.id, actor);
      });
      // The other offboarding's export is the one recorded: a second copy of the tenant's data is not kept.
      if (ownExport !== null && ownExport !== exportUri) await rm(fileURLToPath(ownExport), { force: true });
    }

    if (database && !database.droppedAt) {
      try {
        await this.admin.dropTenantDatabase(database);
      } catch (error) {
        throw offboardingIncomplete(slug, 'dropping its database and role', reasonOf(error), error);
      }
      await this.db.tenantDatabase.update({ where: { tenantId: tenant.id }, data: { droppedAt: new Date() } });
    }

    // On every call, not only the first: files are not tracked in the control plane, and ingestion may
    // still have written some (an import in flight) after an earlier call erased the prefix.
    let deleted: number;
    try {
      deleted = await deleteObjectsUnder(this.storage, tenantPrefix(tenant.id));
    } catch (error) {
      throw offboardingIncomplete(slug, 'erasing its files in object storage', reasonOf(error), error);
    }
    if (deleted > 0) {
      await audit(this.db, actor, 'tenant.files_erased', slug, { storage: this.storage.kind, prefix: tenantPrefix(tenant.id), deleted });
    }
    // What the operator reads to know the erasure is complete (a 503 above leaves it as it was: null at first).
    await this.db.tenant.update({ where: { id: tenant.id }, data: { erasedAt: new Date() } });
  }

  /**
   * Suspended, the tenant gets no new work, but an import, source sync or metrics run started before may
   * still commit: after the export's snapshot, its rows would be erased without being exported. Each
   * holds an advisory lock in the tenant's database while it works; the export waits until none is held
   * (OFFBOARDING_WAIT_MS at most). The outbox relay's short lock may be caught too: it is waited out.
   */
  private async waitForWorkInProgress(slug: string, connectionString: string): Promise<void> {
    const client = new Client({ connectionString, application_name: 'tenant-registry-offboarding' });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const started = Date.now();
      for (;;) {
        const { rows } = await client.query<{ held: number }>(
          `SELECT count(*)::int AS held FROM pg_locks l JOIN pg_database d ON d.oid = l.database
            WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database() AND l.pid <> pg_backend_pid()`,
        );
        if ((rows[0]?.held ?? 0) === 0) return;
        if (Date.now() - started >= this.config.offboardingWaitMs) throw offboardingWaiting(slug, Date.now() - started);
        await delay(250);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Written under a temporary name and renamed, so a half-written export is never taken for a whole one. */
  private async exportToFile(slug: string, connectionString: string): Promise<string> {
    const directory = path.resolve(this.config.exportDir);
    await mkdir(directory, { recursive: true });
    const file = path.join(directory, `${slug}-${new Date().toISOString().replace(/[:.]/g, '-')}.zip`);
    try {
      await writeTenantExport(connectionString, createWriteStream(`${file}.partial`), { slug });
    } catch (error) {
      await rm(`${file}.partial`, { force: true });
      throw error;
    }
    await rename(`${file}.partial`, file);
    return pathToFileURL(file).toString();
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
