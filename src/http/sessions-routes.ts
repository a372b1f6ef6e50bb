import { hostname } from 'node:os';
import { type Context, Hono } from 'hono';
import { GoneError, NotFoundError } from '../events/errors.js';
import { type SessionState, type SessionStatus, toSession } from '../sessions/session.js';
import type { Sessionlog } from '../sessions/sessionlog.js';
import { commandOptions } from './command-options.js';
import type { CwdPolicy } from './cwd-policy.js';
import { jsonBody } from './json-body.js';
import { ProblemException, problem } from './problem.js';
import { enumParam, integerParam, pageParams } from './query-params.js';
import type { RateLimiter } from './rate-limit.js';
import { DeleteBody, PatchBody, StartBody } from './session-bodies.js';

export interface SessionsRoutesDeps {
  log: Sessionlog;
  cwd: CwdPolicy;
  /** Session creations per client. */
  createRate: RateLimiter;
  clientKey: (c: Context) => string;
}

const STATUSES: readonly SessionStatus[] = ['pending', 'in_progress', 'completed', 'failed'];

/** `/api/sessions`: the sessions table, and the commands on one session (SPEC, "HTTP API"). */
export function sessionsRoutes({ log, cwd, createRate, clientKey }: SessionsRoutesDeps) {
  const app = new Hono();
  const thisHost = hostname();

  app.get('/', async (c) => {
    const status = enumParam(c, 'status', STATUSES);
    const head = await log.store.head();
    const asOf = integerParam(c, 'asOf', { min: 0, max: head });
    const { sessions, position } = await log.listSessions({ status, asOf });
    return c.json({ sessions: sessions.map(toSession), position });
  });

  app.post('/', async (c) => {
    const body = await jsonBody(c, StartBody);
    const options = commandOptions(c, body);
    // A repeat of a known key is answered from the log (or refused, 422) before the checks
    // below: a retry is not a new creation, and its directory may be gone by now.
    const repeat =
      options.idempotencyKey !== undefined &&
      (await log.store.findIdempotencyKey(options.idempotencyKey)) !== undefined;
    if (!repeat) {
      const decision = createRate.take(clientKey(c));
      if (!decision.allowed) throw tooManyCreations(decision.retryAfterSeconds);
    }
    const { cwd: given, ...rest } = body;
    const { session, position } = await log.commands.start(
      {
        hostname: thisHost,
        platform: process.platform,
        ...rest,
        cwd: repeat ? given : await cwd.resolve(given),
      },
      options,
    );
    c.header('Location', `/api/sessions/${encodeURIComponent(session.id)}`);
    return sessionAnswer(c, session, position, 201);
  });

  app.get('/:id', async (c) => {
    const { session, position } = await log.getSession(c.req.param('id'));
    return sessionAnswer(c, existing(session), position);
  });

  app.patch('/:id', async (c) => {
    const body = await jsonBody(c, PatchBody);
    const { session, position } = await log.commands.patch(
      c.req.param('id'),
      body,
      commandOptions(c, body),
    );
    return sessionAnswer(c, session, position);
  });

  app.delete('/:id', async (c) => {
    const body = await jsonBody(c, DeleteBody, { empty: {} });
    const { position } = await log.commands.delete(
      c.req.param('id'),
      body,
      commandOptions(c, body),
    );
    return c.json({ position });
  });

  // A deleted session's history stays readable: auditors need what led to the deletion.
  app.get('/:id/events', async (c) => {
    const id = c.req.param('id');
    if ((await log.getSession(id)).session === undefined)
      throw new NotFoundError('no such session');
    const { after, limit } = pageParams(c);
    const events = await log.store.readStream(id, { after, limit });
    // As on /api/events: the last returned position, or `after` for an empty page.
    return c.json({ events, next: events.at(-1)?.position ?? after });
  });

  return app;
}

/** `{ session, position }`, with the version as a weak ETag for the next `If-Match`. */
function sessionAnswer(
  c: Context,
  session: SessionState,
  position: number,
  status: 200 | 201 = 200,
): Response {
  return c.json({ session: toSession(session), position }, status, {
    ETag: `W/"${session.version}"`,
  });
}

function existing(session: SessionState | undefined): SessionState {
  if (session === undefined) throw new NotFoundError('no such session');
  if (session.deletedAt !== null) throw new GoneError(`session ${session.id} was deleted`);
  return session;
}

function tooManyCreations(retryAfterSeconds: number): ProblemException {
  return new ProblemException(
    problem(
      429,
      'rate-limited',
      'too many sessions created from this client: retry later',
      { retryAfter: retryAfterSeconds },
      { 'retry-after': String(retryAfterSeconds) },
    ),
  );
}
