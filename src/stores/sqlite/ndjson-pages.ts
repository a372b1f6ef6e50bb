import { availableParallelism } from 'node:os';
import type { ReadOptions } from '../../events/store.js';
import { ndjsonLines } from '../../protocol/ndjson.js';
import { parallelNdjson } from './ndjson-parallel.js';
import type { SqliteEventReader } from './reader.js';

/** Pages of a page's events when SQLite cannot make the text (events to upcast). */
const DECODED_PAGE = 1000;

/** Positions from which an export is made by threads: below, starting them costs more. */
const THREADS_FROM = 40_000;

/**
 * The export's NDJSON a page at a time: made by SQLite from the stored text when it can be
 * (by worker threads on their own connections to `file`, when the range is long enough to be
 * worth starting them), else from decoded (upcast) events. No read cursor stays open while
 * the caller writes.
 */
export async function* ndjsonPages(
  reader: SqliteEventReader,
  options: Omit<ReadOptions, 'limit'>,
  file?: string,
): AsyncGenerator<Buffer | string> {
  const fast = reader.ndjson(options);
  if (fast !== undefined) {
    const { after = 0, upTo, before, types, streams } = options;
    if (
      file !== undefined &&
      upTo !== undefined &&
      before === undefined &&
      upTo - after > THREADS_FROM
    ) {
      yield* parallelNdjson(file, { after, upTo, types, streams }, exportThreads());
    } else yield* fast;
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

/** Threads that make the export's text: every core (the main thread only writes). */
function exportThreads(): number {
  return Math.max(2, Math.min(8, availableParallelism()));
}
