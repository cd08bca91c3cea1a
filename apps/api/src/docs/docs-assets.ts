import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The Swagger UI files /docs serves, from the swagger-ui-dist package (no CDN: clusters may have no egress). */
export const DOCS_ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const;

export type DocsAsset = keyof typeof DOCS_ASSETS;

const distDir = () => path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** Read once and kept: a few MB at most, served on every docs page load. */
export function loadDocsAssets(): Map<DocsAsset, Buffer> {
  const dir = distDir();
  return new Map((Object.keys(DOCS_ASSETS) as DocsAsset[]).map((name) => [name, readFileSync(path.join(dir, name))]));
}

/** The page and its start script; a separate script (not inline) so a strict CSP can allow 'self' only. */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Pulse API</title>
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

export const DOCS_INIT_JS = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: false });\n`;
