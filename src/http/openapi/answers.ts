import { z } from 'zod';
import { sessionEventTypes } from '../../events/schemas.js';
import type { Session as SessionRow } from '../../sessions/session.js';
import { PROBLEM_KINDS, PROBLEM_TYPE_PREFIX } from '../problem.js';

// The answers of SPEC's HTTP API as zod schemas. The routes build their answers by hand; these
// only describe them, for the OpenAPI document and for the tests that check every answer
// against it. Strict objects: a field the code adds and the document lacks fails a test.

const position = z.int().min(0).describe('a position in the log (0: before the first event)');
const time = z.iso.datetime().describe('ISO-8601 UTC');

export const Session = z
  .strictObject({
    id: z.string(),
    name: z.string().nullable(),
    cwd: z.string(),
    hostname: z.string(),
    platform: z.string(),
    user: z.string().nullable(),
    status: z.enum(['pending', 'in_progress', 'completed', 'failed']),
    summary: z.string().nullable(),
    startedAt: time,
    endedAt: time.nullable(),
    lastActivityAt: time,
    fileChanges: z.int().min(0),
    version: z.int().min(1).describe('the stream version this row reflects: what If-Match names'),
  })
  .describe('a row of the sessions table');

/** Compiles only when the two types are the same: the document's row is the code's. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type SessionRowIsDocumented = Holds<Same<z.infer<typeof Session>, SessionRow>>;

const EventMeta = z.looseObject({
  schemaVersion: z.int().min(1),
  requestId: z.string().optional(),
  idempotencyKey: z.string().optional(),
  actor: z.string().optional(),
});

/** One envelope per event type, its `data` the schema the log validates it with. */
export const Envelope = z
  .discriminatedUnion(
    'type',
    Object.entries(sessionEventTypes).map(([type, { schema }]) =>
      z.strictObject({
        position: z.int().min(1),
        id: z.string(),
        stream: z.string(),
        version: z.int().min(1),
        type: z.literal(type),
        time,
        data: schema,
        meta: EventMeta,
        hash: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    ) as unknown as [z.ZodObject, ...z.ZodObject[]],
  )
  .describe('an event as the log recorded it (SPEC, "The event envelope")');

export const Health = z.strictObject({
  status: z.literal('ok'),
  logId: z.string(),
  head: position,
  projections: z.strictObject({ sessions: position }),
});

export const SessionsAnswer = z.strictObject({
  sessions: z.array(Session),
  position: position.describe('the position the table reflects'),
  next: z.string().optional().describe('the cursor of the following page; absent on the last'),
});

export const SessionAnswer = z.strictObject({
  session: Session,
  position: position.describe('the position of the last event the write appended, or read at'),
});

export const PositionAnswer = z.strictObject({ position });

const next = position.describe(
  'after: the last returned position (or `after` for an empty page); before: the `before` of the following page, absent when none is left',
);

export const EventsPage = z.strictObject({
  events: z.array(Envelope),
  next: next.optional(),
  head: position,
});

export const StreamEventsPage = z.strictObject({
  events: z.array(Envelope),
  next: next.optional(),
});

const base64Hash = z.string().regex(/^[A-Za-z0-9+/]{43}=$/);

export const InclusionProof = z.strictObject({
  position: z.int().min(1),
  size: z.int().min(1),
  proof: z.array(base64Hash),
});

export const ConsistencyProof = z.strictObject({
  from: z.int().min(1),
  to: z.int().min(1),
  proof: z.array(base64Hash),
});

/** The state protocol's change message for a session row (`/streams/{logId}/sessions`). */
export const SessionChange = z.strictObject({
  type: z.literal('session'),
  key: z.string(),
  value: Session.optional(),
  headers: z.strictObject({
    operation: z.enum(['insert', 'update', 'delete']),
    txid: z.string().regex(/^\d+$/),
    timestamp: time,
  }),
});

export const Problem = z
  .looseObject({
    type: z
      .enum(Object.keys(PROBLEM_KINDS).map((kind) => `${PROBLEM_TYPE_PREFIX}${kind}`))
      .describe(
        Object.entries(PROBLEM_KINDS)
          .map(([kind, meaning]) => `${PROBLEM_TYPE_PREFIX}${kind}: ${meaning}`)
          .join('\n'),
      ),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string(),
    errors: z
      .array(z.strictObject({ path: z.string(), message: z.string() }))
      .optional()
      .describe('validation: each field or parameter refused, by name'),
    retryAfter: z.int().min(0).optional().describe('rate-limited: seconds to wait'),
    currentVersion: z.int().min(0).optional().describe('version-mismatch: the session version'),
  })
  .describe('RFC 9457 problem details');

/** A Durable Stream's catch-up read of the log or a session: a JSON array of envelopes. */
export const EnvelopeMessages = z.array(Envelope);

/** A catch-up read of the sessions-table stream. */
export const SessionChangeMessages = z.array(SessionChange);
