import { Hono } from 'hono';
import { SESSION_EVENT_TYPES } from '../events/schemas.js';
import type { Sessionlog } from '../sessions/sessionlog.js';
import { acceptsNdjson, ndjsonEvents } from './ndjson.js';
import { listParam, pageParams } from './query-params.js';

/**
 * `GET /api/events`: the whole log by position, for auditors and exports. A page as JSON, or
 * with `Accept: application/x-ndjson` everything after `after` up to the head as it was
 * when the request came in (a stream that followed new appends would never end).
 */
export function eventsRoutes(log: Sessionlog): Hono {
  const app = new Hono();

  app.get('/', async (c) => {
    const { after, limit } = pageParams(c);
    const types = listParam(c, 'types', SESSION_EVENT_TYPES);
    const streams = listParam(c, 'streams');
    // Read first, so that `head` and the events agree even if appends land meanwhile.
    const head = await log.store.head();
    const filter = { after, upTo: head, types, streams };
    c.header('Vary', 'Accept');
    if (acceptsNdjson(c.req.header('accept'))) {
      return c.body(ndjsonEvents(log.store, filter), 200, {
        'content-type': 'application/x-ndjson',
      });
    }
    const events = await log.store.read({ ...filter, limit });
    // `next` is the last returned event's position, or `after` itself for an empty page: a
    // client passes it back as `after` until a page comes back empty. (With filters, a short
    // page could jump to `head`; this keeps `next` meaning one thing: what was returned.)
    return c.json({ events, next: events.at(-1)?.position ?? after, head });
  });

  return app;
}
