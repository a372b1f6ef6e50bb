import { problem } from '../problem.js';
import { nextCursor } from './cursor.js';
import type { LiveMode, LivePlace } from './live-places.js';
import { formatOffset, parseOffset, type ReadStart } from './offsets.js';
import { isTextual, readBody, sseControlEvent, sseDataEvent } from './stream-body.js';
import { type Chunk, readChunk, type StreamSource } from './stream-source.js';

export interface LiveOptions {
  /** How long a long-poll waits for data before answering 204. */
  longPollMs: number;
  /** An SSE response ends after this long (§10.2: about a minute), so that CDNs can collapse. */
  sseMs: number;
  /** `private` when a token guards the streams: a shared cache must not serve them to others. */
  cacheScope: 'public' | 'private';
}

export const DEFAULT_LIVE: LiveOptions = {
  longPollMs: 20_000,
  sseMs: 60_000,
  cacheScope: 'public',
};

const OFFSET = 'stream-next-offset';
const UP_TO_DATE = 'stream-up-to-date';
const CURSOR = 'stream-cursor';

/** `HEAD`: the tail and the content type, never cached (§5.5). */
export async function headStream(source: StreamSource): Promise<Response> {
  const head = await source.head();
  return new Response(null, {
    status: 200,
    headers: {
      'content-type': source.contentType,
      [OFFSET]: formatOffset(head),
      'cache-control': 'no-store',
    },
  });
}

/** Takes a live read's place (the connection budget), or says why there is none. */
export type EnterLive = (mode: LiveMode) => LivePlace | { refusal: string };

/**
 * `GET` on a stream (Durable Streams §5.6–5.8): catch-up by chunks, `live=long-poll`, or
 * `live=sse`. Read-only: the data comes from `source`, live reads wake on its tail signal and
 * hold a place from `enter` until they end (429 when there is none).
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
  const head = await source.head();
  if (start !== 'now' && start.after > head) {
    return badParameter('offset', 'offset is beyond the tail of this stream');
  }
  if (live === undefined) return catchUp(request, source, start, head, options);
  const place = enter?.(live) ?? { leave() {} };
  if ('refusal' in place) {
    return problem(429, 'too-many-connections', place.refusal, {}, { 'retry-after': '1' });
  }
  const cursor = params.get('cursor') ?? undefined;
  if (live === 'sse') return sse(request, source, start, head, cursor, options, place);
  try {
    return await longPoll(request, source, start, head, cursor, options);
  } finally {
    place.leave();
  }
}

async function catchUp(
  request: Request,
  source: StreamSource,
  start: ReadStart,
  head: number,
  options: LiveOptions,
): Promise<Response> {
  if (start === 'now') {
    // §8: an empty body of the stream's type and the tail; no ETag, never cached.
    return new Response(readBody(source.contentType, []), {
      status: 200,
      headers: {
        'content-type': source.contentType,
        [OFFSET]: formatOffset(head),
        [UP_TO_DATE]: 'true',
        'cache-control': 'no-store',
      },
    });
  }
  const chunk = await readChunk(source, start.after, head);
  return chunkResponse(request, source, start.after, chunk, options, {});
}

function chunkResponse(
  request: Request,
  source: StreamSource,
  after: number,
  chunk: Chunk,
  options: LiveOptions,
  extra: Record<string, string>,
): Response {
  const etag = `"${source.tag}:${formatOffset(after)}:${formatOffset(chunk.end)}"`;
  const headers: Record<string, string> = {
    [OFFSET]: formatOffset(chunk.end),
    etag,
    // A complete chunk never changes: cached for good. The tail is revalidated (ETag → 304).
    'cache-control': chunk.complete
      ? `${options.cacheScope}, max-age=31536000, immutable`
      : 'no-cache',
    ...(chunk.upToDate ? { [UP_TO_DATE]: 'true' } : {}),
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
  start: ReadStart,
  head: number,
  cursor: string | undefined,
  options: LiveOptions,
): Promise<Response> {
  const from = start === 'now' ? head : start.after;
  const deadline = Date.now() + options.longPollMs;
  let after = from;
  for (;;) {
    if (after < head) {
      const chunk = await readChunk(source, after, head);
      if (chunk.messages.length > 0) {
        // What this offset holds up to the chunk's end, the range skipped included.
        return chunkResponse(request, source, from, chunk, options, {
          [CURSOR]: nextCursor(cursor),
        });
      }
      after = chunk.end;
    }
    const left = deadline - Date.now();
    if (left <= 0 || !(await source.tail.wait(head, left, request.signal))) break;
    head = Math.max(head, await source.head());
  }
  return new Response(null, {
    status: 204,
    headers: {
      [OFFSET]: formatOffset(Math.max(after, head)),
      [UP_TO_DATE]: 'true',
      [CURSOR]: nextCursor(cursor),
      'cache-control': 'no-store',
    },
  });
}

/**
 * Server-Sent Events: a `data` event per chunk, each followed by its `control` event, then
 * live. The body is pulled: a chunk is read only when the client has taken the last one, so
 * a slow client holds at most one chunk and the socket's buffer, however far behind it is.
 */
function sse(
  request: Request,
  source: StreamSource,
  start: ReadStart,
  firstHead: number,
  cursor: string | undefined,
  options: LiveOptions,
  place: LivePlace,
): Response {
  const { contentType } = source;
  const stop = new AbortController();
  const abort = () => stop.abort();
  request.signal.addEventListener('abort', abort);
  const endsAt = Date.now() + options.sseMs;
  let head = firstHead;
  let after = start === 'now' ? head : start.after;
  let sentControl = false;
  const control = (upToDate: boolean) => {
    sentControl = true;
    return Buffer.from(
      sseControlEvent({
        streamNextOffset: formatOffset(after),
        streamCursor: nextCursor(cursor),
        ...(upToDate ? { upToDate: true } : {}),
      }),
    );
  };
  const finish = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    request.signal.removeEventListener('abort', abort);
    place.leave();
    controller.close();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        for (;;) {
          if (stop.signal.aborted) return finish(controller);
          if (after < head) {
            const chunk = await readChunk(source, after, head);
            after = chunk.end;
            if (chunk.messages.length > 0) {
              controller.enqueue(Buffer.from(sseDataEvent(contentType, chunk.messages)));
            } else if (sentControl) {
              // Live, and the commits were none of this stream's: nothing to tell yet.
              continue;
            }
            controller.enqueue(control(chunk.upToDate));
            return;
          }
          if (!sentControl) {
            controller.enqueue(control(true));
            return;
          }
          const left = endsAt - Date.now();
          if (left <= 0 || !(await source.tail.wait(head, left, stop.signal))) {
            return finish(controller);
          }
          head = Math.max(head, await source.head());
        }
      },
      // The client went away: its place is free at once, not when the pull notices.
      cancel: () => {
        place.leave();
        abort();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      ...(isTextual(contentType) ? {} : { 'stream-sse-data-encoding': 'base64' }),
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
