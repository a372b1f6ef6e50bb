import type { AnyEvent, Envelope } from '../../events/envelope.js';
import { type EventStore, READ_PAGE } from '../../events/store.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import { type SessionState, toSession } from '../../sessions/session.js';
import type { StreamMessage, StreamSource } from './stream-source.js';
import type { TailSignal } from './tail-signal.js';

type Store = Pick<EventStore<AnyEvent>, 'logId' | 'head' | 'read' | 'readStream'>;

/** A change message of the Durable Streams state protocol. */
export interface SessionChange {
  type: 'session';
  key: string;
  value?: ReturnType<typeof toSession>;
  headers: { operation: 'insert' | 'update' | 'delete'; txid: string; timestamp: string };
}

/**
 * The sessions table as a state-protocol stream: for each event, the change it made to its
 * session's row — insert, update or delete of the whole row as `GET /api/sessions` gives it,
 * with the event's position as `txid`. Folded from the log with the projection's own
 * `evolve`, so the rows are the table's rows at each position and a chunk never changes.
 */
export function sessionsTableSource(store: Store, tail: TailSignal): StreamSource {
  return {
    tag: `${store.logId}/sessions`,
    contentType: 'application/json',
    head: () => store.head(),
    read: (after, upTo, limit) => changes(store, after, upTo, limit),
    tail,
  };
}

async function changes(
  store: Store,
  after: number,
  upTo: number,
  limit = Number.POSITIVE_INFINITY,
): Promise<StreamMessage[]> {
  // Each session's row as of `after`, folded from its stream when first met.
  const rows = new Map<string, SessionState | null>();
  const messages: StreamMessage[] = [];
  let from = after;
  while (from < upTo && messages.length < limit) {
    const events = await store.read({ after: from, upTo, limit: READ_PAGE });
    if (events.length === 0) break;
    for (const event of events) {
      if (!sessionsProjection.handles.has(event.type)) continue;
      const key = sessionsProjection.keyOf(event);
      if (!rows.has(key)) rows.set(key, await rowAt(store, event.stream, after));
      const before = rows.get(key) ?? null;
      const next = sessionsProjection.evolve(before, event);
      rows.set(key, next);
      const change = changeOf(key, before, next, event);
      if (change !== undefined) {
        messages.push({ position: event.position, body: JSON.stringify(change) });
        if (messages.length >= limit) break;
      }
    }
    from = events.at(-1)?.position ?? upTo;
  }
  return messages;
}

function changeOf(
  key: string,
  before: SessionState | null,
  next: SessionState | null,
  event: Envelope<AnyEvent>,
): SessionChange | undefined {
  const headers = { txid: String(event.position), timestamp: event.time };
  // A row that was never there, or is already gone, has nothing to tell.
  if (next === null || before?.deletedAt != null) return undefined;
  if (next.deletedAt !== null) {
    return before === null
      ? undefined
      : { type: 'session', key, headers: { operation: 'delete', ...headers } };
  }
  return {
    type: 'session',
    key,
    value: toSession(next),
    headers: { operation: before === null ? 'insert' : 'update', ...headers },
  };
}

/** A session's row right after `position`: its stream folded up to there. */
async function rowAt(store: Store, stream: string, position: number): Promise<SessionState | null> {
  let row: SessionState | null = null;
  let after = 0;
  for (;;) {
    const events = await store.readStream(stream, { after, upTo: position, limit: READ_PAGE });
    for (const event of events) row = sessionsProjection.evolve(row, event);
    if (events.length < READ_PAGE) return row;
    after = events.at(-1)?.position ?? position;
  }
}
