import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Logger } from '../observe/logger.js';
import { WEBSOCKET_PATH } from '../protocol/subscription-url.js';
import type { SubscriptionHub } from './gateway/subscription-hub.js';
import type { Gateway } from './gateway/ws-gateway.js';

export interface HttpServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the Hono app and, on the same port, upgrades `/ws` to the gateway. Past `maxSockets`
 * open at once, a new connection is dropped as soon as it is accepted: the process keeps
 * descriptors for its log and its files whatever clients do.
 */
export async function listen(
  app: Hono,
  { gateway, hub, logger }: { gateway: Gateway; hub: SubscriptionHub; logger: Logger },
  host: string,
  port: number,
  maxSockets?: number,
): Promise<HttpServer> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  if (maxSockets !== undefined) server.maxConnections = maxSockets;
  server.on('upgrade', (request, socket, head) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === WEBSOCKET_PATH) gateway.handleUpgrade(request, socket, head);
    else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Once listening, an error is a failed accept (EMFILE: out of descriptors all the same):
  // that client is lost, the server goes on accepting the next ones.
  let warned = 0;
  server.on('error', (error) => {
    if (Date.now() - warned < 10_000) return;
    warned = Date.now();
    logger.error({ error: String(error) }, 'a connection could not be accepted');
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Subscriptions first, so clients know to resume: event streams end, WebSockets close
      // with 1001 (the gateway waits for their handshakes); then idle keep-alive sockets.
      hub.close();
      await gateway.close();
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
      await closed;
    },
  };
}
