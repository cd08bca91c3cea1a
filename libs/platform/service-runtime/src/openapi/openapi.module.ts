import { Controller, Get, Inject, Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { z } from 'zod';
import { ApiRoute } from './api-route.decorator';
import { buildOpenApiDocument, discoverRoutes, type OpenApiInfo } from './openapi-document';

const OPENAPI_INFO = Symbol('OPENAPI_INFO');

/** What a client can rely on of the document (the full schema is the OpenAPI 3.1 specification's). */
const openApiDocumentSchema = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .describe('An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0)');

@Controller()
class OpenApiController {
  private document: Record<string, unknown> | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(OPENAPI_INFO) private readonly info: OpenApiInfo,
  ) {}

  @Get('openapi.json')
  @ApiRoute({ summary: 'This OpenAPI 3.1 document', public: true, responses: { 200: { description: 'The document', schema: openApiDocumentSchema } } })
  openApi(): Record<string, unknown> {
    // Built on first request: by then every module's controllers are registered.
    this.document ??= buildOpenApiDocument(this.info, discoverRoutes(this.discovery, this.scanner));
    return this.document;
  }
}

/** Serves GET /openapi.json generated from the @ApiRoute documentation of every route. */
@Module({})
export class OpenApiModule {
  static forRoot(info: OpenApiInfo): DynamicModule {
    return {
      module: OpenApiModule,
      imports: [DiscoveryModule],
      controllers: [OpenApiController],
      providers: [{ provide: OPENAPI_INFO, useValue: info }],
    };
  }
}
