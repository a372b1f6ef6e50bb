import Database from 'better-sqlite3';
import type pg from 'pg';
import { canonicalJson, chainHash } from '../../src/events/hash.js';
import { uuidv7 } from '../../src/events/uuid-v7.js';

interface Unchecked {
  stream: string;
  type: string;
  data: unknown;
}

/** The row of an event at the log's head + 1, chained and hashed exactly as a store does. */
function row(event: Unchecked, last: { position: number; hash: string }, version: number) {
  const recorded = {
    position: last.position + 1,
    id: uuidv7(),
    stream: event.stream,
    version: version + 1,
    type: event.type,
    time: new Date().toISOString(),
    data: event.data,
    meta: { schemaVersion: 1 },
  };
  const hash = chainHash(last.hash, recorded);
  return {
    ...recorded,
    data: canonicalJson(recorded.data),
    meta: canonicalJson(recorded.meta),
    hash,
  };
}

const GENESIS = { position: 0, hash: '0'.repeat(64) };

/**
 * Appends an event to a closed SQLite log file past every check, its hash chained as the store
 * chains it: what a log written before a check existed may hold.
 */
export function appendUncheckedSqlite(file: string, event: Unchecked): void {
  const db = new Database(file);
  try {
    const last = db
      .prepare('SELECT position, hash FROM events ORDER BY position DESC LIMIT 1')
      .get();
    const version = db
      .prepare('SELECT count(*) FROM events WHERE stream = ?')
      .pluck()
      .get(event.stream) as number;
    db.prepare(`INSERT INTO events (position, id, stream, version, type, time, data, meta, hash)
      VALUES (@position, @id, @stream, @version, @type, @time, @data, @meta, @hash)`).run(
      row(event, (last as typeof GENESIS | undefined) ?? GENESIS, version),
    );
  } finally {
    db.close();
  }
}

/** The same on a PostgreSQL log no node has open, its head row moved along. */
export async function appendUncheckedPg(client: pg.Client, schema: string, event: Unchecked) {
  const { rows } = await client.query<{ position: string; hash: string }>(
    `SELECT position, hash FROM ${schema}.log_head`,
  );
  const head = rows[0] ?? { position: '0', hash: GENESIS.hash };
  const counted = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${schema}.events WHERE stream = $1`,
    [event.stream],
  );
  const r = row(
    event,
    { position: Number(head.position), hash: head.hash },
    Number(counted.rows[0]?.n ?? 0),
  );
  await client.query(
    `INSERT INTO ${schema}.events (position, id, stream, version, type, time, data, meta, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [r.position, r.id, r.stream, r.version, r.type, r.time, r.data, r.meta, r.hash],
  );
  await client.query(`UPDATE ${schema}.log_head SET position = $1, hash = $2`, [
    r.position,
    r.hash,
  ]);
}
