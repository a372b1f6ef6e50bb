import { mkdirSync, truncateSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * One server per log file: a second one would append fine, but its clients would not see the
 * first one's commits live (commit notifications are in-process).
 *
 * The lock is SQLite's own write lock on `<log>.lock`, a small database of its own: the
 * holder keeps a write transaction open for its whole life. The operating system drops that
 * lock when the process ends, however it ends, so a crashed server's successor starts at
 * once; a pid written in a file cannot say as much (pid 1 of a re-created container is
 * alive again, under another hostname). SQLite also keeps two connections of one process
 * apart, so a second server in the same process is refused too. The log itself is not
 * locked: readers (`events`, `verify`, `sessions --db`) read it while it is served.
 *
 * The lock file stays when the server stops: deleting it would let a process that opened it
 * just before take a lock on a file no longer there while another makes a new one.
 */
export function lockLogFile(file: string): { release(): void } {
  const lock = `${file}.lock`;
  // The lock comes before the log: its folder may not exist yet (./data on a fresh clone).
  mkdirSync(dirname(file), { recursive: true });
  const db = openLockDatabase(lock);
  try {
    try {
      // Who holds the lock, for the message a second server prints. Written in a commit of
      // its own (an open transaction is invisible to others), then the lock is taken again;
      // a server starting in between wins, and this one is refused naming it.
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER, hostname TEXT, since TEXT)');
      db.transaction(() => {
        db.exec('DELETE FROM holder');
        db.prepare('INSERT INTO holder VALUES (?, ?, ?)').run(
          process.pid,
          hostname(),
          new Date().toISOString(),
        );
      }).immediate();
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
      throw new Error(
        `${file} is already served by another sessionlog (${describeHolder(db)}holding ${lock}); ` +
          'its clients would not see this server’s writes live. Stop it first, or use another --db.',
        { cause: error },
      );
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return { release: () => db.close() };
}

/**
 * The lock database, made anew over a file that is no SQLite database: the JSON lock of
 * earlier versions, whose pid and hostname are what this lock no longer trusts. Truncated
 * by path, not read: opening and closing a file descriptor would drop every POSIX lock this
 * process holds on it, another server's in this process included. Truncating cannot undo a
 * lock either: SQLite's locks lie on bytes past the end of such a small file.
 */
function openLockDatabase(lock: string): Database.Database {
  for (let attempt = 0; ; attempt++) {
    const db = new Database(lock);
    try {
      // Long enough to wait out another server's commit of its holder row, not more: a
      // lock held is held for a server's life.
      db.pragma('busy_timeout = 250');
      db.pragma('schema_version');
      return db;
    } catch (error) {
      db.close();
      const code = (error as { code?: unknown }).code;
      if (attempt > 0 || (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT')) throw error;
      truncateSync(lock, 0);
    }
  }
}

/** `pid N on HOST, since T; `, as far as the holder's row can be read. */
function describeHolder(db: Database.Database): string {
  try {
    const holder = db.prepare('SELECT pid, hostname, since FROM holder').get() as
      | { pid: number; hostname: string; since: string }
      | undefined;
    if (holder === undefined) return '';
    const where = holder.hostname === hostname() ? '' : ` on ${holder.hostname}`;
    return `pid ${holder.pid}${where}, since ${holder.since}; `;
  } catch {
    return '';
  }
}
