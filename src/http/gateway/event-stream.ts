import { type Context, Hono } from 'hono';
import type { AnyEvent } from '../../events/envelope.js';
import { ValidationError } from '../../events/errors.js';
import type { EventStore } from '../../events/store.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { parseSubscription } from '../../protocol/subscription-request.js';
import { ProblemException, problem } from '../problem.js';
import { openSubscription } from './open-subscription.js';
import { SSE_RETRY, sseEncoder } from './sse-encoder.js';
import { DEFAULT_LIMITS, type FlowLimits, type Sink, type Subscription } from './subscription.js';
import type { SubscriptionHub } from './subscription-hub.js';

export interface EventStreamOptions {
  store: Pick<EventStore<AnyEvent>, 'logId' | 'read' | 'readJson'>;
  /** Feeds every subscription from the log's commits (shared with the WebSocket gateway). */
  hub: SubscriptionHub;
  /** Event types a `types` filter may name. */
  knownTypes: ReadonlySet<string>;
  limits?: Partial<FlowLimits>;
  /** Who a request counts against for the per-client limit (clientOf its address). */
  clientKey: (c: Context) => string;
}

const POSITION = /^\d{1,15}$/;

/** What the route uses of Node's ServerResponse. */
interface NodeResponse {
  readonly writableLength: number;
  destroy(): void;
}

/**
 * `GET /api/events/stream`: the WebSocket gateway's subscription as Server-Sent Events, for
 * networks that break WebSockets and for `curl -N`. The same cursor (Subscription) drives it,
 * so the guarantees are the gateway's: every matching event after `after` exactly once, in
 * order, replay then live, and never more buffered for a client than the bound. A reconnecting
 * EventSource sends `Last-Event-ID`, which wins over `after`: it resumes by itself.
 */
export function eventStreamRoute(options: EventStreamOptions): Hono {
  const { store, hub, knownTypes, clientKey } = options;
  const limits: FlowLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const app = new Hono();

  app.get('/', async (c) => {
    if (hub.closing) {
      throw new ProblemException(
        problem(503, 'unavailable', 'the server is shutting down', {}, { 'retry-after': '1' }),
      );
    }
    const params = new URL(c.req.url).searchParams;
    // An invalid Last-Event-ID (not one of ours) is ignored rather than refused: EventSource
    // would retry a refusal forever with the same header.
    const lastEventId = c.req.header('last-event-id')?.trim();
    if (lastEventId !== undefined && POSITION.test(lastEventId)) params.set('after', lastEventId);
    const parsed = parseSubscription(params, knownTypes);
    if (!parsed.ok) throw new ValidationError('invalid subscription parameters', parsed.issues);
    const client = clientKey(c);
    const refusal = hub.refusal(client);
    if (refusal !== undefined) {
      throw new ProblemException(
        problem(429, 'too-many-connections', refusal, {}, { 'retry-after': '1' }),
      );
    }
    // node-server's response (absent under app.request): its unsent bytes count as buffered.
    const outgoing = (c.env as { outgoing?: NodeResponse } | undefined)?.outgoing;

    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let drained: (() => void) | undefined;
    let subscription: Subscription | undefined;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      c.req.raw.signal.removeEventListener('abort', abandon);
      if (subscription !== undefined) {
        subscription.closed();
        hub.delete(subscription);
      }
    };
    // The request was aborted (the client went away): the body ends too, so that nothing
    // keeps the response open (node-server also cancels it; other runtimes may not).
    const abandon = () => {
      if (ended) return;
      end();
      controller.close();
    };
    // The queue counts bytes; its high water mark is the subscription's, so that `pull` (the
    // reader wants more) is the drain that lets a congested subscription catch up again.
    const body = new ReadableStream<Uint8Array>(
      {
        start: (streamController) => {
          controller = streamController;
        },
        pull: () => {
          // Later, not inside an enqueue: the subscription must finish what it was doing first.
          if (drained !== undefined) queueMicrotask(drained);
        },
        // The client went away (node-server cancels the body when the socket closes).
        cancel: end,
      },
      { highWaterMark: limits.highWater, size: (chunk) => chunk.byteLength },
    );
    const write = (chunk: string | Buffer) =>
      controller.enqueue(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);

    const sink: Sink = {
      // What the response holds for the client: its queue, and what Node has not yet sent.
      get buffered() {
        const queued = limits.highWater - (controller.desiredSize ?? limits.highWater);
        return Math.max(0, queued) + (outgoing?.writableLength ?? 0);
      },
      send(frame, done) {
        if (ended) return;
        drained = done;
        write(frame);
      },
      close(code) {
        if (ended) return;
        // Shutting down, or a reset: what is queued still goes out, then the response ends.
        // A client too slow (or a failed read): drop the queue and the connection at once
        // (quietly: an errored body is logged as a server error). Either way the client
        // reconnects (with Last-Event-ID, but for a reset).
        end();
        if (code === CloseCode.goingAway || code === CloseCode.reset) controller.close();
        else if (outgoing !== undefined) outgoing.destroy();
        else controller.error(new Error('the subscription ended'));
      },
    };
    write(SSE_RETRY);
    await openSubscription({
      store,
      hub,
      wanted: parsed.request,
      client,
      sink,
      encoder: sseEncoder,
      limits,
      attach: (opened) => {
        subscription = opened;
        c.req.raw.signal.addEventListener('abort', abandon);
      },
    });
    return c.body(body, 200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
  });

  return app;
}
