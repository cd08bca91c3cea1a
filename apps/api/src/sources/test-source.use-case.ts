import { Inject, Injectable } from '@nestjs/common';
import type { SourceTestResultDto } from '@pulse/contracts';
import { openCredentials, openSource, SourceAddressPolicy, type OpenedSource } from '@pulse/connectors';
import { DomainError } from '@pulse/errors';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { API_CONFIG, type ApiConfig } from '../config/api.config';
import { readSourceConnection } from './source-connection';
import { SourceQueries } from './source-queries';

export const PREVIEW_ROWS = 10;

/**
 * POST /v1/sources/{id}/test: connects as a sync would, lists the columns the source has now and reads
 * up to 10 rows. A source that cannot be reached is a normal answer (ok: false, with the reason,
 * scrubbed of the source's secrets), not an API error.
 */
@Injectable()
export class TestSourceUseCase {
  private readonly addresses: SourceAddressPolicy;

  constructor(
    private readonly tenants: TenantDatabasePool,
    private readonly queries: SourceQueries,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    // The test runs inside the api process: the same address policy as a sync in ingestion.
    this.addresses = SourceAddressPolicy.allowing(config.sources.allowedPrivateNetworks);
  }

  async execute(tenant: TenantContext, id: string): Promise<SourceTestResultDto> {
    const stored = await this.tenants.withTenantClient(tenant, (db) => readSourceConnection(db, id));
    const started = Date.now();
    let opened: OpenedSource | null = null;
    try {
      opened = await openSource(stored.connection, openCredentials(this.queries.box, stored.credentials), { addresses: this.addresses });
      const columns = await opened.columns();
      const preview = await opened.preview(PREVIEW_ROWS);
      return { ok: true, latencyMs: Date.now() - started, columns, preview, error: null };
    } catch (error) {
      const code = error instanceof DomainError ? error.code : 'source_request_failed';
      return { ok: false, latencyMs: Date.now() - started, columns: [], preview: [], error: { code, message: (error as Error).message } };
    } finally {
      await opened?.close().catch(() => undefined);
    }
  }
}
