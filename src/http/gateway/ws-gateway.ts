import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AnyEvent, Envelope } from '../../events/envelope.js';
import type { EventStore } from '../../events/store.js';
import {
  bearerToken,
  hostAllowed,
  originAllowed,
  type SecurityPolicy,
  tokenMatches,
} from '../security.js';
import { CloseCode, parseSubscription, type ServerFrame } from './protocol.js';
import { DEFAULT_LIMITS, type FlowLimits, Subscription } from './subscription.js';

export interface GatewayOptions {
  store: EventStore<AnyEvent>;
  policy: SecurityPolicy;
  /** Event types a `types` filter may name. */
  knownTypes: ReadonlySet<string>;
  maxConnections?: number;
  limits?: Partial<FlowLimits>;
  /** SPEC: a heartbeat every 15 s when nothing else was sent. */
  heartbeatMs?: number;
  /** Under load, commits within this many milliseconds reach a client in one frame (30 ms: as
   * quick at the median as 10 or 20 ms on the fan-out bench, with a quarter less CPU). */
  liveBatchMs?: number;
  /** Dead peers: a ping this often; no pong by the next one ends the connection. */
  pingMs?: number;
}

/** The most a client may send in one message: it has nothing to say beyond its URL. */
const MAX_CLIENT_MESSAGE = 4 * 1024;

/**
 * `GET /ws`: each connection is a Subscription fed by the log's commits. The gateway
 * subscribes to the store once and fans each commit out, so whatever is in the log reaches
 * every subscriber; nothing is broadcast by hand.
 */
