import { type SessionEvent, sessionEventTypes } from './events/schemas.js';
import { type Durability, openDatabase, type SqliteDatabase } from './events/sqlite-database.js';
import { SqliteEventReader } from './events/sqlite-reader.js';
import { SqliteEventStore } from './events/sqlite-store.js';
import type { EventStore } from './events/store.js';
import { sessionsProjection } from './projections/sessions-projection.js';
import { SqliteProjections } from './projections/sqlite-projections.js';
import type { SessionState, SessionStatus } from './sessions/session.js';
import { type SessionCommands, sessionCommands } from './sessions/session-commands.js';

/**
 * A log with its sessions table and commands, whatever holds it (SQLite, PostgreSQL): what
 * the HTTP API, the gateway and file watching work with.
 */
export interface Sessionlog {
  /** Where the log is: its file, `:memory:`, or the PostgreSQL URL without its password. */
  readonly location: string;
  readonly store: EventStore;
  readonly commands: SessionCommands;
  /** What opening did to the projections: rebuilt (version changed) or caught up. */
  readonly opened: { rebuilt: string[]; caughtUp: string[] };
  /**
   * The sessions not deleted, newest first, with the position they reflect, read together
   * (a client that tails the log from `position` then sees every later change once).
   * `asOf` gives the table as it was right after that position.
   */
  listSessions(filter?: {
    status?: SessionStatus;
    asOf?: number;
  }): Promise<{ sessions: SessionState[]; position: number }>;
  /** One session (deleted ones too: they answer 410) and the position it reflects. */
  getSession(id: string): Promise<{ session: SessionState | undefined; position: number }>;
  /** The position the sessions table reflects. */
  sessionsPosition(): Promise<number>;
  /** The sessions pending or in progress, oldest first: file watching resumes them. */
  activeSessions(): Promise<SessionState[]>;
  close(): Promise<void>;
}

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
