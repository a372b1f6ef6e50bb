import { type SessionState, toSession } from '../sessions/session.js';
import type { SessionsScan } from '../sessions/sessions-view.js';

/**
 * `{"sessions":[…],"position":N}` written as the scan reads it, byte for byte what
 * JSON.stringify of the whole answer gives: the server holds one chunk of rows at a time
 * however large the table, and a client that reads slowly holds the scan back.
 */
export function streamedTable({ position, chunks }: SessionsScan): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let first = true;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode('{"sessions":['));
      },
      async pull(controller) {
        const chunk = await chunks.next();
        if (chunk.done) {
          controller.enqueue(encoder.encode(`],"position":${JSON.stringify(position)}}`));
          controller.close();
          return;
        }
        const rows = chunk.value.map((row: SessionState) => JSON.stringify(toSession(row)));
        controller.enqueue(encoder.encode(`${first ? '' : ','}${rows.join(',')}`));
        first = false;
      },
      async cancel() {
        await chunks.return?.();
      },
    },
    { highWaterMark: 1 },
  );
}
