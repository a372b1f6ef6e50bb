import type { MiddlewareHandler } from 'hono';

/** Durable Streams §12.7, on every answer of a stream, errors included. */
export function streamHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set('x-content-type-options', 'nosniff');
    c.res.headers.set('cross-origin-resource-policy', 'same-origin');
  };
}
