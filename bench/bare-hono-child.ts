/**
 * A child process: the baseline for `POST /api/sessions`, a bare Hono route on
 * @hono/node-server that parses the same JSON body and answers 201 with a small JSON, with
 * none of sessionlog's work (guard, validation, realpath, the append, the projection).
 *
 *   node --import tsx bench/bare-hono-child.ts
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type ServerMessage, serveStats, tell } from './child-stats.js';

const app = new Hono();
app.post('/api/sessions', async (c) => c.json({ ok: true, body: await c.req.json() }, 201));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
  tell({ type: 'ready', port: info.port } satisfies ServerMessage),
);
serveStats(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive sockets of the load generator would hold close() open.
      if ('closeAllConnections' in server) server.closeAllConnections();
    }),
);
