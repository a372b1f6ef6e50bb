import type { LogTree } from '../../checkpoints/log-tree.js';
import type { OnCommit } from '../../events/group-commit.js';
import { type SessionEvent, sessionEventTypes } from '../../events/schemas.js';
import type { Durability } from '../../events/store.js';
import { READ_PAGE } from '../../events/store.js';
import type { Logger } from '../../observe/logger.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import { composeSessionlog } from '../../sessions/compose-sessionlog.js';
import { openPostgres, type PgDatabase } from './database.js';
import { extendPgTree, readPgNodes } from './merkle-tree.js';
import { PgEventReader } from './reader.js';
import { PgSessions } from './sessions-table.js';
import { PgEventStore } from './store.js';

export interface PgSessionlogOptions {
  /** `postgres://…[?schema=NAME]`. */
  url: string;
  durability?: Durability;
  clock?: () => Date;
  /** Names this node's connections in pg_stat_activity (default `sessionlog`). */
  applicationName?: string;
  /** How often the tail looks for commits when no notification came (default 1000 ms). */
  pollMs?: number;
  onCommit?: OnCommit;
  logger?: Logger;
}

/**
 * The log on PostgreSQL: the shared log, the sessions table kept in the append's
 * transaction, and the session commands, with the same answers as on SQLite. Several nodes
 * may open the same database at once.
 */
export async function openPgSessionlog(options: PgSessionlogOptions) {
  const { url, durability, clock, applicationName, pollMs, onCommit, logger } = options;
  const database = await openPostgres(url, {
    ...(applicationName ? { applicationName } : {}),
    ...(logger ? { logger } : {}),
  });
  try {
    const sessions = new PgSessions(database.pool);
    const { rebuilt, caughtUp } = await openProjection(database, sessions);
    const opened = { rebuilt, caughtUp };
    // A log written before the tree was kept gets it now, before the first append needs it.
    await extendPgTree(database);
    const store = await PgEventStore.open<SessionEvent>(database, {
      hooks: [sessions],
      ...(durability ? { durability } : {}),
      ...(clock ? { clock } : {}),
      ...(pollMs === undefined ? {} : { pollMs }),
      ...(onCommit ? { onCommit } : {}),
      ...(logger ? { logger } : {}),
    });
    const log = composeSessionlog({
      location: database.label,
      store,
      sessions,
      opened,
      async close() {
        await store.close();
        await database.pool.end();
      },
    });
    const tree: LogTree = {
      head: () => store.head(),
      readNodes: (keys) => readPgNodes(database.pool, keys),
    };
    return { ...log, database, tree, tail: () => store.tail };
  } catch (error) {
    await database.pool.end();
    throw error;
  }
}

/** Brings the sessions table to the head with appends held off (the head's lock). */
export async function openProjection(
  database: PgDatabase,
  sessions: PgSessions,
  options: { rebuild?: boolean } = {},
) {
  const client = await database.pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ position: number }>(
      'SELECT position FROM log_head FOR UPDATE',
    );
    const head = rows[0]?.position ?? 0;
    const reader = new PgEventReader(client, sessionEventTypes);
    const { rebuilt, caughtUp } = await sessions.open(
      client,
      head,
      (after) => reader.read({ after, limit: READ_PAGE }),
      options,
    );
    await client.query('COMMIT');
    return {
      head,
      rebuilt: rebuilt ? [sessionsProjection.name] : [],
      caughtUp: !rebuilt && caughtUp > 0 ? [sessionsProjection.name] : [],
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
