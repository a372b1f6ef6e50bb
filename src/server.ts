import { realpath } from 'node:fs/promises';
import { checkpointOrigin } from './checkpoints/checkpoint.js';
import { ed25519Signer } from './checkpoints/signed-note.js';
import { SESSION_EVENT_TYPES } from './events/event-types.js';
import type { Durability } from './events/store.js';
import { createApp } from './http/app.js';
import { staticDashboard } from './http/dashboard.js';
import { connectionBudget } from './http/gateway/connection-budget.js';
import type { FlowLimits } from './http/gateway/subscription.js';
import { createSubscriptionHub } from './http/gateway/subscription-hub.js';
import { createGateway } from './http/gateway/ws-gateway.js';
import { listen } from './http/listen.js';
import { type LivePlaces, livePlaces } from './http/streams/live-places.js';
import { logTail } from './http/streams/log-tail.js';
import type { LiveOptions } from './http/streams/read-stream.js';
import { createLogger, type Logger } from './observe/logger.js';
import { Metrics } from './observe/metrics.js';
import {
  commitCounter,
  subscriptionObserver,
  upgradeRefusalObserver,
} from './observe/observers.js';
import { tokenProblem } from './protocol/token.js';
import type { Sessionlog } from './sessions/sessionlog.js';
import type { ServeOptions } from './stores/log-backend.js';
import { openLog } from './stores/open-log.js';
import { serveSigningKey } from './stores/signing-key.js';
import type { WatchOptions } from './watcher/watch-options.js';
import { type SessionWatching, watchSessions } from './watcher/watch-sessions.js';

export interface ServerOptions {
  /** A SQLite file path, `:memory:`, or a `postgres://…[?schema=NAME]` URL. */
  db: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string | undefined;
  /** When given, a session's cwd must lie inside one of them. */
  roots?: readonly string[];
  allowedOrigins?: readonly string[];
  /** Session creations per minute per client; 0 = unlimited. */
  createRate?: number;
  durability?: Durability;
  /** The built dashboard to serve at `/` (default: `dist/web`); without a build, a placeholder. */
  dashboardDir?: string;
  /** Directories watched at once (default 256); 0 turns file watching off. */
  maxWatchers?: number;
  /** How file watching is bounded: ignored paths, depth, entries, rate cap, retries. */
  watch?: Partial<Omit<WatchOptions, 'maxWatchers'>>;
  /** PostgreSQL only: file-watching leases between nodes, and how often the tail polls. */
  postgres?: ServeOptions['postgres'];
  /** Tuning for tests: how long Durable Streams long-polls and SSE responses last. */
  streams?: Partial<Omit<LiveOptions, 'cacheScope'>>;
  /**
   * The checkpoint signing key's file (made 0600 when absent). Default: `<log file>.signing-key`;
   * for `:memory:` a key made at start; on PostgreSQL none (every node needs the same file).
   */
  signingKey?: string;
  /** Tuning for tests: how the gateway and the event stream pace clients. */
  gateway?: {
    limits?: Partial<FlowLimits>;
    heartbeatMs?: number;
    pingMs?: number;
    /**
     * Subscriptions open at once, and from one client (all of loopback is one client).
     * Default, and at most: what the process's descriptors allow (connection-budget.ts).
     */
    maxConnections?: number;
    maxConnectionsPerClient?: number;
  };
  /**
   * Where the server's log lines go (default: JSON on stderr at info, the token scrubbed;
   * `createLogger({ level: 'silent' })` for none).
   */
  logger?: Logger;
  /**
   * For the bench alone (bench/cpu-suite.ts measures what metrics cost): false collects no
   * metrics and serves no `GET /metrics`. Default true; `serve` has no flag for it.
   */
  collectMetrics?: boolean;
}

/**
 * The composition root of a running server: the log and its projections, the HTTP API and
 * the WebSocket gateway on one port. Everything below receives what it needs from here.
 */
