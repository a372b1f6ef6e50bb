import { sessionEventTypes } from '../../events/schemas.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { LogBackend } from '../log-backend.js';
import { openPostgres } from './database.js';
import { importPostgres } from './import.js';
import { openPgSessionlog, openProjection } from './open-postgres.js';
import { PgEventReader } from './reader.js';
import { PgSessions, sessionsAsOf } from './sessions-table.js';
import { verifyPostgresLog } from './verify.js';
import { pgWatchLeases } from './watch-leases.js';

/** A log in PostgreSQL (`postgres://…[?schema=NAME]`), which any number of nodes may serve. */
export function postgresBackend(url: string): LogBackend {
  /** Opens the database without creating or migrating anything: no log there is an error. */
  const openExisting = (command: string) =>
    openPostgres(url, { create: false, applicationName: `sessionlog ${command}` });
  return {
    location: url,

    async serve({ durability, postgres = {} }) {
      const { pollMs, applicationName, leases } = postgres;
      const log = await openPgSessionlog({
        url,
        durability,
        ...(pollMs === undefined ? {} : { pollMs }),
        ...(applicationName === undefined ? {} : { applicationName }),
      });
      return { log, watch: { leases: pgWatchLeases(log.database.pool, leases) } };
    },

    async openReader(command) {
      const database = await openExisting(command);
      const reader = new PgEventReader(database.pool, sessionEventTypes);
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
        const reader = new PgEventReader(database.pool, sessionEventTypes);
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
        const { head } = await openProjection(database, new PgSessions(database.pool), {
          rebuild: true,
        });
        return [{ name, events: head, ms: performance.now() - started }];
      } finally {
        await database.pool.end();
      }
    },

    importEvents: (batches) => importPostgres(url, batches),

    verify: (out) => verifyPostgresLog(url, out),
  };
}
