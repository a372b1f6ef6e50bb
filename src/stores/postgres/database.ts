import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { fallbackLogger, type Logger } from '../../observe/logger.js';
import { MERKLE_DDL } from './merkle-tree.js';
import { SESSIONS_DDL } from './sessions-table.js';
import { WATCH_LEASES_DDL } from './watch-leases.js';

/** A log in PostgreSQL: its connection pool, the schema its tables live in, and its channel. */
export interface PgDatabase {
  pool: pg.Pool;
  /** What `new pg.Client(...)` needs to open a connection of its own (LISTEN). */
  config: pg.ClientConfig;
  schema: string;
  /** The NOTIFY channel commits are announced on (channels are per database: named by schema). */
  channel: string;
  /** The URL without its password, for messages. */
  label: string;
}

// 2: indexes for reads below a position (by stream, by type) and the Merkle tree
// (merkle_nodes). A sessionlog that only knows 1 would append without the tree.
export const PG_SCHEMA_VERSION = 2;

const int8 = 20;
const parseTypes: pg.CustomTypesConfig = {
  // Positions are bigint: they fit a double for 2^53 events, and callers want numbers.
  getTypeParser: ((oid: number, format?: string) =>
    oid === int8
      ? Number
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Connects to `postgres://…[?schema=NAME]` (default schema `sessionlog`) and creates the
 * log's tables on first use. Several nodes may call this at once: the migration runs under
 * an advisory lock.
 */
export async function openPostgres(
  url: string,
  options: {
    applicationName?: string;
    max?: number;
    /** false: create and migrate nothing; fail if the schema holds no log (verify, events). */
    create?: boolean;
    /** Where a lost connection is told (default: warnings on stderr). */
    logger?: Logger;
  } = {},
): Promise<PgDatabase> {
  const database = connectPostgres(url, options);
  const { pool, schema, label } = database;
  try {
    if (options.create === false) await mustExist(pool, schema, label);
    else await migrate(pool, schema, label);
  } catch (error) {
    await pool.end();
    throw unreachable(error, label);
  }
  return database;
}

/**
 * The pool for `postgres://…[?schema=NAME]`, without a look at what the schema holds (import
 * makes the log in its own transaction: `migrateIn`).
 */
export function connectPostgres(
  url: string,
  options: { applicationName?: string; max?: number; logger?: Logger } = {},
): PgDatabase {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? 'sessionlog';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`schema ${JSON.stringify(schema)}: use lower-case letters, digits and _`);
  }
  parsed.searchParams.delete('schema');
  // libpq's own parameter names the node's connections; the LISTEN one adds " listen".
  const named = parsed.searchParams.get('application_name');
  parsed.searchParams.delete('application_name');
  const config: pg.ClientConfig = {
    connectionString: parsed.toString(),
    // Every connection, from its first statement, works in the log's schema.
    options: `-c search_path=${schema}`,
    application_name: named ?? options.applicationName ?? 'sessionlog',
    types: parseTypes,
    connectionTimeoutMillis: 10_000,
  };
  parsed.password = '';
  const label = `${parsed.toString()}${schema === 'sessionlog' ? '' : ` (schema ${schema})`}`;
  const pool = new pg.Pool({ ...config, max: options.max ?? 10, idleTimeoutMillis: 30_000 });
  // An idle connection that the server ends (a restart, pg_terminate_backend) is reported
  // here; without a listener it would crash the process. The pool replaces it on next use.
  const logger = options.logger ?? fallbackLogger();
  pool.on('error', (error) =>
    logger.warn({ error: error.message }, 'lost a PostgreSQL connection (replaced on next use)'),
  );
  return { pool, config, schema, channel: `sessionlog_${schema}`, label };
}

/** A server that cannot be reached says where it was looked for. */
export function unreachable(error: unknown, label: string): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
    return new Error(`cannot reach PostgreSQL at ${label}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return error;
}

/** The tables that refuse UPDATE, DELETE and TRUNCATE in the database itself. */
export const PG_APPEND_ONLY_TABLES = ['events', 'idempotency_keys', 'merkle_nodes'] as const;

// The log's own tables; the sessions table and its history, and the file-watching leases, are
// made by the modules that use them. Positions are taken under the lock on log_head's single row (see PgEventStore): they run
// 1, 2, 3, … in commit order. data and meta are `json`, which keeps the canonical text
// that was hashed exactly as written (jsonb would reorder it).
const SCHEMA = (schema: string) => `
CREATE SCHEMA IF NOT EXISTS ${schema};
SET LOCAL search_path TO ${schema};

CREATE TABLE IF NOT EXISTS meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE IF NOT EXISTS events (
  position bigint PRIMARY KEY,
  id       text NOT NULL UNIQUE,
  stream   text NOT NULL,
  version  integer NOT NULL,
  type     text NOT NULL,
  time     text NOT NULL,
  data     json NOT NULL,
  meta     json NOT NULL,
  hash     text NOT NULL,
  UNIQUE (stream, version)
);
-- A page of one stream's or one type's events below a position, newest first, reads only the
-- page (schema version 2).
CREATE INDEX IF NOT EXISTS events_by_stream ON events (stream, position);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, position);

