import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  createSourceSchema,
  sourcePageSchema,
  sourceSchema,
  sourceSyncPageSchema,
  queuedSourceSyncSchema,
  sourceTestResultSchema,
  updateSourceSchema,
  type CreateSourceInput,
  type SourceDto,
  type SourceSyncDto,
  type SourceTestResultDto,
  type UpdateSourceInput,
} from '@pulse/contracts';
import { ApiRoute, ZodValidationPipe } from '@pulse/service-runtime';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import type { z } from 'zod';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import { Idempotent } from '../http/idempotency/idempotent.decorator';
import { IdempotencyOf, type IdempotentResponse } from '../http/idempotency/idempotent-response';
import { CreateSourceUseCase } from './create-source.use-case';
import { RequestSyncUseCase } from './request-sync.use-case';
import { SourceQueries } from './source-queries';
import { listQuery, sourceIdParams } from './sources.schemas';
import { TestSourceUseCase } from './test-source.use-case';
import { UpdateSourceUseCase } from './update-source.use-case';
import { idempotencyKeyHeader } from '../http/openapi-conventions';

const CREDENTIALS_NOTE = 'Credentials are write-only: they are encrypted at rest and never returned (`credentialsSet` lists their names).';

@Controller('v1/sources')
export class SourcesController {
  constructor(
    private readonly create: CreateSourceUseCase,
    private readonly update: UpdateSourceUseCase,
    private readonly test: TestSourceUseCase,
    private readonly requestSync: RequestSyncUseCase,
    private readonly queries: SourceQueries,
    private readonly tenants: TenantDatabasePool,
  ) {}

  @Post()
  @HttpCode(201)
  @Idempotent()
  @ApiRoute({
    summary: 'Add a source (database, Google Sheet, files in a bucket, REST API) to sync from',
    description: [`Kinds and options are in docs/connectors.md. ${CREDENTIALS_NOTE}`, 'Nothing is contacted on creation: use POST /v1/sources/{id}/test.'].join('\n'),
    tags: ['sources'],
    body: createSourceSchema,
    headers: idempotencyKeyHeader,
    responses: {
      201: { description: 'The source', schema: sourceSchema },
      400: { description: 'validation_failed (connection, mapping or cron schedule, field by field)' },
      409: { description: 'source.name_taken' },
    },
  })
  post(
    @CurrentTenant() tenant: TenantContext,
    @Body(new ZodValidationPipe(createSourceSchema, 'body')) body: CreateSourceInput,
    @IdempotencyOf() idempotent: IdempotentResponse | undefined,
  ): Promise<SourceDto> {
    return this.create.execute(tenant, body, idempotent);
  }

  @Get()
  @ApiRoute({
    summary: "The tenant's sources, newest first, each with its last sync",
    tags: ['sources'],
    query: listQuery,
    responses: { 200: { description: 'A page of sources', schema: sourcePageSchema } },
  })
  list(@CurrentTenant() tenant: TenantContext, @Query(new ZodValidationPipe(listQuery, 'query')) query: z.output<typeof listQuery>) {
    return this.queries.list(tenant, query.limit, query.cursor);
  }

  @Get(':id')
  @ApiRoute({
    summary: 'A source',
    tags: ['sources'],
    params: sourceIdParams,
    responses: { 200: { description: 'The source', schema: sourceSchema }, 404: { description: 'source.not_found' } },
  })
  get(@CurrentTenant() tenant: TenantContext, @Param(new ZodValidationPipe(sourceIdParams, 'path')) { id }: z.output<typeof sourceIdParams>): Promise<SourceDto> {
    return this.queries.get(tenant, id);
  }

  @Patch(':id')
  @ApiRoute({
    summary: 'Change a source',
    description: `A new connection restarts syncing from scratch (the saved position is dropped). ${CREDENTIALS_NOTE}`,
    tags: ['sources'],
    params: sourceIdParams,
    body: updateSourceSchema,
    responses: {
      200: { description: 'The source', schema: sourceSchema },
      404: { description: 'source.not_found' },
      409: { description: 'source.name_taken' },
      422: { description: 'source.credentials_required: the new connection would send the stored credentials to another host, port, TLS or SSH setting or URL origin; send them in the same request' },
    },
  })
  patch(
    @CurrentTenant() tenant: TenantContext,
    @Param(new ZodValidationPipe(sourceIdParams, 'path')) { id }: z.output<typeof sourceIdParams>,
    @Body(new ZodValidationPipe(updateSourceSchema, 'body')) body: UpdateSourceInput,
  ): Promise<SourceDto> {
    return this.update.execute(tenant, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiRoute({
    summary: 'Remove a source, its sync position and history (rows it loaded stay)',
    tags: ['sources'],
    params: sourceIdParams,
    responses: { 204: { description: 'Removed' }, 404: { description: 'source.not_found' } },
  })
  async remove(@CurrentTenant() tenant: TenantContext, @Param(new ZodValidationPipe(sourceIdParams, 'path')) { id }: z.output<typeof sourceIdParams>): Promise<void> {
    await this.tenants.withTenantClient(tenant, async (db) => {
      await this.queries.findOrThrow(db, id);
      await db.query('DELETE FROM sources WHERE id = $1', [id]);
    });
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Check a source: connect, list its columns and types, preview up to 10 rows',
    description: 'An unreachable source answers 200 with ok: false and the reason (never a credential).',
    tags: ['sources'],
    params: sourceIdParams,
    responses: {
      200: { description: 'The result', schema: sourceTestResultSchema },
      404: { description: 'source.not_found' },
      422: { description: "source.invalid_connection: the stored connection fails this version's checks (see the source's connectionError); PATCH it first" },
    },
  })
  check(@CurrentTenant() tenant: TenantContext, @Param(new ZodValidationPipe(sourceIdParams, 'path')) { id }: z.output<typeof sourceIdParams>): Promise<SourceTestResultDto> {
    return this.test.execute(tenant, id);
  }

  @Post(':id/syncs')
  @HttpCode(202)
  @Idempotent()
  @ApiRoute({
    summary: 'Sync a source now',
    description: 'Queues a run (or returns the one already queued); the ingestion service starts it within its poll interval. Follow GET /v1/sources/{id}/syncs.',
    tags: ['sources'],
    params: sourceIdParams,
    headers: idempotencyKeyHeader,
    responses: { 202: { description: 'The queued run', schema: queuedSourceSyncSchema }, 404: { description: 'source.not_found' }, 409: { description: 'source.disabled' } },
  })
  sync(
    @CurrentTenant() tenant: TenantContext,
    @Param(new ZodValidationPipe(sourceIdParams, 'path')) { id }: z.output<typeof sourceIdParams>,
    @IdempotencyOf() idempotent: IdempotentResponse | undefined,
  ): Promise<SourceSyncDto> {
    return this.requestSync.execute(tenant, id, idempotent);
  }

  @Get(':id/syncs')
  @ApiRoute({
    summary: "A source's sync history, newest first: row counts, imports, errors",
    tags: ['sources'],
    params: sourceIdParams,
    query: listQuery,
    responses: { 200: { description: 'A page of runs', schema: sourceSyncPageSchema }, 404: { description: 'source.not_found' } },
  })
  syncs(
    @CurrentTenant() tenant: TenantContext,
    @Param(new ZodValidationPipe(sourceIdParams, 'path')) { id }: z.output<typeof sourceIdParams>,
    @Query(new ZodValidationPipe(listQuery, 'query')) query: z.output<typeof listQuery>,
  ) {
    return this.queries.listSyncs(tenant, id, query.limit, query.cursor);
  }
}
