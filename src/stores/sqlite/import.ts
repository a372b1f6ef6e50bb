import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ImportRefused } from '../../events/import-check.js';
import { sessionEventTypes } from '../../events/schemas.js';
import { Fold } from '../../projections/fold.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { ImportBatches, ImportFold, ImportReport, ImportSnapshot } from '../log-backend.js';
import { openDatabase, readMeta, type SqliteDatabase } from './database.js';
import { eventWriter, nodeWriter } from './import-rows.js';
import { lockLogFile } from './lock.js';
import { contentsOf, notALogError } from './log-mark.js';
import { SqliteProjections } from './projections.js';
import { SqliteEventReader } from './reader.js';

/**
 * `import` into a log file: the events go into a new log in a file beside the target, the
 * projections and the Merkle tree are built there as the events are written (the same rows,
 * snapshots and nodes as `rebuild` makes), and only a complete log takes the
 * target's place (a rename): a refused or interrupted import leaves the target as it was, and
 * removes what it made. The target must be absent, an empty file, or a log without events.
 */
export async function importSqlite(file: string, batches: ImportBatches): Promise<ImportReport> {
  if (file === ':memory:') throw new Error('import needs a log file, not :memory:');
  const existed = existsSync(file);
  // A log served meanwhile would lose its writes to the rename: hold its lock. A new path
  // has no server, and is claimed by a link that fails if one appeared.
  // Checked before the lock (no lock file beside another program's database) and again
  // under it (a server may have appended in between).
  if (existed) checkEmptyTarget(file);
  const lock = existed ? lockLogFile(file) : undefined;
  const temp = `${file}.import-${process.pid}`;
  removeDatabase(temp);
  let db: SqliteDatabase | undefined;
  try {
    if (existed) checkEmptyTarget(file);
    db = openDatabase(temp, { durability: 'normal' });
    // The file is private until it is renamed, and is fsynced before: no journal file needed.
    // Not OFF: better-sqlite3's defensive mode ignores that without a word, and the load went
    // through the WAL, every page written twice. MEMORY keeps what a rollback needs in memory.
    const mode = db.pragma('journal_mode = MEMORY', { simple: true });
    if (mode !== 'memory') throw new Error(`the import's file stayed in journal mode ${mode}`);
    db.pragma('synchronous = OFF');
    const started = performance.now();
    const reader = new SqliteEventReader(db, sessionEventTypes);
    const projections = new SqliteProjections(db, reader, [sessionsProjection]);
    const storeSnapshot = projections.importSnapshots(sessionsProjection.name);
    // An index built once over the loaded table is a sort; kept during the load it is a
    // B-tree insert per event. The UNIQUE ones stay: they refuse a duplicate id as it comes.
    const indexes = db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL",
      )
      .all() as { name: string; sql: string }[];
    for (const { name } of indexes) db.exec(`DROP INDEX ${name}`);
    const { events, end } = await loadEvents(db, batches, storeSnapshot);
    if (end === undefined) throw new Error("the import's check ended without its fold");
    for (const { sql } of indexes) db.exec(sql);
    const built = new Fold(sessionsProjection, { position: end.position, rows: new Map(end.rows) });
    db.transaction(() => projections.install(built))();
    projections.close();
    const logId = readMeta(db, 'logId') as string;
    db.pragma('journal_mode = WAL');
    db.close();
    db = undefined;
    syncFile(temp);
    if (existed) renameSync(temp, file);
    else {
      linkSync(temp, file); // EEXIST: someone made the target meanwhile; it is not replaced
      rmSync(temp);
    }
    syncFile(dirname(file));
    return {
      events,
      rows: built.rows.size,
      snapshots: end.stops,
      logId,
      ms: performance.now() - started,
    };
  } catch (error) {
    db?.close();
    removeDatabase(temp);
    if ((error as { code?: unknown }).code === 'EEXIST') {
      throw new Error(
        `${file} appeared during the import; it was left alone and nothing was imported`,
      );
    }
    throw error;
  } finally {
    lock?.release();
  }
}

/**
 * Events per transaction, over several batches: a commit writes every page its batches
 * dirtied, and the id and (stream, version) indexes put their rows all over the file, so a
 * transaction per batch (2,000 events) wrote the same index pages again and again.
 */
const EVENTS_PER_TRANSACTION = 16_000;

/**
 * Inserts every checked event, with each batch the Merkle tree's new nodes and the sessions
 * projection's snapshots that fell due, as the check folded them: the events are never read
 * back. A transaction holds EVENTS_PER_TRANSACTION events or so (the file is private: a
 * failure deletes it). Returns the events written and the fold's end, which comes with the
 * last batch.
 */
async function loadEvents(
  db: SqliteDatabase,
  batches: ImportBatches,
  storeSnapshot: (snapshot: ImportSnapshot) => void,
): Promise<{ events: number; end: ImportFold['end'] }> {
  const writeEvents = eventWriter(db);
  const writeNodes = nodeWriter(db);
  let events = 0;
  let uncommitted = 0;
  let end: ImportFold['end'];
  for await (const { events: columns, nodes, fold } of batches) {
    if (!db.inTransaction) db.exec('BEGIN');
    writeEvents(columns);
    writeNodes(nodes);
    for (const snapshot of fold?.snapshots ?? []) storeSnapshot(snapshot);
    end = fold?.end;
    events += columns.id.length;
    uncommitted += columns.id.length;
    if (uncommitted >= EVENTS_PER_TRANSACTION) {
      db.exec('COMMIT');
      uncommitted = 0;
    }
  }
  if (db.inTransaction) db.exec('COMMIT');
  return { events, end };
}

/** Refuses a target that is another program's database or a log that holds events. */
function checkEmptyTarget(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const contents = contentsOf(db);
    if (contents === 'foreign') {
      throw new ImportRefused(undefined, undefined, notALogError(file, db, 'foreign').message);
    }
    if (contents === 'empty') return;
    const head = db
      .prepare('SELECT coalesce(max(position), 0) FROM events')
      .pluck()
      .get() as number;
    if (head > 0) {
      throw new ImportRefused(
        undefined,
        undefined,
        `${file} is not empty: it holds ${head} events (import fills only an empty log)`,
      );
    }
  } finally {
    db.close();
  }
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal'])
    rmSync(`${file}${suffix}`, { force: true });
}
