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
 * `rows` (one per server) remembers the rows chunks reached, so that a chunk folds its own
 * events onto them rather than each session's history again.
 */
export function sessionsTableSource(
  store: Store,
  tail: TailSignal,
  rows: SessionRowMemo = sessionRowMemo(),
): StreamSource {
  return {
    tag: `${store.logId}/sessions`,
    contentType: 'application/json',
    head: () => store.head(),
    read: (after, upTo, limit) => changes(store, rows, after, upTo, limit),
    tail,
  };
}

async function changes(
  store: Store,
  memo: SessionRowMemo,
  after: number,
  upTo: number,
  limit = Number.POSITIVE_INFINITY,
): Promise<StreamMessage[]> {
  // Each session's row as of `after` when first met, then as of each event folded.
  const rows = new Map<string, SessionState | null>();
  const messages: StreamMessage[] = [];
  let from = after;
  let folded = after;
  while (from < upTo && messages.length < limit) {
    const events = await store.read({ after: from, upTo, limit: READ_PAGE });
    if (events.length === 0) {
      folded = upTo;
      break;
    }
    for (const event of events) {
      folded = event.position;
      if (!sessionsProjection.handles.has(event.type)) continue;
      const key = sessionsProjection.keyOf(event);
      if (!rows.has(key)) rows.set(key, await rowAt(store, memo, event.stream, after));
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
    if (events.length < READ_PAGE && messages.length < limit) folded = upTo;
  }
  // Every event up to `folded` is in these rows: the next chunk starts from them.
  for (const [key, row] of rows) memo.remember(key, folded, row);
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

/**
 * A session's row right after `position`: the latest row remembered at or before it, and its
 * stream's events since folded on top (none, when a reader goes chunk after chunk); its whole
 * stream when nothing is remembered from before `position`.
 */
async function rowAt(
  store: Store,
  memo: SessionRowMemo,
  stream: string,
  position: number,
): Promise<SessionState | null> {
  const known = memo.at(stream, position);
  let row = known?.row ?? null;
  let after = known?.position ?? 0;
  for (;;) {
    const events = await store.readStream(stream, { after, upTo: position, limit: READ_PAGE });
    for (const event of events) row = sessionsProjection.evolve(row, event);
    if (events.length < READ_PAGE) break;
    after = events.at(-1)?.position ?? position;
  }
  memo.remember(stream, position, row);
  return row;
}

/** Session rows as of a position, kept from one chunk to the next. */
export interface SessionRowMemo {
  /** The row of `key` remembered at the latest position not past `position`, if any. */
  at(key: string, position: number): { position: number; row: SessionState | null } | undefined;
  /** `row` is the row of `key` right after `position` (every event up to it folded). */
  remember(key: string, position: number, row: SessionState | null): void;
}

/**
 * A few rows per session, each at a position a read reached (what is below the head never
 * changes, so a row once folded stays true at its position). Readers go forward chunk after
 * chunk, each finding the row its previous chunk left; `perSession` rows let that many readers
 * at different places do so at once, the row remembered longest ago forgotten first. A reader
 * with none at or before its start folds the session's stream. At most `limit` sessions, the
 * least recently used forgotten first.
 */
export function sessionRowMemo(limit = 10_000, perSession = 4): SessionRowMemo {
  const sessions = new Map<string, { position: number; row: SessionState | null }[]>();
  return {
    at(key, position) {
      let best: { position: number; row: SessionState | null } | undefined;
      for (const known of sessions.get(key) ?? []) {
        if (known.position <= position && known.position > (best?.position ?? -1)) best = known;
      }
      return best;
    },
    remember(key, position, row) {
      const known = (sessions.get(key) ?? []).filter((one) => one.position !== position);
      known.push({ position, row });
      if (known.length > perSession) known.shift();
      sessions.delete(key);
      sessions.set(key, known);
      if (sessions.size > limit) {
        const [oldest] = sessions.keys();
        if (oldest !== undefined) sessions.delete(oldest);
      }
    },
  };
}
