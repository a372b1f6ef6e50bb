import { z } from 'zod';
import { SESSION_EVENT_TYPES } from '../../events/event-types.js';
import { EVENT_PAGE, SESSIONS_PAGE } from '../../protocol/pages.js';
import { EVENT_STREAM_PATH } from '../../protocol/subscription-url.js';
import { DeleteBody, PatchBody, StartBody } from '../session-bodies.js';
import { OFFSET_DIGITS } from '../streams/offsets.js';
import {
  ConsistencyProof,
  Envelope,
  EnvelopeMessages,
  EventsPage,
  Health,
  InclusionProof,
  PositionAnswer,
  SessionAnswer,
  SessionChangeMessages,
  SessionsAnswer,
  StreamEventsPage,
} from './answers.js';

// Every HTTP route the server answers, described once: the document (document.ts) is built from
// this table, and the tests check each answer against it. The schemas of the bodies are the
// ones the routes validate with; the answers' are in answers.ts.

export type Method = 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete';

export interface Parameter {
  schema: z.ZodType;
  description: string;
  required?: boolean;
}

/** A media type's body: a zod schema, a line-per-item format, or text described in words. */
export type Content =
  | { schema: z.ZodType }
  | { ndjson: z.ZodType }
  | { text: string }
  | { empty: true };

export interface Answer {
  description: string;
  content?: Record<string, Content>;
  headers?: Record<string, string>;
}

export interface Operation {
  method: Method;
  /** An OpenAPI path template: `/api/sessions/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  query?: Record<string, Parameter>;
  headers?: Record<string, Parameter>;
  body?: { schema: z.ZodType; required: boolean };
  answers: Record<number, Answer>;
  /** Problem statuses this route answers besides those every route may (see document.ts). */
  problems: readonly number[];
}

const ndjson = 'application/x-ndjson';
const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => z.int().min(min).max(max);
const commaList = (items?: readonly string[]) =>
  z
    .string()
    .describe(
      items === undefined ? 'comma-separated' : `comma-separated, each one of ${items.join(', ')}`,
    );

const pageQuery = {
  after: { schema: integer(0), description: 'the last position the client has (default 0)' },
  before: {
    schema: integer(1),
    description:
      'newest first, the events below this position (1 ≤ before ≤ head + 1); not with after',
  },
  limit: {
    schema: integer(1, EVENT_PAGE.max),
    description: `events in the page (default ${EVENT_PAGE.default})`,
  },
} satisfies Record<string, Parameter>;

const filterQuery = {
  types: { schema: commaList(SESSION_EVENT_TYPES), description: 'only these event types' },
  streams: { schema: commaList(), description: 'only these streams (session ids)' },
} satisfies Record<string, Parameter>;

const writeHeaders = {
  'Idempotency-Key': {
    schema: z.string(),
    description: 'a repeat answers the earlier status and body and appends nothing',
  },
} satisfies Record<string, Parameter>;

const etag = { ETag: 'W/"<version>": the session version, for If-Match' };

const sessionRoutes: Operation[] = [
  {
    method: 'get',
    path: '/api/sessions',
    tag: 'sessions',
    summary: 'The sessions table, whole or a page',
    description:
      'Without `limit`, the whole table (`status` a single status); with `limit`, a page ordered by lastActivityAt then id, descending.',
    query: {
      status: {
        schema: z.enum(['pending', 'in_progress', 'completed', 'failed', 'active', 'ended']),
        description:
          '`active`: pending or in_progress; `ended`: completed or failed (a page, or without `limit` the whole group)',
      },
      asOf: { schema: integer(0), description: 'the table right after this position (≤ head)' },
      limit: { schema: integer(1, SESSIONS_PAGE.max), description: 'a page of this many rows' },
      cursor: { schema: z.string(), description: 'the `next` of the previous page (with limit)' },
      q: {
        schema: z.string(),
        description: 'name or cwd contains this, ignoring case (with limit)',
      },
    },
    answers: {
      200: { description: 'the rows and the position they reflect', content: json(SessionsAnswer) },
    },
    problems: [400],
  },
  {
    method: 'post',
    path: '/api/sessions',
    tag: 'sessions',
    summary: 'Start a session',
    headers: writeHeaders,
    body: { schema: StartBody, required: true },
    answers: {
      201: {
        description: 'the new session',
        content: json(SessionAnswer),
        headers: { Location: '/api/sessions/{id}', ...etag },
      },
    },
    problems: [400, 403, 409, 413, 415, 422, 429],
  },
  {
    method: 'get',
    path: '/api/sessions/{id}',
    tag: 'sessions',
    summary: 'One session',
    answers: { 200: { description: 'the row', content: json(SessionAnswer), headers: etag } },
    problems: [404, 410],
  },
  {
    method: 'patch',
    path: '/api/sessions/{id}',
    tag: 'sessions',
    summary: 'Rename, summarize, or end a session',
    headers: {
      ...writeHeaders,
      'If-Match': {
        schema: z.string(),
        description: 'the version the change is meant for (412 otherwise)',
      },
    },
    body: { schema: PatchBody, required: true },
    answers: {
      200: { description: 'the changed row', content: json(SessionAnswer), headers: etag },
    },
    problems: [400, 404, 409, 410, 412, 413, 415, 422],
  },
  {
    method: 'delete',
    path: '/api/sessions/{id}',
    tag: 'sessions',
    summary: 'Delete a session',
    headers: {
      ...writeHeaders,
      'If-Match': {
        schema: z.string(),
        description: 'the version the change is meant for (412 otherwise)',
      },
    },
    body: { schema: DeleteBody, required: false },
    answers: {
      200: { description: 'the position of the deletion', content: json(PositionAnswer) },
    },
    problems: [400, 404, 409, 410, 412, 413, 415, 422],
  },
  {
    method: 'get',
    path: '/api/sessions/{id}/events',
    tag: 'events',
    summary: "A session's events (deleted sessions' too)",
    query: pageQuery,
    answers: { 200: { description: 'a page of the stream', content: json(StreamEventsPage) } },
    problems: [400, 404],
  },
];

