import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { StoredNode } from '../../checkpoints/merkle-nodes.js';
import { ImportRefused } from '../../events/import-check.js';
import { sessionEventTypes } from '../../events/schemas.js';
import type { FoldAsWritten } from '../../projections/fold-as-written.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { ImportBatch, ImportBatches, ImportReport } from '../log-backend.js';
import { openDatabase, readMeta, type SqliteDatabase } from './database.js';
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
    const sessions = projections.foldAsWritten(sessionsProjection.name);
    // An index built once over the loaded table is a sort; kept during the load it is a
    // B-tree insert per event. The UNIQUE ones stay: they refuse a duplicate id as it comes.
    const indexes = db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL",
      )
      .all() as { name: string; sql: string }[];
    for (const { name } of indexes) db.exec(`DROP INDEX ${name}`);
    const events = await loadEvents(db, batches, sessions);
    for (const { sql } of indexes) db.exec(sql);
    // The last stops' snapshots and the table, in one transaction.
    const built = db.transaction(() => {
      const fold = sessions.finish(events);
      projections.install(fold);
      return fold;
    })();
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
      snapshots: sessions.stops,
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
 * Inserts every checked event, a transaction per batch (the file is private: a failure
 * deletes it), and with each batch the Merkle tree's new nodes and the projection's fold:
 * the events are never read back. A duplicate id, which the check cannot see without
 * holding every id, is refused by the table's UNIQUE constraint and named by its line.
 */
async function loadEvents(
  db: SqliteDatabase,
  batches: ImportBatches,
  sessions: FoldAsWritten,
): Promise<number> {
  const insert =
    db.prepare(`INSERT INTO events (position, id, stream, version, type, time, data, meta, hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const writeNodes = nodeWriter(db);
  let count = 0;
  const write = db.transaction(({ lines, nodes }: ImportBatch) => {
    for (const { row, line } of lines) {
      try {
        insert.run(
          row.position,
          row.id,
          row.stream,
          row.version,
          row.type,
          row.time,
          row.data,
          row.meta,
          row.hash,
        );
      } catch (error) {
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new ImportRefused(line, row.position, `id ${row.id} appears on an earlier line`);
        }
        throw error;
      }
    }
    writeNodes(nodes);
    // Snapshots read the hash at their position: this batch's rows are in already.
    sessions.apply(lines.map(({ envelope }) => envelope));
  });
  for await (const batch of batches) {
    write(batch);
    count += batch.lines.length;
  }
  return count;
}

/** Tree nodes per INSERT: one statement run per node cost three times the insert itself. */
const NODES_PER_INSERT = 64;

/** Writes tree nodes into `merkle_nodes` (MERKLE_DDL), many rows per statement. */
function nodeWriter(db: SqliteDatabase): (nodes: readonly StoredNode[]) => void {
  const insert = (rows: number) =>
    db.prepare(
      `INSERT INTO merkle_nodes (level, idx, hash) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')}`,
    );
  const many = insert(NODES_PER_INSERT);
  const one = insert(1);
  return (nodes) => {
    let i = 0;
    for (; i + NODES_PER_INSERT <= nodes.length; i += NODES_PER_INSERT) {
      many.run(nodes.slice(i, i + NODES_PER_INSERT).flatMap((n) => [n.level, n.index, n.hash]));
    }
    for (const node of nodes.slice(i)) one.run(node.level, node.index, node.hash);
  };
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