export async function runServer(options: ServerOptions) {
  const {
    db,
    host = '127.0.0.1',
    port = 3001,
    token,
    createRate = 120,
    durability = 'full',
    maxWatchers = 256,
  } = options;
  // Before anything is opened: with such a token the server could only answer 401.
  const problem = token === undefined ? undefined : tokenProblem(token);
  if (problem !== undefined) throw new Error(problem);
  const logger = options.logger ?? createLogger({ secrets: token === undefined ? [] : [token] });
  // One registry per server: tests run several servers in one process.
  const metrics = options.collectMetrics === false ? undefined : new Metrics();
  let log: Sessionlog | undefined;
  let watching: SessionWatching | undefined;
  try {
    const backend = await openLog(db);
    const served = await backend.serve({
      durability,
      ...(metrics === undefined ? {} : { onCommit: metrics.onCommit }),
      logger,
      ...(options.postgres === undefined ? {} : { postgres: options.postgres }),
    });
    log = served.log;
    const counting = log.store.subscribe(commitCounter(metrics, logger));
    // Once the log is open: a file that is no log gets no key made beside it.
    const key = await serveSigningKey(backend, options.signingKey);
    const policy = { token, allowedOrigins: options.allowedOrigins ?? [], boundHost: host };
    const roots = await Promise.all((options.roots ?? []).map((root) => realpath(root)));
    const { limits, heartbeatMs, pingMs, maxConnections, maxConnectionsPerClient } =
      options.gateway ?? {};
    // What this process's descriptors allow; a limit given is held to it too.
    const budget = connectionBudget();
    // One feed from the log for both transports, WebSocket and event stream.
    const hub = await createSubscriptionHub({
      store: log.store,
      heartbeatMs,
      maxConnections: Math.min(maxConnections ?? budget.subscriptions, budget.subscriptions),
      maxConnectionsPerClient: Math.min(
        maxConnectionsPerClient ?? budget.perClient,
        budget.subscriptions,
      ),
      observer: subscriptionObserver(metrics, logger),
    });
    const onWebSocketRefused = upgradeRefusalObserver(metrics, logger);
    // Wakes the Durable Streams' live reads on each commit; ended first at shutdown.
    const tail = await logTail(log.store);
    // Durable Streams live reads take their places in the hub's budget, beside /ws and SSE.
    const places = livePlaces(hub.slots);
    const app = createApp({
      log,
      policy,
      roots,
      createRate,
      dashboard: staticDashboard(options.dashboardDir),
      eventStream: { hub, limits },
      streams: {
        tail,
        places,
        ...(options.streams === undefined ? {} : { live: options.streams }),
      },
      checkpoints: {
        logId: log.store.logId,
        tree: served.tree,
        signer: key && ed25519Signer(checkpointOrigin(log.store.logId), key),
      },
      logger,
      metrics,
      onWebSocketRefused,
    });
    const gateway = createGateway({
      store: log.store,
      policy,
      knownTypes: new Set(SESSION_EVENT_TYPES),
      hub,
      limits,
      pingMs,
      onRefused: onWebSocketRefused,
    });
    // Driven by the log's commits, so it is up before the first request can start a session.
    const { store, commands } = log;
    const opened = log;
    watching = watchSessions({
      store,
      commands,
      activeSessions: () => opened.activeSessions(),
      ...served.watch,
      options: { ...options.watch, maxWatchers },
      onError: (error) => logger.warn({ err: error }, 'file watching failed'),
    });
    const watched = watching;
    metrics?.attach({
      head: () => opened.store.head(),
      projectionPosition: () => opened.sessionsPosition(),
      subscriptions: () => ({
        ...hub.byTransport(),
        ...liveReads(places.open()),
      }),
      watchers: () => watched.watchers,
      ...(served.pgTail === undefined ? {} : { pgTail: served.pgTail }),
    });
    const http = await listen(app, { gateway, hub, logger }, host, port, budget.sockets);
    const origin = `http://${host.includes(':') ? `[${host}]` : host}:${http.port}`;
    logger.info(
      {
        url: origin,
        log: opened.location,
        logId: opened.store.logId,
        head: await opened.store.head(),
      },
      'started',
    );
    return {
      /** The server's origin, e.g. `http://127.0.0.1:3001`. */
      url: origin,
      /** What to open in a browser: the origin, with the token when one is set. */
      dashboardUrl: `${origin}/${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`,
      port: http.port,
      log: opened,
      gateway,
      /** Every subscription, WebSocket and event stream: `stats()` gives their buffers. */
      hub,
      /** File watching: `ready(sessionId)` says when a session's directory is watched. */
      watching: watched,
      /** The server's series, as `GET /metrics` gives them. */
      metrics,
      logger,
      async close() {
        logger.info('shutting down');
        tail.close();
        await http.close();
        await watched.close();
        counting();
        await opened.close();
        logger.info('stopped');
      },
    };
  } catch (error) {
    await watching?.close();
    await log?.close();
    throw error;
  }
}

export type RunningServer = Awaited<ReturnType<typeof runServer>>;

/** The gauge's series for Durable Streams live reads: one per mode (nothing buffered: pulled). */
function liveReads(open: ReturnType<LivePlaces['open']>) {
  return {
    'streams-long-poll': { connections: open['long-poll'], buffered: 0 },
    'streams-sse': { connections: open.sse, buffered: 0 },
  };
}
