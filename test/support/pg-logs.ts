import type { SessionEvent } from '../../src/events/schemas.js';
import { openPostgres, type PgDatabase } from '../../src/stores/postgres/database.js';
import {
  openPgSessionlog,
  type PgSessionlogOptions,
} from '../../src/stores/postgres/open-postgres.js';
import { PgEventStore, type PgStoreOptions } from '../../src/stores/postgres/store.js';
import { useClosables } from './closables.js';

type PgSessionlog = Awaited<ReturnType<typeof openPgSessionlog>>;

/** A PgEventStore with the database under it: closing it ends the pool too. */
export interface PgNode {
  readonly store: PgEventStore<SessionEvent>;
  readonly database: PgDatabase;
  close(): Promise<void>;
}

/**
 * Opens logs and bare stores on PostgreSQL ("nodes": each has its own pool and its own LISTEN
 * connection) and closes whatever a test left open, so that a failing test leaks no pool.
 */
export function usePgNodes() {
  const track = useClosables();

  return {
    /** The whole log (store, sessions table, commands), as `serve` opens it. */
    async log(options: PgSessionlogOptions): Promise<PgSessionlog> {
      return track(await openPgSessionlog(options));
    },
    /** A bare store on a database of its own (`database` to replace parts of it, e.g. LISTEN). */
    async store(
      url: string,
      options: PgStoreOptions & {
        applicationName?: string;
        database?: (opened: PgDatabase) => PgDatabase;
      } = {},
    ): Promise<PgNode> {
      const { applicationName, database: adapt, ...storeOptions } = options;
      const opened = await openPostgres(url, applicationName ? { applicationName } : {});
      const database = adapt ? adapt(opened) : opened;
      let store: PgEventStore<SessionEvent>;
      try {
        store = await PgEventStore.open<SessionEvent>(database, storeOptions);
      } catch (error) {
        await opened.pool.end();
        throw error;
      }
      return track({
        store,
        database,
        async close() {
          await store.close();
          await opened.pool.end();
        },
      });
    },
  };
}

/** The schema a `…?schema=NAME` URL names. */
export function schemaOf(url: string): string {
  const schema = new URL(url).searchParams.get('schema');
  if (schema === null) throw new Error(`${url} names no schema`);
  return schema;
}
