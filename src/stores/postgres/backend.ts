import { sessionEventVersions } from '../../events/event-types.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { LogBackend, RebuildReport } from '../log-backend.js';
import { treeRebuildReport } from '../verify-tree.js';
import { openPostgres, type PgDatabase, readPgMeta } from './database.js';
import { extendPgTree, pgTreeSize, readPgNodes } from './merkle-tree.js';
import { PgEventReader } from './reader.js';
import { PgSessions, sessionsAsOf } from './sessions-table.js';
import { pgWatchLeases } from './watch-leases.js';

/** A log in PostgreSQL (`postgres://…[?schema=NAME]`), which any number of nodes may serve. */
export function postgresBackend(url: string): LogBackend {
  /** Opens the database without creating or migrating anything: no log there is an error. */
  const openExisting = (command: string) =>
    openPostgres(url, { create: false, applicationName: `sessionlog ${command}` });
  return {
    location: url,
    defaultSigningKey: 'none',

    async serve({ durability, postgres = {}, onCommit, logger }) {
      const { pollMs, applicationName, leases } = postgres;
      // The store and its schemas (zod) are loaded by the commands that append, not by readers.
      const { openPgSessionlog } = await import('./open-postgres.js');
      const log = await openPgSessionlog({
        url,
        durability,
        ...(onCommit ? { onCommit } : {}),
        ...(logger ? { logger } : {}),
        ...(pollMs === undefined ? {} : { pollMs }),
        ...(applicationName === undefined ? {} : { applicationName }),
      });
      return {
        log,
        watch: {
          leases: pgWatchLeases(log.database.pool, {
            ...leases,
            ...(logger ? { logger } : {}),
          }),
        },
        tree: log.tree,
        pgTail: log.tail,
      };
    },

    async openTree(command) {
      const database = await openExisting(command);
      try {
        const reader = new PgEventReader(database.pool, sessionEventVersions);
        const { rows } = await database.pool.query(
          "SELECT to_regclass('merkle_nodes') IS NOT NULL AS present",
        );
        if (
          rows[0]?.present !== true ||
          (await pgTreeSize(database.pool)) < (await reader.head())
        ) {
          throw new Error(
            `the Merkle tree of ${database.label} is not built up to its head yet: sessionlog serve or rebuild builds it`,
          );
        }
        return {
          logId: (await readPgMeta(database.pool, 'logId')) as string,
          tree: {
            head: () => reader.head(),
            readNodes: (keys) => readPgNodes(database.pool, keys),
          },
          close: () => database.pool.end(),
        };
      } catch (error) {
        await database.pool.end();
        throw error;
      }
    },

    async openReader(command) {
      const database = await openExisting(command);
      const reader = new PgEventReader(database.pool, sessionEventVersions);
      return {
        read: (options) => reader.read(options),
        ndjson: (options) => reader.ndjson(options),
        head: () => reader.head(),
        close: () => database.pool.end(),
      };
    },

    async sessionsAsOf(asOf, status) {
      const database = await openExisting('sessions');
      try {
        // Folded from the log's first event, not read from the stored table or its history.
        const reader = new PgEventReader(database.pool, sessionEventVersions);
        const head = await reader.head();
        const position = asOf ?? head;
        if (position > head)
          throw new Error(`--as-of ${position} is beyond the log's head (${head})`);
        return { sessions: await sessionsAsOf(reader, position, status), position };
      } finally {
        await database.pool.end();
      }
    },

    async rebuild(projection) {
      const { name } = sessionsProjection;
      if (projection !== undefined && projection !== name) {
        throw new Error(`no projection ${projection} (known: ${name})`);
      }
      const database = await openExisting('rebuild');
      try {
        const started = performance.now();
        // Appends wait meanwhile: the table is made again under the head's lock.
        const { openProjection } = await import('./open-postgres.js');
        const { head } = await openProjection(database, new PgSessions(database.pool), {
          rebuild: true,
        });
        const reports: RebuildReport[] = [{ name, events: head, ms: performance.now() - started }];
        if (projection === undefined) reports.push(await checkTree(database));
        return reports;
      } finally {
        await database.pool.end();
      }
    },

    importFold: false,
    importEvents: async (batches) => (await import('./import.js')).importPostgres(url, batches),

    verify: async (out, also) => (await import('./verify.js')).verifyPostgresLog(url, out, also),
  };
}

/**
 * The tree extended to the head (a log written before it was kept) and checked against the
 * events' hashes: its nodes never change, so `rebuild` checks it rather than making it again.
 */
async function checkTree(database: PgDatabase): Promise<RebuildReport> {
  const started = performance.now();
  const { verifyPgTree } = await import('./verify.js');
  await extendPgTree(database);
  const client = await database.pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const report = await verifyPgTree(client);
    await client.query('COMMIT');
    return treeRebuildReport(report, started);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
