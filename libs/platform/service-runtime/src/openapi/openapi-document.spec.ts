import { z } from 'zod';
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
});