const eventRoutes: Operation[] = [
  {
    method: 'get',
    path: '/api/events',
    tag: 'events',
    summary: 'The log by position',
    description: `A page as JSON; with \`Accept: ${ndjson}\`, every matching event after \`after\` up to the head, one envelope per line.`,
    query: { ...pageQuery, ...filterQuery },
    answers: {
      200: {
        description: 'a page, or the export',
        content: { 'application/json': { schema: EventsPage }, [ndjson]: { ndjson: Envelope } },
      },
    },
    problems: [400],
  },
  {
    method: 'get',
    path: EVENT_STREAM_PATH,
    tag: 'events',
    summary: 'Matching events after `after`, then live, as Server-Sent Events',
    query: {
      after: {
        schema: integer(0),
        description: 'the last position the client has (default: the head)',
      },
      logId: { schema: z.string().min(1).max(100), description: 'the log id the client last saw' },
      ...filterQuery,
      token: {
        schema: z.string(),
        description: 'the token, for EventSource (it sends no headers)',
      },
    },
    headers: {
      'Last-Event-ID': { schema: z.string(), description: 'a position: wins over after' },
    },
    answers: {
      200: {
        description: 'a never-ending stream',
        content: {
          'text/event-stream': {
            text: '`id: <position>`, `event: <type>`, `data: <envelope>`; heartbeat comments; `reset` on a foreign log',
          },
        },
      },
    },
    problems: [400, 429],
  },
];

const positionQuery = (description: string, required = false): Parameter => ({
  schema: integer(1),
  description,
  required,
});

const checkpointRoutes: Operation[] = [
  {
    method: 'get',
    path: '/api/checkpoint',
    tag: 'checkpoints',
    summary: 'The signed checkpoint of the head',
    answers: {
      200: {
        description: 'C2SP tlog-checkpoint signed note',
        content: {
          'text/plain': {
            text: 'origin, tree size, base64 root hash, an empty line, a signature line',
          },
        },
      },
    },
    problems: [503],
  },
  {
    method: 'get',
    path: '/api/checkpoint/key',
    tag: 'checkpoints',
    summary: 'The verifier key of the checkpoints',
    answers: {
      200: {
        description: 'signed-note verifier key',
        content: {
          'text/plain': { text: '<name>+<key id hex>+<base64(0x01 ‖ Ed25519 public key)>' },
        },
      },
    },
    problems: [503],
  },
  {
    method: 'get',
    path: '/api/proof/inclusion',
    tag: 'checkpoints',
    summary: 'RFC 9162 inclusion proof of a position in the tree of a size',
    query: {
      position: positionQuery('1 ≤ position ≤ size', true),
      size: positionQuery('the tree size (default: the head)'),
    },
    answers: { 200: { description: 'the proof', content: json(InclusionProof) } },
    problems: [400],
  },
  {
    method: 'get',
    path: '/api/proof/consistency',
    tag: 'checkpoints',
    summary: 'RFC 9162 consistency proof between two tree sizes',
    query: {
      from: positionQuery('1 ≤ from ≤ to', true),
      to: positionQuery('the larger tree size (default: the head)'),
    },
    answers: { 200: { description: 'the proof', content: json(ConsistencyProof) } },
    problems: [400],
  },
];

const offsetParam: Parameter = {
  schema: z.string().regex(new RegExp(`^(-1|now|\\d{${OFFSET_DIGITS}})$`)),
  description: `-1 (the start), now (the tail), or a Stream-Next-Offset (${OFFSET_DIGITS} digits)`,
};

