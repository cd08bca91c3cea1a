import { z } from 'zod';
import { queryDecimal } from '../http/query-numbers';
import type { ApiRouteDoc } from './api-route.decorator';
import { buildOpenApiDocument, type OpenApiInfo, type RouteConventions } from './openapi-document';

type Operation = { responses: Record<string, { description: string; content?: Record<string, { schema: unknown }>; headers?: Record<string, unknown> }> };

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

const routes: Array<{ method: string; path: string; doc: ApiRouteDoc }> = [
  {
    method: 'get',
    path: '/things/{id}',
    doc: { summary: 'A thing', responses: { 200: { description: 'The thing', schema: z.object({ id: z.string() }) }, 404: { description: 'thing.not_found' } } },
  },
  {
    method: 'post',
    path: '/things',
    doc: { summary: 'Make a thing', responses: { 201: { description: 'Made' }, 403: { description: 'thing.forbidden: route-specific' }, 409: { description: 'thing.taken' } } },
  },
  { method: 'get', path: '/healthz', doc: { summary: 'Alive', public: true, responses: { 200: { description: 'Alive' }, 503: { description: 'not ready' } } } },
];

function document(info: Partial<OpenApiInfo> = {}) {
  const built = buildOpenApiDocument({ title: 'T', version: '1', bearerDescription: 'key', ...info }, routes) as {
    components: { schemas: Record<string, { required: string[]; properties: Record<string, unknown> }> };
    paths: Record<string, Record<string, Operation>>;
  };
  return { components: built.components, operation: (path: string, method: string) => built.paths[path]?.[method] as Operation };
}

describe('buildOpenApiDocument', () => {
  it('gives every declared error response and the default the problem details body, one named schema', () => {
    const { components, operation } = document();
    expect(components.schemas['Problem']?.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
    expect(operation('/things/{id}', 'get').responses['404']).toEqual({ description: 'thing.not_found', content: PROBLEM });
    expect(operation('/things', 'post').responses['409']).toEqual({ description: 'thing.taken', content: PROBLEM });
    expect(operation('/healthz', 'get').responses['503']).toEqual({ description: 'not ready', content: PROBLEM });
    expect(operation('/things', 'post').responses['default']).toEqual({ description: 'Error (RFC 9457)', content: PROBLEM });
    // Success responses keep their own body, or none.
    expect(operation('/things', 'post').responses['201']).toEqual({ description: 'Made' });
    expect(Object.keys(operation('/things/{id}', 'get').responses['200']?.content ?? {})).toEqual(['application/json']);
  });

  it("adds the service's responses per route from its metadata, in status order, the route's own description first", () => {
    const { operation } = document({
      responseHeaders: (route): RouteConventions => {
        if (route.public) return {};
        const responses: NonNullable<RouteConventions['responses']> = { 401: { description: 'no key' }, 403: { description: 'not yours' } };
        if (route.method === 'get') responses[304] = { description: 'not modified' };
        return { error: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } }, responses };
      },
    });
    const get = operation('/things/{id}', 'get').responses;
    expect(Object.keys(get)).toEqual(['200', '304', '401', '403', '404', 'default']);
    expect(get['304']).toEqual({ description: 'not modified' });
    expect(get['401']).toEqual({ description: 'no key', content: PROBLEM, headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } } });
    const post = operation('/things', 'post').responses;
    expect(Object.keys(post)).toEqual(['201', '401', '403', '409', 'default']);
    expect(post['403']?.description).toBe('thing.forbidden: route-specific');
    expect(Object.keys(operation('/healthz', 'get').responses)).toEqual(['200', '503', 'default']);
  });

  it("keeps an additive response's codes next to the route's own for the same status, and lets the route replace the others", () => {
    const { operation } = document({
      responseHeaders: (route): RouteConventions =>
        route.public ? {} : { responses: { 403: { description: 'auth.host_mismatch', additive: true }, 409: { description: 'idempotency_key_in_progress' } } },
    });
    const post = operation('/things', 'post').responses;
    expect(post['403']).toEqual({ description: 'thing.forbidden: route-specific; auth.host_mismatch', content: PROBLEM });
    expect(post['409']).toEqual({ description: 'thing.taken', content: PROBLEM });
    // Where the route declares nothing for the status, the convention stands alone.
    expect(operation('/things/{id}', 'get').responses['403']).toEqual({ description: 'auth.host_mismatch', content: PROBLEM });
  });

  it('makes a body optional when its schema takes an empty object, declares query decimals as text, and lists pattern-named parameters', () => {
    const built = buildOpenApiDocument({ title: 'T', version: '1', bearerDescription: 'key' }, [
      {
        method: 'post',
        path: '/runs',
        doc: {
          summary: 'Run',
          body: z.strictObject({ asOf: z.string().optional() }),
          query: z.strictObject({ share: queryDecimal(z.number().min(0).max(1).default(0.1)) }),
          queryPatterns: [{ pattern: /^custom\.\w+$/, description: 'custom.<name>', schema: z.string() }],
          responses: { 202: { description: 'Queued' } },
        },
      },
      { method: 'put', path: '/card', doc: { summary: 'Card', body: z.strictObject({ name: z.string() }), responses: { 200: { description: 'Saved' } } } },
    ]) as { paths: Record<string, Record<string, { requestBody: { required: boolean }; parameters: Array<{ schema: unknown }>; 'x-query-parameter-patterns': unknown }>> };
    const run = built.paths['/runs']?.['post'];
    expect(run?.requestBody.required).toBe(false);
    expect(built.paths['/card']?.['put']?.requestBody.required).toBe(true);
    expect(run?.parameters[0]?.schema).toEqual({
      type: 'string',
      pattern: '^-?\\d+(\\.\\d+)?$',
      description: 'A decimal number from 0 to 1 as plain decimal text: digits with an optional leading - and decimal point (no exponent).',
      default: '0.1',
    });
    expect(run?.['x-query-parameter-patterns']).toEqual([{ pattern: '^custom\\.\\w+$', description: 'custom.<name>', schema: { type: 'string' } }]);
  });
});
