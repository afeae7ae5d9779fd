import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Hono } from 'hono';

/**
 * The console's static files, served by the API process itself: no CDN, no build step. htmx comes from
 * its npm package (node_modules), the stylesheet and the small script from src/http/console/static.
 * URLs carry a content hash, so the files are cached for a year and a new version is a new URL.
 */
const require = createRequire(import.meta.url);
const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };

interface Asset {
  body: string;
  type: string;
  hash: string;
}

function load(file: string): string {
  if (file === 'htmx.min.js') return readFileSync(require.resolve('htmx.org/dist/htmx.min.js'), 'utf8');
  return readFileSync(new URL(`./static/${file}`, import.meta.url), 'utf8');
}

const assets = new Map<string, Asset>();
for (const file of ['htmx.min.js', 'console.css', 'console.js']) {
  const body = load(file);
  assets.set(file, { body, type: TYPES[file.split('.').pop()!]!, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
}

export const assetUrl = (file: string): string => `/admin/assets/${file}?v=${assets.get(file)?.hash ?? '0'}`;

export function assetRoutes() {
  const app = new Hono();
  app.get('/:file', (c) => {
    const asset = assets.get(c.req.param('file'));
    if (!asset) return c.text('not found', 404);
    const etag = `"${asset.hash}"`;
    const headers = { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=31536000, immutable', ETag: etag, 'X-Content-Type-Options': 'nosniff' };
    if (c.req.header('If-None-Match') === etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, headers);
  });
  return app;
}
