import { Injectable, SetMetadata, UnsupportedMediaTypeException, type CanActivate, type ExecutionContext, type Provider } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ImportFormat } from '@pulse/contracts';
import { contentTypeAsSent, leaveBodyUnread } from '@pulse/service-runtime';

/** The media types an import upload may have, and the file format each one means. */
export const UPLOAD_MEDIA_TYPES: Readonly<Record<string, ImportFormat>> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
};

/** `text/csv; charset=utf-8` -> `csv`; anything else -> undefined (a 415). */
export function uploadFormatOf(contentType: string | undefined): ImportFormat | undefined {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return UPLOAD_MEDIA_TYPES[mediaType];
}

const IMPORT_ROUTE = '/v1/imports/:entity';

export const UPLOAD_CONTENT_TYPES = Symbol('UPLOAD_CONTENT_TYPES');

/**
 * Lets CSV and NDJSON bodies through to the upload route as the raw request stream: Fastify would
 * otherwise leave them unread (the catch-all parser of @pulse/service-runtime's body-media-type.ts) or buffer
 * them whole (bodyLimit applies only to buffered parsers). The route streams the body to object storage
 * and enforces its own size limit. On every other route they are left unread like any body that is not
 * JSON, and refused with 415 once the key is checked (BodyMediaTypeGuard).
 */
export const uploadContentTypesProvider: Provider = {
  provide: UPLOAD_CONTENT_TYPES,
  inject: [HttpAdapterHost],
  useFactory: (adapterHost: HttpAdapterHost): true => {
    const fastify = adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addContentTypeParser(Object.keys(UPLOAD_MEDIA_TYPES), (request, payload, done) => {
      if (request.routeOptions.url !== IMPORT_ROUTE) {
        leaveBodyUnread(request);
        done(null, undefined);
        return;
      }
      done(null, payload);
    });
    return true;
  },
};

const UPLOAD_BODY_METADATA = 'pulse:upload-body';

/** Marks a route whose body is an uploaded file: UploadMediaTypeGuard refuses any other media type. */
export const UploadBody = () => SetMetadata(UPLOAD_BODY_METADATA, true);

/** The 415 of an upload route, naming what it takes. */
export function unsupportedUploadType(contentType: string | undefined): UnsupportedMediaTypeException {
  return new UnsupportedMediaTypeException(`Send the file as text/csv or application/x-ndjson, not ${contentType ?? 'no content type'}.`);
}

/**
 * An upload route takes CSV or NDJSON only: any other media type, or none, is 415, whatever its body
 * holds. A global guard registered after authentication, rate limit and scopes (a client without a valid
 * key gets its 401 first, as for any body), before BodyMediaTypeGuard, whose 415 names JSON, and before
 * MalformedBodyGuard, which would otherwise answer a JSON body that does not parse with 400 and one that
 * parses with the route's 415.
 */
@Injectable()
export class UploadMediaTypeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.reflector.get<boolean | undefined>(UPLOAD_BODY_METADATA, context.getHandler())) return true;
    const contentType = contentTypeAsSent(context.switchToHttp().getRequest<FastifyRequest>());
    if (uploadFormatOf(contentType) !== undefined) return true;
    throw unsupportedUploadType(contentType);
  }
}
