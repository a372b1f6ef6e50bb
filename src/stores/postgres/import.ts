import type pg from 'pg';
import { ImportRefused } from '../../events/import-check.js';
import { sessionEventTypes } from '../../events/schemas.js';
import type { ImportBatches, ImportLine, ImportReport } from '../log-backend.js';
import { connectPostgres, migrateIn, type PgDatabase, unreachable } from './database.js';
import { extendPgTree } from './merkle-tree.js';
import { PgEventReader } from './reader.js';
import { PgSessions } from './sessions-table.js';

// Each column as an array parameter: one statement inserts a whole batch.
const INSERT = `INSERT INTO events (position, id, stream, version, type, time, data, meta, hash)
  SELECT position, id, stream, version, type, time, data::json, meta::json, hash
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::text[]) AS r(position, id, stream, version, type, time, data, meta, hash)`;

/**
 * `import` into a PostgreSQL log, in one transaction: the log's tables (made if the schema has
 * none), the events, the head, and the sessions table and its history folded as `rebuild`
 * folds them. A refusal rolls all of it back, so the schema is left as it was; the
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
    const { events, last } = await insertEvents(client, batches);
    await client.query('UPDATE log_head SET position = $1, hash = $2', [
      last?.position ?? 0,
      last?.hash ?? '0'.repeat(64),
    ]);
    await buildSessions(database, client, last?.position ?? 0);
    // The Merkle tree over the imported hashes, in the same transaction.
    await extendPgTree(database, client);
    const logId = (
      await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'logId'")
    ).rows[0]?.value as string;
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
 * Inserts every checked event, a statement per batch, inside the caller's transaction. A
 * duplicate id (the check holds no ids) is refused by the table and named by its line.
 */
async function insertEvents(client: pg.PoolClient, batches: ImportBatches) {
  let events = 0;
  let last: { position: number; hash: string } | undefined;
  for await (const { lines: batch } of batches) {
    const columns = [
      'position',
      'id',
      'stream',
      'version',
      'type',
      'time',
      'data',
      'meta',
      'hash',
    ] as const;
    const params = columns.map((column) => batch.map(({ row }) => row[column]));
    try {
      await client.query(INSERT, params);
    } catch (error) {
      throw duplicateId(error, batch) ?? error;
    }
    events += batch.length;
    const end = batch.at(-1)?.row;
    if (end !== undefined) last = { position: end.position, hash: end.hash };
  }
  return { events, last };
}

function duplicateId(error: unknown, batch: readonly ImportLine[]): ImportRefused | undefined {
  const { code, detail } = error as { code?: string; detail?: string };
  const id =
    code === '23505' ? /^Key \(id\)=\((.*)\) already exists/.exec(detail ?? '')?.[1] : undefined;
  if (id === undefined) return undefined;
  // The later of the two lines: the first one with this id in the batch that is not the first.
  const lines = batch.filter(({ row }) => row.id === id);
  const at = lines.at(-1);
  return at === undefined
    ? new ImportRefused(undefined, undefined, `id ${id} appears twice`)
    : new ImportRefused(at.line, at.row.position, `id ${id} appears on an earlier line`);
}

/**
 * Events folded per statement: the table's rows and history are written once per page, so a
 * larger page than the store's saves round trips (the import holds nothing else).
 */
const FOLD_PAGE = 10_000;

/** The sessions table and its history, folded from the imported events as `rebuild` does. */
async function buildSessions(database: PgDatabase, client: pg.PoolClient, head: number) {
  const reader = new PgEventReader(client, sessionEventTypes);
  await new PgSessions(database.pool).open(
    client,
    head,
    (after) => reader.read({ after, limit: FOLD_PAGE }),
    { rebuild: true },
  );
}
