import { setTimeout as sleep } from 'node:timers/promises';
import { openLog } from '../stores/open-log.js';
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
 * Writes the log's events (a file, or a PostgreSQL database) after `filter.after` as NDJSON, exactly as `GET /api/events`
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
  const log = await openLog(file);
  const reader = await log.openReader('events');
  try {
    const { types, streams } = filter;
    /** Every position up to here has been read (written out, or filtered out). */
    let scanned = filter.after;
    const copyUpTo = async (head: number) => {
      for await (const page of reader.ndjson({ after: scanned, upTo: head, types, streams })) {
        await writer.write(page);
        if (signal.aborted) break;
      }
      if (!signal.aborted) scanned = Math.max(scanned, head);
    };
    await copyUpTo(await reader.head());
    while (follow && !signal.aborted) {
      try {
        await sleep(POLL_MS, undefined, { signal });
      } catch {
        break; // interrupted
      }
      const head = await reader.head();
      if (head > scanned) await copyUpTo(head);
    }
  } finally {
    await reader.close();
  }
}
