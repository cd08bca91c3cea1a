import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

export const API_ROUTE_METADATA = 'pulse:api-route';

export interface ApiResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Media type of the body; application/json unless given (e.g. application/zip). */
  contentType?: string;
  /** A body without a schema (a file) that comes in any of these media types. */
  mediaTypes?: string[];
  /**
   * On a response the conventions give every route (OpenApiInfo.responseHeaders): a route's own response
   * for the same status adds its codes to this one instead of replacing it (the 400 for two Authorization
   * headers stays documented on a route that declares the 400s of its parameters).
   */
  additive?: boolean;
}

/** What the OpenAPI document says about a route: the same zod schemas the route validates with. */
export interface ApiRouteDoc {
  summary: string;
  description?: string;
  tags?: string[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads (names in lower case, e.g. `idempotency-key`). */
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** A body that is a file, not JSON (e.g. an upload): its media types, each with a description of its content. */
  fileBody?: Record<string, string>;
  responses: Record<number, ApiResponseDoc>;
  /**
   * Query parameters named by a pattern rather than a name (e.g. `custom.<name>`), which the route
   * parses itself: the document lists them in `x-query-parameter-patterns`.
   */
  queryPatterns?: Array<{ pattern: RegExp; description: string; schema: z.ZodType }>;
  /** Routes are authenticated unless marked public (health, the document itself). */
  public?: boolean;
}

/** Documents a route in /openapi.json. Every route must have one: a test fails on any that does not. */
export const ApiRoute = (doc: ApiRouteDoc) => SetMetadata(API_ROUTE_METADATA, doc);
