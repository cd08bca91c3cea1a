import { Inject, Injectable } from '@nestjs/common';
import {
  ingestionRequestedV1,
  type CanonicalEntity,
  type EventPayload,
  type ImportAcceptedDto,
  type ImportFormat,
  type ImportMapping,
  type ImportMode,
  type ImportOptions,
} from '@pulse/contracts';
import { DomainError } from '@pulse/errors';
import { EventPublisher, enqueueEvent, publishAfterCommit } from '@pulse/messaging';
import { importObjectKey, type ObjectInfo } from '@pulse/object-storage';
import { TenantDatabasePool, tenantLogFields, type TenantContext } from '@pulse/tenancy';
import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { finished, type Readable } from 'node:stream';
import { API_CONFIG, type ApiConfig } from '../config/api.config';
import { IdempotencyStore, usableClaim, type IdempotencyClaim, type IdempotencyLease } from '../http/idempotency/idempotency-store';
import { importLinks } from './import-row';
import { IMPORT_STORAGE, type ImportStorage } from './import-storage';
import { uploadFingerprint } from './upload-fingerprint';
import { UploadAbortedError, UploadMeter, UploadTooLargeError } from './upload-meter';

export interface UploadImportInput {
  entity: CanonicalEntity;
  format: ImportFormat;
  mode: ImportMode;
  options: ImportOptions;
  mapping: ImportMapping | undefined;
  body: Readable;
  /** How the body is encoded on the wire: as it is, or gzip (decompressed as it streams). */
  contentCoding: UploadContentCoding;
  idempotencyKey: string | undefined;
}

export type UploadContentCoding = 'identity' | 'gzip';

export interface UploadImportResult {
  accepted: ImportAcceptedDto;
  replayed: boolean;
}

type RequestedPayload = EventPayload<typeof ingestionRequestedV1>;

/** The upload's Idempotency-Key and the claim on it that this upload holds. */
interface HeldKey {
  key: string;
  lease: IdempotencyLease;
}

/** The 429 of an upload past the tenant's cap on pending imports (its Retry-After: PENDING_IMPORTS_RETRY_AFTER_SECONDS). */
export const TOO_MANY_PENDING_IMPORTS = 'imports.too_many_pending';
export const PENDING_IMPORTS_RETRY_AFTER_SECONDS = 30;

/**
 * POST /v1/imports/{entity}: streams the file to object storage (never whole in memory), then records
 * a queued `imports` row and its ingestion.requested.v1 event in one transaction, and publishes the
 * event after commit (like metrics refreshes: if that publish fails, the api's tenant outbox sweeper
 * publishes the outbox row, same eventId, later).
 *
 * Idempotency-Key: a streamed body cannot be hashed before it is read, so the key is claimed after the
 * upload, bound to what the import means (uploadFingerprint: entity, format, options, mapping) and the
 * SHA-256 of the bytes. A replay or a conflict
 * deletes the bytes just stored; the first request's object stays the import's. So of two uploads with
 * one key at once (a client retrying while its first attempt is still sending), the one that ends first
 * is the import and the other is answered as if it came after: a retry never waits on an attempt its
 * client may have given up on, and only one that ends while the other is being queued gets a 409.
 */
