import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { sessionEventTypes } from '../events/schemas.js';
import { openDatabase } from '../events/sqlite-database.js';
import { SqliteEventReader } from '../events/sqlite-reader.js';
import { NDJSON_PAGE } from '../http/ndjson.js';
import type { DataWriter } from './data-writer.js';
import type { EventFilter } from './event-filter.js';

/**
 * How often `--follow --db` looks for new commits. Polling, because the writer is another
 * process and SQLite tells no other connection of a commit; watching the file instead is
 * unreliable (a WAL checkpoint writes without a commit, the -wal file is truncated and reused,
 * network file systems send no events at all). The poll is one lookup of the highest
 * position, a few microseconds, four times a second; 250 ms is below what a person tailing a
 * log notices and far below the gateway's 1 s watermarks.
 */
const POLL_MS = 250;

/**
 * Writes the log file's events after `filter.after` as NDJSON, exactly as `GET /api/events`
 * answers them (the same reader, the same serialization): up to the head as it was when the
 * command started, then, with `follow`, every later commit until `signal`. Opens the file
 * read-only, as verify does: it never creates, migrates or locks it, and a running server
 * keeps writing.
 */
export async function eventsFromDb(
  file: string,
  filter: EventFilter,
  { follow, writer, signal }: { follow: boolean; writer: DataWriter; signal: AbortSignal },
): Promise<void> {
  if (!existsSync(file)) throw new Error(`no log at ${file}`);
  const db = openDatabase(file, { readonly: true });
  try {
    const reader = new SqliteEventReader(db, sessionEventTypes);
    const { types, streams } = filter;
    /** Every position up to here has been read (written out, or filtered out). */
    let scanned = filter.after;
    const copyUpTo = async (head: number) => {
      for (let after = scanned; !signal.aborted; ) {
        const page = reader.read({ after, upTo: head, limit: NDJSON_PAGE, types, streams });
        await writer.write(page.map((event) => `${JSON.stringify(event)}\n`).join(''));
        after = page.at(-1)?.position ?? head;
        if (page.length < NDJSON_PAGE) break;
      }
      if (!signal.aborted) scanned = Math.max(scanned, head);
    };
    await copyUpTo(reader.head());
    while (follow && !signal.aborted) {
      try {
        await sleep(POLL_MS, undefined, { signal });
      } catch {
        break; // interrupted
      }
      const head = reader.head();
      if (head > scanned) await copyUpTo(head);
    }
  } finally {
    db.close();
  }
}
