import type { AnyEvent, Envelope } from '../../src/events/envelope.js';
import type { EventRegistry } from '../../src/events/schemas.js';
import type { EventStore } from '../../src/events/store.js';
import type { Sessionlog } from '../../src/sessions/sessionlog.js';
import { openDatabase } from '../../src/stores/sqlite/database.js';
import { openSessionlog } from '../../src/stores/sqlite/open-sqlite.js';
import { SqliteEventStore } from '../../src/stores/sqlite/store.js';
import { type Backend, describeEachBackend } from './backends.js';
import { useClosables } from './closables.js';
import { usePgNodes } from './pg-logs.js';

export interface LogOptions {
  clock?: () => Date;
  /** Names the connection (a node's application_name on PostgreSQL). */
  name?: string;
}

/** A bare store whose transaction hook records each append's streams in the log's database. */
export interface HookedStore {
  readonly store: EventStore<AnyEvent>;
  /** The streams the hook recorded and that committed, sorted. */
  recorded(): Promise<string[]>;
}

/**
 * Opens a backend's log at a `--db` the suite gives; each call is a connection of its own
 * (another process on a SQLite file, another node on PostgreSQL). Whatever a test leaves open
 * is closed after it.
 */
export interface StoreOpeners {
  readonly backend: Backend;
  /** The whole log (store, sessions table, commands), as `serve` opens it. */
  log(db: string, options?: LogOptions): Promise<Sessionlog>;
  /** A bare store, e.g. with event types of its own. */
  store(db: string, options?: { registry?: EventRegistry }): Promise<EventStore<AnyEvent>>;
  /** A bare store whose hook writes in the append's transaction, then throws when `fails`. */
  hooked(
    db: string,
    fails: (events: readonly Envelope<AnyEvent>[]) => boolean,
  ): Promise<HookedStore>;
}

function useSqliteOpeners(backend: Backend): StoreOpeners {
  const track = useClosables();
  const bare = (
    file: string,
    open: (db: ReturnType<typeof openDatabase>) => EventStore<AnyEvent>,
  ) => {
    const db = openDatabase(file);
    const store = open(db);
    track({
      async close() {
        await store.close();
        db.close();
      },
    });
    return { db, store };
  };
  return {
    backend,
    async log(db, { clock } = {}) {
      return track(openSessionlog({ db, ...(clock ? { clock } : {}) }));
    },
    async store(file, { registry } = {}) {
      return bare(file, (db) => new SqliteEventStore(db, registry ? { registry } : {})).store;
    },
    async hooked(file, fails) {
      const { db, store } = bare(file, (db) => {
        db.exec('CREATE TABLE IF NOT EXISTS hook_writes (stream TEXT)');
        const insert = db.prepare('INSERT INTO hook_writes (stream) VALUES (?)');
        return new SqliteEventStore(db, {
          hooks: [
            {
              apply(events) {
                for (const event of events) insert.run(event.stream);
                if (fails(events)) throw new Error('projection bug');
              },
            },
          ],
        });
      });
      const select = db.prepare('SELECT stream FROM hook_writes ORDER BY stream').pluck();
      return { store, recorded: async () => select.all() as string[] };
    },
  };
}

function usePgOpeners(backend: Backend): StoreOpeners {
  const open = usePgNodes();
  return {
    backend,
    log: (url, { clock, name } = {}) =>
      open.log({ url, ...(clock ? { clock } : {}), ...(name ? { applicationName: name } : {}) }),
    async store(url, { registry } = {}) {
      return (await open.store(url, registry ? { registry } : {})).store;
    },
    async hooked(url, fails) {
      const node = await open.store(url, {
        hooks: [
          {
            async apply(client, events) {
              await client.query('CREATE TABLE IF NOT EXISTS hook_writes (stream text)');
              await client.query('INSERT INTO hook_writes SELECT unnest($1::text[])', [
                events.map((e) => e.stream),
              ]);
              if (fails(events)) throw new Error('projection bug');
            },
          },
        ],
      });
      return {
        store: node.store,
        async recorded() {
          const { rows } = await node.database.pool.query<{ stream: string }>(
            'SELECT stream FROM hook_writes ORDER BY stream',
          );
          return rows.map((row) => row.stream);
        },
      };
    },
  };
}

/**
 * `describe(title, …)` once per backend, with the current test's log and the openers for it:
 * a store contract, written once, that every backend must keep.
 */
export function describeEachStore(
  title: string,
  body: (log: () => string, open: StoreOpeners) => void,
): void {
  describeEachBackend(title, (log, backend) =>
    body(log, backend.name === 'SQLite' ? useSqliteOpeners(backend) : usePgOpeners(backend)),
  );
}
