import type { AnyEvent, Envelope } from '../../events/envelope.js';
import { envelopeJson } from '../../events/envelope-json.js';
import type { ServerFrame } from '../../protocol/frames.js';
import type { BatchLimits, WireEncoder } from './wire-encoder.js';

/** Sent first: how long an EventSource waits before it reconnects (milliseconds). */
export const SSE_RETRY = 'retry: 2000\n\n';

// A commit fans out to every unfiltered subscriber as the same chunks: encode them once.
const chunksOf = new WeakMap<readonly Envelope<AnyEvent>[], Buffer[]>();

/**
 * The Server-Sent Events wire of `GET /api/events/stream`. Every block that vouches for a
 * position carries it as `id:`, so that an EventSource's automatic `Last-Event-ID` resumes
 * exactly after it; `hello` and `reset` carry none (they vouch for nothing). JSON text has
 * no raw line breaks, so each `data:` is one line.
 */
export const sseEncoder: WireEncoder = {
  transport: 'sse',
  control(frame: ServerFrame): string {
    switch (frame.type) {
      case 'hello':
      case 'reset':
      case 'error':
        return `event: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`;
      case 'live':
      case 'position':
        return `id: ${frame.position}\nevent: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`;
      case 'heartbeat':
        // A comment: it keeps proxies from timing the response out, and no listener fires.
        return `: heartbeat ${frame.head}\n\n`;
      default:
        return frame satisfies never;
    }
  },
  replay: (texts, limits) => chunks(texts, limits),
  commit(events, limits) {
    let encoded = chunksOf.get(events);
    if (encoded === undefined) {
      encoded = chunks(
        events.map((event) => ({
          position: event.position,
          type: event.type,
          json: envelopeJson(event),
        })),
        limits,
      );
      chunksOf.set(events, encoded);
    }
    return encoded;
  },
};

/**
 * One block per event, joined into chunks of at most `limits.bytes` characters (a larger
 * event goes alone): fewer writes than one per event, and a bounded size per write.
 */
function chunks(
  texts: readonly { position: number; type: string; json: string }[],
  limits: BatchLimits,
): Buffer[] {
  const out: Buffer[] = [];
  let batch = '';
  for (const { position, type, json } of texts) {
    const block = `id: ${position}\nevent: ${type}\ndata: ${json}\n\n`;
    if (batch.length > 0 && batch.length + block.length > limits.bytes) {
      out.push(Buffer.from(batch));
      batch = '';
    }
    batch += block;
  }
  if (batch.length > 0) out.push(Buffer.from(batch));
  return out;
}
