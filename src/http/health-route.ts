import { Hono } from 'hono';
import type { Sessionlog } from '../sessions/sessionlog.js';

/**
 * `GET /api/health`: the log's id and head, and how far the sessions table has come. A
 * table behind the head means reads are stale; equal means they are current.
 */
export function healthRoute(log: Sessionlog): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    const head = await log.store.head();
    const sessions = await log.sessionsPosition();
    return c.json({ status: 'ok', logId: log.store.logId, head, projections: { sessions } });
  });
  return app;
}
