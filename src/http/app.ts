import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import { SESSION_EVENT_TYPES } from '../events/event-types.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { EVENT_STREAM_PATH, WEBSOCKET_PATH } from '../protocol/subscription-url.js';
import type { Sessionlog } from '../sessions/sessionlog.js';
import { type CheckpointDeps, checkpointRoutes } from './checkpoint-routes.js';
import { clientOf } from './client-address.js';
import { compression } from './compression.js';
import { cwdPolicy } from './cwd-policy.js';
import { placeholderPage } from './dashboard.js';
import { eventsRoutes } from './events-routes.js';
import { eventStreamRoute } from './gateway/event-stream.js';
import type { FlowLimits } from './gateway/subscription.js';
import type { SubscriptionHub } from './gateway/subscription-hub.js';
import { notAnUpgrade, type UpgradeRefusalObserver } from './gateway/upgrade-refusal.js';
import { guard, METRICS_PATH } from './guard.js';
import { healthRoute } from './health-route.js';
import { openApiRoute } from './openapi/openapi-route.js';
import { onError, ProblemException, problem } from './problem.js';
import { rateLimiter } from './rate-limit.js';
import { requestId } from './request-id.js';
import { requestLog } from './request-log.js';
import type { SecurityPolicy } from './security.js';
import { sessionsRoutes } from './sessions-routes.js';
import type { LivePlaces } from './streams/live-places.js';
import type { LiveOptions } from './streams/read-stream.js';
import { streamsRoutes } from './streams/streams-routes.js';
import type { TailSignal } from './streams/tail-signal.js';

export interface AppDeps {
  log: Sessionlog;
  policy: SecurityPolicy;
  /** `--root` directories: when any is given, a session's cwd must lie inside one. */
  roots: readonly string[];
  /** Session creations per minute per client (`--create-rate`); 0 = unlimited. */
  createRate: number;
  /**
   * Who a request counts against for the creation rate and the per-client connection limit;
   * default: its remote address, every loopback address as one client.
   */
  clientKey?: (c: Context) => string;
  /** Serves `GET /` and `GET /assets/*`; default: a page saying the dashboard is not built yet. */
  dashboard?: (c: Context) => Response | Promise<Response>;
  /** Serves `GET /api/events/stream` from the hub that feeds the WebSocket gateway too. */
  eventStream?: { hub: SubscriptionHub; limits?: Partial<FlowLimits> };
  /**
   * Serves the log as read-only Durable Streams under `/streams`, live reads woken by `tail`
   * and holding their `places` in the connection budget.
   */
  streams?: { tail: TailSignal; live?: Partial<LiveOptions>; places?: LivePlaces };
  /** Serves `/api/checkpoint…` and `/api/proof/…` from the log's stored tree. */
  checkpoints?: CheckpointDeps;
  /** A line per request, and the unexpected errors (default: none logged). */
  logger?: Logger;
  /** Counts every request, and serves `GET /metrics` (behind the token, as /api is). */
  metrics?: Metrics;
  /** Told of a plain `GET /ws` (426), as the gateway tells of the upgrades it refuses. */
  onWebSocketRefused?: UpgradeRefusalObserver;
}

/**
 * The HTTP API of SPEC: every request through the request id and the security guard, the
 * routes, and one error handler that turns typed errors into problem+json.
 */
export function createApp({
  log,
  policy,
  roots,
  createRate,
  clientKey = remoteClient,
  dashboard = placeholderPage,
  eventStream,
  streams,
  checkpoints,
  logger,
  metrics,
  onWebSocketRefused,
}: AppDeps): Hono {
  const app = new Hono();
  app.use(requestId());
  app.use(requestLog({ logger, metrics }));
  app.use(guard(policy));
  // The JSON API and the dashboard's files, compressed when the client asks; event streams,
  // WebSockets and /streams never (compression.ts says why).
  app.use(compression());
  if (metrics !== undefined) {
    app.get(METRICS_PATH, async (c) => {
      const { body, contentType } = await metrics.text();
      return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
    });
  }
  // An upgrade never reaches the app (listen.ts hands it to the gateway): a plain GET does.
  app.get(WEBSOCKET_PATH, notAnUpgrade(onWebSocketRefused));
  app.get('/', (c) => dashboard(c));
  app.get('/assets/*', (c) => dashboard(c));
  app.route('/api/health', healthRoute(log));
  app.route('/api/openapi.json', openApiRoute());
  app.route(
    '/api/sessions',
    sessionsRoutes({
      log,
      cwd: cwdPolicy({ roots }),
      createRate: rateLimiter({ perMinute: createRate }),
      clientKey,
    }),
  );
  if (eventStream !== undefined) {
    app.route(
      EVENT_STREAM_PATH,
      eventStreamRoute({
        store: log.store,
        knownTypes: new Set(SESSION_EVENT_TYPES),
        clientKey,
        ...eventStream,
      }),
    );
  }
  app.route('/api/events', eventsRoutes(log));
  if (streams !== undefined) {
    const cacheScope = policy.token === undefined ? 'public' : 'private';
    app.route(
      '/streams',
      streamsRoutes({
        store: log.store,
        clientKey,
        ...streams,
        live: { cacheScope, ...streams.live },
      }),
    );
  }
  if (checkpoints !== undefined) app.route('/api', checkpointRoutes(checkpoints));
  app.notFound((c) => problem(404, 'not-found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    const answer = onError(error, c);
    if (answer.status >= 500 && !(error instanceof ProblemException)) {
      logger?.error({ err: error, requestId: c.get('requestId') }, 'unexpected error');
    }
    return answer;
  });
  return app;
}

/**
 * The client the request's socket counts as. `app.request()` has no socket (no Node bindings
 * at all), and then every request is one local client.
 */
function remoteClient(c: Context): string {
  try {
    return clientOf(getConnInfo(c).remote.address);
  } catch {
    return clientOf(undefined);
  }
}
