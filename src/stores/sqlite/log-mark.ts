import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * 'SLog' in ASCII, in the SQLite header's application_id: marks a file as a sessionlog log
 * (`file(1)` and other programs read it too), so that no command takes over another
 * program's database by adding its tables to it.
 */
export const APPLICATION_ID = 0x534c6f67;

/**
 * What a SQLite file holds: a log (marked), a log of an earlier version (made before the
 * mark: its `meta` names a logId and a schema version, beside its `events`), nothing at all
 * (a new or 0-byte file: no table, view, index or trigger, no id in its header), or
 * something else. "Nothing" is read from the schema, not the page count: inside a write
 * transaction SQLite has already given a 0-byte file its first page.
 */
export type LogFileContents = 'log' | 'unmarked log' | 'empty' | 'foreign';

/** Reads what `db` holds; writes nothing. */
export function contentsOf(db: Database.Database): LogFileContents {
  const id = db.pragma('application_id', { simple: true });
  if (id === APPLICATION_ID) return 'log';
  if (id !== 0) return 'foreign';
  const objects = db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number };
  if (objects.n === 0 && db.pragma('user_version', { simple: true }) === 0) return 'empty';
  return isUnmarkedLog(db) ? 'unmarked log' : 'foreign';
}

function isUnmarkedLog(db: Database.Database): boolean {
  const tables = db
    .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)")
    .get('meta', 'events') as { n: number };
  if (tables.n !== 2) return false;
  try {
    const keys = db
      .prepare("SELECT count(*) AS n FROM meta WHERE key IN ('logId', 'schemaVersion')")
      .get() as { n: number };
    return keys.n === 2;
  } catch {
    return false; // a `meta` table of another shape: another program's
  }
}

/**
 * What a file that is no log is told, naming a few of its tables so the user recognises it;
 * nothing in it is changed.
 */
export function notALogError(file: string, db: Database.Database, contents: 'empty' | 'foreign') {
  if (contents === 'empty') return new Error(`no log at ${file}: the file holds nothing`);
  const id = db.pragma('application_id', { simple: true }) as number;
  const names = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name LIMIT 5",
    )
    .pluck()
    .all() as string[];
  const holds = [
    ...(id === 0 ? [] : [`application_id 0x${(id >>> 0).toString(16).padStart(8, '0')}`]),
    ...(names.length === 0 ? [] : [`tables ${names.join(', ')}`]),
  ];
  return new Error(
    `${file} is not a sessionlog log: it is another program's SQLite database` +
      `${holds.length === 0 ? '' : ` (${holds.join('; ')})`}. sessionlog changed nothing in it; use another --db.`,
  );
}

/**
 * Refuses a file that holds something other than a log, before anything writes to it or
 * beside it (the server's lock file). Opened read-write but only read: a read-only
 * connection would leave -wal and -shm files beside another program's WAL database. A
 * missing or empty file passes: there is nothing in it to take over.
 */
export function checkLogFile(file: string): void {
  if (!existsSync(file)) return;
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    if (contentsOf(db) === 'foreign') throw notALogError(file, db, 'foreign');
  } finally {
    db.close();
  }
}
