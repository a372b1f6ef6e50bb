import { nextCursor } from './cursor.js';
import type { LivePlace } from './live-places.js';
import { formatOffset } from './offsets.js';
import type { LiveOptions } from './read-stream.js';
import { isTextual, sseControlEvent, sseDataEvent } from './stream-body.js';
import { readChunk, type StreamEnd, type StreamSource, streamEnd } from './stream-source.js';

/**
 * Server-Sent Events: a `data` event per chunk, each followed by its `control` event, then
 * live. The body is pulled: a chunk is read only when the client has taken the last one, so
 * a slow client holds at most one chunk and the socket's buffer, however far behind it is.
 * At the end of a closed stream, a last `control` event says `streamClosed` and the response
 * ends.
 */
export function sseRead(
  request: Request,
  source: StreamSource,
  from: number,
  firstEnd: StreamEnd,
  cursor: string | undefined,
  options: LiveOptions,
  place: LivePlace,
): Response {
  const { contentType } = source;
  const stop = new AbortController();
  const abort = () => stop.abort();
  request.signal.addEventListener('abort', abort);
  const endsAt = Date.now() + options.sseMs;
  let end = firstEnd;
  let after = from;
  let sentControl = false;
  const control = (upToDate: boolean, closed = false) => {
    sentControl = true;
    return Buffer.from(
      sseControlEvent({
        streamNextOffset: formatOffset(after),
        ...(closed
          ? { upToDate: true, streamClosed: true }
          : { streamCursor: nextCursor(cursor), ...(upToDate ? { upToDate: true } : {}) }),
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
          if (after < end.head) {
            const chunk = await readChunk(source, after, end.head, options.maxChunkBytes);
            after = chunk.end;
            const closes = end.closed && chunk.upToDate;
            if (chunk.messages.length > 0) {
              controller.enqueue(Buffer.from(sseDataEvent(contentType, chunk.messages)));
            } else if (sentControl && !closes) {
              // Live, and the commits were none of this stream's: nothing to tell yet.
              continue;
            }
            controller.enqueue(control(chunk.upToDate, closes));
            if (closes) finish(controller);
            return;
          }
          if (end.closed) {
            controller.enqueue(control(true, true));
            return finish(controller);
          }
          if (!sentControl) {
            controller.enqueue(control(true));
            return;
          }
          const left = endsAt - Date.now();
          if (left <= 0 || !(await source.tail.wait(end.head, left, stop.signal))) {
            return finish(controller);
          }
          const next = await streamEnd(source);
          end = { ...next, head: Math.max(end.head, next.head) };
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
