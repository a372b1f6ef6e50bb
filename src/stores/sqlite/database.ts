import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Durability } from '../../events/store.js';
import { APPLICATION_ID, contentsOf, notALogError } from './log-mark.js';
import { MERKLE_DDL, migrateTreeLayout } from './merkle-tree.js';

export type SqliteDatabase = Database.Database;
export type Statement = Database.Statement<unknown[]>;

// 2: the Merkle tree (merkle_nodes). A sessionlog that only knows 1 would append without it.
// 3: the tree keyed by (ends, level) (merkle-tree.ts): one that knows 2 would write its rows
// in the old layout.
export const SCHEMA_VERSION = 3;

export interface OpenOptions {
  durability?: Durability;
  /** Open without creating or migrating anything (verify). */
  readonly?: boolean;
  /** false: the file must hold a log already; an empty or missing one is refused (rebuild). */
  create?: boolean;
}

/** The tables that refuse UPDATE and DELETE in the database itself, not only in our code. */
const APPEND_ONLY_TABLES = ['events', 'idempotency_keys', 'merkle_nodes'] as const;
const APPEND_ONLY_OPERATIONS = ['UPDATE', 'DELETE'] as const;

/** The triggers that keep the log append-only: name → the statement that creates it. */
const APPEND_ONLY = new Map<string, string>(
  APPEND_ONLY_TABLES.flatMap((table) =>
    APPEND_ONLY_OPERATIONS.map((op): [string, string] => [
      `${table}_no_${op.toLowerCase()}`,
      `CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
  BEGIN SELECT RAISE(ABORT, '${table} is append-only: ${op} refused'); END`,
    ]),
  ),
);

/** The names of the triggers that keep the log append-only (verify checks they are there). */
export const APPEND_ONLY_TRIGGERS = [...APPEND_ONLY.keys()];

/**
 * Whether `sql`, as sqlite_master holds it, is the trigger `name` as sessionlog creates it: a
 * trigger dropped and made again under the same name with another body does not pass.
 */
export function isAppendOnlyTrigger(name: string, sql: string): boolean {
  const expected = APPEND_ONLY.get(name);
  const normal = (text: string) => text.replace(/\s+/g, ' ').replace(/;\s*$/, '').trim();
  return expected !== undefined && normal(sql) === normal(expected);
}

const APPEND_ONLY_SQL = [...APPEND_ONLY.values()]
  .map((sql) => `${sql.replace('CREATE TRIGGER', 'CREATE TRIGGER IF NOT EXISTS')};`)
  .join('\n');

// The events table is the log. AUTOINCREMENT keeps positions from ever being reused; every
// insert names its position (head + 1) inside a write transaction, so positions have no gaps.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  id       TEXT NOT NULL UNIQUE,
  stream   TEXT NOT NULL,
  version  INTEGER NOT NULL,
  type     TEXT NOT NULL,
  time     TEXT NOT NULL,
  data     TEXT NOT NULL,
  meta     TEXT NOT NULL,
  hash     TEXT NOT NULL,
  UNIQUE (stream, version)
);

-- A page of one stream's or one type's events below a position, newest first, reads only the
-- page: the rowid (the position) is the last column of every index on the table.
CREATE INDEX IF NOT EXISTS events_by_stream ON events (stream);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type);

CREATE TABLE IF NOT EXISTS idempotency_keys (
  key            TEXT PRIMARY KEY,
  fingerprint    TEXT NOT NULL,
  stream         TEXT NOT NULL,
  first_position INTEGER NOT NULL,
  position       INTEGER NOT NULL,
  version        INTEGER NOT NULL
) STRICT;
${MERKLE_DDL}
${APPEND_ONLY_SQL}
`;

/**
 * Opens (and on first use creates) a log file: the schema, the mark and the log's random id,
 * then WAL, the durability's synchronous mode. A file that holds something else is refused
 * with nothing changed in it.
 */
export function openDatabase(file: string, options: OpenOptions = {}): SqliteDatabase {
  const { durability = 'full', readonly = false, create = true } = options;
  if (file !== ':memory:' && !readonly && create) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { readonly, fileMustExist: readonly || !create });
  try {
    db.pragma('busy_timeout = 5000');
    if (readonly) {
      const contents = contentsOf(db);
      if (contents === 'empty' || contents === 'foreign') throw notALogError(file, db, contents);
      return db;
    }
    // Before WAL: switching to it writes the file, and a new log is made in one transaction
    // with its mark, so a crash leaves an empty file or a whole log, never an unmarked one.
    migrate(db, file, create);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    // Savepoint journals and the scratch tables of asOf stay in memory, off the disk.
    db.pragma('temp_store = MEMORY');
    return db;
  } catch (error) {
    db.close();
    throw lockedError(file, error);
  }
}

/**
 * Has a read-only connection that reads the whole log (verify's threads) read the file through
 * a memory map, not a read() call per page: a tenth of a second of system time per pass
 * over a million events. Up to 1 GiB: past it the rest of the file is read as before.
 */
export function mapForScan(db: SqliteDatabase): void {
  db.pragma('mmap_size = 1073741824');
}

/** SQLITE_BUSY at open, past busy_timeout, says who holds the file, not only "database is locked". */
function lockedError(file: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') return error;
  return new Error(
    `${file} is locked by another process (${code}: ${(error as Error).message}; waited 5 s): ` +
      'another program holds a write transaction on it (a sqlite3 shell, a backup?). ' +
      'Let it finish, then try again.',
    { cause: error },
  );
}

function migrate(db: SqliteDatabase, file: string, create: boolean): void {
  db.transaction(() => {
    // Read in the same write transaction as the DDL: no other process can fill the file
    // between the look and the change.
    const contents = contentsOf(db);
    if (contents === 'foreign' || (contents === 'empty' && !create)) {
      throw notALogError(file, db, contents);
    }
    db.exec(SCHEMA);
    migrateTreeLayout(db, APPEND_ONLY_SQL);
    // Logs made before the mark are recognised by their meta and marked now.
    if (contents !== 'log') db.pragma(`application_id = ${APPLICATION_ID}`);
    const found = readMeta(db, 'schemaVersion');
    if (found !== undefined && Number(found) > SCHEMA_VERSION) {
      throw new Error(
        `this log has schema version ${found}; this sessionlog understands up to ${SCHEMA_VERSION}: upgrade sessionlog`,
      );
    }
    const setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    setMeta.run('schemaVersion', String(SCHEMA_VERSION));
    if (readMeta(db, 'logId') === undefined) setMeta.run('logId', randomUUID());
  }).immediate();
}

export function readMeta(db: SqliteDatabase, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
    | { value: string }
    | undefined;
  return row?.value;
}
