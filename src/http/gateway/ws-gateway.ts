import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AnyEvent } from '../../events/envelope.js';
import type { EventStore } from '../../events/store.js';
import { CloseCode } from '../../protocol/close-codes.js';
import type { ServerFrame } from '../../protocol/frames.js';
import { parseSubscription } from '../../protocol/subscription-request.js';
import { WEBSOCKET_PATH } from '../../protocol/subscription-url.js';
import { clientOf } from '../client-address.js';
import { requestIdFrom } from '../request-id.js';
import {
  bearerToken,
  hostAllowed,
  originAllowed,
  type SecurityPolicy,
  tokenMatches,
} from '../security.js';
import { openSubscription } from './open-subscription.js';
import {
  type BufferStats,
  bufferStats,
  DEFAULT_LIMITS,
  type FlowLimits,
  type Sink,
  type Subscription,
} from './subscription.js';
import type { SubscriptionHub } from './subscription-hub.js';
import type { UpgradeRefusalObserver, UpgradeRefusalReason } from './upgrade-refusal.js';
import { sharedWireFrame, wsEncoder } from './ws-encoder.js';

export interface GatewayOptions {
  store: EventStore<AnyEvent>;
  policy: SecurityPolicy;
  /** Event types a `types` filter may name. */
  knownTypes: ReadonlySet<string>;
  /** Feeds every subscription from the log's commits (shared with the event stream). */
  hub: SubscriptionHub;
  limits?: Partial<FlowLimits>;
  /** Dead peers: a ping this often; no pong by the next one ends the connection. */
  pingMs?: number;
  /** Told of each upgrade refused before a subscription exists (metrics, logs). */
  onRefused?: UpgradeRefusalObserver;
}

/** The most a client may send in one message: it has nothing to say beyond its URL. */
const MAX_CLIENT_MESSAGE = 4 * 1024;

/**
 * `GET /ws`: each connection is a Subscription fed by the log's commits through the hub, so
 * whatever is in the log reaches every subscriber; nothing is broadcast by hand.
 */
