import { problem } from '../problem.js';
import { nextCursor } from './cursor.js';
import type { LiveMode, LivePlace } from './live-places.js';
import { formatOffset, parseOffset } from './offsets.js';
import { sseRead } from './sse-read.js';
import { readBody } from './stream-body.js';
import {
  type Chunk,
  readChunk,
  type StreamEnd,
  type StreamSource,
  streamEnd,
} from './stream-source.js';

export interface LiveOptions {
  /** How long a long-poll waits for data before answering 204. */
  longPollMs: number;
  /** An SSE response ends after this long (§10.2: about a minute), so that CDNs can collapse. */
  sseMs: number;
  /** `private` when a token guards the streams: a shared cache must not serve them to others. */
  cacheScope: 'public' | 'private';
  /** A chunk's messages hold at most this many bytes, but for a single larger one (stream-source.ts). */
  maxChunkBytes: number;
}

export const DEFAULT_LIVE: LiveOptions = {
  longPollMs: 20_000,
  sseMs: 60_000,
  cacheScope: 'public',
  maxChunkBytes: 1024 * 1024,
};

const OFFSET = 'stream-next-offset';
const UP_TO_DATE = 'stream-up-to-date';
const CURSOR = 'stream-cursor';
const CLOSED = 'stream-closed';

/** `HEAD`: the tail, whether the stream is closed, and the content type; never cached (§5.5). */
export async function headStream(source: StreamSource): Promise<Response> {
  const end = await streamEnd(source);
  return new Response(null, {
    status: 200,
    headers: {
      'content-type': source.contentType,
      [OFFSET]: formatOffset(end.head),
      'cache-control': 'no-store',
      ...(end.closed ? { [CLOSED]: 'true' } : {}),
    },
  });
}

/** Takes a live read's place (the connection budget), or says why there is none. */
export type EnterLive = (mode: LiveMode) => LivePlace | { refusal: string };

/**
 * `GET` on a stream (Durable Streams §5.6–5.8): catch-up by chunks, `live=long-poll`, or
 * `live=sse`. Read-only: the data comes from `source`, live reads wake on its tail signal and
 * hold a place from `enter` until they end (429 when there is none). A closed stream says so
 * where a reader reaches its end (`Stream-Closed`), and a live read there ends at once.
 */
export async function readStream(
  request: Request,
  source: StreamSource,
  options: LiveOptions,
  enter?: EnterLive,
): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const lives = params.getAll('live');
  const [live] = lives;
  if (lives.length > 1 || (live !== undefined && live !== 'long-poll' && live !== 'sse')) {
    return badParameter('live', 'live must be long-poll or sse, given at most once');
  }
  const offsets = params.getAll('offset');
  if (live !== undefined && offsets.length === 0) {
    return badParameter('offset', `offset is required with live=${live}`);
  }
  const start = parseOffset(offsets);
  if (start !== 'now' && 'problem' in start) return badParameter('offset', start.problem);
  const end = await streamEnd(source);
  if (start !== 'now' && start.after > end.logHead) {
    return badParameter('offset', 'offset is beyond the tail of this stream');
  }
  // `now` is the tail; an offset given before a stream closed may lie past where it closed.
  const from = start === 'now' ? end.head : start.after;
  if (live === undefined) return catchUp(request, source, from, start === 'now', end, options);
  const place = enter?.(live) ?? { leave() {} };
  if ('refusal' in place) {
    return problem(429, 'too-many-connections', place.refusal, {}, { 'retry-after': '1' });
  }
  const cursor = params.get('cursor') ?? undefined;
  if (live === 'sse') return sseRead(request, source, from, end, cursor, options, place);
  try {
    return await longPoll(request, source, from, end, cursor, options);
  } finally {
    place.leave();
  }
}

async function catchUp(
  request: Request,
  source: StreamSource,
  from: number,
  now: boolean,
  end: StreamEnd,
  options: LiveOptions,
): Promise<Response> {
  if (now || (end.closed && from >= end.head)) {
    // §8: an empty body of the stream's type and the tail; no ETag, never cached. At the end
    // of a closed stream, the EOF of §5.6: Stream-Closed.
    return new Response(readBody(source.contentType, []), {
      status: 200,
      headers: {
        'content-type': source.contentType,
        [OFFSET]: formatOffset(Math.max(from, end.head)),
        [UP_TO_DATE]: 'true',
        'cache-control': 'no-store',
        ...(end.closed ? { [CLOSED]: 'true' } : {}),
      },
    });
  }
  const chunk = await readChunk(source, from, end.head, options.maxChunkBytes);
  return chunkResponse(request, source, from, chunk, end.closed, options, {});
}

/**
 * A chunk's answer. One that reaches the end of a closed stream says so (`Stream-Closed`)
 * and, like every complete chunk, never changes: closing is for good.
 */
function chunkResponse(
  request: Request,
  source: StreamSource,
  after: number,
  chunk: Chunk,
  closed: boolean,
  options: LiveOptions,
  extra: Record<string, string>,
): Response {
  const final = closed && chunk.upToDate;
  const etag = `"${source.tag}:${formatOffset(after)}:${formatOffset(chunk.end)}"`;
  const headers: Record<string, string> = {
    [OFFSET]: formatOffset(chunk.end),
    etag,
    // A complete chunk never changes: cached for good. The tail is revalidated (ETag → 304).
    'cache-control':
      chunk.complete || (final && chunk.messages.length > 0)
        ? `${options.cacheScope}, max-age=31536000, immutable`
        : 'no-cache',
    ...(chunk.upToDate ? { [UP_TO_DATE]: 'true' } : {}),
    ...(final ? { [CLOSED]: 'true' } : {}),
    ...extra,
  };
  if (matches(request.headers.get('if-none-match'), etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(readBody(source.contentType, chunk.messages), {
    status: 200,
    headers: { 'content-type': source.contentType, ...headers },
  });
}

async function longPoll(
  request: Request,
  source: StreamSource,
  from: number,
  firstEnd: StreamEnd,
  cursor: string | undefined,
  options: LiveOptions,
): Promise<Response> {
  const deadline = Date.now() + options.longPollMs;
  let end = firstEnd;
  let after = from;
  for (;;) {
    if (after < end.head) {
      const chunk = await readChunk(source, after, end.head, options.maxChunkBytes);
      if (chunk.messages.length > 0) {
        // What this offset holds up to the chunk's end, the range skipped included.
        return chunkResponse(request, source, from, chunk, end.closed, options, {
          [CURSOR]: nextCursor(cursor),
        });
      }
      after = chunk.end;
    }
    // §5.7: at the end of a closed stream, no wait: 204 with Stream-Closed at once.
    if (end.closed) break;
    const left = deadline - Date.now();
    if (left <= 0 || !(await source.tail.wait(end.head, left, request.signal))) break;
    const next = await streamEnd(source);
    end = { ...next, head: Math.max(end.head, next.head) };
  }
  return new Response(null, {
    status: 204,
    headers: {
      [OFFSET]: formatOffset(Math.max(after, end.head)),
      [UP_TO_DATE]: 'true',
      // A closed stream is polled no more: no cursor (§5.7 lets it be left out).
      ...(end.closed ? { [CLOSED]: 'true' } : { [CURSOR]: nextCursor(cursor) }),
      'cache-control': 'no-store',
    },
  });
}

/** `If-None-Match`: a list of entity tags, weak or strong, or `*`. */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}

function badParameter(name: string, detail: string): Response {
  return problem(400, 'validation', detail, { errors: [{ path: name, message: detail }] });
}
