import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

// Typed for every context, as Hono's own request-id middleware does: the app stays a plain
// `Hono` that the server can mount whatever else it needs on.
declare module 'hono' {
  interface ContextVariableMap {
    /** Recorded in each appended event's meta, and echoed in `X-Request-Id`. */
    requestId: string;
  }
}

// A caller's id is written into the log: keep it short and free of anything that could
// corrupt a log line or a header.
const SANE_ID = /^[A-Za-z0-9._~:/+=-]{1,200}$/;

/**
 * Names each request: the caller's `X-Request-Id` when it is sane (so a trace spans the
 * caller and the log), a random UUID otherwise; echoed on every answer, errors included.
 */
export function requestId(): MiddlewareHandler {
  return async (c, next) => {
    const id = requestIdFrom(c.req.header('x-request-id'));
    c.set('requestId', id);
    // Set before the answer exists, so that it is made with the header: touching the
    // headers of a finished answer turns the adapter's lightweight response into a full one.
    c.header('X-Request-Id', id);
    await next();
    // Problem answers are built whole (problem.ts), without the prepared headers.
    if (c.res.status >= 400) c.header('X-Request-Id', id);
  };
}

/** The caller's id when it is sane, else a fresh one (the WebSocket upgrade names its own). */
export function requestIdFrom(given: string | undefined): string {
  return given !== undefined && SANE_ID.test(given) ? given : randomUUID();
}