export function createGateway(options: GatewayOptions) {
  const { store, policy, knownTypes, hub, pingMs = 30_000, onRefused } = options;
  const limits: FlowLimits = { ...DEFAULT_LIMITS, ...options.limits };
  // No compression: it costs tens of KiB per connection and CPU on every frame.
  const server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_CLIENT_MESSAGE,
  });
  const subscriptions = new Map<WebSocket, Subscription>();
  const alive = new WeakSet<WebSocket>();
  let closing = false;
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

  // An upgrade that is no valid handshake (method, Upgrade, Sec-WebSocket-Key or -Version):
  // answered here rather than by ws, so that it is told like every other refusal.
  server.on('wsClientError', (error: Error, socket: Duplex, request: IncomingMessage) => {
    const status = request.method === 'GET' ? 400 : 405;
    refuse(
      socket,
      request,
      'handshake',
      status,
      status === 400 ? 'Bad Request' : 'Method Not Allowed',
      error.message,
    );
  });

  function refuse(
    socket: Duplex,
    request: IncomingMessage,
    reason: UpgradeRefusalReason,
    status: number,
    statusText: string,
    message = statusText,
  ): void {
    const requestId = refused(request, reason, status);
    socket.end(
      `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${message}`,
    );
  }

  function fail(socket: WebSocket, code: number, message: string): void {
    socket.send(JSON.stringify({ type: 'error', code, message } satisfies ServerFrame));
    socket.close(code, closeReason(message));
  }

  /** A refusal after the upgrade: the error frame, then the close (SPEC). */
  function turnAway(
    socket: WebSocket,
    request: IncomingMessage,
    reason: UpgradeRefusalReason,
    code: number,
    message: string,
  ): void {
    refused(request, reason, code);
    fail(socket, code, message);
  }

  function refused(request: IncomingMessage, reason: UpgradeRefusalReason, status: number) {
    const id = request.headers['x-request-id'];
    const requestId = requestIdFrom(typeof id === 'string' ? id : undefined);
    onRefused?.({ reason, status, requestId });
    return requestId;
  }

  function accept(socket: WebSocket, request: IncomingMessage, raw: Duplex): void {
    const url = new URL(request.url ?? WEBSOCKET_PATH, 'http://localhost');
    const { host, origin, authorization } = request.headers;
    if (!tokenMatches(url.searchParams.get('token') ?? bearerToken(authorization), policy)) {
      turnAway(socket, request, 'unauthorized', CloseCode.unauthorized, 'missing or wrong token');
      return;
    }
    if (!originAllowed(origin, host, policy)) {
      const message = `origin ${origin} is not allowed`;
      turnAway(socket, request, 'origin', CloseCode.forbiddenOrigin, message);
      return;
    }
    const client = clientOf(request.socket.remoteAddress);
    const refusal = hub.refusal(client);
    if (refusal !== undefined) {
      turnAway(socket, request, 'too-many-connections', CloseCode.tooManyConnections, refusal);
      return;
    }
    const parsed = parseSubscription(url.searchParams, knownTypes);
    if (!parsed.ok) {
      const detail = parsed.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
      turnAway(socket, request, 'bad-parameters', CloseCode.badParameters, detail);
      return;
    }
    const sink: Sink = {
      get buffered() {
        return socket.bufferedAmount;
      },
      send: (frame, done) => {
        // A closing socket takes nothing more; its close event ends the subscription.
        if (socket.readyState !== WebSocket.OPEN) return;
        // A commit's frame, framed once for all clients, goes straight onto the socket ws
        // writes to: ws writes each message at once, in order (no compression, no Blobs, so
        // it never queues), so frames from both paths reach the client in the order sent.
        const wire = sharedWireFrame(frame);
        if (wire === undefined) socket.send(frame, { binary: false }, done);
        else raw.write(wire, done);
      },
      close: (code, reason) => socket.close(code, reason),
    };
    openSubscription({
      store,
      hub,
      wanted: parsed.request,
      client,
      sink,
      encoder: wsEncoder,
      limits,
      isOpen: () => socket.readyState === WebSocket.OPEN,
      attach: (subscription) => {
        subscriptions.set(socket, subscription);
        alive.add(socket);
        socket.on('pong', () => alive.add(socket));
        socket.on('close', () => {
          subscription.closed();
          subscriptions.delete(socket);
          hub.delete(subscription);
        });
      },
    }).catch(() => fail(socket, CloseCode.internalError, 'the server could not read the log'));
  }

  return {
    /** Handles an HTTP upgrade request on `/ws`; refuses a foreign Host before upgrading. */
    handleUpgrade(request: IncomingMessage, socket: Duplex, upgradeHead: Buffer): void {
      if (closing) {
        refuse(socket, request, 'shutting-down', 503, 'Service Unavailable');
        return;
      }
      if (!hostAllowed(request.headers.host, policy)) {
        refuse(socket, request, 'host', 403, 'Forbidden');
        return;
      }
      server.handleUpgrade(request, socket, upgradeHead, (ws) => {
        ws.on('error', () => ws.terminate());
        accept(ws, request, socket);
      });
    },

    /** The WebSocket subscriptions alone (the hub's stats count event streams too). */
    stats: (): BufferStats => bufferStats(subscriptions.values()),

    /** Closes every connection with 1001 (going away): clients resume from their position. */
    async close(): Promise<void> {
      closing = true;
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

export type Gateway = ReturnType<typeof createGateway>;

/**
 * A close reason is at most 123 bytes of UTF-8 (ws throws past that); the message may echo a
 * client's parameter with multi-byte characters, so cut by bytes, not characters.
 */
function closeReason(message: string): string {
  let reason = message.slice(0, 120);
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}
