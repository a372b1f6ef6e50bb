import type pg from 'pg';
import { ImportRefused } from '../../events/import-check.js';
import { EVENT_FIELDS, envelopesOf } from '../import-columns.js';
import type { EventColumns, ImportBatches, ImportReport } from '../log-backend.js';
import { connectPostgres, migrateIn, unreachable } from './database.js';
import { insertNodes, nodeColumnsOf } from './merkle-tree.js';
import { PgSessions } from './sessions-table.js';

// Each column as an array parameter: one statement inserts a whole batch.
const INSERT = `INSERT INTO events (position, id, stream, version, type, time, data, meta, hash)
  SELECT position, id, stream, version, type, time, data::json, meta::json, hash
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::text[]) AS r(position, id, stream, version, type, time, data, meta, hash)`;

/** The events table's indexes that no constraint owns, and the statements that make them. */
const SECONDARY_INDEXES = `SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname) AS name,
    pg_get_indexdef(i.oid) AS sql
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE t.relname = 'events' AND n.nspname = current_schema()
    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`;

/**
 * `import` into a PostgreSQL log, in one transaction: the log's tables (made if the schema has
 * none), the events, the head, the Merkle tree, and the sessions table and its history, each
 * batch written as an append writes it. A refusal rolls all of it back, so the schema is left as it was; the
 * append-only triggers are in force throughout (the import only inserts).
 */
export async function importPostgres(url: string, batches: ImportBatches): Promise<ImportReport> {
  const database = connectPostgres(url, { applicationName: 'sessionlog import', max: 1 });
  let client: pg.PoolClient | undefined;
  try {
    client = await database.pool.connect();
    await client.query('BEGIN');
    const started = performance.now();
    try {
      await migrateIn(client, database.schema, database.label);
    } catch (error) {
      throw new ImportRefused(undefined, undefined, (error as Error).message);
    }
    // Appends (a node serving this schema) wait for the import, and then follow its head.
    const { rows } = await client.query<{ position: number }>(
      'SELECT position FROM log_head FOR UPDATE',
    );
    const found = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM events'))
      .rows[0]?.n;
    if ((rows[0]?.position ?? 0) > 0 || (found ?? 0) > 0) {
      throw new ImportRefused(
        undefined,
        undefined,
        `${database.label} is not empty: it holds ${found} events (import fills only an empty log)`,
      );
    }
    // An index built once over the loaded table is a sort; kept during the load it is a
    // B-tree insert per event. Dropped and made again in this transaction (a reader of the
    // events waits for the import instead of seeing an empty log); the indexes of the
    // UNIQUE constraints stay, to refuse a duplicate as it comes.
    const { rows: indexes } = await client.query<{ name: string; sql: string }>(SECONDARY_INDEXES);
    for (const { name } of indexes) await client.query(`DROP INDEX ${name}`);
    const { events, last } = await insertEvents(client, batches, new PgSessions(database.pool));
    for (const { sql } of indexes) await client.query(sql);
    await client.query('UPDATE log_head SET position = $1, hash = $2', [
      last?.position ?? 0,
      last?.hash ?? '0'.repeat(64),
    ]);
    const logId = (
      await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'logId'")
    ).rows[0]?.value as string;
    // Statistics for the loaded tables: without them the planner takes a range of positions
    // for a few thousand rows, and an export read a page by sorting every row after it (39 s
    // instead of 9 s for a million events; autovacuum, when it runs, comes later).
    await client.query('ANALYZE events, merkle_nodes, sessions, sessions_history');
    await client.query('COMMIT');
    return { events, logId, ms: performance.now() - started };
  } catch (error) {
    await client?.query('ROLLBACK').catch(() => {});
    throw unreachable(error, database.label);
  } finally {
    client?.release();
    await database.pool.end();
  }
}

/**
 * Inserts every checked event, a statement per batch, inside the caller's transaction, and
 * with each batch the Merkle tree's nodes it completes and the sessions table's rows and
 * history as an append writes them: the events are never read back. A duplicate id (the
 * check holds no ids) is refused by the table and named by its line.
 */
async function insertEvents(client: pg.PoolClient, batches: ImportBatches, sessions: PgSessions) {
  let events = 0;
  let last: { position: number; hash: string } | undefined;
  // Emptied first, as rebuild does: the table must be the fold of these events alone.
  await client.query('DELETE FROM sessions; DELETE FROM sessions_history');
  for await (const { events: columns, nodes } of batches) {
    const params = EVENT_FIELDS.map((column) => Array.from<number | string>(columns[column]));
    try {
      await client.query(INSERT, params);
    } catch (error) {
      throw duplicateId(error, columns) ?? error;
    }
    await client.query(insertNodes(1, 2, 3), nodeColumnsOf(nodes));
    const count = columns.id.length;
    if (count === 0) continue;
    const end = {
      position: columns.position[count - 1] as number,
      hash: columns.hash[count - 1] as string,
    };
    await sessions.apply(client, envelopesOf(columns), end.position);
    events += count;
    last = end;
  }
  // An empty log has a sessions table at position 0, as a new log has.
  if (last === undefined) await sessions.apply(client, [], 0);
  return { events, last };
}

function duplicateId(error: unknown, batch: EventColumns): ImportRefused | undefined {
  const { code, detail } = error as { code?: string; detail?: string };
  const id =
    code === '23505' ? /^Key \(id\)=\((.*)\) already exists/.exec(detail ?? '')?.[1] : undefined;
  if (id === undefined) return undefined;
  // The later of the two lines: the first one with this id in the batch that is not the first.
  const at = batch.id.lastIndexOf(id);
  return at === -1
    ? new ImportRefused(undefined, undefined, `id ${id} appears twice`)
    : new ImportRefused(batch.line[at], batch.position[at], `id ${id} appears on an earlier line`);
}