@Injectable()
export class UploadImportUseCase {
  constructor(
    private readonly tenants: TenantDatabasePool,
    private readonly publisher: EventPublisher,
    private readonly idempotency: IdempotencyStore,
    private readonly logger: PinoLogger,
    @Inject(IMPORT_STORAGE) private readonly storage: ImportStorage,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async execute(tenant: TenantContext, input: UploadImportInput): Promise<UploadImportResult> {
    await this.assertRoomForAnother(tenant, input.idempotencyKey);
    const importId = randomUUID();
    const key = importObjectKey(tenant.tenantId, importId, `upload.${input.format === 'csv' ? 'csv' : 'ndjson'}`);
    const meter = new UploadMeter(this.config.imports.maxUploadBytes);
    // A body whose client went away, even before this line (while the guards or the pending count ran,
    // when pipe alone would wait for ever for bytes that never come), fails the meter and so the put.
    // Not pipeline: it would destroy the request on a meter error, and with it the 413 answering it.
    finished(input.body, (error) => {
      if (error) meter.destroy(error);
    });
    // Its error reaches the put, which reads the meter once it has made the object's folder; an error
    // before that (a client gone, bytes that are not gzip) must not be an unhandled 'error' event meanwhile.
    meter.on('error', () => undefined);
    let stored: ObjectInfo;
    try {
      stored = await this.storage.put(key, decoded(input, meter).pipe(meter), { contentType: input.format === 'csv' ? 'text/csv' : 'application/x-ndjson' });
    } catch (error) {
      const ownError = error instanceof UploadTooLargeError || error instanceof DomainError;
      if (!ownError && input.body.destroyed && !input.body.readableEnded) throw new UploadAbortedError(error);
      throw error;
    }
    const contentSha256 = meter.digest();

    const discardUpload = () => this.storage.delete(key).catch((error: unknown) => this.logger.warn({ ...tenantLogFields(tenant), err: error, key }, 'could not delete a discarded upload'));
    let heldKey: HeldKey | undefined;
    if (input.idempotencyKey !== undefined) {
      const fingerprint = uploadFingerprint({ ...input, contentSha256 });
      let claimed: IdempotencyClaim;
      try {
        claimed = await this.idempotency.claim(tenant, input.idempotencyKey, fingerprint);
      } catch (error) {
        // The tenant database did not answer: nothing refers to the bytes stored.
        await discardUpload();
        throw error;
      }
      if (claimed.outcome !== 'claimed') await discardUpload();
      const claim = usableClaim(claimed);
      if (claim.outcome === 'replay') return { accepted: claim.body as ImportAcceptedDto, replayed: true };
      heldKey = { key: input.idempotencyKey, lease: claim.lease };
    }

    try {
      return { accepted: await this.queue(tenant, importId, stored.uri, stored.size, input, heldKey), replayed: false };
    } catch (error) {
      // The import and its key's response commit together (queue): a key still in progress is freed for
      // the retry. The bytes go only when the import is known not to exist: a commit whose answer was
      // lost has queued an import that needs them, and the retry replays it.
      if (heldKey !== undefined) await this.idempotency.release(tenant, heldKey.key, heldKey.lease).catch(() => undefined);
      if (await this.importMissing(tenant, importId)) await discardUpload();
      throw error;
    }
  }

  /** True only when the tenant database answers that no import has this id. */
  private async importMissing(tenant: TenantContext, importId: string): Promise<boolean> {
    try {
      const { rows } = await this.tenants.query(tenant, 'SELECT 1 FROM imports WHERE id = $1', [importId]);
      return rows.length === 0;
    } catch {
      return false;
    }
  }

  /**
   * A soft cap on the tenant's imports queued or running (`IMPORT_MAX_PENDING_PER_TENANT`), checked before
   * anything is stored: uploads at the same moment may pass it by a few. A retry of an upload whose
   * Idempotency-Key is known goes on (to its replay or 422), whatever the count.
   */
  private async assertRoomForAnother(tenant: TenantContext, idempotencyKey: string | undefined): Promise<void> {
    const limit = this.config.imports.maxPendingPerTenant;
    const { rows } = await this.tenants.query<{ pending: number; known: boolean }>(
      tenant,
      `SELECT (SELECT count(*)::int FROM imports WHERE status IN ('queued', 'running')) AS pending,
              EXISTS (SELECT 1 FROM idempotency_keys WHERE key = $1) AS known`,
      [idempotencyKey ?? null],
    );
    const { pending = 0, known = false } = rows[0] ?? {};
    if (pending < limit || known) return;
    throw new DomainError(
      'rate_limited',
      TOO_MANY_PENDING_IMPORTS,
      `This tenant has ${pending} imports queued or running (at most ${limit}): send this file again once some have finished (GET /v1/imports?status=queued).`,
    );
  }

  /** Records the queued import, its event and (with a key) its 202 in one transaction; then publishes. */
  private async queue(tenant: TenantContext, importId: string, objectUri: string, bytes: number, input: UploadImportInput, heldKey: HeldKey | undefined): Promise<ImportAcceptedDto> {
    const accepted: ImportAcceptedDto = { importId, status: 'queued', links: importLinks(importId) };
    const payload: RequestedPayload = {
      importId,
      entity: input.entity,
      origin: { kind: 'upload', objectUri, format: input.format },
      mode: input.mode,
      ...(input.mapping ? { mapping: input.mapping } : {}),
    };
    const eventId = randomUUID();
    const metadata = { tenantId: tenant.tenantId, correlationId: tenant.correlationId ?? eventId, eventId, occurredAt: new Date() };
    await this.tenants.withTenantTransaction(tenant, async (db) => {
      // A key that expired from idempotency_keys may be used afresh: the new import takes it over.
      if (input.idempotencyKey !== undefined) await db.query('UPDATE imports SET idempotency_key = NULL WHERE idempotency_key = $1', [input.idempotencyKey]);
      await db.query(
        `INSERT INTO imports (id, entity, status, mode, format, object_uri, mapping, options, idempotency_key, checkpoint)
         VALUES ($1, $2, 'queued', $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::jsonb)`,
        [
          importId,
          input.entity,
          input.mode,
          input.format,
          objectUri,
          input.mapping ? JSON.stringify(input.mapping) : null,
          JSON.stringify(input.options),
          input.idempotencyKey ?? null,
          JSON.stringify({ uploadedBytes: bytes }),
        ],
      );
      await enqueueEvent((sql, values) => db.query(sql, values), ingestionRequestedV1, payload, metadata);
      if (heldKey !== undefined) await this.idempotency.completeIn(db, heldKey.key, heldKey.lease, 202, accepted);
    });
    await publishAfterCommit(
      this.publisher,
      (sql, values) => this.tenants.query(tenant, sql, values),
      { contract: ingestionRequestedV1, payload, metadata },
      (error) => this.logger.warn({ ...tenantLogFields(tenant), err: error, importId, eventId }, 'ingestion.requested.v1 not published; left in the tenant outbox'),
    );
    return accepted;
  }
}

/**
 * The body as the file it carries: gzip is decompressed on the way, so the size limit and the content
 * hash (the Idempotency-Key's binding) are the file's, whatever the coding. Bytes that are not gzip fail
 * the meter with a 400.
 */
function decoded(input: UploadImportInput, meter: UploadMeter): Readable {
  if (input.contentCoding === 'identity') return input.body;
  const gunzip = createGunzip();
  gunzip.on('error', (error) => meter.destroy(new DomainError('invalid_input', 'invalid_content_encoding', `The body was sent as gzip but is not gzip: ${error.message}.`, [], { cause: error })));
  return input.body.pipe(gunzip);
}
