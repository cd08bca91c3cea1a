import { HttpStatus, Injectable, RequestMethod, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { ValidationError } from '@pulse/errors';
import type { TenantContext } from '@pulse/tenancy';
import type { FastifyReply } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { TenantRequest } from '../../auth/tenant-auth.guard';
import { IdempotencyStore, usableClaim } from './idempotency-store';
import { IDEMPOTENT_RESPONSE, IdempotentResponse } from './idempotent-response';
import { requestFingerprint } from './request-fingerprint';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Honours `Idempotency-Key` on the routes marked @Idempotent (which attaches this interceptor): the first request with a key runs and its
 * response (status and body) is stored; a retry with the same key and the same request gets that
 * response again (header `Idempotent-Replayed: true`); the same key with another request is 422
 * `idempotency_key_reused`; a retry while the first is still running gets 409
 * `idempotency_key_in_progress` at once (rather than waiting, which would hold a connection and a
 * request slot): retry it after a moment. A failed request releases its key, so a retry runs again.
 * Handlers record the response in their own transaction where they can (IdempotentResponse).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly logger: PinoLogger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<TenantRequest>();
    const header = request.headers['idempotency-key'];
    if (header === undefined || !request.tenant) return next.handle();
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined || !KEY_PATTERN.test(key)) {
      throw new ValidationError([{ field: 'header.idempotency-key', code: 'invalid_format', message: 'Use 1-255 visible ASCII characters (a UUID, say).' }]);
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(this.run(request, key, requestFingerprint(request.method, request.url, request.body), successStatus(context), reply, next));
  }

  private async run(request: TenantRequest & { [IDEMPOTENT_RESPONSE]?: IdempotentResponse }, key: string, hash: string, status: number, reply: FastifyReply, next: CallHandler): Promise<unknown> {
    const tenant = request.tenant as TenantContext;
    const claim = usableClaim(await this.store.claim(tenant, key, hash));
    switch (claim.outcome) {
      case 'replay':
        void reply.header('idempotent-replayed', 'true');
        return claim.body;
      case 'claimed':
        break;
    }
    const response = new IdempotentResponse(this.store, key, claim.lease, status);
    request[IDEMPOTENT_RESPONSE] = response;
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      // Frees the key unless the handler's transaction recorded the response and committed (its answer
      // lost on the way back): then the key stays completed and the client's retry gets the replay.
      // The client is told what failed its request, even if the release fails too (the database went
      // away, say): the key is then freed when its lease runs out.
      await this.store.release(tenant, key, claim.lease).catch((releaseError: unknown) =>
        this.logger.warn({ err: releaseError, tenantId: tenant.tenantId, idempotencyKey: key }, 'could not release the Idempotency-Key of a failed request; it is freed when its lease runs out'),
      );
      throw error;
    }
    if (!response.recorded) await this.store.complete(tenant, key, claim.lease, status, body);
    return body;
  }
}

/** The status Nest will send for a successful result: @HttpCode's, else 201 for POST and 200 otherwise. */
function successStatus(context: ExecutionContext): number {
  const declared = Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined;
  if (declared !== undefined) return declared;
  return context.switchToHttp().getRequest<TenantRequest>().method === RequestMethod[RequestMethod.POST] ? HttpStatus.CREATED : HttpStatus.OK;
}