export async function createGateway(options: GatewayOptions) {
  const {
    store,
    policy,
    knownTypes,
    maxConnections = 20_000,
    heartbeatMs = 15_000,
    pingMs = 30_000,
    liveBatchMs = 30,
  } = options;
  const limits: FlowLimits = { ...DEFAULT_LIMITS, ...options.limits };
  // No compression: it costs tens of KiB per connection and CPU on every frame.
  const server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_CLIENT_MESSAGE,
  });
  const subscriptions = new Map<WebSocket, Subscription>();
  const alive = new WeakSet<WebSocket>();
  // Kept current by the commits themselves, so that accepting a client needs no await (and
  // no commit can slip between reading the head and subscribing).
  let head = await store.head();
  let closing = false;

  // Commits fan out at once when the log is quiet; under load, those that follow within
  // `liveBatchMs` go out together, so that each client gets one write for several commits
  // (a write per client per commit is what saturates a server with a thousand clients).
  let pending: Envelope<AnyEvent>[] = [];
  let fanOutTimer: NodeJS.Timeout | undefined;
  let lastFanOut = 0;
  const fanOut = () => {
    fanOutTimer = undefined;
    lastFanOut = Date.now();
    const events = pending;
    pending = [];
    for (const subscription of subscriptions.values()) subscription.onCommit(events);
  };
  const unsubscribe = store.subscribe((events) => {
    head = Math.max(head, events.at(-1)?.position ?? head);
    pending = pending.length === 0 ? [...events] : pending.concat(events);
    if (fanOutTimer !== undefined) return;
    const wait = lastFanOut + liveBatchMs - Date.now();
    if (wait <= 0) fanOut();
    else fanOutTimer = setTimeout(fanOut, wait);
  });
  const ticker = setInterval(
    () => {
      const now = Date.now();
      for (const subscription of subscriptions.values()) subscription.tick(now, heartbeatMs, head);
    },
    Math.min(1000, heartbeatMs),
  ).unref();
  const pinger = setInterval(() => {
    for (const socket of subscriptions.keys()) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, pingMs).unref();

  function refuse(socket: Duplex, status: number, message: string): void {
    socket.end(
      `HTTP/1.1 ${status} ${message}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`,
    );
  }

  function fail(socket: WebSocket, code: number, message: string): void {
    socket.send(JSON.stringify({ type: 'error', code, message } satisfies ServerFrame));
    socket.close(code, message.slice(0, 120));
  }

  function accept(socket: WebSocket, request: IncomingMessage): void {
    const url = new URL(request.url ?? '/ws', 'http://localhost');
    const { host, origin, authorization } = request.headers;
    if (!tokenMatches(url.searchParams.get('token') ?? bearerToken(authorization), policy)) {
      fail(socket, CloseCode.unauthorized, 'missing or wrong token');
      return;
    }
    if (!originAllowed(origin, host, policy)) {
      fail(socket, CloseCode.forbiddenOrigin, `origin ${origin} is not allowed`);
      return;
    }
    if (subscriptions.size >= maxConnections) {
      fail(socket, CloseCode.tooManyConnections, 'too many connections: retry later');
      return;
    }
    const parsed = parseSubscription(url.searchParams, knownTypes);
    if (!parsed.ok) {
      const detail = parsed.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
      fail(socket, CloseCode.badParameters, detail);
      return;
    }
    const { request: wanted } = parsed;
    const sink = {
      get buffered() {
        return socket.bufferedAmount;
      },
      send: (frame: string | Buffer, done: () => void) => {
        // A closing socket takes nothing more; its close event ends the subscription.
        if (socket.readyState === WebSocket.OPEN) socket.send(frame, { binary: false }, done);
      },
      close: (code: number, reason: string) => socket.close(code, reason),
    };
    const after = wanted.after ?? head;
    const hello: ServerFrame = { type: 'hello', logId: store.logId, head, after };
    socket.send(JSON.stringify(hello));
    const reason =
      wanted.logId !== undefined && wanted.logId !== store.logId
        ? `this is log ${store.logId}, not ${wanted.logId}`
        : after > head
          ? `after ${after} is beyond the head ${head}`
          : undefined;
    if (reason !== undefined) {
      const reset: ServerFrame = { type: 'reset', logId: store.logId, head, reason };
      socket.send(JSON.stringify(reset));
      socket.close(CloseCode.reset, 'reset: drop local state and resubscribe');
      return;
    }
    const subscription = new Subscription({
      store,
      sink,
      after,
      head,
      streams: wanted.streams,
      types: wanted.types,
      limits,
    });
    subscriptions.set(socket, subscription);
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    socket.on('close', () => {
      subscription.closed();
      subscriptions.delete(socket);
    });
    subscription.start();
  }

  return {
    /** Handles an HTTP upgrade request on `/ws`; refuses a foreign Host before upgrading. */
    handleUpgrade(request: IncomingMessage, socket: Duplex, upgradeHead: Buffer): void {
      if (closing) {
        refuse(socket, 503, 'Service Unavailable');
        return;
      }
      if (!hostAllowed(request.headers.host, policy)) {
        refuse(socket, 403, 'Forbidden');
        return;
      }
      server.handleUpgrade(request, socket, upgradeHead, (ws) => {
        ws.on('error', () => ws.terminate());
        accept(ws, request);
      });
    },

    /** Open subscriptions, and the bytes buffered for them (each bounded, SPEC: 1 MiB). */
    stats(): { connections: number; buffered: number; maxBuffered: number } {
      let buffered = 0;
      let maxBuffered = 0;
      for (const socket of subscriptions.keys()) {
        buffered += socket.bufferedAmount;
        maxBuffered = Math.max(maxBuffered, socket.bufferedAmount);
      }
      return { connections: subscriptions.size, buffered, maxBuffered };
    },

    /** Closes every connection with 1001 (going away): clients resume from their position. */
    async close(): Promise<void> {
      closing = true;
      unsubscribe();
      clearInterval(ticker);
      clearTimeout(fanOutTimer);
      clearInterval(pinger);
      const closed = [...server.clients].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === WebSocket.CLOSED) {
              resolve();
              return;
            }
            socket.once('close', () => resolve());
            subscriptions.get(socket)?.close(CloseCode.goingAway, 'server shutting down');
            if (!subscriptions.has(socket))
              socket.close(CloseCode.goingAway, 'server shutting down');
            // A peer that does not answer the close handshake is cut off.
            setTimeout(() => socket.terminate(), 2000).unref();
          }),
      );
      await Promise.all(closed);
      server.close();
    },
  };
}

export type Gateway = Awaited<ReturnType<typeof createGateway>>;
