import Database from 'better-sqlite3';
import pg from 'pg';
import type { EventRow } from '../../src/events/event-row.js';
import { chainHashOf, GENESIS_HASH } from '../../src/events/hash.js';
import { isPostgresUrl } from '../../src/stores/open-log.js';

/**
 * Someone with the database itself, not sessionlog: the append-only triggers are theirs to
 * drop, and the chain theirs to recompute. What a checkpoint kept outside is there to catch.
 */
export interface Insider {
  /** The events as stored, data and meta as their stored text, in position order. */
  rows(): Promise<EventRow[]>;
  /**
   * Puts `rows` in place of every event from position `from` on, numbered from `from` and
   * each hash chained again, removes the idempotency keys past the new end, and puts the
   * triggers back as they were: a log that chains intact, with no trace of the change (a
   * stored Merkle tree, if the log keeps one, is emptied for `rebuild` to make again).
   */
  rewrite(from: number, rows: readonly EventRow[]): Promise<void>;
}

export function insider(db: string): Insider {
  return isPostgresUrl(db) ? pgInsider(db) : sqliteInsider(db);
}

/** `rows` numbered from `from` and chained from `previous`, as a store would have hashed them. */
function rechain(previous: string, from: number, rows: readonly EventRow[]): EventRow[] {
  return rows.map((row, i) => {
    const position = from + i;
    const hash = chainHashOf(previous, { ...row, position }, row.data, row.meta);
    previous = hash;
    return { ...row, position, hash };
  });
}

const INSERT = `INSERT INTO events (position, id, stream, version, type, time, data, meta, hash)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
const values = (r: EventRow) => [
  r.position,
  r.id,
  r.stream,
  r.version,
  r.type,
  r.time,
  r.data,
  r.meta,
  r.hash,
];

const hasTable = (db: Database.Database, name: string) =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !==
  undefined;

function sqliteInsider(file: string): Insider {
  const read = (db: Database.Database) =>
    db.prepare('SELECT * FROM events ORDER BY position').all() as EventRow[];
  return {
    async rows() {
      const db = new Database(file, { readonly: true });
      try {
        return read(db);
      } finally {
        db.close();
      }
    },
    async rewrite(from, rows) {
      const db = new Database(file);
      try {
        db.transaction(() => {
          const triggers = db
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            .all() as { name: string; sql: string }[];
          for (const { name } of triggers) db.exec(`DROP TRIGGER ${name}`);
          const previous = from === 1 ? GENESIS_HASH : (read(db)[from - 2]?.hash as string);
          db.prepare('DELETE FROM events WHERE position >= ?').run(from);
          const insert = db.prepare(INSERT.replace(/\$\d/g, '?'));
          for (const row of rechain(previous, from, rows)) insert.run(...values(row));
          db.prepare('DELETE FROM idempotency_keys WHERE position >= ?').run(from + rows.length);
          // A stored Merkle tree, where the log keeps one, is dropped to be made again from
          // the rewritten events (rebuild extends it): it would tell otherwise.
          if (hasTable(db, 'merkle_nodes')) db.exec('DELETE FROM merkle_nodes');
          for (const { sql } of triggers) db.exec(sql);
        })();
      } finally {
        db.close();
      }
    },
  };
}

function pgInsider(url: string): Insider {
  const schema = new URL(url).searchParams.get('schema') as string;
  const connect = async () => {
    const client = new pg.Client({ connectionString: url.replace(/\?.*$/, '') });
    await client.connect();
    await client.query(`SET search_path TO ${schema}`);
    return client;
  };
  const read = async (client: pg.Client) =>
    (
      await client.query<EventRow>(
        'SELECT position::int AS position, id, stream, version, type, time, data::text AS data, meta::text AS meta, hash FROM events ORDER BY position',
      )
    ).rows;
  return {
    async rows() {
      const client = await connect();
      try {
        return await read(client);
      } finally {
        await client.end();
      }
    },
    async rewrite(from, rows) {
      const client = await connect();
      try {
        await client.query('BEGIN');
        const { rows: kept } = await client.query(
          "SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'merkle_nodes'",
          [schema],
        );
        const tables = ['events', 'idempotency_keys', ...(kept.length > 0 ? ['merkle_nodes'] : [])];
        for (const table of tables) {
          await client.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
        }
        const previous =
          from === 1 ? GENESIS_HASH : ((await read(client))[from - 2]?.hash as string);
        await client.query('DELETE FROM events WHERE position >= $1', [from]);
        const chained = rechain(previous, from, rows);
        for (const row of chained) await client.query(INSERT, values(row));
        await client.query('DELETE FROM idempotency_keys WHERE position >= $1', [
          from + rows.length,
        ]);
        if (kept.length > 0) await client.query('DELETE FROM merkle_nodes');
        const end = chained.at(-1) ?? { position: from - 1, hash: previous };
        await client.query('UPDATE log_head SET position = $1, hash = $2', [
          end.position,
          end.hash,
        ]);
        for (const table of tables) {
          await client.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        await client.end();
      }
    },
  };
}
