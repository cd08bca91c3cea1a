import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { problemDetailsSchema } from '@pulse/contracts';
import { z } from 'zod';
import { queryTextJsonSchema } from '../http/query-numbers';
import { API_ROUTE_METADATA, type ApiResponseDoc, type ApiRouteDoc } from './api-route.decorator';

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  /** Describes the bearer token (operator token, tenant API key). */
  bearerDescription: string;
  /**
   * What the service adds to routes across the board, by route (from its method and @ApiRoute):
   * headers it sets (rate limits, ETag) on the route's success responses (`success`) or its error
   * responses (`error`), and `responses` it may give on any route of the kind (401/403/429 on
   * authenticated routes, 304 on tagged GETs), listed under the route's own (a route's own description
   * of a status wins). `headersFor`, when given, says exactly which headers each status (or `default`)
   * carries, instead of `success`/`error`.
   */
  responseHeaders?: (route: RouteConventionsInput) => RouteConventions;
  /** Headers that responses refer to (`{ $ref: '#/components/headers/<name>' }`), as components.headers. */
  headers?: Record<string, ResponseHeaderDoc>;
}

export interface RouteConventionsInput {
  method: string;
  /** The OpenAPI path (`/v1/things/{id}`). */
  path: string;
  public: boolean;
  doc: ApiRouteDoc;
}

export interface RouteConventions {
  success?: Record<string, ResponseHeaderSpec>;
  error?: Record<string, ResponseHeaderSpec>;
  /** The headers of one status of the route (`'200'`, `'401'`, `'default'`); overrides success/error. */
  headersFor?: (status: string) => Record<string, ResponseHeaderSpec>;
  responses?: Record<number, ApiResponseDoc>;
}

export interface ResponseHeaderDoc {
  description: string;
  schema: Record<string, unknown>;
  /** Whether every response it is declared on carries it (OpenAPI's default: false). */
  required?: boolean;
}

/** A header declared in place, or a reference to one of OpenApiInfo.headers. */
export type ResponseHeaderSpec = ResponseHeaderDoc | { $ref: string };

export interface DiscoveredRoute {
  method: string;
  path: string;
  doc: ApiRouteDoc | undefined;
}