const streamHeaders = {
  'Stream-Next-Offset': 'the offset to read from next',
  'Stream-Up-To-Date': 'true when the answer reaches the tail',
  ETag: 'the chunk; If-None-Match answers 304',
  'Cache-Control': 'complete chunks are immutable',
  'Stream-Closed': "true when the answer reaches the end of a closed stream (a deleted session's)",
};

/** GET and HEAD, and 405 for every write, of one Durable Stream. */
function durableStream(path: string, name: string, messages: z.ZodType): Operation[] {
  const read: Operation = {
    method: 'get',
    path,
    tag: 'streams',
    summary: `${name} as a read-only Durable Stream (JSON mode)`,
    query: {
      offset: offsetParam,
      live: {
        schema: z.enum(['long-poll', 'sse']),
        description: 'wait for new messages (needs offset)',
      },
      cursor: { schema: z.string(), description: 'the Stream-Cursor of the previous live answer' },
    },
    answers: {
      200: {
        description:
          'a JSON array of messages; with live=sse, `data` events of arrays and `control` events',
        content: {
          'application/json': { schema: messages },
          'text/event-stream': { text: 'Durable Streams SSE: `event: data` and `event: control`' },
        },
        headers: streamHeaders,
      },
      204: { description: 'long-poll: nothing new before the timeout', headers: streamHeaders },
      304: { description: 'If-None-Match matched the chunk' },
    },
    // 429: a live read past the connection limits (in all, or for this client).
    problems: [400, 404, 429],
  };
  const head: Operation = {
    method: 'head',
    path,
    tag: 'streams',
    summary: `The tail of ${name}`,
    answers: {
      200: {
        description: 'no body',
        headers: {
          'Stream-Next-Offset': 'the tail',
          'Stream-Closed': 'true when the stream is closed',
        },
      },
    },
    problems: [404],
  };
  const writes = (['post', 'put', 'delete', 'patch'] as const).map(
    (method): Operation => ({
      method,
      path,
      tag: 'streams',
      summary: 'Refused: the streams are read-only',
      answers: {},
      problems: [405],
    }),
  );
  return [read, head, ...writes];
}

const streamRoutes: Operation[] = [
  ...durableStream('/streams/{logId}/events', 'The log', EnvelopeMessages),
  ...durableStream(
    '/streams/{logId}/sessions',
    'The sessions table (state protocol)',
    SessionChangeMessages,
  ),
  ...durableStream(
    '/streams/{logId}/sessions/{sessionId}/events',
    "A session's events",
    EnvelopeMessages,
  ),
];

const otherRoutes: Operation[] = [
  {
    method: 'get',
    path: '/api/health',
    tag: 'operators',
    summary: 'The log id, its head, and how far the sessions table has come',
    answers: { 200: { description: 'healthy', content: json(Health) } },
    problems: [],
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    tag: 'operators',
    summary: 'This document',
    answers: {
      200: {
        description: 'OpenAPI 3.1',
        content: json(z.looseObject({ openapi: z.literal('3.1.0') })),
      },
    },
    problems: [],
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'operators',
    summary: 'Metrics in the Prometheus text format',
    answers: {
      200: {
        description: 'the README lists the metric names',
        content: { 'text/plain': { text: 'Prometheus text exposition format 0.0.4' } },
      },
    },
    problems: [],
  },
  {
    method: 'get',
    path: '/ws',
    tag: 'events',
    summary: 'The WebSocket gateway (an upgrade)',
    description:
      'Send `Upgrade: websocket`. Frames are JSON text: hello, events, live, position, heartbeat, reset, error (SPEC, "WebSocket gateway"). Refusals after the upgrade are close codes: 4400 bad parameters, 4401 token, 4403 origin, 4408 too slow, 4409 reset, 4429 too many connections.',
    query: {
      after: {
        schema: integer(0),
        description: 'the last position the client has (default: the head)',
      },
      logId: { schema: z.string().min(1).max(100), description: 'the log id the client last saw' },
      ...filterQuery,
      token: {
        schema: z.string(),
        description: 'the token (a browser WebSocket sends no headers)',
      },
    },
    answers: { 101: { description: 'Switching Protocols: the subscription' } },
    problems: [426],
  },
  {
    method: 'get',
    path: '/',
    tag: 'dashboard',
    summary: 'The dashboard (no token needed: it holds no data)',
    answers: { 200: { description: 'the page', content: { 'text/html': { text: 'HTML' } } } },
    problems: [],
  },
  {
    method: 'get',
    path: '/assets/{path}',
    tag: 'dashboard',
    summary: "The dashboard's scripts and styles",
    answers: { 200: { description: 'a built asset', content: { '*/*': { text: 'the file' } } } },
    problems: [404],
  },
];

export const ROUTES: readonly Operation[] = [
  ...otherRoutes.slice(0, 1),
  ...sessionRoutes,
  ...eventRoutes,
  ...checkpointRoutes,
  ...streamRoutes,
  ...otherRoutes.slice(1),
];
