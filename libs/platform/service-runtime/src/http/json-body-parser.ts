import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyBodyParser, FastifyInstance, FastifyRequest } from 'fastify';

/** Why each request's JSON body could not be read; only MalformedBodyGuard reads it. */
const bodyErrors = new WeakMap<FastifyRequest, Error>();

/**
 * Fastify's own JSON parser, except that a body that is not JSON (or poisons a prototype)
 * does not end the request: Fastify parses before any guard runs, so its 400 would reach a client with
 * no credentials before the 401 it is owed. The error is kept, exactly as Fastify raised it, for
 * MalformedBodyGuard to throw once the request is authenticated: an authenticated client gets the
 * same 400 problem+json as ever.
 */
export function jsonParserDeferringErrors(parse: FastifyBodyParser<string>): FastifyBodyParser<string> {
  return (request, body, done) => {
    // No bytes at all is no body, whatever the header says: many HTTP clients send
    // `Content-Type: application/json` on every request, a body or not. A route that needs a body then
    // says which fields are missing; one that takes none is satisfied.
    if (body === '') {
      done(null, undefined);
      return;
    }
    void parse(request, body, (error, parsed?: unknown) => {
      if (error) bodyErrors.set(request, error);
      done(null, error ? undefined : parsed);
    });
  };
}

/** The error the request's JSON body gave, if it did. */
export function bodyParseErrorOf(request: FastifyRequest): Error | undefined {
  return bodyErrors.get(request);
}

/**
 * Swaps the JSON parser Nest registers for jsonParserDeferringErrors over Fastify's default (same
 * prototype-poisoning settings, same body limit), and makes JSON the only media type a body may have.
 * Nest's body parsers (JSON, forms) are registered here rather than at init, where
 * registerParserMiddleware would otherwise run once, so that they can be replaced: the JSON one by ours,
 * while the forms one and Fastify's text/plain are removed. Routes validate a JSON object; a form or a
 * text body parsed into something else reached them as input (a form's `asOf=...` was taken as
 * `{"asOf": ...}`). (It also takes the global prefix and rawBody flag: Pulse uses neither.)
 *
 * A route that takes other media types declares them by registering a Fastify content-type parser for
 * them that refuses them on every other route, and documents them in its @ApiRoute `fileBody` (the
 * api's import upload: apps/api/src/imports/upload-content-type.ts). The providers of a service's
 * modules run before this, so such parsers are in place already and are left alone.
 *
 * A body of a media type no parser takes is left unread by leaveOtherMediaTypesUnread, which
 * createServiceApp installs next to this. Still refused before authentication: a JSON body over the limit
 * (413), which protects the server: it never reads past the limit.
 */
export function deferJsonBodyErrors(app: NestFastifyApplication): void {
  const adapter = app.getHttpAdapter();
  adapter.registerParserMiddleware();
  const fastify: FastifyInstance = adapter.getInstance();
  const { onProtoPoisoning = 'error', onConstructorPoisoning = 'error', bodyLimit } = fastify.initialConfig;
  fastify.removeContentTypeParser(['application/x-www-form-urlencoded', 'text/plain']);
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit },
    jsonParserDeferringErrors(fastify.getDefaultJsonParser(onProtoPoisoning, onConstructorPoisoning)),
  );
}
