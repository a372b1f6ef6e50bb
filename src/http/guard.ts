import type { MiddlewareHandler } from 'hono';
import { EVENT_STREAM_PATH } from '../protocol/subscription-url.js';
import { ProblemException, type ProblemKind, problem } from './problem.js';
import {
  bearerToken,
  hostAllowed,
  originAllowed,
  type SecurityPolicy,
  tokenMatches,
} from './security.js';

/** Host headers whose verdict is kept (past it, the map starts again). */
const KNOWN_HOSTS = 64;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const STREAMS_PATH = '/streams';
/** Prometheus scrapes it; it tells of the log's activity, so it takes the token as /api does. */
export const METRICS_PATH = '/metrics';

/**
 * SPEC "Security defaults", in front of every route: the Host check on every request, the
 * Origin check on every write, the token on the API. The dashboard page needs no token: it
 * holds no data, and it is where the token is typed in. The event stream is treated as the
 * WebSocket is: its Origin is checked although it is a read (a cross-site page must not
 * read the log), and it takes the token as `?token=` too, because EventSource cannot send
 * headers.
 */
export function guard(policy: SecurityPolicy): MiddlewareHandler {
  // The verdict for each Host seen: a client names the same one on every request, and working
  // it out takes regular expressions and a URL per allowed origin (~1 µs a request, issue 18).
  // The policy never changes; a client making Host headers up only empties the map.
  const hosts = new Map<string, boolean>();
  const allowedHost = (host: string): boolean => {
    let allowed = hosts.get(host);
    if (allowed === undefined) {
      allowed = hostAllowed(host, policy);
      if (hosts.size >= KNOWN_HOSTS) hosts.clear();
      hosts.set(host, allowed);
    }
    return allowed;
  };
  return async (c, next) => {
    // Node always has a Host (it builds the URL from it); without one (app.request, HTTP/2's
    // :authority) the URL's host is the name the request was sent to.
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!allowedHost(host)) {
      throw refuse(403, 'host-not-allowed', `Host ${JSON.stringify(host)} is not this server`);
    }
    // c.req.path is the path the router matches, so no spelling of /api slips past this.
    const eventStream = c.req.method === 'GET' && c.req.path === EVENT_STREAM_PATH;
    // Durable Streams are the log too: read like the event stream, guarded like the API.
    const streams = c.req.path === STREAMS_PATH || c.req.path.startsWith(`${STREAMS_PATH}/`);
    if (
      (STATE_CHANGING.has(c.req.method) || eventStream || streams) &&
      !originAllowed(c.req.header('origin'), host, policy)
    ) {
      throw refuse(
        403,
        'origin-not-allowed',
        eventStream || streams
          ? 'a page from this Origin may not read the event stream'
          : 'a request from this Origin may not change anything',
      );
    }
    const api =
      c.req.path === '/api' || c.req.path.startsWith('/api/') || c.req.path === METRICS_PATH;
    const presented =
      bearerToken(c.req.header('authorization')) ??
      (eventStream ? c.req.query('token') : undefined);
    if ((api || streams) && !tokenMatches(presented, policy)) {
      throw new ProblemException(
        problem(
          401,
          'unauthorized',
          'this server needs Authorization: Bearer <token>',
          {},
          {
            'www-authenticate': 'Bearer',
          },
        ),
      );
    }
    await next();
  };
}

function refuse(status: 403, kind: ProblemKind, detail: string): ProblemException {
  return new ProblemException(problem(status, kind, detail));
}
