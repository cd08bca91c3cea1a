import { Controller, Get, HttpCode, Inject, Param, PayloadTooLargeException, Post, Query, Req, Res, UnsupportedMediaTypeException } from '@nestjs/common';
import { importAcceptedSchema, importErrorPageSchema, importPageSchema, importSchema, type ImportAcceptedDto, type ImportDto, type ImportErrorPageDto, type ImportPageDto } from '@pulse/contracts';
import { DomainError, NotFoundError, ValidationError } from '@pulse/errors';
import { ApiRoute, ZodValidationPipe } from '@pulse/service-runtime';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import { parseImportMapping } from './import-mapping-input';
import { IMPORT_COLUMNS, importOrigin, toImportDto, type ImportRow } from './import-row';
import { IMPORT_STORAGE, type ImportStorage } from './import-storage';
import { importIdParams, listImportErrorsQuery, listImportsQuery, uploadParams, uploadQuery } from './imports.schemas';
import { listImportErrors } from './list-import-errors';
import { listImports } from './list-imports';
import { UploadBody, unsupportedUploadType, uploadFormatOf } from './upload-content-type';
import { UploadTooLargeError } from './upload-meter';
import { PENDING_IMPORTS_RETRY_AFTER_SECONDS, TOO_MANY_PENDING_IMPORTS, UploadImportUseCase, type UploadContentCoding } from './upload-import.use-case';
import { utf8HeaderOf } from '../http/header-text';
import { idempotencyKeyHeader } from '../http/openapi-conventions';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The upload's headers, as documented: the mapping may come here instead of the `mapping` parameter. */
const uploadHeaders = idempotencyKeyHeader.extend({
  'import-mapping': z
    .string()
    .optional()
    .describe('The column mapping as JSON (importMappingSchema), instead of the `mapping` query parameter; UTF-8 (other bytes are 400 invalid_encoding).'),
});

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The body's content coding: none, or gzip, which the upload decompresses as it streams (a gzipped
 * export is a fraction of the bytes on the wire). Anything else is a 415 naming what is taken
 * (RFC 9110, 15.5.16): stored as it came, its bytes would be read as a file in some odd encoding.
 */
function uploadContentCoding(request: FastifyRequest, reply: FastifyReply): UploadContentCoding {
  const coding = request.headers['content-encoding']?.trim().toLowerCase();
  if (coding === undefined || coding === '' || coding === 'identity') return 'identity';
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
  void reply.header('accept-encoding', 'gzip');
  throw new UnsupportedMediaTypeException(`Content-Encoding "${coding}" is not supported: send the file as it is or gzip-compressed (Content-Encoding: gzip).`);
}

@Controller('v1/imports')
export class ImportsController {
  constructor(
    private readonly upload: UploadImportUseCase,
    private readonly tenants: TenantDatabasePool,
    @Inject(IMPORT_STORAGE) private readonly storage: ImportStorage,
  ) {}