CREATE TABLE IF NOT EXISTS log_head (
  one      boolean PRIMARY KEY DEFAULT true CHECK (one),
  position bigint NOT NULL,
  hash     text NOT NULL
);
INSERT INTO log_head (position, hash) VALUES (0, repeat('0', 64)) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS idempotency_keys (
  key            text PRIMARY KEY,
  fingerprint    text NOT NULL,
  stream         text NOT NULL,
  first_position bigint NOT NULL,
  position       bigint NOT NULL,
  version        integer NOT NULL
);

${SESSIONS_DDL}
${WATCH_LEASES_DDL}
${MERKLE_DDL}
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$;
${PG_APPEND_ONLY_TABLES.map(
  (table) => `
CREATE OR REPLACE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE OR REPLACE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();`,
).join('\n')}
`;

async function migrate(pool: pg.Pool, schema: string, label: string): Promise<void> {
  // A log already at this version is left alone: its DDL would lock the events table, and a
  // node starting while others append would deadlock with them (an append holds the head's
  // row and needs the table; CREATE OR REPLACE TRIGGER holds the table and needs the row).
  const found = await schemaContents(pool, schema);
  if (found.kind === 'log' && found.version === PG_SCHEMA_VERSION) return;
  // Another program's tables are refused before any DDL, and again under the lock below.
  if (found.kind === 'foreign') throw notALogError(label, schema, found.tables);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await migrateIn(client, schema, label);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Makes the log's tables in the caller's transaction, unless they are there at this version;
 * refuses another program's tables and a newer log.
 */
export async function migrateIn(
  client: pg.PoolClient,
  schema: string,
  label: string,
): Promise<void> {
  // Nodes starting together take turns; the one that comes second finds the log made (and
  // may not run the DDL: the first may be appending already).
  await client.query("SELECT pg_advisory_xact_lock(hashtext('sessionlog migrate'))");
  const contents = await schemaContents(client, schema);
  if (contents.kind === 'foreign') throw notALogError(label, schema, contents.tables);
  const version = contents.kind === 'log' ? contents.version : undefined;
  if (version !== undefined && version > PG_SCHEMA_VERSION) {
    throw new Error(
      `this log has schema version ${version}; this sessionlog understands up to ${PG_SCHEMA_VERSION}: upgrade sessionlog`,
    );
  }
  if (version === PG_SCHEMA_VERSION) return;
  // An older log's nodes may be appending: take the head's row before the DDL locks the
  // tables, in the order an append takes them, so that neither waits on the other in a cycle.
  if (version !== undefined) {
    await client.query(`SELECT position FROM ${schema}.log_head FOR UPDATE`);
  }
  await client.query(SCHEMA(schema));
  // An older log keeps its logId and is marked with this version (the DDL above is idempotent).
  await client.query(
    `INSERT INTO meta (key, value) VALUES ('schemaVersion', $1), ('logId', $2)
     ON CONFLICT (key) DO UPDATE SET value = CASE WHEN meta.key = 'schemaVersion'
       THEN excluded.value ELSE meta.value END`,
    [String(PG_SCHEMA_VERSION), randomUUID()],
  );
}

async function mustExist(pool: pg.Pool, schema: string, label: string): Promise<void> {
  const contents = await schemaContents(pool, schema);
  if (contents.kind === 'foreign') throw notALogError(label, schema, contents.tables);
  if (contents.kind === 'empty') throw new Error(`no sessionlog log at ${label}`);
}

/**
 * What a schema holds: a log (its meta names a logId and the schema version: written in the
 * transaction that makes the tables, so every log has them), nothing (no table, view or
 * sequence; or no schema yet), or another program's tables. Read from the catalog, so that
 * looking cannot fail (and abort the transaction it runs in) on a `meta` of another shape.
 */
async function schemaContents(
  db: pg.Pool | pg.PoolClient,
  schema: string,
): Promise<
  { kind: 'log'; version: number } | { kind: 'empty' } | { kind: 'foreign'; tables: string[] }
> {
  const { rows } = await db.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') ORDER BY c.relname`,
    [schema],
  );
  if (rows.length === 0) return { kind: 'empty' };
  const tables = rows.map((row) => row.relname);
  const columns = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_attribute
     WHERE attrelid = to_regclass($1) AND attname IN ('key', 'value') AND NOT attisdropped`,
    [`${schema}.meta`],
  );
  if (columns.rows[0]?.n !== 2) return { kind: 'foreign', tables };
  const meta = await db.query<{ key: string; value: string }>(
    `SELECT key::text, value::text FROM ${schema}.meta WHERE key::text IN ('logId', 'schemaVersion')`,
  );
  const version = meta.rows.find((row) => row.key === 'schemaVersion')?.value;
  if (meta.rows.length !== 2 || version === undefined) return { kind: 'foreign', tables };
  return { kind: 'log', version: Number(version) };
}

export function notALogError(label: string, schema: string, tables: readonly string[]): Error {
  const named = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '');
  return new Error(
    `${label} is not a sessionlog log: schema ${schema} holds tables of another program (${named}). ` +
      'sessionlog changed nothing in it; use another ?schema=.',
  );
}

export async function readPgMeta(pool: pg.Pool, key: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [
    key,
  ]);
  return rows[0]?.value;
}
