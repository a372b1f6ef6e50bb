import type { EventHash } from '../log-backend.js';
import type { SqliteDatabase } from './database.js';

const PAGE = 5000;

/**
 * The (position, hash) of the events at positions 1..upTo, in pages: one statement, so one
 * read snapshot however long the caller takes, and only the two columns a tree is made of.
 */
export async function* sqliteEventHashes(
  db: SqliteDatabase,
  upTo: number,
): AsyncGenerator<EventHash[]> {
  const rows = db
    .prepare('SELECT position, hash FROM events WHERE position <= ? ORDER BY position')
    .raw(true)
    .iterate(upTo) as IterableIterator<[number, string]>;
  let page: EventHash[] = [];
  for (const [position, hash] of rows) {
    page.push({ position, hash });
    if (page.length === PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
