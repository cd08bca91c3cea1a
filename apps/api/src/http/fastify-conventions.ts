import compress from '@fastify/compress';
import type { Provider } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { API_CONFIG, type ApiConfig } from '../config/api.config';
import { privateResponseHook } from './cache-control/private-response.hook';
import { etagHook } from './etag/etag.hook';

export const FASTIFY_CONVENTIONS = Symbol('FASTIFY_CONVENTIONS');

/**
 * Registers the api's Fastify-level conventions on its own Fastify instance (other services do not get
 * them): ETags with 304, Cache-Control: private and Vary: Authorization on the answers of routes that
 * need a key (private-response.hook.ts), then compression. An async provider, so Nest waits for the plugin to load
 * while it builds the module graph: @fastify/compress hooks routes as they are added (onRoute), so it
 * must be loaded before Nest registers any. The ETag hook comes first so it hashes the JSON before
 * compression replaces the payload with a stream.
 */
export const fastifyConventionsProvider: Provider = {
  provide: FASTIFY_CONVENTIONS,
  inject: [HttpAdapterHost, API_CONFIG],
  useFactory: async (adapterHost: HttpAdapterHost, config: ApiConfig): Promise<true> => {
    const fastify = adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', etagHook);
    fastify.addHook('onSend', privateResponseHook);
    // gzip/deflate only: brotli's better ratio costs far more CPU per response at default quality.
    // Responses only: request bodies are never compressed by our clients' SDKs, and the plugin's
    // request-decompression hook would otherwise run on every request.
    await fastify.register(compress, {
      global: true,
      globalDecompression: false,
      threshold: config.http.compressionThresholdBytes,
      encodings: ['gzip', 'deflate'],
    });
    return true;
  },
};
