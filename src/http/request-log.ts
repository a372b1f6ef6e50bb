import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The position a request's append reached: its log line names it. */
    written: number;
  }
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface RequestLogDeps {
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
}

/**
 * One log line and one count per request, named by its route pattern (`/api/sessions/:id`,
 * never the raw path: a label per session id would grow without end, and the raw URL could
 * carry `?token=`). Streamed answers are counted when their headers are out.
 */
export function requestLog({ logger, metrics }: RequestLogDeps): MiddlewareHandler {
  // The series' children, kept: labelling by object hashes the labels on every request.
  const counted = new Map<string, { inc(): void }>();
  const timed = new Map<string, { observe(value: number): void }>();
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = routeOf(c);
      // A client may send any method name: a label takes the known ones only.
      const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
      const status = c.res.status;
      if (metrics !== undefined) {
        const key = `${method} ${route}`;
        let timer = timed.get(key);
        if (timer === undefined) {
          timer = metrics.httpSeconds.labels({ method, route });
          timed.set(key, timer);
        }
        timer.observe(seconds);
        const keyed = `${key} ${status}`;
        let counter = counted.get(keyed);
        if (counter === undefined) {
          counter = metrics.httpRequests.labels({ method, route, status });
          counted.set(keyed, counter);
        }
        counter.inc();
      }
      if (logger?.isLevelEnabled('info')) {
        const written = c.get('written');
        logger.info(
          {
            requestId: c.get('requestId'),
            method,
            route,
            status,
            ms: Math.round(seconds * 10_000) / 10,
            ...(written === undefined ? {} : { position: written }),
          },
          'request',
        );
      }
    }
  };
}

/**
 * The pattern of the route that answered, or, when a middleware answered (the guard refused),
 * of the first route that would have; `unmatched` when only middleware matched (a 404).
 */
function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  const answered = routes[c.req.routeIndex];
  if (answered !== undefined && !isMiddleware(answered.path)) return answered.path;
  return routes.find((route) => !isMiddleware(route.path))?.path ?? 'unmatched';
}

function isMiddleware(path: string): boolean {
  return path === '*' || path === '/*';
}