function joinPath(...parts: Array<string | string[] | undefined>): string {
  const segments = parts.flatMap((part) => (Array.isArray(part) ? (part[0] ?? '') : (part ?? ''))).join('/');
  const normalised = `/${segments}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  // Nest writes path parameters as :name; OpenAPI as {name}.
  return normalised.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Every HTTP route of the application, with its @ApiRoute documentation if it has one. */
export function discoverRoutes(discovery: DiscoveryService, scanner: MetadataScanner): DiscoveredRoute[] {
  const routes: DiscoveredRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    const controllerPath = Reflect.getMetadata(PATH_METADATA, metatype) as string | string[] | undefined;
    const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
    for (const methodName of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[methodName] as object;
      const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (requestMethod === undefined) continue;
      routes.push({
        method: RequestMethod[requestMethod].toLowerCase(),
        path: joinPath(controllerPath, Reflect.getMetadata(PATH_METADATA, handler) as string | undefined),
        doc: Reflect.getMetadata(API_ROUTE_METADATA, handler) as ApiRouteDoc | undefined,
      });
    }
  }
  return routes;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    // A query number read as plain decimal text (queryDecimal) is declared as that text, not as a JSON number.
    override: (context) => {
      const text = queryTextJsonSchema(context.jsonSchema as Record<string, unknown>);
      if (!text) return;
      for (const key of Object.keys(context.jsonSchema)) delete (context.jsonSchema as Record<string, unknown>)[key];
      Object.assign(context.jsonSchema, text);
    },
  }) as Record<string, unknown>;
  return rest;
}

/**
 * Whether a missing body is accepted: ZodValidationPipe validates a request without a body as `{}`, so
 * the body is optional exactly when its schema accepts an empty object.
 */
function bodyRequired(schema: z.ZodType): boolean {
  return !schema.safeParse({}).success;
}

function parameters(location: 'path' | 'query' | 'header', schema: z.ZodObject | undefined) {
  if (!schema) return [];
  const objectSchema = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(objectSchema.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (objectSchema.required ?? []).includes(name),
    schema: property,
  }));
}

/** Every error body is one (RFC 9457) schema, named so that generated clients get one error type. */
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const PROBLEM_CONTENT = { 'application/problem+json': { schema: PROBLEM_REF } };

/**
 * A documented response: its own schema if it has one; an error (4xx/5xx) without one is a problem
 * details body, so that a client can type it (a declared 404 is as typed as the `default`).
 */
function responseObject(status: number, response: ApiResponseDoc): Record<string, unknown> {
  if (response.schema) return { description: response.description, content: { [response.contentType ?? 'application/json']: { schema: jsonSchema(response.schema, 'output') } } };
  if (status >= 400) return { description: response.description, content: PROBLEM_CONTENT };
  // A body without a schema (a file, a page): its media types, any content.
  const mediaTypes = response.mediaTypes ?? (response.contentType ? [response.contentType] : []);
  return mediaTypes.length > 0 ? { description: response.description, content: Object.fromEntries(mediaTypes.map((mediaType) => [mediaType, {}])) } : { description: response.description };
}

/** The responses the conventions give the route, and its own: each replaces the convention's, unless that one is additive. */
function withRouteResponses(shared: Record<number, ApiResponseDoc>, own: Record<number, ApiResponseDoc>): Record<number, ApiResponseDoc> {
  const merged = { ...shared };
  for (const [key, response] of Object.entries(own)) {
    const status = Number(key);
    const common = shared[status];
    merged[status] = common?.additive && !response.schema ? { ...response, description: `${response.description}; ${common.description}` } : response;
  }
  return merged;
}

/** OpenAPI 3.1 from the routes' zod schemas (3.1 takes JSON Schema 2020-12 as it is). */
export function buildOpenApiDocument(info: OpenApiInfo, routes: DiscoveredRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const problem = { description: 'Error (RFC 9457)', content: PROBLEM_CONTENT };
  for (const { method, path, doc } of routes) {
    if (!doc) continue;
    const conventions = info.responseHeaders?.({ method, path, public: doc.public === true, doc }) ?? {};
    const headersOf = (status: string) =>
      conventions.headersFor ? conventions.headersFor(status) : status !== 'default' && Number(status) < 400 ? conventions.success : conventions.error;
    const withHeaders = (response: Record<string, unknown>, status: string) => {
      const set = headersOf(status);
      return set && Object.keys(set).length > 0 ? { ...response, headers: set } : response;
    };
    // Integer-like keys: the statuses come out in ascending order whatever the order they were given in.
    const declared = withRouteResponses(conventions.responses ?? {}, doc.responses);
    const responses = Object.fromEntries(
      Object.entries(declared).map(([status, response]) => [status, withHeaders(responseObject(Number(status), response), status)]),
    );
    paths[path] ??= {};
    paths[path][method] = {
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      ...(doc.tags ? { tags: doc.tags } : {}),
      parameters: [...parameters('path', doc.params), ...parameters('query', doc.query), ...parameters('header', doc.headers)],
      ...(doc.body ? { requestBody: { required: bodyRequired(doc.body), content: { 'application/json': { schema: jsonSchema(doc.body, 'input') } } } } : {}),
      ...(doc.fileBody ? { requestBody: { required: true, content: fileContent(doc.fileBody) } } : {}),
      responses: { ...responses, default: withHeaders(problem, 'default') },
      ...(doc.public ? { security: [] } : {}),
      ...(doc.queryPatterns ? queryPatternsExtension(doc.queryPatterns) : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    components: {
      schemas: { Problem: jsonSchema(problemDetailsSchema, 'output') },
      ...(info.headers ? { headers: info.headers } : {}),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: info.bearerDescription } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

/** A file body per media type: any bytes (OpenAPI 3.1 has no schema for a CSV), described in words. */
function fileContent(mediaTypes: Record<string, string>) {
  return Object.fromEntries(Object.entries(mediaTypes).map(([mediaType, description]) => [mediaType, { schema: { type: 'string', description } }]));
}

/**
 * Query parameters whose names follow a pattern (`custom.<name>[gte]`): OpenAPI 3.1 can only declare
 * parameters by exact name, and no parameter style serialises to such names, so they are listed in an
 * extension (and the operation's description says them in words).
 */
function queryPatternsExtension(patterns: NonNullable<ApiRouteDoc['queryPatterns']>) {
  return {
    'x-query-parameter-patterns': patterns.map(({ pattern, description, schema }) => ({ pattern: pattern.source, description, schema: jsonSchema(schema, 'input') })),
  };
}
