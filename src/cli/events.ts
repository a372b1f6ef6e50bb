import { type Command, dbFrom } from './args.js';
import { DataWriter } from './data-writer.js';
import { eventFilter } from './event-filter.js';
import { eventsFromDb } from './events-from-db.js';
import { eventsFromUrl } from './events-from-url.js';
import { untilInterrupted } from './interrupt.js';
import { serverAddress } from './server-address.js';

/** `sessionlog events`: the log as NDJSON, from a file or a server, optionally followed. */
export const events: Command = {
  name: 'events',
  usage: `sessionlog events [--db FILE|URL | --url URL] [--after P] [--types T1,T2] [--streams a,b]
                  [--follow] [--token TOKEN]

Prints every event after position P as NDJSON, one envelope per line, exactly as
GET /api/events answers with Accept: application/x-ndjson: up to the head as it was when the
command started. With --follow it keeps printing new events as they are committed until
interrupted (Ctrl-C, SIGTERM). A reader that goes away (| head) ends it quietly.

  --db FILE|URL     a log file, opened read-only (default: $SESSIONLOG_DB or
                    ./data/sessionlog.db), or a postgres:// URL; --follow looks for new
                    commits every 250 ms
  --url URL         a running server (the URL serve prints, with ?token=… if it has one);
                    --follow tails its WebSocket and resumes by position after a disconnect
  --after P         only events after position P (default 0: the whole log)
  --types T1,T2     only these event types
  --streams a,b     only these streams (session ids)
  --follow          keep tailing until interrupted
  --token TOKEN     the server's token (SESSIONLOG_TOKEN), with --url`,
  options: {
    db: { type: 'string', short: 'd' },
    url: { type: 'string', short: 'u' },
    after: { type: 'string', short: 'a' },
    types: { type: 'string', short: 't' },
    streams: { type: 'string', short: 's' },
    follow: { type: 'boolean', short: 'f' },
    token: { type: 'string' },
  },
  async run(values, out) {
    const filter = eventFilter(values);
    const follow = values.follow === true;
    const url = values.url as string | undefined;
    if (url !== undefined && values.db !== undefined)
      throw new Error('--db and --url exclude each other');
    if (url === undefined && values.token !== undefined) throw new Error('--token goes with --url');
    const writer = new DataWriter(out.data ?? process.stdout);
    const interrupted = untilInterrupted(out.signal, follow, writer.closed);
    const { signal } = interrupted;
    try {
      let code = 0;
      if (url === undefined) {
        await eventsFromDb(dbFrom(values), filter, { follow, writer, signal });
      } else {
        const { origin, token } = serverAddress(url, values.token as string | undefined);
        if (follow) {
          // The WebSocket client loads only for --follow.
          const { followGateway } = await import('./follow-gateway.js');
          code = await followGateway(origin, token, filter, { writer, signal, note: out.error });
        } else await eventsFromUrl(origin, token, filter, { writer, signal });
      }
      if (writer.failure !== undefined) throw writer.failure;
      return code;
    } finally {
      interrupted.dispose();
      await writer.finish();
    }
  },
};
