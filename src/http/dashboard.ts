import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import { problem } from './problem.js';

/** Where `npm run build` puts the dashboard: `dist/web`, from `src/http` and `dist/http` alike. */
export const BUILT_DASHBOARD = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

// Vite names every asset by its content hash: one name, one content, forever.
const IMMUTABLE = 'public, max-age=31536000, immutable';
// A plain file name: no separator and no leading dot, so no path can leave `assets/`.
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

// The page loads only its own scripts and styles and talks only to its own origin ('self'
// covers the same-origin ws: URL); the favicon is a data: URL.
const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  // The first load carries `?token=`: no Referer may pass it on.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/**
 * Serves the built dashboard from `dir`: `index.html` at `/`, hashed files at `/assets/<name>`.
 * Read from disk on each request, so a rebuild is picked up without a restart; without a
 * build, `/` answers the placeholder page.
 */
export function staticDashboard(dir: string = BUILT_DASHBOARD) {
  return async (c: Context): Promise<Response> => {
    const path = c.req.path;
    if (path === '/') {
      const page = await readIfExists(join(dir, 'index.html'));
      if (page === undefined) return placeholderPage(c);
      return new Response(page, {
        headers: { 'content-type': 'text/html; charset=utf-8', ...PAGE_HEADERS },
      });
    }
    const name = path.startsWith('/assets/') ? path.slice('/assets/'.length) : '';
    const file = ASSET_NAME.test(name) ? await readIfExists(join(dir, 'assets', name)) : undefined;
    if (file === undefined) return problem(404, 'not-found', `no such file: ${path}`);
    return new Response(file, {
      headers: {
        'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
        'cache-control': IMMUTABLE,
        'x-content-type-options': 'nosniff',
      },
    });
  };
}

/** What `/` answers when no dashboard is built: the API still works. */
export function placeholderPage(c: Context): Response {
  if (c.req.path !== '/') return problem(404, 'not-found', `no such file: ${c.req.path}`);
  return c.html(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>sessionlog</title></head>
<body>
<h1>sessionlog</h1>
<p>The dashboard is not built yet (<code>npm run build</code>). The API is up: <a href="/api/health">/api/health</a>.</p>
</body>
</html>
`);
}

async function readIfExists(file: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw error;
  }
}
