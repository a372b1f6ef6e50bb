import { type SessionStatus, toSession } from '../sessions/session.js';
import { openLog } from '../stores/open-log.js';
import { type Command, dbFrom } from './args.js';
import { request } from './events-from-url.js';
import { serverAddress } from './server-address.js';

const STATUSES: readonly string[] = ['pending', 'in_progress', 'completed', 'failed'];

/** `sessionlog sessions`: the sessions table, now or as of a past position. */
export const sessions: Command = {
  name: 'sessions',
  usage: `sessionlog sessions [--db FILE|URL | --url URL] [--as-of P] [--status S] [--token TOKEN]

Prints { sessions, position } as JSON, as GET /api/sessions answers it: the sessions not
deleted, newest first. With --as-of P, the table as it was right after position P.

With --db the table is folded from the log itself (from the nearest snapshot), not read
from the stored table: what verify compares that table with. The file is opened read-only.

  --db FILE|URL  a log file (default: $SESSIONLOG_DB or ./data/sessionlog.db), or a
                 postgres:// URL (folded from the log's first event)
  --url URL      a running server (the URL serve prints)
  --as-of P      the table right after position P (default: the head)
  --status S     only sessions in status S (pending, in_progress, completed, failed)
  --token TOKEN  the server's token (SESSIONLOG_TOKEN), with --url`,
  options: {
    db: { type: 'string', short: 'd' },
    url: { type: 'string', short: 'u' },
    'as-of': { type: 'string' },
    status: { type: 'string' },
    token: { type: 'string' },
  },
  async run(values, out) {
    const asOfText = values['as-of'] as string | undefined;
    if (asOfText !== undefined && !/^\d{1,15}$/.test(asOfText)) {
      throw new Error(
        `--as-of must be a position (a whole number ≥ 0), not ${JSON.stringify(asOfText)}`,
      );
    }
    const asOf = asOfText === undefined ? undefined : Number(asOfText);
    const status = values.status as SessionStatus | undefined;
    if (status !== undefined && !STATUSES.includes(status)) {
      throw new Error(`--status must be one of ${STATUSES.join(', ')}`);
    }
    const url = values.url as string | undefined;
    if (url !== undefined && values.db !== undefined)
      throw new Error('--db and --url exclude each other');
    if (url !== undefined) {
      const { origin, token } = serverAddress(url, values.token as string | undefined);
      const query = new URLSearchParams();
      if (asOf !== undefined) query.set('asOf', String(asOf));
      if (status !== undefined) query.set('status', status);
      const response = await request(
        new URL(`/api/sessions?${query}`, origin),
        token,
        'application/json',
      );
      out.log(await response.text());
      return 0;
    }
    if (values.token !== undefined) throw new Error('--token goes with --url');
    const log = await openLog(dbFrom(values));
    const { sessions: listed, position } = await log.sessionsAsOf(asOf, status);
    // The same JSON as the HTTP answer, byte for byte.
    out.log(JSON.stringify({ sessions: listed.map(toSession), position }));
    return 0;
  },
};
