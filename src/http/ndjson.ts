import { type EventStore, READ_PAGE, type ReadOptions } from '../events/store.js';
import { ndjsonLines } from '../protocol/ndjson.js';

/**
 * The log from `after` up to `upTo` as NDJSON, one envelope per line. Pull-based: a page is
 * read only when the consumer has taken the previous one, so a slow client holds the read
 * back instead of the server buffering the log, and memory stays flat whatever its size.
 */
export function ndjsonEvents(
  store: EventStore,
  filter: ReadOptions & { after: number; upTo: number },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after = filter.after;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // A page per pull: the most the stream holds in memory at once.
        const page = await store.read({ ...filter, after, limit: READ_PAGE });
        const last = page.at(-1);
        if (last !== undefined) {
          after = last.position;
          controller.enqueue(encoder.encode(ndjsonLines(page)));
        }
        if (page.length < READ_PAGE || after >= filter.upTo) controller.close();
      },
    },
    // One page read ahead of the consumer, no more.
    { highWaterMark: 1 },
  );
}

/**
 * Whether the client asked for NDJSON: `application/x-ndjson` is listed, not refused with
 * `q=0`, and not ranked below `application/json`.
 */
export function acceptsNdjson(accept: string | undefined): boolean {
  const ranks = new Map<string, number>();
  for (const part of (accept ?? '').split(',')) {
    const [type = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    ranks.set(type, q === undefined ? 1 : Number(q.slice(2)) || 0);
  }
  const ndjson = ranks.get('application/x-ndjson') ?? 0;
  return ndjson > 0 && ndjson >= (ranks.get('application/json') ?? 0);
}
