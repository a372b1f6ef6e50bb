import type { ReadOptions } from '../../events/store.js';
import { ndjsonLines } from '../../protocol/ndjson.js';
import type { SqliteEventReader } from './reader.js';

/** Pages of a page's events when SQLite cannot make the text (events to upcast). */
const DECODED_PAGE = 1000;

/**
 * The export's NDJSON a page at a time: made by SQLite from the stored text when it can be,
 * else from decoded (upcast) events. No read cursor stays open while the caller writes.
 */
export async function* ndjsonPages(
  reader: SqliteEventReader,
  options: Omit<ReadOptions, 'limit'>,
): AsyncGenerator<Buffer | string> {
  const fast = reader.ndjson(options);
  if (fast !== undefined) {
    yield* fast;
    return;
  }
  for (let after = options.after ?? 0; ; ) {
    const page = reader.read({ ...options, after, limit: DECODED_PAGE });
    const last = page.at(-1);
    if (last === undefined) return;
    yield ndjsonLines(page);
    after = last.position;
  }
}
