/**
 * A child process: `GET /api/sessions` as it was before the table was streamed (the whole
 * table read into memory, then JSON.stringify of the answer), on the log file given, for the
 * sessions-read suite to compare with.
 *
 *   node --import tsx bench/buffered-table-child.ts <db file>
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { toSession } from '../src/sessions/session.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { type ServerMessage, serveStats, tell } from './child-stats.js';

const [db] = process.argv.slice(2);
if (db === undefined) throw new Error('usage: buffered-table-child.ts <db file>');
const log = openSessionlog({ db, durability: 'normal' });
const app = new Hono();
app.get('/api/sessions', async (c) => {
  const { sessions, position } = await log.listSessions();
  return c.json({ sessions: sessions.map(toSession), position });
});
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
  tell({ type: 'ready', port: info.port } satisfies ServerMessage),
);
serveStats(() =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  }).then(() => log.close()),
);
