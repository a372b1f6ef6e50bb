import { Hono } from 'hono';
import { SESSION_EVENT_TYPES } from '../events/event-types.js';
import type { Sessionlog } from '../sessions/sessionlog.js';
import { acceptsNdjson, ndjsonEvents } from './ndjson.js';
import { newestFirstPage } from './newest-first.js';
import { beforeParam, invalid, listParam, pageParams } from './query-params.js';

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
    const before = beforeParam(c, head);
    const filter = { after, upTo: head, types, streams };
    c.header('Vary', 'Accept');
    const ndjson = acceptsNdjson(c.req.header('accept'));
    if (before !== undefined) {
      // The export is the log in order; a page below a position is for a person reading back.
      if (ndjson) throw invalid('before', 'NDJSON is the log oldest first: use after, not before');
      const read = await log.store.read({ before, types, streams, limit: limit + 1 });
      return c.json({ ...newestFirstPage(read, limit), head });
    }
    if (ndjson) {
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
