import { type SessionEvent, sessionEventTypes } from '../../events/schemas.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { SessionState, SessionStatus } from '../../sessions/session.js';
import { sessionCommands } from '../../sessions/session-commands.js';
import { type Durability, openDatabase, type SqliteDatabase } from './database.js';
import { SqliteProjections } from './projections.js';
import { SqliteEventReader } from './reader.js';
import { SqliteEventStore } from './store.js';

export interface SessionlogOptions {
  /** A SQLite file path or `:memory:`. */
  db: string;
  durability?: Durability;
  /** false: the file must hold a log already (rebuild); default true: made on first use. */
  create?: boolean;
  clock?: () => Date;
  /** A projection snapshot every this many positions (default 1000; 0: none). */
  snapshotEvery?: number;
  /** Called with the connection as soon as it is open (tests use it to inject faults). */
  onOpen?: (db: SqliteDatabase) => void;
}

/**
 * The composition root: opens the log, brings the projections up to its head, and wires the
 * store, the projections and the session commands together.
 */
export function openSessionlog({
  db: file,
  durability = 'full',
  create = true,
  clock,
  snapshotEvery,
  onOpen,
}: SessionlogOptions) {
  const db = openDatabase(file, { durability, create });
  try {
    onOpen?.(db);
    const reader = new SqliteEventReader(db, sessionEventTypes);
    const projections = new SqliteProjections(db, reader, [sessionsProjection], {
      ...(snapshotEvery === undefined ? {} : { snapshotEvery }),
    });
    const opened = projections.open();
    const store = new SqliteEventStore<SessionEvent>(db, {
      hooks: [projections],
      ...(clock ? { clock } : {}),
    });
    const sessions = projections.table(sessionsProjection);
    const commands = sessionCommands({ store, load: (id) => sessions.get(id) ?? null });
    const checkpoint = () => projections.checkpoint(sessionsProjection.name)?.position ?? 0;
    const log = {
      file,
      location: file,
      store,
      projections,
      sessions,
      commands,
      opened,
      async listSessions(filter: { status?: SessionStatus; asOf?: number } = {}) {
        const { status, asOf } = filter;
        const byStatus = status === undefined ? {} : { status };
        if (asOf === undefined)
          return { sessions: sessions.list(byStatus), position: checkpoint() };
        const listed = projections.asOf(sessionsProjection, asOf, (table) => table.list(byStatus));
        return { sessions: listed, position: asOf };
      },
      async getSession(id: string) {
        return { session: sessions.get(id), position: checkpoint() };
      },
      async sessionsPosition() {
        return checkpoint();
      },
      async activeSessions() {
        return oldestFirst([
          ...sessions.list({ status: 'pending' }),
          ...sessions.list({ status: 'in_progress' }),
        ]);
      },
      async close() {
        await store.close();
        projections.close();
        db.close();
      },
    };
    return log;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The SQLite log, with its projections and file for the commands that work on the file. */
export type SqliteSessionlog = ReturnType<typeof openSessionlog>;

/** Sessions in the order they started (ties by id): the order they were first watched in. */
export function oldestFirst(sessions: SessionState[]): SessionState[] {
  return sessions.sort(
    (a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id),
  );
}
