import type { MiddlewareHandler } from 'hono';
import { ProblemException, problem } from './problem.js';
import {
  bearerToken,
  hostAllowed,
  originAllowed,
  type SecurityPolicy,
  tokenMatches,
} from './security.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * SPEC "Security defaults", in front of every route: the Host check on every request, the
 * Origin check on every write, the token on the API. The dashboard page needs no token: it
 * holds no data, and it is where the token is typed in.
 */
export function guard(policy: SecurityPolicy): MiddlewareHandler {
  return async (c, next) => {
    // Node always has a Host (it builds the URL from it); without one (app.request, HTTP/2's
    // :authority) the URL's host is the name the request was sent to.
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!hostAllowed(host, policy)) {
      throw refuse(403, 'host-not-allowed', `Host ${JSON.stringify(host)} is not this server`);
    }
    if (STATE_CHANGING.has(c.req.method) && !originAllowed(c.req.header('origin'), host, policy)) {
      throw refuse(403, 'origin-not-allowed', 'a request from this Origin may not change anything');
    }
    // c.req.path is the path the router matches, so no spelling of /api slips past this.
    const api = c.req.path === '/api' || c.req.path.startsWith('/api/');
    if (api && !tokenMatches(bearerToken(c.req.header('authorization')), policy)) {
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

function refuse(status: 403, kind: string, detail: string): ProblemException {
  return new ProblemException(problem(status, kind, detail));
}
