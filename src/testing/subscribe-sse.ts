import type { Envelope } from '../events/envelope.js';
import type { ServerFrame } from '../protocol/frames.js';
import { SseParser } from '../protocol/sse-parser.js';
import { type SubscriptionParams, subscriptionUrl } from '../protocol/subscription-url.js';
import type { WaitOptions, WaitTarget } from './subscribe.js';
import { waitUntil } from './wait-until.js';

/** What a client asks `GET /api/events/stream` for (SPEC, "HTTP API"). */
export interface SseSubscribeOptions extends SubscriptionParams {
  /** Sent as `Last-Event-ID`, as a reconnecting EventSource does: it wins over `after`. */
  lastEventId?: string;
  /** Sent as `Authorization: Bearer`, or in the URL with `tokenIn: 'query'`. */
  token?: string;
  /** How the token goes: `Authorization: Bearer` (default) or `?token=` as a browser's must. */
  tokenIn?: 'header' | 'query';
  /** Sent as the Origin header, as a browser would (default: none). */
  origin?: string;
}

/** A live `GET /api/events/stream` that collects what it receives. */
export interface SseCollector {
  /** Every event received, in order of arrival (which is position order). */
  readonly events: readonly Envelope[];
  /** Every message that is not an event (hello, live, position, reset; heartbeat comments). */
  readonly frames: readonly ServerFrame[];
  /** The last position the server vouched for (an event, `live` or `position`). */
  readonly position: number;
  /** The last `id:` received: what to send as `Last-Event-ID` on reconnecting. */
  readonly lastEventId: string | undefined;
  readonly logId: string;
  /** Resolves when the stream ends: by the server (`ended`) or by this client (`closed`). */
  readonly closed: Promise<{ by: 'server' | 'client' }>;
  /** As `Collector.waitFor`: a position reached, or a condition over the events so far. */
  waitFor(target: WaitTarget, options?: WaitOptions): Promise<void>;
  /** Ends the stream and waits until it has ended. */
  close(): Promise<void>;
  /** Drops the connection mid-stream, as a network failure would. */
  cut(): void;
}

/**
 * Opens a server's Server-Sent Events stream (`url`: its origin `http://…`) with fetch and
 * collects what arrives. Resolves once `hello` arrived; rejects when the server refuses (the
 * status and the problem's detail) or the stream ends first.
 *
 * @example
 * let client = await subscribeSse(server.url, { after: 0 });
 * client.cut();
 * client = await subscribeSse(server.url, { lastEventId: client.lastEventId });
 */
export async function subscribeSse(
  url: string,
  options: SseSubscribeOptions = {},
): Promise<SseCollector> {
  const { token, tokenIn, ...params } = options;
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (token !== undefined && tokenIn !== 'query') headers.authorization = `Bearer ${token}`;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  if (options.origin !== undefined) headers.origin = options.origin;
  const abort = new AbortController();
  const streamUrl = subscriptionUrl(
    url,
    { ...params, token: tokenIn === 'query' ? token : undefined },
    'event-stream',
  );
  const response = await fetch(streamUrl, { headers, signal: abort.signal });
  if (response.status !== 200 || response.body === null) {
    const text = await response.text();
    let detail = text;
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
    } catch {}
    throw new Error(`refused: ${response.status} ${detail}`.trim());
  }

  const events: Envelope[] = [];
  const frames: ServerFrame[] = [];
  const waiters = new Set<() => void>();
  let position = options.after ?? 0;
  let lastEventId: string | undefined;
  let logId = '';
  let ended: 'server' | 'client' | undefined;
  let greeted: (() => void) | undefined;
  const hello = new Promise<void>((resolve) => {
    greeted = resolve;
  });

  const dispatch = (event: string, id: string | undefined, data: string) => {
    if (id !== undefined) lastEventId = id;
    if (event === 'message') return;
    const parsed = JSON.parse(data) as ServerFrame | Envelope;
    if ('position' in parsed && 'stream' in parsed) {
      events.push(parsed);
      position = parsed.position;
      return;
    }
    const frame = parsed as ServerFrame;
    frames.push(frame);
    if (frame.type === 'hello') {
      logId = frame.logId;
      position = frame.after;
      greeted?.();
    } else if (frame.type === 'live' || frame.type === 'position') {
      position = frame.position;
    }
  };

  const reading = (async () => {
    const decoder = new TextDecoder();
    const parser = new SseParser();
    const reader = response.body?.getReader();
    try {
      for (;;) {
        const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
        if (done) break;
        for (const item of parser.feed(decoder.decode(value, { stream: true }))) {
          if (item.type === 'message') {
            dispatch(item.event, item.id, item.data);
            continue;
          }
          const heartbeat = /^heartbeat (\d+)$/.exec(item.text);
          if (heartbeat) frames.push({ type: 'heartbeat', head: Number(heartbeat[1]) });
        }
        for (const wake of waiters) wake();
      }
      ended ??= 'server';
    } catch {
      ended ??= abort.signal.aborted ? 'client' : 'server';
    }
    for (const wake of waiters) wake();
    return { by: ended };
  })();

  const collector: SseCollector = {
    events,
    frames,
    get position() {
      return position;
    },
    get lastEventId() {
      return lastEventId;
    },
    get logId() {
      return logId;
    },
    closed: reading,
    waitFor(target, { timeout = 5000 } = {}) {
      const gone = () => (ended === undefined ? undefined : 'the stream ended');
      return waitUntil({ waiters, position: () => position, events, ended: gone }, target, timeout);
    },
    cut() {
      ended ??= 'client';
      abort.abort();
    },
    async close() {
      ended ??= 'client';
      abort.abort();
      await reading;
    },
  };
  await Promise.race([hello, reading]);
  if (logId === '') throw new Error('refused: the stream ended before hello');
  return collector;
}
