import { hostname } from 'node:os';
import { type Context, Hono } from 'hono';
import { GoneError, NotFoundError } from '../events/errors.js';
import { sessionsProjection } from '../projections/sessions-projection.js';
import { SESSIONS_PAGE } from '../protocol/pages.js';
import { type SessionState, type SessionStatus, toSession } from '../sessions/session.js';
import type { Sessionlog } from '../sessions/sessionlog.js';
import { commandOptions } from './command-options.js';
import type { CwdPolicy } from './cwd-policy.js';
import { jsonAnswer } from './json-answer.js';
import { jsonBody } from './json-body.js';
import { newestFirstPage } from './newest-first.js';
import { ProblemException, problem } from './problem.js';
import { beforeParam, enumParam, integerParam, invalid, pageParams } from './query-params.js';
import type { RateLimiter } from './rate-limit.js';
import { DeleteBody, PatchBody, StartBody } from './session-bodies.js';
import { decodeCursor, encodeCursor } from './sessions-cursor.js';
import { streamedTable } from './streamed-table.js';

// The fields a sessions page is ordered by, each a text column: a cursor holds their values.
const PAGE_ORDER = sessionsProjection.table.page.order as readonly ('lastActivityAt' | 'id')[];

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
    const limit = integerParam(c, 'limit', { min: 1, max: SESSIONS_PAGE.max });
    const status = enumParam(c, 'status', [...STATUSES, ...Object.keys(GROUPS)] as const);
    if (limit === undefined) {
      // Without `limit`, the whole table as SPEC's first clients read it; pages need one.
      for (const name of ['cursor', 'q'])
        if (c.req.query(name) !== undefined) throw invalid(name, 'is read with limit');
    }
    const head = await log.store.head();
    const asOf = integerParam(c, 'asOf', { min: 0, max: head });
    if (limit !== undefined) return c.json(await sessionsPage(c, log, limit, status, asOf));
    const statuses = statusesOf(status);
    if (asOf !== undefined) {
      const { sessions, position } = await log.listSessions({ asOf });
      const kept =
        statuses === undefined ? sessions : sessions.filter((s) => statuses.includes(s.status));
      return c.json({ sessions: kept.map(toSession), position });
    }
    // A group too (`active`: what the dashboard opens with), from one snapshot in one answer.
    const scan = await log.scanSessions(statuses);
    return c.body(streamedTable(scan), 200, { 'Content-Type': 'application/json' });
  });

  app.post('/', async (c) => {
    const body = await jsonBody(c, StartBody);
    const options = commandOptions(c, body);
    // A repeat of a known key is answered from the log (or refused, 422) before the checks
    // below: a retry is not a new creation, and its directory may be gone by now. What the
    // lookup found goes to the command, which would otherwise look the key up again.
    const earlier =
      options.idempotencyKey === undefined
        ? undefined
        : ((await log.store.findIdempotencyKey(options.idempotencyKey)) ?? null);
    const repeat = earlier !== undefined && earlier !== null;
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
      earlier === undefined ? options : { ...options, idempotencyRecord: earlier },
    );
    c.set('written', position);
    return sessionAnswer(c, session, position, 201, {
      Location: `/api/sessions/${encodeURIComponent(session.id)}`,
    });
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
    c.set('written', position);
    return sessionAnswer(c, session, position);
  });

  app.delete('/:id', async (c) => {
    const body = await jsonBody(c, DeleteBody, { empty: {} });
    const { position } = await log.commands.delete(
      c.req.param('id'),
      body,
      commandOptions(c, body),
    );
    c.set('written', position);
    return c.json({ position });
  });

  // A deleted session's history stays readable: auditors need what led to the deletion.
  app.get('/:id/events', async (c) => {
    const id = c.req.param('id');
    if ((await log.getSession(id)).session === undefined)
      throw new NotFoundError('no such session');
    const { after, limit } = pageParams(c);
    const before = beforeParam(c, await log.store.head());
    if (before !== undefined) {
      return c.json(
        newestFirstPage(await log.store.readStream(id, { before, limit: limit + 1 }), limit),
      );
    }
    const events = await log.store.readStream(id, { after, limit });
    // As on /api/events: the last returned position, or `after` for an empty page.
    return c.json({ events, next: events.at(-1)?.position ?? after });
  });

  return app;
}

/** The statuses a `status` group stands for. */
const GROUPS: Record<string, readonly SessionStatus[]> = {
  active: ['pending', 'in_progress'],
  ended: ['completed', 'failed'],
};

/** The statuses `status` stands for: itself, or those of its group. */
function statusesOf(status: string | undefined): readonly SessionStatus[] | undefined {
  return status === undefined ? undefined : (GROUPS[status] ?? [status as SessionStatus]);
}

/** `{ sessions, position, next? }`: a page, most recent activity first. */
async function sessionsPage(
  c: Context,
  log: Sessionlog,
  limit: number,
  status: string | undefined,
  asOf: number | undefined,
) {
  const raw = c.req.query('cursor');
  const after = raw === undefined ? undefined : decodeCursor(raw, PAGE_ORDER.length);
  const q = c.req.query('q');
  const filter = statusesOf(status);
  const { sessions, position, more } = await log.pageSessions({
    limit,
    ...(after === undefined ? {} : { after }),
    ...(filter === undefined ? {} : { filter }),
    ...(q === undefined || q === '' ? {} : { search: q }),
    ...(asOf === undefined ? {} : { asOf }),
  });
  const last = sessions.at(-1);
  const next =
    more && last !== undefined ? encodeCursor(PAGE_ORDER.map((field) => last[field])) : undefined;
  return {
    sessions: sessions.map(toSession),
    position,
    ...(next === undefined ? {} : { next }),
  };
}

/** `{ session, position }`, with the version as a weak ETag for the next `If-Match`. */
function sessionAnswer(
  c: Context,
  session: SessionState,
  position: number,
  status: 200 | 201 = 200,
  headers: Record<string, string> = {},
): Response {
  return jsonAnswer(c, { session: toSession(session), position }, status, {
    ETag: `W/"${session.version}"`,
    ...headers,
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
