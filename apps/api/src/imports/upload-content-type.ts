import type { Provider } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { ImportFormat } from '@pulse/contracts';

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
 * otherwise refuse them (no parser) or buffer them whole (bodyLimit applies only to buffered parsers).
 * The route streams the body to object storage and enforces its own size limit. Every other route
 * keeps refusing these media types with 415, as before.
 */
export const uploadContentTypesProvider: Provider = {
  provide: UPLOAD_CONTENT_TYPES,
  inject: [HttpAdapterHost],
  useFactory: (adapterHost: HttpAdapterHost): true => {
    const fastify = adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addContentTypeParser(Object.keys(UPLOAD_MEDIA_TYPES), (request, payload, done) => {
      if (request.routeOptions.url !== IMPORT_ROUTE) {
        done(Object.assign(new Error(`Unsupported Media Type: ${request.headers['content-type'] ?? ''}`), { statusCode: 415 }), undefined);
        return;
      }
      done(null, payload);
    });
    return true;
  },
};
