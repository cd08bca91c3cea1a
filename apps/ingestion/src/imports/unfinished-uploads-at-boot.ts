import { Injectable, Inject, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DomainError } from '@pulse/errors';
import { POSTGRES_POOL } from '@pulse/service-runtime';
import { listLiveTenants } from '@pulse/tenancy';
import { PinoLogger } from 'nestjs-pino';
import type { Pool } from 'pg';
import { TenantDirectory } from '../tenancy/tenant-directory';
import { ImportLoader } from './import-loader';

/**
 * At boot, in the background, runs every live tenant's uploads that are not finished and that no worker
 * holds. Their requests normally come back by themselves (Pub/Sub delivers an unacknowledged message
 * again), but not when the message is gone: the local Pub/Sub emulator of `npm start` keeps nothing
 * across a restart, so an import interrupted by Ctrl-C (or any stop) would stay `running` for good. A
 * request still on its way is harmless: the import lock keeps two workers off one import, and the later
 * one finds it finished.
 */
@Injectable()
export class UnfinishedUploadsAtBoot implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private stopping = false;
  private sweep: Promise<number> | undefined;

  constructor(
    @Inject(POSTGRES_POOL) private readonly controlPlane: Pool,
    private readonly directory: TenantDirectory,
    private readonly loader: ImportLoader,
    private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.sweep = this.runAll().catch((error: unknown) => {
      this.logger.error({ err: error }, 'could not look for unfinished uploads at boot; their redeliveries still run them');
      return 0;
    });
  }

  /** The import under way is interrupted by the loader; the sweep stops before the next one. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.sweep;
  }

  /** Runs the unfinished uploads of every live tenant, one at a time; returns how many finished now. */
  async runAll(): Promise<number> {
    let finished = 0;
    for (const { tenantId } of await listLiveTenants(this.controlPlane)) {
      if (this.stopping) break;
      try {
        const tenant = await this.directory.findUnlessSuspended(tenantId, `unfinished-uploads-${Date.now()}`);
        if (!tenant) continue;
        for (const importId of await this.loader.unfinishedUploads(tenant.context)) {
          if (this.stopping) break;
          try {
            const outcome = await this.loader.run({ tenant: tenant.context, timezone: tenant.timezone, importId, interruptible: true });
            if (outcome.ranNow) finished++;
            this.logger.info({ tenantId, importId, status: outcome.status }, 'unfinished upload run at boot');
          } catch (error) {
            // Another worker has it (its redelivery came first): that worker finishes it.
            if (error instanceof DomainError && error.code === 'import.in_progress_elsewhere') continue;
            // Shutdown interrupted it (the loader says so): the next boot, or a redelivery, resumes it.
            if (error instanceof DomainError && error.code === 'import.interrupted') break;
            this.logger.warn({ err: error, tenantId, importId }, 'unfinished upload could not be run at boot; its redelivery or the next boot runs it');
          }
        }
      } catch (error) {
        this.logger.warn({ err: error, tenantId }, "could not look for a tenant's unfinished uploads at boot");
      }
    }
    return finished;
  }
}
