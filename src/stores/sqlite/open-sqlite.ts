import type { LogTree } from '../../checkpoints/log-tree.js';
import type { OnCommit } from '../../events/group-commit.js';
import { type SessionEvent, sessionEventTypes } from '../../events/schemas.js';
import type { Durability } from '../../events/store.js';
import type { Logger } from '../../observe/logger.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import { composeSessionlog } from '../../sessions/compose-sessionlog.js';
import type { SessionsView } from '../../sessions/sessions-view.js';
import { openDatabase, type SqliteDatabase } from './database.js';
import { SqliteTree } from './merkle-tree.js';
import { SqliteProjections } from './projections.js';
import { SqliteEventReader } from './reader.js';
import { scanSqliteTable } from './sessions-scan.js';
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
  onCommit?: OnCommit;
  logger?: Logger;
}

/**
 * The log in SQLite: opens the file, brings the projections up to its head, and wires the
 * store, the projections and the session commands together.
 */
export function openSessionlog({
  db: file,
  durability = 'full',
  create = true,
  clock,
  snapshotEvery,
  onOpen,
  onCommit,
  logger,
}: SessionlogOptions) {
  const db = openDatabase(file, { durability, create });
  try {
    onOpen?.(db);
    const reader = new SqliteEventReader(db, sessionEventTypes);
    const projections = new SqliteProjections(db, reader, [sessionsProjection], {
      ...(snapshotEvery === undefined ? {} : { snapshotEvery }),
      ...(logger ? { logger } : {}),
    });
    const opened = projections.open();
    // A log written before the tree was kept gets it now, before the first append needs it.
    const tree = new SqliteTree(db);
    tree.extend();
    const store = new SqliteEventStore<SessionEvent>(db, {
      hooks: [projections],
      ...(clock ? { clock } : {}),
      ...(onCommit ? { onCommit } : {}),
      ...(logger ? { logger } : {}),
    });
    // What a commit wrote is folded into the snapshots behind the log from memory.
    store.subscribe((events) => projections.committed(events));
    const sessions = projections.table(sessionsProjection);
    const checkpoint = () => projections.checkpoint(sessionsProjection.name)?.position ?? 0;
    const view: SessionsView = {
      current: (id) => sessions.get(id) ?? null,
      list: async (status) => ({
        sessions: sessions.list(status === undefined ? {} : { status }),
        position: checkpoint(),
      }),
      scan: async (statuses) => {
        if (file !== ':memory:') return scanSqliteTable(file, sessionsProjection, statuses);
        // No other connection sees an in-memory database; such a log is small.
        const { sessions: all, position } = await view.list();
        const rows = statuses === undefined ? all : all.filter((s) => statuses.includes(s.status));
        return {
          position,
          chunks: (async function* () {
            yield rows;
          })(),
        };
      },
      // The page and the checkpoint in one read transaction: one snapshot.
      page: async (query) =>
        db.transaction(() => ({ sessions: sessions.page(query), position: checkpoint() }))(),
      asOfPage: async (position, query) =>
        projections.asOf(sessionsProjection, position, (table) => table.page(query)),
      asOf: async (position, status) =>
        projections.asOf(sessionsProjection, position, (table) =>
          table.list(status === undefined ? {} : { status }),
        ),
      get: async (id) => ({ session: sessions.get(id), position: checkpoint() }),
      position: async () => checkpoint(),
    };
    const log = composeSessionlog({
      location: file,
      store,
      sessions: view,
      opened,
      async close() {
        await store.close();
        projections.close();
        db.close();
      },
    });
    // The SQLite log keeps its file, its projections and its table at hand: the commands that
    // work on the file (rebuild), the benches and the tests use them.
    const logTree: LogTree = {
      head: async () => reader.head(),
      readNodes: async (keys) => tree.readNodes(keys),
    };
    return { ...log, store, file, projections, sessions, tree: logTree };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The SQLite log, with its projections and file for the commands that work on the file. */
export type SqliteSessionlog = ReturnType<typeof openSessionlog>;
