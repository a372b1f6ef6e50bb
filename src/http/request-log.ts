import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Answered } from '../observe/http-series.js';
import { fixedInfoLine, type Logger } from '../observe/logger.js';
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
  // What each method and route pattern keeps: its series (metrics.http) and its log line, each
  // made once, not on every request.
  const routes = new Map<string, RouteRecord>();
  const recordOf = (method: string, route: string): RouteRecord => {
    const key = `${method} ${route}`;
    let record = routes.get(key);
    if (record === undefined) {
      record = {
        answered: metrics?.http.route(method, route),
        line: logger === undefined ? undefined : lineOf(logger, { method, route }),
      };
      routes.set(key, record);
    }
    return record;
  };
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      // A client may send any method name: a label takes the known ones only.
      const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
      const route = routeOf(c);
      const record = recordOf(method, route);
      const status = c.res.status;
      record.answered?.(status, seconds);
      if (logger?.isLevelEnabled('info')) {
        const written = c.get('written');
        record.line?.(
          `"requestId":${JSON.stringify(c.get('requestId'))},"status":${status},"ms":${Math.round(seconds * 10_000) / 10}${written === undefined ? '' : `,"position":${written}`}`,
        );
      }
    }
  };
}

interface RouteRecord {
  answered: Answered | undefined;
  /** Writes the request's line, given its fields as JSON members. */
  line: ((fields: string) => void) | undefined;
}

/**
 * A route's request line: put together from its fields for a logger of ours (logger.ts), else
 * through a child logger that serializes method and route once.
 */
function lineOf(logger: Logger, route: { method: string; route: string }) {
  const fixed = fixedInfoLine(logger, route, 'request');
  if (fixed !== undefined) return fixed;
  const child = logger.child(route);
  return (fields: string) => child.info(JSON.parse(`{${fields}}`), 'request');
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
