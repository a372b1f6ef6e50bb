import type { Envelope } from '../../../src/events/envelope.js';
import { parseFrame } from '../../../src/protocol/frames.js';
import { subscriptionUrl } from '../../../src/protocol/subscription-url.js';
import type { OpenEventStream } from './ports.js';
import type { OpenTransport } from './transport.js';

/** Event names that carry a control frame; every other name is an event type. */
const CONTROL = new Set(['hello', 'live', 'position', 'heartbeat', 'reset', 'error']);

/**
 * `GET /api/events/stream?after=P&logId=L`, for networks that break WebSockets, turned into
 * the WebSocket's frames so that the engine handles both alike: `hello`, `live`, `position`
 * and `reset` carry the same JSON as on `/ws`; each other message is one envelope, and the
 * envelopes one read of the body completed become one `events` frame (a replay is not
 * re-rendered event by event).
 */
export function eventStreamTransport(
  openStream: OpenEventStream,
  baseUrl: string,
  token: string | undefined,
): OpenTransport {
  return ({ after, logId }, on) => {
    const url = subscriptionUrl(baseUrl, { after, logId }, 'event-stream');
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    // A fetch can send the header: the token stays out of URLs and the server's logs.
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let greeted = false;
    let closed = false;
    const stream = openStream(url.toString(), headers, {
      open() {},
      received(items) {
        on.heard();
        let events: Envelope[] = [];
        const flush = () => {
          if (events.length === 0) return;
          on.frame({ type: 'events', events });
          events = [];
        };
        for (const item of items) {
          // The engine may have closed this stream on an earlier frame (a reset, say).
          if (closed) return;
          if (item.type === 'comment') continue;
          if (CONTROL.has(item.event)) {
            flush();
            const frame = parseFrame(item.data);
            if (frame === undefined || frame.type !== item.event) continue;
            if (frame.type === 'hello') greeted = true;
            on.frame(frame);
          } else {
            const envelope = parseEnvelope(item.data);
            if (envelope !== undefined) events.push(envelope);
          }
        }
        if (!closed) flush();
      },
      close(status, reason) {
        if (status === 401) {
          on.closed({ kind: 'unauthorized', reason: 'the server refused the token' });
          return;
        }
        // A stream that ends after `hello` is a server going away or a proxy's timeout: not
        // a failure of this path. (After a `reset` event the engine has already moved on.)
        on.closed({ kind: 'lost', reason, failure: !greeted || status !== 200 });
      },
    });
    return {
      close() {
        closed = true;
        stream.close();
      },
    };
  };
}

function parseEnvelope(text: string): Envelope | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { position?: unknown }).position === 'number' &&
      typeof (value as { stream?: unknown }).stream === 'string'
    ) {
      return value as Envelope;
    }
  } catch {
    // Not JSON: a broken server or proxy; skipping it is what the WebSocket path does too.
  }
  return undefined;
}