  @Post(':entity')
  @HttpCode(202)
  @UploadBody()
  @ApiRoute({
    summary: 'Upload a file of one entity (CSV or NDJSON) to be loaded',
    description: [
      'The body is the file itself, sent as `text/csv` or `application/x-ndjson` (anything else is 415); it is streamed to storage, never buffered, so files of gigabytes are fine.',
      'Answers 202 with the import id at once; the file is parsed, validated and loaded in the background: follow `links.self`, rejected rows are at `links.errors`.',
      'A column mapping (JSON, see importMappingSchema) goes in the `mapping` query parameter or the `Import-Mapping` header.',
      'The body may be gzip-compressed (`Content-Encoding: gzip`): it is decompressed as it streams, and the size limit applies to the file decompressed; any other content coding is 415.',
      'Send an Idempotency-Key to make retries safe: the same key with the same bytes, media type, options (defaults applied) and mapping returns the first response (same import id); with anything that changes how the file is read (other bytes, media type, entity, option or mapping) it is 422.',
      'The key is claimed when the upload ends: of two uploads with one key at once (a retry while the first attempt is still sending), the one that ends first is the import, and the other gets its response replayed (or 422) when it ends.',
      'See docs/ingestion.md for upsert vs replace and the rejected-share threshold.',
    ].join('\n'),
    tags: ['imports'],
    params: uploadParams,
    query: uploadQuery,
    headers: uploadHeaders,
    fileBody: {
      'text/csv': 'The file: a header row, then one row per record; delimiter, encoding and number/date formats are detected (or set in the mapping).',
      'application/x-ndjson': 'The file: one JSON object per line.',
    },
    responses: {
      202: { description: 'The queued import', schema: importAcceptedSchema },
      400: { description: 'validation_failed (bad option or mapping, field by field); upload_aborted (the connection closed before the whole body arrived; nothing stored); invalid_content_encoding (a body sent as gzip that is not)' },
      413: { description: 'payload_too_large' },
      415: { description: 'unsupported_media_type (send text/csv or application/x-ndjson, as it is or with Content-Encoding: gzip)' },
      429: {
        description:
          'rate_limited: over the plan rate; or imports.too_many_pending: the tenant already has IMPORT_MAX_PENDING_PER_TENANT (20) imports queued or running, refused before the body is stored. Retry after Retry-After seconds',
      },
    },
  })
  async create(
    @CurrentTenant() tenant: TenantContext,
    @Param(new ZodValidationPipe(uploadParams, 'path')) { entity }: z.output<typeof uploadParams>,
    @Query(new ZodValidationPipe(uploadQuery, 'query')) query: z.output<typeof uploadQuery>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ImportAcceptedDto> {
    const format = uploadFormatOf(request.headers['content-type']);
    if (!format || !(request.body instanceof Readable)) {
      throw unsupportedUploadType(request.headers['content-type']);
    }
    const body = request.body;
    try {
      const contentCoding = uploadContentCoding(request, reply);
      const mapping = parseImportMapping(entity, format, query.mapping, utf8HeaderOf(request, 'import-mapping'));
      const idempotencyKey = singleHeader(request, 'idempotency-key');
      if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw new ValidationError([{ field: 'header.idempotency-key', code: 'invalid_format', message: 'Use 1-255 visible ASCII characters (a UUID, say).' }]);
      }
      const result = await this.upload.execute(tenant, {
        entity,
        format,
        mode: query.mode,
        options: { onUnknownReference: query.onUnknownReference, maxRejectedShare: query.maxRejectedShare },
        mapping,
        body,
        contentCoding,
        idempotencyKey,
      });
      if (result.replayed) void reply.header('idempotent-replayed', 'true');
      return result.accepted;
    } catch (error) {
      // The rest of an unread body would be taken for the next request on this connection: close it.
      if (!body.readableEnded) void reply.header('connection', 'close');
      if (error instanceof UploadTooLargeError) throw new PayloadTooLargeException(error.message);
      if (error instanceof DomainError && error.code === TOO_MANY_PENDING_IMPORTS) void reply.header('retry-after', String(PENDING_IMPORTS_RETRY_AFTER_SECONDS));
      throw error;
    }
  }

  @Get()
  @ApiRoute({
    summary: "The tenant's imports, newest first",
    description: 'Keyset pagination: pass `nextCursor` back as `cursor` (with the same filters).',
    tags: ['imports'],
    query: listImportsQuery,
    responses: { 200: { description: 'A page of imports', schema: importPageSchema }, 400: { description: 'validation_failed' } },
  })
  list(@CurrentTenant() tenant: TenantContext, @Query(new ZodValidationPipe(listImportsQuery, 'query')) query: z.output<typeof listImportsQuery>): Promise<ImportPageDto> {
    return this.tenants.withTenantClient(tenant, (db) => listImports(db, query, this.storage, tenant));
  }

  @Get(':id')
  @ApiRoute({
    summary: 'An import: status, rows received/loaded/rejected, timings, error',
    tags: ['imports'],
    params: importIdParams,
    responses: { 200: { description: 'The import', schema: importSchema }, 404: { description: 'import.not_found' } },
  })
  async get(@CurrentTenant() tenant: TenantContext, @Param(new ZodValidationPipe(importIdParams, 'path')) { id }: z.output<typeof importIdParams>): Promise<ImportDto> {
    const { rows } = await this.tenants.query<ImportRow>(tenant, `SELECT ${IMPORT_COLUMNS} FROM imports WHERE id = $1`, [id]);
    const row = rows[0];
    if (!row) throw new NotFoundError('import.not_found', `No import with id "${id}".`);
    return toImportDto(row, importOrigin(row, this.storage, tenant.tenantId));
  }

  @Get(':id/errors')
  @ApiRoute({
    summary: "An import's rejected rows: line, column, reason code, message, raw row",
    description: 'In line order; keyset pagination with `cursor`/`nextCursor`.',
    tags: ['imports'],
    params: importIdParams,
    query: listImportErrorsQuery,
    responses: { 200: { description: 'A page of rejected rows', schema: importErrorPageSchema }, 404: { description: 'import.not_found' } },
  })
  errors(
    @CurrentTenant() tenant: TenantContext,
    @Param(new ZodValidationPipe(importIdParams, 'path')) { id }: z.output<typeof importIdParams>,
    @Query(new ZodValidationPipe(listImportErrorsQuery, 'query')) query: z.output<typeof listImportErrorsQuery>,
  ): Promise<ImportErrorPageDto> {
    return this.tenants.withTenantClient(tenant, (db) => listImportErrors(db, id, query));
  }
}
