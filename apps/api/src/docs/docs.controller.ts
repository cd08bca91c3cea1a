import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import { NotFoundError } from '@pulse/errors';
import { ApiRoute } from '@pulse/service-runtime';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { DOCS_ASSETS, DOCS_HTML, DOCS_INIT_JS, loadDocsAssets, type DocsAsset } from './docs-assets';

const ASSET_NAMES = [...(Object.keys(DOCS_ASSETS) as DocsAsset[]), 'init.js'] as const;
const assetParams = z.strictObject({ asset: z.enum(ASSET_NAMES) });

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
  @ApiRoute({
    summary: 'A static file of the docs page',
    public: true,
    tags: ['docs'],
    params: assetParams,
    responses: { 200: { description: 'The file', mediaTypes: [...new Set(Object.values(DOCS_ASSETS).map((type) => type.split(';')[0] as string))] }, 404: { description: 'route_not_found: no such file' } },
  })
  asset(@Param('asset') name: string, @Res({ passthrough: true }) reply: FastifyReply): Buffer | string {
    // Any other name is a file that is not there: 404 as for any unknown path, not a 400 about the input.
    const asset = assetParams.shape.asset.safeParse(name);
    if (!asset.success) throw new NotFoundError('route_not_found', 'No such file of the docs page.');
    return this.send(asset.data, reply);
  }

  private send(asset: z.output<typeof assetParams>['asset'], reply: FastifyReply): Buffer | string {
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
