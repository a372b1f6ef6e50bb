import { Hono } from 'hono';
import { openApiDocument } from './document.js';

/**
 * `GET /api/openapi.json`. Behind the token like the rest of /api (SPEC: with a token, /api/…
 * needs it). Built on first request, then kept: the routes do not change while serving.
 */
export function openApiRoute(): Hono {
  const app = new Hono();
  let document: string | undefined;
  app.get('/', (c) => {
    document ??= JSON.stringify(openApiDocument());
    return c.body(document, 200, { 'content-type': 'application/json' });
  });
  return app;
}
