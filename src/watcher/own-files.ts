import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * The files the server itself writes for a log: the database, its WAL, shared-memory and
 * journal files, and its lock (a database with a journal of its own). A session working in the directory that holds the log must
 * not see them: each event appended would change them, and each change append an event.
 */
export function ownFiles(db: string | undefined): ReadonlySet<string> {
  // No file (in memory, or another store): nothing of the server's to keep out.
  if (db === undefined) return new Set();
  const absolute = resolve(db);
  let file = absolute;
  try {
    // Watched paths are realpaths (SPEC stores the cwd so): compare like with like.
    file = join(realpathSync(dirname(absolute)), basename(absolute));
  } catch {
    // The log's directory cannot be resolved: the plain path is the best guess.
  }
  return new Set(
    ['', '-wal', '-shm', '-journal', '.lock', '.lock-journal'].map((suffix) => `${file}${suffix}`),
  );
}
