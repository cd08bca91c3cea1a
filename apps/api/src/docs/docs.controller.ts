import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import { ApiRoute, ZodValidationPipe } from '@pulse/service-runtime';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { DOCS_ASSETS, DOCS_HTML, DOCS_INIT_JS, loadDocsAssets, type DocsAsset } from './docs-assets';

const assetParams = z.strictObject({ asset: z.enum([...(Object.keys(DOCS_ASSETS) as DocsAsset[]), 'init.js']) });

/** GET /docs: Swagger UI over /openapi.json, served from node_modules; public like the document. */
@Controller('docs')
export class DocsController {
  private readonly assets = loadDocsAssets();

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @ApiRoute({ summary: 'API reference (Swagger UI over /openapi.json)', public: true, tags: ['docs'], responses: { 200: { description: 'HTML page', contentType: 'text/html' } } })
  page(): string {
    return DOCS_HTML;
  }

  @Get(':asset')
  @ApiRoute({ summary: 'A static file of the docs page', public: true, tags: ['docs'], params: assetParams, responses: { 200: { description: 'The file' } } })
  asset(@Param(new ZodValidationPipe(assetParams, 'path')) { asset }: z.output<typeof assetParams>, @Res({ passthrough: true }) reply: FastifyReply): Buffer | string {
    // Versioned by the installed package: let browsers keep them for a day.
    void reply.header('cache-control', 'public, max-age=86400');
    if (asset === 'init.js') {
      void reply.header('content-type', DOCS_ASSETS['swagger-ui-bundle.js']);
      return DOCS_INIT_JS;
    }
    void reply.header('content-type', DOCS_ASSETS[asset]);
    return this.assets.get(asset) as Buffer;
  }
}
