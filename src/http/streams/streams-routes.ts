import { type Context, Hono } from 'hono';
import type { AnyEvent } from '../../events/envelope.js';
import type { EventStore } from '../../events/store.js';
import { problem } from '../problem.js';
import type { LivePlaces } from './live-places.js';
import { logEventsSource, sessionEventsSource } from './log-sources.js';
import { DEFAULT_LIVE, headStream, type LiveOptions, readStream } from './read-stream.js';
import { sessionRowMemo, sessionsTableSource } from './sessions-changes.js';
import { streamHeaders } from './stream-headers.js';
import type { StreamSource } from './stream-source.js';
import type { TailSignal } from './tail-signal.js';

export interface StreamsOptions {
  store: Pick<EventStore<AnyEvent>, 'logId' | 'head' | 'read' | 'readJson' | 'readStream'>;
  tail: TailSignal;
  live?: Partial<LiveOptions>;
  /** Where live reads take their places (the connection budget); default: no limit. */
  places?: LivePlaces;
  /** Who a request counts against for the per-client limit (clientOf its address). */
  clientKey?: (c: Context) => string;
}

/** Where each stream is, under `/streams`: the log, a session's events, the sessions table. */
export const STREAM_ROUTES = {
  events: '/:logId/events',
  sessions: '/:logId/sessions',
  sessionEvents: '/:logId/sessions/:sessionId/events',
} as const;

/**
 * The log as read-only Durable Streams (JSON mode). The logId is in every URL: a stream of
 * another log (one this server replaced, or another server's) is answered as the protocol
 * answers a deleted stream, 404, so a client holding old offsets starts over rather than
 * reading them against this log.
 */
export function streamsRoutes({ store, tail, live, places, clientKey }: StreamsOptions): Hono {
  const options: LiveOptions = { ...DEFAULT_LIVE, ...live };
  const app = new Hono();
  app.use(streamHeaders());
  const serve =
    (resolve: (c: Context) => Promise<StreamSource | undefined>) => async (c: Context) => {
      if (c.req.param('logId') !== store.logId) {
        return problem(404, 'not-found', 'no such stream: this server serves another log');
      }
      const source = await resolve(c);
      if (source === undefined) return problem(404, 'not-found', 'no such stream');
      // Hono answers HEAD with the GET route: the method tells them apart.
      if (c.req.method === 'HEAD') return headStream(source);
      const client = clientKey?.(c) ?? 'local';
      return readStream(c.req.raw, source, options, (mode) =>
        places === undefined ? { leave() {} } : places.enter(client, mode),
      );
    };
  const readOnly = () =>
    problem(405, 'method-not-allowed', 'these streams are read-only', {}, { allow: 'GET, HEAD' });

  app.get(
    STREAM_ROUTES.events,
    serve(async () => logEventsSource(store, tail)),
  );
  // The rows chunks of the sessions table reached, for all its readers.
  const sessionRows = sessionRowMemo();
  app.get(
    STREAM_ROUTES.sessions,
    serve(async () => sessionsTableSource(store, tail, sessionRows)),
  );
  app.get(
    STREAM_ROUTES.sessionEvents,
    serve(async (c) => {
      const sessionId = c.req.param('sessionId') ?? '';
      const [first] = await store.readStream(sessionId, { limit: 1 });
      return first === undefined ? undefined : sessionEventsSource(store, tail, sessionId);
    }),
  );
  for (const path of Object.values(STREAM_ROUTES)) app.all(path, readOnly);
  return app;
}
